"""What the LDAP flavours read from a server's answers (accounts/ldap_flavours.py): times, ids, and
the server's refusals of a password put into words. The refusal messages below were recorded
from the servers themselves: slapd 2.5's ppolicy, Samba 4.17's AD DC (the same text in
tests/contract, live), and Windows Server's documented forms of `0000052D`."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from helpdesk.accounts.ldap_flavours import (
    AD_RESTRICTION,
    GENERIC_REFUSAL,
    ActiveDirectory,
    OpenLdap,
    ad_words,
    filetime,
    generalized_time,
    ppolicy_words,
)


def test_generalized_time_reads_seconds_and_fractions_in_utc():
    assert generalized_time("20261204150102Z") == datetime(2026, 12, 4, 15, 1, 2, tzinfo=UTC)
    assert generalized_time("20261204150102.5Z") == datetime(2026, 12, 4, 15, 1, 2, 500000, tzinfo=UTC)
    assert generalized_time("20261204150102.123456Z") == datetime(2026, 12, 4, 15, 1, 2, 123456, tzinfo=UTC)


@pytest.mark.parametrize("odd", ["000001010000Z", "", "2026", "20261304150102Z", "20261204150102", "x" * 15])
def test_generalized_time_that_is_not_a_moment_is_none(odd):
    assert generalized_time(odd) is None


@pytest.mark.parametrize(
    ("message", "clue"),
    [
        ("Password fails quality checking policy", "too short or too simple"),
        ("Password is too short for policy", "too short"),
        ("Password is in history of old passwords", "used this password before"),
        ("Password is too young to change", "changed very recently"),
        ("Password is not being changed from existing value", "current password"),
    ],
)
def test_ppolicy_refusals_are_put_in_words(message, clue):
    assert clue in ppolicy_words(message)


def test_an_unknown_ppolicy_refusal_still_gets_a_plain_sentence():
    assert ppolicy_words("some module said no") == GENERIC_REFUSAL


@pytest.mark.parametrize(
    ("message", "clue"),
    [
        (  # Samba 4.17, recorded
            "0000052D: Constraint violation - check_password_restrictions: the password is too short. "
            "It should be equal or longer than 7 characters!",
            "too short",
        ),
        (  # Samba 4.17, recorded
            "0000052D: Constraint violation - check_password_restrictions: the password does not meet "
            "the complexity criteria!",
            "complex enough",
        ),
        (
            "0000052D: Constraint violation - check_password_restrictions: the password was already used "
            "(in history)!",
            "used this password before",
        ),
        (
            "0000052D: Constraint violation - check_password_restrictions: password is too young to change!",
            "changed very recently",
        ),
        # Windows Server says only the code: every rule it may be
        ("0000052D: SvcErr: DSID-031A12D2, problem 5003 (WILL_NOT_PERFORM), data 0\n", "may be too short"),
        (
            "0000052D: AtrErr: DSID-03191083, #1:\n\t0: 0000052D: DSID-03191083, problem 1005",
            "may be too short",
        ),
    ],
)
def test_active_directory_refusals_are_put_in_words(message, clue):
    words = ad_words(message)
    assert words is not None and clue in words
    assert "0000052D" not in words and "DSID" not in words


def test_a_windows_refusal_without_detail_names_every_rule_it_may_be():
    assert (
        ad_words("0000052D: SvcErr: DSID-031A12D2, problem 5003 (WILL_NOT_PERFORM), data 0") == AD_RESTRICTION
    )


def test_an_active_directory_error_that_is_not_about_the_password_is_not_a_refusal():
    # "not over TLS" and the like are the directory's setup, not the person's password
    assert ad_words("0000001F: SvcErr: DSID-031A12D2, problem 5003 (WILL_NOT_PERFORM), data 0") is None


def test_an_object_guid_is_an_id_in_its_string_form_and_back():
    guid = uuid.UUID("cc963515-06ff-48a5-9fb9-648bf6447475")
    raw = {"objectGUID": [guid.bytes_le]}  # as the server sends it (recorded from Samba: little-endian)
    assert ActiveDirectory("DC=x").account_id(raw) == "cc963515-06ff-48a5-9fb9-648bf6447475"
    assert (
        ActiveDirectory("DC=x").id_filter(str(guid))
        == "(objectGUID=" + "".join(f"\\{byte:02x}" for byte in guid.bytes_le) + ")"
    )


def test_ids_that_are_not_uuids_make_no_filter():
    for flavour in (OpenLdap("dc=x"), ActiveDirectory("DC=x")):
        for odd in ("", "*", "x)(objectClass=*", "1234"):
            assert flavour.id_filter(odd) is None
    assert OpenLdap("dc=x").id_filter("6F1B3E4A-0000-4000-8000-000000000001") == (
        "(entryUUID=6f1b3e4a-0000-4000-8000-000000000001)"
    )


def test_filetime_counts_100_nanoseconds_from_1601():
    assert filetime(0) == datetime(1601, 1, 1, tzinfo=UTC)
    assert filetime(134408693224169370) - filetime(134408693224169370 - 10_000_000) == timedelta(seconds=1)
    assert filetime(116444736000000000) == datetime(1970, 1, 1, tzinfo=UTC)
