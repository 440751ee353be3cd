"""Flask extensions, created unbound here and bound to the app in create_app."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, cast

from flask import request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
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


migrate = Migrate()
csrf = CSRFProtect()


def _client_address() -> str:
    return get_remote_address() or request.remote_addr or "unknown"


limiter = Limiter(key_func=_client_address, default_limits=[])

login_manager = LoginManager()
login_manager.login_view = "account.login"
login_manager.login_message = "Please sign in to see that page."
