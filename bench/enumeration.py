"""Prints how long anonymous answers take for an existing account and for an unknown one.

    .venv/bin/python bench/enumeration.py [--rounds 40]

The two columns should match within noise: the sign-in page and "send me a link" must not
tell, by their timing, whether an account exists (HELPDESK_ANSWER_FLOOR_MS sets the floor).
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from helpdesk import create_app  # noqa: E402
from helpdesk.accounts.directory import directory  # noqa: E402
from helpdesk.extensions import db  # noqa: E402

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def timed_posts(client, path: str, fields: dict[str, str], rounds: int) -> list[float]:
    samples = []
    for _ in range(rounds):
        token = TOKEN.search(client.get(path).get_data(as_text=True)).group(1)
        started = time.perf_counter()
        client.post(path, data={"csrf_token": token, **fields})
        samples.append(time.perf_counter() - started)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--floor-ms", type=int, default=150)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(
            {
                "secret_key": "bench",
                "instance_dir": Path(tmp),
                "rate_limits": False,
                "answer_floor_ms": args.floor_ms,
                "lock_threshold": 10_000,
            }
        )
        with app.app_context():
            db.create_all()
            directory().create("known@example.org", "violet harbor lantern 42")
        rows = [
            (
                "/login",
                {"email": "known@example.org", "password": "wrong password here"},
                {"email": "unknown@example.org", "password": "wrong password here"},
            ),
            ("/password/forgot", {"email": "known@example.org"}, {"email": "unknown@example.org"}),
        ]
        print(f"answer floor {args.floor_ms} ms, {args.rounds} rounds each, medians (p90):")
        print(f"{'page':<20} {'existing account':>22} {'unknown address':>22}")
        for path, known, unknown in rows:
            results = []
            for fields in (known, unknown):
                samples = timed_posts(app.test_client(), path, fields, args.rounds)
                p90 = statistics.quantiles(samples, n=10)[-1]
                results.append(f"{statistics.median(samples) * 1000:8.1f} ms ({p90 * 1000:6.1f})")
            print(f"{path:<20} {results[0]:>22} {results[1]:>22}")


if __name__ == "__main__":
    main()
