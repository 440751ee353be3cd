"""Codes and link tokens of a verification request are kept only as hashes keyed by the site's keys,
naming the key version."""

from __future__ import annotations

import hashlib
import hmac
import re

from helpdesk.cases.verification.hashing import keyed_hash, keyed_hashes, matches, new_link_token
from helpdesk.keys import add_version, keyring
from tests.conftest import build_app


def test_the_same_value_hashes_the_same_way(app):
    with app.app_context():
        assert keyed_hash("12:123456") == keyed_hash("12:123456")
        assert keyed_hash("12:123456") != keyed_hash("12:123457")


def test_the_hash_is_not_a_plain_digest_of_the_value(app):
    with app.app_context():
        assert keyed_hash("123456") != hashlib.sha256(b"123456").hexdigest()


def test_another_secret_key_gives_another_hash(app, tmp_path):
    (tmp_path / "other").mkdir()
    other = build_app(tmp_path / "other", secret_key="another-secret-key")
    with app.app_context():
        ours = keyed_hash("123456")
    with other.app_context():
        theirs = keyed_hash("123456")
    assert ours != theirs


def test_link_tokens_are_long_url_safe_and_new_each_time():
    tokens = {new_link_token() for _ in range(50)}
    assert len(tokens) == 50
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{43}", token) for token in tokens)


def test_a_hash_names_its_key_version_and_matches_only_its_value(app):
    with app.app_context():
        stored = keyed_hash("12:123456")
        assert re.fullmatch(r"v1\$[0-9a-f]{64}", stored)
        assert matches("12:123456", stored) and not matches("12:123457", stored)
        assert not matches("12:123456", "") and not matches("12:123456", "v9$" + "0" * 64)


def test_after_a_rotation_new_hashes_use_the_new_version_and_old_ones_still_match(app):
    with app.app_context():
        old = keyed_hash("token")
        settings = app.extensions["helpdesk.settings"]
        add_version(keyring(), settings.keyring_file)
        new = keyed_hash("token")
        assert new.startswith("v2$") and new != old
        assert matches("token", old) and matches("token", new)
        assert old in keyed_hashes("token") and new in keyed_hashes("token")


def test_a_hash_made_before_key_versions_still_matches(app):
    with app.app_context():
        secret = app.extensions["helpdesk.settings"].secret_key
        # exactly how a value was hashed before key versions
        key = hashlib.sha256(b"helpdesk verification\0" + secret.encode()).digest()
        unlabelled = hmac.new(key, b"12:123456", hashlib.sha256).hexdigest()
        assert matches("12:123456", unlabelled) and not matches("12:654321", unlabelled)
        assert unlabelled in keyed_hashes("12:123456")
