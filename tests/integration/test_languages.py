"""The site in every offered language: the /<lang>/ prefixes, the choice of language (prefix,
switch cookie, Accept-Language, default), <html lang dir>, hreflang, Vary, translated articles
and flows with their fallback and stale notices, the editor's list and the API's `outdated`."""

from __future__ import annotations

import re
from collections import deque
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from markupsafe import escape

from helpdesk.content.live import catalog
from helpdesk.content.translations import flow_in
from helpdesk.extensions import db
from helpdesk.web.language import COOKIE
from tests.conftest import build_app, make_staff, staff_client
from tests.support import csrf_from, notice_content_edits

ARTICLE = "forgotten-password"
FLOW = "wrong-password"
TRANSLATED = ("es", "ar")
TITLES = {"en": "Wrong or forgotten password", "es": "Contraseña incorrecta u olvidada"}


def html_tag(page: str) -> str:
    found = re.search(r"<html[^>]*>", page)
    assert found is not None
    return found.group(0)


def h1_of(page: str) -> str:
    found = re.search(r"<h1[^>]*>(.*?)</h1>", page, re.S)
    assert found is not None
    return found.group(1)


def in_language(page: str, language: str) -> bool:
    direction = "rtl" if language == "ar" else "ltr"
    return f'lang="{language}" dir="{direction}"' in html_tag(page)


def first_step(client: FlaskClient, start: str) -> str:
    started = client.get(start)
    assert started.status_code == 303, start
    shown = client.get(started.location)
    assert shown.status_code == 200, started.location
    return shown.get_data(as_text=True)


# -- every public page under its prefix -------------------------------------------------------


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_public_page_renders_under_the_prefix_in_its_language(app, client, language):
    with app.app_context():
        slugs = [a.slug for a in catalog().public_articles()]
        flows = [f.id for f in catalog().public_flows()]
    pages = ["/", "/articles/", "/search?q=password", "/check-link"]
    pages += [f"/articles/{slug}" for slug in slugs]
    for path in pages:
        shown = client.get(f"/{language}{path}")
        assert shown.status_code == 200, path
        assert in_language(shown.get_data(as_text=True), language), path
    for flow_id in flows:
        page = first_step(client, f"/{language}/diagnose/{flow_id}")
        assert in_language(page, language), flow_id
        assert f'action="/{language}/diagnose/{flow_id}/' in page  # its forms stay in the language


def test_the_unprefixed_pages_stay_english_by_default(client):
    page = client.get(f"/articles/{ARTICLE}").get_data(as_text=True)
    assert in_language(page, "en") and h1_of(page) == TITLES["en"]
    assert 'lang="en" dir="ltr"' in html_tag(client.get("/").get_data(as_text=True))


def test_a_translated_article_is_shown_in_the_language_of_its_prefix(client):
    page = client.get(f"/es/articles/{ARTICLE}").get_data(as_text=True)
    assert h1_of(page) == TITLES["es"]
    assert "translation-notice" not in page


def test_a_prefix_not_offered_is_a_404_not_a_500(tmp_path):
    app = build_app(tmp_path, languages=("en", "es"))
    client = app.test_client()
    assert client.get("/fr/").status_code == 404
    assert client.get(f"/ar/articles/{ARTICLE}").status_code == 404  # Arabic not offered here
    assert client.get("/language/ar?next=/").status_code == 404
    assert client.get(f"/es/articles/{ARTICLE}").status_code == 200
    assert 'hreflang="ar"' not in client.get("/").get_data(as_text=True)
    with app.app_context():
        db.engine.dispose()


def test_static_files_keep_one_address_in_every_language(client):
    page = client.get("/es/").get_data(as_text=True)
    css = re.search(r'<link rel="stylesheet" href="([^"]+)"', page)
    assert css is not None and css.group(1).startswith("/static/")
    assert client.get(f"/es{css.group(1)}").status_code == 200  # and under the prefix, if asked


# -- choosing the language --------------------------------------------------------------------


def test_accept_language_chooses_the_best_offered_language(client):
    shown = client.get(f"/articles/{ARTICLE}", headers={"Accept-Language": "fr;q=1, es-MX;q=0.8, en;q=0.5"})
    page = shown.get_data(as_text=True)
    assert in_language(page, "es") and h1_of(page) == TITLES["es"]
    arabic = client.get("/", headers={"Accept-Language": "ar-EG"}).get_data(as_text=True)
    assert in_language(arabic, "ar")
    nothing_offered = client.get("/", headers={"Accept-Language": "de, fr"}).get_data(as_text=True)
    assert in_language(nothing_offered, "en")


def test_the_default_language_is_the_settings(tmp_path):
    app = build_app(tmp_path, default_language="es")
    page = app.test_client().get(f"/articles/{ARTICLE}").get_data(as_text=True)
    assert in_language(page, "es") and h1_of(page) == TITLES["es"]
    with app.app_context():
        db.engine.dispose()


def test_unprefixed_pages_vary_by_accept_language_and_cookie_prefixed_ones_by_cookie(client):
    for path in ("/", f"/articles/{ARTICLE}", "/articles/", "/check-link"):
        # (a page kept gzipped varies by Accept-Encoding too: tests/integration/test_http_caching.py)
        varies = client.get(path).headers["Vary"].removeprefix("Accept-Encoding, ")
        assert varies == "Accept-Language, Cookie", path
        prefixed = client.get(f"/es{path}").headers["Vary"]
        assert "Cookie" in prefixed and "Accept-Language" not in prefixed, path


def test_the_same_address_has_an_etag_per_language(client):
    english = client.get(f"/articles/{ARTICLE}")
    spanish = client.get(f"/articles/{ARTICLE}", headers={"Accept-Language": "es"})
    prefixed = client.get(f"/es/articles/{ARTICLE}")
    assert english.headers["ETag"] != spanish.headers["ETag"]
    assert prefixed.headers["ETag"] != english.headers["ETag"]
    # the English ETag does not revalidate the Spanish page
    asked = client.get(
        f"/articles/{ARTICLE}", headers={"Accept-Language": "es", "If-None-Match": english.headers["ETag"]}
    )
    assert asked.status_code == 200 and h1_of(asked.get_data(as_text=True)) == TITLES["es"]


def test_the_switch_remembers_the_language_and_returns_to_the_same_page_in_it(client):
    answer = client.get(f"/language/ar?next=/articles/{ARTICLE}%3Fx%3D1")
    assert answer.status_code == 303
    assert answer.location == f"/ar/articles/{ARTICLE}?x=1"
    cookie = client.get_cookie(COOKIE)
    assert cookie is not None and cookie.value == "ar" and cookie.path == "/"
    # the unprefixed pages now speak Arabic, whatever the browser's header says
    page = client.get("/", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert in_language(page, "ar")
    # a prefix still wins over the cookie
    assert in_language(client.get(f"/es/articles/{ARTICLE}").get_data(as_text=True), "es")


def test_the_switch_never_leads_to_another_site(client):
    for asked in ("//evil.test/x", "https://evil.test/", "/\\evil.test", "evil"):
        answer = client.get("/language/es", query_string={"next": asked})
        assert answer.status_code == 303 and answer.location == "/es/", asked


def test_every_page_offers_the_switch_each_entry_in_its_own_language(client):
    for path in ("/", f"/es/articles/{ARTICLE}", "/ar/articles/", "/login"):
        page = client.get(path).get_data(as_text=True)
        switch = re.search(r'<nav class="language-switch".*?</nav>', page, re.S)
        assert switch is not None, path
        entries = re.findall(r'<a href="([^"]+)" lang="([^"]+)"[^>]*>([^<]+)</a>', switch.group(0))
        assert [(lang, name) for _, lang, name in entries] == [
            ("en", "English"),
            ("es", "Español"),
            ("ar", "العربية"),
        ], path
        here = re.sub(r"^/(es|ar)(?=/)", "", path)
        assert entries[1][0] == f"/language/es?next={here}", path


def test_public_pages_name_their_alternates_for_each_language_and_x_default(client):
    page = client.get(f"/ar/articles/{ARTICLE}").get_data(as_text=True)
    links = re.findall(r'<link rel="alternate" hreflang="([^"]+)" href="([^"]+)">', page)
    assert links == [
        ("en", f"http://localhost/en/articles/{ARTICLE}"),
        ("es", f"http://localhost/es/articles/{ARTICLE}"),
        ("ar", f"http://localhost/ar/articles/{ARTICLE}"),
        ("x-default", f"http://localhost/articles/{ARTICLE}"),
    ]


def test_forms_work_under_the_prefix(client):
    """CSRF and the session cookie (path /) are the same under a prefix: a step is answered."""
    page = first_step(client, f"/es/diagnose/{FLOW}")
    action = re.search(r'<form method="post" action="([^"]+)"', page)
    assert action is not None and action.group(1).startswith(f"/es/diagnose/{FLOW}/")
    choice = re.search(r'name="answer" id="answer-[^"]+" value="([^"]+)"', page)
    assert choice is not None
    moved = client.post(action.group(1), data={"csrf_token": csrf_from(page), "answer": choice.group(1)})
    assert moved.status_code == 303 and moved.location.startswith(f"/es/diagnose/{FLOW}/")
    voted = client.post(f"/es/articles/{ARTICLE}/feedback", data={"helpful": "yes"})
    assert voted.status_code == 303 and voted.location == f"/es/articles/{ARTICLE}#feedback"


# -- translated content, fallback and stale ----------------------------------------------------


def test_the_steps_show_the_flows_translated_texts_and_the_article_beside_them(app, client):
    page = first_step(client, f"/es/diagnose/{FLOW}")
    with app.app_context():
        compiled = catalog().flows[FLOW]
        spanish = flow_in("es", compiled.flow, catalog().translations).content
        step = spanish.steps[compiled.flow.start]
        english = compiled.flow.steps[compiled.flow.start]
    assert f'<p class="flow-title">{escape(spanish.title)}</p>' in page
    for choice in step.choices:
        assert f">{escape(choice.label)}</label>" in page
    assert english.choices[0].label not in page
    aside = re.search(r'<aside class="step-article"[^>]*>.*?</aside>', page, re.S)
    assert aside is not None and TITLES["es"] in aside.group(0) and 'lang="en"' not in aside.group(0)
    assert "translation-notice" not in page


def test_an_untranslated_article_falls_back_to_english_and_says_so(tmp_path, content_copy):
    content, flows = content_copy
    (content / "es" / f"{ARTICLE}.md").unlink()
    app = build_app(tmp_path, content_dir=content, flows_dir=flows)
    page = app.test_client().get(f"/es/articles/{ARTICLE}").get_data(as_text=True)
    assert in_language(page, "es")  # the page is Spanish; its article is not
    assert '<article class="article" lang="en" dir="ltr">' in page
    assert h1_of(page) == TITLES["en"]
    assert 'class="notice translation-notice"' in page
    arabic = app.test_client().get(f"/ar/articles/{ARTICLE}").get_data(as_text=True)
    assert "translation-notice" not in arabic and '<article class="article">' in arabic
    with app.app_context():
        db.engine.dispose()


def test_an_untranslated_flow_falls_back_to_english_and_says_so(tmp_path, content_copy):
    content, flows = content_copy
    (flows / "es" / f"{FLOW}.yaml").unlink()
    app = build_app(tmp_path, content_dir=content, flows_dir=flows)
    page = first_step(app.test_client(), f"/es/diagnose/{FLOW}")
    assert in_language(page, "es")
    assert '<div class="step" lang="en" dir="ltr">' in page
    assert 'class="notice translation-notice"' in page
    with app.app_context():
        english = catalog().flows[FLOW].flow
    assert f'<p class="flow-title">{escape(english.title)}</p>' in page
    with app.app_context():
        db.engine.dispose()


def _stale_copy(tmp_path: Path, content_copy: tuple[Path, Path]) -> Flask:
    """An app whose English article and flow changed after they were translated."""
    content, flows = content_copy
    article = content / f"{ARTICLE}.md"
    article.write_text(article.read_text() + "\nA sentence added after the translations were made.\n")
    flow = flows / f"{FLOW}.yaml"
    flow.write_text(flow.read_text() + "\n# an edit after the translations were made\n")
    return build_app(tmp_path, content_dir=content, flows_dir=flows)


def test_a_stale_translation_says_so_and_links_to_the_current_english(tmp_path, content_copy):
    app = _stale_copy(tmp_path, content_copy)
    client = app.test_client()
    page = client.get(f"/es/articles/{ARTICLE}").get_data(as_text=True)
    assert h1_of(page) == TITLES["es"]  # still shown: an older translation beats none
    notice = re.search(r'<p class="notice translation-notice".*?</p>', page, re.S)
    assert notice is not None and f'href="/en/articles/{ARTICLE}"' in notice.group(0)
    step = first_step(client, f"/es/diagnose/{FLOW}")
    notice = re.search(r'<p class="notice translation-notice".*?</p>', step, re.S)
    assert notice is not None and f'href="/en/diagnose/{FLOW}/' in notice.group(0)
    fresh = client.get("/es/articles/locked-account").get_data(as_text=True)
    assert "translation-notice" not in fresh
    with app.app_context():
        db.engine.dispose()


def test_the_editor_lists_stale_and_missing_translations_per_language(tmp_path, content_copy):
    content, _ = content_copy
    (content / "ar" / "locked-account.md").unlink()
    app = _stale_copy(tmp_path, content_copy)
    editor = staff_client(app, "editor@example.org", make_staff(app, "editor@example.org", "editor"))
    page = editor.get("/editor/").get_data(as_text=True)
    spanish = re.search(r'<section aria-labelledby="translations-es">.*?</section>', page, re.S)
    arabic = re.search(r'<section aria-labelledby="translations-ar">.*?</section>', page, re.S)
    assert spanish is not None and arabic is not None
    stale = re.search(r'<ul class="translations-stale">.*?</ul>', spanish.group(0), re.S)
    assert stale is not None
    assert f"<code>{ARTICLE}</code>" in stale.group(0) and f"<code>{FLOW}</code>" in stale.group(0)
    missing = re.search(r'<ul class="translations-missing">.*?</ul>', arabic.group(0), re.S)
    assert missing is not None and "<code>locked-account</code>" in missing.group(0)
    assert 'class="translations-missing"' not in spanish.group(0)
    with app.app_context():
        db.engine.dispose()


def test_an_edited_translation_goes_live_without_a_restart(tmp_path, content_copy):
    content, flows = content_copy
    app = build_app(tmp_path, content_dir=content, flows_dir=flows, reload_seconds=0)
    client = app.test_client()
    assert h1_of(client.get(f"/es/articles/{ARTICLE}").get_data(as_text=True)) == TITLES["es"]
    path = content / "es" / f"{ARTICLE}.md"
    path.write_text(path.read_text().replace(f"title: {TITLES['es']}", "title: Contraseña editada"))
    notice_content_edits(app, client)
    assert h1_of(client.get(f"/es/articles/{ARTICLE}").get_data(as_text=True)) == "Contraseña editada"
    with app.app_context():
        db.engine.dispose()


# -- the API ----------------------------------------------------------------------------------


def test_the_api_gives_articles_and_flows_in_a_language_and_says_if_outdated(client):
    english = client.get(f"/api/v1/articles/{ARTICLE}").get_json()
    assert english["language"] == "en" and english["outdated"] is False and english["title"] == TITLES["en"]
    spanish = client.get(f"/api/v1/articles/{ARTICLE}?lang=es").get_json()
    assert spanish["language"] == "es" and spanish["outdated"] is False and spanish["title"] == TITLES["es"]
    prefixed = client.get(f"/ar/api/v1/flows/{FLOW}").get_json()
    assert prefixed["language"] == "ar" and prefixed["outdated"] is False
    listed = client.get("/api/v1/flows?lang=es").get_json()["flows"]
    assert {f["language"] for f in listed} == {"es"}
    refused = client.get("/api/v1/articles?lang=fr")
    assert refused.status_code == 422 and "lang" in refused.get_json()["detail"]


def test_the_api_says_outdated_when_the_english_changed(tmp_path, content_copy):
    app = _stale_copy(tmp_path, content_copy)
    client = app.test_client()
    assert client.get(f"/api/v1/articles/{ARTICLE}?lang=es").get_json()["outdated"] is True
    assert client.get(f"/api/v1/flows/{FLOW}?lang=ar").get_json()["outdated"] is True
    listed = {a["slug"]: a for a in client.get("/api/v1/articles?lang=es").get_json()["articles"]}
    assert listed[ARTICLE]["outdated"] is True and listed["locked-account"]["outdated"] is False
    assert client.get(f"/api/v1/articles/{ARTICLE}").get_json()["outdated"] is False  # English
    with app.app_context():
        db.engine.dispose()


# -- every flow, every way through it, in every language -----------------------------------------


def _ways(app: Flask, flow_id: str) -> list[tuple[list[tuple[str, str]], str, str]]:
    """Each way out of each step of the flow: (the answers that lead to the step from the start,
    the step, the trigger). Every path of the flow is made of these moves."""
    with app.app_context():
        flow = catalog().flows[flow_id].flow
    route: dict[str, list[tuple[str, str]]] = {flow.start: []}
    queue = deque([flow.start])
    while queue:
        step_id = queue.popleft()
        for trigger, target in flow.steps[step_id].transitions():
            if target not in route:
                route[target] = [*route[step_id], (step_id, trigger)]
                queue.append(target)
    return [
        (route[step_id], step_id, trigger)
        for step_id, step in flow.steps.items()
        for trigger, _ in step.transitions()
    ]


def _answer(client: FlaskClient, base: str, flow: object, step_id: str, trigger: str) -> str:
    """Answer *step_id* with *trigger* in the sandbox; the address it leads to."""
    url = f"{base}/{step_id}"
    page = client.get(url)
    assert page.status_code == 200, url
    kind = flow.steps[step_id].kind  # type: ignore[attr-defined]
    data = {"csrf_token": csrf_from(page.get_data(as_text=True))}
    if kind == "question":
        data["answer"] = trigger
    elif kind in ("action", "check"):
        data["simulate"] = trigger
    moved = client.post(url, data=data)
    assert moved.status_code == 303, (url, trigger)
    return moved.location


@pytest.fixture
def unlimited_app(tmp_path: Path):
    app = build_app(tmp_path, rate_limits=False)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.mark.slow
@pytest.mark.parametrize("language", ("en", *TRANSLATED))
def test_every_flow_walks_every_way_in_every_language(unlimited_app, language):
    """In the editors' sandbox (fixes simulated), every move of every flow, each page in the
    language with its translated texts, each way on leading where the source flow says."""
    app = unlimited_app
    editor = staff_client(app, "editor@example.org", make_staff(app, "editor@example.org", "editor"))
    with app.app_context():
        flows = {fid: c.flow for fid, c in catalog().flows.items()}
        shown = {fid: flow_in(language, f, catalog().translations).content for fid, f in flows.items()}
    for flow_id, flow in sorted(flows.items()):
        base = f"/{language}/editor/sandbox/{flow_id}"
        for route, step_id, trigger in _ways(app, flow_id):
            restarted = editor.get(base)
            page = editor.get(restarted.location).get_data(as_text=True)
            editor.post(f"{base}/restart", data={"csrf_token": csrf_from(page)})
            for before, answer in route:
                assert _answer(editor, base, flow, before, answer).startswith(base)
            target = flow.steps[step_id]
            led = _answer(editor, base, flow, step_id, trigger)
            destination = dict(target.transitions())[trigger]
            arrived = editor.get(led)
            page = arrived.get_data(as_text=True)
            assert arrived.status_code == 200 and in_language(page, language), (flow_id, step_id, trigger)
            ending = flow.steps[destination]
            if ending.kind == "end" and ending.outcome == "flow":
                assert led.startswith(f"/{language}/editor/sandbox/{ending.flow}/"), led
                continue
            assert led == f"{base}/{destination}", (flow_id, step_id, trigger)
            assert f'<p class="flow-title">{escape(shown[flow_id].title)}</p>' in page
            for choice in shown[flow_id].steps[destination].choices:
                assert f">{escape(choice.label)}</label>" in page, (flow_id, destination, choice.id)
            assert "translation-notice" not in page


def test_the_home_page_and_the_index_list_the_content_in_the_language(app, client):
    with app.app_context():
        current = catalog()
        spanish_flow = flow_in("es", current.flows[FLOW].flow, current.translations).content
    home = client.get("/es/").get_data(as_text=True)
    assert f">{escape(spanish_flow.title)}</a>" in home
    index = client.get("/es/articles/").get_data(as_text=True)
    assert f'<a href="/es/articles/{ARTICLE}">{TITLES["es"]}</a>' in index
    english = client.get("/articles/").get_data(as_text=True)
    assert f'<a href="/articles/{ARTICLE}">{TITLES["en"]}</a>' in english


def test_the_contents_own_links_keep_the_language_of_the_prefix(client):
    page = client.get(f"/es/articles/{ARTICLE}").get_data(as_text=True)
    prose = re.search(r'<div class="prose">.*?</div>\s*</article>', page, re.S)
    assert prose is not None
    assert 'href="/es/diagnose/wrong-password"' in prose.group(0)
    assert 'href="/diagnose/' not in prose.group(0)
    english = client.get(f"/articles/{ARTICLE}").get_data(as_text=True)
    assert 'href="/diagnose/wrong-password"' in english


def test_robots_keep_crawlers_out_of_the_diagnosis_in_every_language(client):
    rules = client.get("/robots.txt").get_data(as_text=True).splitlines()
    for path in ("/diagnose/", "/es/diagnose/", "/ar/diagnose/", "/ar/editor/", "/language/"):
        assert f"Disallow: {path}" in rules
    assert "Disallow: /es/articles/" not in rules


def test_signing_in_under_a_prefix_signs_in_everywhere_and_stays_in_the_language(client, account):
    from tests.conftest import DEMO_PASSWORD

    page = client.get("/es/login").get_data(as_text=True)
    assert in_language(page, "es")
    form = {"csrf_token": csrf_from(page), "email": "pat@example.org", "password": DEMO_PASSWORD}
    signed = client.post("/es/login", data=form)
    assert signed.status_code == 303 and signed.location == "/es/account"
    assert "pat@example.org" in client.get("/es/account").get_data(as_text=True)
    assert "pat@example.org" in client.get("/account").get_data(as_text=True)  # cookies on path /
