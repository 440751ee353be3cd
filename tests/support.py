"""Helpers shared by the tests: a test action, form parsing."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from markupsafe import Markup

from helpdesk.actions import ActionContext, Outcome, register

T = TypeVar("T")

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def a_step_ahead(minutes: int = 30, into_step: int = 15) -> datetime:
    """A UTC time `minutes` from now, `into_step` seconds into a 30-second authenticator step.

    A test that enrols an authenticator at the real time and then travels must travel forward:
    enrolment marks the steps before it used, so a code from a fixed date in the past is refused.
    """
    return datetime.fromtimestamp((int(time.time()) // 30 + minutes * 2) * 30 + into_step, UTC)


def csrf_from(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "page has no CSRF token"
    return found.group(1)


@dataclass
class PretendFix:
    """An action defined by the tests: succeeds when the field `word` is 'fixed'."""

    name: str = "pretend-fix"
    title: str = "Apply the pretend fix"
    submit_label: str = "Apply"
    intro: str = "The pretend fix, for the tests."
    calls: list[dict[str, str]] = field(default_factory=list)

    def render_form(self, ctx: ActionContext) -> Markup:
        return Markup('<label for="word">Type a word</label><input id="word" name="word" type="text">')

    def submit(self, ctx: ActionContext, form: Mapping[str, str]) -> Outcome:
        word = form.get("word", "").strip()
        self.calls.append({"word": word, "step": ctx.step_id, "reference": ctx.reference})
        if not word:
            return Outcome.retry("Type a word first.")
        if word == "fixed":
            return Outcome.success("The pretend fix worked.", attempts=len(self.calls))
        if word == "later":
            return Outcome.pending("We will let you know.")
        return Outcome.failure("The pretend fix did not work.")


PRETEND_FIX = register(PretendFix())


def action_context(flow_id: str, step_id: str, **fields: Any) -> ActionContext:
    """The context a diagnosis page hands an action, for a test that calls the action directly."""
    return ActionContext(flow_id=flow_id, step_id=step_id, reference="ABCD-EFGH", params={}, **fields)


def run_flask(
    *args: str, env: dict[str, str] | None = None, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    """`flask --app wsgi ARGS…` as an operator runs it, from the project root."""
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", *args],
        cwd=Path(__file__).resolve().parent.parent,
        input=stdin,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=60,
        check=False,
    )


def at_once(count: int, work: Callable[[], T]) -> list[T]:
    """Run *work* in *count* threads released together; their results, or the first error."""
    barrier = threading.Barrier(count)
    results: list[T] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait()
            results.append(work())
        except BaseException as error:  # re-raised below, in the test's own thread
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return results


BROWSER_COOKIES = ("helpdesk_session", "helpdesk_signin")  # the diagnosis memory, the sign-in


def same_browser(source: Any, target: Any) -> None:
    """Give test client *target* the helpdesk cookies *source* holds (the same browser, say in
    another worker); a cookie *source* lacks is left out."""
    for name in BROWSER_COOKIES:
        cookie = source.get_cookie(name)
        if cookie is not None:
            target.set_cookie(name, cookie.value)


def confirm_its_you(client: Any, password: str, code: str = "", next_url: str = "/account") -> Any:
    """Pass "Confirm it's you" in this signed-in browser (password, and a code with two-step
    verification on), as a person does before changing a sign-in factor; returns the response."""
    page = client.get("/account/confirm", query_string={"next": next_url}).get_data(as_text=True)
    form = {"csrf_token": csrf_from(page), "password": password, "next": next_url}
    if code:
        form["code"] = code
    return client.post("/account/confirm", data=form)

# a browser on a laptop, as the device lists describe it ("Firefox on Linux")
LAPTOP_UA = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


@contextmanager
def app_servers(envs: Sequence[dict[str, str]]) -> Iterator[list[str]]:
    """One `gunicorn wsgi:app` server as deployed (one worker) for each environment in *envs*
    (HELPDESK_* on top of this process's), started side by side; their base URLs."""
    from tests.mailbox import free_port

    ports: list[int] = []
    while len(ports) < len(envs):
        port = free_port()
        if port not in ports:
            ports.append(port)
    root = Path(__file__).resolve().parent.parent
    with ExitStack() as files:
        # each server's output in a file: a pipe left unread would stall a chatty server
        logs = [files.enter_context(tempfile.TemporaryFile()) for _ in envs]
        processes = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "--workers",
                    "1",
                    "--graceful-timeout",
                    "5",
                    "--bind",
                    f"127.0.0.1:{port}",
                    "wsgi:app",
                ],
                cwd=root,
                env={**os.environ, **env},
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
            for port, env, log in zip(ports, envs, logs, strict=True)
        ]
        urls = [f"http://127.0.0.1:{port}" for port in ports]
        try:
            for url, process, log in zip(urls, processes, logs, strict=True):
                _wait_until_healthy(url, process, log)
            yield urls
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()


def _wait_until_healthy(url: str, process: subprocess.Popen[bytes], log: Any) -> None:
    deadline = time.monotonic() + 90  # a loaded CI machine imports slowly
    while True:
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as answer:  # noqa: S310
                if answer.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            process.wait()
            log.seek(0)
            said = log.read().decode("utf-8", "replace")
            raise AssertionError("the app server did not start:\n" + said[-3000:])
        time.sleep(0.1)


def notice_content_edits(app: Any, client: Any) -> None:
    """A request notices the edited content files; wait for the snapshot it loads in the
    background (requests meanwhile are served the old one)."""
    from helpdesk.content.live import LIVE_KEY

    client.get("/")
    app.extensions[LIVE_KEY].settle(timeout=60)
