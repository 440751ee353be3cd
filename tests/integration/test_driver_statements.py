"""A statement run on the driver's cursor (helpdesk/driver_statements.py) reads and writes the very
values SQLAlchemy's own execution does: on SQLite, and again on PostgreSQL when `make test` runs
this folder there."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import DBAPIError, InvalidRequestError, StatementError

from helpdesk import driver_statements
from helpdesk.cases.diagnoses import read_diagnosis, start_diagnosis
from helpdesk.content.live import catalog
from helpdesk.driver_statements import DriverRead, DriverWrite
from helpdesk.extensions import db
from helpdesk.models import Diagnosis, DiagnosisEvent

_TABLE = Diagnosis.__table__
_ALL_COLUMNS = select(_TABLE).where(_TABLE.c.id == bindparam("b_id"))
_BY_FLOW_AND_STEP = select(_TABLE.c.id, _TABLE.c.path, _TABLE.c.sandbox).where(
    _TABLE.c.flow_id == bindparam("b_flow"), _TABLE.c.step == bindparam("b_step")
)


def _diagnoses() -> tuple[Diagnosis, Diagnosis]:
    flows = catalog().flows
    parent = start_diagnosis(flows["wrong-password"])
    child = start_diagnosis(flows["cant-sign-in"], parent=parent, sandbox=True)
    child.path = [*child.path, "ñandú-паспорт", "步骤"]  # beyond ASCII, as JSON stores it
    child.answers = ["sí"]
    db.session.commit()
    return parent, child


def test_every_column_reads_as_sqlalchemy_reads_it(app):
    with app.app_context():
        parent, child = _diagnoses()
        read = DriverRead(_ALL_COLUMNS)
        with db.engine.connect() as connection:
            for diagnosis in (parent, child):
                expected = connection.execute(_ALL_COLUMNS, {"b_id": diagnosis.id}).first()
                found = read.first(connection, b_id=diagnosis.id)
                assert expected is not None and found == tuple(expected)
                assert [type(v) for v in found] == [type(v) for v in expected]  # 0/1 made bool, JSON decoded
            assert read.first(connection, b_id=child.id + 1000) is None
        found = read.first(db.session.connection(), b_id=child.id)  # the request's session's connection
        assert found is not None and found[_ALL_COLUMNS.selected_columns.keys().index("path")][-1] == "步骤"


def test_parameters_are_given_by_name_whatever_the_drivers_style(app):
    """SQLite's driver takes them by position (qmark), PostgreSQL's by name (pyformat)."""
    with app.app_context():
        _, child = _diagnoses()
        read = DriverRead(_BY_FLOW_AND_STEP)
        with db.engine.connect() as connection:
            found = read.first(connection, b_step=child.step, b_flow=child.flow_id)
        assert found == (child.id, child.path, True)


def test_a_diagnosis_record_is_its_rows_values(app):
    with app.app_context():
        parent, child = _diagnoses()
        record = read_diagnosis(child.id)
        assert record is not None
        assert (record.id, record.parent_id, record.sandbox, record.path, record.answers) == (
            child.id,
            parent.id,
            True,
            child.path,
            ["sí"],
        )
        assert record.revision == child.revision and record.status == child.status


def test_a_drivers_error_is_sqlalchemys_and_a_connection_gone_is_invalidated(app):
    from sqlalchemy import Column, Integer, MetaData, Table

    missing = Table("no_such_table", MetaData(), Column("id", Integer))
    with app.app_context(), db.engine.connect() as connection:
        with pytest.raises(DBAPIError):  # as connection.execute would raise it
            DriverRead(select(missing.c.id)).first(connection)
        connection.rollback()
        read = DriverRead(_ALL_COLUMNS)
        connection.connection.driver_connection.close()  # the connection lost under it
        with pytest.raises(DBAPIError):
            read.first(connection, b_id=1)
        assert connection.invalidated  # the pool makes a new one


# -- writes -----------------------------------------------------------------------------------------

_EVENTS = DiagnosisEvent.__table__
_MOVE = (
    update(_TABLE)
    .where(_TABLE.c.id == bindparam("b_id"))
    .values(
        path=bindparam("b_path"),
        updated_at=bindparam("b_now"),
        sandbox=bindparam("b_sandbox"),
        revision=_TABLE.c.revision + 1,  # a value fixed in the statement
        running_step=None,
    )
)
_ADD_EVENT = insert(_EVENTS).values(
    {name: bindparam(name) for name in ("diagnosis_id", "at", "kind", "step", "detail")}
)


def _row(table, row_id: int) -> tuple:
    with db.engine.connect() as connection:
        found = connection.execute(select(table).where(table.c.id == row_id)).first()
    assert found is not None
    return tuple(found)


def test_a_write_stores_what_sqlalchemys_execution_stores(app):
    """The same UPDATE and INSERT, once through SQLAlchemy and once on the driver's cursor, on two
    like diagnoses: read back through SQLAlchemy, the rows are the same, value for value."""
    with app.app_context():
        parent, child = _diagnoses()
        at = datetime(2026, 3, 29, 1, 30, 15, 123456, tzinfo=UTC)
        values = {"b_path": ["ñandú-паспорт", "步骤"], "b_now": at + timedelta(hours=1), "b_sandbox": True}
        events = [
            {"kind": "answered", "step": "ñandú", "at": at, "detail": {"answer": "sí", "n": [1, None]}},
            {"kind": "escalated", "step": "步骤", "at": at, "detail": {}},
        ]
        with db.engine.connect() as connection:
            connection.execute(_MOVE, {"b_id": parent.id, **values})
            connection.execute(_ADD_EVENT, [{"diagnosis_id": parent.id, **e} for e in events])
            connection.commit()
            changed = DriverWrite(_MOVE).run(connection, [{"b_id": child.id, **values}])
            added = DriverWrite(_ADD_EVENT).run(connection, [{"diagnosis_id": child.id, **e} for e in events])
            driver_statements.end(connection, commit=True)
        assert (changed, added) == (1, 2)
        by_sqlalchemy, on_the_driver = _row(_TABLE, parent.id), _row(_TABLE, child.id)
        for name in ("path", "updated_at", "sandbox", "revision", "running_step"):  # what it writes
            expected, found = (
                row[_TABLE.columns.keys().index(name)] for row in (by_sqlalchemy, on_the_driver)
            )
            assert (name, found, type(found)) == (name, expected, type(expected))
        assert on_the_driver[_TABLE.columns.keys().index("updated_at")] == at + timedelta(hours=1)
        with db.engine.connect() as connection:
            lines = connection.execute(
                select(_EVENTS.c.diagnosis_id, _EVENTS.c.at, _EVENTS.c.kind, _EVENTS.c.step, _EVENTS.c.detail)
                .where(_EVENTS.c.at == at)
                .order_by(_EVENTS.c.id)
            ).all()
        assert [tuple(line) for line in lines] == [
            (diagnosis.id, at, e["kind"], e["step"], e["detail"])
            for diagnosis in (parent, child)
            for e in events
        ]


def test_a_write_counts_the_rows_it_changed(app):
    with app.app_context():
        _, child = _diagnoses()
        write = DriverWrite(_MOVE)
        values = {"b_path": [], "b_now": datetime.now(UTC), "b_sandbox": False}
        with db.engine.connect() as connection:
            assert write.run(connection, [{"b_id": child.id + 1000, **values}]) == 0
            assert write.run(connection, [{"b_id": child.id, **values}]) == 1
            assert write.run(connection, []) == 0
            driver_statements.end(connection, commit=True)
        assert _row(_TABLE, child.id)[_TABLE.columns.keys().index("revision")] == child.revision + 1


def test_rollback_undoes_a_write_sqlalchemy_did_not_begin_and_commit_keeps_it(app):
    """Each is seen before the connection goes back to the pool (which would roll back anything)."""
    with app.app_context():
        _, child = _diagnoses()
        write = DriverWrite(_MOVE)
        path_of = DriverRead(select(_TABLE.c.path).where(_TABLE.c.id == bindparam("b_id")))
        values = {"b_id": child.id, "b_path": ["undone"], "b_now": datetime.now(UTC), "b_sandbox": True}
        with db.engine.connect() as connection:
            write.run(connection, [values])
            assert not connection.in_transaction()  # the driver's own transaction
            assert path_of.first(connection, b_id=child.id) == (["undone"],)
            driver_statements.end(connection, commit=False)
            assert path_of.first(connection, b_id=child.id) == (child.path,)  # undone on this connection
            write.run(connection, [{**values, "b_path": ["kept"]}])
            driver_statements.end(connection, commit=True)
            assert _row(_TABLE, child.id)[_TABLE.columns.keys().index("path")] == [
                "kept"
            ]  # another one sees it
        with db.engine.connect() as connection:  # SQLAlchemy's transaction, begun first: it is the one ended
            connection.begin()
            write.run(connection, [{**values, "b_path": ["in sqlalchemy's"]}])
            driver_statements.end(connection, commit=True)
            assert not connection.in_transaction()
            assert _row(_TABLE, child.id)[_TABLE.columns.keys().index("path")] == ["in sqlalchemy's"]


def test_a_write_needs_every_value_and_calls_no_default(app):
    with app.app_context():
        _, child = _diagnoses()
        with db.engine.connect() as connection:
            with pytest.raises(InvalidRequestError, match="required for bind parameter 'b_now'"):
                DriverWrite(_MOVE).run(connection, [{"b_id": child.id, "b_path": [], "b_sandbox": False}])
            defaulted = insert(_EVENTS).values(diagnosis_id=bindparam("d"), kind="k", step="s")  # at, detail
            with pytest.raises(TypeError, match="give at, detail a value"):
                DriverWrite(defaulted).run(connection, [{"d": child.id}])
            with pytest.raises(DBAPIError):  # NOT NULL: the driver's error, as SQLAlchemy raises it
                DriverWrite(_ADD_EVENT).run(
                    connection,
                    [{"diagnosis_id": child.id, "at": None, "kind": None, "step": "s", "detail": {}}],
                )


def test_a_value_its_type_cannot_take_is_a_statement_error_and_nothing_is_written(app):
    with app.app_context():
        _, child = _diagnoses()
        naive = datetime(2026, 1, 1, 12, 0)  # the UTC datetime type takes only aware ones
        values = {"b_id": child.id, "b_path": ["x"], "b_now": naive, "b_sandbox": False}
        with db.engine.connect() as connection:
            with pytest.raises(StatementError):  # as connection.execute raises it
                connection.execute(_MOVE, values)
            with pytest.raises(StatementError):
                DriverWrite(_MOVE).run(connection, [values])
        assert _row(_TABLE, child.id)[_TABLE.columns.keys().index("path")] == child.path


def test_each_engine_writes_with_its_own_dialects_settings(tmp_path):
    """One statement, two engines whose JSON is written otherwise: each as its own writes it."""
    import json

    from sqlalchemy import JSON, Column, Integer, MetaData, Table, create_engine

    table = Table("kept", MetaData(), Column("id", Integer, primary_key=True), Column("path", JSON))
    write = DriverWrite(update(table).where(table.c.id == bindparam("b_id")).values(path=bindparam("b_path")))
    stored = []
    for n, serializer in enumerate((json.dumps, lambda value: json.dumps(value, ensure_ascii=False))):
        engine = create_engine(f"sqlite:///{tmp_path / f'{n}.sqlite3'}", json_serializer=serializer)
        table.create(engine)
        with engine.connect() as connection:
            connection.exec_driver_sql("INSERT INTO kept (id, path) VALUES (1, '[]')")
            connection.commit()
            write.run(connection, [{"b_id": 1, "b_path": ["ñ"]}])
            driver_statements.end(connection, commit=True)
            stored.append(connection.exec_driver_sql("SELECT path FROM kept").scalar())
        engine.dispose()
    assert stored == ['["\\u00f1"]', '["ñ"]']
