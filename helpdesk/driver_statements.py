"""The statements a page runs on every request, run on the database driver's own cursor.

SQLAlchemy's execution of a statement (its execution context, result object, row processing
and the transaction object it begins) costs three to four times what SQLite takes to run a
one-row read by its primary key, or a one-row UPDATE. These classes compile their statement once
per dialect and run it on the cursor of the connection they are given, each value through its
type's own processor as SQLAlchemy's execution would (JSON encoded and decoded, the UTC datetime
type's conversion, SQLite's 0/1 made a bool): the same rows read and written as
`connection.execute(statement)`, which a test compares on SQLite and PostgreSQL.

- `DriverRead`: a SELECT, `first(connection, **values)`.
- `DriverWrite`: an INSERT, UPDATE or DELETE, `run(connection, rows)`. Every value it writes is in
  the statement, as a bind parameter given in each row or a value fixed there: a column's
  Python-side default, which SQLAlchemy's execution would call, is refused when it is compiled.

The statement joins whatever transaction the driver has: none on SQLite for a SELECT; a write
begins one, as does any statement on PostgreSQL. SQLAlchemy's `Connection` does not know of a
transaction the driver began by itself: `end` ends the connection's transaction,
SQLAlchemy's if it began one, else the driver's. A driver's error is raised as SQLAlchemy's
(`DBAPIError`), a connection found gone is invalidated, and a value its type cannot take is a
`StatementError`, as with SQLAlchemy's execution. Compiled per dialect object: each engine's own
settings (its JSON serializer, say) are the ones used.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Connection, Delete, Insert, Select, Update
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError, SQLAlchemyError, StatementError

_Processor = Callable[[Any], Any] | None


def _driver_of(connection: Connection) -> Any:
    driver = connection.connection.driver_connection
    if driver is None:
        raise RuntimeError("the connection was closed")
    return driver


def _on_driver(
    connection: Connection, sql: str, parameters: Any, run: Callable[[Any], Any], *, cursor: bool = True
) -> Any:
    """`run(cursor)` on a cursor of *connection*'s driver, closed after (or `run(driver)` itself,
    without *cursor*), its errors raised as SQLAlchemy's."""
    dialect = connection.dialect
    driver = _driver_of(connection)
    opened = None
    try:
        if not cursor:
            return run(driver)
        opened = driver.cursor()
        return run(opened)
    except dialect.loaded_dbapi.Error as error:  # as SQLAlchemy's own execution reports it
        if dialect.is_disconnect(error, driver, opened):
            connection.invalidate(error)  # a connection gone: the pool makes a new one
        raise DBAPIError.instance(sql, parameters, error, dialect.loaded_dbapi.Error) from error
    finally:
        if opened is not None:
            opened.close()


class DriverRead:
    """*statement* (a SELECT), run on the driver's cursor: `first(connection, **values)`.

    Only for reads whose parameters the driver takes as they are (integers, strings): no bind
    processing is done."""

    def __init__(self, statement: Select[Any]) -> None:
        self.statement = statement
        # by dialect (an engine's own: its JSON serializer, say): SQL, parameters' order (None: by
        # name), each column's result processor
        self._compiled: WeakKeyDictionary[Dialect, tuple[str, tuple[str, ...] | None, tuple[_Processor, ...]]]
        self._compiled = WeakKeyDictionary()

    def first(self, connection: Connection, **values: Any) -> tuple[Any, ...] | None:
        """The first row's values (None: no row), with *values* for the statement's parameters."""
        dialect = connection.dialect
        found = self._compiled.get(dialect)
        if found is None:
            found = self._compiled[dialect] = self._compile(dialect)
        sql, positions, processors = found
        parameters = tuple(values[name] for name in positions) if positions is not None else values

        def fetch(cursor: Any) -> Any:
            cursor.execute(sql, parameters)
            return cursor.fetchone()

        row = _on_driver(connection, sql, parameters, fetch)
        if row is None:
            return None
        return tuple(value if p is None else p(value) for p, value in zip(processors, row, strict=True))

    def _compile(self, dialect: Dialect) -> tuple[str, tuple[str, ...] | None, tuple[_Processor, ...]]:
        compiled = self.statement.compile(dialect=dialect)
        positions = tuple(compiled.positiontup or ()) if compiled.positional else None
        processors = tuple(
            column.type.dialect_impl(dialect).result_processor(dialect, None)
            for column in self.statement.selected_columns
        )
        return compiled.string, positions, processors


class _CompiledWrite:
    def __init__(self, statement: Insert | Update | Delete, dialect: Dialect) -> None:
        # compiled for many rows: PostgreSQL's INSERT then returns nothing (no RETURNING id)
        compiled = statement.compile(dialect=dialect, for_executemany=True)
        defaulted = [*compiled.insert_prefetch, *compiled.update_prefetch]
        if defaulted:
            names = ", ".join(column.name for column in defaulted)
            raise TypeError(f"give {names} a value in the statement: a driver's write calls no default")
        self.sql = compiled.string
        self.compiled = compiled
        self.positions = tuple(compiled.positiontup or ()) if compiled.positional else None
        self.processors = {
            name: processor
            for bind, name in compiled.bind_names.items()
            if (processor := bind.type.dialect_impl(dialect).bind_processor(dialect)) is not None
        }

    def parameters(self, row: Mapping[str, Any]) -> Any:
        """The driver's parameters for one *row*: the statement's fixed values added, each value
        through its type's processor, by position or by name as the driver takes them."""
        values = self.compiled.construct_params(dict(row))  # a missing parameter: SQLAlchemy's error
        for name, processor in self.processors.items():
            values[name] = processor(values[name])
        if self.positions is None:
            return values
        return tuple(values[name] for name in self.positions)


class DriverWrite:
    """*statement* (an INSERT, UPDATE or DELETE writing only values it is given), run on the
    driver's cursor: `run(connection, rows)`; its transaction ended by `end`."""

    def __init__(self, statement: Insert | Update | Delete) -> None:
        self.statement = statement
        self._compiled: WeakKeyDictionary[Dialect, _CompiledWrite] = WeakKeyDictionary()  # by dialect

    def run(self, connection: Connection, rows: Sequence[Mapping[str, Any]]) -> int:
        """Run the statement once per row of *rows* (one call to the driver): the number of rows
        it changed, as the driver counts them."""
        if not rows:
            return 0
        dialect = connection.dialect
        compiled = self._compiled.get(dialect)
        if compiled is None:
            compiled = self._compiled[dialect] = _CompiledWrite(self.statement, dialect)
        sql = compiled.sql
        try:
            parameters = [compiled.parameters(row) for row in rows]
        except SQLAlchemyError:
            raise
        except Exception as error:  # a value its type cannot take: as SQLAlchemy's execution says it
            raise StatementError(str(error), sql, rows, error) from error

        def write(cursor: Any) -> int:
            if len(parameters) == 1:
                cursor.execute(sql, parameters[0])
            else:
                cursor.executemany(sql, parameters)
            return int(cursor.rowcount)

        return int(_on_driver(connection, sql, parameters, write))


def end(connection: Connection, *, commit: bool) -> None:
    """End *connection*'s transaction, keeping what it wrote (*commit*) or undoing it: SQLAlchemy's,
    if it began one (its end is the driver's), else the one the driver began for a statement run
    on its cursor."""
    if connection.in_transaction():
        connection.commit() if commit else connection.rollback()
        return
    sql = "COMMIT" if commit else "ROLLBACK"
    _on_driver(
        connection, sql, None, lambda driver: driver.commit() if commit else driver.rollback(), cursor=False
    )


__all__ = ["DriverRead", "DriverWrite", "end"]
