"""The in-memory FTS5 index: tiers (title before body), stemming, plain words, snippets."""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from helpdesk.search.documents import Document
from helpdesk.search.fts5 import Fts5Index
from helpdesk.search.index import MARK_END, MARK_START
from tests.support import at_once


def _doc(slug: str, title: str = "", summary: str = "", body: str = "", **more: str) -> Document:
    return Document(
        kind=more.get("kind", "article"),
        slug=slug,
        title=title or slug,
        summary=summary or f"About {title or slug}.",
        keywords=more.get("keywords", ""),
        headings=more.get("headings", ""),
        body=body,
    )


DOCS = [
    _doc(
        "phone-basics",
        "Phone basics",
        body="An authenticator app makes codes. The authenticator must keep time. "
        "Every authenticator code lasts thirty seconds; an authenticator is on your phone.",
    ),
    _doc("authenticator-codes", "Authenticator codes", body="Codes from your app."),
    _doc("locked-out", "Locked out", body="Too many attempts locks the account for a while."),
    _doc("cafe-wifi", "Signing in at a café", body="Public networks and your password."),
    _doc("strong-passwords", "Strong passwords", body="Length beats complexity. Use a passphrase."),
    _doc("wrong-password", "My password is refused", kind="flow", keywords="password rejected"),
]


@pytest.fixture(params=["in memory", "in a file"])
def index_of(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[list[Document]], Fts5Index]:
    """Every behaviour holds of an index in memory and of one read from its file (as the site's)."""
    if request.param == "in memory":
        return Fts5Index
    made = iter(range(1_000))  # a file of its own for each index a test makes
    return lambda found: Fts5Index(found, tmp_path / "search" / f"{next(made)}.fts5")


def _slugs(index: Fts5Index, *groups: list[str], any_group: bool = False, limit: int = 10) -> list[str]:
    return [m.slug for m in index.find(list(groups), any_group=any_group, limit=limit)]


def test_no_words_find_nothing(index_of):
    assert index_of(DOCS).find([], any_group=False, limit=10) == []


def test_a_title_match_comes_before_pages_that_only_mention_the_word(index_of):
    assert _slugs(index_of(DOCS), ["authenticator"]) == ["authenticator-codes", "phone-basics"]


def test_every_group_must_match_by_default(index_of):
    assert _slugs(index_of(DOCS), ["authenticator"], ["thirty"]) == ["phone-basics"]


def test_with_any_group_one_group_is_enough(index_of):
    assert set(_slugs(index_of(DOCS), ["passphrase"], ["thirty"], any_group=True)) == {
        "strong-passwords",
        "phone-basics",
    }


def test_the_words_of_a_group_are_alternatives(index_of):
    assert set(_slugs(index_of(DOCS), ["passphrase", "attempts"])) == {"strong-passwords", "locked-out"}


def test_words_are_stemmed(index_of):
    assert _slugs(index_of(DOCS), ["locking"]) == ["locked-out"]


def test_accents_do_not_matter(index_of):
    assert _slugs(index_of(DOCS), ["cafe"]) == ["cafe-wifi"]


def test_flows_are_found_by_their_keywords_with_their_kind(index_of):
    (match,) = index_of(DOCS).find([["rejected"]], any_group=False, limit=10)
    assert (match.kind, match.slug, match.title) == ("flow", "wrong-password", "My password is refused")


def test_the_slug_is_not_searched(index_of):
    assert _slugs(index_of(DOCS), ["wifi"]) == []


def test_query_syntax_in_words_is_searched_as_plain_text(index_of):
    index = index_of(DOCS)
    for word in ('"', "NEAR(", "title:", "*", "-", "'); DROP TABLE docs; --"):
        assert _slugs(index, [word]) == [], word
    assert _slugs(index, ["AND"]) == ["cafe-wifi"]  # the word "and", not the operator
    assert _slugs(index, ["passphrase"]) == ["strong-passwords"]  # the index is still whole


def test_at_most_limit_matches_are_given(index_of):
    docs = [_doc(f"page-{n}", f"Reset page {n}", body="reset") for n in range(8)]
    assert len(_slugs(index_of(docs), ["reset"], limit=3)) == 3


def test_a_body_match_gives_a_marked_snippet_of_the_body(index_of):
    (match,) = index_of(DOCS).find([["passphrase"]], any_group=False, limit=10)
    assert f"{MARK_START}passphrase{MARK_END}" in match.snippet
    assert "Length beats complexity" in match.snippet


def test_a_match_outside_the_body_gives_the_summary_as_snippet(index_of):
    docs = [_doc("two-step", "Two-step verification", summary="What a second factor is.", body="Other.")]
    (match,) = index_of(docs).find([["verification"]], any_group=False, limit=10)
    assert match.snippet == "What a second factor is."


def test_a_match_in_the_summary_is_marked_in_the_snippet(index_of):
    docs = [_doc("two-step", "Two-step", summary="What a second factor is.", body="Other words.")]
    (match,) = index_of(docs).find([["factor"]], any_group=False, limit=10)
    assert match.snippet == f"What a second {MARK_START}factor{MARK_END} is."


def test_one_index_answers_several_threads_at_once(index_of):
    index = index_of(DOCS)
    results = at_once(8, lambda: _slugs(index, ["authenticator"]))
    assert results == [["authenticator-codes", "phone-basics"]] * 8


# ------------------------------------------------------------------------------ languages


def _in(language: str, slug: str, title: str, body: str, summary: str = "") -> Document:
    return Document(
        kind="article",
        slug=slug,
        title=title,
        summary=summary or title,
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


def _found(index: Fts5Index, language: str, *words: str) -> list[tuple[str, str]]:
    return [
        (m.language, m.slug)
        for m in index.find([[w] for w in words], any_group=False, limit=10, language=language)
    ]


def test_a_spanish_plural_finds_the_singular_and_the_singular_the_plural(index_of):
    index = index_of(LANGUAGES)
    assert ("es", "forgotten-password") in _found(index, "es", "contraseñas")  # it says "contraseña"
    assert ("es", "strong-passwords") in _found(index, "es", "contraseña")  # it says "Contraseñas"


def test_spanish_accents_are_folded_on_both_sides(index_of):
    index = index_of(LANGUAGES)
    assert _found(index, "es", "contrasena", "nueva") == [("es", "forgotten-password")]


def test_bloqueada_finds_bloqueo_and_bloqueo_finds_bloqueada(index_of):
    index = index_of(LANGUAGES)
    assert _found(index, "es", "bloqueo") == [("es", "locked-out")]  # its title says "bloqueada"
    assert _found(index, "es", "bloqueada", "dura") == [("es", "locked-out")]  # its body says "bloqueo"


def test_an_arabic_query_finds_the_arabic_article(index_of):
    index = index_of(LANGUAGES)
    assert _found(index, "ar", "كلمة", "المرور") == [("ar", "forgotten-password")]


def test_each_language_is_searched_apart(index_of):
    index = index_of(LANGUAGES)
    assert _found(index, "en", "contraseña") == []
    assert ("en", "strong-passwords") in _found(index, "en", "passwords")
    assert all(language == "es" for language, _ in _found(index, "es", "contraseña"))
    assert _found(index, "fr", "password") == []  # nothing indexed in that language


def test_the_words_marked_are_the_ones_with_the_query_stems_as_written(index_of):
    index = index_of(LANGUAGES)
    (match,) = index.find([["contraseñas"], ["nueva"]], any_group=False, limit=5, language="es")
    assert f"{MARK_START}contraseña{MARK_END} {MARK_START}nueva{MARK_END}" in match.snippet


def _statements(index: Fts5Index) -> list[str]:
    """The statements the index sends SQLite from now on."""
    sent: list[str] = []
    index._db.set_trace_callback(sent.append)
    return sent


def test_a_plain_word_no_page_has_is_not_asked_for(index_of):
    index = index_of(DOCS)
    sent = _statements(index)
    assert _slugs(index, ["zebra"]) == []
    assert _slugs(index, ["password"], ["zebra"]) == []  # every word: none has zebra
    assert sent == []
    assert _slugs(index, ["password"], ["zebra"], any_group=True)  # any word: password
    assert sent


def test_a_tier_whose_columns_lack_a_word_is_not_asked_for(index_of):
    index = index_of(DOCS)
    sent = _statements(index)
    assert _slugs(index, ["passphrase"]) == ["strong-passwords"]  # in a body only
    assert [s for s in sent if "MATCH" in s and "{title keywords" in s] == []  # neither tier asked
    assert [s for s in sent if "MATCH" in s] != []  # the whole page was
    sent.clear()
    assert _slugs(index, ["authenticator"], ["codes"]) == ["authenticator-codes", "phone-basics"]
    assert [s for s in sent if "{title keywords}" in s]  # both words in a title: asked
    sent.clear()
    assert _slugs(index, ["authenticator"], ["passphrase"], any_group=True)[0] == "authenticator-codes"
    assert [s for s in sent if "{title keywords}" in s]  # any word: one of them is in a title


def test_a_word_not_of_plain_letters_is_left_to_fts5(index_of):
    """FTS5's tokenizer may fold a letter otherwise than Python does: only FTS5 knows its terms."""
    index = index_of([*DOCS, _doc("keys", "Sørensen keys", body="Sørensen keys unlock it.")])
    sent = _statements(index)
    assert _slugs(index, ["sørensen"]) == ["keys"]
    assert _slugs(index, ["øre"]) == []
    assert any("øre" in statement for statement in sent)  # asked, though no page has it


def test_a_body_found_lately_is_not_read_again_and_gives_the_same_snippet(index_of, monkeypatch):
    import helpdesk.search.fts5 as fts5

    index = index_of(DOCS)
    sent = _statements(index)
    first = index.find([["authenticator"]], any_group=False, limit=10)
    assert [s for s in sent if "body" in s]  # read once
    sent.clear()
    again = index.find([["authenticator"]], any_group=False, limit=10)
    assert again == first and [m.slug for m in again] == ["authenticator-codes", "phone-basics"]
    assert not [s for s in sent if "body" in s]  # both kept
    monkeypatch.setattr(fts5, "BODIES_KEPT", 1)
    index.find([["passphrase"]], any_group=False, limit=10)  # a third body: only one is kept
    sent.clear()
    assert index.find([["authenticator"]], any_group=False, limit=10) == first
    assert [s for s in sent if "body" in s]  # read again
    assert len(index._kept_bodies) == 1


# ------------------------------------------------------------------------------ the index file


def test_an_index_file_is_read_by_the_next_worker_not_built_again(tmp_path: Path):
    path = tmp_path / "search" / "version.fts5"
    Fts5Index(DOCS, path).close()
    built = path.stat()
    again = Fts5Index([], path)  # a worker with the same content version: the file has it all
    (match,) = again.find([["passphrase"]], any_group=False, limit=10)
    assert (match.slug, match.title) == ("strong-passwords", "Strong passwords")
    assert f"{MARK_START}passphrase{MARK_END}" in match.snippet  # the body came from the file
    assert path.stat().st_ino == built.st_ino  # read, not written anew
    assert sorted(p.name for p in path.parent.iterdir()) == ["version.fts5"]


def test_a_build_that_fails_leaves_no_file_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    import helpdesk.search.fts5 as fts5

    def dies(*args: object) -> None:
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(fts5, "_write_language", dies)
    path = tmp_path / "search" / "version.fts5"
    with pytest.raises(sqlite3.OperationalError):
        Fts5Index(DOCS, path)
    assert list(path.parent.iterdir()) == []  # no index, no half-written one to be read later


def test_other_versions_files_are_removed_once_stale(tmp_path: Path):
    folder = tmp_path / "search"
    folder.mkdir()
    stale, recent, dead = folder / "old.fts5", folder / "recent.fts5", folder / "new.fts5.99-1.partial"
    for path in (stale, recent, dead):
        path.write_bytes(b"")
    an_hour_ago = time.time() - 3600
    for path in (stale, dead):
        os.utime(path, (an_hour_ago, an_hour_ago))
    Fts5Index(DOCS, folder / "new.fts5")
    # a worker may still be serving the version of a recent file: it stays a while
    assert sorted(p.name for p in folder.iterdir()) == ["new.fts5", "recent.fts5"]


@pytest.mark.parametrize("found", [b"", b"not a database at all", b"SQLite format 3\x00" + b"\x00" * 200])
def test_a_file_that_is_no_index_is_written_again(tmp_path: Path, found: bytes):
    path = tmp_path / "search" / "version.fts5"
    path.parent.mkdir()
    path.write_bytes(found)  # cut short, or anything else that is not the index
    assert _slugs(Fts5Index(DOCS, path), ["authenticator"]) == ["authenticator-codes", "phone-basics"]
    assert _slugs(Fts5Index([], path), ["authenticator"]) == ["authenticator-codes", "phone-basics"]
