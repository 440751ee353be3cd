"""Prints how long the content takes to load and check, and what one diagnosis step costs;
with --memory, what each gunicorn worker holds after warm-up.

.venv/bin/python bench/engine.py [--articles 1000 --flows 200 --steps 40] [--translated 1.0]
.venv/bin/python bench/engine.py --memory [--articles 1000]

Loads are timed three ways: cold (nothing rendered or parsed yet), a worker's boot after the first
(Markdown renderings read from the instance folder by digest), and a live reload after one edit
(only the edited file parsed and rendered again). Timings on a shared machine are noisy: each is
the best of a few runs, printed with its CPU time (this process's and the processes a large load
forks to parse its files), and the sample content is timed in the same run as the baseline. A
load returns before its renderings are written to the instance folder (a thread writes them): the
next run waits for them first, untimed. A load is the app's: the English files, then their
translations in the offered languages (--translated: the share of the generated articles and flows
translated into each of Spanish and Arabic; the sample content ships every one translated).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import re
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from helpdesk import create_app  # noqa: E402
from helpdesk.actions import action_names  # noqa: E402
from helpdesk.cases.diagnoses import answer, flow_for, start_diagnosis  # noqa: E402
from helpdesk.content.catalog import forget_loads, load_catalog  # noqa: E402
from helpdesk.content.render import clear_render_cache, render_inline, renderings_written  # noqa: E402
from helpdesk.content.translations import source_hash  # noqa: E402

LANGUAGES = ("en", "es", "ar")  # HELPDESK_LANGUAGES' default
from helpdesk.extensions import db  # noqa: E402
from helpdesk.flows.engine import compile_flow  # noqa: E402
from helpdesk.models import Diagnosis  # noqa: E402

WORDS = [
    "password",
    "account",
    "sign",
    "in",
    "code",
    "phone",
    "authenticator",
    "recovery",
    "email",
    "link",
    "reset",
    "lock",
    "device",
    "session",
    "browser",
    "clock",
    "time",
    "help",
    "support",
    "verify",
    "address",
    "security",
    "key",
    "app",
    "network",
]


def paragraph(rng: random.Random, n: int = 60) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


def generate(
    directory: Path, articles: int, flows: int, steps: int, seed: int = 7, translated: float = 0.0
) -> None:
    """*articles* articles of 6 sections, *flows* flows of *steps* steps; with *translated*, that
    share of them translated into each of TRANSLATED_INTO (every text, headings pinned, up to date)."""
    rng = random.Random(seed)
    content, flow_dir = directory / "content", directory / "flows"
    content.mkdir()
    flow_dir.mkdir()
    for a in range(articles):
        sections = "\n\n".join(f"## Section {s}\n\n{paragraph(rng)}\n\n{paragraph(rng)}" for s in range(6))
        link = f"See [another](article-{(a + 1) % articles}.md#section-2)."
        (content / f"article-{a}.md").write_text(
            f"---\ntitle: Article {a}\nsummary: {paragraph(rng, 12)}\n"
            f"tags: [generated]\nupdated: 2026-11-25\n---\n{link}\n\n{sections}\n"
        )
    for f in range(flows):
        lines = [f"id: flow-{f}", f"title: Flow {f}", "version: 1", "start: s0", "steps:"]
        for s in range(steps - 2):
            later = [min(s + 1, steps - 3), min(s + 2, steps - 3)]
            lines += [
                f"  s{s}:",
                "    kind: question",
                f"    text: Question {s}?",
                f"    article: article-{rng.randrange(articles)}#section-{rng.randrange(6)}",
                "    choices:",
                "      - id: one",
                "        label: One",
                f"        next: s{later[0]}" if s < steps - 3 else "        next: done",
                "      - id: two",
                "        label: Two",
                f"        next: s{later[1]}" if s < steps - 3 else "        next: help",
                "      - id: unsure",
                "        label: I don't know",
                "        next: help",
            ]
        lines += [
            "  done:",
            "    kind: end",
            "    outcome: resolved",
            "  help:",
            "    kind: end",
            "    outcome: escalate",
        ]
        (flow_dir / f"flow-{f}.yaml").write_text("\n".join(lines) + "\n")
    for language, words in TRANSLATED_INTO.items():
        _translate(directory, language, words, round(articles * translated), round(flows * translated), steps)


# the languages the generated set is translated into, with words of each for its texts
TRANSLATED_INTO = {
    "es": ["contraseña", "cuenta", "entrar", "código", "teléfono", "correo", "enlace", "bloqueo", "clave"],
    "ar": ["كلمة", "المرور", "الحساب", "الدخول", "رمز", "الهاتف", "البريد", "رابط", "قفل", "مفتاح"],
}


def _translate(
    directory: Path, language: str, words: list[str], articles: int, flows: int, steps: int
) -> None:
    """Translations of the first *articles* articles and *flows* flows of the generated set."""
    rng = random.Random(language)

    def text(n: int) -> str:
        return " ".join(rng.choice(words) for _ in range(n)) + "."

    content, flow_dir = directory / "content" / language, directory / "flows" / language
    content.mkdir()
    flow_dir.mkdir()
    for a in range(articles):
        english = (directory / "content" / f"article-{a}.md").read_text()
        sections = "\n\n".join(f"## {text(2)} {{#section-{s}}}\n\n{text(60)}\n\n{text(60)}" for s in range(6))
        link = f"[{text(1)}](article-{(a + 1) % max(articles, 1)}.md#section-2)."
        (content / f"article-{a}.md").write_text(
            f"---\ntitle: {text(2)} {a}\nsummary: {text(12)}\ntags: [{text(1)[:-1]}]\n"
            f"source: {source_hash(english)}\n---\n{link}\n\n{sections}\n"
        )
    for f in range(flows):
        english = (directory / "flows" / f"flow-{f}.yaml").read_text()
        lines = [f'source: "{source_hash(english)}"', f"title: {text(2)} {f}", "steps:"]
        for s in range(steps - 2):
            lines += [f"  s{s}:", f"    text: {text(4)}", "    choices:"]
            lines += [f"      {choice}:\n        label: {text(1)}" for choice in ("one", "two", "unsure")]
        (flow_dir / f"flow-{f}.yaml").write_text("\n".join(lines) + "\n")


def _cpu_seconds() -> float:
    """CPU time of this process and of the processes it waited for (a load's forked parsers)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def timed(label: str, fn, repeat: int = 1, setup=None) -> float:
    """The best wall time of *repeat* runs, printed with that run's CPU time: on a busy machine
    the wall time is mostly the wait for a core, the CPU time hardly changes."""
    samples = []
    for _ in range(repeat):
        if setup is not None:
            setup()  # not timed
        start, start_cpu = time.perf_counter(), _cpu_seconds()
        fn()
        samples.append((time.perf_counter() - start, _cpu_seconds() - start_cpu))
    best, cpu = min(samples)
    print(
        f"{label:<58} {best * 1000:10.1f} ms, CPU {cpu * 1000:8.1f} ms"
        + (f"  (best of {repeat})" if repeat > 1 else "")
    )
    return best


def copy_sample(directory: Path, articles: int, flows: int) -> None:
    """The sample content copied until there are *articles* articles and *flows* flows."""
    content, flow_dir = directory / "content", directory / "flows"
    shutil.copytree(ROOT / "content", content)
    shutil.copytree(ROOT / "flows", flow_dir)
    sample_articles = sorted((ROOT / "content").glob("*.md"))
    sample_flows = sorted((ROOT / "flows").glob("*.yaml"))
    for n in range(articles - len(sample_articles)):
        source = sample_articles[n % len(sample_articles)]
        shutil.copy(source, content / f"copy-{n}-{source.name}")
    for n in range(flows - len(sample_flows)):
        source = sample_flows[n % len(sample_flows)]
        text = re.sub(r"^id: (.+)$", rf"id: copy-{n}-\1", source.read_text(), count=1, flags=re.M)
        (flow_dir / f"copy-{n}-{source.name}").write_text(text)


def time_loads(label: str, content: Path, flows: Path, names: frozenset[str], cache: Path) -> None:
    """Cold, the next worker's boot (renderings on disk), and a reload after one edit."""

    def load(expect_ok: bool = True) -> None:
        loaded = load_catalog(content, flows, names, render_cache=cache, languages=LANGUAGES)
        assert not loaded.problems or not expect_ok, loaded.problems[:3]
        assert not loaded.translations.errors, loaded.translations.errors[:3]

    def forget_all() -> None:
        # the last load's renderings, written by a thread of their own after it returned, are
        # on disk before anything is cleared (a cold load must find none)
        renderings_written()
        shutil.rmtree(cache, ignore_errors=True)
        forget_memory()

    def forget_memory() -> None:
        renderings_written()
        clear_render_cache()
        render_inline.cache_clear()
        forget_loads()

    edited = sorted(content.glob("*.md"))[0]
    original = edited.read_text()
    edits = iter(range(1000))

    def reload_after_one_edit() -> None:
        edited.write_text(original + f"\nEdit {next(edits)}.\n")
        load()

    print(label)
    timed("  load + validate + compile, cold (nothing rendered yet)", load, repeat=3, setup=forget_all)
    timed("  the same at a worker's next boot (renderings on disk)", load, repeat=3, setup=forget_memory)
    load()
    timed("  a live reload after an edit to one article", reload_after_one_edit, repeat=3)
    edited.write_text(original)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--flows", type=int, default=200)
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--moves", type=int, default=2000)
    parser.add_argument(
        "--translated", type=float, default=0.0, help="share of the generated set translated into es and ar"
    )
    parser.add_argument(
        "--memory", action="store_true", help="RSS, PSS and private memory per gunicorn worker after warm-up"
    )
    args = parser.parse_args()
    if args.memory:
        memory(args.articles)
        return
    names = frozenset(action_names())

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        sample_catalog = load_catalog(ROOT / "content", ROOT / "flows", names)
        print(f"sample content: {len(sample_catalog.articles)} articles, {len(sample_catalog.flows)} flows")
        time_loads("the sample content", ROOT / "content", ROOT / "flows", names, work / "cache-sample")
        copied = work / "copied"
        copy_sample(copied, args.articles, args.flows)
        time_loads(
            f"the sample copied to {args.articles} articles and {args.flows} flows",
            copied / "content",
            copied / "flows",
            names,
            work / "cache-copied",
        )
        generated = work / "generated"
        generated.mkdir()
        generate(generated, args.articles, args.flows, args.steps, translated=args.translated)
        translated = f", {args.translated:.0%} translated into es, ar" if args.translated else ""
        time_loads(
            f"generated: {args.articles} articles of 6 sections, {args.flows} flows of {args.steps} steps"
            + translated,
            generated / "content",
            generated / "flows",
            names,
            work / "cache-generated",
        )
        catalog = load_catalog(generated / "content", generated / "flows", names)
        flow = catalog.flows["flow-0"]

        builds = []
        for _ in range(200):
            start = time.perf_counter()
            assert compile_flow(flow.flow).machine  # built on first use
            builds.append(time.perf_counter() - start)
        moves = []
        for _ in range(args.moves):
            start = time.perf_counter()
            flow.move("s0", "one")
            moves.append(time.perf_counter() - start)

        app = create_app(
            {
                "testing": True,
                "secret_key": "bench",
                "instance_dir": work / "instance",
                "database_url": f"sqlite:///{work / 'bench.sqlite3'}",
                "content_dir": generated / "content",
                "flows_dir": generated / "flows",
                "rate_limits": False,
            }
        )
        with app.app_context():
            db.create_all()
            live = app.extensions["helpdesk.catalog"].flows["flow-0"]
            step_costs = []
            for _ in range(max(1, args.moves // 20)):
                diagnosis_id = start_diagnosis(live).id
                db.session.remove()
                for _ in range(args.steps - 3):
                    start = time.perf_counter()
                    diagnosis = db.session.get(Diagnosis, diagnosis_id)  # restore
                    compiled = flow_for(diagnosis, live)
                    answer(diagnosis, compiled, diagnosis.step, "one")  # trigger + persist
                    db.session.remove()
                    step_costs.append(time.perf_counter() - start)
    us = 1e6

    def line(label: str, seconds: float, extra: str = "") -> None:
        print(f"{label:<58} {seconds * us:10.1f} µs median{extra}")

    line("build one Machine (compile a 40-step flow)", statistics.median(builds))
    line("fire one trigger on a restored model", statistics.median(moves))
    p95 = statistics.quantiles(step_costs, n=20)[-1] * us
    line(
        "one step: restore + trigger + persist (SQLite file)",
        statistics.median(step_costs),
        f", p95 {p95:.1f} µs",
    )


def _memory_mb(pid: int) -> tuple[float, float, float]:
    """A process's resident memory (RSS), its proportional share (PSS: each page shared with the
    master and the other workers counted by the number sharing it) and its private memory (USS,
    what it would give back on exit), in MB, from /proc/PID/smaps_rollup."""
    rollup: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        name, _, value = line.partition(":")
        rollup[name] = int(value.split()[0])
    private = rollup["Private_Clean"] + rollup["Private_Dirty"]
    return rollup["Rss"] / 1024, rollup["Pss"] / 1024, private / 1024


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def worker_memory(
    content: Path, flows: Path, instance: Path, workers: int = 2
) -> tuple[list[tuple[float, float, float]], ...]:
    """Start `gunicorn wsgi:app` as deployed (deploy/gunicorn.conf.py when there is one), visit
    the pages a reader visits (home, index, a diagnosis, every article, 300 searches) twice, and read
    each worker's resident memory; then use what imports its libraries on first use (a password's
    strength, a link check, passkey sign-in options) a few times and read it again, and the
    master's (the workers were forked from it: what it holds, they share)."""
    env = {
        **os.environ,
        "HELPDESK_INSTANCE_DIR": str(instance),
        "HELPDESK_CONTENT_DIR": str(content),
        "HELPDESK_FLOWS_DIR": str(flows),
        "HELPDESK_SECRET_KEY": "bench-" * 8,
        "HELPDESK_RATE_LIMITS": "false",
    }
    flask = [sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"]
    subprocess.run(flask, cwd=ROOT, env=env, check=True, capture_output=True)  # noqa: S603
    port = _free_port()
    command = [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--bind", f"127.0.0.1:{port}"]
    if (ROOT / "deploy" / "gunicorn.conf.py").is_file():
        command += ["--config", str(ROOT / "deploy" / "gunicorn.conf.py")]
    server = subprocess.Popen(  # noqa: S603
        [*command, "wsgi:app"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(url + "/healthz", timeout=2).close()  # noqa: S310 (loopback)
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    failed = server.stderr.read().decode()[-3000:] if server.stderr else "no server"
                    raise SystemExit(failed) from None
                time.sleep(0.2)
        # every article: a worker's page cache fills up (web/caching.py keeps the most read 256),
        # as it does once readers have come by every page
        articles = sorted(content.glob("*.md"))
        pages = ["/", "/articles", "/search?q=password", "/search?q=authenticator+code"]
        pages += ["/diagnose/wrong-password"] + [f"/articles/{path.stem}" for path in articles]
        # and 300 different searches: the kept results (256) and results pages (64) fill up too
        titles = [_title(path) for path in articles]
        pages += [f"/search?q={urllib.parse.quote_plus(title)}" for title in (titles * 300)[:300]]
        for _ in range(2):  # both workers take some of each
            for page in pages:
                with contextlib.suppress(OSError):  # a redirect or 404 is warm-up all the same
                    urllib.request.urlopen(url + page, timeout=60).close()  # noqa: S310 (loopback)
        time.sleep(1)
        children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
        readers = [_memory_mb(int(pid)) for pid in children]
        for _ in range(4 * workers):  # each worker takes some: connections go to whichever is free
            _every_feature(url)
        time.sleep(1)
        return readers, [_memory_mb(int(pid)) for pid in children], [_memory_mb(server.pid)]
    finally:
        server.terminate()
        server.wait(timeout=30)


def _title(article: Path) -> str:
    found = re.search(r"^title: *(.+)$", article.read_text(encoding="utf-8"), re.MULTILINE)
    return found.group(1).strip("\"' ") if found else article.stem


def _every_feature(url: str) -> None:
    """What a reader's pages never do: check a password's strength, check a link, ask for passkey
    sign-in options (each a POST with the page's CSRF token, as the site's scripts send it)."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
    with opener.open(url + "/check-link", timeout=60) as page:
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.read().decode())
    headers = {"X-CSRFToken": token.group(1) if token else ""}
    form = "application/x-www-form-urlencoded"
    posts = [
        ("/password/strength", b"password=river-stone-lantern-42", form),
        ("/check-link", b"link=https%3A%2F%2Fhelp.example.org.sign-in.example.net%2F", form),
        ("/login/passkey/options", b'{"email": "someone@example.org"}', "application/json"),
    ]
    for path, body, kind in posts:
        request = urllib.request.Request(  # noqa: S310 (loopback)
            url + path, data=body, headers={**headers, "Content-Type": kind}
        )
        with contextlib.suppress(OSError):  # a refusal is still the library imported
            opener.open(request, timeout=60).close()


def memory(articles: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        sets = {"sample content": ROOT / "content"}
        # the sample content and its flows (the site's own pages link to them), plus generated articles
        generated = work / "generated"
        generated.mkdir()
        generate(generated, articles, 0, 0)
        content = work / "content"
        shutil.copytree(ROOT / "content", content)
        shutil.copytree(generated / "content", content, dirs_exist_ok=True)  # its language folders too
        sets[f"sample + {articles} articles"] = content
        print("each worker of 2: RSS / PSS / private (USS), in MB")
        print(f"{'':<26} {'after reader pages':<30} {'then password, link, passkey':<30} the master")
        for number, (name, folder) in enumerate(sets.items()):
            readers, everything, master = worker_memory(folder, ROOT / "flows", work / f"instance-{number}")
            print(f"{name:<26} {_megabytes(readers):<30} {_megabytes(everything):<30} {_megabytes(master)}")


def _megabytes(workers: list[tuple[float, float, float]]) -> str:
    return ", ".join(" / ".join(f"{value:.0f}" for value in worker) for worker in workers)


if __name__ == "__main__":
    main()
