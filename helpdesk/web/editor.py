"""The editor area: every flow and article with its validation status."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from datetime import timedelta

from flask import Blueprint, Response, abort, render_template, request
from flask_babel import format_decimal, gettext
from markupsafe import Markup, escape

from .. import audit
from ..accounts.directory import AccountRecord, HistoryResult, org_directory
from ..accounts.history import record_event
from ..accounts.roles import Role
from ..actions import steps_not_offered
from ..analytics import FlowStats, article_stats, flows_stats, searches_without_results
from ..content.live import catalog, flow_for_editors, flows_with_problems, pending_problems
from ..flows.diagram import edges_of, svg
from ..models import DiagnosisStatus, utcnow
from .sessions import client_device, client_ip
from .staff import staff_only

bp = Blueprint("editor", __name__, url_prefix="/editor")


@bp.get("/")
@staff_only(Role.EDITOR)
def index(account: AccountRecord) -> str:
    current = catalog()
    by_file = defaultdict(list)
    for problem in pending_problems():
        by_file[problem.path].append(problem)
    return render_template(
        "editor/index.html",
        account=account,
        flows=sorted((c.flow for c in current.flows.values()), key=lambda f: f.id),
        broken_flows=flows_with_problems(),
        articles=sorted(current.articles.values(), key=lambda a: a.slug),
        problems=dict(by_file),
        translations_todo={
            language: current.translations.todo(language) for language in current.translations.languages
        },
    )


@bp.get("/flows/<flow_id>")
@staff_only(Role.EDITOR)
def flow_diagram(account: AccountRecord, flow_id: str) -> str:
    compiled, has_problems = flow_for_editors(flow_id)
    if compiled is None:
        abort(404)
    problems = [p for p in pending_problems() if p.path == compiled.flow.path] if has_problems else []
    return render_template(
        "editor/flow.html",
        account=account,
        flow=compiled.flow,
        diagram=svg(compiled, steps_not_offered(compiled.flow, org_directory().capabilities)),
        edges=edges_of(compiled),
        problems=problems,
    )


@bp.get("/articles/<slug>")
@staff_only(Role.EDITOR)
def article_preview(account: AccountRecord, slug: str) -> str:
    """The article exactly as the public page shows it, drafts included, marked as a preview."""
    found = catalog().articles.get(slug)
    if found is None:
        abort(404)
    flows = [catalog().flows[f].flow for f in found.flows if f in catalog().flows]
    return render_template(
        "article.html", article=found, flows=flows, feedback={"preview": True}, preview=True
    )


PERIODS = (7, 30, 90)


def _period() -> int:
    days = request.args.get("days", "30")
    return int(days) if days in {str(p) for p in PERIODS} else 30


@bp.get("/analytics")
@staff_only(Role.EDITOR)
def analytics(account: AccountRecord) -> str:
    days = _period()
    since = utcnow() - timedelta(days=days)
    flows = flows_stats(sorted(catalog().flows.values(), key=lambda c: c.id), since)
    articles = article_stats({a.slug: a.title for a in catalog().articles.values()}, since)
    searches = searches_without_results(since)
    return render_template(
        "editor/analytics.html",
        searches=searches,
        account=account,
        days=days,
        periods=PERIODS,
        flows=flows,
        articles=articles,
        funnel=funnel_svg,
    )


@bp.get("/analytics.csv")
@staff_only(Role.EDITOR)
def analytics_csv(account: AccountRecord) -> Response:
    days = _period()
    since = utcnow() - timedelta(days=days)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "flow",
            "step",
            "kind",
            "reached",
            "left_here",
            "started",
            "resolved",
            "escalated",
            "abandoned",
            "median_minutes",
        ]
    )
    for stats in flows_stats(sorted(catalog().flows.values(), key=lambda c: c.id), since):
        for step in stats.steps:
            writer.writerow(
                [
                    stats.flow_id,
                    step.step,
                    step.kind,
                    step.reached,
                    step.left_here,
                    stats.started,
                    stats.outcomes[DiagnosisStatus.RESOLVED],
                    stats.outcomes[DiagnosisStatus.ESCALATED],
                    stats.outcomes[DiagnosisStatus.ABANDONED],
                    "" if stats.median_minutes is None else round(stats.median_minutes, 1),
                ]
            )
    audit.record("editor.export", actor=account.email, ip=client_ip(), export="analytics_csv")
    record_event(account.id, HistoryResult.CSV_EXPORTED, ip=client_ip(), device=client_device())
    response = Response(out.getvalue(), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="helpdesk-flows-{days}d.csv"'
    return response


@bp.get("/analytics-searches.csv")
@staff_only(Role.EDITOR)
def searches_csv(account: AccountRecord) -> Response:
    """The searches that found nothing in the period, with how often each was asked."""
    days = _period()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["query", "searches"])
    for query, count in searches_without_results(utcnow() - timedelta(days=days), limit=10_000):
        writer.writerow([_spreadsheet_safe(query), count])
    audit.record("editor.export", actor=account.email, ip=client_ip(), export="searches_csv")
    record_event(account.id, HistoryResult.CSV_EXPORTED, ip=client_ip(), device=client_device())
    response = Response(out.getvalue(), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="helpdesk-searches-{days}d.csv"'
    return response


def _spreadsheet_safe(text: str) -> str:
    """Queries are typed by anyone: one starting like a formula is kept as text in a spreadsheet."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def funnel_svg(stats: FlowStats) -> Markup:
    """Per step: a bar for the people who reached it, the red part those who left there."""
    rows = [s for s in stats.steps if s.reached]
    top = max((s.reached for s in rows), default=1)
    bar_w, row_h, label_w = 320, 22, 190
    steps_of = gettext("Steps of %(flow)s: reached and left", flow=stats.title)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" '
        f'viewBox="0 0 {label_w + bar_w + 90} {row_h * len(rows) + 8}" '
        f'class="funnel" role="img" aria-label="{escape(steps_of)}">'
    ]
    for i, s in enumerate(rows):
        y = 4 + i * row_h
        width = bar_w * s.reached / top
        left = bar_w * s.left_here / top
        how_many_left = format_decimal(s.left_here)  # the language's digits and grouping, as `reached`
        left_here = " ({})".format(escape(gettext("%(num)s left", num=how_many_left))) if s.left_here else ""
        parts.append(
            f'<g><text x="{label_w - 6}" y="{y + 15}" text-anchor="end" font-size="12">'
            f"{escape(s.step)}</text>"
            f'<rect x="{label_w}" y="{y + 3}" width="{width:.1f}" height="{row_h - 6}" fill="#0b57a4"/>'
            f'<rect x="{label_w}" y="{y + 3}" width="{left:.1f}" height="{row_h - 6}" fill="#b00020"/>'
            f'<text x="{label_w + width + 6:.1f}" y="{y + 15}" font-size="12">'
            f"{escape(format_decimal(s.reached))}"
            f"{left_here}</text></g>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 (every text in it went through escape())
