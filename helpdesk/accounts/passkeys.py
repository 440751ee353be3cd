"""The account's passkeys (WebAuthn credentials) and the challenges of their ceremonies, as the
embedded store keeps them: the only code that reads or writes the passkey tables.

Passkeys are keyed by the account id as a string (`str(account.id)`), with no foreign key: the
help center keeps them for any directory's accounts (`Capability.PASSKEYS`). Challenges are kept
in the database, not in one worker's memory, so any worker on any machine can finish a ceremony
another began; each is taken once (a DELETE that finds it), and only before it expires.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from flask_babel import lazy_gettext
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from ..errors import DomainError
from ..extensions import db, rowcount
from ..models import Passkey, RemovedPasskey, WebAuthnChallenge, utcnow

CHALLENGE_LIFETIME = timedelta(minutes=5)
NAME_LENGTH = 60


class Ceremony(StrEnum):
    """What a challenge was handed out for."""

    REGISTER = "register"
    SIGN_IN = "sign-in"


@dataclass(frozen=True)
class PasskeyRecord:
    """One passkey of an account, as the pages and the ceremonies need it."""

    id: int
    account_id: str
    credential_id: bytes
    public_key: bytes
    sign_count: int
    transports: tuple[str, ...]
    aaguid: str
    backup_eligible: bool
    backed_up: bool
    name: str
    created_at: datetime
    last_used_at: datetime | None

    @property
    def synced(self) -> bool:
        """Backed up by its password manager or phone account ("synced"), else bound to one device."""
        return self.backed_up


def _record(row: Passkey) -> PasskeyRecord:
    return PasskeyRecord(
        id=row.id,
        account_id=row.account_id,
        credential_id=bytes(row.credential_id),
        public_key=bytes(row.public_key),
        sign_count=row.sign_count,
        transports=tuple(row.transports or ()),
        aaguid=row.aaguid,
        backup_eligible=row.backup_eligible,
        backed_up=row.backed_up,
        name=row.name,
        created_at=row.created_at,
        last_used_at=row.last_used_at,
    )


class PasskeyAlreadyAdded(DomainError):
    """The authenticator's credential is already one of the account's passkeys."""

    http_status = 409

    def __init__(self) -> None:
        super().__init__(
            lazy_gettext("This passkey is already on your account: there is nothing more to add.")
        )


def passkeys_of(account_id: str) -> list[PasskeyRecord]:
    """The account's passkeys, oldest first."""
    rows = db.session.scalars(
        select(Passkey).where(Passkey.account_id == str(account_id)).order_by(Passkey.id)
    )
    return [_record(row) for row in rows]


def by_credential(credential_id: bytes) -> PasskeyRecord | None:
    row = db.session.scalar(select(Passkey).where(Passkey.credential_id == credential_id))
    return _record(row) if row else None


def was_removed(credential_id: bytes) -> bool:
    """Whether this credential was once a passkey of an account, and was removed."""
    found = db.session.get(RemovedPasskey, credential_id)
    return found is not None


def clean_name(name: str) -> str:
    """A passkey's name as kept: printable, trimmed, at most NAME_LENGTH characters."""
    printable = "".join(ch if ch.isprintable() else " " for ch in name)
    return " ".join(printable.split())[:NAME_LENGTH]


def add(
    account_id: str,
    *,
    credential_id: bytes,
    public_key: bytes,
    sign_count: int,
    transports: list[str],
    aaguid: str,
    backup_eligible: bool,
    backed_up: bool,
    name: str,
) -> PasskeyRecord:
    """Keep a newly registered passkey; PasskeyAlreadyAdded if its credential is known already
    (the unique credential id decides, even between two concurrent registrations)."""
    row = Passkey(
        account_id=str(account_id),
        credential_id=credential_id,
        public_key=public_key,
        sign_count=sign_count,
        transports=[t for t in transports if isinstance(t, str)][:10],
        aaguid=aaguid[:36],
        backup_eligible=backup_eligible,
        backed_up=backed_up,
        name=clean_name(name) or "Passkey",
        created_at=utcnow(),
    )
    db.session.add(row)
    try:
        db.session.commit()
    except IntegrityError as exc:
        db.session.rollback()
        raise PasskeyAlreadyAdded() from exc
    return _record(row)


def rename(account_id: str, passkey_id: int, name: str) -> bool:
    """Give the account's passkey a new name; False if it is not one of the account's."""
    cleaned = clean_name(name)
    if not cleaned:
        return False
    changed = db.session.execute(
        update(Passkey)
        .where(Passkey.id == passkey_id, Passkey.account_id == str(account_id))
        .values(name=cleaned)
    )
    db.session.commit()
    return rowcount(changed) == 1


def _forget(rows: list[Passkey]) -> None:
    now = utcnow()
    for row in rows:
        credential = bytes(row.credential_id)
        if db.session.get(RemovedPasskey, credential) is None:
            db.session.add(RemovedPasskey(credential_id=credential, removed_at=now))
        db.session.delete(row)


def remove(account_id: str, passkey_id: int) -> PasskeyRecord | None:
    """Remove the account's passkey (remembered as removed); None if it is not one of the account's."""
    row = db.session.scalar(
        select(Passkey).where(Passkey.id == passkey_id, Passkey.account_id == str(account_id))
    )
    if row is None:
        return None
    removed = _record(row)
    _forget([row])
    db.session.commit()
    return removed


def remove_all(account_id: str) -> int:
    """Remove every passkey of the account (after a recovery); how many there were."""
    rows = list(db.session.scalars(select(Passkey).where(Passkey.account_id == str(account_id))))
    _forget(rows)
    db.session.commit()
    return len(rows)


def record_use(passkey: PasskeyRecord, new_sign_count: int, backed_up: bool) -> bool:
    """A verified sign-in with *passkey*: its new count, whether it is synced now, when. False when
    another sign-in with it was recorded in between (its count is no longer the one checked)."""
    used = db.session.execute(
        update(Passkey)
        .where(Passkey.id == passkey.id, Passkey.sign_count == passkey.sign_count)
        .values(sign_count=new_sign_count, backed_up=backed_up, last_used_at=utcnow())
    )
    db.session.commit()
    return rowcount(used) == 1


# challenges


def issue_challenge(ceremony: Ceremony, account_id: str = "") -> bytes:
    """A new random challenge for *ceremony* (and, for a registration, the signed-in account),
    kept until it is taken or expires. Expired ones are cleared on the way."""
    now = utcnow()
    db.session.execute(delete(WebAuthnChallenge).where(WebAuthnChallenge.expires_at <= now))
    challenge = secrets.token_bytes(32)
    db.session.add(
        WebAuthnChallenge(
            challenge=challenge,
            purpose=str(ceremony),
            account_id=str(account_id),
            created_at=now,
            expires_at=now + CHALLENGE_LIFETIME,
        )
    )
    db.session.commit()
    return challenge


def take_challenge(challenge: bytes, ceremony: Ceremony, account_id: str = "") -> bool:
    """Use up *challenge*: True once, if it was issued for this ceremony (and account) and has not
    expired; the database decides between two requests that bring the same one."""
    taken = db.session.execute(
        delete(WebAuthnChallenge).where(
            WebAuthnChallenge.challenge == challenge,
            WebAuthnChallenge.purpose == str(ceremony),
            WebAuthnChallenge.account_id == str(account_id),
            WebAuthnChallenge.expires_at > utcnow(),
        )
    )
    db.session.commit()
    return rowcount(taken) == 1
