"""The "continue in a browser" address the API gives: on the configured site address, never the
request's Host."""

from __future__ import annotations

from flask import url_for

from ...cases.browser_handoff import ticket_for
from ...links import site_link
from ...models import Diagnosis


def page_url(diagnosis: Diagnosis) -> str:
    """The absolute URL that opens *diagnosis* at its current step in a browser (once)."""
    return site_link(
        url_for("handoff.open_in_browser", flow_id=diagnosis.flow_id, ticket=ticket_for(diagnosis))
    )
