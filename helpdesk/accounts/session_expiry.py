"""Sign-ins that outlive their limits: the limits in force, and the audit entry of each one that ends.

A session ends server-side when its row says so (`AccountDirectory.look_up_session`); this module
records why, once, as a security event the owner's history can show.
"""

from __future__ import annotations

from .. import audit
from ..config import settings
from .directory import HistoryResult, SessionLimits, SessionLookup, SessionState, directory
from .history import record_event

# the audit actions of a sign-in ended by a limit (the owner's history shows them)
SIGNED_OUT_IDLE = "account.signed-out-idle"
SIGNED_OUT_TIMED_OUT = "account.signed-out-timed-out"
EVENTS = {SessionState.IDLE: SIGNED_OUT_IDLE, SessionState.TIMED_OUT: SIGNED_OUT_TIMED_OUT}


def limits() -> SessionLimits:
    """The limits the settings set."""
    return SessionLimits.of(settings())


def look_up(token: str, *, ip: str = "", device: str = "") -> SessionLookup:
    """The session behind *token* under the configured limits; one it finds past a limit is
    ended and audited (by the one request that ended it)."""
    found = directory().look_up_session(token, limits())
    if found.ended_now:
        record_expiry(found, ip=ip, device=device)
    return found


def end_expired(account_id: str, *, ip: str = "") -> list[SessionLookup]:
    """End and audit the account's sessions that are past a limit though no browser came back to
    notice (a closed browser): done at each sign-in, so the list of sessions stays true."""
    ended = directory().end_expired_sessions(account_id, limits())
    for found in ended:
        record_expiry(found, ip=ip, noticed="sign-in")
    return ended


def record_expiry(found: SessionLookup, *, ip: str = "", **detail: str) -> None:
    """The audit entry of a session *found* past a limit (idle or timed out)."""
    if found.account is None or found.state not in EVENTS:
        return
    in_force = limits()
    if found.state is SessionState.IDLE:
        detail["idle_minutes"] = str(int(in_force.idle_for(found.account.role).total_seconds() // 60))
    else:
        detail["hours"] = str(int(in_force.absolute.total_seconds() // 3600))
    audit.record(
        EVENTS[found.state],
        actor="system",
        target=found.account.email,
        ip=ip,
        session=str(found.session_id),
        **detail,
    )
    # and in the owner's own history, beside the sign-in it ended
    history = {SessionState.IDLE: HistoryResult.SIGNED_OUT_IDLE}
    record_event(found.account.id, history.get(found.state, HistoryResult.SIGNED_OUT_EXPIRED), ip=ip)
    if found.account.role:  # and among the staff sign-outs, like one by hand (web/sessions.end)
        audit.record("staff.sign-out", actor=found.account.email, ip=ip, reason=str(found.state))
