"""Flask extensions, created unbound here and bound to the app in create_app."""

from __future__ import annotations

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
migrate = Migrate()
csrf = CSRFProtect()


def _client_address() -> str:
    return get_remote_address() or request.remote_addr or "unknown"


limiter = Limiter(key_func=_client_address, default_limits=[])

login_manager = LoginManager()
login_manager.login_view = "account.login"
login_manager.login_message = "Please sign in to see that page."
