"""Health, error pages, headers, settings and refusing broken content."""

from __future__ import annotations

import pytest

from helpdesk.config import Settings, SettingsError
from helpdesk.problems import ContentError
from tests.conftest import FIXTURES, app_without_database, build_app


def test_healthz_answers_200_with_json_when_ready(fixture_client):
    answer = fixture_client.get("/healthz")
    assert answer.status_code == 200
    assert answer.json["status"] == "ok"
    assert answer.json["checks"] == {"database": True, "directory": True, "content": True}
    assert answer.json["flows"] == 2


def test_healthz_answers_503_when_the_database_is_unreachable(tmp_path):
    unhealthy = app_without_database(tmp_path)
    answer = unhealthy.test_client().get("/healthz")
    assert answer.status_code == 503
    assert answer.json["checks"]["database"] is False


def test_an_unexpected_error_gets_the_friendly_500_page(fixture_app):
    @fixture_app.get("/boom")
    def boom():
        raise RuntimeError("kaboom")

    answer = fixture_app.test_client().get("/boom")
    assert answer.status_code == 500
    text = answer.get_data(as_text=True)
    assert "Something went wrong on our side" in text and "kaboom" not in text


def test_too_many_requests_get_the_friendly_429_page(fixture_client):
    for _ in range(60):
        assert fixture_client.get("/diagnose/fix-it").status_code == 303
    limited = fixture_client.get("/diagnose/fix-it")
    assert limited.status_code == 429
    assert "Too many tries" in limited.get_data(as_text=True)


def test_pages_carry_security_headers(fixture_client):
    answer = fixture_client.get("/")
    assert "script-src 'self'" in answer.headers["Content-Security-Policy"]
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert answer.headers["X-Frame-Options"] == "DENY"
    cookie = fixture_client.get("/diagnose/fix-it").headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_the_site_name_is_configuration(tmp_path):
    app = build_app(
        tmp_path,
        site_name="Acme-Free Example",
        content_dir=FIXTURES / "good" / "content",
        flows_dir=FIXTURES / "good" / "flows",
    )
    assert "Acme-Free Example" in app.test_client().get("/").get_data(as_text=True)


def test_a_missing_secret_key_outside_debug_refuses_to_start(tmp_path):
    with pytest.raises(SettingsError, match="HELPDESK_SECRET_KEY is not set"):
        Settings.from_env({}, instance_dir=tmp_path)


def test_a_secret_key_file_in_instance_is_used(tmp_path):
    from helpdesk.keys import write_private

    write_private(tmp_path / "secret_key", "from-the-file\n")  # as every writer of it does: mode 600
    assert Settings.from_env({}, instance_dir=tmp_path).secret_key == "from-the-file"


def test_the_two_person_rule_is_on_unless_turned_off(tmp_path):
    assert Settings.from_env({}, instance_dir=tmp_path, testing=True).two_person_rule is True
    off = Settings.from_env({"HELPDESK_TWO_PERSON_RULE": "false"}, instance_dir=tmp_path, testing=True)
    assert off.two_person_rule is False


def test_the_keyring_file_defaults_to_the_instance_folder(tmp_path):
    assert Settings.from_env({}, instance_dir=tmp_path, testing=True).keyring_file == tmp_path / "keyring"
    chosen = Settings.from_env(
        {"HELPDESK_KEYRING_FILE": "/etc/helpdesk/keyring"}, instance_dir=tmp_path, testing=True
    )
    assert str(chosen.keyring_file) == "/etc/helpdesk/keyring"


def test_settings_come_from_helpdesk_variables(tmp_path):
    settings = Settings.from_env(
        {
            "HELPDESK_SECRET_KEY": "s",
            "HELPDESK_SITE_NAME": "Example Help",
            "HELPDESK_OFFICIAL_DOMAINS": "Example.org, login.example.org",
            "HELPDESK_PORT": "5050",
            "HELPDESK_INSTANCE_DIR": str(tmp_path),
        }
    )
    assert settings.site_name == "Example Help"
    assert settings.official_domains == ("example.org", "login.example.org")
    assert settings.port == 5050
    assert settings.database_url == f"sqlite:///{tmp_path / 'helpdesk.sqlite3'}"
    assert settings.outbox_dir == tmp_path / "outbox"
    assert settings.site_url == "http://localhost:5050"  # links in mail follow the port
    assert settings.webauthn_rp_id == "localhost"  # passkeys belong to the site's host name


def test_a_bad_number_in_a_setting_is_a_clear_error():
    with pytest.raises(SettingsError, match="whole number"):
        Settings.from_env({"HELPDESK_PORT": "fifty", "HELPDESK_SECRET_KEY": "s"})


def test_the_app_refuses_to_start_on_broken_content(tmp_path):
    flows = tmp_path / "flows"
    flows.mkdir()
    (flows / "loop.yaml").write_text((FIXTURES / "broken" / "loop.yaml").read_text())
    with pytest.raises(ContentError) as refused:
        build_app(tmp_path, content_dir=FIXTURES / "good" / "content", flows_dir=flows)
    assert f"{flows / 'loop.yaml'}:15: step 'spin' is in a loop with no way out" in str(refused.value)


def test_a_rate_limit_refusal_is_counted_in_the_metrics(tmp_path):
    app = build_app(
        tmp_path,
        metrics="open",
        content_dir=FIXTURES / "good" / "content",
        flows_dir=FIXTURES / "good" / "flows",
    )
    client = app.test_client()

    def refused() -> float:
        text = client.get("/metrics").get_data(as_text=True)
        for line in text.splitlines():
            if line.startswith("helpdesk_rate_limited_total{") and 'endpoint="diagnose.start"' in line:
                return float(line.rsplit(" ", 1)[1])
        return 0.0

    before = refused()
    answers = [client.get("/diagnose/fix-it").status_code for _ in range(61)]
    assert answers.count(429) == 1  # the 61st start in a minute
    assert refused() == before + 1
