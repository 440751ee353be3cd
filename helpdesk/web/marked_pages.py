"""A page rendered once with markers where its changing values go, then filled in for each
request: the texts between the markers, and which value each marker stands for. Filling one in is
a join of its pieces, not a search of the whole page (a plain step page, web/diagnose.py; a search
results page's frame and results block, web/search_page.py)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Self


@dataclass(frozen=True)
class MarkedPage:
    texts: tuple[str, ...]
    slots: tuple[str, ...]  # the value between each text and the next

    @classmethod
    def split(cls, rendered: str, marks: re.Pattern[str]) -> Self:
        """*rendered* cut at its *marks*, a pattern of one group: the group names the value."""
        pieces = marks.split(rendered)
        return cls(tuple(pieces[0::2]), tuple(pieces[1::2]))

    def fill(self, values: Mapping[str, str]) -> str:
        """The page with each marker's value in its place, as given (HTML: escaped already)."""
        out = [self.texts[0]]
        for slot, text in zip(self.slots, self.texts[1:], strict=True):
            out += (values[slot], text)
        return "".join(out)


__all__ = ["MarkedPage"]
