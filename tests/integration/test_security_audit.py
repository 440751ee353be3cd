"""Every change to how an account signs in, and every staff sign-out and export, is audited."""

from __future__ import annotations

import logging
from datetime import timedelta

import pyotp
import pytest
import time_machine
from flask import Flask
from sqlalchemy import select

from helpdesk.accounts.devices import describe_device
from helpdesk.accounts.directory import directory
from helpdesk.accounts.recovery import change_password
from helpdesk.accounts.sign_out import sign_out_everywhere_else
from helpdesk.accounts.two_factor import begin_enrolment, confirm_enrolment, new_recovery_codes
from helpdesk.extensions import db
from helpdesk.mail import MailError, compose, send
from helpdesk.models import AuditEntry, utcnow
from tests.conftest import DEMO_PASSWORD, build_app, make_staff, staff_client
from tests.integration.test_lockout_and_unlock import fail, press_unlock
from tests.integration.test_sign_in import PHONE_UA, sign_in
from tests.mailbox import free_port, link_in, outbox
from tests.support import csrf_from

NEW_PASSWORD = "plum-harvest-lantern-71"


def entries(app: Flask, action: str) -> list[AuditEntry]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def test_password_changes_enrolment_codes_and_signing_out_everywhere_are_audited(app, account):
    with app.test_request_context():
        change_password(directory().get(account.id), NEW_PASSWORD, by="reset-link")
        enrolment = begin_enrolment(account)
        confirm_enrolment(account, enrolment.secret, pyotp.TOTP(enrolment.secret).now())
        new_recovery_codes(account.id)
        token = directory().start_session(account.id, "203.0.113.1", "Firefox")
        session_id = directory().session_account(token)[1]
        sign_out_everywhere_else(account.id, token, session_id)
    [changed] = entries(app, "account.password-set")
    assert (changed.actor, changed.target) == ("holder of a reset link", "pat@example.org")
    [enrolled] = entries(app, "account.authenticator-enrolled")
    assert enrolled.target == "pat@example.org" and enrolled.detail == {"replaced": False}
    assert len(entries(app, "account.recovery-codes-new")) == 2  # at enrolment, then again
    [everywhere] = entries(app, "account.signed-out-everywhere")
    assert everywhere.target == "pat@example.org"


def test_an_unlock_by_link_is_audited(app, client, account, outbox_dir):
    fail(client, 5)
    url = link_in(outbox(outbox_dir)[0], "/unlock/")
    press_unlock(client, client.get(url).get_data(as_text=True))
    [unlocked] = entries(app, "account.unlocked")
    assert unlocked.target == "pat@example.org" and unlocked.detail == {"was_locked": True}


def test_staff_sign_outs_idle_ones_too_and_editor_exports_are_audited(app):
    admin = staff_client(app, "admin@example.org", make_staff(app, "admin@example.org", "admin"))
    assert admin.get("/editor/analytics.csv").status_code == 200
    [export] = entries(app, "editor.export")
    assert export.actor == "admin@example.org"
    with app.app_context():  # and in the editor's own history
        admin_id = directory().find("admin@example.org").id
        assert directory().sign_ins(admin_id)[0].result == "csv-exported"
    with time_machine.travel(utcnow() + timedelta(minutes=31)):
        assert admin.get("/staff/").status_code == 302
    [idle] = entries(app, "staff.sign-out")
    assert idle.actor == "admin@example.org" and idle.detail == {"reason": "idle"}


def test_a_mail_that_could_not_be_sent_is_logged_without_its_address(tmp_path, caplog):
    app = build_app(tmp_path, mail_url=f"smtp://127.0.0.1:{free_port()}")  # nobody listens there
    with app.app_context(), caplog.at_level(logging.ERROR), pytest.raises(MailError):
        send(compose("no_account", "someone@example.org", "About your request", what="x", url="/"))
    assert "not sent" in caplog.text
    assert "someone@example.org" not in caplog.text


def test_removing_a_device_is_audited(app, account):
    phone = app.test_client()
    assert sign_in(phone, "pat@example.org", DEMO_PASSWORD, **{"User-Agent": PHONE_UA}).status_code == 303
    laptop = app.test_client()
    assert sign_in(laptop, "pat@example.org", DEMO_PASSWORD).status_code == 303
    with app.app_context():
        device = next(d for d in directory().devices(account.id) if d.summary == describe_device(PHONE_UA))
    token = csrf_from(laptop.get("/account").get_data(as_text=True))
    assert laptop.post(f"/account/devices/{device.id}/remove", data={"csrf_token": token}).status_code == 303
    [removed] = entries(app, "account.device-removed")
    assert (removed.actor, removed.target) == ("owner", "pat@example.org")
