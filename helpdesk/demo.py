"""Demo accounts in several states, for trying every fix on one machine."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from sqlalchemy import delete, update

from .accounts.directory import directory, normalise_email
from .accounts.roles import Role
from .accounts.signin import policy
from .accounts.two_factor import enable_without_confirmation
from .extensions import db
from .models import Account, AccountToken, Device, RecoveryCode, SignInEvent, SignInSession, utcnow

DEMO_ACCOUNTS = (
    # email, password, state, what to try
    ("river@example.org", "violet-harbor-lantern-42", "fine", "signs in normally"),
    ("maple@example.org", "copper-meadow-whistle-17", "locked", "locked after too many attempts"),
    ("stone@example.org", "quiet-orbit-paper-88", "hard-locked", "locked until unlocked by email"),
    ("fern@example.org", "amber-tide-compass-63", "two-factor", "two-step verification on"),
    ("admin@example.org", "granite-willow-beacon-29", "admin", "staff (admin): /staff/, two-step on"),
    # the two-person rule (on by default) needs a second staff member to complete an approval
    ("reviewer@example.org", "cobalt-signal-orchard-51", "staff", "staff: the second approver, two-step on"),
)


def load_demo() -> list[str]:
    """(Re)create the demo accounts in their states; return one line per account."""
    lines = []
    lock_policy = policy()
    for email, password, state, note in DEMO_ACCOUNTS:
        _remove(email)
        account = directory().create(email, password)
        if state == "locked":
            db.session.execute(
                update(Account)
                .where(Account.id == account.id)
                .values(
                    failed_count=lock_policy.threshold,
                    locked_until=utcnow() + lock_policy.first * 30,
                )
            )
        elif state == "hard-locked":
            db.session.execute(
                update(Account)
                .where(Account.id == account.id)
                .values(failed_count=lock_policy.hard_stop, locked_until=None)
            )
        db.session.commit()
        lines.append(f"{email:<22} password: {password:<28} {note}")
        if state in ("admin", "staff"):
            directory().set_role(account.id, Role.ADMIN if state == "admin" else Role.STAFF)
        if state in ("two-factor", "admin", "staff"):
            created = directory().get(account.id)
            assert created is not None  # created above, in this same transaction
            uri, codes = enable_without_confirmation(created)
            secret = parse_qs(urlsplit(uri).query)["secret"][0]
            lines.append(f"{'':<22} authenticator key: {secret}")
            lines.append(f"{'':<22} (oathtool --totp -b {secret} prints the current code)")
            lines.append(f"{'':<22} recovery codes: {' '.join(codes[:3])} …")
    return lines


def _remove(email: str) -> None:
    account = db.session.query(Account).filter_by(email=normalise_email(email)).one_or_none()
    if account is None:
        return
    for table in (SignInEvent, SignInSession, AccountToken, RecoveryCode, Device):
        db.session.execute(delete(table).where(table.account_id == account.id))
    db.session.delete(account)
    db.session.commit()
