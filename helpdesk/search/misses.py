"""Searches that found nothing, kept for editors as the words people used, counted per day.

Only the query text is kept, and even that is scrubbed: people paste email addresses, phone
numbers and codes into search boxes, and none of that is the editors' business.
"""

from __future__ import annotations

import re

from ..analytics import count_today
from ..models import SearchMiss
from .words import clean

MAX_KEPT = 200
_EMAIL = re.compile(r"[^\s@]+@[^\s@]+")
_NUMBER = re.compile(r"\+?\d[\d\s().-]{2,}\d")  # four digits or more: phone numbers, codes
_CODE = re.compile(r"\b(?=\w*\d)\w{12,}\b")  # long letter-and-digit strings: tokens, keys
_LINK = re.compile(r"\b(?:https?|ftp)://\S+", re.IGNORECASE)


def scrub(query: str) -> str:
    """The query as editors may see it: personal details replaced by what they were."""
    text = clean(query).casefold()
    text = _LINK.sub("[link]", text)
    text = _EMAIL.sub("[email]", text)
    text = _NUMBER.sub("[number]", text)
    text = _CODE.sub("[code]", text)
    return text[:MAX_KEPT]


def record_miss(query: str) -> None:
    """Count one more search for *query* today that found nothing."""
    kept = scrub(query)
    if kept:
        count_today(SearchMiss, "count", query=kept)
