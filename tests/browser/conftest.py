"""A live server in a thread and Debian's Chromium driven by Playwright (never a downloaded browser)."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import make_server

from helpdesk.extensions import db
from tests.conftest import FIXTURES, build_app

CHROMIUM = os.environ.get("HELPDESK_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


@pytest.hookimpl(tryfirst=True)  # the group is marked before pytest-xdist reads the groups
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.xdist_group("browser"))


@pytest.fixture(scope="session")
def chromium_path() -> str:
    if shutil.which(CHROMIUM) or Path(CHROMIUM).is_file():
        return CHROMIUM
    message = (
        f"Chromium not found at {CHROMIUM}: install it with `sudo apt-get install chromium` "
        "(or set HELPDESK_CHROMIUM) to run the browser tests"
    )
    if os.environ.get("CI"):
        pytest.fail(message + " — CI must run them", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def browser(chromium_path: str) -> Iterator[object]:
    from playwright.sync_api import expect, sync_playwright

    # what a test waits for on a busy machine: as long as the pages' own actions (10 s), not 5 s
    expect.set_options(timeout=10_000)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


class LiveServer:
    def __init__(self, app: Flask) -> None:
        self.app = app
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        # shutdown() waits for the serving loop to look again: every 0.5 s by default, ~0.45 s a test
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def __enter__(self) -> LiveServer:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.server.shutdown()
        self.thread.join(timeout=10)


@pytest.fixture
def live_app(tmp_path: Path) -> Flask:
    """The shipped sample content, served for real."""
    return build_app(tmp_path)


@pytest.fixture
def live_server(live_app: Flask) -> Iterator[LiveServer]:
    with LiveServer(live_app) as server:
        yield server
    with live_app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def fixture_live_server(tmp_path: Path) -> Iterator[LiveServer]:
    app = build_app(
        tmp_path, content_dir=FIXTURES / "good" / "content", flows_dir=FIXTURES / "good" / "flows"
    )
    with LiveServer(app) as server:
        yield server


def sign_in_as(page, base: str, email: str, password: str, secret: str | None = None) -> None:
    """Sign in through the login page as a person does: the password, then (two-step on) the
    code of the authenticator *secret*."""
    import pyotp

    page.goto(base + "/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()
    if secret:
        page.get_by_label("Code").fill(pyotp.TOTP(secret).now())
        page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_load_state()
