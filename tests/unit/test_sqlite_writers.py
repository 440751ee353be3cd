"""SQLite's writers take turns on a file lock (helpdesk/sqlite_writers.py)."""

from __future__ import annotations

import fcntl
import os
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from helpdesk.sqlite_writers import SUFFIX, TakingTurns, begins_writing


def _connect(path: Path, timeout: float = 5.0, *, busy_ms: int = 0) -> TakingTurns:
    """A connection taking turns whose SQLite busy handler gives up at once (*busy_ms* 0): a
    write that went to SQLite while another holds the write lock fails with "database is
    locked" instead of waiting, so a test sees whether the turn did the waiting."""
    connection = sqlite3.connect(path, timeout=timeout, factory=TakingTurns, check_same_thread=False)
    assert isinstance(connection, TakingTurns)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute(f"PRAGMA busy_timeout={busy_ms}")
    return connection


@pytest.fixture
def database(tmp_path: Path) -> Path:
    path = tmp_path / "site.sqlite3"
    with sqlite3.connect(path) as setup:
        setup.execute("PRAGMA journal_mode=WAL")
        setup.execute("CREATE TABLE answers (id INTEGER PRIMARY KEY, answer TEXT)")
    return path


def _turn_is_free(database: Path) -> bool:
    """Whether another process could take the turn now (a fresh open file: its own lock)."""
    with open(f"{database}{SUFFIX}", "ab") as turns:
        try:
            fcntl.flock(turns.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        fcntl.flock(turns.fileno(), fcntl.LOCK_UN)
        return True


@pytest.mark.parametrize(
    ("statement", "writes"),
    [
        ("INSERT INTO answers VALUES (1, 'x')", True),
        ("  update answers SET answer = 'y'", True),
        ("DELETE FROM answers", True),
        ("REPLACE INTO answers VALUES (1, 'z')", True),
        ("BEGIN IMMEDIATE", True),
        ("SAVEPOINT sa_savepoint_1", True),
        ("SELECT * FROM answers", False),
        ("PRAGMA journal_mode", False),
        ("", False),
        ("INSERTED", False),
    ],
)
def test_which_statements_begin_writing(statement: str, writes: bool) -> None:
    assert begins_writing(statement) is writes


def test_a_write_takes_the_turn_until_its_transaction_ends(database: Path) -> None:
    connection = _connect(database)
    connection.execute("SELECT * FROM answers").fetchall()
    assert not connection.holding_turn and _turn_is_free(database)  # reading takes no turn
    connection.execute("INSERT INTO answers (answer) VALUES ('forgotten')")
    assert connection.holding_turn and not _turn_is_free(database)
    connection.execute("UPDATE answers SET answer = 'capitals'")  # the same transaction
    connection.commit()
    assert not connection.holding_turn and _turn_is_free(database)
    connection.execute("DELETE FROM answers")
    assert not _turn_is_free(database)
    connection.rollback()
    assert _turn_is_free(database)
    connection.execute("INSERT INTO answers (answer) VALUES ('x')")
    connection.close()  # a transaction left open ends with the connection, and so does its turn
    assert _turn_is_free(database)


def test_a_writer_waits_for_the_turn_not_for_sqlite(database: Path) -> None:
    """While one connection writes, another's write waits for its turn and goes in once the first
    commits. Its SQLite busy handler gives up at once: without turns it would fail "database is
    locked" (checked first, with a plain connection)."""
    first = _connect(database)
    first.execute("INSERT INTO answers (answer) VALUES ('first')")  # holds SQLite's write lock

    plain = sqlite3.connect(database, timeout=0)
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        plain.execute("INSERT INTO answers (answer) VALUES ('plain')")
    plain.close()

    second = _connect(database)
    done = threading.Event()
    failed: list[BaseException] = []

    def write() -> None:
        try:
            second.execute("INSERT INTO answers (answer) VALUES ('second')")
            second.commit()
        except BaseException as error:
            failed.append(error)
        done.set()

    writer = threading.Thread(target=write)
    writer.start()
    assert not done.wait(0.3), "the second writer went on while the first held the turn"
    first.commit()
    assert done.wait(5)
    writer.join()
    assert failed == []
    answers = [row[0] for row in first.execute("SELECT answer FROM answers ORDER BY id")]
    assert answers == ["first", "second"]


def test_a_writer_that_waited_its_whole_timeout_goes_on_and_sqlite_decides(database: Path) -> None:
    first = _connect(database)
    first.execute("INSERT INTO answers (answer) VALUES ('first')")
    second = _connect(database, timeout=0.2)  # its busy timeout: how long it waits for the turn
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        second.execute("INSERT INTO answers (answer) VALUES ('second')")
    assert not second.holding_turn
    assert second.execute("PRAGMA busy_timeout").fetchone()[0] == 0  # (as _connect set it)
    second.rollback()
    first.commit()
    second.execute("INSERT INTO answers (answer) VALUES ('second')")  # its turn now
    assert second.holding_turn
    second.commit()


def test_a_transaction_ended_in_sql_or_autocommitted_ends_the_turn(database: Path) -> None:
    connection = _connect(database)
    connection.execute("BEGIN IMMEDIATE")
    assert not _turn_is_free(database)
    connection.execute("COMMIT")
    assert _turn_is_free(database)
    connection.execute("SAVEPOINT outer")  # SQLAlchemy's nested transaction, begun outside one
    connection.execute("INSERT INTO answers (answer) VALUES ('x')")
    assert not _turn_is_free(database)
    connection.execute("RELEASE outer")  # the outermost savepoint released: committed
    assert _turn_is_free(database)
    connection.isolation_level = None  # autocommit: every statement its own transaction
    # (held while the statement runs: a function of the statement's asks)
    connection.create_function("held", 0, lambda: "held" if not _turn_is_free(database) else "free")
    connection.executemany("INSERT INTO answers (answer) VALUES (held() || ?)", [("-a",), ("-b",)])
    assert _turn_is_free(database) and not connection.holding_turn
    connection.executescript("INSERT INTO answers (answer) VALUES ('c');")
    assert _turn_is_free(database)
    answers = [row[0] for row in connection.execute("SELECT answer FROM answers ORDER BY id")]
    assert answers == ["x", "held-a", "held-b", "c"]


def test_a_transaction_ended_by_the_drivers_own_means_ends_the_turn(database: Path) -> None:
    connection = _connect(database)
    with connection:  # commits on leaving, in C
        connection.execute("INSERT INTO answers (answer) VALUES ('with')")
        assert not _turn_is_free(database)
    assert _turn_is_free(database) and not connection.holding_turn
    connection.execute("INSERT INTO answers (answer) VALUES ('switched')")
    assert not _turn_is_free(database)
    connection.isolation_level = None  # autocommit switched on: the transaction is committed
    assert _turn_is_free(database) and not connection.holding_turn
    assert connection.execute("SELECT count(*) FROM answers").fetchone()[0] == 2


def test_a_connection_given_back_to_sqlalchemys_pool_or_rolled_back_ends_its_turn(database: Path) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.orm import Session

    engine = create_engine(f"sqlite:///{database}", connect_args={"factory": TakingTurns})
    with engine.connect() as connection:
        connection.execute(text("INSERT INTO answers (answer) VALUES ('pooled')"))
        assert not _turn_is_free(database)
    assert _turn_is_free(database)  # given back without a commit: rolled back by the pool
    with Session(engine) as session:
        session.execute(text("INSERT INTO answers (answer) VALUES ('session')"))
        assert not _turn_is_free(database)
        session.rollback()
        assert _turn_is_free(database)
        session.execute(text("INSERT INTO answers (answer) VALUES ('kept')"))
        session.commit()
        assert _turn_is_free(database)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT answer FROM answers")).scalars().all() == ["kept"]
    engine.dispose()


def test_a_writer_that_waited_out_its_turn_is_not_made_to_wait_again_by_sqlite(database: Path) -> None:
    """Its busy timeout was spent waiting for the turn: SQLite decides at once for that statement
    (its busy timeout taken away, then given back), so a write never waits twice its timeout."""
    first = _connect(database)
    first.execute("INSERT INTO answers (answer) VALUES ('first')")
    second = _connect(database, timeout=0.2, busy_ms=200)
    asked: list[str] = []
    second.set_trace_callback(asked.append)
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        second.execute("INSERT INTO answers (answer) VALUES ('second')")
    second.set_trace_callback(None)
    insert = next(i for i, sql in enumerate(asked) if sql.startswith("INSERT"))
    assert "PRAGMA busy_timeout = 0" in asked[:insert]
    assert "PRAGMA busy_timeout = 200" in asked[insert:]
    assert second.execute("PRAGMA busy_timeout").fetchone()[0] == 200
    first.commit()


def test_a_failed_first_write_ends_the_turn(database: Path) -> None:
    connection = _connect(database)
    with pytest.raises(sqlite3.OperationalError):
        connection.execute("INSERT INTO no_such_table VALUES (1)")
    assert not connection.in_transaction and _turn_is_free(database)


def test_a_process_that_dies_holding_the_turn_loses_it(database: Path) -> None:
    script = (
        "import os, sqlite3, sys\n"
        "from helpdesk.sqlite_writers import TakingTurns\n"
        "c = sqlite3.connect(sys.argv[1], factory=TakingTurns)\n"
        "c.execute(\"INSERT INTO answers (answer) VALUES ('lost')\")\n"
        "assert c.holding_turn\n"
        "os._exit(3)\n"  # killed mid-transaction: no commit, no close
    )
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-c", script, str(database)], cwd=root, env={**os.environ, "PYTHONPATH": str(root)}
    )
    assert done.returncode == 3
    assert _turn_is_free(database)
    survivor = _connect(database)
    survivor.execute("INSERT INTO answers (answer) VALUES ('kept')")
    survivor.commit()
    assert [r[0] for r in survivor.execute("SELECT answer FROM answers")] == ["kept"]


def test_a_forked_child_never_ends_its_parents_turn(database: Path) -> None:
    """gunicorn forks its workers: a connection copied into a child shares the parent's open
    file, and unlocking or closing it there must not end the parent's turn."""
    parent = _connect(database)
    parent.execute("INSERT INTO answers (answer) VALUES ('parent')")
    parent._timeout = 0.2  # (how long the child's copy waits for the turn it cannot have)
    pid = os.fork()
    if pid == 0:  # the child: ask for the copy's turn, end it and close it, then leave
        code = 0
        try:
            if parent.take_turn():  # the parent's: never this process's
                code = 2
            parent.end_turn()
            parent.close()
        except BaseException:
            code = 1
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert parent.holding_turn and not _turn_is_free(database)
    parent.commit()
    assert _turn_is_free(database)


def test_no_turns_without_a_file_to_lock(tmp_path: Path, database: Path) -> None:
    memory = sqlite3.connect(":memory:", factory=TakingTurns)
    memory.execute("CREATE TABLE t (a)")
    memory.execute("INSERT INTO t VALUES (1)")
    assert not memory.holding_turn
    Path(f"{database}{SUFFIX}").mkdir()  # a turns file that cannot be opened: no turns, writes as before
    connection = _connect(database, busy_ms=1000)
    connection.execute("INSERT INTO answers (answer) VALUES ('x')")
    assert not connection.holding_turn
    connection.commit()
    assert connection.execute("SELECT count(*) FROM answers").fetchone()[0] == 1


def test_a_connection_closed_holding_its_turn_unlocks_it_though_a_forked_process_shares_it(
    database: Path,
) -> None:
    connection = _connect(database)
    connection.execute("INSERT INTO answers (answer) VALUES ('x')")
    reading, writing = os.pipe()
    pid = os.fork()
    if pid == 0:  # a process forked meanwhile (a content load's): it holds the open file too
        os.close(writing)
        os.read(reading, 1)  # until the parent is done
        os._exit(0)
    os.close(reading)
    try:
        connection.close()
        assert _turn_is_free(database)
    finally:
        os.write(writing, b".")
        os.close(writing)
        os.waitpid(pid, 0)
