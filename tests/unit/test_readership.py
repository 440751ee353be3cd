"""Article views: reads never write; a flush adds the counts to `article_views` exactly once."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from sqlalchemy import event, select

from helpdesk.extensions import db
from helpdesk.models import ArticleView, utcnow
from helpdesk.readership import RedisViews, counter, flush_views, record_view
from tests.conftest import build_app
from tests.support import at_once

PROJECT = Path(__file__).resolve().parents[2]


def _views(article: str) -> int | None:
    return db.session.scalar(select(ArticleView.views).where(ArticleView.article == article))


def _writes(engine) -> list[str]:
    seen: list[str] = []

    @event.listens_for(engine, "before_cursor_execute")
    def note(_conn, _cursor, statement, *_args) -> None:
        if statement.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")):
            seen.append(statement)

    return seen


def test_many_reads_write_nothing_and_one_flush_writes_their_sum(app):
    client = app.test_client()
    with app.app_context():
        writes = _writes(db.engine)
        for _ in range(20):
            assert client.get("/articles/public-wifi").status_code == 200
        assert writes == []
        assert _views("public-wifi") is None
        assert flush_views() == 20
        assert len([w for w in writes if "article_views" in w]) == 1  # one upsert per article and day
        assert _views("public-wifi") == 20


def test_a_flush_adds_to_the_day_s_row_and_never_overwrites_it(app):
    with app.app_context():
        for _ in range(3):
            record_view("public-wifi")
        flush_views()
        for _ in range(4):
            record_view("public-wifi")
        assert flush_views() == 4
        assert _views("public-wifi") == 7
        assert db.session.query(ArticleView).count() == 1
        assert flush_views() == 0  # nothing pending: nothing written


def test_views_counted_in_many_threads_are_all_kept(app):
    def view() -> None:
        with app.app_context():
            record_view("public-wifi")

    at_once(10, view)
    with app.app_context():
        assert flush_views() == 10


def test_two_workers_sharing_redis_count_together_exactly_once(tmp_path, redis_url):
    one = build_app(tmp_path, redis_url=redis_url)
    another = build_app(tmp_path, redis_url=redis_url)
    with one.app_context():
        for _ in range(3):
            record_view("public-wifi")
    with another.app_context():
        for _ in range(2):
            record_view("public-wifi")
        assert flush_views() == 5  # one worker moves the other's counts too
    with one.app_context():
        assert flush_views() == 0  # and they moved once
        assert _views("public-wifi") == 5
        db.engine.dispose()
    with another.app_context():
        db.engine.dispose()


def test_a_flush_racing_another_does_not_double_count(tmp_path, redis_url):
    one = build_app(tmp_path, redis_url=redis_url)
    another = build_app(tmp_path, redis_url=redis_url)
    with one.app_context():
        for _ in range(6):
            record_view("public-wifi")

    def flush(app) -> int:
        with app.app_context():
            moved = flush_views()
            db.session.remove()
            return moved

    moved = at_once(8, lambda: flush(one)) + at_once(8, lambda: flush(another))
    assert sum(moved) == 6
    with one.app_context():
        assert _views("public-wifi") == 6
        db.engine.dispose()


def test_a_flush_that_fails_keeps_the_counts_for_the_next_one(tmp_path, redis_url):
    app = build_app(tmp_path, redis_url=redis_url)
    with app.app_context():
        record_view("public-wifi")
        views = counter()
        assert isinstance(views, RedisViews)
        views.take()
        views.release()  # as after a failed write: the batch waits in the flushing hash
        record_view("public-wifi")
        assert flush_views() == 1  # the stranded batch first
        assert flush_views() == 1
        assert _views("public-wifi") == 2
        db.engine.dispose()


def test_a_graceful_exit_flushes_the_buffer(tmp_path):
    database = tmp_path / "exit.db"
    script = textwrap.dedent(
        f"""
        from helpdesk import create_app
        from helpdesk.extensions import db
        from helpdesk.readership import record_view

        app = create_app(dict(database_url="sqlite:///{database}", instance_dir="{tmp_path}",
                              secret_key="k", view_flush_seconds=3600))
        with app.app_context():
            db.create_all()
            for _ in range(7):
                record_view("public-wifi")
        """
    )
    subprocess.run([sys.executable, "-c", script], cwd=PROJECT, check=True, timeout=120)
    app = build_app(tmp_path, database_url=f"sqlite:///{database}")
    with app.app_context():
        assert _views("public-wifi") == 7
        assert db.session.scalar(select(ArticleView.day)) == utcnow().date()
        db.engine.dispose()
