"""Prints what observing a request costs: the request id, the latency histogram, the access line.

    .venv/bin/python bench/observe.py [--requests 3000] [--rounds 5] [--calls 100000]

1. `metrics.request_answered` alone, µs a call: in this process's registry, and in multiprocess
   mode (PROMETHEUS_MULTIPROC_DIR, as under gunicorn: a write to a memory-mapped file), run in a
   child process since the mode is chosen when prometheus_client is imported.
2. web/observe.py's two hooks alone (before_request + after_request) inside one request, µs a
   request: text logs, then JSON logs (the access line written to /dev/null).
3. GET /healthz through Flask's test client, with the two hooks in place and with them taken out,
   alternating rounds (the machine's other load falls on both alike). The difference of the
   medians is the overhead a request, within the noise of a shared machine: 2. is the steadier
   figure. Only figures of one run compare.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from helpdesk import create_app, metrics  # noqa: E402
from helpdesk.web import observe  # noqa: E402


def per_call(calls: int) -> float:
    started = time.perf_counter()
    for n in range(calls):
        metrics.request_answered("public.article", "GET", 200 if n % 50 else 404, 0.003)
    return (time.perf_counter() - started) / calls * 1e6


def app_for(log_format: str):  # type: ignore[no-untyped-def]
    instance = Path(tempfile.mkdtemp())
    return create_app(
        {
            "testing": True,
            "instance_dir": instance,
            "secret_key": "bench",
            "reload_seconds": -1,
            "rate_limits": False,
            "log_format": log_format,
        }
    )


def hooks_out(app):  # type: ignore[no-untyped-def]
    """The app with observe's before_request and after_request taken out (and a way back)."""
    before = app.before_request_funcs[None]
    after = app.after_request_funcs[None]
    begin = next(f for f in before if f.__qualname__.startswith("register.<locals>.begin"))
    end = next(f for f in after if f.__qualname__.startswith("register.<locals>.observed"))

    def remove() -> None:
        before.remove(begin)
        after.remove(end)

    def restore() -> None:
        before.insert(0, begin)
        after.insert(0, end)

    return remove, restore


def hooks_alone(app, calls: int) -> float:  # type: ignore[no-untyped-def]
    from flask import Response

    begin = next(f for f in app.before_request_funcs[None] if "begin" in f.__qualname__)
    end = next(f for f in app.after_request_funcs[None] if "observed" in f.__qualname__)
    with app.test_request_context("/healthz"):
        response = Response("ok")
        started = time.perf_counter()
        for _ in range(calls):
            begin()
            end(response)
        return (time.perf_counter() - started) / calls * 1e6


def per_request(app, requests: int) -> float:  # type: ignore[no-untyped-def]
    client = app.test_client()
    started = time.perf_counter()
    for _ in range(requests):
        client.get("/healthz")
    return (time.perf_counter() - started) / requests * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--calls", type=int, default=100_000)
    parser.add_argument("--only-calls", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    mode = "multiprocess" if metrics.multiprocess_dir() else "one process"
    print(f"metrics.request_answered ({mode}): {per_call(args.calls):.2f} µs a call")
    if args.only_calls:
        return
    with tempfile.TemporaryDirectory() as directory:
        subprocess.run(  # noqa: S603  (this script again, in multiprocess mode)
            [sys.executable, __file__, "--only-calls", "--calls", str(args.calls)],
            env={**os.environ, "PROMETHEUS_MULTIPROC_DIR": directory},
            check=True,
        )
    for log_format in ("text", "json"):
        app = app_for(log_format)
        terminal = sys.stderr
        if log_format == "json":  # the lines are written, to /dev/null rather than the terminal
            sys.stderr = open(os.devnull, "w")  # noqa: SIM115
        alone = hooks_alone(app, args.calls // 5)
        remove, restore = hooks_out(app)
        per_request(app, 200)  # warm up
        with_hooks, without = [], []
        for round_number in range(args.rounds):  # A B, B A, …: a drift of the load favours neither
            if round_number % 2:
                with_hooks.append(per_request(app, args.requests))
            remove()
            without.append(per_request(app, args.requests))
            restore()
            if not round_number % 2:
                with_hooks.append(per_request(app, args.requests))
        sys.stderr = terminal
        a, b = statistics.median(with_hooks), statistics.median(without)
        print(f"the two hooks alone, {log_format} logs: {alone:.1f} µs a request")
        print(
            f"GET /healthz, {log_format} logs: {a:.0f} µs observed, {b:.0f} µs without "
            f"(median of {args.rounds} rounds of {args.requests}): +{a - b:.0f} µs, {a / b - 1:+.1%}"
        )
    assert observe.HEADER  # the module measured


if __name__ == "__main__":
    main()
