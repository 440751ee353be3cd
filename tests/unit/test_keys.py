"""The keyring: one key per purpose and version, the keyring file, files written mode 600."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from helpdesk.config import SettingsError
from helpdesk.keys import Keyring, Purpose, add_version, keyring, load_keyring, write_private

ROOT = Path(__file__).resolve().parents[2]
RING = Keyring((("v1", "the site's secret key"), ("v2", "a" * 64)))


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_each_purpose_and_each_version_has_its_own_key():
    keys = {RING.derive(purpose, version) for purpose in Purpose for version in RING.versions}
    assert len(keys) == len(Purpose) * 2
    assert all(len(key) == 32 for key in keys)
    assert RING.derive(Purpose.EVIDENCE) == RING.derive(Purpose.EVIDENCE, "v2")  # the newest is current
    assert RING.current == "v2" and RING.first_secret == "the site's secret key"


def test_a_version_not_in_the_keyring_has_no_key():
    with pytest.raises(KeyError):
        RING.derive(Purpose.EVIDENCE, "v3")


def test_signing_keys_sign_with_the_newest_and_accept_the_older_ones():
    keys = RING.signing_keys(Purpose.STAFF_LINKS)
    assert keys[0] == b"the site's secret key"  # what signed before versions
    assert keys[-1] == RING.derive(Purpose.STAFF_LINKS, "v2")  # itsdangerous signs with the last


def test_the_keyring_file_adds_later_versions_in_order(tmp_path):
    file = tmp_path / "keyring"
    file.write_text(f"# a comment\n\nv3 {'c' * 40}\nv2 {'b' * 40}\n")
    ring = load_keyring("secret", file)
    assert ring.versions == ("v1", "v2", "v3")
    assert ring.masters[0] == ("v1", "secret")
    assert load_keyring("secret", tmp_path / "missing").versions == ("v1",)


@pytest.mark.parametrize(
    "line",
    ["v2 short", "v1 " + "x" * 40, "two " + "x" * 40, f"v2 {'x' * 40}\nv2 {'y' * 40}"],
)
def test_a_bad_keyring_line_is_named(tmp_path, line):
    file = tmp_path / "keyring"
    file.write_text(line + "\n")
    with pytest.raises(SettingsError, match=r"keyring:\d+:"):
        load_keyring("secret", file)


def test_a_new_version_is_written_mode_600_with_the_older_ones(tmp_path):
    file = tmp_path / "keyring"
    old_umask = os.umask(0o022)  # a usual umask: a plain write would make the file world-readable
    try:
        ring = add_version(Keyring((("v1", "secret"),)), file)
        ring = add_version(ring, file)
    finally:
        os.umask(old_umask)
    assert mode_of(file) == 0o600
    assert ring.versions == ("v1", "v2", "v3")
    assert load_keyring("secret", file) == ring
    assert [p.name for p in tmp_path.iterdir()] == ["keyring"]  # no temporary file left behind


def test_write_private_creates_the_file_mode_600_and_replaces_one_there(tmp_path):
    target = tmp_path / "deeper" / "secret_key"
    old_umask = os.umask(0)
    try:
        write_private(target, "first\n")
        assert mode_of(target) == 0o600
        target.chmod(0o644)
        write_private(target, b"second\n")
    finally:
        os.umask(old_umask)
    assert target.read_text() == "second\n" and mode_of(target) == 0o600


def test_the_app_reads_the_keyring_again_when_the_file_changes(app):
    with app.app_context():
        settings = app.extensions["helpdesk.settings"]
        assert settings.keyring_file == settings.instance_dir / "keyring"
        assert keyring().versions == ("v1",)
        assert keyring().first_secret == settings.secret_key
        add_version(keyring(), settings.keyring_file)
        assert keyring().versions == ("v1", "v2")


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_creates_instance_secret_key_mode_600_from_the_first_byte(tmp_path):
    # a stand-in python that notes the mode of the file it is writing to, while it writes
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "python"
    fake.write_text('#!/bin/sh\nstat -L -c %a /proc/self/fd/1 > "$MODE_SEEN"\necho ' + "ab" * 32 + "\n")
    fake.chmod(0o755)
    seen = tmp_path / "mode-seen"
    make = f'make -s -C "{tmp_path}" -f "{ROOT / "Makefile"}" BIN="{bin_dir}" instance/secret_key'
    subprocess.run(
        ["sh", "-c", f"umask 022 && {make}"],  # a usual umask: a plain redirect would make it 644
        check=True,
        env={**os.environ, "MODE_SEEN": str(seen)},
    )
    key_file = tmp_path / "instance" / "secret_key"
    assert seen.read_text().strip() == "600"  # while being written, not only once written
    assert mode_of(key_file) == 0o600
    assert key_file.read_text().strip() == "ab" * 32
