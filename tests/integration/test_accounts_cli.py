"""`flask --app wsgi accounts create` and `demo load`, run as an operator would."""

from __future__ import annotations

import re
import subprocess

from tests.support import run_flask


def flask(tmp_path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {
        "HELPDESK_INSTANCE_DIR": str(tmp_path),
        "HELPDESK_SECRET_KEY": "cli-test",
        "HELPDESK_SITE_NAME": "Example Help",
    }
    return run_flask(*args, env=env, stdin=stdin)


def test_create_an_account_with_the_password_from_stdin(tmp_path):
    assert flask(tmp_path, "db", "upgrade").returncode == 0
    created = flask(tmp_path, "accounts", "create", "Sam@Example.org", stdin="violet harbor lantern 42\n")
    assert created.returncode == 0, created.stderr
    # the embedded directory's ids are opaque, like any directory's
    assert re.search(r"created account [0-9a-f-]{36}: sam@example.org", created.stdout), created.stdout
    again = flask(tmp_path, "accounts", "create", "sam@example.org", stdin="violet harbor lantern 42\n")
    assert again.returncode == 1 and "exists already" in again.stderr


def test_a_weak_password_is_refused_with_the_reason(tmp_path):
    assert flask(tmp_path, "db", "upgrade").returncode == 0
    refused = flask(tmp_path, "accounts", "create", "sam@example.org", stdin="password1234\n")
    assert refused.returncode == 1
    assert "password refused" in refused.stderr and "common passwords" in refused.stderr


def test_demo_load_creates_accounts_in_several_states_and_prints_them(tmp_path):
    assert flask(tmp_path, "db", "upgrade").returncode == 0
    first = flask(tmp_path, "demo", "load")
    assert first.returncode == 0, first.stderr
    assert "river@example.org" in first.stdout and "violet-harbor-lantern-42" in first.stdout
    assert "locked" in first.stdout
    assert flask(tmp_path, "demo", "load").returncode == 0  # loading again is fine


def test_demo_accounts_are_not_loaded_for_a_site_on_another_machine(tmp_path):
    assert flask(tmp_path, "db", "upgrade").returncode == 0
    env = {
        "HELPDESK_INSTANCE_DIR": str(tmp_path),
        "HELPDESK_SECRET_KEY": "cli-test",
        "HELPDESK_SITE_URL": "https://help.example.org",
    }
    refused = run_flask("demo", "load", env=env)
    assert refused.returncode == 1 and "not loading the demo accounts" in refused.stderr
    assert "violet-harbor-lantern-42" not in refused.stdout
    forced = run_flask("demo", "load", "--on-a-public-site", env=env)
    assert forced.returncode == 0 and "river@example.org" in forced.stdout


def test_create_with_totp_prints_the_otpauth_uri_and_the_codes_work(tmp_path):
    import re

    import pyotp

    assert flask(tmp_path, "db", "upgrade").returncode == 0
    created = flask(
        tmp_path, "accounts", "create", "sam@example.org", "--totp", stdin="violet harbor lantern 42\n"
    )
    assert created.returncode == 0, created.stderr
    uri = re.search(r"^otpauth://totp/\S+$", created.stdout, re.M).group(0)
    parsed = pyotp.parse_uri(uri)
    assert parsed.issuer == "Example Help" and parsed.name == "sam@example.org"
    assert len(re.findall(r"\b[2-9A-HJKMNP-Z]{5}-[2-9A-HJKMNP-Z]{5}\b", created.stdout)) == 10


def test_staff_create_and_audit_verify(tmp_path):
    import sqlite3

    assert flask(tmp_path, "db", "upgrade").returncode == 0
    made = flask(
        tmp_path, "staff", "create", "lee@example.org", "--role", "editor", stdin="violet harbor lantern 42\n"
    )
    assert made.returncode == 0, made.stderr
    assert "lee@example.org is now editor" in made.stdout
    intact = flask(tmp_path, "audit", "verify")
    assert intact.returncode == 0 and "1 audit entries, the chain is intact" in intact.stdout
    with sqlite3.connect(tmp_path / "helpdesk.sqlite3") as database:
        database.execute("UPDATE audit_entries SET target = 'mallory@example.org' WHERE id = 1")
    broken = flask(tmp_path, "audit", "verify")
    assert broken.returncode == 1 and "audit entry 1: its contents changed" in broken.stderr
    wrong_role = flask(tmp_path, "staff", "create", "lee@example.org", "--role", "boss")
    assert wrong_role.returncode == 2


def test_cases_run_due_and_purge_run_from_the_command_line(tmp_path):
    assert flask(tmp_path, "db", "upgrade").returncode == 0
    due = flask(tmp_path, "cases", "run-due")
    assert due.returncode == 0 and "0 reset link(s) sent" in due.stdout
    purged = flask(tmp_path, "cases", "purge", "--days", "30")
    assert purged.returncode == 0 and "evidence of 0 request(s) deleted" in purged.stdout


def test_with_a_directory_of_its_own_accounts_are_not_made_here(app):
    from helpdesk import use_directory
    from tests.directories import InMemory

    use_directory(app, InMemory())
    refused = app.test_cli_runner().invoke(args=["accounts", "create", "sam@example.org"], input="x\n")
    assert refused.exit_code == 1 and "made in your organisation's directory" in refused.output
    demo = app.test_cli_runner().invoke(args=["demo", "load"])  # make run goes on: said, exit 0
    assert demo.exit_code == 0 and "not loading the demo accounts" in demo.output
    assert "demo accounts (sign in at /login)" not in demo.output
