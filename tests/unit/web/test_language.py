"""Choosing the language of an answer, and the prefix layer, without a request."""

from __future__ import annotations

from typing import Any

import pytest

from helpdesk.config import Settings
from helpdesk.web.language import (
    BASE_KEY,
    PREFIX_KEY,
    LanguagePrefix,
    _safe_next,
    language_of,
    offered,
    vary_of,
)

SETTINGS = Settings(languages=("en", "es", "ar"), default_language="en")


def through_prefix(path: str, script_name: str = "") -> dict[str, Any]:
    seen: dict[str, Any] = {}

    def inner(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        seen.update(environ)
        return []

    LanguagePrefix(inner, SETTINGS.languages)({"PATH_INFO": path, "SCRIPT_NAME": script_name}, None)  # type: ignore[arg-type]
    return seen


@pytest.mark.parametrize(
    ("path", "script_name", "language", "path_info"),
    [
        ("/es/articles/x", "", "/es", "/articles/x"),
        ("/ar", "", "/ar", "/"),
        ("/es/", "/help", "/help/es", "/"),  # below a proxy's prefix
    ],
)
def test_an_offered_prefix_moves_to_the_script_root(path, script_name, language, path_info):
    seen = through_prefix(path, script_name)
    assert seen["SCRIPT_NAME"] == language and seen["PATH_INFO"] == path_info
    assert seen[PREFIX_KEY] == language.rsplit("/", 1)[1] and seen[BASE_KEY] == script_name


@pytest.mark.parametrize("path", ["/fr/", "/esx/", "/api/v1/flows", "/static/site.css", "/", "/e"])
def test_anything_else_is_left_as_it_is(path):
    seen = through_prefix(path)
    assert seen["PATH_INFO"] == path and seen["SCRIPT_NAME"] == "" and PREFIX_KEY not in seen


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({PREFIX_KEY: "ar", "HTTP_COOKIE": "helpdesk_language=es", "HTTP_ACCEPT_LANGUAGE": "es"}, "ar"),
        ({"HTTP_COOKIE": "helpdesk_language=es", "HTTP_ACCEPT_LANGUAGE": "ar"}, "es"),
        ({"HTTP_COOKIE": "helpdesk_language=fr", "HTTP_ACCEPT_LANGUAGE": "ar"}, "ar"),  # not offered
        ({"HTTP_ACCEPT_LANGUAGE": "fr, es-MX;q=0.8, en;q=0.5"}, "es"),
        ({"HTTP_ACCEPT_LANGUAGE": "ar-EG"}, "ar"),
        ({"HTTP_ACCEPT_LANGUAGE": "de, *;q=0.1"}, "en"),
        ({"HTTP_ACCEPT_LANGUAGE": "\x00;;;q=x"}, "en"),
        ({}, "en"),
    ],
)
def test_the_language_is_the_prefix_then_the_cookie_then_the_header_then_the_default(environ, expected):
    assert language_of(environ, SETTINGS) == expected  # type: ignore[arg-type]


def test_the_default_is_the_settings():
    assert language_of({}, Settings(languages=("en", "es"), default_language="es")) == "es"  # type: ignore[arg-type]


def test_only_unprefixed_answers_vary_by_accept_language():
    assert vary_of({PREFIX_KEY: "es"}) == "Cookie"  # type: ignore[arg-type]
    assert vary_of({}) == "Accept-Language, Cookie"  # type: ignore[arg-type]


def test_each_language_is_named_in_itself_with_its_direction():
    assert [(o.name, o.direction) for o in map(offered, ("en", "es", "ar"))] == [
        ("English", "ltr"),
        ("Español", "ltr"),
        ("العربية", "rtl"),
    ]


@pytest.mark.parametrize(
    ("asked", "kept"),
    [
        ("/articles/x?page=2", "/articles/x?page=2"),
        ("//evil.test/", "/"),
        ("/\\evil.test", "/"),
        ("https://evil.test/", "/"),
        ("/x\r\nSet-Cookie: a=b", "/"),
        ("", "/"),
    ],
)
def test_the_switch_goes_back_only_to_a_page_of_this_site(asked, kept):
    assert _safe_next(asked) == kept


def test_before_the_workers_fork_every_offered_language_is_loaded_once_for_all(tmp_path, monkeypatch):
    """helpdesk.before_fork (gunicorn's pre_fork): each language's CLDR data and message catalog
    are in the master, so no worker loads its own copy on its first pages."""
    import babel.localedata
    import babel.support
    from flask_babel import get_domain, gettext

    from helpdesk import before_fork
    from helpdesk.web.language import PREFIX_KEY
    from tests.conftest import build_app

    app = build_app(tmp_path)
    babel.localedata.clear_caches()  # as a master that served no page
    offered.cache_clear()
    with app.app_context():
        monkeypatch.setattr(get_domain(), "cache", {})
    before_fork(app)
    assert {"en", "es", "ar"} <= set(babel.localedata._cache)

    def read_again(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a catalog read after the fork")

    monkeypatch.setattr(babel.support.Translations, "load", read_again)
    monkeypatch.setattr(babel.localedata, "load", read_again)
    for code, said in (("es", "Buscar"), ("ar", "بحث")):
        with app.test_request_context("/", environ_overrides={PREFIX_KEY: code}):
            assert gettext("Search") == said
