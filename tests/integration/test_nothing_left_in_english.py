"""Nothing a reader sees under /es/ or /ar/ is still in English (issue 18): every page each kind of
person reaches (anonymous, signed in, staff, editor), rendered in English and in the language,
its visible words (text nodes, and the title, aria-label, placeholder, alt and button values) compared;
a text of the translated page that is also a text of the English one is a string nobody translated,
unless the allow-list below says why it stays the same in every language."""

from __future__ import annotations

import io
import re
from collections import deque
from collections.abc import Callable, Iterable
from html.parser import HTMLParser
from pathlib import Path
from pprint import pformat

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import select

from helpdesk.content.live import catalog
from helpdesk.extensions import db
from helpdesk.models import Diagnosis, VerificationRequest
from tests.conftest import DEMO_PASSWORD, build_app, make_staff, staff_client
from tests.integration.test_lockout_and_unlock import press_unlock
from tests.mailbox import link_in, outbox, text_of
from tests.support import confirm_its_you, csrf_from

TRANSLATED = ("es", "ar")
SEEN_ATTRIBUTES = {"title", "aria-label", "placeholder", "alt"}
BUTTON_INPUTS = {"submit", "button", "reset"}

# Texts that are the same in every language, and why.
SAME_IN_EVERY_LANGUAGE = {
    "Example Help",  # the site's name (HELPDESK_SITE_NAME), never translated
    "PIN",  # the glossary keeps these words as they are in every language
    "Bluetooth",
    "Android",
    "iPhone",
    "QR",
    "Wi-Fi",
    "VPN",
    "SIM",
    "Caps Lock",
    "phishing",
    "https://",
    "http://",
    "·",
    "TOTP",  # an audit entry's and a factor's technical name, as recorded
    "OK",
}
SAME_PATTERNS = [
    re.compile(r"^[\W\d_]*$"),  # numbers, times, punctuation: no letters
    re.compile(r"^\S+@\S+$"),  # e-mail addresses
    re.compile(r"^[A-Z0-9]{4}-[A-Z0-9]{4}$"),  # reference codes
    re.compile(r"^(https?://|/)\S*$"),  # addresses, shown as they are
    re.compile(r"^[a-z0-9]+(?:[-.:][a-z0-9]+)+$"),  # ids, slugs, audit actions (records, not words)
    re.compile(r"^\d+ · [0-9a-f]{8}$"),  # a content version and its hash (the editor's list)
    re.compile(r"^\d{1,2}:\d{2}(:\d{2})? UTC$"),  # a time of day: digits and the zone's name
]


# what a page shows as it is typed, not words: scripts, styles, and the examples of code and keys
NOT_WORDS = {"script", "style", "code", "kbd", "samp"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class VisibleWords(HTMLParser):
    """The words a page shows in its own language: its text nodes (the title included, scripts and
    styles not), and the attributes a reader sees or hears (title, aria-label, placeholder, alt, a
    button input's value). Words inside an element that declares another language (`lang`, as an
    English article shown on a Spanish page must, WCAG 3.1.2) are that language's, not the page's."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.words: list[str] = []
        self.language = ""
        self._open: list[tuple[str, bool]] = []  # (tag, its words are not the page's)

    def _aside(self) -> bool:
        return any(aside for _, aside in self._open)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        given = dict(attrs)
        if tag == "html":
            self.language = given.get("lang") or ""
            return
        declared = given.get("lang")
        aside = tag in NOT_WORDS or (declared is not None and declared != self.language)
        if tag not in VOID:
            self._open.append((tag, aside))
        if aside or self._aside():
            return
        for name in SEEN_ATTRIBUTES:
            self._add(given.get(name))
        if tag == "input" and (given.get("type") or "").lower() in BUTTON_INPUTS:
            self._add(given.get("value"))

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self._open) - 1, -1, -1):
            if self._open[index][0] == tag:
                del self._open[index:]
                return

    def handle_data(self, data: str) -> None:
        if not self._aside():
            self._add(data)

    def _add(self, text: str | None) -> None:
        text = " ".join((text or "").split())
        if text:
            self.words.append(text)


def visible_words(html: str) -> set[str]:
    parser = VisibleWords()
    parser.feed(html)
    parser.close()
    return set(parser.words)


# Words that are spelt the same in English and in one language, and mean the same there.
SAME_IN_THE_LANGUAGE = {
    # the article's "Was this helpful?" answer; the page title's "Error:"; a phone's settings menu;
    # the staff console's time waiting ("0 d 0 h": días, horas)
    "es": {"No", "Error:", "General", "0 d 0 h"},
    "ar": set(),
}


def same_everywhere(text: str, language: str) -> bool:
    if text in SAME_IN_EVERY_LANGUAGE or text in SAME_IN_THE_LANGUAGE[language]:
        return True
    if any(p.match(text) for p in SAME_PATTERNS):
        return True
    # "Example Help · help@example.org": made of the words above, and punctuation
    rest = text
    for word in sorted(SAME_IN_EVERY_LANGUAGE, key=len, reverse=True):
        rest = rest.replace(word, " ")
    return all(any(p.match(part) for p in SAME_PATTERNS) for part in rest.split())


def left_in_english(english: str, translated: str, language: str) -> list[str]:
    """The texts of *translated* that are English texts of the same page."""
    both = visible_words(translated) & visible_words(english)
    return sorted(t for t in both if not same_everywhere(t, language))


class Comparison:
    """Pages seen in English and in a language; what each still shows in English."""

    def __init__(self, language: str) -> None:
        self.language = language
        self.found: dict[str, list[str]] = {}
        self.compared: list[str] = []

    def compare(self, name: str, english: str, translated: str, same: Iterable[str] = ()) -> None:
        assert 'lang="en"' in english[:300], f"{name}: the English page is not English"
        assert f'lang="{self.language}"' in translated[:300], f"{name}: not in {self.language}"
        self.compared.append(name)
        left = [text for text in left_in_english(english, translated, self.language) if text not in same]
        if left:
            self.found[name] = left

    def get(self, client: FlaskClient, path: str, status: int = 200, same: Iterable[str] = ()) -> None:
        """The page at *path* and at /<language>*path*, from the same browser."""
        english = client.get(path)
        translated = client.get(f"/{self.language}{path}")
        assert (english.status_code, translated.status_code) == (status, status), path
        self.compare(path, english.get_data(as_text=True), translated.get_data(as_text=True), same)

    def both(self, name: str, render: Callable[[str], str], same: Iterable[str] = ()) -> None:
        """A page shown once per language by *render* (given the prefix: "" or "/es"); *same*: what
        the person typed, shown back as it is."""
        self.compare(name, render(""), render(f"/{self.language}"), same)


def post_form(client: FlaskClient, path: str, follow: bool = True, **fields: object) -> str:
    """Fill and send the form at *path* (its CSRF token from the page), the answer shown."""
    page = client.get(path).get_data(as_text=True)
    sent = client.post(path, data={"csrf_token": csrf_from(page), **fields}, follow_redirects=follow)
    return sent.get_data(as_text=True)


def sign_in(client: FlaskClient, email: str = "pat@example.org") -> None:
    post_form(client, "/login", email=email, password=DEMO_PASSWORD)


@pytest.fixture
def roomy_app(tmp_path: Path):
    """The sample content, and no rate limits: the pages are asked for three times each."""
    app = build_app(tmp_path, rate_limits=False)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def roomy_client(roomy_app: Flask) -> FlaskClient:
    return roomy_app.test_client()


@pytest.fixture
def pat(roomy_app: Flask):
    from helpdesk.accounts.directory import directory

    with roomy_app.app_context():
        return directory().create("pat@example.org", DEMO_PASSWORD)


# -- anonymous public pages -------------------------------------------------------------------


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_public_pages_show_nothing_in_english(roomy_app, roomy_client, language):
    client = roomy_client
    with roomy_app.app_context():
        slugs = sorted(a.slug for a in catalog().public_articles())
    seen = Comparison(language)
    for path in ["/", "/articles/", "/check-link"]:
        seen.get(client, path)
    # a query in English and one in the language: English results on a Spanish page carry lang="en";
    # the query itself is shown as typed
    for query in ("password", {"es": "contraseña", "ar": "كلمة المرور"}[language]):
        seen.both(
            f"search {query}",
            lambda prefix, query=query: client.get(f"{prefix}/search", query_string={"q": query}).get_data(
                as_text=True
            ),
            same={query},
        )
    for slug in slugs:
        seen.get(client, f"/articles/{slug}")
    for path in ["/login", "/password/forgot", "/unlock", "/recovery/request", "/recovery/status"]:
        seen.get(client, path)
    seen.get(client, "/search?q=zzqqxx", same={"zzqqxx"})  # no results: the articles read most instead
    seen.get(client, "/articles/no-such-article", 404)
    seen.get(client, "/diagnose/no-such-flow", 404)
    official = roomy_app.extensions["helpdesk.settings"].official_domains[0]
    for link in [  # one of each kind of verdict and refusal, every reason the checker gives
        f"https://{official}/login",
        f"https://help.{official}/login",
        f"http://{official}:8080/login",
        f"https://{official.replace('e', chr(0x435), 1)}/login",  # a Cyrillic letter e
        f"https://{official}.evil.test/login",
        f"https://{official}@evil.test/",
        "https://evil.test/?next=" + official,
        "https://bit.ly/abc123",
        "http://0x7f.1/",
        "https:\\\\evil.test\\login",
        "https:evil.test",
        "mailto:someone@evil.test",
        "javascript:alert(1)",
        "file:///etc/passwd",
        "ftp://evil.test/",
        "",
        "not a link at all",
        "x" * 5000,
    ]:
        seen.both(
            f"check-link {link[:40]}",
            lambda prefix, link=link: post_form(client, f"{prefix}/check-link", link=link),
            same={link},
        )
    assert seen.found == {}, pformat(seen.found)


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_forms_refusals_and_errors_show_nothing_in_english(roomy_app, roomy_client, pat, language):
    client = roomy_client
    seen = Comparison(language)
    seen.both(
        "a wrong password",
        lambda prefix: post_form(client, f"{prefix}/login", email="pat@example.org", password="wrong one"),
    )
    seen.both("no address", lambda prefix: post_form(client, f"{prefix}/password/forgot", email="nope"))
    seen.both(
        "a link sent", lambda prefix: post_form(client, f"{prefix}/password/forgot", email="pat@example.org")
    )
    seen.both("unlock asked", lambda prefix: post_form(client, f"{prefix}/unlock", email="pat@example.org"))
    seen.both("unlock, bad address", lambda prefix: post_form(client, f"{prefix}/unlock", email="x"))
    seen.both("recovery, no addresses", lambda prefix: post_form(client, f"{prefix}/recovery/request"))
    seen.both(
        "recovery status, unknown",
        lambda prefix: post_form(
            client, f"{prefix}/recovery/status", reference="ABCD-EFGH", contact_email="a@example.org"
        ),
    )
    for path in ["/password/reset/not-a-token", "/unlock/not-a-token", "/recovery/complete/not-a-token"]:
        seen.both(
            path,
            lambda prefix, path=path: client.get(f"{prefix}{path}", follow_redirects=True).get_data(
                as_text=True
            ),
        )
    slug = "strong-passwords"  # "Was this helpful?": no, then a comment empty, too long, then sent
    client.post(f"/articles/{slug}/feedback", data={"helpful": "no"})
    seen.get(client, f"/articles/{slug}")
    token = csrf_from(client.get(f"/articles/{slug}").get_data(as_text=True))  # the comment form's
    for comment in ("  ", "x" * 2001, "More on passphrases, please."):
        seen.both(
            f"feedback comment {comment[:10]!r}",
            lambda prefix, comment=comment: client.post(
                f"{prefix}/articles/{slug}/feedback/comment",
                data={"csrf_token": token, "comment": comment},
                follow_redirects=True,
            ).get_data(as_text=True),
            same={comment},
        )
    seen.both(
        "a form without its token (400)",
        lambda prefix: client.post(f"{prefix}/password/forgot", data={"email": "a@example.org"}).get_data(
            as_text=True
        ),
    )
    assert seen.found == {}, pformat(seen.found)


def test_an_error_page_of_every_kind_is_translated(tmp_path):
    """400, 404, 409 and 429 pages (the rate limits on: the sixth sign-in a minute is refused)."""
    app = build_app(tmp_path)
    client = app.test_client()
    for language in TRANSLATED:
        seen = Comparison(language)
        seen.get(client, "/nowhere", 404)
        step = client.get(client.get("/diagnose/wrong-password").location).request.path
        seen.both(
            "no answer chosen (400)",
            lambda prefix, step=step: client.post(
                f"{prefix}{step}", data={"csrf_token": csrf_from(client.get(step).get_data(as_text=True))}
            ).get_data(as_text=True),
        )
        assert seen.found == {}, pformat(seen.found)
    refused = {}
    token = csrf_from(client.get("/password/forgot").get_data(as_text=True))
    for prefix in ("", *(f"/{language}" for language in TRANSLATED)):
        for _ in range(30):
            answer = client.post(
                f"{prefix}/password/forgot", data={"csrf_token": token, "email": "a@example.org"}
            )
            if answer.status_code == 429:
                refused[prefix] = answer.get_data(as_text=True)
                break
    assert set(refused) == {"", "/es", "/ar"}
    for language in TRANSLATED:
        assert left_in_english(refused[""], refused[f"/{language}"], language) == [], language


# -- the diagnosis: every step of every flow, the fixes' forms -------------------------------------


def _routes(flow) -> dict[str, list[tuple[str, str]]]:
    """For each step: the shortest list of (step, answer) leading to it from the start."""
    route: dict[str, list[tuple[str, str]]] = {flow.start: []}
    queue = deque([flow.start])
    while queue:
        step_id = queue.popleft()
        for trigger, target in flow.steps[step_id].transitions():
            if target not in route:
                route[target] = [*route[step_id], (step_id, trigger)]
                queue.append(target)
    return route


def _answer(client: FlaskClient, base: str, flow, step_id: str, trigger: str) -> None:
    url = f"{base}/{step_id}"
    page = client.get(url).get_data(as_text=True)
    kind = flow.steps[step_id].kind
    data = {"csrf_token": csrf_from(page)}
    if kind == "question":
        data["answer"] = trigger
    elif kind in ("action", "check"):
        data["simulate"] = trigger
    assert client.post(url, data=data).status_code == 303, (url, trigger)


@pytest.mark.slow
@pytest.mark.parametrize("language", TRANSLATED)
def test_every_step_of_every_flow_shows_nothing_in_english(roomy_app, language):
    """Each step (question, info, action with its fix's form, check, end) reached in the editors'
    sandbox, shown in English and in the language; the real diagnosis's first pages too."""
    app = roomy_app
    editor = staff_client(app, "editor@example.org", make_staff(app, "editor@example.org", "editor"))
    with app.app_context():
        flows = {fid: compiled.flow for fid, compiled in catalog().flows.items()}
    seen = Comparison(language)
    for flow_id, flow in sorted(flows.items()):
        base = f"/editor/sandbox/{flow_id}"
        for step_id, route in _routes(flow).items():
            editor.get(base)
            page = editor.get(f"{base}/{flow.start}").get_data(as_text=True)
            editor.post(f"{base}/restart", data={"csrf_token": csrf_from(page)})
            for before, answer in route:
                _answer(editor, base, flow, before, answer)
            seen.get(editor, f"{base}/{step_id}")
    anonymous = app.test_client()
    for flow_id in sorted(flows):
        first = anonymous.get(f"/diagnose/{flow_id}").location
        seen.get(anonymous, first)
    assert seen.found == {}, pformat(seen.found)


@pytest.mark.slow
@pytest.mark.parametrize("language", TRANSLATED)
def test_the_fixes_forms_in_a_real_diagnosis_show_nothing_in_english(roomy_app, roomy_client, pat, language):
    """The real fixes' pages (not simulated) of every flow, each reached by answering questions: its
    form (reset and unlock links, the resync, the sign-in check, "Confirm it's you", the checkup),
    and the form sent empty (each fix's "type this first")."""
    client = roomy_client
    seen = Comparison(language)
    with roomy_app.app_context():
        flows = {fid: compiled.flow for fid, compiled in catalog().flows.items()}
    for flow_id, flow in sorted(flows.items()):
        base = f"/diagnose/{flow_id}"
        route = _routes(flow)
        for step in (s for s in flow.steps.values() if s.kind in ("action", "check")):
            if step.id not in route or any(
                flow.steps[b].kind in ("action", "check") for b, _ in route[step.id]
            ):
                continue  # behind another fix: the sandbox test shows it
            page = client.get(client.get(base).location).get_data(as_text=True)
            client.post(f"{base}/restart", data={"csrf_token": csrf_from(page)})
            client.get(base)
            for before, answer in route[step.id]:
                _answer(client, base, flow, before, answer)
            seen.get(client, f"{base}/{step.id}")
            seen.both(
                f"{flow_id}/{step.id} sent empty",
                lambda prefix, step=step, base=base: post_form(
                    client, f"{prefix}{base}/{step.id}", email="", code="", code2="", password=""
                ),
            )
    fixes = {name.rsplit("/", 1)[-1] for name in seen.compared if name.startswith("/diagnose/")}
    assert len(fixes) >= 8, fixes  # the fixes of every kind, not a few
    assert seen.found == {}, pformat(seen.found)


# -- signed in ------------------------------------------------------------------------------------


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_account_pages_show_nothing_in_english(roomy_app, roomy_client, pat, language):
    client = roomy_client
    sign_in(client)
    seen = Comparison(language)
    for path in ["/account", "/account/password", "/account/two-factor", "/account/passkeys"]:
        seen.get(client, path)
    seen.get(client, "/account/failed-sign-ins")
    seen.get(client, "/account/confirm?next=/account/my-data")
    confirm_its_you(client, DEMO_PASSWORD)
    for path in ["/account/two-factor", "/account/passkeys", "/account/password"]:
        seen.get(client, path)
    seen.both(
        "a password too short",
        lambda prefix: post_form(
            client, f"{prefix}/account/password", current_password=DEMO_PASSWORD, new_password="short"
        ),
    )
    seen.both(
        "a wrong authenticator code",
        lambda prefix: post_form(client, f"{prefix}/account/two-factor", code="000000"),
    )
    assert seen.found == {}, pformat(seen.found)


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_pages_with_two_step_verification_on_show_nothing_in_english(
    roomy_app, roomy_client, pat, language
):
    from helpdesk.accounts.two_factor import enable_without_confirmation

    with roomy_app.test_request_context():
        uri, _ = enable_without_confirmation(pat)
    secret = pyotp.parse_uri(uri).secret
    client = roomy_client
    seen = Comparison(language)
    seen.both(  # the page that asks for the code, after the password
        "the code's page",
        lambda prefix: post_form(client, f"{prefix}/login", email="pat@example.org", password=DEMO_PASSWORD),
    )
    seen.both(
        "a wrong code",
        lambda prefix: client.post(
            f"{prefix}/login",
            # (a token from another page: showing /login again forgets the password given)
            data={
                "csrf_token": csrf_from(client.get("/check-link").get_data(as_text=True)),
                "code": "000000",
            },
        ).get_data(as_text=True),
    )
    page = client.get("/login").get_data(as_text=True)
    client.post(
        "/login", data={"csrf_token": csrf_from(page), "email": "pat@example.org", "password": DEMO_PASSWORD}
    )
    client.post("/login", data={"csrf_token": csrf_from(page), "code": pyotp.TOTP(secret).now()})
    for path in ["/account", "/account/two-factor", "/account/confirm?next=/account"]:
        seen.get(client, path)
    seen.both(
        "new recovery codes",
        lambda prefix: client.post(
            f"{prefix}/account/recovery-codes",
            data={"csrf_token": csrf_from(client.get("/account").get_data(as_text=True))},
            follow_redirects=True,
        ).get_data(as_text=True),
    )
    assert seen.found == {}, pformat(seen.found)


# -- a request for identity-verified recovery, and the staff's and editors' pages ----------------------


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 40), "white").save(out, format="PNG")
    return out.getvalue()


def _recovery_request(client: FlaskClient, outbox_dir: Path, prefix: str) -> dict[str, str]:
    """A recovery request asked for in the language of *prefix*: its pages, as shown."""
    pages = {
        "contact": post_form(
            client,
            f"{prefix}/recovery/request",
            account_email="pat@example.org",
            contact_email="new@example.net",
        )
    }
    code = re.search(r"^\s+(\d{6})$", text_of(outbox(outbox_dir)[-1]), re.M).group(1)  # type: ignore[union-attr]
    pages["evidence"] = post_form(client, f"{prefix}/recovery/request/contact", code=code)
    page = client.get(f"{prefix}/recovery/request/evidence").get_data(as_text=True)
    sent = client.post(
        f"{prefix}/recovery/request/evidence",
        data={
            "csrf_token": csrf_from(page),
            "id-document": (io.BytesIO(_png()), "id.png"),
            "selfie": (io.BytesIO(_png()), "me.png"),
            "last_sign_in": "",
            "device": "",
            "consent": "yes",
        },
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    pages["submitted"] = sent.get_data(as_text=True)
    return pages


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_recovery_request_and_the_staff_and_editor_pages_show_nothing_in_english(
    roomy_app, pat, language
):
    app = roomy_app
    outbox_dir = app.extensions["helpdesk.settings"].outbox_dir
    english = _recovery_request(app.test_client(), outbox_dir, "")
    translated = _recovery_request(app.test_client(), outbox_dir, f"/{language}")
    seen = Comparison(language)
    for name in english:
        seen.compare(f"recovery {name}", english[name], translated[name])
    admin = staff_client(app, "admin@example.org", make_staff(app, "admin@example.org", "admin"))
    anonymous = app.test_client()
    reference = anonymous.get("/diagnose/wrong-password").location
    anonymous.get(reference)
    with app.app_context():
        diagnosis = db.session.scalars(select(Diagnosis)).first()
        request_id = db.session.scalars(select(VerificationRequest.id)).first()
        slug = sorted(a.slug for a in catalog().public_articles())[0]
    assert diagnosis is not None and request_id is not None
    for path in [
        "/staff/",
        "/staff/audit",
        f"/staff/diagnoses/{diagnosis.reference}",
        "/staff/links/new",
        f"/staff/requests/{request_id}",
        "/editor/",
        "/editor/analytics",
        "/editor/flows/wrong-password",
        f"/editor/articles/{slug}",
    ]:
        seen.get(admin, path)
    seen.both(
        "a support link made",
        lambda prefix: post_form(
            admin, f"{prefix}/staff/links/new", flow="wrong-password", step="", answers=""
        ),
    )
    assert seen.found == {}, pformat(seen.found)


# -- the pages a mailed link opens ------------------------------------------------------------------


def _reset_pages(client: FlaskClient, outbox_dir: Path, prefix: str) -> dict[str, str]:
    """A reset link asked for and opened in the language of *prefix*: the form, a refused password,
    the page after it is set."""
    post_form(client, f"{prefix}/password/forgot", email="pat@example.org")
    link = link_in(outbox(outbox_dir)[-1], f"{prefix}/password/reset/")  # the mail's own language
    pages = {"form": client.get(link, follow_redirects=True).get_data(as_text=True)}
    pages["refused"] = post_form(client, f"{prefix}/password/reset", new_password="password")
    pages["done"] = post_form(client, f"{prefix}/password/reset", new_password="amber-kettle-orbit-7171")
    return pages


def _unlock_pages(client: FlaskClient, outbox_dir: Path, prefix: str) -> dict[str, str]:
    """An unlock link asked for in the language of *prefix*, opened, its button pressed."""
    post_form(client, f"{prefix}/unlock", email="pat@example.org")
    link = link_in(outbox(outbox_dir)[-1], f"{prefix}/unlock/")  # the mail's own language
    opened = client.get(link, follow_redirects=True).get_data(as_text=True)
    pressed = press_unlock(client, opened)
    if pressed.status_code == 303:
        pressed = client.get(pressed.location)
    assert pressed.status_code == 200, pressed.status_code
    done = pressed.get_data(as_text=True)
    return {"opened": opened, "done": done}


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_pages_a_mailed_link_opens_show_nothing_in_english(roomy_app, pat, language):
    outbox_dir = roomy_app.extensions["helpdesk.settings"].outbox_dir
    seen = Comparison(language)
    for name, pages in (("reset", _reset_pages), ("unlock", _unlock_pages)):
        english = pages(roomy_app.test_client(), outbox_dir, "")
        translated = pages(roomy_app.test_client(), outbox_dir, f"/{language}")
        for page in english:
            seen.compare(f"{name} {page}", english[page], translated[page])
    assert len(seen.compared) == 5
    assert seen.found == {}, pformat(seen.found)


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_passkey_pages_show_nothing_in_english(roomy_app, roomy_client, pat, language):
    """The passkeys page with a passkey on it, and the page a removed passkey is sent to."""
    from tests.integration.test_passkeys import add_passkey, passkey_sign_in
    from tests.passkey_authenticator import SoftAuthenticator

    client = roomy_client
    authenticator = SoftAuthenticator()
    sign_in(client)
    assert add_passkey(client, authenticator, "My phone").status_code == 201
    seen = Comparison(language)
    seen.get(client, "/account/passkeys", same={"My phone"})  # the name the person gave it
    seen.get(client, "/account")
    page = client.get("/account/passkeys").get_data(as_text=True)
    remove_path = next(p for p in page.split('"') if p.endswith("/remove"))
    client.post(remove_path, data={"csrf_token": csrf_from(page)})
    stranger = roomy_app.test_client()
    assert passkey_sign_in(stranger, authenticator).status_code == 410
    seen.get(stranger, "/login/passkey/removed", 410)
    assert seen.found == {}, pformat(seen.found)


@pytest.mark.parametrize("language", TRANSLATED)
def test_a_recovery_request_s_status_shows_nothing_in_english(roomy_app, pat, language):
    outbox_dir = roomy_app.extensions["helpdesk.settings"].outbox_dir
    _recovery_request(roomy_app.test_client(), outbox_dir, "")
    with roomy_app.app_context():
        reference = db.session.scalars(select(VerificationRequest.reference)).one()
    client = roomy_app.test_client()
    seen = Comparison(language)
    seen.both(
        "the status of a request waiting for staff",
        lambda prefix: post_form(
            client, f"{prefix}/recovery/status", reference=reference, contact_email="new@example.net"
        ),
    )
    assert seen.found == {}, pformat(seen.found)
