"""The password policy (NIST SP 800-63B) and Argon2id hashing."""

from __future__ import annotations

import base64
import importlib.util

import pytest
from argon2 import PasswordHasher, Type

from helpdesk.accounts.passwords import (
    PEPPERED,
    Pepper,
    blocklist,
    hash_password,
    needs_rehash,
    normalise,
    password_problem,
    verify_password,
)


def problem(password: str) -> str:
    return password_problem(password, email="river.stone@example.org", site_name="Example Help")


def test_a_long_unusual_passphrase_is_accepted():
    assert problem("violet harbor lantern 42") == ""


def test_no_composition_rules_only_lowercase_words_are_fine():
    assert problem("quiet orbit paper meadow") == ""


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("short pass", "at least 12 characters (yours has 10)"),
        ("x" * 129, "at most 128 characters"),
        ("password1234", "list of common passwords"),
        ("Password1234", "list of common passwords"),
        ("river.stone-lantern-2026", "email address"),
        ("my-example-help-lantern", "site's name"),
        ("aaaaaaaaaaaaaaaa", "easy to guess"),
    ],
)
def test_a_refused_password_says_exactly_why(password, reason):
    assert reason.lower() in problem(password).lower()


def test_64_characters_are_allowed():
    assert problem("violet harbor lantern " * 3 + "forty-two!") == ""


def test_the_blocklist_is_a_real_list_of_common_passwords():
    assert len(blocklist()) >= 10_000
    assert all(common in blocklist() for common in ("123456", "password", "qwerty"))
    assert "violet-harbor-lantern-42" not in blocklist()


def test_unicode_is_normalised_before_hashing():
    # "ﬁ" (one ligature character) and "fi" are the same text after NFKC
    stored = hash_password("the ﬁrst lantern harbor")
    assert verify_password(stored, "the first lantern harbor")


def test_hashes_are_argon2id_with_owasp_parameters(owasp_argon2):
    stored = hash_password("violet harbor lantern 42")
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert not needs_rehash(stored)
    weaker = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash("x")
    assert needs_rehash(weaker)


def test_the_module_as_shipped_hashes_with_owasp_parameters():
    # the suite swaps in cheap parameters (tests/conftest.py): run the module's code afresh,
    # outside sys.modules, to see what production gets
    spec = importlib.util.find_spec("helpdesk.accounts.passwords")
    assert spec is not None and spec.loader is not None
    shipped = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(shipped)
    hasher = shipped.HASHER
    parameters = (hasher.type, hasher.time_cost, hasher.memory_cost, hasher.parallelism)
    assert parameters == (Type.ID, 2, 19 * 1024, 1)
    # an unknown account costs what a real one does
    assert shipped._DUMMY_HASH.startswith("$argon2id$v=19$m=19456,t=2,p=1$")


def test_a_wrong_password_or_a_broken_hash_does_not_verify():
    stored = hash_password("violet harbor lantern 42")
    assert not verify_password(stored, "violet harbor lantern 43")
    assert not verify_password("not-a-hash", "anything")


def test_a_run_of_spaces_counts_as_one_character_towards_the_length():
    padded = "x7 q" + " " * 9  # 13 characters, but only 5 once the spaces are combined
    problem = password_problem(padded)
    assert problem.startswith("Use at least 12 characters (yours has 5, a run of spaces counting as one)")
    assert password_problem("violet  harbor lantern 42") == ""  # two spaces between words are fine


def test_a_peppered_hash_verifies_only_with_its_pepper():
    pepper = Pepper("v1", b"k" * 32)
    stored = hash_password("violet harbor lantern 42", pepper)
    version, _, inner = stored.removeprefix(PEPPERED).partition("$")
    assert stored.startswith("peppered-v1$$argon2id$") and version == "v1"
    assert verify_password(stored, "violet harbor lantern 42", {"v1": b"k" * 32}.get)
    assert not verify_password(stored, "violet harbor lantern 42", {"v1": b"x" * 32}.get)  # another key
    assert not verify_password(stored, "violet harbor lantern 42", {}.get)  # a version no longer kept
    assert not verify_password(inner, "violet harbor lantern 42")  # the table alone is not enough


def test_a_hash_without_the_current_pepper_is_made_anew():
    plain = hash_password("violet harbor lantern 42")
    assert needs_rehash(plain, "v1") and not needs_rehash(plain)
    older = hash_password("violet harbor lantern 42", Pepper("v1", b"k" * 32))
    assert needs_rehash(older, "v2") and not needs_rehash(older, "v1")


def test_128_characters_are_allowed_and_checked_in_full():
    longest = "violet harbor lantern " * 5 + "forty-two cats and"
    assert len(longest) == 128 and problem(longest) == ""
    stored = hash_password(longest)
    assert verify_password(stored, longest)
    # no truncation: a difference in the very last character (far past bcrypt's 72 bytes) counts
    assert not verify_password(stored, longest[:-1] + "D")
    assert not verify_password(stored, longest[:72])


def test_spaces_emoji_and_any_script_are_allowed():
    for password in ("🔑 lantern ключ harbor 山 река", "  wide   spaced   mountain   lantern  "):
        assert problem(password) == ""
        stored = hash_password(password)
        assert verify_password(stored, password)
        assert not verify_password(stored, password.replace(" ", "", 1))  # spaces count


def test_each_hash_has_its_own_random_salt():
    first, second = hash_password("violet harbor lantern 42"), hash_password("violet harbor lantern 42")
    assert first != second
    salt = first.split("$")[4]  # $argon2id$v=19$m=…,t=…,p=…$<salt>$<hash>
    assert len(base64.b64decode(salt + "=" * (-len(salt) % 4))) >= 16  # 128 bits; ASVS asks 32


def test_a_lone_surrogate_is_checked_and_hashed_as_the_replacement_character():
    """A JSON escape ("\\ud800") or an undecodable byte read from standard input gives a string
    UTF-8 cannot hold: checked and hashed as U+FFFD, never an error."""
    odd = "violet\ud800harbor-lantern-42"
    assert normalise(odd) == "violet\ufffdharbor-lantern-42"
    assert problem(odd) == ""
    stored = hash_password(odd)
    assert verify_password(stored, "violet\ufffdharbor-lantern-42")
