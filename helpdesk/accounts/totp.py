"""Authenticator codes (TOTP, RFC 6238): checking them at the phone's measured clock offset,
never accepting one twice, and measuring how far a phone's clock has drifted."""

from __future__ import annotations

import base64
import hmac
from dataclasses import dataclass
from datetime import datetime

import pyotp
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask_babel import gettext, ngettext

from ..keys import Keyring, Purpose

STEP_SECONDS = 30
DIGITS = 6


def new_secret() -> str:
    """160 random bits, base32, as authenticator apps expect."""
    return pyotp.random_base32(32)


def provisioning_uri(secret: str, email: str, issuer: str) -> str:
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).provisioning_uri(
        name=email, issuer_name=issuer
    )


def time_step(now: datetime) -> int:
    return int(now.timestamp()) // STEP_SECONDS


def code_at(secret: str, step: int) -> str:
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).generate_otp(step)


def clean_code(code: str) -> str:
    return "".join(ch for ch in (code or "") if not ch.isspace() and ch != "-")


def looks_like_totp(code: str) -> bool:
    cleaned = clean_code(code)
    return len(cleaned) == DIGITS and cleaned.isdigit()


def matching_step(secret: str, code: str, around: int, window: int = 1) -> int | None:
    """The step within ±window of *around* whose code is *code* (latest first), if any."""
    code = clean_code(code)
    if not looks_like_totp(code):
        return None
    for step in range(around + window, around - window - 1, -1):
        if hmac.compare_digest(code_at(secret, step), code):
            return step
    return None


@dataclass(frozen=True)
class Drift:
    """What two consecutive codes say about the phone's clock."""

    # "found", "expired" (the codes are this key's, but old), "no-match", or (from a resync)
    # "used": found, but these steps were accepted already (a replay)
    status: str
    offset_steps: int = 0  # the phone's step minus the server's, to verify at from now on
    last_step: int = 0  # the step of the second code, never to be accepted again
    seconds: int = 0  # the phone's clock minus the server's, best estimate

    def describe(self) -> str:
        """In plain words: "your phone is about 2 minutes 30 seconds fast"."""
        amount = abs(self.seconds)
        if amount < 20:
            return gettext("your phone's clock is right (within a few seconds)")
        minutes, seconds = divmod(round(amount / 10.0) * 10, 60)
        said_minutes = ngettext("%(num)d minute", "%(num)d minutes", minutes)
        said_seconds = ngettext("%(num)d second", "%(num)d seconds", seconds)
        if minutes and seconds:
            # one phrase, so a language may join the two its own way ("2 minutos y 30 segundos")
            how_far = gettext("%(minutes)s %(seconds)s", minutes=said_minutes, seconds=said_seconds)
        else:
            how_far = said_minutes if minutes else said_seconds
        if self.seconds > 0:
            return gettext("your phone is about %(how_far)s fast", how_far=how_far)
        return gettext("your phone is about %(how_far)s slow", how_far=how_far)


def measure_drift(secret: str, code: str, code2: str, now: datetime, window_seconds: int) -> Drift:
    """Find two consecutive steps within ±window whose codes are *code* then *code2*.

    The person typed `code`, waited for the next one, and typed `code2`, so when they sent
    the form their phone was showing the second step. That pins the phone's clock to a
    30-second slot; the midpoint of the slot is the estimate. The nearest match wins.
    """
    code, code2 = clean_code(code), clean_code(code2)
    if not (looks_like_totp(code) and looks_like_totp(code2)):
        return Drift("no-match")
    server_step = time_step(now)
    window = max(1, window_seconds // STEP_SECONDS)
    for distance in range(window + 1):
        for offset in (distance, -distance) if distance else (0,):
            second = server_step + offset
            if hmac.compare_digest(code_at(secret, second), code2) and hmac.compare_digest(
                code_at(secret, second - 1), code
            ):
                slot_middle = (second + 0.5) * STEP_SECONDS
                return Drift(
                    "found",
                    offset_steps=offset,
                    last_step=second,
                    seconds=round(slot_middle - now.timestamp()),
                )
    # no pair: is either code this key's at all, from a while ago? then it had expired
    for step in range(server_step - window, server_step - 1):
        current = code_at(secret, step)
        if hmac.compare_digest(current, code) or hmac.compare_digest(current, code2):
            return Drift("expired")
    return Drift("no-match")


class SecretBox:
    """Authenticator keys are stored encrypted (Fernet) under a key of the keyring, labelled with
    its version: `v2:<token>`. A token without a label was sealed before versions, under the
    site's secret key (v1); it still opens, and `flask keys rotate` seals it anew."""

    def __init__(self, ring: Keyring) -> None:
        self._ring = ring

    def _fernet(self, version: str) -> Fernet:
        return Fernet(self._ring.fernet_key(Purpose.TOTP_SECRETS, version))

    def _unlabelled(self) -> Fernet:
        derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"helpdesk totp secrets").derive(
            self._ring.first_secret.encode("utf-8")
        )
        return Fernet(base64.urlsafe_b64encode(derived))

    def seal(self, secret: str) -> str:
        version = self._ring.current
        return f"{version}:" + self._fernet(version).encrypt(secret.encode("ascii")).decode("ascii")

    @staticmethod
    def version_of(sealed: str) -> str:
        """The key version *sealed* was made under ("" before versions)."""
        version, labelled, _ = sealed.partition(":")
        return version if labelled else ""

    def is_current(self, sealed: str) -> bool:
        return self.version_of(sealed) == self._ring.current

    def open(self, sealed: str) -> str | None:
        version, labelled, token = sealed.partition(":")
        if not labelled:
            fernet, token = self._unlabelled(), sealed
        elif self._ring.has(version):
            fernet = self._fernet(version)
        else:
            return None
        try:
            return fernet.decrypt(token.encode("ascii")).decode("ascii")
        except (InvalidToken, ValueError):
            return None
