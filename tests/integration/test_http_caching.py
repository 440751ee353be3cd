"""HTTP caching of the public pages (web/caching.py), hashed static files (web/static_files.py),
the paginated article index, the home page's lists, and /healthz asking the database rarely."""

from __future__ import annotations

import gzip
import re
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import event

from helpdesk.extensions import db
from helpdesk.models import ArticleView, utcnow
from tests.conftest import DEMO_PASSWORD, FIXTURES, ROOT, app_without_database, build_app
from tests.integration.test_sign_in import sign_in
from tests.support import notice_content_edits

PUBLIC_PAGES = ("/", "/articles/", "/articles/app-vs-web")


def anonymous(app: Flask):
    return app.test_client()  # a client of its own: no cookie from another test's request


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_a_matching_etag_gets_a_304_without_a_body(app: Flask, path: str):
    first = anonymous(app).get(path)
    tag = first.headers["ETag"]
    assert first.status_code == 200 and re.fullmatch(r'"[0-9a-f]{32}"', tag)  # strong
    again = anonymous(app).get(path, headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.get_data() == b""
    assert again.headers["ETag"] == tag and again.headers["Cache-Control"] == "public, max-age=60"
    other = anonymous(app).get(path, headers={"If-None-Match": '"something-else"'})
    assert other.status_code == 200 and other.get_data() == first.get_data()


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_a_browser_that_takes_gzip_gets_the_page_gzipped_with_its_own_etag(app: Flask, path: str):
    plain = anonymous(app).get(path)
    assert "Content-Encoding" not in plain.headers  # asked for nothing: the page as it is
    packed = anonymous(app).get(path, headers={"Accept-Encoding": "gzip, deflate, br"})
    assert packed.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed.get_data()) == plain.get_data()  # the same page, byte for byte
    assert int(packed.headers["Content-Length"]) == len(packed.get_data()) < len(plain.get_data()) / 2
    assert packed.headers["Vary"].startswith("Accept-Encoding, ") and plain.headers["Vary"].startswith(
        "Accept-Encoding, "
    )
    tag = packed.headers["ETag"]
    assert re.fullmatch(r'"[0-9a-f]{32}-gzip"', tag) and tag != plain.headers["ETag"]  # strong, its own
    again = anonymous(app).get(path, headers={"Accept-Encoding": "gzip", "If-None-Match": tag})
    assert again.status_code == 304 and again.get_data() == b"" and again.headers["ETag"] == tag
    # the gzipped form's tag is not the plain form's: a client that takes no gzip gets the page
    other = anonymous(app).get(path, headers={"If-None-Match": tag})
    assert other.status_code == 200 and other.get_data() == plain.get_data()


def test_a_results_page_is_kept_as_it_is_and_sent_so_even_to_a_browser_that_takes_gzip(app: Flask):
    """A results page is rendered for nearly every query: packing it would cost its reader."""
    packed = {"Accept-Encoding": "gzip"}
    shown = anonymous(app).get("/search?q=password", headers=packed)
    assert shown.status_code == 200 and "Content-Encoding" not in shown.headers
    assert "<mark>" in shown.get_data(as_text=True)
    tag = shown.headers["ETag"]
    assert re.fullmatch(r'"[0-9a-f]{32}"', tag)  # the one form: the one tag
    again = anonymous(app).get("/search?q=password", headers={**packed, "If-None-Match": tag})
    assert again.status_code == 304


@pytest.mark.parametrize("accepted", ["identity", "gzip;q=0", "br", "GZIP;q=0, identity"])
def test_a_client_that_refuses_gzip_gets_the_page_as_it_is(app: Flask, accepted: str):
    shown = anonymous(app).get("/articles/app-vs-web", headers={"Accept-Encoding": accepted})
    assert "Content-Encoding" not in shown.headers
    assert "<h1" in shown.get_data(as_text=True)


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_if_modified_since_gets_a_304_when_nothing_changed_since(app: Flask, path: str):
    first = anonymous(app).get(path)
    since = first.headers["Last-Modified"]
    assert anonymous(app).get(path, headers={"If-Modified-Since": since}).status_code == 304
    older = "Mon, 01 Jan 2001 00:00:00 GMT"
    assert anonymous(app).get(path, headers={"If-Modified-Since": older}).status_code == 200


def test_each_page_has_its_own_etag(app: Flask):
    tags = {anonymous(app).get(p).headers["ETag"] for p in (*PUBLIC_PAGES, "/articles/public-wifi")}
    assert len(tags) == 4


def test_the_etag_changes_when_the_content_changes(tmp_path: Path, content_copy):
    content, flows = content_copy
    app = build_app(tmp_path, content_dir=content, flows_dir=flows, reload_seconds=0)
    before = {p: anonymous(app).get(p).headers["ETag"] for p in PUBLIC_PAGES}
    path = content / "app-vs-web.md"
    path.write_text(path.read_text() + "\nReviewed by the tests.\n")
    notice_content_edits(app, anonymous(app))  # the new snapshot loads in the background
    changed = anonymous(app).get("/articles/app-vs-web", headers={"If-None-Match": before[PUBLIC_PAGES[2]]})
    assert changed.status_code == 200 and "Reviewed by the tests" in changed.get_data(as_text=True)
    after = {p: anonymous(app).get(p).headers["ETag"] for p in PUBLIC_PAGES}
    assert all(before[p] != after[p] for p in PUBLIC_PAGES)  # every page of the new version


def test_the_etag_is_the_same_in_every_worker_and_after_a_restart(app: Flask, tmp_path: Path):
    restarted = build_app(tmp_path)  # a second app on the same files: another worker, or tomorrow
    for path in PUBLIC_PAGES:
        assert anonymous(app).get(path).headers["ETag"] == anonymous(restarted).get(path).headers["ETag"]


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_a_cacheable_page_sets_no_cookie_and_varies_on_cookie(app: Flask, path: str):
    shown = anonymous(app).get(path)
    assert "Set-Cookie" not in shown.headers
    assert "Cookie" in shown.headers["Vary"]
    assert "csrf_token" not in shown.get_data(as_text=True)  # nothing of anyone's in a shared page


def test_a_browser_with_a_diagnosis_gets_the_same_page_kept_only_by_itself(app: Flask):
    shared = anonymous(app).get("/articles/app-vs-web")
    browser = app.test_client()
    assert browser.get("/diagnose/cant-sign-in").status_code in (200, 303)  # now it has our cookie
    own = browser.get("/articles/app-vs-web")
    assert own.get_data() == shared.get_data() and own.headers["ETag"] == shared.headers["ETag"]
    assert own.headers["Cache-Control"] == "private, no-cache"
    again = browser.get("/articles/app-vs-web", headers={"If-None-Match": own.headers["ETag"]})
    assert again.status_code == 304


def test_a_page_with_a_message_waiting_is_rendered_for_that_browser(app: Flask):
    browser = app.test_client()
    browser.post(
        "/articles/app-vs-web/feedback", data={"helpful": "no"}, headers={"Origin": "http://localhost"}
    )
    page = browser.get("/articles/app-vs-web")
    assert "What was missing or unclear?" in page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "private, no-cache" and "ETag" not in page.headers
    with browser.session_transaction() as session:
        session["_flashes"] = [("message", "A message for this browser alone.")]
    home = browser.get("/")
    assert "A message for this browser alone." in home.get_data(as_text=True)
    assert "ETag" not in home.headers and home.headers["Cache-Control"] == "private, no-cache"
    assert "A message for this browser alone." not in anonymous(app).get("/").get_data(as_text=True)


def test_signed_in_people_get_no_store_and_no_etag(app: Flask, account):
    client = app.test_client()
    assert sign_in(client, "pat@example.org", DEMO_PASSWORD).status_code == 303
    for path in PUBLIC_PAGES:
        shown = client.get(path)
        assert shown.headers["Cache-Control"] == "no-store" and "ETag" not in shown.headers, path
        assert "Your account" in shown.get_data(as_text=True), path


# -- static files ---------------------------------------------------------------------------------


def test_pages_link_to_static_files_by_hashed_names_kept_a_year(app: Flask):
    page = anonymous(app).get("/").get_data(as_text=True)
    links = re.findall(r'(?:href|src)="(/static/[^"]+)"', page)
    assert {re.sub(r"\.[0-9a-f]{8}\.", ".", link) for link in links} == {
        "/static/site.css",
        "/static/words.js",
        "/static/search.js",
        "/static/password.js",
        "/static/times.js",
    }
    for link in links:
        served = anonymous(app).get(link)
        assert served.status_code == 200, link
        assert served.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        plain = re.sub(r"\.[0-9a-f]{8}\.", ".", link).removeprefix("/static/")
        assert served.get_data() == (ROOT / "static" / plain).read_bytes()
        assert "Set-Cookie" not in served.headers
        again = anonymous(app).get(link, headers={"If-None-Match": served.headers["ETag"]})
        assert again.status_code == 304


def test_the_plain_static_names_still_answer_kept_a_short_time(app: Flask):
    styles = anonymous(app).get("/static/site.css")
    assert styles.status_code == 200 and styles.mimetype == "text/css"
    assert styles.headers["Cache-Control"] == "public, max-age=300"
    assert anonymous(app).get("/static/site.0000000.css").status_code == 404
    assert anonymous(app).get("/static/site.00000000.css").status_code == 404


def test_the_content_security_policy_still_allows_the_hashed_files(app: Flask):
    shown = anonymous(app).get("/")
    policy = shown.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy  # same origin: /static/…


# -- the article index ------------------------------------------------------------------------------


def many_articles(tmp_path: Path, count: int) -> Flask:
    """The fixture content (Basics, updated 2026-11-25; More) and *count* generated articles."""
    content = tmp_path / "content"
    shutil.copytree(FIXTURES / "good" / "content", content)
    for n in range(count):
        day = 1 + n % 28
        (content / f"article-{n:03}.md").write_text(
            f"---\ntitle: Article {n:03}\nsummary: Number {n}.\n"
            f"updated: 2026-{1 + n // 28 % 12:02}-{day:02}\n---\nText {n}.\n"
        )
    return build_app(tmp_path, content_dir=content, flows_dir=FIXTURES / "good" / "flows")


def listed(html: str) -> list[str]:
    return re.findall(r'<a href="/articles/(article-\d+)">', html)


def test_the_index_shows_fifty_articles_a_page_with_links_to_the_next_and_previous(tmp_path: Path):
    app = many_articles(tmp_path, 120)
    client = anonymous(app)
    first = client.get("/articles/").get_data(as_text=True)
    assert listed(first) == [f"article-{n:03}" for n in range(50)]
    assert "Articles 1 to 50 of 122" in first and "Page 1 of 3" in first
    assert '<link rel="next" href="/articles/?page=2">' in first and 'rel="prev"' not in first
    second = client.get("/articles/?page=2").get_data(as_text=True)
    assert listed(second) == [f"article-{n:03}" for n in range(50, 100)]
    assert '<link rel="prev" href="/articles/">' in second
    assert '<link rel="next" href="/articles/?page=3">' in second
    last = client.get("/articles/?page=3").get_data(as_text=True)
    assert listed(last) == [f"article-{n:03}" for n in range(100, 120)] and 'rel="next"' not in last
    assert "Articles 101 to 122 of 122" in last and 'href="/articles/more"' in last
    assert client.get("/articles/?page=2").headers["ETag"] != client.get("/articles/?page=3").headers["ETag"]


def test_a_page_past_the_end_is_a_404(tmp_path: Path):
    client = anonymous(many_articles(tmp_path, 60))
    assert client.get("/articles/?page=2").status_code == 200
    for page in ("3", "0", "999999"):
        assert client.get(f"/articles/?page={page}").status_code == 404, page


@pytest.mark.parametrize("page", ["two", "-1", "2.5", "", " 2", "1e3", "٢", "9" * 40, "0x2"])
def test_a_page_number_that_is_not_one_is_a_clear_400(fixture_client, page: str):
    answer = fixture_client.get("/articles/", query_string={"page": page})
    assert answer.status_code == 400, page
    assert "The page number must be a whole number" in answer.get_data(as_text=True)


def test_an_index_with_one_page_has_no_page_links(fixture_client):
    page = fixture_client.get("/articles/").get_data(as_text=True)
    assert 'rel="next"' not in page and 'rel="prev"' not in page and "Page 1 of" not in page


# -- the home page's lists --------------------------------------------------------------------------


def test_home_lists_the_most_read_and_the_newest_articles_not_all(tmp_path: Path):
    app = many_articles(tmp_path, 120)
    today = utcnow().date()
    with app.app_context():
        for slug, views, days_ago in [
            ("article-007", 50, 1),
            ("article-003", 70, 2),
            ("article-099", 20, 0),
            ("article-050", 500, 40),  # read long ago: not "lately"
        ]:
            db.session.add(ArticleView(article=slug, day=today - timedelta(days=days_ago), views=views))
        db.session.commit()
    page = anonymous(app).get("/").get_data(as_text=True)
    popular = page[page.index("Articles people read most") : page.index("Recently updated articles")]
    assert listed(popular) == ["article-003", "article-007", "article-099"]
    recent = page[page.index("Recently updated articles") :]
    # Basics (2026-11-25), then the newest dates many_articles gives: 2026-05-08 (article 119)…
    assert 'href="/articles/basics"' in recent
    assert listed(recent) == [f"article-{n}" for n in range(119, 114, -1)]
    assert len(listed(page)) == 8  # not the 120
    assert 'href="/articles/">All 122 articles</a>' in page


def test_home_without_any_views_shows_no_empty_most_read_list(fixture_client):
    page = fixture_client.get("/").get_data(as_text=True)
    assert "Articles people read most" not in page and "Recently updated articles" in page


# -- /healthz ---------------------------------------------------------------------------------------


def count_selects(app: Flask) -> list[str]:
    seen: list[str] = []
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", lambda *a: seen.append(a[2]))
    return seen


def test_healthz_asks_the_database_at_most_every_few_seconds(tmp_path: Path):
    app = build_app(tmp_path, health_seconds=60)
    seen = count_selects(app)
    answers = [anonymous(app).get("/healthz") for _ in range(5)]
    assert [a.status_code for a in answers] == [200] * 5
    assert seen.count("SELECT 1") == 1
    assert answers[0].json["database_checked_seconds_ago"] == 0.0
    assert answers[-1].json["database_checked_seconds_ago"] >= 0.0
    assert set(answers[-1].json) == {
        "status",
        "checks",
        "articles",
        "flows",
        "database_checked_seconds_ago",
        "directory_checked_seconds_ago",
    }
    assert answers[-1].headers["Cache-Control"] == "no-store"


def test_healthz_asks_again_once_the_interval_has_passed(tmp_path: Path):
    app = build_app(tmp_path, health_seconds=0)
    seen = count_selects(app)
    for _ in range(3):
        assert anonymous(app).get("/healthz").status_code == 200
    assert seen.count("SELECT 1") == 3


def test_healthz_keeps_answering_503_while_the_database_is_down(tmp_path: Path):
    unhealthy = app_without_database(tmp_path)
    for _ in range(3):
        answer = unhealthy.test_client().get("/healthz")
        assert answer.status_code == 503
        assert answer.json["status"] == "unavailable" and answer.json["checks"] == {
            "database": False,
            "directory": False,  # the embedded directory is in that database
            "content": True,
        }


def test_static_files_and_healthz_carry_every_answer_s_headers_without_a_cookie(app: Flask):
    for path in ("/static/site.css", "/healthz"):
        shown = anonymous(app).get(path)
        assert shown.headers["X-Content-Type-Options"] == "nosniff", path
        assert shown.headers["Content-Security-Policy"].startswith("default-src 'self'"), path
        assert "Set-Cookie" not in shown.headers, path


def test_a_head_request_for_a_static_file_gets_its_headers_and_no_body(app: Flask):
    shown = anonymous(app).head("/static/times.js")
    assert shown.status_code == 200 and shown.get_data() == b""
    assert int(shown.headers["Content-Length"]) == (ROOT / "static" / "times.js").stat().st_size
    assert shown.mimetype == "text/javascript"
