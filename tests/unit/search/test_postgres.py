"""The PostgreSQL search index: built once per content digest, the same tiers as FTS5, snippets
from the documents being served. Runs only with HELPDESK_TEST_POSTGRES_URL set."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from helpdesk.extensions import db
from helpdesk.search.documents import Document
from helpdesk.search.index import MARK_END, MARK_START
from helpdesk.search.postgres import PostgresIndex, build
from tests.support import at_once

pytestmark = pytest.mark.postgres  # skipped without HELPDESK_TEST_POSTGRES_URL; make test runs it


def _doc(slug: str, title: str, body: str = "", **more: str) -> Document:
    return Document(
        kind=more.get("kind", "article"),
        slug=slug,
        title=title,
        summary=more.get("summary", f"About {title}."),
        keywords=more.get("keywords", ""),
        headings=more.get("headings", ""),
        body=body,
    )


DOCS = [
    _doc(
        "phone-basics",
        "Phone basics",
        "An authenticator app makes codes. The authenticator must keep time. "
        "Every authenticator code lasts thirty seconds; an authenticator is on your phone.",
    ),
    _doc("authenticator-codes", "Authenticator codes", "Codes from your app."),
    _doc("locked-out", "Locked out", "Too many attempts locks the account for a while."),
    _doc("strong-passwords", "Strong passwords", "Length beats complexity. Use a passphrase."),
    _doc("keyboard", "Press <Enter>", "Then press <Enter> to sign in."),
    _doc("wrong-password", "My password is refused", kind="flow", keywords="password rejected"),
]


@pytest.fixture
def engine(app):
    with app.app_context():
        yield db.engine


def _stored_slugs(engine) -> list[str]:
    with engine.connect() as connection:
        return sorted(connection.scalars(text("SELECT slug FROM search_documents")))


def _slugs(index: PostgresIndex, *groups: list[str], any_group: bool = False, limit: int = 10) -> list[str]:
    return [m.slug for m in index.find(list(groups), any_group=any_group, limit=limit)]


def test_build_stores_every_document(engine):
    assert build(engine, DOCS, "digest-1")
    assert _stored_slugs(engine) == sorted(d.slug for d in DOCS)


def test_build_with_the_same_digest_does_nothing(engine):
    build(engine, DOCS, "digest-1")
    assert not build(engine, DOCS[:1], "digest-1")
    assert len(_stored_slugs(engine)) == len(DOCS)


def test_build_with_a_new_digest_replaces_the_documents(engine):
    build(engine, DOCS, "digest-1")
    assert build(engine, DOCS[:2], "digest-2")
    assert _stored_slugs(engine) == ["authenticator-codes", "phone-basics"]


def test_workers_noticing_the_same_change_build_it_once(app, engine):
    def build_in_a_worker() -> bool:
        with app.app_context():
            return build(db.engine, DOCS, "digest-1")

    assert sorted(at_once(3, build_in_a_worker)) == [False, False, True]
    assert len(_stored_slugs(engine)) == len(DOCS)


def test_no_words_find_nothing(engine):
    assert PostgresIndex(engine, DOCS, "d").find([], any_group=False, limit=10) == []


def test_a_title_match_comes_before_pages_that_only_mention_the_word(engine):
    assert _slugs(PostgresIndex(engine, DOCS, "d"), ["authenticator"]) == [
        "authenticator-codes",
        "phone-basics",
    ]


def test_every_group_must_match_by_default(engine):
    assert _slugs(PostgresIndex(engine, DOCS, "d"), ["authenticator"], ["thirty"]) == ["phone-basics"]


def test_with_any_group_one_group_is_enough(engine):
    found = _slugs(PostgresIndex(engine, DOCS, "d"), ["passphrase"], ["thirty"], any_group=True)
    assert set(found) == {"strong-passwords", "phone-basics"}


def test_words_are_stemmed(engine):
    assert _slugs(PostgresIndex(engine, DOCS, "d"), ["locking"]) == ["locked-out"]


def test_a_word_in_angle_brackets_is_indexed(engine):
    assert _slugs(PostgresIndex(engine, DOCS, "d"), ["enter"]) == ["keyboard"]


def test_what_is_shown_comes_from_the_documents_as_written(engine):
    (match,) = PostgresIndex(engine, DOCS, "d").find([["enter"]], any_group=False, limit=10)
    assert match.title == "Press <Enter>"
    assert f"{MARK_START}Enter{MARK_END}" in match.snippet


def test_quotes_and_query_syntax_in_words_are_plain_text(engine):
    index = PostgresIndex(engine, DOCS, "d")
    for word in ("o'clock", "&", "|", "!", "'", ":*"):
        assert _slugs(index, [word]) == [], word


def test_at_most_limit_matches_are_given(engine):
    docs = [_doc(f"page-{n}", f"Reset page {n}", "reset") for n in range(8)]
    assert len(_slugs(PostgresIndex(engine, docs, "d"), ["reset"], limit=3)) == 3


def test_a_body_match_gives_a_marked_passage_of_the_body(engine):
    (match,) = PostgresIndex(engine, DOCS, "d").find([["passphrase"]], any_group=False, limit=10)
    assert match.snippet == f"Length beats complexity. Use a {MARK_START}passphrase{MARK_END}."


def test_a_page_of_another_workers_content_is_shown_as_stored(engine):
    PostgresIndex(engine, DOCS, "d")
    behind = PostgresIndex(engine, [], "d")  # a worker still serving older content
    (match,) = behind.find([["passphrase"]], any_group=False, limit=10)
    assert (match.slug, match.title) == ("strong-passwords", "Strong passwords")


def test_a_search_goes_on_after_its_connection_is_cut(engine):
    index = PostgresIndex(engine, DOCS, "digest-cut")
    assert _slugs(index, ["authenticator"])
    with index._engine.connect() as connection:  # the search's own connection, back in its pool
        pid = connection.scalar(text("SELECT pg_backend_pid()"))
    with engine.connect() as other:
        other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    assert _slugs(index, ["authenticator"])[0] == "authenticator-codes"


# ------------------------------------------------------------------------------ languages


def _in(language: str, slug: str, title: str, body: str) -> Document:
    return Document(
        kind="article",
        slug=slug,
        title=title,
        summary=title,
        keywords="",
        headings="",
        body=body,
        language=language,
    )


LANGUAGES = [
    *DOCS,
    _in(
        "es", "forgotten-password", "Olvidé la contraseña", "Pide un enlace para poner una contraseña nueva."
    ),
    _in("es", "locked-out", "Cuenta bloqueada", "Demasiados intentos: el bloqueo dura quince minutos."),
    _in("es", "strong-passwords", "Contraseñas seguras", "Una frase larga vale más que símbolos."),
    _in("ar", "forgotten-password", "نسيت كلمة المرور", "اطلب رابطًا لتعيين كلمة مرور جديدة."),
]


def _found(index: PostgresIndex, language: str, *words: str) -> list[tuple[str, str]]:
    found = index.find([[w] for w in words], any_group=False, limit=10, language=language)
    return [(m.language, m.slug) for m in found]


def test_each_row_has_its_languages_configuration(engine):
    build(engine, LANGUAGES, "digest-languages")
    with engine.connect() as connection:
        rows = set(connection.execute(text("SELECT language, CAST(config AS text) FROM search_documents")))
    assert rows == {("en", "english"), ("es", "spanish"), ("ar", "arabic")}


def test_a_spanish_plural_finds_the_singular_and_the_singular_the_plural(engine):
    index = PostgresIndex(engine, LANGUAGES, "digest-languages")
    assert ("es", "forgotten-password") in _found(index, "es", "contraseñas")
    assert ("es", "strong-passwords") in _found(index, "es", "contraseña")


def test_spanish_accents_are_folded_on_both_sides(engine):
    index = PostgresIndex(engine, LANGUAGES, "digest-languages")
    assert _found(index, "es", "contrasena", "nueva") == [("es", "forgotten-password")]


def test_bloqueada_finds_bloqueo_and_bloqueo_finds_bloqueada(engine):
    index = PostgresIndex(engine, LANGUAGES, "digest-languages")
    assert _found(index, "es", "bloqueo") == [("es", "locked-out")]
    assert _found(index, "es", "bloqueada", "dura") == [("es", "locked-out")]


def test_an_arabic_query_finds_the_arabic_article(engine):
    index = PostgresIndex(engine, LANGUAGES, "digest-languages")
    assert _found(index, "ar", "كلمة", "المرور") == [("ar", "forgotten-password")]


def test_each_language_is_searched_apart(engine):
    index = PostgresIndex(engine, LANGUAGES, "digest-languages")
    assert _found(index, "en", "contraseña") == []
    assert all(language == "es" for language, _ in _found(index, "es", "contraseña"))
    assert _found(index, "fr", "password") == []


def test_the_spanish_words_marked_keep_their_accents(engine):
    index = PostgresIndex(engine, LANGUAGES, "digest-languages")
    (match,) = index.find([["contrasenas"], ["nueva"]], any_group=False, limit=5, language="es")
    assert f"{MARK_START}contraseña{MARK_END} {MARK_START}nueva{MARK_END}" in match.snippet
