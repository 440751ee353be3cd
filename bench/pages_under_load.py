"""Prints how fast the site serves its pages under load, as a ratio to a bare Flask app.

    .venv/bin/python bench/http.py [--rows step,answer,article,search,home,home-big,healthz,static]
                                   [--seconds 5] [--rounds 3] [--articles 1000]
                                   [--database-url postgresql+psycopg://…]

It starts, each under the same gunicorn settings (2 sync workers, as the issue's baseline was
measured; deploy/ uses gthread workers), on free ports of 127.0.0.1:

- the app, as `make run` serves it: a temporary instance directory, a database migrated with
  `flask db upgrade` (a SQLite file there, or --database-url), the demo accounts (`flask demo
  load`), the sample content; rate limits off (a benchmark is thousands of answers an hour);
- for the row "home-big" only, the same app with --articles generated articles added to the
  sample content (bench/engine.py's generator);
- a bare Flask app: one route answering every path and method with a short string, the physical
  limit of this stack on this machine.

Then, row by row, it drives the app and the bare app with Debian's `wrk` in alternating rounds
(bare, app, bare, app, …: the machine's other load falls on both alike) with the very same
requests (same cookies, same body), and prints for each row the median of the rounds: requests/s
of the app and of bare, their ratio, the CPU time the workers spent per request (read from /proc)
and bare's over the app's, and the app's latency p50/p99. Only ratios measured in one run mean
something; on a machine busy with other work the CPU ratio is the steadier of the two.

The diagnosis rows use diagnoses started here, each with its own cookie (and CSRF token for the
answer): "step" GETs the first step's page; "answer" POSTs an answer there, alternating between
two answers so that every POST changes the diagnosis (a rewind and a write), and counts the POST
alone (303): the page it redirects to is the "step" row.
"""

from __future__ import annotations

import os
import sys

# This file is named http.py: its folder must not shadow the standard library's `http` package
# (urllib, http.cookiejar, gunicorn import it). Python put the folder first on the path.
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]

import argparse  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import urllib.error  # noqa: E402
import urllib.parse  # noqa: E402
import urllib.request  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from http.cookiejar import CookieJar  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(_HERE).parent
WRK = "/usr/bin/wrk"
INSTALL_WRK = "wrk is not installed: `sudo apt-get install wrk` (Debian, Ubuntu) installs it."
GUNICORN = ["-w", "2", "-k", "sync", "--log-level", "warning"]  # the same for the app and bare
FLOW, STEP = "wrong-password", "show-password"  # a question with help text and an article beside it
ANSWERS = ("forgotten", "capitals")  # two answers of STEP leading to further steps
SESSIONS = 8  # diagnoses (cookies) the diagnosis rows go round, so no two requests race on one


@dataclass(frozen=True)
class Row:
    name: str
    label: str
    server: str = "app"  # or "big": the app with the generated articles


ROWS = [
    Row("step", "diagnosis step (GET)"),
    Row("answer", "answering a step (POST)"),
    Row("article", "article"),
    Row("article-es", "article, /es/ (prefixed)"),
    Row("article-negotiated", "article, Accept-Language: es"),
    Row("search", "search (a query that matches)"),
    Row("search-mixed", "search, 2,000 different queries"),
    Row("search-es", "search, /es/, 2,000 Spanish queries"),
    Row("home", "home, 13 articles"),
    Row("home-big", "home, {articles} articles", server="big"),
    Row("healthz", "/healthz"),
    Row("static", "static file"),
]


# -- bare: what gunicorn serves as the baseline (`bench.pages_under_load:bare_app()`) ----------


def bare_app():  # type: ignore[no-untyped-def]
    from flask import Flask

    app = Flask("bare")

    @app.route("/", defaults={"path": ""}, methods=["GET", "POST"])
    @app.route("/<path:path>", methods=["GET", "POST"])
    def anything(path: str) -> str:
        return "ok"

    return app


# -- the figures -------------------------------------------------------------------------------


@dataclass
class Round:
    """One wrk run, as its Lua done() reports it."""

    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    bad: int = 0  # non-2xx/3xx answers and socket errors
    cpu_seconds: float = 0.0  # what the server's workers used meanwhile (user + system)

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def cpu_us(self) -> float:
        """CPU time per request, in µs: unlike requests/s, hardly changed by the machine's
        other load (which takes turns on the cores, not cycles out of this work)."""
        return self.cpu_seconds / self.requests * 1e6 if self.requests else 0.0


@dataclass
class Result:
    row: Row
    app: list[Round] = field(default_factory=list)
    bare: list[Round] = field(default_factory=list)

    @staticmethod
    def _median(rounds: list[Round], attribute: str) -> float:
        return statistics.median(getattr(r, attribute) for r in rounds) if rounds else 0.0

    @property
    def ratio(self) -> float:
        """The median over rounds of app/bare, each round's app run next to its own bare run."""
        pairs = [a.rate / b.rate for a, b in zip(self.app, self.bare, strict=False) if b.rate]
        return statistics.median(pairs) if pairs else 0.0

    @property
    def cpu_ratio(self) -> float:
        """Bare's CPU time per request over the app's (median of rounds): the share of bare's
        throughput the app would reach on cores of its own."""
        pairs = [b.cpu_us / a.cpu_us for a, b in zip(self.app, self.bare, strict=False) if a.cpu_us]
        return statistics.median(pairs) if pairs else 0.0

    def line(self, articles: int) -> str:
        median = self._median
        bad = sum(r.bad for r in self.app)
        return (
            f"| {self.row.label.format(articles=articles):<32} | {median(self.app, 'rate'):8.0f} "
            f"| {median(self.bare, 'rate'):8.0f} | {self.ratio:6.2f} | {median(self.app, 'cpu_us'):7.0f} "
            f"| {median(self.bare, 'cpu_us'):7.0f} | {self.cpu_ratio:6.2f} "
            f"| {median(self.app, 'p50_ms'):7.1f} | {median(self.app, 'p99_ms'):7.1f} | {bad:>5} |"
        )


HEADER = (
    "| page                             |  app r/s | bare r/s | × bare "  # noqa: RUF001
    "| app µs  | bare µs | × bare | p50 ms  | p99 ms  |  bad  |\n"  # noqa: RUF001
    "|----------------------------------|---------:|---------:|-------:"
    "|--------:|--------:|-------:|--------:|--------:|------:|"
)


def table(results: list[Result], articles: int) -> str:
    return "\n".join([HEADER, *(r.line(articles) for r in results)])


# -- wrk ---------------------------------------------------------------------------------------

LUA = """
local requests = %(requests)s
local per_thread = %(per_thread)d
local threads = 0
function setup(thread)
  thread:set("first", threads * per_thread)
  threads = threads + 1
end
function init(args)
  built = {}
  for n, r in ipairs(requests) do
    built[n] = wrk.format(r[1], r[2], r[3], r[4])
  end
  at = first or 0
end
function request()
  at = at %% #built + 1
  return built[at]
end
function done(summary, latency, _)
  local e = summary.errors
  io.write(string.format("RESULT %%d %%d %%d %%d %%d\\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99), e.status + e.connect + e.read + e.write + e.timeout))
end
"""


def _lua_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def lua_script(requests: list[tuple[str, str, dict[str, str], str]], threads: int) -> str:
    """A wrk script going round *requests* (method, path, headers, body); each thread starts at
    its own share of them, and done() prints one RESULT line."""
    items = []
    for method, path, headers, body in requests:
        heads = ", ".join(f"[{_lua_string(k)}] = {_lua_string(v)}" for k, v in headers.items())
        sent = _lua_string(body) if body else "nil"
        items.append(f"{{{_lua_string(method)}, {_lua_string(path)}, {{{heads}}}, {sent}}}")
    per_thread = max(1, len(requests) // threads)
    return LUA % {"requests": "{" + ",\n  ".join(items) + "}", "per_thread": per_thread}


def parse_result(output: str) -> Round:
    found = re.search(r"^RESULT (\d+) (\d+) (\d+) (\d+) (\d+)$", output, re.M)
    if found is None:
        raise RuntimeError(f"wrk printed no result:\n{output}")
    requests, micros, p50, p99, bad = (int(x) for x in found.groups())
    return Round(requests, micros / 1e6, p50 / 1000, p99 / 1000, bad)


def run_wrk(server: Server, script: Path, seconds: int, threads: int, connections: int) -> Round:
    command = [
        WRK,
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(script),
        server.base,
    ]
    cpu = server.cpu_seconds()
    done = subprocess.run(command, capture_output=True, text=True)  # noqa: S603
    if done.returncode:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stdout}{done.stderr}")
    found = parse_result(done.stdout)
    found.cpu_seconds = server.cpu_seconds() - cpu
    return found


# -- the servers -------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    def __init__(self, name: str, app: str, env: dict[str, str], ready_path: str) -> None:
        self.name, self.port = name, free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        command = [sys.executable, "-m", "gunicorn", *GUNICORN, "-b", f"127.0.0.1:{self.port}", app]
        self.process = subprocess.Popen(command, cwd=ROOT, env=env)  # noqa: S603
        deadline = time.monotonic() + 120
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"{name}: gunicorn exited with {self.process.returncode}")
            try:
                with urllib.request.urlopen(self.base + ready_path, timeout=5) as answer:  # noqa: S310
                    if answer.status == 200:
                        break
            except (OSError, urllib.error.URLError):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{name}: not ready after 120 s")
            time.sleep(0.3)

    def cpu_seconds(self) -> float:
        """User + system CPU time of the server's workers (gunicorn's children) so far."""
        total = 0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue  # gone meanwhile
            if int(fields[1]) == self.process.pid:  # its parent
                total += int(fields[11]) + int(fields[12])  # utime, stime
        return total / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()


def app_environment(instance: Path, database_url: str, content_dir: Path | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HELPDESK_")}
    env.update(
        HELPDESK_INSTANCE_DIR=str(instance),
        HELPDESK_SECRET_KEY="bench-" + "x" * 40,
        HELPDESK_SITE_URL="http://127.0.0.1:5000",
        HELPDESK_RATE_LIMITS="false",
        PYTHONPATH=str(ROOT),
    )
    if database_url:
        env["HELPDESK_DATABASE_URL"] = database_url
    if content_dir is not None:
        env["HELPDESK_CONTENT_DIR"] = str(content_dir)
    return env


def prepare_instance(env: dict[str, str]) -> None:
    """What `make run` does before serving: migrate, then the demo accounts."""
    flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
    for command in (["db", "upgrade"], ["demo", "load"]):
        done = subprocess.run([*flask, *command], cwd=ROOT, env=env, capture_output=True, text=True)  # noqa: S603
        if done.returncode:
            raise RuntimeError(f"flask {' '.join(command)} failed:\n{done.stdout}{done.stderr}")


def big_content(directory: Path, articles: int) -> Path:
    """The sample content plus *articles* generated ones (bench/engine.py's generator)."""
    sys.path.insert(0, str(ROOT))
    from bench.engine import generate

    directory.mkdir()
    generate(directory, articles, flows=0, steps=3)
    shutil.copytree(ROOT / "content", directory / "content", dirs_exist_ok=True)
    return directory / "content"


# -- what the rows request ---------------------------------------------------------------------


def started_diagnosis(base: str) -> tuple[str, str]:
    """A browser that started the benchmark's flow: its Cookie header and its CSRF token."""
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(f"{base}/diagnose/{FLOW}", timeout=30) as page:
        html = page.read().decode()
        if not page.url.endswith(f"/diagnose/{FLOW}/{STEP}"):
            raise RuntimeError(f"the flow began at {page.url}, not at {STEP}")
    token = re.search(r'name="csrf_token" value="([^"]+)"', html)
    if token is None:
        raise RuntimeError("no CSRF token on the step page")
    return "; ".join(f"{c.name}={c.value}" for c in jar), token.group(1)


def requests_for(row: Row, base: str, static_path: str) -> list[tuple[str, str, dict[str, str], str]]:
    if row.name in ("step", "answer"):
        browsers = [started_diagnosis(base) for _ in range(SESSIONS)]
        page = f"/diagnose/{FLOW}/{STEP}"
        if row.name == "step":
            return [("GET", page, {"Cookie": cookie}, "") for cookie, _ in browsers]
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        return [
            (
                "POST",
                page,
                {"Cookie": cookie, **form},
                urllib.parse.urlencode({"csrf_token": token, "answer": a}),
            )
            for a in ANSWERS  # each browser's answers alternate: every POST changes its diagnosis
            for cookie, token in browsers
        ]
    if row.name == "search-mixed":
        return [("GET", f"/search?q={urllib.parse.quote(q)}", {}, "") for q in mixed_queries()]
    if row.name == "search-es":
        spanish = mixed_queries(folder=ROOT / "content" / "es", word=r"[^\W\d_]{5,}")
        return [("GET", f"/es/search?q={urllib.parse.quote(q)}", {}, "") for q in spanish]
    if row.name == "article-negotiated":  # the fast path, keyed by the language the header asks
        return [("GET", "/articles/forgotten-password", {"Accept-Language": "es-ES,es;q=0.9,en;q=0.5"}, "")]
    path = {
        "article": "/articles/forgotten-password",
        "article-es": "/es/articles/forgotten-password",
        "search": "/search?q=password",
        "home": "/",
        "home-big": "/",
        "healthz": "/healthz",
        "static": static_path,
    }[row.name]
    return [("GET", path, {}, "")]


def mixed_queries(
    count: int = 2000, folder: Path = ROOT / "content", word: str = "[A-Za-z]{5,}"
) -> list[str]:
    """Different queries people might type, from the sample articles' own words (those of
    *folder*: content/es for Spanish ones) in pairs: far more than the search keeps answers for,
    so nearly every request is worked out afresh."""
    words = sorted(
        {
            w.lower()
            for path in folder.glob("*.md")
            for w in re.findall(word, path.read_text(encoding="utf-8"))
        }
    )
    pairs = [
        f"{a} {b}" for step in (7, 13) for a, b in zip(words, words[step:] + words[:step], strict=True)
    ]
    return (words + pairs)[:count]


def static_link(base: str) -> str:
    """The style sheet the home page links to (its name may carry a content hash)."""
    with urllib.request.urlopen(base + "/", timeout=30) as page:  # noqa: S310
        found = re.search(r'href="(/static/[^"?]+\.css)', page.read().decode())
    return found.group(1) if found else "/static/site.css"


def check(base: str, requests: list[tuple[str, str, dict[str, str], str]]) -> None:
    """Each request once, by hand: a row measuring error pages would be worthless."""
    for method, path, headers, body in requests[:2]:
        sent = urllib.request.Request(  # noqa: S310
            base + path, data=body.encode() or None, headers=headers, method=method
        )
        opener = urllib.request.build_opener(_NoRedirect)
        try:
            with opener.open(sent, timeout=30) as answer:
                status = answer.status
        except urllib.error.HTTPError as error:
            status = error.code
        if status >= 400:
            raise RuntimeError(f"{method} {path} answered {status}")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None


# -- the run -----------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--rows",
        default=",".join(r.name for r in ROWS),
        help="comma-separated, of: " + ", ".join(r.name for r in ROWS),
    )
    parser.add_argument("--seconds", type=int, default=5, help="each wrk run")
    parser.add_argument("--rounds", type=int, default=3, help="A/B rounds per row")
    parser.add_argument("--articles", type=int, default=1000, help="generated articles of home-big")
    parser.add_argument("--connections", type=int, default=2 * (os.cpu_count() or 1))
    parser.add_argument("--database-url", default="", help="default: a SQLite file in the instance")
    options = parser.parse_args()
    if not Path(WRK).exists() and shutil.which("wrk") is None:
        print(INSTALL_WRK, file=sys.stderr)
        return 2
    wanted = options.rows.split(",")
    rows = [r for r in ROWS if r.name in wanted]
    if unknown := set(wanted) - {r.name for r in ROWS}:
        parser.error(f"unknown rows: {', '.join(sorted(unknown))}")
    threads = min(options.connections, os.cpu_count() or 1)
    wrk = WRK if Path(WRK).exists() else str(shutil.which("wrk"))
    globals()["WRK"] = wrk

    servers: dict[str, Server] = {}
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="helpdesk-bench-") as tmp:
        try:
            instance = Path(tmp) / "instance"
            env = app_environment(instance, options.database_url)
            prepare_instance(env)
            bare = "bench.pages_under_load:bare_app()"
            servers["bare"] = Server("bare", bare, {**env, "PYTHONPATH": str(ROOT)}, "/")
            servers["app"] = Server("app", "wsgi:app", env, "/healthz")
            if any(r.server == "big" for r in rows):
                content = big_content(Path(tmp) / "big", options.articles)
                big_env = app_environment(instance, options.database_url, content)
                servers["big"] = Server("big", "wsgi:app", big_env, "/healthz")
            static_path = static_link(servers["app"].base)
            database = options.database_url.split("://")[0] if options.database_url else "sqlite"
            print(
                f"gunicorn {' '.join(GUNICORN)}; wrk -t{threads} -c{options.connections}, "
                f"{options.rounds} rounds of {options.seconds:g} s per row; database: {database}",
                flush=True,
            )
            for row in rows:
                app = servers[row.server]
                requests = requests_for(row, app.base, static_path)
                check(app.base, requests)
                script = Path(tmp) / f"{row.name}.lua"
                script.write_text(lua_script(requests, threads))
                result = Result(row)
                run_wrk(app, script, 1, threads, options.connections)  # warm up
                run_wrk(servers["bare"], script, 1, threads, options.connections)
                for _ in range(options.rounds):
                    result.bare.append(
                        run_wrk(servers["bare"], script, options.seconds, threads, options.connections)
                    )
                    result.app.append(run_wrk(app, script, options.seconds, threads, options.connections))
                results.append(result)
                print(result.line(options.articles), flush=True)
        finally:
            for server in servers.values():
                server.stop()
    print()
    print(table(results, options.articles))
    print("\nrequests/s and x bare: median of the rounds; p50/p99: the app's latency, median of the rounds;")
    print("µs: CPU time of the server's workers per request (user + system), and bare's over the app's:")
    print("on a machine busy with other work, the CPU ratio is the steadier estimate of x bare.")
    print("bad: answers other than 2xx/3xx and socket errors, all rounds of the app together.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
