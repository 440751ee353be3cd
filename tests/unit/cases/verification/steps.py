"""Steps the verification unit tests share: a request taken through the domain functions, with
the codes and links read from the real .eml outbox."""

from __future__ import annotations

import re
from email.message import EmailMessage
from pathlib import Path

from flask import Flask

from helpdesk.cases.verification import asking, hold, review
from helpdesk.extensions import db
from helpdesk.models import VerificationRequest
from tests.mailbox import outbox, text_of

ACCOUNT = "pat@example.org"
CONTACT = "new@example.net"
STAFF = "helper@example.org"


def outbox_of(app: Flask) -> Path:
    return app.extensions["helpdesk.settings"].outbox_dir


def last_mail(app: Flask) -> EmailMessage:
    return outbox(outbox_of(app))[-1]


def mailed_code(app: Flask) -> str:
    found = re.search(r"^\s+(\d{6})\s*$", text_of(last_mail(app)), re.M)
    assert found, text_of(last_mail(app))
    return found.group(1)


def mailed_token(app: Flask, path: str) -> str:
    """The token at the end of the link under *path* (e.g. /recovery/cancel/) in the newest mail
    that has one (an approval mails the owner's cancel link, then the person who asked)."""
    link = re.compile(rf"https?://[^/\s]+{re.escape(path)}([A-Za-z0-9_-]+)")
    for mail in reversed(outbox(outbox_of(app))):
        if found := link.search(text_of(mail)):
            return found.group(1)
    raise AssertionError(f"no mail has a {path} link")


def owner_notice_and_asker_mail(app: Flask) -> tuple[EmailMessage, EmailMessage]:
    """The two mails an approval sends, in order: the owner's notice, then the asker's."""
    notice, to_asker = outbox(outbox_of(app))[-2:]
    return notice, to_asker


def proved_request(app: Flask, account_email: str = ACCOUNT) -> VerificationRequest:
    """A request whose contact address is proved (still collecting evidence)."""
    request = asking.start(account_email, CONTACT)
    assert asking.confirm_contact(request, mailed_code(app)) is asking.ContactCodeCheck.OK
    return request


def submitted_request(app: Flask, account_email: str = ACCOUNT, **answers: str) -> VerificationRequest:
    request = proved_request(app, account_email)
    asking.submit(request, {"last_sign_in": "", "device": "", "other": "", **answers})
    return request


def approved_request(app: Flask, account_email: str = ACCOUNT) -> VerificationRequest:
    """A request on hold (approved now); the owner's cancel mail is the newest but one in the
    outbox, the mail to the person who asked the newest."""
    request = submitted_request(app, account_email)
    assert review.decide(request, STAFF, "approve", "ID matches") is review.DecisionOutcome.APPROVED
    return request


def fetched(request_id: int) -> VerificationRequest:
    """The request as the database has it now."""
    db.session.expire_all()
    found = db.session.get(VerificationRequest, request_id)
    assert found is not None
    return found


def link_sent(app: Flask) -> str:
    """Run the due holds and return the token of the completion link mailed."""
    assert hold.run_due() == 1
    return mailed_token(app, "/recovery/complete/")
