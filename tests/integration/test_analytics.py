"""Analytics for editors: counts from a seeded set of diagnoses, article views and feedback."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import time_machine

from helpdesk.analytics import flow_stats
from helpdesk.extensions import db
from helpdesk.models import ArticleFeedback, Diagnosis, DiagnosisEvent, utcnow
from helpdesk.readership import flush_views, record_view
from tests.conftest import make_staff, staff_client
from tests.support import at_once

FLOW = "wrong-password"


def seed(app) -> None:
    """Six diagnoses of wrong-password, one sandbox run, one from long ago."""
    now = utcnow()
    rows = [
        # path, status, minutes taken, updated long ago?
        (
            [
                "show-password",
                "email-access",
                "send-reset-link",
                "check-your-email",
                "confirm-sign-in",
                "signed-in-after-fix",
            ],
            "resolved",
            10,
            False,
        ),
        (
            [
                "show-password",
                "email-access",
                "send-reset-link",
                "check-your-email",
                "confirm-sign-in",
                "signed-in-after-fix",
            ],
            "resolved",
            20,
            False,
        ),
        (
            ["show-password", "changed-recently", "email-access", "send-reset-link", "contact-support"],
            "escalated",
            5,
            False,
        ),
        (["show-password", "email-access"], "active", 1, True),  # left a day ago at email-access
        (["show-password"], "abandoned", 1, False),
        (["show-password", "fix-caps-lock"], "active", 1, False),  # still going
    ]
    with app.app_context():
        for n, (path, status, minutes, stale) in enumerate(rows):
            started = now - timedelta(days=2 if stale else 0, minutes=minutes)
            diagnosis = Diagnosis(
                reference=f"TEST-{n:04d}",
                flow_id=FLOW,
                flow_digest="x",
                step=path[-1],
                path=path,
                answers=["a"] * (len(path) - 1),
                status=status,
                created_at=started,
                updated_at=started + timedelta(minutes=minutes),
            )
            db.session.add(diagnosis)
            db.session.flush()
            if "send-reset-link" in path:
                outcome = "failure" if status == "escalated" else "pending"
                db.session.add(
                    DiagnosisEvent(
                        diagnosis_id=diagnosis.id,
                        kind="action",
                        step="send-reset-link",
                        detail={"action": "send-reset-link", "answer": outcome},
                    )
                )
            if status == "resolved":
                db.session.add(
                    DiagnosisEvent(
                        diagnosis_id=diagnosis.id,
                        kind="checked",
                        step="confirm-sign-in",
                        detail={"action": "verify-sign-in", "answer": "success"},
                    )
                )
        db.session.add(
            Diagnosis(
                reference="SAND-BOX1",
                flow_id=FLOW,
                flow_digest="x",
                step="show-password",
                path=["show-password"],
                answers=[],
                status="active",
                sandbox=True,
            )
        )
        old = now - timedelta(days=60)
        db.session.add(
            Diagnosis(
                reference="OLD0-0001",
                flow_id=FLOW,
                flow_digest="x",
                step="show-password",
                path=["show-password"],
                answers=[],
                status="abandoned",
                created_at=old,
                updated_at=old,
            )
        )
        db.session.commit()


def test_flow_figures_from_a_seeded_set(app):
    seed(app)
    with app.app_context():
        stats = flow_stats(app.extensions["helpdesk.catalog"].flows[FLOW], utcnow() - timedelta(days=30))
    assert stats.started == 6  # the sandbox run and the 60-day-old one are left out
    assert dict(stats.outcomes) == {"resolved": 2, "escalated": 1, "abandoned": 2, "active": 1}
    assert stats.median_minutes == 10
    reached = {s.step: (s.reached, s.left_here) for s in stats.steps}
    assert reached["show-password"] == (6, 1)
    assert reached["email-access"] == (4, 1)
    assert reached["send-reset-link"] == (3, 0)
    assert reached["signed-in-after-fix"] == (2, 0)
    assert dict(stats.actions["send-reset-link"]) == {"pending": 2, "failure": 1}
    assert stats.verified_share == 1.0
    with app.app_context():
        longer = flow_stats(app.extensions["helpdesk.catalog"].flows[FLOW], utcnow() - timedelta(days=90))
    assert longer.started == 7


def test_article_views_are_counted_atomically(app):
    def view() -> None:
        with app.app_context():
            record_view("public-wifi")

    at_once(10, view)
    client = app.test_client()
    client.get("/articles/public-wifi")
    client.get("/articles/no-such-article")  # a 404 is not a view
    with app.app_context():
        from helpdesk.models import ArticleView

        assert flush_views() == 11
        assert db.session.query(ArticleView).one().views == 11
        assert db.session.query(ArticleView).count() == 1


def test_the_analytics_page_charts_and_csv(app):
    seed(app)
    with app.app_context():
        db.session.add(
            ArticleFeedback(article="public-wifi", helpful=False, comment="Needs a part on hotel Wi-Fi.")
        )
        db.session.add(ArticleFeedback(article="public-wifi", helpful=True))
        db.session.commit()
    editor = staff_client(app, "ed@example.org", make_staff(app, "ed@example.org", "editor"))
    page = editor.get("/editor/analytics?days=30").get_data(as_text=True)
    assert "6 started · 2 resolved · 1 escalated" in page
    assert 'class="funnel"' in page and "show-password" in page and "(1 left)" in page
    assert "Needs a part on hotel Wi-Fi." in page
    export = editor.get("/editor/analytics.csv?days=30")
    assert export.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(export.get_data(as_text=True))))
    first = next(r for r in rows if r["flow"] == FLOW and r["step"] == "show-password")
    assert (first["reached"], first["left_here"], first["started"]) == ("6", "1", "6")
    assert "TEST-" not in export.get_data(as_text=True)  # counts, never who
    assert editor.get("/editor/analytics?days=7").status_code == 200


def test_analytics_are_for_editors_only(app, helper):
    assert helper.get("/editor/analytics").status_code == 403
    assert app.test_client().get("/editor/analytics.csv").status_code == 302


def test_a_day_without_activity_counts_as_abandoned(app):
    seed(app)
    with time_machine.travel(utcnow() + timedelta(days=2), tick=False), app.app_context():
        stats = flow_stats(app.extensions["helpdesk.catalog"].flows[FLOW], utcnow() - timedelta(days=30))
    assert stats.outcomes["active"] == 0 and stats.outcomes["abandoned"] == 3


def test_the_analytics_page_shows_views_not_yet_flushed(app):
    reader = app.test_client()
    for _ in range(4):
        reader.get("/articles/public-wifi")
    with app.app_context():
        flush_views()
    reader.get("/articles/public-wifi")  # still pending when the editor looks
    editor = staff_client(app, "ed@example.org", make_staff(app, "ed@example.org", "editor"))
    page = editor.get("/editor/analytics?days=30").get_data(as_text=True)
    row = page[page.index('public-wifi"') :]
    assert row[: row.index("</tr>")].count("<td>5</td>") == 1
