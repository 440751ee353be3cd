"""Demo accounts in several states, for trying every fix on one machine."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from .accounts.directory import directory
from .accounts.roles import Role
from .accounts.signin import policy
from .accounts.two_factor import enable_without_confirmation
from .models import utcnow

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
        if state in ("locked", "hard-locked"):  # as many wrong passwords as it takes, and the lock
            failures = lock_policy.threshold if state == "locked" else lock_policy.hard_stop
            for _ in range(failures):
                directory().record_failure(account.id)
            until = utcnow() + lock_policy.first * 30 if state == "locked" else None
            directory().lock(account.id, until, failures)
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
    account = directory().find(email)
    if account is not None:
        directory().forget_account(account.id)
