"""What every search index answers, whichever database holds it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

MARK_START = "\ue000"  # private-use characters: queries cannot contain them (words.clean drops them)
MARK_END = "\ue001"
# how much a match counts in each part of a document: the title above all
WEIGHTS = {"title": 10.0, "keywords": 6.0, "summary": 4.0, "headings": 3.0, "body": 1.0}


@dataclass(frozen=True)
class Match:
    kind: str
    slug: str
    title: str
    summary: str
    snippet: str  # plain text with MARK_START/MARK_END around the matched words


class Index(Protocol):
    def find(self, groups: list[list[str]], *, any_group: bool, limit: int) -> list[Match]:
        """The best documents, ranked, that have a word of every group (of any group, with any_group).

        A group is one word of the query, or the words a half-typed word may become.
        """
        ...


def pick_snippet(body: str, summary: str) -> str:
    """The body's passage when the query matched there, else the summary (highlighted if it matched)."""
    return body if MARK_START in body else summary
