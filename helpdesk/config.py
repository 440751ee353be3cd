"""Settings: one object read from HELPDESK_* environment variables, with safe defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import current_app

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class SettingsError(RuntimeError):
    """The configuration cannot be used; the message says what to set."""


def _as_bool(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _as_list(value: str) -> tuple[str, ...]:
    return tuple(part.strip().lower() for part in value.split(",") if part.strip())


@dataclass(frozen=True)
class Settings:
    """Everything an operator can set. Each field reads HELPDESK_<FIELD NAME IN CAPITALS>."""

    site_name: str = "Help Center"
    support_email: str = "support@example.org"
    official_domains: tuple[str, ...] = ("example.org",)
    # link-shortening services the link checker names as such (besides links shaped like one)
    link_shorteners: tuple[str, ...] = ()
    site_url: str = ""  # default: http://localhost:<port> (a host name: passkeys refuse an IP address)
    port: int = 5000
    secret_key: str = ""
    # later master keys (v2, v3, …) that `flask keys rotate` adds; default: instance/keyring
    keyring_file: Path = Path()
    database_url: str = ""
    redis_url: str = ""
    # without Redis, each worker moves its article view counts to the database this often (seconds)
    view_flush_seconds: int = 5
    mail_url: str = ""
    mail_from: str = ""
    instance_dir: Path = PROJECT_ROOT / "instance"
    outbox_dir: Path = Path()
    content_dir: Path = PROJECT_ROOT / "content"
    flows_dir: Path = PROJECT_ROOT / "flows"
    # lockout: after lock_threshold consecutive failures the account locks for lock_first_seconds,
    # doubling with each further lock up to lock_longest_seconds; lock_hard_stop failures in a row
    # lock it until the owner unlocks it by email or resets the password (NIST SP 800-63B: <= 100)
    lock_threshold: int = 5
    lock_first_seconds: int = 60
    lock_longest_seconds: int = 24 * 3600
    lock_hard_stop: int = 100
    # an unlock keeps the escalation; one lock level is forgiven per quiet lock_decay_seconds
    lock_decay_seconds: int = 24 * 3600
    # failed sign-ins (passwords or codes) one address may make against one account, and against
    # all accounts together; how many accounts it may press (3 failures each) before it is refused
    # everywhere; and how many a device the owner confirmed may make before its owner is treated
    # like anyone else (until then that device gets past a lock others caused)
    failures_per_account_address: str = "10/day"
    failures_per_address: str = "100/day"
    accounts_per_address: str = "5/day"
    failures_per_confirmed_device: str = "10/day"
    token_minutes: int = 30
    # anonymous answers that could tell an existing account from an unknown one (a refused
    # sign-in, "we sent a link") take at least this long, so their timing tells nothing
    answer_floor_ms: int = 150
    # the authenticator resync looks this far either side of the server's clock
    resync_window_seconds: int = 15 * 60
    # how often (seconds) each worker looks for changed content files; -1 turns live reload off
    reload_seconds: int = 3
    # how long browsers and shared caches may keep a public page (home, article index, articles)
    # shown to someone without a cookie of ours before asking again (seconds; 0: always ask)
    page_max_age: int = 60
    # /healthz asks the database at most this often per worker (seconds), and shows the age
    health_seconds: int = 5
    staff_idle_minutes: int = 30
    # a sign-in ends after this long without activity, and after session_hours however active
    # (OWASP ASVS 4.0.3 3.3.2, level 2: at most 30 minutes idle, 12 hours in all); staff get the
    # stricter of session_idle_minutes and staff_idle_minutes
    session_idle_minutes: int = 30
    session_hours: int = 12
    # changing a sign-in factor (authenticator, recovery codes, password, trusted devices) needs
    # the password (and a code) given in this session at most this many minutes ago
    reauth_minutes: int = 5
    # identity-verified recovery: the wait after approval, a second approver, how long evidence is kept
    recovery_hold_hours: int = 72
    two_person_rule: bool = True
    evidence_days: int = 30
    # where uploaded evidence is kept, sealed: "database" (a table) or "s3" (an S3-compatible object
    # store: its endpoint URL (empty: AWS itself), bucket, key prefix, region and keys; empty keys
    # leave them to boto3's own chain); cases/evidence_store.py
    evidence_store: str = "database"
    s3_url: str = ""
    s3_bucket: str = ""
    s3_prefix: str = "evidence/"
    s3_region: str = ""
    s3_access_key: str = ""
    s3_secret_key: str = ""
    # diagnoses, transcripts, sign-in history and the like are forgotten after this many days
    # (`flask records forget`, cases/housekeeping.py); the audit trail stays
    records_days: int = 400
    # the ClamAV daemon that checks uploaded evidence (a Unix socket path, or host:port); without
    # one, photos are still re-encoded but PDFs, which cannot be, are refused
    clamd: str = ""
    staff_link_days: int = 7
    # proxies in front of the app that append to X-Forwarded-For (0: the header is ignored, since
    # anyone can send it); rate limits, sign-in history and the audit then see the real client
    trusted_proxies: int = 0
    # /metrics (Prometheus): "off" (a 404), "open" (anyone who reaches it), or a bearer token of
    # at least 16 characters the scraper sends as `Authorization: Bearer <token>`
    metrics: str = "off"
    # log lines: "text" (for a terminal) or "json" (one object a line, with the request's id)
    log_format: str = "text"
    # the organisation's account directory: "sql" (the embedded store) or "ldap" (OpenLDAP or
    # Active Directory, see helpdesk/accounts/ldap.py); the help center keeps its own records
    # (sessions, devices, history, second factors the directory lacks) keyed by its account ids
    directory: str = "sql"
    ldap_url: str = ""  # ldap://host (StartTLS) or ldaps://host; several separated by spaces
    ldap_insecure: bool = False  # plain ldap:// without TLS: tests only
    ldap_bind_dn: str = ""  # the service account the help center searches and acts as
    ldap_bind_password: str = ""
    ldap_base_dn: str = ""
    ldap_flavour: str = "openldap"  # or "active-directory"
    ldap_mail_attribute: str = "mail"
    ldap_user_filter: str = ""  # default: (objectClass=inetOrgPerson) / (objectClass=user)
    ldap_timeout_seconds: int = 5  # to connect, and to wait for each answer
    ldap_ca_file: str = ""  # PEM CA(s) the directory's certificate is checked against; default: the system's
    # passkeys (WebAuthn): the relying party id, by default the host of HELPDESK_SITE_URL
    webauthn_rp_id: str = ""
    # languages offered (the first-listed fallback is default_language) and the default one
    languages: tuple[str, ...] = ("en", "es", "ar")
    default_language: str = "en"
    debug: bool = False
    testing: bool = False
    rate_limits: bool = True

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: Any) -> Settings:
        """Read HELPDESK_* variables from *environ* (default: os.environ), then apply overrides."""
        environ = dict(os.environ if environ is None else environ)
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = environ.get("HELPDESK_" + f.name.upper())
            if raw is None:
                continue
            values[f.name] = _convert(f.type, raw)
        values.update(overrides)
        settings = cls(**values)
        settings._check_session_limits()
        return settings._with_derived_defaults()

    def _check_session_limits(self) -> None:
        if not 1 <= self.session_hours <= 12:
            raise SettingsError(
                f"HELPDESK_SESSION_HOURS is {self.session_hours}: a sign-in must end after 1 to 12 hours "
                "(OWASP ASVS level 2 asks for re-authentication at least every 12 hours)"
            )
        if not 1 <= self.session_idle_minutes <= min(120, self.session_hours * 60):
            raise SettingsError(
                f"HELPDESK_SESSION_IDLE_MINUTES is {self.session_idle_minutes}: a sign-in left idle must "
                "end after 1 to 120 minutes, and no later than HELPDESK_SESSION_HOURS"
            )
        if self.staff_idle_minutes < 1:
            raise SettingsError(
                f"HELPDESK_STAFF_IDLE_MINUTES is {self.staff_idle_minutes}: it must be 1 minute or more"
            )

    def _with_derived_defaults(self) -> Settings:
        instance = Path(self.instance_dir)
        changes: dict[str, Any] = {
            "instance_dir": instance,
            "content_dir": Path(self.content_dir),
            "flows_dir": Path(self.flows_dir),
        }
        if not self.database_url:
            changes["database_url"] = f"sqlite:///{instance / 'helpdesk.sqlite3'}"
        changes["outbox_dir"] = (
            Path(self.outbox_dir) if str(self.outbox_dir) not in {"", "."} else instance / "outbox"
        )
        if not self.site_url:
            changes["site_url"] = f"http://localhost:{self.port}"
        if not self.webauthn_rp_id:
            site_url = changes.get("site_url", self.site_url)
            changes["webauthn_rp_id"] = urlsplit(site_url).hostname or "localhost"
        if str(self.keyring_file) in {"", "."}:
            changes["keyring_file"] = instance / "keyring"
        if not self.mail_from:
            changes["mail_from"] = self.support_email
        if not self.secret_key:
            changes["secret_key"] = self._secret_key_from_instance(instance)
        self._check_failure_budgets()
        self._check_evidence_store()
        self._check_observability()
        self._check_directory()
        return replace(self, **changes)

    def _check_directory(self) -> None:
        if self.directory not in ("sql", "ldap"):
            raise SettingsError(f"HELPDESK_DIRECTORY is {self.directory!r}: sql or ldap")
        if self.directory != "ldap":
            return
        if self.ldap_flavour not in ("openldap", "active-directory"):
            raise SettingsError(
                f"HELPDESK_LDAP_FLAVOUR is {self.ldap_flavour!r}: openldap or active-directory"
            )
        missing = [
            "HELPDESK_" + name.upper()
            for name in ("ldap_url", "ldap_bind_dn", "ldap_bind_password", "ldap_base_dn")
            if not getattr(self, name)
        ]
        if missing:
            raise SettingsError("HELPDESK_DIRECTORY is ldap: set " + ", ".join(missing))
        for url in self.ldap_url.split():
            if not url.startswith(("ldap://", "ldaps://")):
                raise SettingsError(f"HELPDESK_LDAP_URL {url!r} must start with ldap:// or ldaps://")
        if self.ldap_ca_file and not Path(self.ldap_ca_file).is_file():
            raise SettingsError(f"HELPDESK_LDAP_CA_FILE {self.ldap_ca_file!r} is not a file (PEM)")

    def _check_observability(self) -> None:
        if self.log_format not in ("text", "json"):
            raise SettingsError(f"HELPDESK_LOG_FORMAT is {self.log_format!r}: text or json")
        if self.metrics not in ("off", "open") and len(self.metrics) < 16:
            raise SettingsError(
                "HELPDESK_METRICS is off, open, or a bearer token of at least 16 characters "
                "(the scraper sends `Authorization: Bearer <token>`)"
            )

    def _check_evidence_store(self) -> None:
        if self.evidence_store not in {"database", "s3"}:
            raise SettingsError(
                f"HELPDESK_EVIDENCE_STORE is {self.evidence_store!r}: it must be database or s3"
            )
        if self.evidence_store == "s3" and not self.s3_bucket:
            raise SettingsError("HELPDESK_EVIDENCE_STORE is s3: set HELPDESK_S3_BUCKET (and HELPDESK_S3_URL)")

    def _check_failure_budgets(self) -> None:
        """A budget that can't be read would refuse nobody (or fail every sign-in): stop at start."""
        from limits import parse_many

        for name in (
            "failures_per_account_address",
            "failures_per_address",
            "accounts_per_address",
            "failures_per_confirmed_device",
        ):
            try:
                parse_many(getattr(self, name))
            except ValueError as exc:
                raise SettingsError(
                    f"HELPDESK_{name.upper()} must be a rate such as 10/day or 5/hour;20/day"
                ) from exc

    def _secret_key_from_instance(self, instance: Path) -> str:
        key_file = instance / "secret_key"
        if key_file.is_file():
            key = key_file.read_text(encoding="utf-8").strip()
            if key:
                return key
        if self.debug or self.testing:
            return "insecure-development-key-" + instance.name
        raise SettingsError(
            "HELPDESK_SECRET_KEY is not set. Set it to a long random value, e.g.\n"
            "  export HELPDESK_SECRET_KEY=$(python3 -c 'import secrets; print(secrets.token_hex(32))')\n"
            f"or write one to {key_file} (make run does this for you)."
        )

    @property
    def uses_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def settings() -> Settings:
    """The settings of the app serving now (inside an app context)."""
    return current_app.extensions["helpdesk.settings"]


def _convert(annotation: Any, raw: str) -> Any:
    kind = str(annotation)
    if "bool" in kind:
        return _as_bool(raw)
    if "int" in kind:
        try:
            return int(raw)
        except ValueError as exc:
            raise SettingsError(f"expected a whole number, got {raw!r}") from exc
    if "tuple" in kind:
        return _as_list(raw)
    if "Path" in kind:
        return Path(raw)
    return raw
