"""Answers that take the same time whatever the account: a floor under their duration."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from .config import settings


@dataclass
class Floor:
    padded: bool = True

    def skip(self) -> None:
        """This answer may be quick (a success only the account's owner sees)."""
        self.padded = False


@contextmanager
def uniform_duration() -> Iterator[Floor]:
    """Pad the block to HELPDESK_ANSWER_FLOOR_MS, so that the work done for an existing account
    (a password check and two writes, a token and a mail) and for an unknown one look alike."""
    floor = settings().answer_floor_ms / 1000
    started = time.perf_counter()
    control = Floor()
    try:
        yield control
    finally:
        remaining = floor - (time.perf_counter() - started)
        if control.padded and remaining > 0:
            time.sleep(remaining)
