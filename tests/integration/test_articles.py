"""Article pages and "Was this helpful?"."""

from __future__ import annotations

from sqlalchemy import select

from helpdesk.extensions import db
from helpdesk.models import ArticleFeedback
from tests.support import csrf_from


def feedback_rows(app):
    with app.app_context():
        rows = db.session.scalars(select(ArticleFeedback)).all()
        return [(r.article, r.helpful, r.comment) for r in rows]


def test_the_article_page_has_its_table_of_contents(fixture_client):
    page = fixture_client.get("/articles/basics").get_data(as_text=True)
    assert "<h1>Basics</h1>" in page and page.count("<h1") == 1
    assert '<a href="#first-part">First part</a>' in page
    assert '<a href="#a-detail">A detail</a>' in page
    assert 'href="/diagnose/fix-it"' in page  # its flow is offered
    assert 'href="/articles/more#deeper"' in page  # links between articles are rewritten


def test_the_article_index_and_home_list_the_articles(fixture_client):
    for url in ("/articles/", "/"):
        page = fixture_client.get(url).get_data(as_text=True)
        assert 'href="/articles/basics"' in page and 'href="/articles/more"' in page


def test_the_home_page_links_to_the_flows(fixture_client):
    page = fixture_client.get("/").get_data(as_text=True)
    assert 'href="/diagnose/fix-it"' in page and 'href="/diagnose/other-flow"' in page


def test_an_unknown_article_is_a_404(fixture_client):
    assert fixture_client.get("/articles/nothing-here").status_code == 404


SAME_SITE = {"Sec-Fetch-Site": "same-origin", "Origin": "http://localhost"}


def vote(client, choice: str, **headers: str):
    return client.post("/articles/basics/feedback", data={"helpful": choice}, headers=headers or SAME_SITE)


def test_helpful_yes_is_stored_and_asked_once(fixture_client, fixture_app):
    page = fixture_client.get("/articles/basics").get_data(as_text=True)
    assert "Was this helpful?" in page and "csrf_token" not in page  # the page is the same for all
    assert vote(fixture_client, "yes").status_code == 303
    page = fixture_client.get("/articles/basics").get_data(as_text=True)
    assert "Was this helpful?" not in page and "Thank you for your feedback." in page
    vote(fixture_client, "no")
    assert feedback_rows(fixture_app) == [("basics", True, "")]


def test_helpful_no_offers_a_comment_that_is_stored(fixture_client, fixture_app):
    vote(fixture_client, "no")
    page = fixture_client.get("/articles/basics").get_data(as_text=True)
    assert "What was missing or unclear?" in page
    token = csrf_from(page)  # the comment form is this browser's own page: it has its token
    empty = fixture_client.post(
        "/articles/basics/feedback/comment", data={"csrf_token": token, "comment": "  "}
    )
    assert empty.status_code == 400 and "Please write a few words" in empty.get_data(as_text=True)
    long = fixture_client.post(
        "/articles/basics/feedback/comment", data={"csrf_token": token, "comment": "x" * 2001}
    )
    assert long.status_code == 400 and "under 2000 characters" in long.get_data(as_text=True)
    fixture_client.post(
        "/articles/basics/feedback/comment",
        data={"csrf_token": token, "comment": "The steps for my phone are missing."},
    )
    fixture_client.post("/articles/basics/feedback/comment", data={"csrf_token": token, "comment": "again"})
    assert feedback_rows(fixture_app) == [("basics", False, "The steps for my phone are missing.")]


def test_feedback_needs_yes_or_no(fixture_client, fixture_app):
    refused = vote(fixture_client, "maybe")
    assert refused.status_code == 400
    assert "Choose yes or no." in refused.get_data(as_text=True)
    assert feedback_rows(fixture_app) == []


def test_a_comment_without_csrf_is_refused(fixture_client, fixture_app):
    vote(fixture_client, "no")
    refused = fixture_client.post("/articles/basics/feedback/comment", data={"comment": "forged"})
    assert refused.status_code == 400
    assert feedback_rows(fixture_app) == [("basics", False, "")]


def test_a_vote_sent_from_another_site_is_refused(fixture_client, fixture_app):
    for headers in (
        {"Sec-Fetch-Site": "cross-site", "Origin": "https://elsewhere.example"},
        {"Sec-Fetch-Site": "same-site", "Origin": "http://sub.localhost"},
        {"Origin": "https://elsewhere.example"},  # a browser without Fetch Metadata
        {"Origin": "null"},  # a sandboxed frame, a data: page
    ):
        refused = vote(fixture_client, "yes", **headers)
        assert refused.status_code == 400, headers
        assert "sent from somewhere else" in refused.get_data(as_text=True)
    assert feedback_rows(fixture_app) == []


def test_a_vote_from_this_site_counts_with_or_without_fetch_metadata(fixture_app):
    assert vote(fixture_app.test_client(), "yes", Origin="http://localhost").status_code == 303
    assert vote(fixture_app.test_client(), "no", **{"Sec-Fetch-Site": "same-origin"}).status_code == 303
    assert len(feedback_rows(fixture_app)) == 2


def test_article_images_are_served_from_the_content_folder(fixture_client):
    page = fixture_client.get("/articles/more").get_data(as_text=True)
    assert '<img alt="A small diagram" src="/articles/media/images/diagram.png">' in page
    image = fixture_client.get("/articles/media/images/diagram.png")
    assert image.status_code == 200 and image.headers["Content-Type"] == "image/png"
    assert fixture_client.get("/articles/media/more.md").status_code == 404  # only images
    assert fixture_client.get("/articles/media/../../pyproject.png").status_code == 404
    assert fixture_client.get("/articles/media/images/missing.png").status_code == 404


def test_remote_images_in_articles_are_dropped():
    from helpdesk.content.render import render_markdown

    html = render_markdown("![tracker](https://example.test/pixel.png)\n").html
    assert "example.test" not in html


def test_the_check_link_page_gives_a_verdict_and_reasons(fixture_client):
    from tests.support import csrf_from

    page = fixture_client.get("/check-link").get_data(as_text=True)
    bad = fixture_client.post(
        "/check-link", data={"csrf_token": csrf_from(page), "link": "https://example.org@evil.test/login"}
    )
    text = bad.get_data(as_text=True)
    assert bad.status_code == 200 and "don&#39;t trust this link" in text.replace("don't", "don&#39;t")
    assert "really goes to evil.test" in text
    good = fixture_client.post(
        "/check-link", data={"csrf_token": csrf_from(page), "link": "https://example.org/x"}
    )
    assert "this is one of our addresses" in good.get_data(as_text=True)
    empty = fixture_client.post("/check-link", data={"csrf_token": csrf_from(page), "link": "  "})
    assert empty.status_code == 400 and "Paste a link" in empty.get_data(as_text=True)
    long = "https://example.org" + "\n" * 3990 + ".evil.test/"  # never cut down to the official part
    refused = fixture_client.post("/check-link", data={"csrf_token": csrf_from(page), "link": long})
    assert refused.status_code == 400 and "too long" in refused.get_data(as_text=True)
    assert 'href="/diagnose/is-this-site-ours"' in page


def test_the_phishing_article_links_to_the_checker_and_its_flow(client):
    page = client.get("/articles/spotting-phishing").get_data(as_text=True)
    assert 'href="/check-link"' in page and "/diagnose/is-this-site-ours" in page
