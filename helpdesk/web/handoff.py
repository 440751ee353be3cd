"""The page an API client sends a person to: it opens their diagnosis in this browser."""

from __future__ import annotations

from flask import Blueprint, Response, redirect, render_template, url_for

from ..api.handoff import open_ticket
from ..extensions import limiter
from .diagnose import _remember

bp = Blueprint("handoff", __name__)

PROBLEMS = {
    "expired": (410, "This link has expired: links to continue in a browser work for 15 minutes."),
    "used": (410, "This link has been used already: each link to continue in a browser works once."),
    "altered": (404, "This link isn't valid: it may have been changed or copied incompletely."),
}


@bp.get("/diagnose/<flow_id>/continue/<ticket>")
@limiter.limit("60 per hour")
def open_in_browser(flow_id: str, ticket: str) -> Response | tuple[str, int]:
    opened = open_ticket(flow_id, ticket[:1000])
    if opened.diagnosis is None:
        status, message = PROBLEMS[opened.problem or "altered"]
        message += " Ask the app you came from for a new one, or start again from the help center."
        return render_template("error.html", title="This link doesn't work", message=message), status
    _remember(opened.diagnosis)  # this browser now holds the diagnosis, as if it had started it
    diagnosis = opened.diagnosis
    return redirect(url_for("diagnose.step", flow_id=diagnosis.flow_id, step_id=diagnosis.step), 303)
