"""Prints where a page's time goes, per request, in this one process (cProfile, no server).

    .venv/bin/python bench/profile_pages.py [--rows step,answer,article,bare] [--requests 2000]
                                            [--top 25] [--sort tottime|cumtime]

The app is built as `make run` serves it (the sample content, a SQLite database in a temporary
instance, live reload on, rate limits off as in bench/http.py) and asked through Werkzeug's test
client, the same requests bench/http.py sends: "step" GETs a diagnosis step with its browser's
cookie, "answer" POSTs an answer there (alternating two, so every POST changes the diagnosis),
"article" GETs an article with no cookie, "search", "search-mixed" and "search-es" the
searches of bench/http.py's rows of those names (the mixed ones: nearly every one worked out
afresh), "bare" a bare Flask app's one route (the floor: what the
test client and Flask cost by themselves). For each row: µs and Python function calls per request,
timed without the profiler, then the profile's top functions. Only the ratios mean something on a
shared machine; bench/http.py measures the pages under gunicorn.
"""

from __future__ import annotations

import os
import sys

# bench/http.py would shadow the standard library's `http` package: this folder goes
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]

import argparse  # noqa: E402
import cProfile  # noqa: E402
import io  # noqa: E402
import pstats  # noqa: E402
import re  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

ROOT = Path(_HERE).parent
sys.path.insert(0, str(ROOT))

FLOW, STEP = "wrong-password", "show-password"  # as bench/http.py
ANSWERS = ("forgotten", "capitals")
ROWS = ("step", "answer", "article", "search", "search-mixed", "search-es", "bare")


def build(instance: Path) -> Any:
    from helpdesk import create_app
    from helpdesk.extensions import db

    app = create_app(
        {
            "instance_dir": instance,
            "secret_key": "bench-" + "x" * 40,
            "site_url": "http://127.0.0.1:5000",
            "rate_limits": False,
            "view_flush_seconds": 0,  # no thread: the profile shows the requests alone
        }
    )
    with app.app_context():
        db.create_all()
    return app


def requests_for(row: str, app: Any) -> Callable[[int], Any]:
    """One request of *row* per call (the argument: the how-manieth)."""
    if row == "bare":
        from bench.pages_under_load import bare_app

        bare = bare_app().test_client()
        return lambda n: bare.get("/articles/forgotten-password")
    if row == "article":
        client = app.test_client(use_cookies=False)
        return lambda n: client.get("/articles/forgotten-password")
    if row.startswith("search"):  # the queries bench/http.py's search rows send
        from bench.pages_under_load import Row, requests_for

        paths = [path for _, path, _, _ in requests_for(Row(row, row), "", "")]
        client = app.test_client(use_cookies=False)
        return lambda n: client.get(paths[n % len(paths)])
    browser = app.test_client()
    started = browser.get(f"/diagnose/{FLOW}", follow_redirects=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', started.get_data(as_text=True))
    assert token is not None, "no CSRF token on the step page"
    page = f"/diagnose/{FLOW}/{STEP}"
    if row == "step":
        return lambda n: browser.get(page)
    return lambda n: browser.post(page, data={"csrf_token": token.group(1), "answer": ANSWERS[n % 2]})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default=",".join(ROWS))
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--sort", default="tottime", choices=("tottime", "cumtime"))
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="helpdesk-profile-") as tmp:
        app = build(Path(tmp) / "instance")
        for row in options.rows.split(","):
            ask = requests_for(row, app)
            for n in range(50):  # warm: templates compiled, caches filled
                answer = ask(n)
                assert answer.status_code < 400, f"{row}: {answer.status_code}"
            count = options.requests
            started = time.perf_counter()
            for n in range(count):
                ask(n)
            micros = (time.perf_counter() - started) / count * 1e6
            profile = cProfile.Profile()
            profile.enable()
            for n in range(count):
                ask(n)
            profile.disable()
            out = io.StringIO()
            stats = pstats.Stats(profile, stream=out)
            calls = stats.total_calls / count  # type: ignore[attr-defined]
            print(f"== {row}: {micros:.0f} µs a request (no profiler), {calls:.0f} calls a request")
            stats.sort_stats(options.sort).print_stats(options.top)
            print("\n".join(out.getvalue().splitlines()[6:]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
