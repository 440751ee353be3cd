"""helpdesk: a self-hosted help center for sign-in trouble."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask import Flask, request
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.middleware.proxy_fix import ProxyFix

from .cases.diagnosis_access import LIFETIME as DIAGNOSIS_LIFETIME
from .config import PROJECT_ROOT, Settings, SettingsError
from .sqlite_writers import TakingTurns

if TYPE_CHECKING:
    from .accounts.org_directory import OrgDirectory


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """The application factory. *config* overrides settings by field name (tests use it)."""
    settings = Settings.from_env(**(config or {}))
    app = Flask(
        __name__,
        instance_path=str(settings.instance_dir),
        static_folder=None,  # served by web/static_files under content-hashed names
        template_folder="templates",
    )
    settings.instance_dir.mkdir(parents=True, exist_ok=True)
    secure = settings.site_url.startswith("https://")
    app.config.update(
        SECRET_KEY=settings.secret_key,
        TESTING=settings.testing,
        SQLALCHEMY_DATABASE_URI=settings.database_url,
        SQLALCHEMY_ENGINE_OPTIONS=_engine_options(settings),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=secure,
        # under https the __Host- prefix makes browsers refuse the cookie unless it is Secure, for
        # this host alone and for every path: no subdomain or plain-http page can plant one
        SESSION_COOKIE_NAME=("__Host-" if secure else "") + "helpdesk_session",
        # the sign-in travels apart, in a browser-session cookie (web/sessions.SignInApart), so a
        # remembered diagnosis never keeps anyone signed in
        SIGN_IN_COOKIE_NAME=("__Host-" if secure else "") + "helpdesk_signin",
        PERMANENT_SESSION_LIFETIME=DIAGNOSIS_LIFETIME,  # a diagnosis is remembered as long
        # tokens are bound to the session; a page left open for hours must still submit
        WTF_CSRF_TIME_LIMIT=None,
        RATELIMIT_ENABLED=settings.rate_limits,
        RATELIMIT_STORAGE_URI=settings.redis_url or "memory://",
        RATELIMIT_HEADERS_ENABLED=True,
        MAX_CONTENT_LENGTH=1024 * 1024,
    )
    app.extensions["helpdesk.settings"] = settings
    if settings.trusted_proxies < 0:
        raise SettingsError("HELPDESK_TRUSTED_PROXIES is a number of proxy hops: 0 or more")
    if settings.trusted_proxies:
        # the client is the address the outermost trusted proxy saw; hops beyond are ignored
        # wrapping wsgi_app is the documented way to add middleware; mypy sees a method reassigned
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.trusted_proxies)  # type: ignore[method-assign]
    from .accounts.roles import Role
    from .links import WellKnownFlow

    app.jinja_env.globals["well_known"] = WellKnownFlow  # templates link to flows by these names
    app.jinja_env.globals["Role"] = Role
    if "helpdesk.directory" not in app.extensions:
        from .accounts.directory import org_directory_for

        use_directory(app, org_directory_for(settings))

    from .extensions import babel, csrf, db, limiter, migrate
    from .web.language import chosen_language

    babel.init_app(
        app,
        locale_selector=chosen_language,
        default_translation_directories=str(Path(__file__).parent / "translations"),
    )
    # a {% trans %} block's line breaks and indentation are not part of its message (babel.cfg too)
    app.jinja_env.policies["ext.i18n.trimmed"] = True
    from .web import translated

    translated.register(app)  # the templates' gettext: the translations looked up once a request
    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"))
    from .web import observe

    observe.register(app)  # first: its after_request runs last, on the final response

    from .web.recovery import UPLOAD_ENDPOINT, UPLOAD_LIMIT

    @app.before_request
    def upload_limit() -> None:
        # before the CSRF check reads the form: only the evidence upload may send a large body
        if request.endpoint == UPLOAD_ENDPOINT:
            request.max_content_length = UPLOAD_LIMIT

    csrf.init_app(app)
    from .web import csrf_tokens

    csrf_tokens.register(app)  # templates' csrf_token(): Flask-WTF's tokens, kept once signed
    limiter.init_app(app)
    from . import readership

    readership.init_app(app)

    from .actions import action_names
    from .content import live
    from .web import sessions

    sessions.register(app)
    live.load_into(app, action_names())

    from .web import caching, fixed_urls, static_files

    served = static_files.register(app, PROJECT_ROOT / "static")
    fixed_urls.register(app)
    caching.init_app(app, served.digests())

    from .web import account, editor, errors, public, recovery, security, staff
    from .web.diagnose import bp as diagnose_bp

    app.register_blueprint(public.bp)
    from .web import search_page

    app.register_blueprint(search_page.bp)
    app.register_blueprint(diagnose_bp)
    from .web.diagnose import sandbox_bp

    app.register_blueprint(sandbox_bp)
    app.register_blueprint(account.bp)
    from .web import password_check

    app.register_blueprint(password_check.bp)
    app.register_blueprint(security.bp)
    from .web import passkeys as passkey_pages

    app.register_blueprint(passkey_pages.bp)
    app.register_blueprint(staff.bp)
    app.register_blueprint(recovery.bp)
    app.register_blueprint(editor.bp)
    from .web import handoff
    from .web.api import views as api

    app.register_blueprint(api.bp)
    app.session_interface = api.SessionsOutsideTheApi()
    app.register_blueprint(handoff.bp)
    from .web import metrics_page

    app.register_blueprint(metrics_page.bp)
    from .web import language

    language.register(app)  # the switch, Vary, <html lang dir> and hreflang
    errors.register(app)

    from . import cli

    cli.register(app)
    from .web import fast_paths

    fast_paths.install(app, served)  # static files, before Flask's request work
    language.install(app)  # /es/…: the prefix moved to the script root, before the fast paths
    return app


def before_fork(app: Flask) -> None:
    """In the process that built *app*, before the workers are forked from it (gunicorn's
    preload_app, deploy/gunicorn.conf.py's pre_fork): load what every worker would otherwise load
    for itself on its first pages, so the workers share one copy."""
    from .web import language

    language.preload(app)


def after_fork(app: Flask) -> None:
    """In a worker forked from the process that built *app* (gunicorn's preload_app,
    deploy/gunicorn.conf.py's post_fork): make anew what belongs to one process. A fork keeps no
    thread but the one that forked, and connections must not be shared: anything create_app starts
    per process is restarted here."""
    from . import readership
    from .extensions import db

    with app.app_context():
        for engine in db.engines.values():
            engine.dispose(close=False)  # the parent's connections, if any, stay the parent's
    readership.init_app(app)  # a counter of this worker's own, and the thread that flushes it


def _engine_options(settings: Settings) -> dict[str, Any]:
    if settings.uses_sqlite:  # writers take turns on a file lock rather than sleep (sqlite_writers)
        return {"connect_args": {"timeout": 30, "factory": TakingTurns}}
    return {"pool_pre_ping": True}


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """WAL lets readers and one writer work at once; foreign keys are off by default."""
    if not isinstance(dbapi_connection, sqlite3.Connection):  # (TakingTurns is one)
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    # in WAL mode NORMAL syncs at checkpoints, not at every commit: a power loss may lose the last
    # transactions, never corrupt the database; a crash of the process alone loses nothing
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def use_directory(app: Flask, org: OrgDirectory) -> None:
    """Act on accounts through *org* from now on (and keep the help center's own records in the
    store that goes with it: the embedded directory is its own, any other gets shadow rows)."""
    from .accounts.sql import store_for

    app.extensions["helpdesk.org_directory"] = org
    app.extensions["helpdesk.directory"] = store_for(org)
