"""Search per language: the reader's language's pages first, each hit linking to the page in its
own language and marked with it; the suggestions alike; result pages kept per language."""

from __future__ import annotations

import re

from helpdesk.search import search


def _hits(page: str) -> list[tuple[str, str]]:
    """(data-language, the title's address) of every result of a results page."""
    return re.findall(
        r'<li class="result-\w+" data-language="([a-z]+)">\s*<p class="result-kind">.*?</p>\s*'
        r'<a class="result-title" href="([^"]+)"',
        page,
        re.S,
    )


def test_a_spanish_plural_finds_the_spanish_article_that_says_the_singular(app):
    with app.test_request_context():
        found = search("contraseñas olvidadas", language="es")
    assert found.hits
    assert found.hits[0].language == "es"
    assert "forgotten-password" in [h.slug for h in found.hits if h.language == "es"]


def test_bloqueo_and_bloqueada_find_the_spanish_locked_out_help(app):
    with app.test_request_context():
        for query in ("bloqueo", "bloqueada", "cuenta bloqueada"):
            found = search(query, language="es")
            assert found.hits[0].language == "es", query
            assert {"locked-out", "locked-account"} & {h.slug for h in found.hits[:3]}, query


def test_an_arabic_query_finds_the_arabic_article(app):
    with app.test_request_context():
        found = search("نسيت كلمة المرور", language="ar")
    assert found.hits[0].language == "ar"
    assert "forgotten-password" in [h.slug for h in found.hits[:3]]


def test_pages_in_the_readers_language_come_before_english_ones(app):
    with app.test_request_context():
        found = search("contraseña password", language="es")
        english = search("contraseña password", language="en")
    languages = [h.language for h in found.hits]
    assert languages == sorted(languages, key=lambda language: language != "es")
    assert all(h.language == "en" for h in english.hits)


def test_english_pages_fill_in_where_the_readers_language_finds_nothing(app):
    with app.test_request_context():
        found = search("password", language="es")  # an English word the Spanish pages do not use
    assert found.hits and {h.language for h in found.hits} == {"en"}
    slugs = [(h.kind, h.slug) for h in found.hits]
    assert len(slugs) == len(set(slugs))


def test_a_spanish_results_page_links_to_spanish_articles_under_the_prefix(client):
    page = client.get("/es/search?q=contraseñas").get_data(as_text=True)
    hits = _hits(page)
    assert hits and hits[0][0] == "es"
    assert all(url.startswith("/es/") for language, url in hits if language == "es")
    assert "/es/articles/forgotten-password" in [url for _, url in hits]


def test_an_english_hit_on_a_spanish_page_links_to_the_english_page_and_says_its_language(client):
    page = client.get("/es/search?q=password").get_data(as_text=True)
    hits = _hits(page)
    assert hits and all(language == "en" and url.startswith("/en/") for language, url in hits)
    assert re.search(r'<a class="result-title" href="/en/articles/[^"]+" lang="en" dir="ltr">', page)


def test_an_english_page_links_english_hits_as_before(client):
    hits = _hits(client.get("/search?q=password").get_data(as_text=True))
    assert hits
    assert all(language == "en" for language, _ in hits)
    assert all(url.startswith(("/articles/", "/diagnose/")) for _, url in hits)


def test_suggestions_come_in_the_readers_language_with_their_language(client):
    found = client.get("/es/search/suggest?q=contrase").get_json()
    assert found["hits"] and found["hits"][0]["language"] == "es"
    assert found["hits"][0]["url"].startswith("/es/")


def test_an_unprefixed_results_page_is_kept_per_language_and_varies_by_it(client):
    spanish = client.get("/search?q=bloqueo", headers={"Accept-Language": "es"})
    english = client.get("/search?q=bloqueo", headers={"Accept-Language": "en"})
    again = client.get("/search?q=bloqueo", headers={"Accept-Language": "es"})
    assert "Accept-Language" in spanish.headers["Vary"]
    assert _hits(spanish.get_data(as_text=True))[0][0] == "es"
    assert not _hits(english.get_data(as_text=True)) or _hits(english.get_data(as_text=True))[0][0] == "en"
    assert again.get_data(as_text=True) == spanish.get_data(as_text=True)


def test_the_api_searches_in_the_language_asked_and_says_each_hits_language(client):
    body = client.get("/api/v1/search?q=contraseñas&lang=es").get_json()
    first = body["hits"][0]
    assert first["language"] == "es"
    assert first["links"]["self"].endswith("?lang=es")
    assert "/es/" in first["links"]["page"]
    english = client.get("/api/v1/search?q=password").get_json()
    assert english["hits"] and {h["language"] for h in english["hits"]} == {"en"}
    assert all("lang=" not in h["links"]["self"] for h in english["hits"])
