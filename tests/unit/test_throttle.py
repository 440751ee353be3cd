"""allow(): rate limits on an email address or an account, counted in the limiter's storage."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import time_machine

from helpdesk.extensions import db
from helpdesk.throttle import allow, allows, count, forget, limit_of
from tests.conftest import build_app

T0 = datetime(2026, 11, 25, 9, 0, 5, tzinfo=UTC)


def _key() -> str:
    return f"pat-{uuid.uuid4().hex}@example.org"  # counters outlive a test (Redis): a key of its own


def test_hits_are_allowed_up_to_the_rate_then_refused(app):
    key = _key()
    with app.app_context():
        assert [allow("reset-address", key, "3/hour") for _ in range(4)] == [True, True, True, False]


def test_each_key_is_counted_on_its_own(app):
    first, second = _key(), _key()
    with app.app_context():
        allow("reset-address", first, "1/hour")
        assert not allow("reset-address", first, "1/hour")
        assert allow("reset-address", second, "1/hour")


def test_each_limit_name_is_counted_on_its_own(app):
    key = _key()
    with app.app_context():
        allow("reset-address", key, "1/hour")
        assert allow("unlock-address", key, "1/hour")


def test_hits_are_allowed_again_once_the_window_has_passed(app):
    key = _key()
    with app.app_context():
        with time_machine.travel(T0, tick=False):
            allow("resync-account", key, "2/15 minutes")
            allow("resync-account", key, "2/15 minutes")
            assert not allow("resync-account", key, "2/15 minutes")
        with time_machine.travel(T0 + timedelta(minutes=15, seconds=1), tick=False):
            assert allow("resync-account", key, "2/15 minutes")


def test_with_rate_limits_off_every_hit_is_allowed(tmp_path):
    app = build_app(tmp_path, rate_limits=False)
    key = _key()
    with app.app_context():
        assert all(allow("reset-address", key, "1/hour") for _ in range(5))
        db.engine.dispose()


def test_with_redis_the_counters_are_shared_by_every_worker(tmp_path, redis_url):
    key = _key()
    one_worker = build_app(tmp_path / "one", redis_url=redis_url)
    with one_worker.app_context():
        assert allow("reset-address", key, "2/hour")
        assert allow("reset-address", key, "2/hour")
        db.engine.dispose()
    another_worker = build_app(tmp_path / "another", redis_url=redis_url)
    with another_worker.app_context():
        assert not allow("reset-address", key, "2/hour")
        db.engine.dispose()


def test_allows_looks_without_counting(app):
    key = _key()
    with app.app_context():
        assert all(allows("reset-address", key, "1/hour") for _ in range(3))
        allow("reset-address", key, "1/hour")
        assert not allows("reset-address", key, "1/hour")


def test_count_says_how_many_hits_so_far_and_forget_starts_again(app):
    key = _key()
    with app.app_context():
        assert [count("signin-address", key, "3/day") for _ in range(4)] == [1, 2, 3, 3]
        forget("signin-address", key, "3/day")
        assert allows("signin-address", key, "3/day") and count("signin-address", key, "3/day") == 1


def test_several_windows_all_count(app):
    key = _key()
    with app.app_context(), time_machine.travel(T0, tick=False) as clock:
        assert [allow("reset-address", key, "2/minute;3/day") for _ in range(3)] == [True, True, False]
        clock.shift(timedelta(minutes=2))
        assert not allow("reset-address", key, "2/minute;3/day")  # the day's three are spent


def test_limit_of_reads_the_first_window():
    assert limit_of("10/day") == 10 and limit_of("5/minute;20/day") == 5
