"""What operators count: diagnoses started and ended per flow, fix outcomes, mail, and the sum
over several processes that gunicorn's workers are."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest
from flask.testing import FlaskClient

from helpdesk import metrics
from helpdesk.mail import MailError, compose, send
from helpdesk.models import Diagnosis
from tests.conftest import ROOT, build_app
from tests.mailbox import SmtpServer
from tests.support import csrf_from


def value(name: str, **labels: str) -> float:
    return metrics.REGISTRY.get_sample_value(name, labels) or 0.0


def walk(client: FlaskClient, *steps: tuple[str, dict[str, str]]) -> None:
    """Start fix-it and post each (step, fields) in turn, as a person would."""
    client.get("/diagnose/fix-it")
    for step, fields in steps:
        page = client.get(f"/diagnose/fix-it/{step}").get_data(as_text=True)
        client.post(f"/diagnose/fix-it/{step}", data={"csrf_token": csrf_from(page), **fields})


def test_a_diagnosis_that_ends_fixed_counts_its_start_fix_check_and_end(fixture_client):
    started = value("helpdesk_diagnoses_started_total", flow="fix-it")
    resolved = value("helpdesk_diagnoses_ended_total", flow="fix-it", outcome="resolved")
    fixed = value("helpdesk_fix_outcomes_total", action="pretend-fix", result="success")
    walk(
        fixture_client,
        ("what", {"answer": "broken"}),
        ("explain", {}),
        ("apply", {"word": "fixed"}),
        ("confirm", {"word": "fixed"}),
    )
    assert value("helpdesk_diagnoses_started_total", flow="fix-it") == started + 1
    assert value("helpdesk_fix_outcomes_total", action="pretend-fix", result="success") == fixed + 2
    assert value("helpdesk_diagnoses_ended_total", flow="fix-it", outcome="resolved") == resolved + 1


def test_an_escalation_and_a_failed_fix_are_counted_as_such(fixture_client):
    escalated = value("helpdesk_diagnoses_ended_total", flow="fix-it", outcome="escalated")
    failed = value("helpdesk_fix_outcomes_total", action="pretend-fix", result="failure")
    walk(fixture_client, ("what", {"answer": "broken"}), ("explain", {}), ("apply", {"word": "wrong"}))
    assert value("helpdesk_fix_outcomes_total", action="pretend-fix", result="failure") == failed + 1
    assert value("helpdesk_diagnoses_ended_total", flow="fix-it", outcome="escalated") == escalated + 1


def test_the_editors_sandbox_counts_nothing():
    before = value("helpdesk_diagnoses_started_total", flow="a-draft")
    metrics.diagnosis_event(Diagnosis(flow_id="a-draft", sandbox=True), "started", {})
    assert value("helpdesk_diagnoses_started_total", flow="a-draft") == before
    metrics.diagnosis_event(Diagnosis(flow_id="a-draft", sandbox=False), "started", {})
    assert value("helpdesk_diagnoses_started_total", flow="a-draft") == before + 1


def test_a_mail_the_server_refuses_is_counted_as_failed(tmp_path):
    failed = value("helpdesk_mails_failed_total")
    sent = value("helpdesk_mails_sent_total", transport="smtp")
    with SmtpServer() as smtp:
        app = build_app(tmp_path, mail_url=smtp.url)
        smtp.recorder.refuse_next, smtp.recorder.refusal = 1, "550 5.1.1 no such mailbox"
        with app.app_context():
            notice = compose("no_account", "pat@example.org", "About", what="a link", url="http://x/")
            with pytest.raises(MailError):
                send(notice)
            send(notice)  # the next one goes through
    assert value("helpdesk_mails_failed_total") == failed + 1
    assert value("helpdesk_mails_sent_total", transport="smtp") == sent + 1


SUM_OVER_PROCESSES = textwrap.dedent(
    """
    import os, sys
    from helpdesk import metrics
    for n in (1, 2):  # two workers, forked as gunicorn forks them
        pid = os.fork()
        if pid == 0:
            metrics.diagnosis_started("fix-it")
            metrics.request_answered("public.home", "GET", 200, 0.01 * n)
            os._exit(0)
        os.waitpid(pid, 0)
    sys.stdout.write(metrics.exposition()[0].decode())
    """
)


@pytest.mark.slow  # a Python that imports the app, forking twice: about 2 s
def test_with_a_multiprocess_directory_the_workers_counts_are_added_up(tmp_path):
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    run = [sys.executable, "-c", SUM_OVER_PROCESSES]
    shown = subprocess.run(run, cwd=ROOT, env=env, capture_output=True, text=True, check=True).stdout
    assert 'helpdesk_diagnoses_started_total{flow="fix-it"} 2.0' in shown
    count = "helpdesk_http_request_duration_seconds_count"
    assert f'{count}{{endpoint="public.home",method="GET",status="2xx"}} 2.0' in shown
    assert len(list(tmp_path.glob("counter_*.db"))) >= 2  # one file per process
