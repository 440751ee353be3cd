"""A worker killed (SIGKILL) in the middle of a password reset, an identity-verification
approval or a recovery's completion leaves no half state: the change happened in full, or not
at all and can still be made.

Each kill runs the operation in a separate process (forked from the test, on a file SQLite
database the test built) and kills it at one point: spread over the whole operation (counted in
Python calls seen by a `sys.setprofile` hook), and right before and right after each commit the
operation makes. The test then reopens the database, as the next worker would after a crash,
and checks the invariant. SQLite only: the point is the code's transaction boundaries, which
are the same on PostgreSQL.
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import create_engine, func, select, update
from sqlalchemy.engine import make_url

from helpdesk import audit
from helpdesk.accounts.directory import directory
from helpdesk.accounts.recovery import reset_password
from helpdesk.accounts.tokens import TokenStatus, issue_token
from helpdesk.accounts.two_factor import enable_without_confirmation
from helpdesk.cases.verification import completion, review
from helpdesk.extensions import db
from helpdesk.models import (
    AccountToken,
    AuditEntry,
    SignInSession,
    VerificationRequest,
    VerificationStatus,
    utcnow,
)
from tests.conftest import DEMO_PASSWORD, POSTGRES_URL, WORKER, build_app
from tests.unit.cases.verification.steps import ACCOUNT, STAFF, approved_request, link_sent, submitted_request

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")]

SPREAD = 20  # kill points spread evenly over the operation, besides those around each commit
SPREAD_POSTGRES = 6  # each fresh PostgreSQL database costs ~0.3 s: fewer there
NEW_PASSWORD = "copper-meadow-whistle-93"
SECOND_STAFF = "second@example.org"


@dataclass
class Run:
    calls: int  # Python calls the operation made (the profile hook's count)
    commits: int  # database commits it made


def _is_sqlite_commit(arg: Any) -> bool:
    """sqlite3's commit, a C function: seen as c_call / c_return."""
    return getattr(arg, "__name__", "") == "commit" and isinstance(
        getattr(arg, "__self__", None), sqlite3.Connection
    )


def _is_psycopg_commit(frame: Any) -> bool:
    """psycopg's Connection.commit, Python code: seen as call / return."""
    code = frame.f_code
    return (
        code.co_name == "commit"
        and "psycopg" in code.co_filename
        and code.co_filename.endswith("connection.py")
    )


def _in_a_child(app: Flask, operate: Callable[[], object], report: Path, kill: tuple[str, int] | None) -> int:
    """Run *operate* in a forked process, killed at *kill*: ("call", n) at the n-th Python call,
    ("before", k) / ("after", k) around the k-th commit. The child's exit status."""
    pid = os.fork()
    if pid:
        _, status = os.waitpid(pid, 0)
        return status
    code = 1
    try:
        calls = commits = 0

        def hook(frame: Any, event: str, arg: Any) -> None:
            nonlocal calls, commits
            if event == "call":
                calls += 1
                if kill == ("call", calls):
                    os.kill(os.getpid(), signal.SIGKILL)
            if (event == "c_call" and _is_sqlite_commit(arg)) or (
                event == "call" and _is_psycopg_commit(frame)
            ):
                commits += 1
                if kill == ("before", commits):
                    os.kill(os.getpid(), signal.SIGKILL)
            committed = (event == "c_return" and _is_sqlite_commit(arg)) or (
                event == "return" and _is_psycopg_commit(frame)
            )
            if committed and kill == ("after", commits):
                os.kill(os.getpid(), signal.SIGKILL)

        with app.test_request_context():
            sys.setprofile(hook)
            try:
                operate()
            finally:
                sys.setprofile(None)
        report.write_text(f"{calls} {commits}")
        code = 0
    except BaseException:  # reported to the parent in the file, which fails the test
        report.write_text(traceback.format_exc())
    finally:
        os._exit(code)
    return code  # not reached



def _drop_database(connection: Any, name: str) -> None:
    """DROP DATABASE … WITH (FORCE), tried again for a few seconds: FORCE ends our own lingering
    sessions, but PostgreSQL's autovacuum may be in a just-copied database for a moment, and a
    role that is not a superuser may not end that (InsufficientPrivilege) — it goes by itself."""
    from sqlalchemy.exc import DBAPIError

    for attempt in range(50):
        try:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            return
        except DBAPIError:
            if attempt == 49:
                raise
            time.sleep(0.2)

class Crashes:
    """A database made once and copied fresh before each kill, and the app on it: a SQLite file,
    or (with HELPDESK_TEST_POSTGRES_URL) a PostgreSQL database made from a template database."""

    def __init__(self, tmp_path: Path, backend: str, **settings: Any) -> None:
        self.backend = backend
        self.report = tmp_path / "report.txt"
        if backend == "sqlite":
            self.file = tmp_path / "faults.sqlite3"
            self.template = tmp_path / "template.sqlite3"
            url = f"sqlite:///{self.file}"
        else:
            url = f"{POSTGRES_URL}_faults_{WORKER}"
            self.database = make_url(url).database or ""
            self.admin = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
            with self.admin.connect() as connection:
                for name in (self.database, self.database + "_template"):
                    _drop_database(connection, name)
                connection.exec_driver_sql(f'CREATE DATABASE "{self.database}"')
        self.app = build_app(tmp_path, database_url=url, **settings)

    def prepared(self, prepare: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        with self.app.test_request_context():
            state = prepare()
            self._close()
        if self.backend == "sqlite":
            shutil.copyfile(self.file, self.template)
        else:
            with self.admin.connect() as connection:
                connection.exec_driver_sql(
                    f'ALTER DATABASE "{self.database}" RENAME TO "{self.database}_template"'
                )
        return state

    def _close(self) -> None:
        db.session.remove()
        db.engine.dispose()  # no connection crosses a fork; the last close checkpoints the WAL

    def _fresh(self) -> None:
        if self.backend == "sqlite":
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{self.file}{suffix}").unlink(missing_ok=True)
            shutil.copyfile(self.template, self.file)
            return
        with self.admin.connect() as connection:  # a killed child's server process may linger: FORCE
            _drop_database(connection, self.database)
            connection.exec_driver_sql(
                f'CREATE DATABASE "{self.database}" TEMPLATE "{self.database}_template"'
            )

    def drop(self) -> None:
        if self.backend != "sqlite":
            with self.admin.connect() as connection:
                for name in (self.database, self.database + "_template"):
                    _drop_database(connection, name)
            self.admin.dispose()

    def measure(self, operate: Callable[[], object]) -> Run:
        self._fresh()
        status = _in_a_child(self.app, operate, self.report, None)
        text = self.report.read_text()
        assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, text
        calls, commits = map(int, text.split())
        return Run(calls, commits)

    def warm_up(self, operate: Callable[[], object]) -> None:
        """Run the operation in this process once: its caches (compiled SQL, …) are then as warm
        as they will be for every child, and each child makes as many calls as measured."""
        self._fresh()
        with self.app.test_request_context():
            operate()
            self._close()

    def kill_points(self, run: Run) -> list[tuple[str, int]]:
        count = SPREAD if self.backend == "sqlite" else SPREAD_POSTGRES
        spread = sorted({max(1, run.calls * i // count) for i in range(count)})
        around = [(when, k) for k in range(1, run.commits + 1) for when in ("before", "after")]
        return [("call", n) for n in spread] + around

    def killed_at(self, operate: Callable[[], object], kill: tuple[str, int]) -> bool:
        """Whether the child was killed there (False: the operation ended before that point)."""
        self._fresh()
        self.report.unlink(missing_ok=True)
        status = _in_a_child(self.app, operate, self.report, kill)
        problem = self.report.read_text() if self.report.exists() else ""
        if os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0:
            return False
        assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL, (kill, status, problem)
        return True

    def check(self, invariant: Callable[[], str]) -> str:
        with self.app.test_request_context():
            try:
                assert audit.verify() is None, "the audit chain is broken"
                return invariant()
            finally:
                self._close()


def _exercise(
    crashes: Crashes, operate: Callable[[], object], invariant: Callable[[], str]
) -> dict[str, int]:
    try:
        crashes.measure(operate)
        assert crashes.check(invariant) == "done"  # the operation itself, not killed
        crashes.warm_up(operate)  # the checks run it here too: children forked later start warmer
        run = crashes.measure(operate)
        endings: dict[str, int] = {}
        points = crashes.kill_points(run)
        for kill in points:
            killed = crashes.killed_at(operate, kill)
            ending = crashes.check(invariant)
            if not killed:  # it ended before that point (a child can be a little warmer)
                assert ending == "done"
                ending = "finished"
            endings[ending] = endings.get(ending, 0) + 1
        measured = f"{run.calls} calls, {run.commits} commits"
        print(f"{crashes.backend}: {len(points)} kill points ({measured}): {endings}")
        assert endings.get("open", 0) > 0  # kills before the change and after it were exercised
        assert endings.get("done", 0) > 0
        return endings
    finally:
        crashes.drop()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> Iterator[str]:
    """SQLite always; PostgreSQL too with HELPDESK_TEST_POSTGRES_URL (fewer kill points there)."""
    yield request.param


def _open_sessions(account_id: int) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(SignInSession)
        .where(SignInSession.account_id == account_id, SignInSession.ended_at.is_(None))
    )


def _audited(action: str, target: str) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(AuditEntry)
        .where(AuditEntry.action == action, AuditEntry.target == target)
    )


def test_a_reset_killed_anywhere_is_done_in_full_or_the_link_still_works(
    tmp_path: Path, backend: str
) -> None:
    crashes = Crashes(tmp_path, backend)

    def prepare() -> dict[str, Any]:
        account = directory().create(ACCOUNT, DEMO_PASSWORD)
        directory().start_session(account.id, "192.0.2.1", "a browser")
        return {"id": account.id, "token": issue_token(account.id, "reset", timedelta(minutes=30))}

    state = crashes.prepared(prepare)

    def operate() -> None:
        assert reset_password(state["token"], NEW_PASSWORD).status is TokenStatus.VALID

    def invariant() -> str:
        used = db.session.scalar(select(AccountToken.used_at).where(AccountToken.account_id == state["id"]))
        if used is not None:
            assert directory().check_password(state["id"], NEW_PASSWORD), "link used, password not set"
            assert _open_sessions(state["id"]) == 0, "password set, sessions still open"
            assert _audited("account.password-set", ACCOUNT) == 1
            return "done"
        assert directory().check_password(state["id"], DEMO_PASSWORD), "link unused, old password gone"
        assert _open_sessions(state["id"]) == 1
        assert _audited("account.password-set", ACCOUNT) == 0
        assert reset_password(state["token"], NEW_PASSWORD).status is TokenStatus.VALID  # still works
        assert directory().check_password(state["id"], NEW_PASSWORD)
        return "open"

    _exercise(crashes, operate, invariant)


@pytest.mark.parametrize("two_person_rule", [False, True], ids=["one approver", "second approver"])
def test_an_approval_killed_anywhere_is_decided_and_audited_or_still_open(
    tmp_path: Path, backend: str, two_person_rule: bool
) -> None:
    crashes = Crashes(tmp_path, backend, two_person_rule=two_person_rule)

    def prepare() -> dict[str, Any]:
        directory().create(ACCOUNT, DEMO_PASSWORD)
        request = submitted_request(crashes.app)
        if two_person_rule:
            first = review.decide(request, STAFF, "approve", "ID matches")
            assert first is review.DecisionOutcome.NEEDS_SECOND
        return {"id": request.id, "reference": request.reference}

    state = crashes.prepared(prepare)
    approver = SECOND_STAFF if two_person_rule else STAFF

    def decide() -> review.DecisionOutcome:
        request = db.session.get(VerificationRequest, state["id"])
        assert request is not None
        return review.decide(request, approver, "approve", "ID matches, checked twice")

    def operate() -> None:
        assert decide() is review.DecisionOutcome.APPROVED

    def invariant() -> str:
        request = db.session.get(VerificationRequest, state["id"])
        assert request is not None
        if request.status == VerificationStatus.ON_HOLD:
            assert request.decided_by == approver and request.hold_until is not None
            assert _audited("recovery.approve", state["reference"]) == 1, "approved, but not audited"
            return "done"
        assert request.status == VerificationStatus.SUBMITTED, request.status
        assert _audited("recovery.approve", state["reference"]) == 0, "audited, but not approved"
        assert decide() is review.DecisionOutcome.APPROVED  # still open, and approvable
        return "open"

    _exercise(crashes, operate, invariant)


def test_a_first_approval_killed_anywhere_is_recorded_and_audited_or_not_at_all(
    tmp_path: Path, backend: str
) -> None:
    crashes = Crashes(tmp_path, backend, two_person_rule=True)

    def prepare() -> dict[str, Any]:
        directory().create(ACCOUNT, DEMO_PASSWORD)
        request = submitted_request(crashes.app)
        return {"id": request.id, "reference": request.reference}

    state = crashes.prepared(prepare)

    def operate() -> None:
        request = db.session.get(VerificationRequest, state["id"])
        assert request is not None
        assert review.decide(request, STAFF, "approve", "ID matches") is review.DecisionOutcome.NEEDS_SECOND

    def invariant() -> str:
        request = db.session.get(VerificationRequest, state["id"])
        assert request is not None and request.status == VerificationStatus.SUBMITTED
        audited = _audited("recovery.approve-first", state["reference"])
        if request.first_approver:
            assert request.first_approver == STAFF and audited == 1, "recorded, but not audited"
            return "done"
        assert audited == 0, "audited, but not recorded"
        operate()  # still waiting for its first decision
        return "open"

    _exercise(crashes, operate, invariant)


def test_a_completion_killed_anywhere_is_done_in_full_or_the_link_still_works(
    tmp_path: Path, backend: str
) -> None:
    crashes = Crashes(tmp_path, backend)

    def prepare() -> dict[str, Any]:
        account = directory().create(ACCOUNT, DEMO_PASSWORD)
        enable_without_confirmation(account)
        directory().start_session(account.id, "192.0.2.1", "a browser")
        request = approved_request(crashes.app)
        db.session.execute(
            update(VerificationRequest)
            .where(VerificationRequest.id == request.id)
            .values(hold_until=utcnow() - timedelta(minutes=1))
        )
        db.session.commit()
        return {"id": request.id, "account": account.id, "token": link_sent(crashes.app)}

    state = crashes.prepared(prepare)

    def operate() -> None:
        assert completion.complete(state["token"], NEW_PASSWORD) is completion.CompletionState.DONE

    def invariant() -> str:
        request = db.session.get(VerificationRequest, state["id"])
        account = directory().get(state["account"])
        assert request is not None and account is not None
        if request.status == VerificationStatus.COMPLETED:
            assert directory().check_password(account.id, NEW_PASSWORD), "completed, password not set"
            assert not account.two_factor and account.must_enrol_2fa, "completed, two-step still on"
            assert _open_sessions(account.id) == 0
            assert _audited("recovery.completed", request.reference) == 1
            return "done"
        assert request.status == VerificationStatus.ON_HOLD, request.status
        assert directory().check_password(account.id, DEMO_PASSWORD), "link works, old password gone"
        assert account.two_factor and not account.must_enrol_2fa, "link works, two-step gone"
        assert _open_sessions(account.id) == 1
        assert _audited("recovery.completed", request.reference) == 0
        assert completion.complete(state["token"], NEW_PASSWORD) is completion.CompletionState.DONE
        return "open"

    _exercise(crashes, operate, invariant)
