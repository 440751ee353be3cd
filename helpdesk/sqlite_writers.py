"""SQLite's writers take turns on a file lock, so a writer waiting for another wakes within
microseconds instead of SQLite's first millisecond of sleep.

SQLite lets one connection write at a time. One that finds another writing is told "busy", and
its busy handler (the 30-second timeout) sleeps before it asks again: 1 ms, then 2, 5, 10 ms and
so on. A diagnosis answered on this site holds the write lock for a tenth of a millisecond or
two, so two workers answering at once mostly sleep: the answer row of bench/http.py served 30 %
of a bare app's requests at 36 % of its CPU cost, the rest of the time was spent asleep.

Here each connection to a database file, before the statement that begins its writing (an
INSERT, UPDATE, DELETE or REPLACE outside a transaction, which Python's sqlite3 begins one for,
a BEGIN or a SAVEPOINT), takes its turn: an exclusive `flock` on the file `<database>-writers`
beside the database, asked again after 50 µs, 100 µs and so on up to 1 ms between asks. The turn
ends as the transaction does: commit, rollback (SQLAlchemy's pool rolls back every connection
given back to it), `with connection:`, autocommit switched on, close, or a statement that ended
it. With the turn held, the connection finds SQLite's write lock free, unless something that does
not take turns (the sqlite3 shell, another program) holds it: then SQLite's busy handler waits as
before.

The turn only spares sleep; SQLite's locking keeps the data right, with or without it:
- a connection that cannot have its turn within its busy timeout goes on without it, and SQLite
  decides at once, as it would have after that timeout (its own is taken away for that one
  statement: a writer never waits twice its timeout); a file that cannot be opened (a read-only
  folder) means no turns for that connection;
- a writer that dies holding its turn loses it with its process (the kernel drops the lock), and
  a connection closed or dropped holding it unlocks it (a process forked meanwhile, a content
  load's, shares the open file: closing alone would leave the lock with it);
- a connection that waits for its turn holds no lock of SQLite's: it is outside a transaction
  (in WAL mode a reader in a transaction does not stop a writer), so no two wait for each other;
- in a process forked from the one that took a turn, the connection's copy never takes or ends
  the parent's turn.

An in-memory or temporary database has no file to lock and takes no turns. PostgreSQL, which
queues its writers itself, is untouched (the factory is given to SQLite's connections only).
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import time
from collections.abc import Callable
from typing import IO, Any

SUFFIX = "-writers"
FIRST_WAIT = 0.00005  # seconds between asks for the turn: doubled each time, up to LAST_WAIT
LAST_WAIT = 0.001
_ISOLATION_LEVEL: Any = vars(sqlite3.Connection)["isolation_level"]  # (the C attribute, wrapped below)
_BEGINS_WRITING = frozenset({"INSERT", "UPDATE", "DELETE", "REPLACE", "BEGIN", "SAVEPOINT"})


def begins_writing(statement: str) -> bool:
    """Whether *statement*, outside a transaction, begins one that writes (Python's sqlite3
    begins a transaction before an INSERT, UPDATE, DELETE or REPLACE; BEGIN begins one, and so
    does a SAVEPOINT, SQLAlchemy's nested transaction, taken to write)."""
    head = statement.lstrip()[:10].split(None, 1)
    return bool(head) and head[0].upper() in _BEGINS_WRITING


class TakingTurns(sqlite3.Connection):
    """A connection of Python's sqlite3 that takes its turn to write (this module's docstring);
    given to `sqlite3.connect` as its factory."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._timeout = float(kwargs.get("timeout", args[1] if len(args) > 1 else 5.0))
        self._turns: IO[bytes] | None = None
        self._pid = 0  # the process that opened the turns file (a forked child's copy is not its)
        self._holding = False
        self._waited_out = False  # the last wait for the turn lasted the whole busy timeout
        self._busy_ms = 0  # SQLite's busy timeout while it is taken away (`writing_begins`)
        row = super().cursor().execute("PRAGMA database_list").fetchone()
        self._path = f"{row[2]}{SUFFIX}" if row and row[2] else ""  # "": in memory, temporary

    @property
    def holding_turn(self) -> bool:
        return self._holding

    @property  # type: ignore[override]
    def isolation_level(self) -> str | None:
        return _ISOLATION_LEVEL.__get__(self)

    @isolation_level.setter
    def isolation_level(self, value: str | None) -> None:
        try:
            _ISOLATION_LEVEL.__set__(self, value)  # None commits a transaction going on
        finally:
            self._if_ended()

    def cursor(self, factory: Any = None) -> sqlite3.Cursor:  # type: ignore[override]
        return super().cursor(factory or _TurnTakingCursor)

    # (the connection's own shortcuts make a plain cursor, which would not take turns)
    def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:
        return self.cursor().execute(sql, parameters)

    def executemany(self, sql: str, seq_of_parameters: Any, /) -> sqlite3.Cursor:
        return self.cursor().executemany(sql, seq_of_parameters)

    def executescript(self, sql_script: str, /) -> sqlite3.Cursor:
        return self.cursor().executescript(sql_script)

    def take_turn(self) -> bool:
        """Wait for this connection's turn to write (at most its busy timeout); whether it has it."""
        self._forget_if_inherited()
        self._waited_out = False
        if self._holding:
            return True
        turns = self._turns_file()
        if turns is None:
            return False
        deadline = time.monotonic() + self._timeout
        wait = FIRST_WAIT
        while True:
            try:
                fcntl.flock(turns.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    self._waited_out = True  # SQLite decides, without waiting a second timeout
                    return False
                time.sleep(wait)
                wait = min(wait * 2, LAST_WAIT)
                continue
            except OSError:
                return False
            self._holding = True
            return True

    def end_turn(self) -> None:
        """Let the next writer have its turn (called once the transaction has ended)."""
        self._forget_if_inherited()
        if not self._holding:
            return
        self._holding = False
        if self._turns is not None:
            try:
                fcntl.flock(self._turns.fileno(), fcntl.LOCK_UN)
            except OSError:
                self._drop_turns_file()

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self._if_ended()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self._if_ended()

    def __exit__(self, *exc_info: Any) -> Any:  # `with connection:` commits or rolls back in C
        try:
            return super().__exit__(*exc_info)
        finally:
            self._if_ended()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self.end_turn()  # unlocked, not only closed: a process forked meanwhile holds the file too
            self._drop_turns_file()

    def __del__(self) -> None:  # dropped without being closed
        if getattr(self, "_holding", False):
            self.end_turn()

    def writing_begins(self) -> bool:
        """Called before a statement that begins writing: take the turn. True when its busy timeout
        was spent waiting for it: SQLite is then given none of its own for this statement (a writer
        never waits twice its timeout), and `writing_began` gives it back."""
        if self.take_turn() or not self._waited_out:
            return False
        self._busy_ms = int(super().cursor().execute("PRAGMA busy_timeout").fetchone()[0])
        super().cursor().execute("PRAGMA busy_timeout = 0")
        return True

    def writing_began(self, waited_out: bool) -> None:
        """After a statement: SQLite's busy timeout back if it was taken away, and the turn ended
        if the statement ended the transaction (an autocommitted write, a COMMIT in SQL)."""
        if waited_out:
            super().cursor().execute(f"PRAGMA busy_timeout = {self._busy_ms:d}")
        self._if_ended()

    def _if_ended(self) -> None:
        if self._holding and not self.in_transaction:
            self.end_turn()

    def _forget_if_inherited(self) -> None:
        """In a process forked from the one that opened the turns file, forget it and its turn:
        the lock is the parent's (the file is shared), never this process's to take or end."""
        if self._pid and self._pid != os.getpid():
            self._turns, self._holding, self._pid = None, False, 0

    def _turns_file(self) -> IO[bytes] | None:
        if not self._path:
            return None
        if self._turns is None:
            try:  # (read-only is enough to lock it, and lets any user's processes take turns)
                descriptor = os.open(self._path, os.O_RDONLY | os.O_CREAT | os.O_CLOEXEC, 0o644)
            except OSError:
                self._path = ""  # no turns for this connection: SQLite's busy handler, as before
                return None
            self._turns = os.fdopen(descriptor, "rb", buffering=0)  # closed with it if dropped
            self._pid = os.getpid()
        return self._turns

    def _drop_turns_file(self) -> None:
        self._forget_if_inherited()  # (a forked child leaves its parent's file alone)
        turns, self._turns = self._turns, None
        if turns is not None:
            turns.close()


class _TurnTakingCursor(sqlite3.Cursor):
    """Takes the connection's turn before a statement that begins writing, and ends it after a
    statement that ended the transaction (an autocommitted write, a COMMIT in SQL)."""

    def execute(self, sql: str, parameters: Any = (), /) -> _TurnTakingCursor:
        return self._in_turn(sqlite3.Cursor.execute, sql, parameters)

    def executemany(self, sql: str, seq_of_parameters: Any, /) -> _TurnTakingCursor:
        return self._in_turn(sqlite3.Cursor.executemany, sql, seq_of_parameters)

    def _in_turn(self, run: Callable[..., Any], sql: str, parameters: Any) -> _TurnTakingCursor:
        connection: TakingTurns = self.connection  # type: ignore[assignment]
        waited_out = not connection.in_transaction and begins_writing(sql) and connection.writing_begins()
        try:
            run(self, sql, parameters)
        finally:
            connection.writing_began(waited_out)
        return self

    def executescript(self, sql_script: str, /) -> _TurnTakingCursor:
        connection: TakingTurns = self.connection  # type: ignore[assignment]
        try:
            super().executescript(sql_script)  # commits first: a turn held ends with its transaction
        finally:
            connection.writing_began(False)
        return self


__all__ = ["SUFFIX", "TakingTurns", "begins_writing"]
