"""A read run on the driver's cursor (helpdesk/driver_reads.py) gives the very values SQLAlchemy's
own execution gives: on SQLite, and again on PostgreSQL when `make test` runs this folder there."""

from __future__ import annotations

import pytest
from sqlalchemy import bindparam, select

from helpdesk.cases.diagnoses import read_diagnosis, start_diagnosis
from helpdesk.content.live import catalog
from helpdesk.driver_reads import DriverRead
from helpdesk.extensions import db
from helpdesk.models import Diagnosis

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
    from sqlalchemy.exc import DBAPIError

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
