"""The page an API client sends a person to: it opens their diagnosis in this browser.

Opening the link (GET or HEAD) only shows what it opens; a mail scanner or link preview
fetching it changes nothing. The person's button press (a CSRF-protected POST) uses the link.
"""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response as BaseResponse

from ..cases.browser_handoff import Opened, TicketProblem, open_ticket, read_ticket
from ..content.live import catalog
from ..extensions import limiter
from .diagnose import _remember

bp = Blueprint("handoff", __name__)

PROBLEMS = {
    TicketProblem.EXPIRED: (
        410,
        _l("This link has expired: links to continue in a browser work for 15 minutes."),
    ),
    TicketProblem.USED: (
        410,
        _l("This link has been used already: each link to continue in a browser works once."),
    ),
    TicketProblem.ALTERED: (
        404,
        _l("This link isn't valid: it may have been changed or copied incompletely."),
    ),
    TicketProblem.ABANDONED: (410, _l("This diagnosis was started over, so this link no longer opens it.")),
    TicketProblem.GONE: (410, _l("This diagnosis has expired: nothing was answered in it for a long time.")),
}


def _refused(opened: Opened) -> tuple[str, int]:
    status, message = PROBLEMS[opened.problem or TicketProblem.ALTERED]
    then = _("Ask the app you came from for a new one, or start again from the help center.")
    message = f"{message} {then}"
    return render_template("error.html", title=_("This link doesn't work"), message=message), status


@bp.route("/diagnose/<flow_id>/continue/<ticket>", methods=["GET", "POST"])
@limiter.limit("60 per hour")
def open_in_browser(flow_id: str, ticket: str) -> BaseResponse | str | tuple[str, int]:
    if request.method != "POST":  # GET and HEAD only show the page
        shown = read_ticket(flow_id, ticket[:1000])
        if shown.diagnosis is None:
            return _refused(shown)
        compiled = catalog().flows.get(flow_id)
        title = compiled.flow.title if compiled else flow_id
        return render_template(
            "diagnose/continue.html", diagnosis=shown.diagnosis, flow_title=title, ticket=ticket
        )
    opened = open_ticket(flow_id, ticket[:1000])
    if opened.diagnosis is None:
        return _refused(opened)
    _remember(opened.diagnosis)  # this browser now holds the diagnosis, as if it had started it
    diagnosis = opened.diagnosis
    return redirect(url_for("diagnose.step", flow_id=diagnosis.flow_id, step_id=diagnosis.step), 303)
