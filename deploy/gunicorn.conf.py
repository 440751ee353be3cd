"""gunicorn settings for helpdesk: `gunicorn -c deploy/gunicorn.conf.py wsgi:app` (deploy/README.md).

Anything here can be overridden on the command line (`--workers 4`, `--bind 0.0.0.0:8000`) or
in GUNICORN_CMD_ARGS; WEB_CONCURRENCY sets the number of workers.
"""

from __future__ import annotations

import gc
import glob
import multiprocessing
import os
import tempfile

# -- where and how many ------------------------------------------------------------------------
# on loopback behind the proxy on this machine; a proxy on another machine: --bind 0.0.0.0:8000
# (firewalled to the proxy) and forwarded_allow_ips set to its address
bind = "127.0.0.1:8000"
# one process per core does the Python work (the GIL lets one thread run at a time); threads in
# each cover the waits: the 150 ms floor under a refused sign-in or "we sent a link"
# (HELPDESK_ANSWER_FLOOR_MS, a sleep), a slow SMTP server (10 s timeout, 3 tries), the virus
# scanner, PostgreSQL. With sync workers each of those waits holds a whole worker, and a handful of
# refused sign-ins a second would queue every other page behind them; threads share the worker's
# memory (the content snapshot, the rendered pages), where more sync workers would each need
# their own 95-110 MB (resident).
workers = int(os.environ.get("WEB_CONCURRENCY", max(2, multiprocessing.cpu_count())))
worker_class = "gthread"
threads = 4
timeout = 30  # a worker silent this long is killed and replaced
graceful_timeout = 30  # on stop and reload: requests finish, article views are flushed
keepalive = 5
# no max_requests: each worker that ever ran leaves its counter file in the metrics directory,
# and a scrape reads them all
# the workers' heartbeat files (mkstemp) in memory, off a disk that may stall
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108

# The app is built once, in the master, and the workers are forked from it: they share the
# memory of the code, the templates and the content snapshot until they write to it (measured in
# deploy/README.md: 2 workers 195 -> 134 MB in all). What belongs to one process is made anew in
# each worker by post_fork below.
preload_app = True


def pre_fork(server, worker):  # type: ignore[no-untyped-def]
    """Before a worker is forked: the master loads what each worker would load for itself
    (helpdesk.before_fork: the languages' data), then what it built (the app, the content snapshot)
    leaves the garbage collector's sight: a worker's collections would otherwise write to every
    object they visit, and so copy the pages the workers share."""
    if server.cfg.preload_app:
        from helpdesk import before_fork

        before_fork(worker.app.wsgi())
        gc.freeze()


def post_fork(server, worker):  # type: ignore[no-untyped-def]
    """In a worker forked from the master's app: its own database connections and its own
    article-view counter with the thread that flushes it (helpdesk.after_fork)."""
    if server.cfg.preload_app:
        from helpdesk import after_fork

        after_fork(worker.app.wsgi())


# -- behind the proxy ----------------------------------------------------------------------------
# gunicorn takes X-Forwarded-Proto (https) only from these addresses; the client's address is the
# app's business (HELPDESK_TRUSTED_PROXIES=1), not gunicorn's
forwarded_allow_ips = "127.0.0.1,::1"
proxy_allow_ips = "127.0.0.1,::1"
limit_request_line = 8190

# -- metrics: every worker writes its counts to files here, /metrics adds them up ----------------
# (set before the app, and so prometheus_client, is imported: it chooses its mode at import)
metrics_dir = os.environ.setdefault(
    "PROMETHEUS_MULTIPROC_DIR",
    os.path.join(os.environ.get("RUNTIME_DIRECTORY", tempfile.gettempdir()), "helpdesk-metrics"),
)
os.makedirs(metrics_dir, mode=0o700, exist_ok=True)


def on_starting(server):  # type: ignore[no-untyped-def]
    """A new start counts from zero: the files of an earlier run would be added to this one's."""
    for leftover in glob.glob(os.path.join(metrics_dir, "*.db")):
        os.remove(leftover)


def child_exit(server, worker):  # type: ignore[no-untyped-def]
    """A worker gone: its live gauges go with it (its counters stay in the sums)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


# -- logs: one JSON object a line on stderr (the journal), gunicorn's own lines too --------------
# HELPDESK_LOG_FORMAT=json (deploy/helpdesk.env sets it): the app writes one access line per
# request with its endpoint, duration and request id, so gunicorn's own access log is off
if os.environ.get("HELPDESK_LOG_FORMAT") == "json":
    accesslog = None
    logconfig_dict = {
        "root": {"level": "INFO", "handlers": ["json"]},
        "loggers": {
            "gunicorn.error": {"level": "INFO", "handlers": [], "propagate": True},
            "gunicorn.access": {"level": "INFO", "handlers": [], "propagate": True},
        },
        "handlers": {"json": {"()": "helpdesk.web.logs.ToStderr"}},
        "formatters": {},
    }
else:
    accesslog = "-"
