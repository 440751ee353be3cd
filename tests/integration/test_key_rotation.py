"""`flask keys rotate`, run as an operator would: a new key version; authenticator keys and evidence
sealed anew; recovery codes, authenticator codes and links made before keep working."""

from __future__ import annotations

import base64
import stat

import pyotp
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import select, update

from helpdesk.accounts.directory import directory
from helpdesk.accounts.totp import time_step
from helpdesk.accounts.two_factor import check_second_factor, enable_without_confirmation, new_recovery_codes
from helpdesk.cases.evidence import read, store, version_of
from helpdesk.cases.evidence_store import evidence_store
from helpdesk.extensions import db
from helpdesk.models import Account, AuditEntry, RecoveryCode, utcnow
from tests.conftest import DEMO_PASSWORD
from tests.unit.cases.verification.steps import submitted_request

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n"


def rotate(app) -> str:
    result = app.test_cli_runner().invoke(args=["keys", "rotate"])
    assert result.exit_code == 0, result.output
    return result.output


def stored_secret(account_id: int) -> str:
    db.session.expire_all()
    return db.session.scalar(select(Account.totp_secret).where(Account.id == account_id))


def test_after_a_rotation_old_authenticator_keys_and_recovery_codes_still_work(app, account):
    with app.test_request_context():
        uri, old_codes = enable_without_confirmation(account)
        secret = pyotp.parse_uri(uri).secret
        assert stored_secret(account.id).startswith("v1:")
        item = store(submitted_request(app).id, "id-document", PDF, "application/pdf")
        db.session.commit()

        said = rotate(app)
        assert "new key v2" in said and "1 authenticator key(s) sealed anew under v2" in said
        assert (
            "1 evidence file(s) sealed anew under v2" in said and "kept for what was made before: v1" in said
        )
        keyring_file = app.extensions["helpdesk.settings"].keyring_file
        assert stat.S_IMODE(keyring_file.stat().st_mode) == 0o600

        assert stored_secret(account.id).startswith("v2:")  # sealed anew, the same key inside
        assert directory().totp_secret(account.id) == secret
        assert check_second_factor(account, pyotp.TOTP(secret).now()) == "totp"  # the phone needs nothing
        assert check_second_factor(account, old_codes[0]) == "recovery"  # made under v1, still good
        assert check_second_factor(account, old_codes[0]) is None  # and still used once
        kept = evidence_store().get(item.stored_name)
        assert version_of(kept) == "v2" and read(item) == PDF

        new_codes = new_recovery_codes(account.id)
        assert all(h.startswith("v2$") for h in db.session.scalars(select(RecoveryCode.code_hash)))
        assert check_second_factor(account, new_codes[0]) == "recovery"
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "keys.rotate"))
        assert entry.actor == "command line" and entry.target == "v2"

        assert "new key v3" in rotate(app)
        assert stored_secret(account.id).startswith("v3:")
        assert check_second_factor(account, new_codes[1]) == "recovery"  # v2 codes under v3


def test_a_rotation_seals_an_authenticator_key_stored_before_versions(app, account):
    with app.test_request_context():
        secret = pyotp.random_base32(32)
        key = app.extensions["helpdesk.settings"].secret_key.encode()
        # exactly how SecretBox sealed before key versions
        derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"helpdesk totp secrets").derive(
            key
        )
        unlabelled = Fernet(base64.urlsafe_b64encode(derived)).encrypt(secret.encode()).decode()
        db.session.execute(
            update(Account)
            .where(Account.id == account.id)
            .values(totp_secret=unlabelled, totp_enabled_at=utcnow(), totp_last_step=time_step(utcnow()) - 2)
        )
        db.session.commit()
        assert directory().totp_secret(account.id) == secret
        assert "1 authenticator key(s) sealed anew under v2" in rotate(app)
        assert stored_secret(account.id).startswith("v2:")
        assert check_second_factor(directory().get(account.id), pyotp.TOTP(secret).now()) == "totp"


def test_links_signed_before_a_rotation_still_open(app, fixture_app):
    from helpdesk.cases.browser_handoff import _serializer

    with app.test_request_context():
        ticket = _serializer().dumps({"r": "X", "n": 0})
        rotate(app)
        assert _serializer().loads(ticket) == {"r": "X", "n": 0}
        assert _serializer().dumps({"r": "X", "n": 0}) != ticket  # signed with the new version now


def test_after_a_rotation_passwords_still_work_and_move_to_the_new_pepper(app, account):
    from helpdesk.accounts.directory import directory

    with app.test_request_context():
        rotate(app)
        db.session.expire_all()
        before = db.session.scalar(select(Account.password_hash).where(Account.id == account.id))
        assert before.startswith("peppered-v1$")
        assert directory().check_password(account.id, DEMO_PASSWORD)
        db.session.expire_all()
        after = db.session.scalar(select(Account.password_hash).where(Account.id == account.id))
        assert after.startswith("peppered-v2$") and directory().check_password(account.id, DEMO_PASSWORD)
