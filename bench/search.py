"""Prints search latency (p50/p95/p99) over a generated set of articles, for a fixed query mix.

.venv/bin/python bench/search.py [--articles 10000 --rounds 30 --database-url URL]
                                 [--translated 0.5 --language en|es|ar]

The articles are written from the words of the sample content plus made-up words, drawn with a
Zipf-like skew (a few words in nearly every article, most in few), so common words match
thousands of articles as they would in a large help center. A share of them (--translated) is
translated into Spanish and Arabic, written the same way from the words of content/es and
content/ar: each language's index holds as many pages as it would, and --language searches one
of them with queries in that language (the English pages come after the reader's). Each timing
is one whole search() call as the search page makes it: typo correction, ranking, snippets and
links, asked afresh each time (search keeps its latest answers per content version:
--kept-answers measures with them).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import itertools
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from helpdesk import create_app  # noqa: E402
from helpdesk.content.articles import Article  # noqa: E402
from helpdesk.content.live import KEY  # noqa: E402
from helpdesk.content.render import Heading, packed  # noqa: E402
from helpdesk.content.translations import ArticleTranslation  # noqa: E402
from helpdesk.extensions import db  # noqa: E402
from helpdesk.search import KEY as SEARCH_KEY  # noqa: E402
from helpdesk.search import Answers, search  # noqa: E402
from helpdesk.search.documents import documents  # noqa: E402
from helpdesk.search.words import ARABIC_STOP_WORDS, SPANISH_STOP_WORDS, STOP_WORDS, words  # noqa: E402

TOPICS = 300
SIGN_IN = 10  # of the topics
QUERIES = {
    "one common word": ["password", "account", "code", "email", "phone"],
    "two or three words": ["reset password", "authenticator code refused", "locked account", "lost phone"],
    "a question": ["how do I reset my password", "why is my code refused"],
    "misspelt": ["pasword", "authentcator", "lockd out", "recovry codes"],
    "as you type (prefix)": ["pass", "auth", "reset pa", "recovery co"],
    "finds nothing": ["zqxvw", "qqzzx vvkk"],
    "some words match": ["password zebra", "authenticator xylophone"],
    "long or hostile": ["x" * 10_000, '"unbalanced AND (NEAR', "пароль"],
}


QUERIES_ES = {
    "one common word": ["contraseña", "cuenta", "código", "correo", "teléfono"],
    "two or three words": [
        "restablecer contraseña",
        "código rechazado",
        "cuenta bloqueada",
        "teléfono perdido",
    ],
    "a question": ["cómo restablezco mi contraseña", "por qué rechaza mi código"],
    "misspelt": ["contrasña", "autenticadr", "bloqeada", "códigos de recuperacion"],
    "as you type (prefix)": ["contra", "auten", "restablecer con", "códigos de rec"],
    "finds nothing": ["zqxvw", "qqzzx vvkk"],
    "English pages only": ["password", "authenticator"],
    "long or hostile": ["x" * 10_000, '"unbalanced AND (NEAR', "пароль"],
}
QUERIES_AR = {
    "one common word": ["كلمة", "المرور", "الحساب", "رمز", "الهاتف"],
    "two or three words": ["كلمة المرور", "الحساب مقفل", "رمز التحقق"],
    "a question": ["نسيت كلمة المرور"],
    "as you type (prefix)": ["كلم", "الحسا"],
    "finds nothing": ["zqxvw"],
    "English pages only": ["password", "authenticator"],
    "long or hostile": ["x" * 10_000, '"unbalanced AND (NEAR'],
}
STOP = {"en": STOP_WORDS, "es": SPANISH_STOP_WORDS, "ar": ARABIC_STOP_WORDS}


def zipf_sampler(rng: random.Random, vocab: list[str]) -> Callable[[int], list[str]]:
    """Draws words so that the n-th of *vocab* comes 1/n as often as the first."""
    cumulative = list(itertools.accumulate(1 / (rank + 1) for rank in range(len(vocab))))
    return lambda n: rng.choices(vocab, cum_weights=cumulative, k=n)


def generated_articles(
    count: int, *, one_topic: bool = False, seed: int = 11, language: str = "en"
) -> dict[str, Article]:
    """*count* articles in TOPICS topics: a third of each article's words come from its topic's
    own words, the rest from words common to all. The sample content's words (password, code,
    authenticator…) are the words of the sign-in topics, as they would be in a help center that
    large. With *one_topic*, every article is about sign-in: the slowest case, where the common
    words of the queries are in nearly every article."""
    rng = random.Random(seed)
    folder = ROOT / "content" / ("" if language == "en" else language)
    real = Counter(w for path in folder.glob("*.md") for w in words(path.read_text()))
    common = [w for w, _ in real.most_common() if w in STOP[language]]
    subject = [w for w, _ in real.most_common() if w not in STOP[language]]
    syllables = ["ka", "lo", "mi", "ren", "sto", "vu", "pel", "dra", "tin", "os", "bra", "que", "zu", "fen"]
    made = ("".join(parts) for n in (3, 4) for parts in itertools.product(syllables, repeat=n))
    invented = sorted(set(made) - set(real))
    rng.shuffle(invented)
    general = zipf_sampler(rng, common + invented[:2000])
    if one_topic:
        topics = [zipf_sampler(rng, subject + invented[2000:4000])]
    else:
        # the first topics are about signing in; the others have made-up subjects of their own
        per_topic = 60
        sign_in = [
            zipf_sampler(rng, rng.sample(subject, min(per_topic * 3, len(subject)))) for _ in range(SIGN_IN)
        ]
        others = [
            zipf_sampler(rng, invented[2000 + t * per_topic : 2000 + (t + 1) * per_topic])
            for t in range(TOPICS - SIGN_IN)
        ]
        topics = sign_in + others

    found = {}
    for a in range(count):
        topic = topics[a % len(topics)]

        def text(n: int, topic: Callable[[int], list[str]] = topic) -> str:
            about = topic(n // 3 + 1)
            mixed = general(n - len(about)) + about
            rng.shuffle(mixed)
            return " ".join(mixed)

        headings = tuple(Heading(2, f"part-{s}", " ".join(topic(3)).capitalize()) for s in range(5))
        html = "".join(
            f'<h2 id="{h.id}">{h.title}</h2><p>{text(60)}.</p><p>{text(40)}.</p>' for h in headings
        )
        slug = f"generated-{a}"
        found[slug] = Article(
            slug=slug,
            title=" ".join(topic(rng.randint(3, 6))).capitalize(),
            summary=text(16).capitalize() + ".",
            path=f"generated/{slug}.md",
            digest=str(a),
            packed_html=packed(html),
            headings=headings,
            spans={},
            links=(),
            tags=tuple(topic(2)),
            updated=dt.date(2026, 11, 25),
        )
    return found


def translations_of(
    count: int, share: float, *, one_topic: bool
) -> dict[tuple[str, str], ArticleTranslation]:
    """The first *share* of *count* generated articles in Spanish and in Arabic (words of their own)."""
    translated = int(count * share)
    found = {}
    for seed, language in ((12, "es"), (13, "ar")):
        made = generated_articles(translated, one_topic=one_topic, seed=seed, language=language)
        for slug, article in made.items():
            found[(language, slug)] = ArticleTranslation(
                language, slug, f"{language}/{article.path}", source="", source_line=1, article=article
            )
    return found


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument(
        "--one-topic", action="store_true", help="every article about signing in (the slowest case)"
    )
    parser.add_argument("--database-url", default="", help="default: a SQLite file (FTS5 in memory)")
    parser.add_argument(
        "--translated", type=float, default=0.5, help="share of the articles also in Spanish and Arabic"
    )
    parser.add_argument("--language", default="en", choices=("en", "es", "ar"), help="the queries' language")
    parser.add_argument(
        "--kept-answers",
        action="store_true",
        help="let search keep its answers per content version (default: every search asked afresh)",
    )
    options = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        url = options.database_url or f"sqlite:///{tmp}/bench.sqlite3"
        app = create_app(
            {"testing": True, "secret_key": "bench", "database_url": url, "instance_dir": Path(tmp) / "i"}
        )
        with app.app_context():
            there_before = set(sa.inspect(db.engine).get_table_names())
            db.create_all()
            served = app.extensions[KEY]
            started = time.perf_counter()
            articles = generated_articles(options.articles, one_topic=options.one_topic)
            translated = translations_of(options.articles, options.translated, one_topic=options.one_topic)
            translations = dataclasses.replace(
                served.translations, articles={**served.translations.articles, **translated}
            )
            big = dataclasses.replace(
                served, articles={**served.articles, **articles}, translations=translations
            )
            app.extensions[KEY] = big
            kind = (
                "all about signing in"
                if options.one_topic
                else f"in {TOPICS} topics, {SIGN_IN} about signing in"
            )
            print(
                f"generated {options.articles:,} articles ({kind}), {len(translated):,} translations "
                f"(es, ar) in {time.perf_counter() - started:.1f} s"
            )
            total_words = sum(len(d.body.split()) for d in documents(big))
            print(f"{total_words:,} words of body text, on {db.engine.dialect.name}")

        with app.test_request_context():
            started = time.perf_counter()
            search("password")  # the first search builds the index
            print(f"index built (first search) in {time.perf_counter() - started:.2f} s\n")
            if not options.kept_answers:  # else every round after the first would be a lookup
                app.extensions[SEARCH_KEY].answers = Answers(0)
            rng = random.Random(3)
            asked = {"en": QUERIES, "es": QUERIES_ES, "ar": QUERIES_AR}[options.language]
            mix = [(kind, q) for kind, queries in asked.items() for q in queries]
            times: dict[str, list[float]] = {kind: [] for kind in asked}
            cpu: dict[str, list[float]] = {kind: [] for kind in asked}
            for _ in range(options.rounds):
                rng.shuffle(mix)
                for kind, query in mix:
                    prefix = kind.startswith("as you type")
                    started, started_cpu = time.perf_counter(), time.thread_time()
                    search(query, prefix=prefix, limit=6 if prefix else 20, language=options.language)
                    times[kind].append((time.perf_counter() - started) * 1000)
                    cpu[kind].append((time.thread_time() - started_cpu) * 1000)

        # the tables this run made (the search's too) go: the database is left as it was found
        with app.app_context():
            made = sa.MetaData()
            made.reflect(db.engine, only=lambda name, _: name not in there_before)
            made.drop_all(db.engine)

    # wall time is what a reader waits; on a busy machine its tail is mostly the wait for a core,
    # so the CPU time this process spent (the database server's own not included) is shown too
    every = [t for kind in times.values() for t in kind]
    every_cpu = [t for kind in cpu.values() for t in kind]
    print(f"{'':35} {'wall time':^26} {'CPU time of this process':^26}")
    print(f"{'queries':28} {'n':>6} " + f"{'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} " * 2)
    print(f"queries in {options.language}")
    for kind, values, spent in [*((k, times[k], cpu[k]) for k in times), ("ALL", every, every_cpu)]:
        print(
            f"{kind:28} {len(values):6} "
            + " ".join(
                f"{statistics.median(v):8.2f} {percentile(v, 0.95):8.2f} {percentile(v, 0.99):8.2f}"
                for v in (values, spent)
            )
        )


if __name__ == "__main__":
    main()
