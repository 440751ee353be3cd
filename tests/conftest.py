"""Fixtures: an app on a database of its own per test (schema built once per worker), its test client."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url

from helpdesk import create_app
from helpdesk.accounts import passwords
from helpdesk.extensions import db
from tests import support  # noqa: F401  (registers the test action)
from tests.mailbox import free_port
from tests.openapi_contract import ContractClient

# Property tests (hypothesis): "ci" is repeatable (the same examples on every run, no database of
# past failures), "dev" explores new examples each run; HELPDESK_HYPOTHESIS_PROFILE picks one
# (default: "ci" when CI is set, else "dev"). Each property test sets its own max_examples: the
# lot stays under ~20 s.
_QUIET = [HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
hypothesis_settings.register_profile(
    "ci", derandomize=True, database=None, deadline=None, print_blob=True, suppress_health_check=_QUIET
)
hypothesis_settings.register_profile("dev", deadline=None, suppress_health_check=_QUIET)
hypothesis_settings.load_profile(
    os.environ.get("HELPDESK_HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev")
)

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"

# What helpdesk/accounts/passwords.py built at import: OWASP's Argon2id parameters.
PRODUCTION_HASHER = passwords.HASHER
PRODUCTION_DUMMY_HASH = passwords._DUMMY_HASH
# OWASP's 19 MiB and 2 passes cost ~30 ms a hash, and the suite hashes thousands of times (every
# account, sign-in, token and recovery code). The smallest parameters Argon2 allows keep the code
# path the same (Argon2id, salted, verified, rehashed when the parameters differ) at ~0.05 ms.
TEST_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


@pytest.fixture(scope="session", autouse=True)
def _cheap_argon2() -> Iterator[None]:
    """In-process hashing is cheap in tests; subprocesses (CLI, gunicorn) hash as production does."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(passwords, "HASHER", TEST_HASHER)
        # unknown accounts must keep costing what a real verification costs, here too
        patch.setattr(passwords, "_DUMMY_HASH", TEST_HASHER.hash("not a real password"))
        yield


@pytest.fixture
def owasp_argon2(monkeypatch: pytest.MonkeyPatch) -> PasswordHasher:
    """Production's Argon2 parameters, for the tests that are about them."""
    monkeypatch.setattr(passwords, "HASHER", PRODUCTION_HASHER)
    monkeypatch.setattr(passwords, "_DUMMY_HASH", PRODUCTION_DUMMY_HASH)
    return PRODUCTION_HASHER


# HELPDESK_TEST_POSTGRES_URL=postgresql+psycopg://user:pass@host/db runs the tests on
# PostgreSQL: each xdist worker gets its own database (db_gw0, …)
POSTGRES_URL = os.environ.get("HELPDESK_TEST_POSTGRES_URL", "")
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")

# Any DDL (drop_all, a migration, a dropped search table) gives its relations new oids, so the
# tests that rebuild the schema their own way are noticed, and the worker's schema is rebuilt.
_SCHEMA_FINGERPRINT = text(
    "SELECT md5(coalesce(string_agg(concat_ws(' ', c.oid, c.relname, c.relkind, c.relnatts), ','"
    " ORDER BY c.oid), '')) FROM pg_class c"
    " WHERE c.relnamespace = 'public'::regnamespace"
)


class WorkerDatabase:
    """The schema, built once per xdist worker, that every test gets with no rows in it.

    Tests commit for real: many run threads (support.at_once), live servers or a second app on
    one database, and the PostgreSQL search index writes through db.engine, outside any session
    a rolled-back outer transaction could hold. Real commits cost little here: a SQLite test
    starts from a copy of a template file (<1 ms), and on PostgreSQL the rows a test left are
    deleted when the next test takes the database (~3 ms on a kept connection, ~1.6 s in all
    for tests/integration on two workers: all a rollback could save), where TRUNCATE costs
    ~170 ms and CREATE DATABASE … TEMPLATE 140 ms to 2.5 s.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.apps: list[Flask] = []  # built during the current test: their connections close after it
        self._template: Path | None = None  # SQLite
        self._engine: Engine | None = None  # PostgreSQL: one connection, kept (a new one costs ~10 ms)
        self._fingerprint = ""
        self._emptying = ""
        self._in_use = False  # a test has the PostgreSQL database
        self._dirty = False  # a test had it: its rows are still there

    def url_for(self, tmp_path: Path) -> str:
        """The database of the test whose folder is *tmp_path*; apps it builds share it."""
        if not POSTGRES_URL:
            path = tmp_path / "test.sqlite3"
            if not path.exists():
                tmp_path.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(self._sqlite_template(), path)
            return f"sqlite:///{path}"
        if self._engine is None:
            self._build_postgres()
        if not self._in_use:
            if self._dirty:
                self._empty_postgres()
            self._in_use = True
        return self._postgres_url()

    def release(self) -> None:
        """After a test: close its apps' connections (a connection idle in a transaction would
        hold locks the next test's emptying waits for)."""
        for app in self.apps:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
        self.apps.clear()
        self._dirty = self._dirty or self._in_use
        self._in_use = False

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()

    def _sqlite_template(self) -> Path:
        if self._template is None:
            path = self.folder / "schema.sqlite3"
            self._create_all(f"sqlite:///{path}")
            # copies take the main file alone: every page must be in it, none left in a WAL
            assert not path.with_name(path.name + "-wal").exists(), "the template's WAL was not checkpointed"
            self._template = path
        return self._template

    def _postgres_url(self) -> str:
        return f"{POSTGRES_URL}_{WORKER}"

    def _build_postgres(self) -> None:
        url = make_url(self._postgres_url())
        if self._engine is None:
            admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
            with admin.connect() as connection:
                exists = connection.scalar(
                    text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": url.database}
                )
                if not exists:
                    connection.execute(text(f'CREATE DATABASE "{url.database}"'))
            admin.dispose()
            self._engine = create_engine(url, pool_size=1)
        with self._engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        self._create_all(url.render_as_string(hide_password=False))
        with self._engine.begin() as connection:
            self._fingerprint = connection.scalar(_SCHEMA_FINGERPRINT)
            tables = set(
                connection.scalars(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'"))
            )
            sequences = connection.scalars(
                text("SELECT sequencename FROM pg_sequences WHERE schemaname = 'public'")
            ).all()
        # children before their parents; the tables outside the models (the search index) first
        modelled = [table.name for table in reversed(db.metadata.sorted_tables)]
        ordered = sorted(tables - set(modelled)) + [name for name in modelled if name in tables]
        # one round trip, and ids start at 1 again as in a new database: setval rewrites the
        # sequence in place, where ALTER SEQUENCE … RESTART makes a new file for each (~5 ms in
        # all). The names are the catalog's own.
        restarts = ", ".join(f"setval('\"{name}\"', 1, false)" for name in sequences)
        self._emptying = "".join(f'DELETE FROM "{name}";' for name in ordered) + (  # noqa: S608
            f"SELECT {restarts};" if restarts else ""
        )
        self._dirty = False

    def _empty_postgres(self) -> None:
        assert self._engine is not None
        with self._engine.begin() as connection:
            # a lock left by the last test fails here, plainly, rather than hang until the timeout
            connection.exec_driver_sql("SET LOCAL lock_timeout = '20s'")
            if connection.scalar(_SCHEMA_FINGERPRINT) == self._fingerprint:
                connection.exec_driver_sql(self._emptying)
                self._dirty = False
        if self._dirty:  # the last test changed the schema
            self._build_postgres()

    def _create_all(self, url: str) -> None:
        # through an app, so every module that declares tables is imported, as in production
        app = create_app(
            {
                "testing": True,
                "instance_dir": self.folder / "instance",
                "database_url": url,
                "secret_key": "schema",
                "content_dir": FIXTURES / "good" / "content",
                "flows_dir": FIXTURES / "good" / "flows",
                "reload_seconds": -1,
            }
        )
        with app.app_context():
            db.create_all()
            db.engine.dispose()


_worker_database: WorkerDatabase | None = None


@pytest.fixture(scope="session", autouse=True)
def _schema_once_per_worker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    global _worker_database
    _worker_database = WorkerDatabase(tmp_path_factory.mktemp("schema"))
    yield
    _worker_database.close()


@pytest.fixture(autouse=True)
def _database_per_test() -> Iterator[None]:
    yield
    assert _worker_database is not None
    _worker_database.release()


MIGRATIONS = str(ROOT / "migrations")


def empty_database_at(revision: str) -> None:
    """In an app context: every table dropped (the search index's too, which create_all makes on
    PostgreSQL), then the migrations run up to *revision*: a migration's test starts from there."""
    from flask_migrate import upgrade

    from helpdesk.models import SEARCH_INDEX_DROP

    db.drop_all()
    with db.engine.begin() as connection:
        for statement in SEARCH_INDEX_DROP:
            connection.exec_driver_sql(statement)
    upgrade(directory=MIGRATIONS, revision=revision)


def build_app(tmp_path: Path, **overrides: Any) -> Flask:
    """An app on the test's database: a second app built in the same test shares it (a restart)."""
    assert _worker_database is not None, "build_app runs inside a test"
    settings: dict[str, Any] = {
        "testing": True,
        "instance_dir": tmp_path / "instance",
        "secret_key": "test-secret-key",
        "site_name": "Example Help",
        "support_email": "help@example.org",
        "site_url": "http://localhost",
        "answer_floor_ms": 0,  # timing is measured by bench/enumeration.py, not asserted here
        "reload_seconds": -1,  # tests that want live reload turn it on
        # on by default (a second staff member confirms each decision); the tests of a decision
        # take one, and the tests of the rule turn it on
        "two_person_rule": False,
    }
    settings.update(overrides)
    if "database_url" not in settings:
        settings["database_url"] = _worker_database.url_for(tmp_path)
    app = create_app(settings)
    _worker_database.apps.append(app)
    app.test_client_class = ContractClient  # every /api/ response is checked against the OpenAPI document
    if "database_url" in overrides:  # a database the test chose has no template behind it
        with app.app_context():
            db.create_all()
    return app


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    app = build_app(tmp_path)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def content_copy(tmp_path: Path) -> tuple[Path, Path]:
    """A private copy of the sample content that a test may edit."""
    content = tmp_path / "content"
    flows = tmp_path / "flows"
    shutil.copytree(ROOT / "content", content)
    shutil.copytree(ROOT / "flows", flows)
    return content, flows


@pytest.fixture
def fixture_app(tmp_path: Path) -> Iterator[Flask]:
    """An app serving the small, stable test content in tests/fixtures/good."""
    app = build_app(
        tmp_path,
        content_dir=FIXTURES / "good" / "content",
        flows_dir=FIXTURES / "good" / "flows",
    )
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def app_without_database(tmp_path: Path) -> Flask:
    """The app with the fixture content and a database it can never reach (for /healthz)."""
    from helpdesk import create_app

    return create_app(
        {
            "testing": True,
            "instance_dir": tmp_path / "i2",
            "database_url": "sqlite:////nonexistent-dir/x.sqlite3",
            "secret_key": "k",
            "content_dir": FIXTURES / "good" / "content",
            "flows_dir": FIXTURES / "good" / "flows",
        }
    )


@pytest.fixture
def fixture_client(fixture_app: Flask) -> FlaskClient:
    return fixture_app.test_client()


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Redis server, emptied: HELPDESK_TEST_REDIS_URL (a database for the tests alone: it is
    flushed), or Debian's redis-server started here."""
    import redis

    given = os.environ.get("HELPDESK_TEST_REDIS_URL", "")
    server = None
    if given:
        url = given
    else:
        binary = shutil.which("redis-server")
        if binary is None:
            message = "Redis not found: `sudo apt-get install redis-server` runs the shared-counter tests"
            if os.environ.get("CI"):
                pytest.fail(message + " — CI must run them", pytrace=False)
            pytest.skip(message)
        port = free_port()
        folder = tmp_path_factory.mktemp("redis")
        server = subprocess.Popen(
            [
                binary,
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(folder),
            ],
            stdout=subprocess.DEVNULL,
        )
        url = f"redis://127.0.0.1:{port}/0"
    connection = redis.Redis.from_url(url)
    deadline = time.monotonic() + 10
    while True:
        try:
            connection.flushdb()
            break
        except redis.ConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
    yield url
    connection.close()
    if server is not None:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture(scope="session")
def slapd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A throwaway OpenLDAP directory (tests/slapd.py): Debian's slapd with the ppolicy overlay,
    started once for the test session on a loopback port."""
    from tests import slapd as throwaway

    if throwaway.binaries() is None:
        if os.environ.get("CI"):
            pytest.fail(throwaway.INSTALL + " — CI must run them", pytrace=False)
        pytest.skip(throwaway.INSTALL)
    server = throwaway.start(tmp_path_factory.mktemp("slapd"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def samba(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A throwaway Active Directory (tests/samba.py): a Samba AD domain controller provisioned
    once for the test session on a loopback address of its own, reached with StartTLS."""
    from tests import samba as throwaway

    if throwaway.binaries() is None:
        if os.environ.get("CI"):
            pytest.fail(throwaway.INSTALL + " — CI must run them", pytrace=False)
        pytest.skip(throwaway.INSTALL)
    server = throwaway.start(tmp_path_factory.mktemp("samba"))
    yield server
    server.stop()


# Slower than ~2 s a test (measured with --durations=40); `make test-fast` leaves them out.
SLOW_MODULES = {
    "tests/integration/test_accounts_cli.py": "flask commands in subprocesses, 3-7 s a test",
    "tests/integration/test_api_schemathesis.py": "schemathesis against a live server, ~9 s",
    "tests/integration/test_shared_counters.py": "two gunicorn servers and Redis, ~5 s",
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.relative_to(ROOT).as_posix() in SLOW_MODULES:
            item.add_marker(pytest.mark.slow)


UNGROUPED = pytest.StashKey[str]()


@pytest.hookimpl(trylast=True)  # after pytest-xdist's own, which names each test's group
def pytest_collection_finish(session: pytest.Session) -> None:
    """Under `--dist loadgroup` (make test), a test marked `xdist_group` must carry its group in
    its id: that is what sends a group's tests to one worker (one throwaway Samba a run: two
    would share 127.0.0.1:389 and answer each other's clients; one browser). pytest 9.2 with
    pytest-xdist 3.8 dropped the group without an error, and tests were spread over the workers:
    such a test now fails at once, saying why."""
    if not getattr(session.config.option, "loadgroup", False):  # set in pytest-xdist's workers
        return
    for item in session.items:
        if item.get_closest_marker("xdist_group") and "@" not in item.nodeid.rpartition("]")[2]:
            item.stash[UNGROUPED] = (
                "--dist loadgroup did not keep this test's xdist_group in its id, so its group is not "
                "run on one worker: a mark added by a hook must come first (tryfirst); else check the "
                "pytest and pytest-xdist versions in pyproject.toml"
            )


def pytest_runtest_setup(item: pytest.Item) -> None:
    if UNGROUPED in item.stash:  # before its fixtures start a second server
        pytest.fail(item.stash[UNGROUPED], pytrace=False)
    # the whole suite runs on SQLite first; `make test` then runs tests/integration on PostgreSQL
    if item.get_closest_marker("postgres") and not POSTGRES_URL:
        pytest.skip("needs PostgreSQL: set HELPDESK_TEST_POSTGRES_URL")


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    """Say plainly when a system component was missing (only outside CI: there its tests fail)."""
    reasons = " ".join(str(getattr(r, "longrepr", "")) for r in terminalreporter.stats.get("skipped", []))
    for found, what, package in (
        ("Chromium not found", "browser tests", "chromium"),
        ("Redis not found", "shared-counter tests", "redis-server"),
        ("slapd not found", "LDAP directory tests", "slapd ldap-utils"),
        ("samba not found", "Active Directory tests", "samba samba-ad-dc samba-ad-provision"),
    ):
        if found in reasons:
            terminalreporter.write_sep("!", f"{what} were SKIPPED", yellow=True)
            terminalreporter.write_line(f"`sudo apt-get install {package}` runs them (see README, 'Tests').")


DEMO_PASSWORD = "violet-harbor-lantern-42"


@pytest.fixture
def account(app: Flask):
    """An ordinary account of the embedded directory."""
    from helpdesk.accounts.directory import directory

    with app.app_context():
        return directory().create("pat@example.org", DEMO_PASSWORD)


@pytest.fixture
def outbox_dir(app: Flask) -> Path:
    return app.extensions["helpdesk.settings"].outbox_dir


def make_staff(app: Flask, email: str, role: str, two_factor: bool = True) -> str | None:
    """A staff account; returns its authenticator secret when two-step is on."""
    import pyotp

    from helpdesk.accounts.directory import directory
    from helpdesk.accounts.two_factor import enable_without_confirmation

    with app.test_request_context():
        account = directory().create(email, DEMO_PASSWORD)
        directory().set_role(account.id, role)
        if two_factor:
            uri, _ = enable_without_confirmation(account)
            return pyotp.parse_uri(uri).secret
    return None


def staff_client(app: Flask, email: str, secret: str) -> FlaskClient:
    """A browser signed in as that staff member, password and code."""
    import pyotp

    from tests.support import csrf_from

    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    client.post("/login", data={"csrf_token": csrf_from(page), "email": email, "password": DEMO_PASSWORD})
    client.post("/login", data={"csrf_token": csrf_from(page), "code": pyotp.TOTP(secret).now()})
    return client


@pytest.fixture
def admin(app: Flask) -> FlaskClient:
    return staff_client(app, "admin@example.org", make_staff(app, "admin@example.org", "admin"))


@pytest.fixture
def helper(app: Flask) -> FlaskClient:
    return staff_client(app, "helper@example.org", make_staff(app, "helper@example.org", "staff"))


@pytest.fixture
def with_2fa(app: Flask, account):
    """pat@example.org with two-step verification on: (secret, recovery codes)."""
    import pyotp

    from helpdesk.accounts.two_factor import enable_without_confirmation

    with app.test_request_context():
        uri, codes = enable_without_confirmation(account)
    return pyotp.parse_uri(uri).secret, codes
