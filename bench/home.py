"""Prints how fast the home page and the article index answer with the sample content (13
articles) and with --articles generated ones added, as a ratio: both should be the same.

    .venv/bin/python bench/home.py [--articles 1000] [--rounds 5] [--seconds 5] [--path /]
                                   [--in-process]

Two gunicorn servers (2 sync workers each, on one migrated SQLite database), driven by Debian's
`wrk` in alternating rounds (small, big, small, big, …) so the machine's other load falls on both
alike; the medians of the rounds are compared. Only the ratio means something on a shared machine.
With --in-process, the two apps answer in this one process instead (no gunicorn, no sockets):
less exposed to the machine's other load, and what the page costs the app itself.
"""

from __future__ import annotations

import os
import sys

# bench/http.py would shadow the standard library's `http` package (urllib needs it): this
# folder, which Python put first on the path, goes; the project root comes instead
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]

import argparse  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import socket  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import urllib.request  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(_HERE).parent
sys.path.insert(0, str(ROOT))

from bench.engine import generate  # noqa: E402

WRK = shutil.which("wrk") or "/usr/bin/wrk"
GUNICORN = ["-m", "gunicorn", "-w", "2", "-k", "sync"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "-w",
        "2",
        "-k",
        "sync",
        "-b",
        f"127.0.0.1:{port}",
        "wsgi:app",
    ]
    process = subprocess.Popen(command, cwd=ROOT, env=env)  # noqa: S603
    base = f"http://127.0.0.1:{port}"
    for _ in range(400):
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=5):  # noqa: S310
                return process, base
        except OSError:
            time.sleep(0.3)
    raise RuntimeError("gunicorn did not start")


def rate(url: str, seconds: int) -> float:
    done = subprocess.run(  # noqa: S603
        [WRK, "-t2", "-c4", f"-d{seconds}s", url], capture_output=True, text=True, check=True
    )
    found = re.search(r"Requests/sec:\s+([\d.]+)", done.stdout)
    assert found, done.stdout
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", done.stdout)
    assert non_2xx is None, done.stdout
    return float(found.group(1))


def in_process(big_content: Path, path: str, rounds: int) -> None:
    from werkzeug.test import EnvironBuilder

    from helpdesk import create_app
    from helpdesk.extensions import db

    def make(overrides: dict[str, object]):  # type: ignore[no-untyped-def]
        instance = Path(tempfile.mkdtemp(prefix="helpdesk-home-"))
        app = create_app({"instance_dir": instance, "secret_key": "bench", "rate_limits": False, **overrides})
        with app.app_context():
            db.create_all()
        return app

    few, many = make({}), make({"content_dir": big_content})

    def micros(app, n: int = 400) -> float:  # type: ignore[no-untyped-def]
        start = time.perf_counter()
        for _ in range(n):
            b"".join(app.wsgi_app(EnvironBuilder(path=path).get_environ(), lambda *a: None))
        return (time.perf_counter() - start) / n * 1e6

    micros(few, 50), micros(many, 50)
    a = statistics.median(micros(few) for _ in range(rounds))
    b = statistics.median(micros(many) for _ in range(rounds))
    print(f"GET {path} in process, medians of {rounds} rounds of 400 requests:")
    print(f"  few articles: {a:6.0f} µs   many: {b:6.0f} µs   ratio of rates (many / few): {a / b:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--path", default="/")
    parser.add_argument("--in-process", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="helpdesk-home-") as tmp:
        big = Path(tmp) / "big"
        big.mkdir()
        generate(big, args.articles, flows=0, steps=3)
        shutil.copytree(ROOT / "content", big / "content", dirs_exist_ok=True)
        if args.in_process:
            in_process(big / "content", args.path, args.rounds)
            return
        env = {k: v for k, v in os.environ.items() if not k.startswith("HELPDESK_")}
        env.update(
            HELPDESK_INSTANCE_DIR=str(Path(tmp) / "instance"),
            HELPDESK_SECRET_KEY="bench-" + "x" * 40,
            HELPDESK_RATE_LIMITS="false",
            PYTHONPATH=str(ROOT),
        )
        subprocess.run(
            [sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"], cwd=ROOT, env=env, check=True
        )
        small_server, small = serve(env)
        big_server, large = serve({**env, "HELPDESK_CONTENT_DIR": str(big / "content")})
        try:
            articles = len(list((ROOT / "content").glob("*.md")))
            results: dict[str, list[float]] = {"small": [], "big": []}
            rate(small + args.path, 1), rate(large + args.path, 1)  # warm: the first render
            for _ in range(args.rounds):
                results["small"].append(rate(small + args.path, args.seconds))
                results["big"].append(rate(large + args.path, args.seconds))
            a, b = statistics.median(results["small"]), statistics.median(results["big"])
            print(f"GET {args.path}, medians of {args.rounds} alternating rounds of {args.seconds} s:")
            print(f"  {articles} articles: {a:8.0f} requests/s   {results['small']}")
            print(f"  {articles + args.articles} articles: {b:8.0f} requests/s   {results['big']}")
            print(f"  ratio (many / few): {b / a:.2f}")
        finally:
            for server in (small_server, big_server):
                server.terminate()
                server.wait(timeout=30)


if __name__ == "__main__":
    main()
