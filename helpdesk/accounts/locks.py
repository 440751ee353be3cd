"""Whether an account is locked, as its directory says: the one question every sign-in, reset
code, "Confirm it's you" and unlock asks before it checks anything.

The embedded directory answers from the help center's own escalation (`signin._escalate`);
a directory that locks accounts itself (LDAP's ppolicy, Active Directory) from its own record.
A directory without the `lock-status` capability never reports a lock."""

from __future__ import annotations

from .directory import org_directory
from .org_directory import Capability, LockState


def lock_state(account_id: str) -> LockState:
    org = org_directory()
    if Capability.LOCK_STATUS not in org.capabilities:
        return LockState(False)
    return org.lock_state(account_id)


def is_locked(account_id: str) -> bool:
    return lock_state(account_id).locked
