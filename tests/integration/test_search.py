"""Search: the right article for what people type, typos forgiven, any input safe, nothing-found
searches kept for editors (scrubbed), the index following the content files."""

from __future__ import annotations

import csv
import dataclasses
import io
import re
import shutil
from pathlib import Path

import pytest
from sqlalchemy import select

from helpdesk.content.live import KEY as CATALOG_KEY
from helpdesk.content.live import catalog
from helpdesk.extensions import db
from helpdesk.models import ArticleView, SearchMiss
from helpdesk.problems import ContentError
from helpdesk.readership import flush_views, record_view
from helpdesk.search import search
from helpdesk.search.documents import documents
from tests.conftest import FIXTURES, build_app, make_staff, staff_client
from tests.support import notice_content_edits


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
    words = " ".join(page.split())  # the sentence is one message of the catalog: its line breaks may move
    assert "No results for <q>lockd out</q>. Showing results for <strong>locked out</strong>" in words
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

    # the same words in both, "zither" in the title of one and in the tags of the other: the two
    # are in the first tier of results, and only the weight of the column can put the title first
    # (the one with it in the title is longer, and sorted after the other, so it wins no tie)
    tuned = "---\ntitle: Zither tuning by ear for patient beginners\nsummary: Strings.\ntags: [harp]\n"
    (content / "zither-in-the-title.md").write_text(tuned + "---\nTurn the pegs.\n")
    tagged = "---\ntitle: Harp tuning by ear for patient beginners\nsummary: Strings.\ntags: [zither]\n"
    (content / "zither-in-the-tags.md").write_text(tagged + "---\nTurn the pegs.\n")

    article("in-the-title", "Bicycle repairs", "How to mend things.")
    article("in-the-body", "Mending things", "A bicycle, a bicycle, and another bicycle.")
    article("stemmed", "Gardening", "She was gardening while others gardened.")
    article("not-yet", "Bicycle secrets", "Draft text about a bicycle.", draft=True)
    app = build_app(tmp_path, content_dir=content, flows_dir=flows, reload_seconds=0)
    return app, content, flows


def test_a_match_in_the_title_ranks_above_matches_in_the_body(own_content):
    app, _, _ = own_content
    assert slugs(app, "bicycle")[:2] == ["article:in-the-title", "article:in-the-body"]


def test_within_one_tier_a_match_in_the_title_outweighs_one_in_the_tags(own_content):
    app, _, _ = own_content
    assert slugs(app, "zither")[:2] == ["article:zither-in-the-title", "article:zither-in-the-tags"]


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
    notice_content_edits(app, client)  # a request notices the change (live reload)
    assert slugs(app, "tandem") == ["article:in-the-body"]
    (content / "in-the-title.md").unlink()
    notice_content_edits(app, client)
    assert "article:in-the-title" not in slugs(app, "bicycle")


def _searched_in_sqlite(app) -> None:
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("on PostgreSQL the index is a table of the database (unit/search/test_postgres.py)")


def test_the_index_of_a_content_version_is_one_file_that_the_next_worker_reads(own_content, tmp_path):
    app, content, flows = own_content
    _searched_in_sqlite(app)
    assert slugs(app, "bicycle")[:2] == ["article:in-the-title", "article:in-the-body"]
    folder = Path(app.instance_path) / "search"
    (built,) = folder.glob("*.fts5")
    written = built.stat().st_ino
    # another worker (or the next boot) on the same instance folder and content
    worker = build_app(tmp_path, content_dir=content, flows_dir=flows, reload_seconds=0)
    assert slugs(worker, "bicycle")[:2] == ["article:in-the-title", "article:in-the-body"]
    assert [p.name for p in folder.glob("*.fts5")] == [built.name]
    assert built.stat().st_ino == written  # read as it is, not built again
    # an edit is a new version: a file of its own
    path = content / "in-the-body.md"
    path.write_text(path.read_text() + "\nA tandem is a bicycle for two.\n")
    notice_content_edits(worker, worker.test_client())
    assert slugs(worker, "tandem") == ["article:in-the-body"]
    assert len(list(folder.glob("*.fts5"))) == 2  # the first is removed once stale


def test_search_goes_on_in_memory_where_the_instance_folder_cannot_hold_the_index(tmp_path, caplog):
    app = build_app(tmp_path)
    _searched_in_sqlite(app)
    (Path(app.instance_path) / "search").write_text("a file where the folder would be")
    assert "article:forgotten-password" in slugs(app, "forgot password")
    assert "searching in memory" in caplog.text


def test_suggestions_as_you_type_are_json(client):
    reply = client.get("/search/suggest?q=authent")
    assert reply.status_code == 200 and reply.is_json
    hits = reply.get_json()["hits"]
    assert 0 < len(hits) <= 6
    assert {"kind", "title", "url", "snippet_html"} <= set(hits[0])
    assert any(h["url"] == "/articles/two-factor-codes" for h in hits)


def test_suggestions_correct_a_misspelt_word_being_typed(client):
    for typed, expected in [
        ("pasword", "/articles/forgotten-password"),
        ("authentcator", "/articles/two-factor-codes"),
        ("lockd", "/diagnose/locked-out"),
    ]:
        found = client.get("/search/suggest", query_string={"q": typed}).get_json()
        assert expected in [h["url"] for h in found["hits"]], typed


def test_a_word_with_an_underscore_is_searched_as_its_parts(client):
    page = client.get("/search?q=reset_password").get_data(as_text=True)
    assert 'href="/articles/forgotten-password"' in page
    assert "Nothing matched" not in page


def test_a_query_of_only_common_words_asks_for_a_better_one(app, client):
    page = client.get("/search?q=the+a+I").get_data(as_text=True)
    assert "Try a word that says what went wrong" in page
    assert 'class="search-results"' not in page  # not a list of every page
    assert 'href="/diagnose/cant-sign-in"' in page  # the entry flow, as when nothing matched
    assert client.get("/search/suggest?q=the").get_json()["hits"] == []
    with app.app_context():
        assert db.session.scalars(select(SearchMiss.query)).all() == []  # no gap in the content


def test_recovery_and_reference_codes_never_reach_the_editors(app, client):
    for query in ["7KQ4M-XW2PB", "zqxvw 7kq4mxw2pb", "9HXT-M3VR", "ZQXV-WQKZ", "xqzv\uff20qzxv.qqzz"]:
        client.get("/search", query_string={"q": query})
    with app.app_context():
        kept = sorted(db.session.execute(select(SearchMiss.query, SearchMiss.count)).tuples())
    assert kept == [("[code]", 3), ("[email]", 1), ("zqxvw [code]", 1)]


@pytest.fixture
def marked_up_content(content_copy, tmp_path):
    """The sample content plus an article whose every field holds markup and escapes."""
    content, flows = content_copy
    (content / "markup-zebra.md").write_text(
        "---\n"
        "title: \"<script>alert('t')</script> Zebra crossing\"\n"
        "summary: \"<img src=x onerror=alert('s')> Okapi summary &lt;b&gt;\"\n"
        'tags: ["<b>zebra</b>"]\n'
        "---\n"
        "## Zebra <script>alert('h')</script> & fish &lt;chips&gt;\n\n"
        "Zebra body <img src=x onerror=alert('b')> and &lt;script&gt;alert('e')&lt;/script&gt; "
        "and `<script>` in code.\n"
    )
    app = build_app(tmp_path, content_dir=content, flows_dir=flows)
    yield app
    with app.app_context():
        db.engine.dispose()


def test_markup_in_the_content_is_shown_as_text_in_results_and_the_api(marked_up_content):
    client = marked_up_content.test_client()
    for query in ["zebra", "zebra body", "fish chips", "okapi"]:
        page = client.get("/search", query_string={"q": query}).get_data(as_text=True)
        assert 'href="/articles/markup-zebra"' in page, query
        assert "<script>alert" not in page and not re.search(r"<img[^>]*onerror", page), query
        assert "&lt;script&gt;alert(&#39;t&#39;)&lt;/script&gt; Zebra crossing</a>" in page
    # the summary is the snippet when the body does not match: plain text, escaped
    page = client.get("/search?q=okapi").get_data(as_text=True)
    assert (
        "&lt;img src=x onerror=alert(&#x27;s&#x27;)&gt; <mark>Okapi</mark> summary &amp;lt;b&amp;gt;" in page
    )
    # the body's passage: what the reader of the article sees, markup and escapes as text
    page = client.get("/search?q=zebra+body").get_data(as_text=True)
    assert "<mark>body</mark> &lt;img src=x onerror=alert(&#x27;b&#x27;)&gt; and &lt;script&gt;" in page
    for query in ["zebra", "zebra body", "okapi"]:
        hits = client.get("/api/v1/search", query_string={"q": query}).get_json()["hits"]
        hit = next(h for h in hits if h["slug"] == "markup-zebra")
        assert hit["title"] == "<script>alert('t')</script> Zebra crossing"  # JSON text, not HTML
        assert "<" not in re.sub(r"</?mark>", "", hit["snippet_html"]), hit["snippet_html"]
    suggested = client.get("/search/suggest?q=zebr").get_json()["hits"]
    assert "/articles/markup-zebra" in [h["url"] for h in suggested]
    assert all("<" not in re.sub(r"</?mark>", "", h["snippet_html"]) for h in suggested)


def test_headings_are_indexed_as_the_reader_reads_them(marked_up_content):
    with marked_up_content.test_request_context():
        document = next(d for d in documents(catalog()) if d.slug == "markup-zebra")
        assert "& fish <chips>" in document.headings
    # "&lt;" is in the summary as typed (front matter is plain text); "&" is only in the heading
    assert "article:markup-zebra" not in slugs(marked_up_content, "amp")
    assert "article:markup-zebra" in slugs(marked_up_content, "chips")


def test_a_content_file_with_too_long_a_name_is_refused_and_search_goes_on(own_content):
    app, content, _ = own_content
    client = app.test_client()
    long_name = "a-" * 50 + "bicycle"  # 107 characters: more than the index and the tables keep
    (content / f"{long_name}.md").write_text("---\ntitle: Bicycle\nsummary: Too long a name.\n---\nBody.\n")
    notice_content_edits(app, client)  # live reload sees the file, refuses it, keeps the last good content
    page = client.get("/search?q=bicycle")
    assert page.status_code == 200 and 'href="/articles/in-the-title"' in page.get_data(as_text=True)
    assert long_name not in page.get_data(as_text=True)
    with pytest.raises(ContentError, match="at most 100 characters"):
        build_app(
            app.extensions["helpdesk.settings"].instance_dir.parent / "again",
            content_dir=content,
            flows_dir=app.extensions["helpdesk.settings"].flows_dir,
        )


def test_one_document_the_index_cannot_hold_does_not_break_search(own_content):
    app, _, _ = own_content
    with app.app_context():
        served = catalog()
        long_slug = "b-" * 60 + "bicycle"  # past the content checks: what the index must survive
        article = dataclasses.replace(served.articles["in-the-title"], slug=long_slug)
        app.extensions[CATALOG_KEY] = dataclasses.replace(
            served, articles={**served.articles, long_slug: article}
        )
    page = app.test_client().get("/search?q=bicycle")
    assert page.status_code == 200
    assert 'href="/articles/in-the-body"' in page.get_data(as_text=True)


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
            record_view("public-wifi")
        flush_views()  # what the flush thread does every few seconds
    page = client.get("/search?q=zqxvw").get_data(as_text=True)
    assert "Nothing matched <q>zqxvw</q>" in page
    assert 'href="/diagnose/cant-sign-in"' in page
    most_read = page.index("Articles people read most")
    assert page.index('href="/articles/public-wifi"', most_read) > most_read


def test_a_search_that_finds_nothing_writes_no_article_views(app, client):
    with app.test_request_context():
        record_view("public-wifi")  # waiting in this worker's buffer for the flush thread
    assert client.get("/search?q=zqxvw").status_code == 200
    with app.app_context():
        assert db.session.scalars(select(ArticleView)).all() == []  # reads never write them


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
    assert '<form class="site-search" role="search" action="/search" method="get" novalidate>' in page
    assert 'name="q"' in page


def test_a_results_page_is_cached_for_everyone_not_signed_in(client):
    first = client.get("/search?q=forgot+password")
    assert first.status_code == 200
    assert first.headers["Cache-Control"].startswith("public, max-age=")
    assert "Cookie" in first.headers["Vary"] and "Set-Cookie" not in first.headers
    etag = first.headers["ETag"]
    again = client.get("/search?q=forgot++password")  # the same question, cleaned
    assert (again.headers["ETag"], again.get_data()) == (etag, first.get_data())
    assert client.get("/search?q=forgot+password", headers={"If-None-Match": etag}).status_code == 304
    other = client.get("/search?q=locked+out")
    assert other.headers["ETag"] != etag and other.get_data() != first.get_data()


def test_a_cached_results_page_follows_the_files_when_they_change(own_content):
    app, content, _ = own_content
    client = app.test_client()
    before = client.get("/search?q=tandem")
    assert "Nothing matched" in before.get_data(as_text=True)
    path = content / "in-the-body.md"
    path.write_text(path.read_text() + "\nA tandem is a bicycle for two.\n")
    notice_content_edits(app, client)
    after = client.get("/search?q=tandem")
    assert after.headers["ETag"] != before.headers["ETag"]
    assert 'href="/articles/in-the-body"' in after.get_data(as_text=True)


def test_a_cached_results_page_that_finds_nothing_still_counts_each_search(app, client):
    for _ in range(3):
        assert "Nothing matched" in client.get("/search?q=zqxvw").get_data(as_text=True)
    with app.app_context():
        (miss,) = db.session.scalars(select(SearchMiss)).all()
        assert (miss.query, miss.count) == ("zqxvw", 3)


def test_signed_in_people_get_results_rendered_for_them_and_kept_by_nobody(app, client):
    client.get("/search?q=forgot+password")  # the page everyone else gets, now cached
    staff = staff_client(app, "ed@example.org", make_staff(app, "ed@example.org", "editor"))
    page = staff.get("/search?q=forgot+password")
    assert "ETag" not in page.headers
    assert "no-store" in page.headers["Cache-Control"]
    assert 'href="/articles/forgotten-password"' in page.get_data(as_text=True)
