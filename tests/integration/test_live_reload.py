"""Live reload: edits on disk go live without a restart; a broken edit keeps the last good version."""

from __future__ import annotations

from tests.conftest import build_app, make_staff, staff_client


def live_app(tmp_path, content_copy):
    content, flows = content_copy
    return build_app(tmp_path, content_dir=content, flows_dir=flows, reload_seconds=0), content, flows


def test_an_edited_article_goes_live_without_a_restart(tmp_path, content_copy):
    app, content, _ = live_app(tmp_path, content_copy)
    client = app.test_client()
    assert "Reviewed by the tests" not in client.get("/articles/public-wifi").get_data(as_text=True)
    path = content / "public-wifi.md"
    path.write_text(path.read_text() + "\nReviewed by the tests.\n")
    assert "Reviewed by the tests" in client.get("/articles/public-wifi").get_data(as_text=True)


def test_added_and_removed_files_are_noticed(tmp_path, content_copy):
    app, content, _ = live_app(tmp_path, content_copy)
    client = app.test_client()
    (content / "new-article.md").write_text("---\ntitle: Brand new\nsummary: Just added.\n---\nHello.\n")
    assert client.get("/articles/new-article").status_code == 200
    (content / "new-article.md").unlink()
    assert client.get("/articles/new-article").status_code == 404


def test_a_broken_edit_keeps_the_last_good_version_and_shows_editors_why(tmp_path, content_copy):
    app, _, flows = live_app(tmp_path, content_copy)
    client = app.test_client()
    path = flows / "wrong-password.yaml"
    path.write_text(path.read_text().replace("next: email-access", "next: nowhere-at-all", 1))
    page = client.get("/diagnose/wrong-password")
    assert page.status_code == 303  # still served: the last good version
    assert client.get("/healthz").status_code == 200
    editor = staff_client(app, "ed@example.org", make_staff(app, "ed@example.org", "editor"))
    listing = editor.get("/editor/").get_data(as_text=True)
    assert "Edits on disk that are not live" in listing
    assert "wrong-password.yaml:" in listing and "unknown step &#39;nowhere-at-all&#39;" in listing
    path.write_text(path.read_text().replace("next: nowhere-at-all", "next: email-access"))
    assert "Every file on disk is valid and live." in editor.get("/editor/").get_data(as_text=True)


def test_the_editor_area_needs_the_editor_role(app, helper, admin):
    assert helper.get("/editor/").status_code == 403
    assert admin.get("/editor/").status_code == 200


def test_editors_preview_articles_drafts_included(tmp_path, content_copy):
    app, content, _ = live_app(tmp_path, content_copy)
    (content / "coming-soon.md").write_text(
        "---\ntitle: Coming soon\nsummary: Not yet.\ndraft: true\n---\n## Part\n\nText.\n"
    )
    anonymous = app.test_client()
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
