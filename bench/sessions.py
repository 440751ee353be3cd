"""Prints how often a busy signed-in browser writes its session row, and what a lookup costs.

    .venv/bin/python bench/sessions.py [--minutes 60] [--every 5] [--lookups 2000]

Every request looks its sign-in up (the idle and absolute limits are decided from the row);
`last_seen_at` is written at most once a minute, so a browser making a request every few
seconds writes about once a minute, not once a request.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import time_machine
from sqlalchemy import event

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from helpdesk import create_app  # noqa: E402
from helpdesk.accounts.directory import directory  # noqa: E402
from helpdesk.extensions import db  # noqa: E402

T0 = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=int, default=60, help="how long the simulated browser is busy")
    parser.add_argument("--every", type=int, default=5, help="seconds between its requests")
    parser.add_argument("--lookups", type=int, default=2000, help="lookups to time")
    args = parser.parse_args()
    instance = Path(tempfile.mkdtemp())
    app = create_app({"testing": True, "instance_dir": instance, "secret_key": "bench", "reload_seconds": -1})
    with app.app_context():
        db.create_all()
        account = directory().create("pat@example.org", "violet-harbor-lantern-42")
        with time_machine.travel(T0, tick=False):
            token = directory().start_session(account.id, "198.51.100.1", "Firefox")
        writes: list[str] = []

        def count(_conn: object, _cursor: object, statement: str, *_rest: object) -> None:
            if statement.lstrip().upper().startswith("UPDATE SIGN_IN_SESSIONS"):
                writes.append(statement)

        event.listen(db.engine, "before_cursor_execute", count)
        requests = 0
        for seconds in range(0, args.minutes * 60, args.every):
            with time_machine.travel(T0 + timedelta(seconds=seconds), tick=False):
                assert directory().session_account(token) is not None
                requests += 1
        print(f"{requests} requests in {args.minutes} busy minutes: {len(writes)} writes of the session row")
        with time_machine.travel(T0 + timedelta(minutes=args.minutes), tick=False):
            directory().session_account(token)  # the one write due, out of the timing
            start = time.perf_counter()
            for _ in range(args.lookups):
                directory().session_account(token)
            took = (time.perf_counter() - start) / args.lookups
        print(f"session lookup without a write: {took * 1e6:.0f} µs (mean of {args.lookups}, SQLite)")


if __name__ == "__main__":
    main()
