"""Settings: the sign-in limits are read, and nonsense is refused with a message naming the variable."""

from __future__ import annotations

import pytest

from helpdesk.config import Settings, SettingsError


def _settings(**variables: str) -> Settings:
    return Settings.from_env({"HELPDESK_SECRET_KEY": "s", **variables})


def test_sign_ins_last_30_idle_minutes_and_12_hours_by_default():
    settings = _settings()
    assert (settings.session_idle_minutes, settings.session_hours) == (30, 12)


def test_the_sign_in_limits_come_from_helpdesk_variables():
    settings = _settings(HELPDESK_SESSION_IDLE_MINUTES="15", HELPDESK_SESSION_HOURS="8")
    assert (settings.session_idle_minutes, settings.session_hours) == (15, 8)


@pytest.mark.parametrize("hours", ["0", "-1", "13", "720"])
def test_an_absolute_limit_outside_1_to_12_hours_is_refused(hours):
    with pytest.raises(SettingsError, match=r"HELPDESK_SESSION_HOURS is .*1 to 12 hours"):
        _settings(HELPDESK_SESSION_HOURS=hours)


@pytest.mark.parametrize("minutes", ["0", "-30", "121"])
def test_an_idle_limit_outside_1_to_120_minutes_is_refused(minutes):
    with pytest.raises(SettingsError, match=r"HELPDESK_SESSION_IDLE_MINUTES is .*1 to 120 minutes"):
        _settings(HELPDESK_SESSION_IDLE_MINUTES=minutes)


def test_an_idle_limit_longer_than_the_absolute_one_is_refused():
    with pytest.raises(SettingsError, match="no later than HELPDESK_SESSION_HOURS"):
        _settings(HELPDESK_SESSION_IDLE_MINUTES="90", HELPDESK_SESSION_HOURS="1")


def test_a_staff_idle_limit_of_zero_is_refused():
    with pytest.raises(SettingsError, match="HELPDESK_STAFF_IDLE_MINUTES is 0"):
        _settings(HELPDESK_STAFF_IDLE_MINUTES="0")


def test_overrides_are_checked_too():
    with pytest.raises(SettingsError, match="HELPDESK_SESSION_HOURS"):
        Settings.from_env({"HELPDESK_SECRET_KEY": "s"}, session_hours=0)


LDAP = {
    "HELPDESK_DIRECTORY": "ldap",
    "HELPDESK_LDAP_URL": "ldaps://directory.example.org",
    "HELPDESK_LDAP_BIND_DN": "cn=helpdesk,dc=example,dc=org",
    "HELPDESK_LDAP_BIND_PASSWORD": "secret",
    "HELPDESK_LDAP_BASE_DN": "dc=example,dc=org",
}


def test_the_ldap_ca_file_comes_from_its_variable_and_must_be_a_file(tmp_path):
    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    assert _settings(**LDAP, HELPDESK_LDAP_CA_FILE=str(ca)).ldap_ca_file == str(ca)
    with pytest.raises(SettingsError, match="HELPDESK_LDAP_CA_FILE"):
        _settings(**LDAP, HELPDESK_LDAP_CA_FILE=str(tmp_path / "missing.pem"))
