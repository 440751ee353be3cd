"""A software passkey authenticator for the tests: a real P-256 key (`cryptography`), real CBOR
(`cbor2`), real signatures over real authenticator data and client data, answering the options the
server made exactly as a platform authenticator would (attestation "none")."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import struct
from dataclasses import dataclass, field
from typing import Any

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

UP, UV, BE, BS, AT = 0x01, 0x04, 0x08, 0x10, 0x40


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class SoftAuthenticator:
    """One passkey on one pretend device: *user_verified* (fingerprint, face, PIN) or not,
    *synced* (backed up by a password manager) or device-bound."""

    origin: str = "http://localhost"
    rp_id: str = "localhost"
    user_verified: bool = True
    synced: bool = False
    sign_count: int = 0
    credential_id: bytes = field(default_factory=lambda: os.urandom(32))
    key: ec.EllipticCurvePrivateKey = field(default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))

    def _flags(self, attested: bool = False) -> int:
        flags = UP | (UV if self.user_verified else 0) | (BE | BS if self.synced else 0)
        return flags | (AT if attested else 0)

    def _client_data(self, kind: str, challenge: str, origin: str | None) -> bytes:
        data = {"type": kind, "challenge": challenge, "origin": origin or self.origin, "crossOrigin": False}
        return json.dumps(data).encode()

    def _cose_key(self) -> bytes:
        numbers = self.key.public_key().public_numbers()
        return cbor2.dumps(
            {1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")}
        )

    def register(self, options: str | dict[str, Any], *, origin: str | None = None) -> dict[str, Any]:
        """The answer to `navigator.credentials.create()` with these options."""
        opts = json.loads(options) if isinstance(options, str) else options
        rp_id = opts["rp"]["id"]
        client_data = self._client_data("webauthn.create", opts["challenge"], origin)
        attested = (
            bytes(16) + struct.pack(">H", len(self.credential_id)) + self.credential_id + self._cose_key()
        )
        auth_data = (
            hashlib.sha256(rp_id.encode()).digest()
            + bytes([self._flags(attested=True)])
            + struct.pack(">I", self.sign_count)
            + attested
        )
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        return {
            "id": b64(self.credential_id),
            "rawId": b64(self.credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64(client_data),
                "attestationObject": b64(attestation),
                "transports": ["internal"],
            },
            "clientExtensionResults": {},
            "authenticatorAttachment": "platform",
        }

    def sign_in(
        self,
        options: str | dict[str, Any],
        *,
        origin: str | None = None,
        rp_id: str | None = None,
        count: int | None = None,
        bogus_signature: bool = False,
    ) -> dict[str, Any]:
        """The answer to `navigator.credentials.get()`: the count goes up by one (or is *count*)."""
        opts = json.loads(options) if isinstance(options, str) else options
        self.sign_count = self.sign_count + 1 if count is None else count
        client_data = self._client_data("webauthn.get", opts["challenge"], origin)
        auth_data = (
            hashlib.sha256((rp_id or opts.get("rpId") or self.rp_id).encode()).digest()
            + bytes([self._flags()])
            + struct.pack(">I", self.sign_count)
        )
        signed = auth_data + hashlib.sha256(client_data).digest()
        signature = self.key.sign(signed, ec.ECDSA(hashes.SHA256()))
        if bogus_signature:
            other = ec.generate_private_key(ec.SECP256R1())
            signature = other.sign(signed, ec.ECDSA(hashes.SHA256()))
        return {
            "id": b64(self.credential_id),
            "rawId": b64(self.credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64(client_data),
                "authenticatorData": b64(auth_data),
                "signature": b64(signature),
                "userHandle": None,
            },
            "clientExtensionResults": {},
            "authenticatorAttachment": "platform",
        }
