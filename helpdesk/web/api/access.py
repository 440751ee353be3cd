"""The API's door: the bearer token of a request, checked by the domain, refusals as problems.

Cookies play no part (see `SessionsOutsideTheApi`)."""

from __future__ import annotations

from flask import current_app, request
from flask_babel import gettext

from ...cases.diagnosis_access import DiagnosisExpired, TokenRefused, open_with_token
from ...models import Diagnosis
from .problems import ApiProblem

REALM = 'Bearer realm="helpdesk"'


def _presented_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def authorised(reference: str) -> Diagnosis:
    """The diagnosis *reference* names, if the request's bearer token is its token; else a problem.

    An unknown reference and a known one with another token get the same 401, so references
    can't be probed; only the token's holder learns more (410 when it expired)."""
    raw = _presented_token()
    if raw is None:
        current_app.logger.info("API: no bearer token for diagnosis %s", reference[:40])  # ASVS 7.2.2
        raise ApiProblem(
            401,
            gettext(
                "This request has no bearer token. Send the token you got when the diagnosis started: "
                "Authorization: Bearer <token>."
            ),
            kind="token-missing",
            title=gettext("A bearer token is needed"),
            headers={"WWW-Authenticate": REALM},
        )
    try:
        return open_with_token(reference, raw)
    except TokenRefused as refused:
        current_app.logger.warning("API: a bearer token was refused for diagnosis %s", reference[:40])
        raise ApiProblem(
            401,
            gettext(
                "The token you sent does not open a diagnosis with this reference. Check both: the token "
                "is the one given when the diagnosis started (a handover keeps it)."
            ),
            kind="token-invalid",
            title=gettext("That token does not fit this diagnosis"),
            headers={"WWW-Authenticate": f'{REALM}, error="invalid_token"'},
        ) from refused
    except DiagnosisExpired as expired:
        raise ApiProblem(
            410,
            gettext("This diagnosis has expired: nothing was answered for a long time. Start a new one."),
            kind="expired",
            reference=expired.reference,
        ) from expired
