"""Password hashing (Argon2id) and the password policy of NIST SP 800-63B."""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from collections.abc import Callable, Collection
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask_babel import gettext, lazy_gettext
from zxcvbn.matching import RANKED_DICTIONARIES

from .word_lists import estimate as zxcvbn_estimate

MIN_LENGTH = 12
MAX_LENGTH = 128  # NIST asks to allow at least 64; a cap keeps hashing cheap to refuse
# OWASP's Argon2id recommendation: 19 MiB, 2 iterations, 1 lane
HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
# hashed for unknown accounts, so "no such account" takes as long as "wrong password"
_DUMMY_HASH = HASHER.hash("not a real password, only here to spend the same time")


# a lone surrogate is no character: a form never sends one, but a JSON escape or an undecodable
# byte on standard input can, and it can be neither hashed nor looked up (UTF-8 has no such thing)
_SURROGATE = re.compile("[\ud800-\udfff]")


def normalise(password: str) -> str:
    """NFKC, as NIST asks, so the same characters typed on another device still match; a lone
    surrogate becomes U+FFFD, as a browser sends what it cannot encode."""
    return _SURROGATE.sub("\ufffd", unicodedata.normalize("NFKC", password))


# a stored hash with a pepper: "peppered-v2$" + Argon2id of HMAC-SHA256(pepper, password); the
# pepper is a key of the keyring (helpdesk/keys.py), never in the database, so a stolen table
# alone can't be guessed at offline (ASVS 2.4.5). Hashes from before carry no label.
PEPPERED = "peppered-"


@dataclass(frozen=True)
class Pepper:
    version: str  # the keyring version the key was derived under
    key: bytes


def _with_pepper(password: str, key: bytes) -> str:
    return hmac.new(key, normalise(password).encode("utf-8"), hashlib.sha256).hexdigest()


def _split(stored: str) -> tuple[str | None, str]:
    """(pepper version or None, the Argon2 hash) of a stored hash."""
    if stored.startswith(PEPPERED):
        version, _, inner = stored[len(PEPPERED) :].partition("$")
        return version, inner
    return None, stored


def hash_password(password: str, pepper: Pepper | None = None) -> str:
    """Argon2id of the password, with the pepper applied first when one is given."""
    if pepper is None:
        return HASHER.hash(normalise(password))
    return f"{PEPPERED}{pepper.version}${HASHER.hash(_with_pepper(password, pepper.key))}"


def verify_password(
    password_hash: str, password: str, pepper_of: Callable[[str], bytes | None] | None = None
) -> bool:
    """Whether *password* is the one hashed; *pepper_of* gives the pepper of a version (None:
    a version the keyring no longer has, which verifies nothing)."""
    version, inner = _split(password_hash)
    if version is None:
        candidate = normalise(password)
    else:
        key = pepper_of(version) if pepper_of is not None else None
        if key is None:
            return False
        candidate = _with_pepper(password, key)
    try:
        return HASHER.verify(inner, candidate)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def spend_verify_time(password: str) -> None:
    """Do the work of a verification for an account that does not exist."""
    verify_password(_DUMMY_HASH, password)


def needs_rehash(password_hash: str, current_pepper: str | None = None) -> bool:
    """Whether the hash should be made anew at the next sign-in: older Argon2 parameters, or
    (given the current pepper version) no pepper or an older one."""
    version, inner = _split(password_hash)
    if current_pepper is not None and version != current_pepper:
        return True
    try:
        return HASHER.check_needs_rehash(inner)
    except InvalidHashError:
        return True


def blocklist() -> Collection[str]:
    """Common passwords (zxcvbn's list of 30,000, from real breaches): the very table zxcvbn
    ranks them by (a trie, word_lists.py), not a second copy of it."""
    return RANKED_DICTIONARIES["passwords"]


EASY_TO_GUESS = lazy_gettext("It would be easy to guess.")
# zxcvbn's warnings (zxcvbn/feedback.py) in our catalog, so each is said in the reader's language
GUESSABLE = {
    "Straight rows of keys are easy to guess.": lazy_gettext("Straight rows of keys are easy to guess."),
    "Short keyboard patterns are easy to guess.": lazy_gettext("Short keyboard patterns are easy to guess."),
    'Repeats like "aaa" are easy to guess.': lazy_gettext('Repeats like "aaa" are easy to guess.'),
    'Repeats like "abcabcabc" are only slightly harder to guess than "abc".': lazy_gettext(
        'Repeats like "abcabcabc" are only slightly harder to guess than "abc".'
    ),
    'Sequences like "abc" or "6543" are easy to guess.': lazy_gettext(
        'Sequences like "abc" or "6543" are easy to guess.'
    ),
    "Recent years are easy to guess.": lazy_gettext("Recent years are easy to guess."),
    "Dates are often easy to guess.": lazy_gettext("Dates are often easy to guess."),
    "This is a top-10 common password.": lazy_gettext("This is a top-10 common password."),
    "This is a top-100 common password.": lazy_gettext("This is a top-100 common password."),
    "This is a very common password.": lazy_gettext("This is a very common password."),
    "This is similar to a commonly used password.": lazy_gettext(
        "This is similar to a commonly used password."
    ),
    "A word by itself is easy to guess.": lazy_gettext("A word by itself is easy to guess."),
    "Names and surnames by themselves are easy to guess.": lazy_gettext(
        "Names and surnames by themselves are easy to guess."
    ),
    "Common names and surnames are easy to guess.": lazy_gettext(
        "Common names and surnames are easy to guess."
    ),
}


def _letters_and_digits(text: str) -> str:
    return re.sub(r"[\W_]+", "", text)


def password_problem(password: str, *, email: str = "", site_name: str = "") -> str:
    """Why *password* may not be used, in words for the person; "" when it is fine."""
    password = normalise(password)
    counted = len(re.sub(r"\s{2,}", " ", password))  # a run of spaces counts once (ASVS 2.1.1)
    if counted < MIN_LENGTH:
        if counted != len(password):
            return gettext(
                "Use at least %(least)d characters (yours has %(counted)d, a run of spaces counting as one). "
                "A few words together work well.",
                least=MIN_LENGTH,
                counted=counted,
            )
        return gettext(
            "Use at least %(least)d characters (yours has %(counted)d). A few words together work well.",
            least=MIN_LENGTH,
            counted=counted,
        )
    if len(password) > MAX_LENGTH:
        return gettext("Use at most %(most)d characters.", most=MAX_LENGTH)
    lowered = password.casefold()
    if lowered in blocklist():
        return gettext(
            "This password is on a list of common passwords that attackers try first. Choose another."
        )
    # compared without punctuation: "river.stone" is in "RiverStone-2026", "Example Help" in "example-help"
    folded = _letters_and_digits(lowered)
    local_part = email.partition("@")[0].casefold()
    if len(_letters_and_digits(local_part)) >= 3 and _letters_and_digits(local_part) in folded:
        return gettext("Don't use your email address in your password.")
    site = _letters_and_digits(site_name.casefold())
    if len(site) >= 3 and site in folded:
        return gettext("Don't use the site's name (%(site)s) in your password.", site=site_name)
    estimate = zxcvbn_estimate(password[:64], [local_part, site_name])
    if estimate["score"] < 3:
        warning = str(GUESSABLE.get(estimate["feedback"].get("warning") or "", EASY_TO_GUESS))
        return gettext(
            "%(warning)s. Try a longer password, such as a few unrelated words.", warning=warning.rstrip(".")
        )
    return ""
