"""Uploaded files checked by a virus scanner before they are kept (ASVS 12.4.2): clamd, the
ClamAV daemon, over its INSTREAM protocol, at HELPDESK_CLAMD (a Unix socket path, or host:port).

Nothing is written to disk before the scan: the bytes go to clamd from memory.
"""

from __future__ import annotations

import socket
import struct
from dataclasses import dataclass

from ..errors import DomainError

CHUNK = 64 * 1024
TIMEOUT_SECONDS = 30


class ScannerUnavailable(DomainError):
    """The scanner could not be asked: the upload is refused for now, nothing else is lost."""

    http_status = 503


@dataclass(frozen=True)
class Verdict:
    clean: bool
    signature: str = ""  # what the scanner found, for the log and the audit; never shown to the sender


def _connect(address: str) -> socket.socket:
    if address.startswith("/") or address.startswith("unix:"):
        path = address.removeprefix("unix:")
        connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        connection.settimeout(TIMEOUT_SECONDS)
        connection.connect(path)
        return connection
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        raise ScannerUnavailable(f"HELPDESK_CLAMD is neither a socket path nor host:port: {address!r}")
    return socket.create_connection((host.strip("[]"), int(port)), timeout=TIMEOUT_SECONDS)


def scan(data: bytes, address: str) -> Verdict:
    """Send *data* to clamd at *address*; its verdict. ScannerUnavailable when it can't be asked
    or answers something else than a verdict (a size limit, an error)."""
    try:
        with _connect(address) as connection:
            connection.sendall(b"zINSTREAM\0")
            for start in range(0, len(data), CHUNK):
                piece = data[start : start + CHUNK]
                connection.sendall(struct.pack("!L", len(piece)) + piece)
            connection.sendall(struct.pack("!L", 0))
            reply = b""
            while not reply.endswith(b"\0"):
                received = connection.recv(4096)
                if not received:
                    break
                reply += received
    except OSError as exc:
        raise ScannerUnavailable(f"clamd at {address} could not be asked: {exc}") from exc
    answer = reply.rstrip(b"\0").decode("utf-8", "replace").strip()
    if answer.endswith(" OK"):
        return Verdict(clean=True)
    if answer.endswith(" FOUND"):
        return Verdict(clean=False, signature=answer.removeprefix("stream:").removesuffix("FOUND").strip())
    raise ScannerUnavailable(f"clamd at {address} answered {answer[:200]!r}")
