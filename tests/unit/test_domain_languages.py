"""The domain's words in the reader's language (issue 18, part lang-domain): a refusal and a fix's
outcome come back in Spanish or Arabic when the request is in that language, in English outside a
request (the CLI, logs, tests), and the JSON API's problem details follow the request's language.

The catalogs under test are the app's own (helpdesk/translations), as every page reads them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import Flask
from flask_babel import force_locale

from helpdesk.accounts.org_directory import DirectoryUnavailable
from helpdesk.accounts.passkey_ceremony import PasskeyRemoved
from helpdesk.accounts.totp import Drift
from helpdesk.actions import Outcome, get_action
from helpdesk.actions.account_checks import NOT_SIGNED_IN
from helpdesk.staff.links import LinkProblem, parse_answers
from tests.conftest import build_app, make_staff, staff_client
from tests.support import action_context


@contextmanager
def speaking(app: Flask, language: str) -> Iterator[None]:
    """A request in *language*."""
    with app.test_request_context(), force_locale(language):
        yield


def test_a_domain_refusal_is_said_in_spanish(app: Flask) -> None:
    with speaking(app, "es"):
        said = str(PasskeyRemoved())
    assert said == "Esta llave de acceso se eliminó de tu cuenta, así que ya no puede iniciar tu sesión."


def test_a_refusal_made_outside_a_request_is_said_in_the_language_it_is_shown_in(app: Flask) -> None:
    refusal = DirectoryUnavailable("ldap: timed out")  # raised with a lazy message, shown later
    with speaking(app, "ar"):
        shown = str(refusal)
    assert shown == "لا نستطيع الوصول إلى نظام الحسابات الآن. حاول مرة أخرى بعد بضع دقائق."
    assert refusal.detail == "ldap: timed out"  # the log's words stay as they were


def test_a_refusal_with_a_value_keeps_the_value_in_spanish(app: Flask) -> None:
    with speaking(app, "es"), pytest.raises(LinkProblem) as refused:
        parse_answers("what-happens=wrong-password\nno equals sign here")
    assert str(refused.value) == "línea 2: escribe cada respuesta como paso=respuesta"


def test_outside_a_request_refusals_are_in_english() -> None:
    removed = "This passkey was removed from your account, so it can't sign you in any more."
    assert str(PasskeyRemoved()) == removed
    with pytest.raises(LinkProblem) as refused:
        parse_answers("nonsense")
    assert str(refused.value) == "line 1: write each answer as step=choice"


def test_an_actions_outcome_is_said_in_spanish(app: Flask) -> None:
    check = get_action("verify-sign-in")
    assert check is not None
    with speaking(app, "es"):
        outcome = check.submit(action_context("wrong-password", "check-sign-in"), {})
        title = str(check.title)
    assert outcome.status == "retry" and outcome.field == "email"
    assert outcome.message == "Escribe tu dirección de correo."
    assert title == "Inicia sesión para comprobar que funcionó"


def test_an_actions_outcome_is_in_english_without_a_request(app: Flask) -> None:
    check = get_action("verify-sign-in")
    assert check is not None
    with app.app_context():  # as the CLI and most tests run it: the site's default language
        outcome = check.submit(action_context("wrong-password", "check-sign-in"), {})
    assert outcome.message == "Enter your email address."
    assert str(check.title) == "Sign in to check it worked"


def test_an_outcome_made_from_a_lazy_message_keeps_plain_text_in_the_language_it_was_made_in(
    app: Flask,
) -> None:
    with speaking(app, "es"):
        outcome = Outcome.failure(NOT_SIGNED_IN)
    assert type(outcome.message) is str  # the transcript and the API keep it as text
    assert outcome.message == "Primero inicia sesión (en el paso anterior) y vuelve a intentarlo."


def test_the_measured_clock_drift_reads_naturally_in_spanish(app: Flask) -> None:
    with speaking(app, "es"):
        said = Drift("found", seconds=150).describe()
    assert said == "tu teléfono va adelantado aproximadamente 2 minutos y 30 segundos"


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [
        (-60, "ساعة هاتفك متأخرة بنحو دقيقة واحدة"),  # one: the word alone
        (-120, "ساعة هاتفك متأخرة بنحو دقيقتين"),  # two: the dual (after a preposition)
        (300, "ساعة هاتفك متقدّمة بنحو 5 دقائق"),  # few (3-10): the plural
        (-900, "ساعة هاتفك متأخرة بنحو 15 دقيقة"),  # many (11-99)
    ],
)
def test_arabic_counts_take_their_own_plural_forms(app: Flask, seconds: int, expected: str) -> None:
    with speaking(app, "ar"):
        said = Drift("found", seconds=seconds).describe()
    assert said == expected


def test_the_apis_problem_detail_follows_the_requests_language(tmp_path: Path) -> None:
    spanish = build_app(tmp_path, default_language="es")

    answer = spanish.test_client().post("/api/v1/diagnoses", json={"flow": "no-such-flow"})
    assert answer.status_code == 404
    problem = answer.get_json()
    assert problem["type"] == "urn:helpdesk:problem:not-found"  # problem types never change
    assert problem["title"] == "No encontrado"
    assert problem["detail"] == "No existe el flujo 'no-such-flow'. GET /api/v1/flows los enumera."


def test_the_staff_and_editor_pages_render_in_spanish(tmp_path: Path) -> None:
    spanish = build_app(tmp_path, default_language="es")

    admin = staff_client(spanish, "admin@example.org", make_staff(spanish, "admin@example.org", "admin"))
    expected = {
        "/staff/": "Consola del equipo",
        "/staff/links/new": "Enviar un enlace a un diagnóstico",
        "/staff/audit": "Cada entrada cuadra con la anterior.",
        "/editor/": "Todos los archivos en disco son válidos y están publicados.",
        "/editor/analytics?days=7": "Estadísticas: los últimos 7 días",
        "/editor/flows/cant-sign-in": "Todos los caminos, como texto",
    }
    for path, words in expected.items():
        page = admin.get(path)
        assert page.status_code == 200, path
        assert words in page.get_data(as_text=True), path
    missing = admin.get("/staff/diagnoses?reference=ZZZZ-ZZZZ")
    assert missing.status_code == 404
    assert "Ningún diagnóstico tiene la referencia &#39;ZZZZ-ZZZZ&#39;." in missing.get_data(as_text=True)
