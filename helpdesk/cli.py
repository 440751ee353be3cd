"""flask commands: content check, demo load, accounts, staff, audit, cases, keys."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask import Flask
from flask.cli import with_appcontext

from .accounts.roles import Role
from .config import Settings, SettingsError
from .content.catalog import (
    ARTICLE_SUFFIXES,
    FLOW_SUFFIXES,
    Catalog,
    _display,
    content_files,
    load_catalog,
    well_known_problems,
)
from .content.translations import is_translation, load_translations
from .problems import Problem


@click.group("content", help="Check the articles and flows.")
def content_group() -> None:
    """Registered as a plugin command, so it works even when the content is broken."""


@content_group.command("check")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the problems as JSON.")
def content_check(paths: tuple[Path, ...], as_json: bool) -> None:
    """Validate flows and articles; print `path:line: message` per problem; exit 1 if any."""
    from .actions import action_names

    try:
        settings = Settings.from_env(testing=True)
    except SettingsError as exc:  # pragma: no cover - from_env with testing never raises
        raise click.ClickException(str(exc)) from exc
    extra: list[Path] = []
    translated: list[Path] = []  # files in content/<lang>/, flows/<lang>/: checked as translations
    for path in paths:
        if is_translation(path, settings.content_dir, settings.flows_dir):
            translated.extend(sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path])
        elif path.is_dir():
            extra.extend(content_files(path))
        elif path.suffix in FLOW_SUFFIXES + ARTICLE_SUFFIXES:
            extra.append(path)
        else:
            raise click.BadParameter(f"{path} is not a flow (.yaml) or article (.md)")
    catalog = load_catalog(settings.content_dir, settings.flows_dir, action_names(), extra)
    problems = list(catalog.problems)
    if not paths:
        problems.extend(well_known_problems(catalog, settings.flows_dir))
    # translations: a wrong one is a problem; a stale or incomplete one a warning (exit 0)
    translations = load_translations(
        settings.content_dir,
        settings.flows_dir,
        catalog.articles,
        {**catalog.broken_flows, **{fid: c.flow for fid, c in catalog.flows.items()}},
        settings.languages,
        display=_display,
    )
    problems.extend(translations.errors)
    warnings = list(translations.warnings)
    if paths:
        wanted = {_same(p) for p in extra + translated}
        problems = [p for p in problems if _same(Path(p.path)) in wanted]
        warnings = [p for p in warnings if _same(Path(p.path)) in wanted]
    # a fix the directory cannot do: a warning, the flow still works (on its failure branch)
    warnings += _capability_warnings(catalog, settings, {_same(p) for p in extra} if paths else None)
    # warnings go to stderr, also with --json: stdout keeps exactly the problems, none when clean
    for warning in warnings:
        click.echo(f"{warning.path}:{warning.line}: warning: {warning.message}", err=True)
    if as_json:
        click.echo(json.dumps([p.as_dict() for p in problems], indent=2))
    else:
        for problem in problems:
            click.echo(str(problem))
        checked = len(extra) + len(translated) if paths else len(catalog.files)
        click.echo(
            f"{checked} file(s) checked, {len(problems)} problem(s), {len(warnings)} warning(s)",
            err=True,
        )
    sys.exit(1 if problems else 0)


def _capability_warnings(catalog: Catalog, settings: Settings, wanted: set[str] | None) -> list[Problem]:
    """Fix steps the configured directory (HELPDESK_DIRECTORY) cannot do, in the flows checked."""
    from .accounts.directory import org_directory_for
    from .actions import steps_not_offered
    from .flows.checks import capability_warnings

    available = org_directory_for(settings).capabilities
    found: list[Problem] = []
    for loaded in catalog.flows.values():
        if wanted is not None and _same(Path(loaded.flow.path)) not in wanted:
            continue
        gaps = steps_not_offered(loaded.flow, available)
        found.extend(capability_warnings(loaded.flow, gaps, settings.directory))
    return found


@content_group.command("schema")
@click.option(
    "--output",
    type=click.Path(path_type=Path),
    default=None,
    help="Where to write it (default: flows/flow.schema.json in the flows directory).",
)
def content_schema(output: Path | None) -> None:
    """Write the JSON Schema for flow files, generated from the flow spec."""
    from .flows.spec import json_schema

    target = output or Settings.from_env(testing=True).flows_dir / "flow.schema.json"
    target.write_text(schema_text(json_schema()), encoding="utf-8")
    click.echo(f"wrote {target}")


def schema_text(schema: dict) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def _same(path: Path) -> str:
    return str(path.resolve())


NOT_EMBEDDED = "accounts are made in your organisation's directory (HELPDESK_DIRECTORY), not here"


@click.group("accounts", help="Accounts of the embedded account directory.")
def accounts_group() -> None:
    pass


@accounts_group.command("create")
@click.argument("email")
@click.option("--totp", is_flag=True, help="Turn on two-step verification and print the otpauth URI.")
@with_appcontext
def accounts_create(email: str, totp: bool) -> None:
    """Create an account; the password is read from standard input."""
    from .accounts.directory import AccountExists, directory, valid_email
    from .accounts.passwords import password_problem
    from .config import settings

    if not directory().keeps_locks:
        raise click.ClickException(NOT_EMBEDDED)
    password = sys.stdin.readline().rstrip("\r\n")
    if not valid_email(email):
        raise click.BadParameter("that is not one plain email address", param_hint="EMAIL")
    problem = password_problem(password, email=email, site_name=settings().site_name)
    if problem:
        raise click.ClickException(f"password refused: {problem}")
    try:
        account = directory().create(email, password)
    except AccountExists as exc:
        raise click.ClickException(f"an account with the email {email} exists already") from exc
    click.echo(f"created account {account.id}: {account.email}")
    if totp:
        from .accounts.two_factor import enable_without_confirmation

        uri, codes = enable_without_confirmation(account)
        click.echo(uri)
        click.echo("recovery codes (shown once): " + " ".join(codes))


@click.group("demo", help="Sample data for trying the help center.")
def demo_group() -> None:
    pass


@demo_group.command("load")
@click.option(
    "--on-a-public-site",
    is_flag=True,
    help="Load them even though HELPDESK_SITE_URL is not this machine (never on a real site).",
)
@with_appcontext
def demo_load(on_a_public_site: bool) -> None:
    """Create the demo accounts (again, if they exist) and print their credentials.

    Their passwords are in the source code, staff and admin among them: they are loaded only for
    a site served on this machine (localhost, 127.0.0.1) unless told otherwise (ASVS 2.5.4).
    """
    from urllib.parse import urlsplit

    from .accounts.directory import directory
    from .config import settings
    from .content.live import catalog
    from .demo import load_demo

    if not directory().keeps_locks:  # said, not refused: `make run` goes on to serve the site
        click.echo(
            f"not loading the demo accounts: {NOT_EMBEDDED}; sign in with an account of it", err=True
        )
        return
    host = urlsplit(settings().site_url).hostname or ""
    if host not in {"localhost", "127.0.0.1", "::1"} and not on_a_public_site:
        raise click.ClickException(
            f"not loading the demo accounts: HELPDESK_SITE_URL is {settings().site_url}, not this machine, "
            "and their passwords (an admin's too) are published in the source code. For a throwaway "
            "demo reachable from elsewhere, add --on-a-public-site."
        )

    current = catalog()
    click.echo(f"content: {len(current.articles)} articles, {len(current.flows)} flows are live")
    click.echo("demo accounts (sign in at /login):")
    for line in load_demo():
        click.echo(f"  {line}")


@click.group("staff", help="Support staff.")
def staff_group() -> None:
    pass


@staff_group.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice([role.value for role in Role]), required=True)
@with_appcontext
def staff_create(email: str, role: str) -> None:
    """Give EMAIL a staff role, creating the account (password from standard input) if needed.

    Staff must turn on two-step verification at their first sign-in.
    """
    from . import audit
    from .accounts.directory import directory, valid_email
    from .accounts.passwords import password_problem
    from .config import settings

    if not valid_email(email):
        raise click.BadParameter("that is not one plain email address", param_hint="EMAIL")
    accounts = directory()
    account = accounts.find(email)
    if account is None and not accounts.keeps_locks:
        raise click.ClickException(f"no account uses {email} in the directory ({NOT_EMBEDDED})")
    if account is None:
        password = sys.stdin.readline().rstrip("\r\n")
        problem = password_problem(password, email=email, site_name=settings().site_name)
        if problem:
            raise click.ClickException(f"password refused: {problem}")
        account = accounts.create(email, password)
    accounts.set_role(account.id, role)
    audit.record("staff.role", actor="command line", target=account.email, role=role)
    click.echo(f"{account.email} is now {role}; two-step verification is required at the first sign-in")


@click.group("audit", help="The audit trail.")
def audit_group() -> None:
    pass


@audit_group.command("verify")
@with_appcontext
def audit_verify() -> None:
    """Check every entry against the one before it; exit 1 naming the first broken entry."""
    from . import audit
    from .extensions import db
    from .models import AuditEntry

    broken = audit.verify()
    if broken is not None:
        click.echo(f"audit entry {broken.entry_id}: {broken.reason}", err=True)
        sys.exit(1)
    click.echo(f"{db.session.query(AuditEntry).count()} audit entries, the chain is intact")


@click.group("cases", help="Identity-verification requests.")
def cases_group() -> None:
    pass


@cases_group.command("run-due")
@with_appcontext
def cases_run_due() -> None:
    """Mail the reset link for every approved request whose hold has passed (safe to run from cron)."""
    from .cases.verification.hold import run_due

    click.echo(f"{run_due()} reset link(s) sent")


@cases_group.command("purge")
@click.option("--days", type=int, default=None, help="Default: HELPDESK_EVIDENCE_DAYS.")
@with_appcontext
def cases_purge(days: int | None) -> None:
    """Delete evidence of requests decided more than DAYS ago (decisions and audit entries stay)."""
    from .cases.verification.retention import purge

    click.echo(f"evidence of {purge(days)} request(s) deleted")


@cases_group.command("import-evidence")
@with_appcontext
def cases_import_evidence() -> None:
    """Move the evidence files this machine kept in its instance folder (before the evidence
    store) into the store; a file is deleted once the store holds exactly its bytes. Run it once
    on every machine that took uploads; running it again does no harm."""
    from . import audit
    from .cases.evidence import import_files, old_evidence_dir

    folder = old_evidence_dir()
    copied, deleted = import_files(folder)
    click.echo(f"{copied} evidence file(s) copied into the store, {deleted} deleted from {folder}")
    if copied or deleted:
        audit.record("recovery.evidence-import", actor="command line", copied=copied, deleted=deleted)


@click.group("records", help="What the help center keeps about people, and for how long.")
def records_group() -> None:
    pass


@records_group.command("forget")
@click.option("--days", type=int, default=None, help="Default: HELPDESK_RECORDS_DAYS.")
@with_appcontext
def records_forget(days: int | None) -> None:
    """Delete diagnoses, transcripts, sign-in history, ended sign-ins, removed devices, dead links,
    feedback and decided recovery requests older than DAYS (run it daily from cron)."""
    from .cases.housekeeping import forget_old_records

    done = forget_old_records(days)
    listed = ", ".join(f"{count} {kind}" for kind, count in done.counts.items() if count) or "nothing"
    click.echo(f"forgotten: {listed}")


@click.group("keys", help="The site's keys (helpdesk/keys.py).")
def keys_group() -> None:
    pass


@keys_group.command("rotate")
@with_appcontext
def keys_rotate() -> None:
    """Add a new key version and seal authenticator keys and evidence under it.

    The older versions stay in the keyring: recovery codes, contact codes and links made under
    them keep working until they are used up or expire; whatever is made from now on uses the
    new version.
    """
    from . import audit
    from .accounts.directory import directory
    from .accounts.sql import SqlAccountDirectory
    from .cases.evidence import reseal_all
    from .config import settings
    from .keys import add_version, keyring

    keyring_file = settings().keyring_file
    ring = add_version(keyring(), keyring_file)
    click.echo(f"new key {ring.current} written to {keyring_file} (readable by its owner only)")
    accounts = directory()
    resealed = accounts.reseal_totp_secrets() if isinstance(accounts, SqlAccountDirectory) else 0
    click.echo(f"{resealed} authenticator key(s) sealed anew under {ring.current}")
    files = reseal_all()
    click.echo(f"{files} evidence file(s) sealed anew under {ring.current}")
    older = ", ".join(ring.versions[:-1])
    click.echo(
        f"kept for what was made before: {older} (recovery codes, contact codes and links under them "
        "still work). Keep every line of the keyring file, and copy it to every machine of the site."
    )
    audit.record(
        "keys.rotate", actor="command line", target=ring.current, authenticator_keys=resealed, evidence=files
    )


@click.group("analytics", help="The editors' analytics.")
def analytics_group() -> None:
    pass


@analytics_group.command("refresh")
@with_appcontext
def analytics_refresh() -> None:
    """Bring the daily rollups up to date (the first run builds them; safe to run from cron)."""
    from .analytics import refresh_rollups

    click.echo(f"{refresh_rollups()} day(s) rebuilt")


def register(app: Flask) -> None:
    app.cli.add_command(accounts_group)
    app.cli.add_command(demo_group)
    app.cli.add_command(staff_group)
    app.cli.add_command(audit_group)
    app.cli.add_command(cases_group)
    app.cli.add_command(records_group)
    app.cli.add_command(keys_group)
    app.cli.add_command(analytics_group)
