"""Asking a real clamd about uploaded bytes: clean, found, or the scanner can't be asked."""

from __future__ import annotations

import pytest

from helpdesk.cases.virus_scan import CHUNK, ScannerUnavailable, Verdict, scan
from tests.scanner import MARKER, SIGNATURE, clamd_address  # noqa: F401 (the fixture)


def test_clean_bytes_are_clean(clamd_address):  # noqa: F811
    assert scan(b"%PDF-1.7 nothing to see\n%%EOF", clamd_address) == Verdict(clean=True)


def test_a_known_signature_is_found_even_deep_in_a_large_file(clamd_address):  # noqa: F811
    data = b"\x89PNG\r\n\x1a\n" + b"\0" * (3 * CHUNK + 17) + MARKER + b"\0" * 100
    verdict = scan(data, clamd_address)
    assert not verdict.clean and verdict.signature.startswith(SIGNATURE)


def test_a_scanner_that_is_not_there_is_unavailable(tmp_path):
    with pytest.raises(ScannerUnavailable) as refused:
        scan(b"anything", str(tmp_path / "no-such.sock"))
    assert refused.value.http_status == 503


@pytest.mark.parametrize("address", ["nonsense", "host:port", ":99"])
def test_an_address_that_is_neither_a_socket_nor_host_and_port_is_refused(address):
    with pytest.raises(ScannerUnavailable):
        scan(b"anything", address)
