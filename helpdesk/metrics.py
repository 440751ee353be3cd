"""What operators count: Prometheus metrics of requests, diagnoses, fixes, mail and refusals.

The domain counts through the named functions below (`diagnosis_event`, `mail_failed`, …), the
HTTP layer through `request_answered`; `exposition` is the text a scraper reads at /metrics.

Under gunicorn, PROMETHEUS_MULTIPROC_DIR names an empty directory (set before the app is imported:
deploy/gunicorn.conf.py does, and empties it at start): every worker writes its counts to files
there (one per process, memory-mapped: no lock between processes, no network), and `exposition`
adds up every worker's, the ones that have exited too, so a counter never goes back. Without it
(`flask run`, the tests) the counts live in this process alone.

Labels take their values only from closed sets (the app's endpoint names, flow ids and action
names of the published content, status classes, a fixed list of methods), never a path or
anything a client typed: the number of series stays bounded whatever is requested.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, Protocol

if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    # prometheus_client writes there from the first metric made, at import: a command run with
    # the site's environment (`flask db upgrade`) must not fail for want of the directory
    os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], mode=0o700, exist_ok=True)

from prometheus_client import (
    CONTENT_TYPE_PLAIN_0_0_4,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

from .models import DiagnosisStatus

# seconds: the pages answer in milliseconds; a sign-in refused is padded to 150 ms; gunicorn's
# timeout is 30 s
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
ENDINGS = frozenset({DiagnosisStatus.RESOLVED, DiagnosisStatus.ESCALATED, DiagnosisStatus.LINKED})
FIX_EVENTS = frozenset({"action", "checked"})  # the kinds of transcript event a fix's outcome is

REQUEST_SECONDS = Histogram(
    "helpdesk_http_request_duration_seconds",
    "Time from the request's arrival to its answer, by Flask endpoint, method and status class",
    ["endpoint", "method", "status"],
    buckets=LATENCY_BUCKETS,
)
RATE_LIMITED = Counter(
    "helpdesk_rate_limited",
    "Requests refused as too many (429: the per-address rate limits and failure budgets), by endpoint",
    ["endpoint"],
)
DIAGNOSES_STARTED = Counter(
    "helpdesk_diagnoses_started", "Diagnoses started (sandbox runs left out), by flow", ["flow"]
)
DIAGNOSES_ENDED = Counter(
    "helpdesk_diagnoses_ended",
    "Diagnoses that reached an end, by flow and outcome: resolved, escalated, linked (to another flow)",
    ["flow", "outcome"],
)
FIX_OUTCOMES = Counter(
    "helpdesk_fix_outcomes",
    "Fixes and checks run from a diagnosis, by action and result (success, failure, pending)",
    ["action", "result"],
)
MAILS_SENT = Counter("helpdesk_mails_sent", "Mails handed to the SMTP server or the outbox", ["transport"])
MAILS_FAILED = Counter(
    "helpdesk_mails_failed", "Mails the SMTP server did not take after the retries (the person was told)"
)


def status_class(status: int) -> str:
    return f"{status // 100}xx"


def request_answered(endpoint: str | None, method: str, status: int, seconds: float) -> None:
    """One request answered: its latency; a 429 also counts as a refusal. A request no route
    matched (a 404, a 405) is counted under the endpoint "none"."""
    name = endpoint or "none"
    REQUEST_SECONDS.labels(name, method if method in METHODS else "other", status_class(status)).observe(
        seconds
    )
    if status == 429:
        RATE_LIMITED.labels(name).inc()


def diagnosis_started(flow_id: str) -> None:
    DIAGNOSES_STARTED.labels(flow_id).inc()


def diagnosis_ended(flow_id: str, outcome: str) -> None:
    DIAGNOSES_ENDED.labels(flow_id, outcome).inc()


def fix_outcome(action: str, result: str) -> None:
    FIX_OUTCOMES.labels(action, result).inc()


class CountedDiagnosis(Protocol):
    """What counting needs of a diagnosis (its row, or the record its pages read)."""

    @property
    def flow_id(self) -> str: ...
    @property
    def sandbox(self) -> bool: ...


def diagnosis_event(diagnosis: CountedDiagnosis, kind: str, detail: Mapping[str, Any]) -> None:
    """Count an event of a diagnosis's transcript as it is recorded: a start, an end, the outcome
    of a fix or a check. The editors' sandbox counts nothing."""
    if diagnosis.sandbox:
        return
    if kind == "started":
        diagnosis_started(diagnosis.flow_id)
    elif kind in ENDINGS:
        diagnosis_ended(diagnosis.flow_id, str(kind))
    elif kind in FIX_EVENTS:
        fix_outcome(str(detail.get("action", "unknown")), str(detail.get("answer", "unknown")))


def mail_sent(transport: str) -> None:
    MAILS_SENT.labels(transport).inc()


def mail_failed() -> None:
    MAILS_FAILED.inc()


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def exposition() -> tuple[bytes, str]:
    """Every metric in the Prometheus text format, and its content type: summed over every
    worker's files in the multiprocess directory, or this process's own registry."""
    if multiprocess_dir():
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_PLAIN_0_0_4
    return generate_latest(REGISTRY), CONTENT_TYPE_PLAIN_0_0_4
