"""Search: the right article for what people type, typos forgiven, any input safe, nothing-found
searches kept for editors (scrubbed), the index following the content files."""

from __future__ import annotations

import csv
import io
import shutil

import pytest

from helpdesk.analytics import count_view
from helpdesk.search import search
from tests.conftest import FIXTURES, build_app, make_staff, staff_client


def slugs(app, query: str, **options) -> list[str]:
    with app.test_request_context():
        return [f"{hit.kind}:{hit.slug}" for hit in search(query, **options).hits]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("forgot password", "article:forgotten-password"),
        ("locked out", "flow:locked-out"),
        ("account locked", "article:locked-account"),
        ("phishing email", "article:spotting-phishing"),
        ("authenticator code refused", "article:two-factor-codes"),
        ("lost my phone", "flow:lost-phone"),
        ("public wifi", "article:public-wifi"),
        ("is this site real", "flow:is-this-site-ours"),
        ("new recovery codes", "flow:after-recovery"),
        # misspelt
        ("pasword", "article:forgotten-password"),
        ("authentcator", "article:two-factor-codes"),
        ("lockd out", "flow:locked-out"),
        ("phising", "article:spotting-phishing"),
    ],
)
def test_what_people_type_finds_the_right_help_near_the_top(app, query, expected):
    assert expected in slugs(app, query)[:3]


def test_a_misspelt_search_says_what_it_searched_for_instead(app, client):
    page = client.get("/search?q=lockd+out").get_data(as_text=True)
    assert "No results for <q>lockd out</q>. Showing results for\n    <strong>locked out</strong>" in page
    assert 'href="/diagnose/locked-out"' in page


def test_when_no_page_has_every_word_the_pages_with_some_are_shown(app, client):
    with app.test_request_context():
        found = search("password zebra")
    assert found.partial and not found.corrected
    assert "flow:wrong-password" in [f"{h.kind}:{h.slug}" for h in found.hits][:3]
    assert "No page has all of these words" in client.get("/search?q=password+zebra").get_data(as_text=True)


def test_words_in_another_form_are_not_corrected(app):
    with app.test_request_context():
        found = search("resets")  # not a word of the content, but "reset" is: stemming finds it
    assert found.hits and not found.corrected and found.shown_query == "resets"


def test_results_show_title_highlighted_snippet_and_a_start_link_for_flows(client):
    page = client.get("/search?q=authenticator").get_data(as_text=True)
    assert '<a class="result-title" href="/articles/two-factor-codes">' in page
    assert "<mark>authenticator</mark>" in page
    assert (
        '<a class="button" href="/diagnose/two-factor-rejected" rel="nofollow">Start the diagnosis</a>'
        in page
    )


@pytest.fixture
def own_content(tmp_path):
    """The fixture content plus articles written to test ranking, stemming and drafts."""
    content = tmp_path / "content"
    flows = tmp_path / "flows"
    shutil.copytree(FIXTURES / "good" / "content", content)
    shutil.copytree(FIXTURES / "good" / "flows", flows)

    def article(slug: str, title: str, body: str, draft: bool = False) -> None:
        front = f"---\ntitle: {title}\nsummary: About {slug}.\n" + ("draft: true\n" if draft else "")
        (content / f"{slug}.md").write_text(front + "---\n" + body + "\n")

    article("in-the-title", "Bicycle repairs", "How to mend things.")
    article("in-the-body", "Mending things", "A bicycle, a bicycle, and another bicycle.")
    article("stemmed", "Gardening", "She was gardening while others gardened.")
    article("not-yet", "Bicycle secrets", "Draft text about a bicycle.", draft=True)
    app = build_app(tmp_path, content_dir=content, flows_dir=flows, reload_seconds=0)
    return app, content, flows


def test_a_match_in_the_title_ranks_above_matches_in_the_body(own_content):
    app, _, _ = own_content
    assert slugs(app, "bicycle")[:2] == ["article:in-the-title", "article:in-the-body"]


def test_words_match_their_other_forms(own_content):
    app, _, _ = own_content
    assert "article:stemmed" in slugs(app, "garden")
    assert "article:stemmed" in slugs(app, "gardens")


def test_drafts_are_not_found(own_content):
    app, _, _ = own_content
    assert "article:not-yet" not in slugs(app, "bicycle secrets")
    assert "article:not-yet" not in slugs(app, "secrets")


def test_flows_are_found_by_the_problems_they_solve(own_content):
    app, _, _ = own_content
    assert slugs(app, "it is broken")[0] == "flow:fix-it"


def test_prefixes_find_words_as_they_are_typed(own_content):
    app, _, _ = own_content
    assert slugs(app, "bicy") == []  # a whole-word search for an unfinished word
    assert slugs(app, "bicy", prefix=True)[:2] == ["article:in-the-title", "article:in-the-body"]


def test_the_index_follows_the_files_when_they_change(own_content):
    app, content, _ = own_content
    client = app.test_client()
    assert slugs(app, "tandem") == []
    path = content / "in-the-body.md"
    path.write_text(path.read_text() + "\nA tandem is a bicycle for two.\n")
    client.get("/")  # a request notices the change (live reload)
    assert slugs(app, "tandem") == ["article:in-the-body"]
    (content / "in-the-title.md").unlink()
    client.get("/")
    assert "article:in-the-title" not in slugs(app, "bicycle")


def test_suggestions_as_you_type_are_json(client):
    reply = client.get("/search/suggest?q=authent")
    assert reply.status_code == 200 and reply.is_json
    hits = reply.get_json()["hits"]
    assert 0 < len(hits) <= 6
    assert {"kind", "title", "url", "snippet_html"} <= set(hits[0])
    assert any(h["url"] == "/articles/two-factor-codes" for h in hits)


NASTY = [
    "",
    "   ",
    '"',
    '"unbalanced',
    "password*",
    "*",
    "NEAR(a b)",
    "a AND OR NOT b",
    "col:title",
    "^start",
    "(((",
    "'; DROP TABLE search_documents; --",
    "password & | ! :* <-> <2>",
    "\\",
    "a\x00b",
    "\x00",
    "x" * 10_000,
    "word " * 2_000,
    "пароль забыл",
    "密码 忘记",
    "كلمة المرور",
    "🔑🔒",
    "<script>alert(1)</script>",
    "%00%ff",
]


@pytest.mark.parametrize("query", NASTY, ids=range(len(NASTY)))
def test_any_input_gets_a_results_page(client, query):
    page = client.get("/search", query_string={"q": query})
    assert page.status_code == 200
    assert "<h1>Search the help center</h1>" in page.get_data(as_text=True)
    assert "<script>alert" not in page.get_data(as_text=True)
    assert client.get("/search/suggest", query_string={"q": query}).status_code == 200


@pytest.mark.parametrize("raw", ["%ff%fe", "%ED%A0%80", "%C0%AF", "%", "%zz"])
def test_bytes_that_are_not_utf8_get_a_results_page(client, raw):
    assert client.get(f"/search?q={raw}").status_code == 200
    assert client.get(f"/search/suggest?q={raw}").status_code == 200


def test_nothing_found_offers_the_entry_flow_and_the_most_read_articles(app, client):
    with app.test_request_context():
        for _ in range(3):
            count_view("public-wifi")
    page = client.get("/search?q=zqxvw").get_data(as_text=True)
    assert "Nothing matched <q>zqxvw</q>" in page
    assert 'href="/diagnose/cant-sign-in"' in page
    most_read = page.index("Articles people read most")
    assert page.index('href="/articles/public-wifi"', most_read) > most_read


def test_searches_that_found_nothing_reach_the_editors_scrubbed(app, client):
    for query in ["zqxvw", "ZQXVW", "zqxvw xqzv@qzxv.qqzz", "password"]:
        client.get("/search", query_string={"q": query})
    client.get("/search/suggest?q=qwzzx")  # typing is not searching: not kept
    editor = staff_client(app, "ed@example.org", make_staff(app, "ed@example.org", "editor"))
    page = editor.get("/editor/analytics?days=7").get_data(as_text=True)
    section = page[page.index("Searches that found nothing") :]
    assert "<td>zqxvw</td><td>2</td>" in section
    assert "<td>zqxvw [email]</td><td>1</td>" in section
    assert "xqzv@" not in page and "qwzzx" not in page
    assert "<td>password</td>" not in section
    rows = list(
        csv.reader(io.StringIO(editor.get("/editor/analytics-searches.csv?days=7").get_data(as_text=True)))
    )
    assert rows[0] == ["query", "searches"]
    assert ["zqxvw", "2"] in rows


def test_a_search_that_looks_like_a_formula_stays_text_in_the_csv(app, client):
    client.get("/search", query_string={"q": "=zqxvw(1)"})
    editor = staff_client(app, "ed@example.org", make_staff(app, "ed@example.org", "editor"))
    text = editor.get("/editor/analytics-searches.csv").get_data(as_text=True)
    assert "'=zqxvw(1)" in text


@pytest.mark.parametrize(
    "path", ["/", "/articles/", "/articles/public-wifi", "/check-link", "/login", "/diagnose/cant-sign-in"]
)
def test_every_page_has_a_search_box(client, path):
    page = client.get(path, follow_redirects=True).get_data(as_text=True)
    assert '<form class="site-search" role="search" action="/search" method="get">' in page
    assert 'name="q"' in page
