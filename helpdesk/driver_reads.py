"""A SELECT a page runs on every request, run on the database driver's own cursor.

SQLAlchemy's execution of a statement (its execution context, result object, row processing
and the transaction object it begins) costs three to four times what SQLite takes to run a
one-row read by its primary key. `DriverRead` compiles its statement once per dialect and runs
it on the cursor of the connection it is given, then hands each value to its column type's own
result processor, as SQLAlchemy would (JSON decoded, SQLite's 0/1 made a bool): the same values
as `connection.execute(statement).first()`, a test compares them on SQLite and PostgreSQL.

Only for reads whose parameters the driver takes as they are (integers, strings): no bind
processing is done. The read joins whatever transaction the driver has (none on SQLite for a
SELECT; PostgreSQL's driver begins one, ended when the connection is given back to the pool
or committed by the caller, as with SQLAlchemy's own execution). A driver's error is raised as
SQLAlchemy's (`DBAPIError`), and a connection found gone is invalidated, as SQLAlchemy does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, Select
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError

_Processor = Callable[[Any], Any] | None
_Compiled = tuple[str, tuple[str, ...] | None, tuple[_Processor, ...]]  # SQL, parameters' order, processors


class DriverRead:
    """*statement* (a SELECT), run on the driver's cursor: `first(connection, **values)`."""

    def __init__(self, statement: Select[Any]) -> None:
        self.statement = statement
        self._compiled: dict[tuple[str, str, str], _Compiled] = {}  # by dialect, driver, parameter style

    def first(self, connection: Connection, **values: Any) -> tuple[Any, ...] | None:
        """The first row's values (None: no row), with *values* for the statement's parameters."""
        dialect = connection.dialect
        kind = (dialect.name, dialect.driver, dialect.paramstyle)
        found = self._compiled.get(kind)
        if found is None:
            found = self._compiled[kind] = self._compile(dialect)
        sql, positions, processors = found
        parameters = tuple(values[name] for name in positions) if positions is not None else values
        driver = connection.connection.driver_connection
        if driver is None:
            raise RuntimeError("the connection was closed")
        cursor = None
        try:
            cursor = driver.cursor()
            cursor.execute(sql, parameters)
            row = cursor.fetchone()
        except dialect.loaded_dbapi.Error as error:  # as SQLAlchemy's own execution reports it
            if dialect.is_disconnect(error, driver, cursor):
                connection.invalidate(error)  # a connection gone: the pool makes a new one
            raise DBAPIError.instance(sql, parameters, error, dialect.loaded_dbapi.Error) from error
        finally:
            if cursor is not None:
                cursor.close()
        if row is None:
            return None
        return tuple(value if p is None else p(value) for p, value in zip(processors, row, strict=True))

    def _compile(self, dialect: Dialect) -> _Compiled:
        compiled = self.statement.compile(dialect=dialect)
        positions = tuple(compiled.positiontup or ()) if compiled.positional else None
        processors = tuple(
            column.type.dialect_impl(dialect).result_processor(dialect, None)
            for column in self.statement.selected_columns
        )
        return compiled.string, positions, processors


__all__ = ["DriverRead"]
