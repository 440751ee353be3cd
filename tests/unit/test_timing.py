"""uniform_duration(): a floor under the time an anonymous answer takes."""

from __future__ import annotations

import time

import pytest

from helpdesk.extensions import db
from helpdesk.timing import Floor, uniform_duration
from tests.conftest import build_app

FLOOR_MS = 60


@pytest.fixture
def floored_app(tmp_path):
    app = build_app(tmp_path, answer_floor_ms=FLOOR_MS)
    with app.app_context():
        yield app
        db.engine.dispose()


def test_a_quick_answer_takes_at_least_the_floor(floored_app):
    started = time.perf_counter()
    with uniform_duration():
        pass
    assert time.perf_counter() - started >= FLOOR_MS / 1000


def test_an_answer_that_raises_still_takes_at_least_the_floor(floored_app):
    started = time.perf_counter()
    with pytest.raises(LookupError), uniform_duration():
        raise LookupError("no such account")
    assert time.perf_counter() - started >= FLOOR_MS / 1000


def test_a_skipped_floor_is_not_waited_for(tmp_path):
    app = build_app(tmp_path, answer_floor_ms=30_000)
    with app.app_context():
        started = time.perf_counter()
        with uniform_duration() as floor:
            floor.skip()
        assert time.perf_counter() - started < 30
        db.engine.dispose()


def test_an_answer_is_padded_unless_skipped():
    floor = Floor()
    assert floor.padded
    floor.skip()
    assert not floor.padded
