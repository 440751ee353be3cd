"""Searches that found nothing, kept for editors as the words people used, counted per day.

Only the query text is kept, and even that is scrubbed: people paste email addresses, phone
numbers, this site's recovery and reference codes and the tokens of its links into search boxes,
and none of that is the editors' business. A name, or a password typed into the box, looks like
any other word: no pattern can catch them all, and the editors' page says so.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Container

from ..accounts.two_factor import RECOVERY_ALPHABET, RECOVERY_LENGTH
from ..analytics import count_today
from ..cases.reference import ALPHABET as REFERENCE_ALPHABET
from ..cases.reference import LENGTH as REFERENCE_LENGTH
from ..models import SearchMiss
from . import known_words
from .words import MAX_QUERY_CHARS, clean, fold, query_terms

MAX_KEPT = 200
_LINK = re.compile(r"\b(?:https?|ftp)://\S+", re.IGNORECASE)
_EMAIL = re.compile(r"[^\s@]+@[^\s@]+")
# link tokens (accounts/tokens.py), keys, signed links: a run of URL-safe characters with letters
# and digits, or one too long to be a word whatever it holds
_TOKEN = re.compile(r"(?<![\w.-])(?:(?=[\w.-]*\d)(?=[\w.-]*[^\W\d_])[\w.-]{16,}|[\w.-]{32,})(?![\w.-])")
_MIXED = re.compile(r"(?<!\w)(?=\w*\d)(?=\w*[^\W\d_])\w{8,}(?!\w)")  # letters and digits, 8 or more
_NUMBER = re.compile(r"\+?\d[\d\s().-]{2,}\d")  # four digits or more: phone numbers, codes
# between a code's halves: a dash of any kind or a slash (spaces around allowed), '_' or '.'
_SEPARATOR = r"(?:\s*[-/\u2010-\u2015\u2212]\s*|[_.])"


def _code_shapes(alphabet: str, length: int) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """A code as shown (XXXXX-XXXXX) or typed: any case, its halves joined or apart, and the
    same with a space between the halves (found overlapping: in "case 7KQ4 XW2P" both pairs)."""
    symbol = "[" + re.escape(alphabet) + "]"
    first, second = rf"{symbol}{{{length // 2}}}", rf"{symbol}{{{length - length // 2}}}"
    joined = rf"(?<![^\W_]){first}{_SEPARATOR}?{second}(?![^\W_])"
    spaced = rf"(?=(?<![^\W_])({first}) ({second})(?![^\W_]))"
    return re.compile(joined, re.IGNORECASE), re.compile(spaced, re.IGNORECASE)


_CODE_SHAPES = (
    _code_shapes(RECOVERY_ALPHABET, RECOVERY_LENGTH),
    _code_shapes(REFERENCE_ALPHABET, REFERENCE_LENGTH),
)


def scrub(query: str, known: Container[str] = ()) -> str:
    """The query as editors may see it: personal details replaced by what they were.

    A code's shape is also the shape of some words: what has no digit and is words of the
    content (*known*, folded) is kept: "username", "what-went", and a pair like "what went" if
    either word is one.
    """
    text = clean(unicodedata.normalize("NFKC", query[: MAX_QUERY_CHARS * 4]), limit=MAX_QUERY_CHARS * 4)
    text = _LINK.sub("[link]", text)
    text = _EMAIL.sub("[email]", text)
    text = _TOKEN.sub("[code]", text)
    text = _codes(text, known)
    text = _MIXED.sub("[code]", text)
    text = _NUMBER.sub("[number]", text)
    # cut only now, and between words: a detail cut in two would escape the patterns above
    return _whole_words(text.casefold(), MAX_KEPT)


def _codes(text: str, known: Container[str]) -> str:
    def joined(found: re.Match[str]) -> str:
        shape = found.group()
        if not any(c.isalpha() for c in shape):
            return shape  # digits alone: a number, replaced later
        if not any(c.isdigit() for c in shape) and all(fold(w) in known for w in re.split(_SEPARATOR, shape)):
            return shape
        return "[code]"

    for joined_shape, _ in _CODE_SHAPES:
        text = joined_shape.sub(joined, text)
    spans = sorted(
        (found.start(1), found.end(2))
        for _, spaced_shape in _CODE_SHAPES
        for found in spaced_shape.finditer(text)
        if any(c.isalpha() for c in found.group(1) + found.group(2))
        and fold(found.group(1)) not in known
        and fold(found.group(2)) not in known
    )
    merged: list[list[int]] = []
    for start, stop in spans:  # overlapping pairs become one [code]
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], stop)
        else:
            merged.append([start, stop])
    pieces, end = [], 0
    for start, stop in merged:
        pieces += [text[end:start], "[code]"]
        end = stop
    return "".join(pieces) + text[end:]


def _whole_words(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    head = text[: limit + 1]
    return head[: max(head.rfind(" "), 0)].rstrip()


def record_miss(query: str) -> None:
    """Count one more search for *query* today that found nothing."""
    if not query_terms(query):
        return  # only words like "the": no gap in the content for editors to fill
    kept = scrub(query, known_words())
    if kept:
        count_today(SearchMiss, "count", query=kept)
