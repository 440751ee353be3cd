"""The embedded account directory on SQL: every method, and the conditional updates that let the
database decide between concurrent requests."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from argon2 import PasswordHasher
from sqlalchemy import select, update

from helpdesk.accounts.directory import AccountExists, SessionLimits, SessionState
from helpdesk.accounts.passwords import needs_rehash
from helpdesk.accounts.sql import SESSION_TOUCH, SqlAccountDirectory
from helpdesk.extensions import db
from helpdesk.models import Account, Device, SignInSession
from tests.conftest import DEMO_PASSWORD
from tests.support import at_once

T0 = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
OTHER_PASSWORD = "copper-meadow-whistle-17"


@pytest.fixture
def sql(app) -> SqlAccountDirectory:
    directory = app.extensions["helpdesk.directory"]
    assert isinstance(directory, SqlAccountDirectory)
    return directory


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield


def _stored(account_id: int) -> Account:
    db.session.expire_all()
    return db.session.get(Account, account_id)


def _concurrently(app, count: int, work):
    """*work()* in *count* threads at once, each in its own app context (its own DB session)."""

    def in_context():
        with app.app_context():
            try:
                return work()
            finally:
                db.session.remove()

    return at_once(count, in_context)


# finding and creating


def test_find_ignores_case_and_surrounding_spaces(sql, ctx, account):
    assert sql.find("  Pat@Example.ORG ").id == account.id


def test_find_an_unknown_address_is_none(sql, ctx, account):
    assert sql.find("nobody@example.org") is None


def test_get_by_id(sql, ctx, account):
    assert sql.get(account.id).email == "pat@example.org"
    assert sql.get(account.id + "0") is None
    assert sql.get("1000") is None


def test_create_stores_the_address_case_folded(sql, ctx):
    assert sql.create(" Sam@Example.org", DEMO_PASSWORD).email == "sam@example.org"


def test_create_stores_an_argon2id_hash_not_the_password(sql, ctx, account):
    stored = _stored(account.id).password_hash
    assert stored.startswith("peppered-v1$$argon2id$") and DEMO_PASSWORD not in stored


def test_create_refuses_an_address_taken_in_another_case(sql, ctx, account):
    with pytest.raises(AccountExists):
        sql.create("PAT@example.org", OTHER_PASSWORD)
    assert sql.find("pat@example.org").id == account.id  # the session is usable after the refusal


def test_a_new_account_has_no_failures_lock_role_or_two_factor(sql, ctx, account):
    assert (account.failed_count, account.locked_until, account.role, account.two_factor) == (
        0,
        None,
        None,
        False,
    )


# passwords


def test_check_password_accepts_the_right_password_only(sql, ctx, account):
    assert sql.check_password(account.id, DEMO_PASSWORD)
    assert not sql.check_password(account.id, OTHER_PASSWORD)


def test_check_password_of_an_unknown_account_is_false(sql, ctx):
    assert not sql.check_password("4242", DEMO_PASSWORD)


def _store_old_hash(account_id: int, password: str) -> str:
    old = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash(password)
    db.session.execute(update(Account).where(Account.id == account_id).values(password_hash=old))
    db.session.commit()
    return old


def test_a_hash_with_old_parameters_is_upgraded_at_a_right_password(sql, ctx, account):
    old = _store_old_hash(account.id, DEMO_PASSWORD)
    assert sql.check_password(account.id, DEMO_PASSWORD)
    upgraded = _stored(account.id).password_hash
    assert upgraded != old and not needs_rehash(upgraded)
    assert sql.check_password(account.id, DEMO_PASSWORD)


def test_a_password_is_stored_with_the_keyring_s_pepper_and_an_unpeppered_one_gains_it(sql, ctx, account):
    assert _stored(account.id).password_hash.startswith("peppered-v1$$argon2id$")
    plain = PasswordHasher().hash(DEMO_PASSWORD)  # a hash from before peppers
    db.session.execute(update(Account).where(Account.id == account.id).values(password_hash=plain))
    db.session.commit()
    assert sql.check_password(account.id, DEMO_PASSWORD)
    assert _stored(account.id).password_hash.startswith("peppered-v1$")


def test_a_wrong_password_leaves_an_old_hash_as_it_is(sql, ctx, account):
    old = _store_old_hash(account.id, DEMO_PASSWORD)
    assert not sql.check_password(account.id, OTHER_PASSWORD)
    assert _stored(account.id).password_hash == old


def test_set_password_replaces_the_password(sql, ctx, account):
    sql.set_password(account.id, OTHER_PASSWORD)
    assert sql.check_password(account.id, OTHER_PASSWORD)
    assert not sql.check_password(account.id, DEMO_PASSWORD)


def test_set_password_clears_failures_and_lock_and_notes_the_time(sql, ctx, account):
    sql.record_failure(account.id)
    sql.lock(account.id, T0 + timedelta(hours=1), 1)
    with time_machine.travel(T0, tick=False):
        sql.set_password(account.id, OTHER_PASSWORD)
    changed = sql.get(account.id)
    assert (changed.failed_count, changed.locked_until, changed.password_changed_at) == (0, None, T0)


def test_set_password_ends_every_session(sql, ctx, account):
    tokens = [sql.start_session(account.id, "198.51.100.1", "Firefox") for _ in range(2)]
    sql.set_password(account.id, OTHER_PASSWORD)
    assert [sql.session_account(t) for t in tokens] == [None, None]


def test_note_password_sets_weak_and_leaves_from_recovery_when_not_given(sql, ctx, account):
    sql.note_password(account.id, weak=True, from_recovery=True)
    sql.note_password(account.id, weak=False)
    noted = sql.get(account.id)
    assert (noted.password_weak, noted.password_from_recovery) == (False, True)


# failures and locks


def test_record_failure_returns_the_increasing_consecutive_count(sql, ctx, account):
    assert [sql.record_failure(account.id) for _ in range(3)] == [1, 2, 3]
    assert sql.get(account.id).failed_count == 3


def test_concurrent_failures_each_get_their_own_count(app, sql, account):
    counts = _concurrently(app, 6, lambda: sql.record_failure(account.id))
    assert sorted(counts) == [1, 2, 3, 4, 5, 6]


def test_lock_at_the_current_count_locks(sql, ctx, account):
    count = sql.record_failure(account.id)
    assert sql.lock(account.id, T0, count)
    assert sql.get(account.id).locked_until == T0


def test_a_lock_for_a_count_cleared_since_is_refused(sql, ctx, account):
    count = sql.record_failure(account.id)
    sql.clear_failures(account.id)  # the owner signed in meanwhile
    assert not sql.lock(account.id, T0, count)
    assert sql.get(account.id).locked_until is None


def test_a_late_lock_for_a_stale_count_does_not_overwrite_the_lock(sql, ctx, account):
    count = sql.record_failure(account.id)
    sql.lock(account.id, T0, count)
    sql.record_failure(account.id)
    assert not sql.lock(account.id, T0 + timedelta(hours=1), count)
    assert sql.get(account.id).locked_until == T0


def test_a_lock_is_not_lost_when_a_further_failure_is_counted_before_it(sql, ctx, account):
    counts = [sql.record_failure(account.id) for _ in range(3)]
    sql.record_failure(account.id)  # a parallel guess, counted before the third one's lock
    sql.lock(account.id, T0 + timedelta(minutes=1), counts[-1])
    assert sql.get(account.id).locked_until == T0 + timedelta(minutes=1)


def test_a_lock_for_an_earlier_count_does_not_overwrite_a_later_ones(sql, ctx, account):
    counts = [sql.record_failure(account.id) for _ in range(4)]
    assert sql.lock(account.id, T0 + timedelta(hours=1), counts[3])
    assert not sql.lock(account.id, T0, counts[2])
    assert sql.get(account.id).locked_until == T0 + timedelta(hours=1)


def test_a_lock_sets_the_level_only_while_it_is_the_level_seen(sql, ctx, account):
    count = sql.record_failure(account.id)
    with time_machine.travel(T0, tick=False):
        assert sql.lock(account.id, T0, count, level=3, seen_level=0)
    locked = sql.get(account.id)
    assert (locked.lock_level, locked.last_locked_at) == (3, T0)
    count = sql.record_failure(account.id)
    assert not sql.lock(account.id, T0, count, level=1, seen_level=0)  # another lock moved it to 3
    assert sql.get(account.id).lock_level == 3


def test_clearing_failures_keeps_the_lock_level(sql, ctx, account):
    count = sql.record_failure(account.id)
    sql.lock(account.id, T0, count, level=2, seen_level=0)
    sql.clear_failures(account.id)
    assert sql.get(account.id).lock_level == 2
    assert sql.lock(account.id, T0, sql.record_failure(account.id))  # a new run locks again


def test_clear_failures_resets_the_count_and_lift_the_lock(sql, ctx, account):
    count = sql.record_failure(account.id)
    sql.lock(account.id, T0 + timedelta(hours=1), count)
    sql.clear_failures(account.id)
    cleared = sql.get(account.id)
    assert (cleared.failed_count, cleared.locked_until) == (0, None)
    assert sql.record_failure(account.id) == 1


# the sign-in history


def test_sign_ins_lists_the_newest_first_up_to_the_limit(sql, ctx, account):
    for result in ("ok", "wrong-password", "locked"):
        sql.record_sign_in(account.id, result, "198.51.100.1", "Firefox")
    assert [r.result for r in sql.sign_ins(account.id, limit=2)] == ["locked", "wrong-password"]


def test_sign_ins_keep_address_and_device(sql, ctx, account):
    sql.record_sign_in(account.id, "ok", "203.0.113.7", "Safari on iPhone")
    (record,) = sql.sign_ins(account.id)
    assert (record.ip, record.device) == ("203.0.113.7", "Safari on iPhone")


def test_failed_sign_ins_are_only_the_refused_ones_after_since(sql, ctx, account):
    with time_machine.travel(T0, tick=False):
        sql.record_sign_in(account.id, "wrong-password", "198.51.100.1", "old")
    with time_machine.travel(T0 + timedelta(days=1), tick=False):
        for result in ("ok", "wrong-code", "locked", "wrong-password"):
            sql.record_sign_in(account.id, result, "198.51.100.1", "new")
    failed = sql.failed_sign_ins(account.id, since=T0)
    assert [r.result for r in failed] == ["wrong-password", "locked", "wrong-code"]


def test_failed_sign_ins_stop_at_the_limit(sql, ctx, account):
    for _ in range(4):
        sql.record_sign_in(account.id, "wrong-password", "198.51.100.1", "Firefox")
    assert len(sql.failed_sign_ins(account.id, since=T0 - timedelta(days=3650), limit=3)) == 3


def test_failed_sign_ins_of_another_account_are_not_listed(sql, ctx, account):
    other = sql.create("sam@example.org", DEMO_PASSWORD)
    sql.record_sign_in(other.id, "wrong-password", "198.51.100.1", "Firefox")
    assert sql.failed_sign_ins(account.id, since=T0 - timedelta(days=3650)) == []


def test_failures_reviewed_moves_forward(sql, ctx, account):
    sql.mark_failures_reviewed(account.id, T0)
    sql.mark_failures_reviewed(account.id, T0 + timedelta(hours=1))
    assert sql.get(account.id).failures_reviewed_at == T0 + timedelta(hours=1)


def test_failures_reviewed_never_moves_back(sql, ctx, account):
    sql.mark_failures_reviewed(account.id, T0)
    sql.mark_failures_reviewed(account.id, T0 - timedelta(hours=1))
    assert sql.get(account.id).failures_reviewed_at == T0


# sessions


def test_a_session_token_finds_its_account_and_session(sql, ctx, account):
    token = sql.start_session(account.id, "198.51.100.1", "Firefox")
    found, session_id = sql.session_account(token)
    assert found.id == account.id
    assert [s.id for s in sql.sessions(account.id)] == [session_id]


def test_only_the_hash_of_a_session_token_is_stored(sql, ctx, account):
    token = sql.start_session(account.id, "198.51.100.1", "Firefox")
    assert db.session.scalars(select(SignInSession.token_hash)).all() == [
        hashlib.sha256(token.encode()).hexdigest()
    ]


def test_session_tokens_are_256_random_bits(sql, ctx, account):
    tokens = {sql.start_session(account.id, "198.51.100.1", "Firefox") for _ in range(20)}
    assert len(tokens) == 20  # never the same twice
    for token in tokens:  # token_urlsafe(32): 32 bytes from the OS's generator, 43 characters
        assert len(token) == 43 and len(base64.urlsafe_b64decode(token + "=")) == 32


def test_an_unknown_session_token_finds_nothing(sql, ctx, account):
    sql.start_session(account.id, "198.51.100.1", "Firefox")
    assert sql.session_account("not-a-token") is None


def test_last_seen_is_written_only_once_it_is_stale(sql, ctx, account):
    with time_machine.travel(T0, tick=False):
        token = sql.start_session(account.id, "198.51.100.1", "Firefox")
    with time_machine.travel(T0 + SESSION_TOUCH - timedelta(seconds=1), tick=False):
        sql.session_account(token)
        assert sql.sessions(account.id)[0].last_seen_at == T0
    with time_machine.travel(T0 + SESSION_TOUCH + timedelta(seconds=1), tick=False):
        sql.session_account(token)
        assert sql.sessions(account.id)[0].last_seen_at == T0 + SESSION_TOUCH + timedelta(seconds=1)


def test_end_session_ends_that_session_only(sql, ctx, account):
    ended = sql.start_session(account.id, "198.51.100.1", "Firefox")
    kept = sql.start_session(account.id, "198.51.100.2", "Chrome")
    sql.end_session(ended)
    assert sql.session_account(ended) is None and sql.session_account(kept) is not None


def test_end_sessions_ends_all_and_counts_them(sql, ctx, account):
    tokens = [sql.start_session(account.id, "198.51.100.1", "Firefox") for _ in range(3)]
    assert sql.end_sessions(account.id) == 3
    assert all(sql.session_account(t) is None for t in tokens)
    assert sql.end_sessions(account.id) == 0  # already ended: nothing more to count


def test_end_sessions_keeps_the_given_one(sql, ctx, account):
    keep = sql.start_session(account.id, "198.51.100.1", "Firefox")
    sql.start_session(account.id, "198.51.100.2", "Chrome")
    assert sql.end_sessions(account.id, keep_token=keep) == 1
    assert sql.session_account(keep) is not None


def test_sessions_are_listed_most_recently_active_first(sql, ctx, account):
    with time_machine.travel(T0, tick=False):
        older = sql.start_session(account.id, "198.51.100.1", "Firefox")
        sql.start_session(account.id, "198.51.100.2", "Chrome")
    with time_machine.travel(T0 + timedelta(minutes=10), tick=False):
        sql.session_account(older)  # active again
        assert [s.device for s in sql.sessions(account.id)] == ["Firefox", "Chrome"]


LIMITS = SessionLimits(
    idle=timedelta(minutes=30), absolute=timedelta(hours=12), staff_idle=timedelta(minutes=10)
)


def test_a_session_left_idle_past_the_limit_signs_nobody_in_and_is_ended(sql, ctx, account):
    with time_machine.travel(T0, tick=False):
        token = sql.start_session(account.id, "198.51.100.1", "Firefox")
    with time_machine.travel(T0 + timedelta(minutes=30), tick=False):
        assert sql.look_up_session(token, LIMITS).state is SessionState.LIVE
    with time_machine.travel(T0 + timedelta(minutes=61), tick=False):
        found = sql.look_up_session(token, LIMITS)
        assert (found.state, found.account.id, found.ended_now) == (SessionState.IDLE, account.id, True)
        assert sql.look_up_session(token, LIMITS).state is SessionState.ENDED  # in every worker
    ended_at = db.session.scalar(select(SignInSession.ended_at))
    assert ended_at == T0 + timedelta(minutes=61)


def test_activity_moves_the_idle_limit_on(sql, ctx, account):
    with time_machine.travel(T0, tick=False):
        token = sql.start_session(account.id, "198.51.100.1", "Firefox")
    for minutes in (25, 50, 75, 100):  # never 30 minutes apart
        with time_machine.travel(T0 + timedelta(minutes=minutes), tick=False):
            assert sql.look_up_session(token, LIMITS).signed_in
    with time_machine.travel(T0 + timedelta(minutes=131), tick=False):
        assert sql.look_up_session(token, LIMITS).state is SessionState.IDLE


def test_a_session_ends_after_the_absolute_limit_however_active(sql, ctx, account):
    with time_machine.travel(T0, tick=False):
        token = sql.start_session(account.id, "198.51.100.1", "Firefox")
    for minutes in range(20, 12 * 60 + 1, 20):
        with time_machine.travel(T0 + timedelta(minutes=minutes), tick=False):
            assert sql.look_up_session(token, LIMITS).signed_in
    with time_machine.travel(T0 + timedelta(hours=12, minutes=1), tick=False):
        assert sql.look_up_session(token, LIMITS).state is SessionState.TIMED_OUT


def test_staff_sessions_go_idle_at_the_stricter_staff_limit(sql, ctx, account):
    sql.set_role(account.id, "staff")
    with time_machine.travel(T0, tick=False):
        token = sql.start_session(account.id, "198.51.100.1", "Firefox")
    with time_machine.travel(T0 + timedelta(minutes=11), tick=False):
        assert sql.look_up_session(token, LIMITS).state is SessionState.IDLE


def test_session_account_applies_the_configured_limits(sql, ctx, account):
    with time_machine.travel(T0, tick=False):
        token = sql.start_session(account.id, "198.51.100.1", "Firefox")
    with time_machine.travel(T0 + timedelta(minutes=31), tick=False):  # the default: 30 minutes
        assert sql.session_account(token) is None


def test_only_one_of_two_lookups_ends_an_expired_session(sql, ctx, account):
    with time_machine.travel(T0, tick=False):
        token = sql.start_session(account.id, "198.51.100.1", "Firefox")
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        db.session.expire_all()
        first = sql.look_up_session(token, LIMITS)
        second = sql.look_up_session(token, LIMITS)
    assert (first.ended_now, second.ended_now) == (True, False)


def test_expired_sessions_are_not_listed_and_are_ended_on_request(sql, ctx, account):
    with time_machine.travel(T0, tick=False):
        stale = sql.start_session(account.id, "198.51.100.1", "Firefox")
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        fresh = sql.start_session(account.id, "198.51.100.2", "Chrome")
        assert [s.device for s in sql.sessions(account.id)] == ["Chrome"]
        ended = sql.end_expired_sessions(account.id, LIMITS)
        assert [(e.state, e.ended_now) for e in ended] == [(SessionState.IDLE, True)]
        assert sql.end_expired_sessions(account.id, LIMITS) == []
        assert sql.look_up_session(stale, LIMITS).state is SessionState.ENDED
        assert sql.look_up_session(fresh, LIMITS).signed_in


# two-factor


def test_no_authenticator_key_before_enrolment(sql, ctx, account):
    assert sql.totp_secret(account.id) is None


def test_the_authenticator_key_is_stored_sealed_and_read_back(sql, ctx, account):
    sql.enable_totp(account.id, "JBSWY3DPEHPK3PXP", accepted_step=100)
    assert sql.totp_secret(account.id) == "JBSWY3DPEHPK3PXP"
    assert "JBSWY3DPEHPK3PXP" not in _stored(account.id).totp_secret


def test_enabling_two_factor_clears_must_enrol(sql, ctx, account):
    db.session.execute(update(Account).where(Account.id == account.id).values(must_enrol_2fa=True))
    db.session.commit()
    with time_machine.travel(T0, tick=False):
        sql.enable_totp(account.id, "JBSWY3DPEHPK3PXP", accepted_step=100)
    enabled = sql.get(account.id)
    assert (enabled.totp_enabled_at, enabled.must_enrol_2fa, enabled.two_factor) == (T0, False, True)


def test_disabling_two_factor_forgets_the_key_and_the_recovery_codes(sql, ctx, account):
    sql.enable_totp(account.id, "JBSWY3DPEHPK3PXP", accepted_step=100)
    sql.replace_recovery_codes(account.id, ["a" * 64, "b" * 64])
    sql.disable_totp(account.id)
    assert (sql.totp_secret(account.id), sql.get(account.id).two_factor) == (None, False)
    assert sql.recovery_codes_left(account.id) == 0


def test_a_later_authenticator_step_is_accepted(sql, ctx, account):
    sql.enable_totp(account.id, "JBSWY3DPEHPK3PXP", accepted_step=100)
    assert sql.accept_totp_step(account.id, 101)
    assert sql.accept_totp_step(account.id, 105)


def test_an_authenticator_step_used_already_or_earlier_is_refused(sql, ctx, account):
    sql.enable_totp(account.id, "JBSWY3DPEHPK3PXP", accepted_step=100)
    assert not sql.accept_totp_step(account.id, 100)
    assert not sql.accept_totp_step(account.id, 99)


def test_accepting_a_step_stores_the_offset_only_when_given(sql, ctx, account):
    sql.enable_totp(account.id, "JBSWY3DPEHPK3PXP", accepted_step=100)
    assert sql.accept_totp_step(account.id, 110, offset=8)
    assert sql.accept_totp_step(account.id, 111)
    assert sql.get(account.id).totp_offset == 8


def test_a_step_with_a_new_offset_is_compared_on_the_servers_clock(sql, ctx, account):
    sql.enable_totp(account.id, "JBSWY3DPEHPK3PXP", accepted_step=100)
    # a phone 10 steps slow shows step 95 at the server's step 105: before 100, yet later in time
    assert sql.accept_totp_step(account.id, 95, offset=-10)
    assert (sql.get(account.id).totp_offset, sql.accept_totp_step(account.id, 96)) == (-10, True)


def test_a_step_with_a_new_offset_at_or_before_the_last_on_the_servers_clock_is_refused(sql, ctx, account):
    sql.enable_totp(account.id, "JBSWY3DPEHPK3PXP", accepted_step=100)
    assert not sql.accept_totp_step(account.id, 110, offset=10)  # the server's step 100: used
    assert not sql.accept_totp_step(account.id, 89, offset=-10)  # the server's step 99: earlier
    assert sql.get(account.id).totp_offset == 0


def test_of_concurrent_uses_of_one_step_exactly_one_is_accepted(app, sql, account):
    with app.app_context():
        sql.enable_totp(account.id, "JBSWY3DPEHPK3PXP", accepted_step=100)
    results = _concurrently(app, 6, lambda: sql.accept_totp_step(account.id, 101))
    assert sorted(results) == [False] * 5 + [True]


def test_a_recovery_code_works_once(sql, ctx, account):
    sql.replace_recovery_codes(account.id, ["a" * 64, "b" * 64])
    assert sql.use_recovery_code(account.id, "a" * 64)
    assert not sql.use_recovery_code(account.id, "a" * 64)
    assert sql.recovery_codes_left(account.id) == 1


def test_an_unknown_recovery_code_is_refused(sql, ctx, account):
    sql.replace_recovery_codes(account.id, ["a" * 64])
    assert not sql.use_recovery_code(account.id, "c" * 64)
    assert sql.recovery_codes_left(account.id) == 1


def test_another_accounts_recovery_code_is_refused(sql, ctx, account):
    other = sql.create("sam@example.org", DEMO_PASSWORD)
    sql.replace_recovery_codes(other.id, ["a" * 64])
    assert not sql.use_recovery_code(account.id, "a" * 64)


def test_new_recovery_codes_replace_the_old_ones(sql, ctx, account):
    sql.replace_recovery_codes(account.id, ["a" * 64, "b" * 64])
    sql.replace_recovery_codes(account.id, ["c" * 64])
    assert not sql.use_recovery_code(account.id, "a" * 64)
    assert sql.recovery_codes_left(account.id) == 1


def test_of_concurrent_uses_of_one_recovery_code_exactly_one_wins(app, sql, account):
    with app.app_context():
        sql.replace_recovery_codes(account.id, ["a" * 64])
    results = _concurrently(app, 6, lambda: sql.use_recovery_code(account.id, "a" * 64))
    assert sorted(results) == [False] * 5 + [True]


# staff roles


def test_set_role_sets_and_clears_a_role(sql, ctx, account):
    sql.set_role(account.id, "editor")
    assert sql.get(account.id).role == "editor"
    sql.set_role(account.id, None)
    assert sql.get(account.id).role is None


# devices


def test_a_device_seen_for_the_first_time_is_new(sql, ctx, account):
    device_id, is_new = sql.remember_device(account.id, "cookie", "Firefox on Linux")
    assert is_new
    assert [(d.id, d.summary) for d in sql.devices(account.id)] == [(device_id, "Firefox on Linux")]


def test_a_device_seen_again_is_not_new_and_its_summary_and_time_follow(sql, ctx, account):
    with time_machine.travel(T0, tick=False):
        device_id, _ = sql.remember_device(account.id, "cookie", "Firefox 140")
    with time_machine.travel(T0 + timedelta(days=1), tick=False):
        again = sql.remember_device(account.id, "cookie", "Firefox 141")
    (device,) = sql.devices(account.id)
    assert again == (device_id, False)
    assert (device.summary, device.first_seen_at, device.last_seen_at) == (
        "Firefox 141",
        T0,
        T0 + timedelta(days=1),
    )


def test_one_browser_is_a_separate_device_for_each_account(sql, ctx, account):
    other = sql.create("sam@example.org", DEMO_PASSWORD)
    mine, _ = sql.remember_device(account.id, "shared-cookie", "Firefox")
    theirs, is_new = sql.remember_device(other.id, "shared-cookie", "Firefox")
    assert is_new and theirs != mine


def test_a_device_remembered_under_the_old_key_is_rekeyed_not_new(sql, ctx, account):
    db.session.add(
        Device(account_id=account.id, token_hash=hashlib.sha256(b"old-cookie").hexdigest(), summary="old")
    )
    db.session.commit()
    old_id = db.session.scalar(select(Device.id))
    assert sql.remember_device(account.id, "old-cookie", "Firefox") == (old_id, False)
    assert sql.remember_device(account.id, "old-cookie", "Firefox") == (old_id, False)


def test_a_confirmed_device_is_found_by_its_browser_token(sql, ctx, account):
    device_id, _ = sql.remember_device(account.id, "cookie-of-pats-laptop", "Firefox")
    assert sql.confirmed_device(account.id, "cookie-of-pats-laptop") is None  # not confirmed yet
    sql.confirm_device(account.id, device_id)
    assert sql.confirmed_device(account.id, "cookie-of-pats-laptop") == device_id
    assert sql.confirmed_device(account.id, "another-cookie") is None
    assert sql.confirmed_device(account.id, "") is None


def test_a_device_confirmed_for_one_account_is_not_confirmed_for_another(sql, ctx, account):
    other = sql.create("sam@example.org", "a long enough password 9")
    device_id, _ = sql.remember_device(account.id, "shared-cookie", "Firefox")
    sql.confirm_device(account.id, device_id)
    sql.remember_device(other.id, "shared-cookie", "Firefox")
    assert sql.confirmed_device(other.id, "shared-cookie") is None


def test_a_removed_device_is_not_confirmed_any_more(sql, ctx, account):
    device_id, _ = sql.remember_device(account.id, "cookie", "Firefox")
    sql.confirm_device(account.id, device_id)
    sql.remove_device(account.id, device_id)
    assert sql.confirmed_device(account.id, "cookie") is None


def test_a_removed_device_coming_back_is_new_and_unconfirmed(sql, ctx, account):
    device_id, _ = sql.remember_device(account.id, "cookie", "Firefox")
    sql.confirm_device(account.id, device_id)
    sql.remove_device(account.id, device_id)
    assert sql.remember_device(account.id, "cookie", "Firefox") == (device_id, True)
    assert sql.devices(account.id)[0].confirmed_at is None


def test_of_concurrent_first_sign_ins_of_one_browser_one_remembers_it(app, sql, account):
    results = _concurrently(app, 4, lambda: sql.remember_device(account.id, "cookie", "Firefox"))
    assert len({device_id for device_id, _ in results}) == 1
    assert sorted(is_new for _, is_new in results) == [False, False, False, True]


def test_devices_are_listed_most_recently_seen_first(sql, ctx, account):
    with time_machine.travel(T0, tick=False):
        sql.remember_device(account.id, "cookie-1", "Firefox")
        sql.remember_device(account.id, "cookie-2", "Chrome")
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        sql.remember_device(account.id, "cookie-1", "Firefox")
    assert [d.summary for d in sql.devices(account.id)] == ["Firefox", "Chrome"]


def test_removing_a_device_ends_its_sessions_only(sql, ctx, account):
    device_id, _ = sql.remember_device(account.id, "cookie", "Firefox")
    on_device = sql.start_session(account.id, "198.51.100.1", "Firefox", device_id=device_id)
    elsewhere = sql.start_session(account.id, "198.51.100.2", "Chrome")
    assert sql.remove_device(account.id, device_id)
    assert sql.devices(account.id) == []
    assert sql.session_account(on_device) is None and sql.session_account(elsewhere) is not None


def test_a_device_is_removed_once(sql, ctx, account):
    device_id, _ = sql.remember_device(account.id, "cookie", "Firefox")
    assert sql.remove_device(account.id, device_id)
    assert not sql.remove_device(account.id, device_id)


def test_another_accounts_device_can_be_neither_removed_nor_confirmed(sql, ctx, account):
    other = sql.create("sam@example.org", DEMO_PASSWORD)
    theirs, _ = sql.remember_device(other.id, "cookie", "Firefox")
    assert not sql.remove_device(account.id, theirs)
    assert not sql.confirm_device(account.id, theirs)
    (device,) = sql.devices(other.id)
    assert device.confirmed_at is None


def test_confirming_a_device_notes_the_time(sql, ctx, account):
    device_id, _ = sql.remember_device(account.id, "cookie", "Firefox")
    with time_machine.travel(T0, tick=False):
        assert sql.confirm_device(account.id, device_id)
    assert sql.devices(account.id)[0].confirmed_at == T0


def test_a_removed_device_cannot_be_confirmed(sql, ctx, account):
    device_id, _ = sql.remember_device(account.id, "cookie", "Firefox")
    sql.remove_device(account.id, device_id)
    assert not sql.confirm_device(account.id, device_id)


def test_forget_unconfirmed_devices_keeps_confirmed_ones_and_the_one_named(sql, ctx, account):
    confirmed, _ = sql.remember_device(account.id, "cookie-1", "Firefox")
    kept, _ = sql.remember_device(account.id, "cookie-2", "Chrome")
    sql.remember_device(account.id, "cookie-3", "Edge")
    sql.confirm_device(account.id, confirmed)
    assert sql.forget_unconfirmed_devices(account.id, keep_device_id=kept) == 1
    assert {d.id for d in sql.devices(account.id)} == {confirmed, kept}


def test_forget_device_confirmations_unconfirms_every_device(sql, ctx, account):
    for cookie in ("cookie-1", "cookie-2"):
        device_id, _ = sql.remember_device(account.id, cookie, "Firefox")
        sql.confirm_device(account.id, device_id)
    sql.forget_device_confirmations(account.id)
    assert [d.confirmed_at for d in sql.devices(account.id)] == [None, None]


def test_removing_a_device_of_another_account_changes_nothing(sql, ctx, account):
    other = sql.create("sam@example.org", DEMO_PASSWORD)
    theirs, _ = sql.remember_device(other.id, "their-cookie", "Firefox")
    token = sql.start_session(other.id, "203.0.113.5", "Firefox", theirs)
    assert not sql.remove_device(account.id, theirs)
    assert sql.session_account(token) is not None  # still signed in
    assert [d.id for d in sql.devices(other.id)] == [theirs]


def test_removing_your_device_ends_its_sessions(sql, ctx, account):
    mine, _ = sql.remember_device(account.id, "my-cookie", "Firefox")
    token = sql.start_session(account.id, "203.0.113.5", "Firefox", mine)
    assert sql.remove_device(account.id, mine)
    assert sql.session_account(token) is None
    assert sql.devices(account.id) == []


# shadow rows: the store of a directory other than the embedded one


def test_a_shadow_row_is_made_on_first_sight_and_follows_the_directorys_address(app):
    from helpdesk.accounts.sql import SqlAccountStore
    from tests.directories import InMemory

    own = InMemory()
    first = own.add("sam@example.org", "correct-horse-battery-staple")
    store = SqlAccountStore(own)
    with app.app_context():
        made = store.find("SAM@example.org")
        assert made is not None and made.id == first and not made.two_factor
        assert store.find("nobody@example.org") is None
        # the address moves to another entry: the new one gets it, the old row gives it up
        own.entries[first].email = "sam.old@example.org"
        second = own.add("sam@example.org", "another-long-passphrase")
        moved = store.find("sam@example.org")
        assert moved is not None and moved.id == second
        assert store.find("sam.old@example.org").id == first
        assert store.get(first).email == "sam.old@example.org"
