"""Flask extensions, created unbound here and bound to the app in create_app."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, cast

import click
from flask import Flask, g, request
from flask.cli import with_appcontext
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import CursorResult, MetaData, Result
from sqlalchemy.orm import DeclarativeBase

# Explicit constraint names keep Alembic migrations stable across SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)


def rowcount(result: Result[Any]) -> int:
    """How many rows the UPDATE or DELETE that `db.session.execute` ran matched.

    SQLAlchemy 2.0 types `Session.execute` as returning `Result` whatever the statement; for an
    UPDATE or DELETE it returns a `CursorResult`, the one with `rowcount`, so the cast only
    tells the type checker what the library does (it changes nothing at run time).
    """
    return cast("CursorResult[Any]", result).rowcount


_DEFERRED = "helpdesk.one_transaction"  # Session.info key: the after-commit work, while one is open


class TransactionAborted(RuntimeError):
    """Something inside one_transaction rolled back (an audit append that lost a race, say): the
    whole block is undone, and nothing of it was committed."""


@contextmanager
def one_transaction() -> Iterator[None]:
    """Everything the block writes is committed together at its end, or not at all.

    The domain's functions each commit their own step (use a token, set a password, end the
    sessions, append to the audit trail); a worker killed between two of those commits would
    leave half a change. Inside this block a commit only flushes (savepoints still work), the
    one real commit comes at the end, and work handed to `after_commit` (a mail) runs after it.
    Blocks nest: an inner one joins the outer. A rollback inside ends the block: it rolls
    everything back and raises TransactionAborted.
    """
    session = db.session()
    if _DEFERRED in session.info:
        yield
        return
    connection = session.connection()
    driver = connection.connection.driver_connection
    if connection.dialect.name == "sqlite" and driver is not None and not driver.in_transaction:
        # Python's sqlite3 opens a transaction only before a write: a savepoint taken before it
        # (the audit trail's) would be a transaction of its own, and its release a commit
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    after: list[Callable[[], None]] = []
    session.info[_DEFERRED] = after

    def rollback() -> None:
        type(session).rollback(session)
        raise TransactionAborted("the transaction was rolled back part way: nothing was committed")

    session.commit = session.flush  # type: ignore[method-assign]
    session.rollback = rollback  # type: ignore[method-assign]
    try:
        try:
            yield
        finally:
            del session.commit, session.rollback
            session.info.pop(_DEFERRED, None)
    except BaseException:
        session.rollback()
        raise
    session.commit()
    for work in after:
        work()


def after_commit(work: Callable[[], None]) -> None:
    """Run *work* once what is being written is committed: at the end of one_transaction, or now."""
    pending = db.session().info.get(_DEFERRED)
    if pending is None:
        work()
    else:
        pending.append(work)


class Migrations:
    """Flask-Migrate (Alembic, `flask db …`), imported the first time a command or a test uses
    it: a web worker never migrates, and Alembic would cost each one about 11 MB."""

    def init_app(self, app: Flask, db: SQLAlchemy, directory: str) -> None:
        loaded: list[click.Group] = []

        def load() -> click.Group:
            if not loaded:
                from flask_migrate import Migrate
                from flask_migrate.cli import db as commands  # type: ignore[import-not-found]

                Migrate(app, db, directory=directory)  # its own config replaces the stand-in below
                loaded.append(commands)
            return loaded[0]

        app.cli.add_command(_DeferredCommands(load), name="db")
        app.extensions["migrate"] = _DeferredConfig(app, load)


class _DeferredCommands(click.Group):
    """`flask db`: Flask-Migrate's group, its options and what they set, its commands loaded on use."""

    def __init__(self, load: Callable[[], click.Group]) -> None:
        super().__init__(
            "db",
            help="Perform database migrations.",
            params=[
                click.Option(["-d", "--directory"], help="Migration script directory (default: migrations)"),
                click.Option(["-x", "--x-arg"], multiple=True, help="Arguments for custom env.py scripts"),
            ],
            callback=with_appcontext(_remember_options),
        )
        self._load = load

    def list_commands(self, ctx: click.Context) -> list[str]:
        return self._load().list_commands(ctx)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return self._load().get_command(ctx, cmd_name)


def _remember_options(directory: str | None, x_arg: tuple[str, ...]) -> None:
    g.directory = directory  # as Flask-Migrate's own group does: its commands read them there
    g.x_arg = x_arg


class _DeferredConfig:
    """Stands in for Flask-Migrate's config (`current_app.extensions['migrate']`) until used."""

    def __init__(self, app: Flask, load: Callable[[], click.Group]) -> None:
        self._app = app
        self._load = load

    def __getattr__(self, name: str) -> Any:
        self._load()
        return getattr(self._app.extensions["migrate"], name)


migrate = Migrations()
csrf = CSRFProtect()


def _client_address() -> str:
    return get_remote_address() or request.remote_addr or "unknown"


limiter = Limiter(key_func=_client_address, default_limits=[])

login_manager = LoginManager()
login_manager.login_view = "account.login"
login_manager.login_message = "Please sign in to see that page."
# Flask-Login's "session protection" hashes the address and browser of every request only to mark
# a session "not fresh", which nothing here reads: a sign-in is a server-side session row, checked
# on every request (accounts/session_expiry), and "Confirm it's you" is our own (accounts/reauth).
login_manager.session_protection = None

# the pages' words in the reader's language: bound in create_app with web/language's chooser
babel = Babel()
