"""Re-authentication: the password (and a code) again, fresh for a few minutes, counted like a sign-in."""

from __future__ import annotations

from datetime import timedelta

import pyotp
import time_machine
from sqlalchemy import select

from helpdesk.accounts import reauth
from helpdesk.accounts.directory import HistoryResult, directory
from helpdesk.accounts.reauth import Proof, confirm_identity, is_fresh, record_proof
from helpdesk.accounts.two_factor import enable_without_confirmation
from helpdesk.extensions import db
from helpdesk.models import AuditEntry, utcnow
from tests.conftest import DEMO_PASSWORD
from tests.mailbox import outbox
from tests.support import a_step_ahead

IP, DEVICE = "203.0.113.9", "Firefox on Linux"
T0 = a_step_ahead()


def _session(account_id: int) -> int:
    token = directory().start_session(account_id, IP, DEVICE)
    found = directory().session_account(token)
    assert found is not None
    return found[1]


def _confirm(account_id: int, session_id: int, password: str = DEMO_PASSWORD, code: str = ""):
    return confirm_identity(account_id, session_id, password, code, ip=IP, device=DEVICE)


def _audited(action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def test_a_new_session_has_no_proof_until_it_gives_one(app, account):
    with app.test_request_context():
        session_id = _session(account.id)
        assert not is_fresh(session_id)
        assert _confirm(account.id, session_id).ok
        assert is_fresh(session_id)


def test_the_proof_stays_fresh_for_the_set_minutes_only(app, account):
    with app.test_request_context(), time_machine.travel(T0, tick=False) as clock:
        session_id = _session(account.id)
        record_proof(session_id)
        clock.shift(timedelta(minutes=5))
        assert is_fresh(session_id)
        clock.shift(timedelta(seconds=1))
        assert not is_fresh(session_id)
        assert is_fresh(session_id, slack=timedelta(minutes=10))


def test_the_freshness_follows_the_setting(tmp_path):
    from tests.conftest import build_app

    app = build_app(tmp_path, reauth_minutes=1)
    with app.test_request_context(), time_machine.travel(T0, tick=False) as clock:
        account = directory().create("pat@example.org", DEMO_PASSWORD)
        session_id = _session(account.id)
        record_proof(session_id)
        clock.shift(timedelta(seconds=61))
        assert not is_fresh(session_id)


def test_a_proof_belongs_to_its_session_and_ends_with_it(app, account):
    with app.test_request_context():
        token = directory().start_session(account.id, IP, DEVICE)
        proved = directory().session_account(token)[1]
        other = _session(account.id)
        record_proof(proved)
        assert is_fresh(proved) and not is_fresh(other)
        directory().end_session(token)
        assert not is_fresh(proved)


def test_a_wrong_password_counts_towards_the_lock_and_shows_in_the_failed_sign_ins(app, account):
    with app.test_request_context():
        session_id = _session(account.id)
        refused = _confirm(account.id, session_id, password="not-the-password-at-all")
        assert refused.status is Proof.WRONG_PASSWORD and refused.problem
        assert not is_fresh(session_id)
        assert directory().get(account.id).failed_count == 1
        [line] = directory().failed_sign_ins(account.id, utcnow() - timedelta(minutes=1))
        assert (line.result, line.ip, line.device) == (HistoryResult.WRONG_PASSWORD, IP, DEVICE)
        [failed] = _audited("account.reauth-failed")
        assert failed.target == "pat@example.org" and failed.detail == {"reason": "wrong-password"}


def test_five_wrong_passwords_lock_the_account_and_mail_the_owner(app, account, outbox_dir):
    with app.test_request_context():
        session_id = _session(account.id)
        results = [_confirm(account.id, session_id, password="nope nope nope") for _ in range(5)]
        assert results[-1].locked_now
        assert [m["Subject"] for m in outbox(outbox_dir)] == ["Was this you? Your account was locked"]
        locked = _confirm(account.id, session_id)  # the right password: nothing is checked while locked
        assert locked.status is Proof.LOCKED and not is_fresh(session_id)


def test_with_two_step_on_the_password_alone_is_not_enough(app, account):
    with app.test_request_context():
        enable_without_confirmation(account)
        session_id = _session(account.id)
        needs = _confirm(account.id, session_id)
        assert needs.status is Proof.CODE_NEEDED and not is_fresh(session_id)
        assert directory().get(account.id).failed_count == 0  # nothing was guessed
        wrong = _confirm(account.id, session_id, code="000000")
        assert wrong.status is Proof.WRONG_CODE and directory().get(account.id).failed_count == 1


def test_a_current_code_or_a_recovery_code_completes_the_proof(app, account, outbox_dir):
    with app.test_request_context(), time_machine.travel(T0, tick=False):
        uri, codes = enable_without_confirmation(account)
        session_id = _session(account.id)
        assert _confirm(account.id, session_id, code=pyotp.parse_uri(uri).now()).ok
        other = _session(account.id)
        by_recovery_code = _confirm(account.id, other, code=codes[0])
        assert by_recovery_code.ok and by_recovery_code.used_recovery_code
        assert directory().recovery_codes_left(account.id) == 9
        assert outbox(outbox_dir)[-1]["Subject"] == "A recovery code was used to sign in"


def test_a_proof_is_audited_and_in_the_owners_history_and_clears_the_failures(app, account):
    with app.test_request_context():
        session_id = _session(account.id)
        _confirm(account.id, session_id, password="wrong wrong wrong")
        assert _confirm(account.id, session_id).ok
        assert directory().get(account.id).failed_count == 0
        [done] = _audited("account.reauthenticated")
        assert (done.actor, done.target, done.ip) == ("owner", "pat@example.org", IP)
        assert directory().sign_ins(account.id)[0].result == HistoryResult.REAUTHENTICATED


def test_the_refusals_are_words_for_every_status_but_ok():
    assert set(reauth.REFUSALS) == set(Proof) - {Proof.OK}
