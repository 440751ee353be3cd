"""Codes and link tokens of a verification request are kept only as hashes keyed by the site's secret."""

from __future__ import annotations

import hashlib
import re

from helpdesk.cases.verification.hashing import keyed_hash, new_link_token
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
