"""Live reload: edits on disk go live without a restart; a broken edit keeps the last good version."""

from __future__ import annotations

import re
import threading
import time

from helpdesk.content import live
from helpdesk.content.live import LIVE_KEY
from tests.conftest import build_app, make_staff, staff_client
from tests.support import notice_content_edits


def live_app(tmp_path, content_copy):
    content, flows = content_copy
    return build_app(tmp_path, content_dir=content, flows_dir=flows, reload_seconds=0), content, flows


def test_an_edited_article_goes_live_without_a_restart(tmp_path, content_copy):
    app, content, _ = live_app(tmp_path, content_copy)
    client = app.test_client()
    assert "Reviewed by the tests" not in client.get("/articles/public-wifi").get_data(as_text=True)
    path = content / "public-wifi.md"
    path.write_text(path.read_text() + "\nReviewed by the tests.\n")
    notice_content_edits(app, client)
    assert "Reviewed by the tests" in client.get("/articles/public-wifi").get_data(as_text=True)


def test_added_and_removed_files_are_noticed(tmp_path, content_copy):
    app, content, _ = live_app(tmp_path, content_copy)
    client = app.test_client()
    (content / "new-article.md").write_text("---\ntitle: Brand new\nsummary: Just added.\n---\nHello.\n")
    notice_content_edits(app, client)
    assert client.get("/articles/new-article").status_code == 200
    (content / "new-article.md").unlink()
    notice_content_edits(app, client)
    assert client.get("/articles/new-article").status_code == 404


def test_a_broken_edit_keeps_the_last_good_version_and_shows_editors_why(tmp_path, content_copy):
    app, _, flows = live_app(tmp_path, content_copy)
    client = app.test_client()
    path = flows / "wrong-password.yaml"
    path.write_text(path.read_text().replace("next: email-access", "next: nowhere-at-all", 1))
    notice_content_edits(app, client)
    page = client.get("/diagnose/wrong-password")
    assert page.status_code == 303  # still served: the last good version
    assert client.get("/healthz").status_code == 200
    editor = staff_client(app, "ed@example.org", make_staff(app, "ed@example.org", "editor"))
    listing = editor.get("/editor/").get_data(as_text=True)
    assert "Edits on disk that are not live" in listing
    assert "wrong-password.yaml:" in listing and "unknown step &#39;nowhere-at-all&#39;" in listing
    path.write_text(path.read_text().replace("next: nowhere-at-all", "next: email-access"))
    notice_content_edits(app, client)
    assert "Every file on disk is valid and live." in editor.get("/editor/").get_data(as_text=True)


def test_a_request_during_a_slow_reload_is_served_the_old_content_at_once(
    tmp_path, content_copy, monkeypatch
):
    app, content, _ = live_app(tmp_path, content_copy)
    client = app.test_client()
    release, started = threading.Event(), threading.Event()
    real_load = live.load_catalog

    def slow_load(*args, **kwargs):
        started.set()
        release.wait(30)  # the reload takes as long as the test says
        return real_load(*args, **kwargs)

    monkeypatch.setattr(live, "load_catalog", slow_load)
    path = content / "public-wifi.md"
    path.write_text(path.read_text() + "\nReviewed by the tests.\n")
    try:
        noticed = client.get("/articles/public-wifi")  # notices the edit, starts the reload
        assert started.wait(10)
        began = time.monotonic()
        during = [client.get("/articles/public-wifi") for _ in range(3)]
        waited = time.monotonic() - began
    finally:
        release.set()
    for page in (noticed, *during):
        assert page.status_code == 200 and "Reviewed by the tests" not in page.get_data(as_text=True)
    assert waited < 10  # none of them waited for the reload (it would have waited 30 s)
    assert sum(t.name == "content-reload" for t in threading.enumerate()) <= 1  # one load at a time
    app.extensions[LIVE_KEY].settle(timeout=30)
    assert "Reviewed by the tests" in client.get("/articles/public-wifi").get_data(as_text=True)


def test_an_edit_made_during_a_reload_is_loaded_after_it(tmp_path, content_copy, monkeypatch):
    app, content, _ = live_app(tmp_path, content_copy)
    client = app.test_client()
    release = threading.Event()
    real_load = live.load_catalog

    def slow_load(*args, **kwargs):
        release.wait(30)
        return real_load(*args, **kwargs)

    monkeypatch.setattr(live, "load_catalog", slow_load)
    path = content / "public-wifi.md"
    path.write_text(path.read_text() + "\nFirst edit.\n")
    client.get("/")  # the first reload starts, and waits
    path.write_text(path.read_text() + "\nSecond edit, during the first reload.\n")
    client.get("/")  # one load at a time: this one only serves
    release.set()
    app.extensions[LIVE_KEY].settle(timeout=30)
    notice_content_edits(app, client)  # the next request looks again and loads the second edit
    assert "Second edit" in client.get("/articles/public-wifi").get_data(as_text=True)


def test_the_editor_area_needs_the_editor_role(app, helper, admin):
    assert helper.get("/editor/").status_code == 403
    assert admin.get("/editor/").status_code == 200


def test_editors_preview_articles_drafts_included(tmp_path, content_copy):
    app, content, _ = live_app(tmp_path, content_copy)
    (content / "coming-soon.md").write_text(
        "---\ntitle: Coming soon\nsummary: Not yet.\ndraft: true\n---\n## Part\n\nText.\n"
    )
    anonymous = app.test_client()
    notice_content_edits(app, anonymous)
    assert anonymous.get("/articles/coming-soon").status_code == 404  # hidden from the public
    editor = staff_client(app, "ed@example.org", make_staff(app, "ed@example.org", "editor"))
    preview = editor.get("/editor/articles/coming-soon")
    text = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "Preview</strong> of a draft" in text
    assert '<h2 id="part">Part</h2>' in text and "Was this helpful?" not in text
    public = editor.get("/articles/public-wifi").get_data(as_text=True)
    published = editor.get("/editor/articles/public-wifi").get_data(as_text=True)
    body = public.split('<div class="prose">')[1].split("</div>")[0]
    assert body in published  # the same rendering the public sees


def test_the_sandbox_runs_drafts_with_simulated_actions_kept_apart(tmp_path, content_copy):
    from sqlalchemy import select

    from helpdesk.extensions import db
    from helpdesk.models import Diagnosis
    from tests.mailbox import outbox
    from tests.support import csrf_from

    app, _, flows = live_app(tmp_path, content_copy)
    path = flows / "locked-out.yaml"
    path.write_text(path.read_text().replace("version: 1\n", "version: 1\ndraft: true\n", 1))
    notice_content_edits(app, app.test_client())
    assert app.test_client().get("/diagnose/locked-out").status_code == 404  # hidden from the public
    editor = staff_client(app, "ed@example.org", make_staff(app, "ed@example.org", "editor"))
    first = editor.get("/editor/sandbox/locked-out")
    assert first.location == "/editor/sandbox/locked-out/was-it-you"
    page = editor.get(first.location).get_data(as_text=True)
    assert (
        "Sandbox</strong>: trying a flow" in page and 'action="/editor/sandbox/locked-out/was-it-you"' in page
    )
    for step, answer in (("was-it-you", "yes"), ("wait-or-unlock", "unlock-now")):
        page = editor.get(f"/editor/sandbox/locked-out/{step}").get_data(as_text=True)
        editor.post(
            f"/editor/sandbox/locked-out/{step}", data={"csrf_token": csrf_from(page), "answer": answer}
        )
    page = editor.get("/editor/sandbox/locked-out/unlock-by-email").get_data(as_text=True)
    assert "Simulate failure (to contact-support)" in page and 'name="email"' not in page
    moved = editor.post(
        "/editor/sandbox/locked-out/unlock-by-email",
        data={"csrf_token": csrf_from(page), "simulate": "failure"},
    )
    assert moved.location == "/editor/sandbox/locked-out/contact-support"
    assert outbox(app.extensions["helpdesk.settings"].outbox_dir) == []  # nothing was mailed
    # the sign-in check is simulated too: no account is touched, no sign-in recorded
    editor.post("/editor/sandbox/locked-out/restart", data={"csrf_token": csrf_from(page)})
    for step, answer in (("was-it-you", "yes"), ("wait-or-unlock", "unlock-now")):
        page = editor.get(f"/editor/sandbox/locked-out/{step}").get_data(as_text=True)
        editor.post(
            f"/editor/sandbox/locked-out/{step}", data={"csrf_token": csrf_from(page), "answer": answer}
        )
    for step in ("unlock-by-email", "check-unlock-email", "confirm-sign-in"):
        page = editor.get(f"/editor/sandbox/locked-out/{step}").get_data(as_text=True)
        editor.post(
            f"/editor/sandbox/locked-out/{step}", data={"csrf_token": csrf_from(page), "simulate": "success"}
        )
    with app.app_context():
        from helpdesk.models import SignInEvent

        assert db.session.query(SignInEvent).filter(SignInEvent.result != "ok").count() == 0
        assert db.session.query(Diagnosis).filter_by(sandbox=True).count() == 2
        ended = db.session.scalars(select(Diagnosis).order_by(Diagnosis.id.desc())).first()
        assert ended.path[-1] == "signed-in-after-fix"
    with app.app_context():
        diagnosis = db.session.scalars(select(Diagnosis).order_by(Diagnosis.id)).first()
        assert diagnosis.sandbox is True and diagnosis.path[-1] == "contact-support"
    assert editor.get("/diagnose/locked-out").status_code == 404  # the real pages stay apart


def test_only_editors_use_the_sandbox(app, client, helper):
    assert client.get("/editor/sandbox/wrong-password").location.startswith("/login")
    assert helper.get("/editor/sandbox/wrong-password").status_code == 403


def test_editors_see_and_try_a_flow_that_breaks_in_a_later_step(tmp_path, content_copy):
    from tests.support import csrf_from

    app, _, flows = live_app(tmp_path, content_copy)
    path = flows / "locked-out.yaml"
    path.write_text(path.read_text().replace("next: unlock-by-email", "next: unlock-by-carrier-pigeon", 1))
    notice_content_edits(app, app.test_client())
    editor = staff_client(app, "ed@example.org", make_staff(app, "ed@example.org", "editor"))
    listing = editor.get("/editor/").get_data(as_text=True)
    assert "Flows with problems (not live)" in listing
    diagram = editor.get("/editor/flows/locked-out").get_data(as_text=True)
    assert "Problems: this version is not live" in diagram and "unlock-by-carrier-pigeon" in diagram
    assert re.search(r'id="step&#45;unlock&#45;by&#45;email" class="node step action problem"', diagram)
    editor.get("/editor/sandbox/locked-out")
    page = editor.get("/editor/sandbox/locked-out/was-it-you").get_data(as_text=True)
    editor.post(
        "/editor/sandbox/locked-out/was-it-you", data={"csrf_token": csrf_from(page), "answer": "yes"}
    )
    page = editor.get("/editor/sandbox/locked-out/wait-or-unlock").get_data(as_text=True)
    stuck = editor.post(
        "/editor/sandbox/locked-out/wait-or-unlock",
        data={"csrf_token": csrf_from(page), "answer": "unlock-now"},
    )
    assert stuck.location == "/editor/sandbox/locked-out/wait-or-unlock"
    assert "leads to a step that does not exist yet" in editor.get(stuck.location).get_data(as_text=True)
    ok = editor.post(
        "/editor/sandbox/locked-out/wait-or-unlock", data={"csrf_token": csrf_from(page), "answer": "wait"}
    )
    assert ok.location == "/editor/sandbox/locked-out/wait-it-out"  # the rest of the flow still runs
    assert (
        app.test_client().get("/diagnose/locked-out").status_code == 303
    )  # the public keeps the last good one
