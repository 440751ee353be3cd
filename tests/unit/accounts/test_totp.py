"""Authenticator codes: the offset, the window, and measuring a phone's clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyotp
import pytest

from helpdesk.accounts.totp import Drift, SecretBox, matching_step, measure_drift, new_secret, time_step
from helpdesk.keys import Keyring

NOW = datetime(2026, 11, 25, 10, 0, 15, tzinfo=UTC)  # the middle of a 30-second slot
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def code(at: datetime) -> str:
    return pyotp.TOTP(SECRET).at(at)


def pair(phone: datetime) -> tuple[str, str]:
    """What a person types: the code shown before, then the one shown now on the phone."""
    return code(phone - timedelta(seconds=30)), code(phone)


def test_a_current_code_matches_and_one_step_either_side():
    around = time_step(NOW)
    assert matching_step(SECRET, code(NOW), around) == around
    assert matching_step(SECRET, code(NOW - timedelta(seconds=30)), around) == around - 1
    assert matching_step(SECRET, code(NOW + timedelta(seconds=30)), around) == around + 1
    assert matching_step(SECRET, code(NOW - timedelta(seconds=90)), around) is None


def test_codes_are_checked_at_the_stored_offset():
    fast_phone = NOW + timedelta(minutes=3)
    assert matching_step(SECRET, code(fast_phone), time_step(NOW)) is None
    assert matching_step(SECRET, code(fast_phone), time_step(NOW) + 6) is not None


def test_malformed_codes_never_match():
    for bad in ("", "12345", "1234567", "abcdef", "12 34 5x"):
        assert matching_step(SECRET, bad, time_step(NOW)) is None


@pytest.mark.parametrize(
    ("phone_ahead", "words"),
    [
        (150, "your phone is about 2 minutes 30 seconds fast"),
        (-60, "your phone is about 1 minute slow"),
        (-600, "your phone is about 10 minutes slow"),
        (4, "your phone's clock is right (within a few seconds)"),
    ],
)
def test_the_drift_is_measured_to_within_the_30_second_slot(phone_ahead, words):
    phone = NOW + timedelta(seconds=phone_ahead)
    drift = measure_drift(SECRET, *pair(phone), NOW, window_seconds=900)
    assert drift.status == "found"
    assert abs(drift.seconds - phone_ahead) <= 15
    assert drift.offset_steps == time_step(phone) - time_step(NOW)
    assert drift.describe() == words


def test_codes_beyond_the_window_or_from_another_key_do_not_match():
    far = NOW + timedelta(minutes=20)
    assert measure_drift(SECRET, *pair(far), NOW, window_seconds=600).status == "no-match"
    other = pyotp.TOTP(new_secret())
    typed = (other.at(NOW - timedelta(seconds=30)), other.at(NOW))
    assert measure_drift(SECRET, *typed, NOW, window_seconds=900).status == "no-match"


def test_two_codes_that_are_not_consecutive_but_old_had_expired():
    stale = code(NOW - timedelta(minutes=4))
    assert measure_drift(SECRET, stale, "000000", NOW, window_seconds=900).status == "expired"


def test_the_describe_words_round_to_ten_seconds():
    assert Drift("found", seconds=158).describe() == "your phone is about 2 minutes 40 seconds fast"
    assert Drift("found", seconds=-61).describe() == "your phone is about 1 minute slow"


def ring(*secrets: str) -> Keyring:
    return Keyring(tuple((f"v{n}", secret) for n, secret in enumerate(secrets, 1)))


def test_keys_are_stored_encrypted_and_only_the_app_key_opens_them():
    sealed = SecretBox(ring("key one")).seal(SECRET)
    assert SECRET not in sealed
    assert SecretBox(ring("key one")).open(sealed) == SECRET
    assert SecretBox(ring("key two")).open(sealed) is None


def test_a_sealed_key_names_its_version_and_older_versions_still_open():
    old = SecretBox(ring("key one")).seal(SECRET)
    rotated = SecretBox(ring("key one", "key two"))
    new = rotated.seal(SECRET)
    assert (SecretBox.version_of(old), SecretBox.version_of(new)) == ("v1", "v2")
    assert rotated.open(old) == rotated.open(new) == SECRET
    assert not rotated.is_current(old) and rotated.is_current(new)
    assert SecretBox(ring("key one")).open(new) is None  # a version it doesn't have


def test_a_key_sealed_before_versions_still_opens_under_the_first_secret():
    import base64

    from cryptography.fernet import Fernet
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    # exactly how SecretBox sealed before key versions
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"helpdesk totp secrets").derive(
        b"key one"
    )
    unlabelled = Fernet(base64.urlsafe_b64encode(derived)).encrypt(SECRET.encode()).decode()
    assert SecretBox.version_of(unlabelled) == ""
    assert SecretBox(ring("key one", "key two")).open(unlabelled) == SECRET
    assert SecretBox(ring("key two")).open(unlabelled) is None
