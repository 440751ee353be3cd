"""The second factor: checking a code (authenticator or recovery), enrolment, recovery codes,
and the clock-drift resync."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, replace
from typing import Literal

from flask import current_app

from .. import audit
from ..config import settings
from ..keys import Purpose, keyring
from ..mail import MailError
from ..models import utcnow
from ..throttle import allow
from .directory import AccountRecord, HistoryResult, directory
from .history import record_event
from .notices import send_code_reused, tell_owner_of_change
from .totp import (
    Drift,
    clean_code,
    looks_like_totp,
    matching_step,
    measure_drift,
    new_secret,
    provisioning_uri,
    time_step,
)

RECOVERY_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O/1/I/L
RECOVERY_LENGTH = 10  # 31**10 ≈ 2**49.5: short enough to type; each is salted and hashed (ASVS 2.6.2)
RECOVERY_COUNT = 10
RECOVERY_SALT_BYTES = 16  # a unique random salt per code (ASVS 2.6.2 asks for at least 32 bits)
FEW_CODES_LEFT = 3  # this many unused recovery codes or fewer: time to make new ones

CodeKind = Literal["totp", "recovery"]


def few_codes_left(left: int) -> bool:
    """Whether the owner should make new recovery codes now (the pages say so in red)."""
    return left <= FEW_CODES_LEFT


def _unlabelled_pepper() -> bytes:
    """The pepper of the codes made before key versions (an unsalted HMAC; they still work)."""
    return hashlib.sha256(b"helpdesk recovery codes\0" + keyring().first_secret.encode()).digest()


def normalise_recovery_code(code: str) -> str:
    return clean_code(code).upper()


def recovery_code_hash(code: str, salt: str | None = None, version: str | None = None) -> str:
    """A code as stored: `<key version>$<salt>$<HMAC-SHA256 of salt and code>`, with a unique
    random salt per code and the key version's recovery-code pepper (not in the database), so a
    stolen table alone does not let anyone try codes offline, nor one guess test every code."""
    ring = keyring()
    version = version or ring.current
    salt = salt if salt is not None else secrets.token_hex(RECOVERY_SALT_BYTES)
    pepper = ring.derive(Purpose.RECOVERY_CODES, version)
    message = f"{salt}\0{normalise_recovery_code(code)}".encode()
    return f"{version}${salt}${hmac.new(pepper, message, hashlib.sha256).hexdigest()}"


def recovery_code_matches(code: str, stored: str) -> bool:
    """Whether *code* is the one *stored* was made from (under whichever key version made it)."""
    if "$" not in stored:  # made before key versions
        expected = hmac.new(_unlabelled_pepper(), normalise_recovery_code(code).encode(), hashlib.sha256)
        return hmac.compare_digest(expected.hexdigest(), stored)
    version, _, rest = stored.partition("$")
    salt = rest.partition("$")[0]
    if not keyring().has(version):
        return False
    return hmac.compare_digest(recovery_code_hash(code, salt, version), stored)


def use_recovery_code(account_id: str, code: str) -> bool:
    """Use up *code* if it is one of the account's unused recovery codes. The salts make each
    stored code different, so the match is found among the account's few unused codes; the
    database then settles two concurrent uses of it: one wins."""
    if len(normalise_recovery_code(code)) != RECOVERY_LENGTH:
        return False
    accounts = directory()
    for stored in accounts.unused_recovery_codes(account_id):
        if recovery_code_matches(code, stored):
            return accounts.use_recovery_code(account_id, stored)
    return False


def new_recovery_codes(account_id: str) -> list[str]:
    """Ten fresh codes (shown once, grouped for reading); the old set stops working."""
    codes = [
        "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_LENGTH))
        for _ in range(RECOVERY_COUNT)
    ]
    directory().replace_recovery_codes(account_id, [recovery_code_hash(c) for c in codes])
    audit.record("account.recovery-codes-new", actor="owner", target=_email_of(account_id))
    return [f"{c[:5]}-{c[5:]}" for c in codes]


def _email_of(account_id: str) -> str:
    account = directory().get(account_id)
    return account.email if account is not None else f"account {account_id}"


def check_second_factor(account: AccountRecord, code: str) -> CodeKind | None:
    """Accept an authenticator code (at the account's clock offset, never twice) or an unused
    recovery code. The database settles two concurrent uses of one code: one wins."""
    accounts = directory()
    if looks_like_totp(code):
        secret = accounts.totp_secret(account.id)
        if secret is None:
            return None
        around = time_step(utcnow()) + account.totp_offset
        step = matching_step(secret, code, around, window=1)
        if step is None:
            return None
        if accounts.accept_totp_step(account.id, step):
            return "totp"
        _code_reused(account)
        return None
    if use_recovery_code(account.id, code):
        return "recovery"
    return None


REUSE_NOTICES = "1/10 minutes"  # a notice per account at most this often: a double click is no flood


def _code_reused(account: AccountRecord) -> None:
    """A right code typed again (ASVS 2.8.5): refused like a wrong one, and audited; its holder
    is told, since someone may have read it over their shoulder and has their password too."""
    audit.record("account.code-reused", actor="someone with the password", target=account.email)
    if not allow("code-reused-notice", str(account.id), REUSE_NOTICES):
        return
    try:
        send_code_reused(account)
    except MailError:
        current_app.logger.warning("code-reused notice (subject: a code of yours was used twice) not sent")


@dataclass(frozen=True)
class Enrolment:
    secret: str
    uri: str


def begin_enrolment(account: AccountRecord) -> Enrolment:
    secret = new_secret()
    return Enrolment(secret, provisioning_uri(secret, account.email, settings().site_name))


def confirm_enrolment(
    account: AccountRecord, secret: str, code: str, *, ip: str = "", device: str = ""
) -> list[str] | None:
    """Switch two-factor on once a code from the new key checks out; returns the new recovery codes.

    The caller made sure the person proved it was them (`reauth`). The owner's history gets the
    change and the owner a mail saying what changed, when and from where (*ip*, *device*).
    """
    step = matching_step(secret, code, time_step(utcnow()), window=1)
    if step is None:
        return None
    directory().enable_totp(account.id, secret, step)
    audit.record(
        "account.authenticator-enrolled",
        actor="owner",
        target=account.email,
        ip=ip,
        replaced=account.two_factor,
    )
    codes = new_recovery_codes(account.id)
    change = (
        HistoryResult.AUTHENTICATOR_REPLACED if account.two_factor else HistoryResult.AUTHENTICATOR_ENROLLED
    )
    record_event(account.id, change, ip=ip, device=device)
    tell_owner_of_change(account, change, ip=ip, device=device)
    return codes


def regenerate_recovery_codes(account: AccountRecord, *, ip: str, device: str) -> list[str]:
    """The owner's "make new recovery codes" (after proving it was them): the new set, shown once;
    the old set stops working, the history says so and the owner is mailed."""
    codes = new_recovery_codes(account.id)
    record_event(account.id, HistoryResult.RECOVERY_CODES_NEW, ip=ip, device=device)
    tell_owner_of_change(account, HistoryResult.RECOVERY_CODES_NEW, ip=ip, device=device)
    return codes


def resync(account: AccountRecord, code: str, code2: str) -> Drift:
    """Measure the phone's clock from two consecutive codes and verify at that offset from now on.

    The replay check compares on the server's clock, after the measured offset is applied: a phone
    measured minutes slow shows steps "before" the last code accepted, yet they are new. Codes
    that were accepted already (the same two again) come back as `used`, not as a mismatch.
    """
    secret = directory().totp_secret(account.id)
    if secret is None:
        return Drift("no-match")
    drift = measure_drift(secret, code, code2, utcnow(), settings().resync_window_seconds)
    if drift.status == "found" and not directory().accept_totp_step(
        account.id, drift.last_step, offset=drift.offset_steps
    ):
        return replace(drift, status="used")  # they prove nothing new
    if drift.status == "found":
        audit.record(
            "account.authenticator-resynced",
            actor="person",
            target=account.email,
            offset_steps=drift.offset_steps,
        )
    return drift


def enable_without_confirmation(account: AccountRecord) -> tuple[str, list[str]]:
    """For operators (the command line, the demo): a new key switched on at once.

    Returns the otpauth URI and the recovery codes. The current step is not marked used,
    so the first code the person types works.
    """
    enrolment = begin_enrolment(account)
    directory().enable_totp(account.id, enrolment.secret, time_step(utcnow()) - 2)
    return enrolment.uri, new_recovery_codes(account.id)
