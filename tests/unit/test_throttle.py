"""allow(): rate limits on an email address or an account, counted in the limiter's storage."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import time_machine

from helpdesk.extensions import db
from helpdesk.throttle import allow
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
