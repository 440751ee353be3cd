"""The site's keys: master secrets with a version label, and one key per purpose derived from a
master with HKDF-SHA256 (the purpose and the version are in HKDF's info, so no two purposes or
versions share a key).

Version `v1` is the site's secret key (HELPDESK_SECRET_KEY, or instance/secret_key). `flask keys
rotate` adds `v2`, `v3`, … to the keyring file (HELPDESK_KEYRING_FILE, default instance/keyring,
one `<version> <secret>` a line); the newest version is the one everything new is made under, and
every older one stays, to open, check and verify what was made under it. Whatever is stored under
a key says which version made it.
"""

from __future__ import annotations

import base64
import os
import re
import secrets
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

from .config import SettingsError, settings

FIRST_VERSION = "v1"
_VERSION = re.compile(r"v([1-9][0-9]{0,5})")
_KEYRING_CACHE = "helpdesk.keyring"


class Purpose(StrEnum):
    """What a derived key is for: one key each."""

    TOTP_SECRETS = "totp secrets"  # Fernet: authenticator keys at rest
    RECOVERY_CODES = "recovery codes"  # HMAC pepper of the salted recovery-code hashes
    VERIFICATION = "verification"  # HMAC of contact codes and recovery link tokens
    EVIDENCE = "evidence"  # AES-GCM: uploaded ID photos and selfies at rest
    STAFF_LINKS = "staff links"  # itsdangerous: links staff send into a diagnosis
    BROWSER_HANDOFF = "browser handoff"  # itsdangerous: "continue in a browser" tickets
    PASSWORDS = "password pepper"  # HMAC of each password before Argon2id (ASVS 2.4.5)


def version_number(version: str) -> int | None:
    """3 for "v3"; None for anything that is not a version label."""
    found = _VERSION.fullmatch(version)
    return int(found.group(1)) if found else None


@dataclass(frozen=True)
class Keyring:
    """The master secrets by version, oldest first; the last is the current one."""

    masters: tuple[tuple[str, str], ...]

    def __post_init__(self) -> None:
        if not self.masters:
            raise SettingsError("the keyring has no key")

    @property
    def current(self) -> str:
        return self.masters[-1][0]

    @property
    def versions(self) -> tuple[str, ...]:
        return tuple(version for version, _ in self.masters)

    @property
    def first_secret(self) -> str:
        """The site's secret key (v1): what the keys before version labels were drawn from."""
        return self.masters[0][1]

    def has(self, version: str) -> bool:
        return any(v == version for v, _ in self.masters)

    def derive(self, purpose: Purpose, version: str | None = None) -> bytes:
        """The 32-byte key for *purpose* under *version* (default: the current one)."""
        version = version or self.current
        master = next((secret for v, secret in self.masters if v == version), None)
        if master is None:
            raise KeyError(f"no key of version {version!r} in the keyring")
        return HKDF(
            algorithm=hashes.SHA256(),
            length=32,
            salt=None,
            info=f"helpdesk\0{purpose}\0{version}".encode(),
        ).derive(master.encode("utf-8"))

    def fernet_key(self, purpose: Purpose, version: str | None = None) -> bytes:
        return base64.urlsafe_b64encode(self.derive(purpose, version))

    def signing_keys(self, purpose: Purpose) -> list[bytes]:
        """For itsdangerous (which signs with the last and accepts each): every version's key for
        *purpose*, oldest first, after the site's secret key itself, which signed before versions."""
        return [self.first_secret.encode("utf-8")] + [self.derive(purpose, v) for v in self.versions]


def load_keyring(secret_key: str, keyring_file: Path) -> Keyring:
    """v1 = *secret_key*; the later versions from *keyring_file* (missing: none yet)."""
    masters: dict[str, str] = {FIRST_VERSION: secret_key}
    if keyring_file.is_file():
        for number, line in enumerate(keyring_file.read_text(encoding="utf-8").splitlines(), 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            version, _, secret = line.partition(" ")
            secret = secret.strip()
            if version_number(version) is None or version == FIRST_VERSION or len(secret) < 32:
                raise SettingsError(
                    f"{keyring_file}:{number}: expected '<version> <secret>' (v2, v3, …; the secret "
                    "at least 32 characters; v1 is HELPDESK_SECRET_KEY)"
                )
            if version in masters:
                raise SettingsError(f"{keyring_file}:{number}: version {version} appears twice")
            masters[version] = secret
    ordered = sorted(masters.items(), key=lambda item: version_number(item[0]) or 0)
    return Keyring(tuple(ordered))


def keyring() -> Keyring:
    """The keyring of the app serving now, read again when its file changes (so a rotation made
    by the command line reaches running processes without a restart)."""
    configured = settings()
    try:
        stat = configured.keyring_file.stat()
        stamp: tuple[int, int] | None = (stat.st_mtime_ns, stat.st_size)
    except FileNotFoundError:
        stamp = None
    cached = current_app.extensions.get(_KEYRING_CACHE)
    if cached is None or cached[0] != stamp:
        cached = (stamp, load_keyring(configured.secret_key, configured.keyring_file))
        current_app.extensions[_KEYRING_CACHE] = cached
    ring: Keyring = cached[1]
    return ring


def write_private(path: Path, content: str | bytes) -> None:
    """Write *content* to *path*, readable by its owner alone from the first byte: the file is
    created mode 600 (never written first and chmod-ed after), then renamed into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        data = content.encode("utf-8") if isinstance(content, str) else content
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def new_secret() -> str:
    """A master secret: 256 random bits."""
    return secrets.token_hex(32)


def add_version(ring: Keyring, keyring_file: Path) -> Keyring:
    """A new master secret, one version above the newest, written to *keyring_file* (mode 600)
    with the older ones; returns the keyring with it."""
    version = f"v{(version_number(ring.current) or 1) + 1}"
    masters = (*ring.masters, (version, new_secret()))
    lines = [
        "# helpdesk keyring: '<version> <secret>' a line; v1 is HELPDESK_SECRET_KEY (or",
        "# instance/secret_key).",
        "# Keep every line: older versions still open and check what was made under them.",
    ]
    lines += [f"{v} {secret}" for v, secret in masters[1:]]
    write_private(keyring_file, "\n".join(lines) + "\n")
    return Keyring(masters)
