"""Passkey ceremonies, verified by py_webauthn against answers a software authenticator signs for
real (tests/passkey_authenticator.py): adding, signing in, and every refusal."""

from __future__ import annotations

import base64
import email
import json
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import update

from helpdesk.accounts import passkeys
from helpdesk.accounts.directory import HistoryResult, directory
from helpdesk.accounts.passkey_ceremony import (
    CLONED,
    NOT_ACCEPTED,
    STALE,
    PasskeyCeremonyBusy,
    PasskeyRefused,
    PasskeyRemoved,
    RemovalRefused,
    add_passkey,
    registration_options,
    remove_passkey,
    sign_in_options,
    sign_in_with_passkey,
)
from helpdesk.accounts.signin import Attempt
from helpdesk.accounts.two_factor import enable_without_confirmation
from helpdesk.extensions import db
from helpdesk.models import Account, AuditEntry, utcnow
from tests.passkey_authenticator import SoftAuthenticator, b64

IP = "203.0.113.7"
DEVICE = "Chrome on Android"


def _added(account, authenticator: SoftAuthenticator, name: str = "My phone"):
    answer = authenticator.register(registration_options(account))
    return add_passkey(account, answer, name, ip=IP, device=DEVICE)


def _sign_in(authenticator: SoftAuthenticator, **answer_options):
    answer = authenticator.sign_in(sign_in_options(IP), **answer_options)
    return sign_in_with_passkey(answer, ip=IP, device=DEVICE)


def _mails(outbox_dir):
    return [email.message_from_bytes(p.read_bytes()) for p in sorted(outbox_dir.glob("*.eml"))]


def test_an_added_passkey_is_kept_with_its_name_and_flags_and_the_owner_is_told(app, account, outbox_dir):
    with app.test_request_context():
        added = _added(account, SoftAuthenticator(synced=True), "Work laptop")
        kept = passkeys.passkeys_of(str(account.id))
        history = directory().sign_ins(account.id)
    assert [(p.name, p.synced, p.backup_eligible, p.transports) for p in kept] == [
        ("Work laptop", True, True, ("internal",))
    ]
    assert kept[0].id == added.id and kept[0].last_used_at is None
    assert history[0].result == HistoryResult.PASSKEY_ADDED
    mail = _mails(outbox_dir)[-1]
    assert mail["Subject"] == "A passkey was added to your account" and mail["To"] == account.email


def test_a_device_bound_passkey_is_not_synced(app, account):
    with app.test_request_context():
        _added(account, SoftAuthenticator(synced=False))
        assert passkeys.passkeys_of(str(account.id))[0].synced is False


def test_the_same_passkey_cannot_be_added_twice(app, account):
    authenticator = SoftAuthenticator()
    with app.test_request_context():
        _added(account, authenticator)
        with pytest.raises(passkeys.PasskeyAlreadyAdded):
            _added(account, authenticator)


def test_a_registration_answer_for_another_origin_is_refused(app, account):
    with app.test_request_context():
        answer = SoftAuthenticator().register(registration_options(account), origin="http://evil.example")
        with pytest.raises(PasskeyRefused, match="did not check out"):
            add_passkey(account, answer, "", ip=IP, device=DEVICE)
        assert passkeys.passkeys_of(str(account.id)) == []


def test_a_registration_challenge_works_for_its_own_account_only(app, account):
    with app.test_request_context():
        other = directory().create("sam@example.org", "another calm river 77")
        answer = SoftAuthenticator().register(registration_options(other))
        with pytest.raises(PasskeyRefused, match="expired or was already used"):
            add_passkey(account, answer, "", ip=IP, device=DEVICE)


def test_a_user_verified_passkey_signs_in_as_two_factors(app, account):
    authenticator = SoftAuthenticator(user_verified=True)
    with app.test_request_context():
        enable_without_confirmation(account)
        _added(account, authenticator)
        attempt = _sign_in(authenticator)
        kept = passkeys.passkeys_of(str(account.id))[0]
        history = directory().sign_ins(account.id)
    assert attempt.ok and attempt.result is Attempt.OK and attempt.account.id == account.id
    assert history[0].result == HistoryResult.OK_PASSKEY and (history[0].ip, history[0].device) == (
        IP,
        DEVICE,
    )
    assert kept.sign_count == 1 and kept.last_used_at is not None


def test_a_passkey_without_user_verification_asks_for_the_code_when_two_step_is_on(app, account):
    authenticator = SoftAuthenticator(user_verified=False)
    with app.test_request_context():
        enable_without_confirmation(account)
        _added(account, authenticator)
        attempt = _sign_in(authenticator)
    assert not attempt.ok and attempt.result is Attempt.NEEDS_CODE and attempt.account.id == account.id


def test_a_passkey_without_user_verification_signs_in_when_two_step_is_off(app, account):
    authenticator = SoftAuthenticator(user_verified=False)
    with app.test_request_context():
        _added(account, authenticator)
        assert _sign_in(authenticator).ok


def test_the_synced_flag_is_refreshed_at_each_use(app, account):
    authenticator = SoftAuthenticator(synced=False)
    with app.test_request_context():
        _added(account, authenticator)
        authenticator.synced = True  # the password manager backed it up since
        _sign_in(authenticator)
        assert passkeys.passkeys_of(str(account.id))[0].synced is True


def test_a_bad_signature_is_refused_recorded_and_counted(app, account):
    authenticator = SoftAuthenticator()
    with app.test_request_context():
        _added(account, authenticator)
        with pytest.raises(PasskeyRefused) as refused:
            _sign_in(authenticator, bogus_signature=True)
        assert str(refused.value) == NOT_ACCEPTED and refused.value.http_status == 400
        assert directory().sign_ins(account.id)[0].result == HistoryResult.PASSKEY_REFUSED
        assert directory().get(account.id).failed_count == 1
        assert passkeys.passkeys_of(str(account.id))[0].last_used_at is None


@pytest.mark.parametrize(
    "wrong", [{"origin": "http://localhost.evil.example"}, {"rp_id": "evil.example"}], ids=["origin", "rp-id"]
)
def test_an_answer_for_another_site_is_refused(app, account, wrong):
    authenticator = SoftAuthenticator()
    with app.test_request_context():
        _added(account, authenticator)
        with pytest.raises(PasskeyRefused, match="didn't sign you in"):
            _sign_in(authenticator, **wrong)
        assert directory().sign_ins(account.id)[0].result == HistoryResult.PASSKEY_REFUSED


def test_a_replayed_answer_is_refused(app, account):
    authenticator = SoftAuthenticator()
    with app.test_request_context():
        _added(account, authenticator)
        answer = authenticator.sign_in(sign_in_options(IP))
        assert sign_in_with_passkey(answer, ip=IP, device=DEVICE).ok
        with pytest.raises(PasskeyRefused) as refused:
            sign_in_with_passkey(answer, ip=IP, device=DEVICE)
        assert str(refused.value) == STALE


def test_a_challenge_expires_after_a_few_minutes(app, account):
    authenticator = SoftAuthenticator()
    with app.test_request_context():
        _added(account, authenticator)
        answer = authenticator.sign_in(sign_in_options(IP))
        later = utcnow() + passkeys.CHALLENGE_LIFETIME + timedelta(seconds=1)
        with time_machine.travel(later), pytest.raises(PasskeyRefused, match="expired or was already used"):
            sign_in_with_passkey(answer, ip=IP, device=DEVICE)


def test_a_sign_count_that_went_backwards_is_refused_as_a_possible_clone(app, account):
    authenticator = SoftAuthenticator()
    with app.test_request_context():
        _added(account, authenticator)
        _sign_in(authenticator, count=5)
        with pytest.raises(PasskeyRefused) as refused:
            _sign_in(authenticator, count=3)
        assert str(refused.value) == CLONED
        assert directory().sign_ins(account.id)[0].result == HistoryResult.PASSKEY_CLONED
        entry = db.session.query(AuditEntry).order_by(AuditEntry.id.desc()).first()
        assert entry.action == "sign-in.passkey-refused" and "sign count 3 after 5" in entry.detail["reason"]
        assert passkeys.passkeys_of(str(account.id))[0].sign_count == 5


def test_an_unknown_passkey_gets_the_same_refusal_as_a_bad_signature(app, account):
    with app.test_request_context(), pytest.raises(PasskeyRefused) as refused:
        _sign_in(SoftAuthenticator())
    assert str(refused.value) == NOT_ACCEPTED


def test_a_removed_passkey_is_told_it_was_removed(app, account):
    authenticator = SoftAuthenticator()
    with app.test_request_context():
        added = _added(account, authenticator)
        remove_passkey(account, added.id, ip=IP, device=DEVICE)
        with pytest.raises(PasskeyRemoved) as removed:
            _sign_in(authenticator)
    assert removed.value.http_status == 410 and "removed from your account" in str(removed.value)


def test_removing_a_passkey_is_recorded_and_mailed(app, account, outbox_dir):
    with app.test_request_context():
        added = _added(account, SoftAuthenticator(), "Old tablet")
        assert remove_passkey(account, added.id, ip=IP, device=DEVICE).name == "Old tablet"
        assert passkeys.passkeys_of(str(account.id)) == []
        assert directory().sign_ins(account.id)[0].result == HistoryResult.PASSKEY_REMOVED
    assert _mails(outbox_dir)[-1]["Subject"] == "A passkey was removed from your account"


def test_another_accounts_passkey_cannot_be_removed(app, account):
    with app.test_request_context():
        other = directory().create("sam@example.org", "another calm river 77")
        theirs = _added(other, SoftAuthenticator())
        assert remove_passkey(account, theirs.id, ip=IP, device=DEVICE) is None
        assert len(passkeys.passkeys_of(str(other.id))) == 1


def test_the_last_way_to_sign_in_cannot_be_removed(app, account):
    with app.test_request_context():
        added = _added(account, SoftAuthenticator())
        # an account that signs in with its passkey alone (no password set in this store)
        db.session.execute(update(Account).where(Account.id == account.id).values(password_hash=""))
        db.session.commit()
        with pytest.raises(RemovalRefused, match="last way to sign in"):
            remove_passkey(account, added.id, ip=IP, device=DEVICE)
        assert len(passkeys.passkeys_of(str(account.id))) == 1


def test_unknown_passkeys_spend_the_address_budget_like_unknown_addresses(tmp_path):
    from tests.conftest import build_app

    app = build_app(tmp_path, failures_per_address="3/day")
    with app.test_request_context():
        for _ in range(3):
            with pytest.raises(PasskeyRefused):
                _sign_in(SoftAuthenticator())
        with pytest.raises(PasskeyCeremonyBusy) as busy:
            sign_in_options(IP)
        assert busy.value.http_status == 429
        assert sign_in_options("198.51.100.1")  # another address is not refused


def _listed(options: str) -> list[str]:
    return [c["id"] for c in json.loads(options)["allowCredentials"]]


def test_an_address_typed_lists_its_passkeys_and_an_unknown_one_looks_the_same(app, account):
    authenticator = SoftAuthenticator(user_verified=False)
    with app.test_request_context():
        _added(account, authenticator)
        known = _listed(sign_in_options(IP, account.email))
        unknown = _listed(sign_in_options(IP, "nobody@example.org"))
        assert len(known) == len(unknown) == 3  # padded with made-up ids: the same shape for both
        assert b64(authenticator.credential_id) in known
        assert _listed(sign_in_options(IP, "nobody@example.org")) == unknown  # stable, not random
        assert _listed(sign_in_options(IP)) == []  # nothing typed: any passkey of this site
        for typed in (account.email, "nobody@example.org"):  # no transports to tell one from another
            listed = json.loads(sign_in_options(IP, typed))["allowCredentials"]
            assert all("transports" not in c for c in listed)
        answer = authenticator.sign_in(sign_in_options(IP, account.email))
        assert sign_in_with_passkey(answer, ip=IP, device=DEVICE).ok  # no two-step: one factor is enough


def test_made_up_ids_are_as_long_as_real_ones_are(app):
    from helpdesk.accounts.passkey_ceremony import ID_LENGTHS

    with app.test_request_context():
        lengths = {
            len(base64.urlsafe_b64decode(made_up + "=" * (-len(made_up) % 4)))
            for n in range(40)
            for made_up in _listed(sign_in_options(f"198.51.100.{n}", f"nobody-{n}@example.org"))
        }
    assert lengths <= set(ID_LENGTHS) and len(lengths) >= 3  # not one telltale length
