"""zxcvbn's ranked word lists (30,000 common passwords, English words, names, surnames) held as
marisa tries: about 1.5 MB, instead of six Python dicts of 95,000 strings and their ranks (12 MB in
every worker's resident memory, as each is forked from the master that imported them).

zxcvbn keeps the lists in `zxcvbn.matching.RANKED_DICTIONARIES` and only ever asks `word in
ranked` and `ranked[word]` of them (its dictionary matchers); each trie answers both, with the
very ranks the dict gave, so the estimate is unchanged (tests/unit/accounts/test_word_lists.py
holds it to zxcvbn's own, run in a separate interpreter). `estimate` is zxcvbn's estimate, made
one at a time."""

from __future__ import annotations

import array
import threading
from collections.abc import Mapping
from typing import Any

import marisa_trie
from zxcvbn import matching, zxcvbn
from zxcvbn.frequency_lists import FREQUENCY_LISTS


class RankedWords(marisa_trie.Trie):
    """The words of one list, `in` answered by the trie, `[word]` its rank (1 = most common)."""

    _ranks: array.array[int]

    @classmethod
    def of(cls, ranked: Mapping[str, int]) -> RankedWords:
        words = cls(ranked.keys())
        words._ranks = array.array("I", bytes(4 * len(words)))
        for word, rank in ranked.items():  # a word listed twice keeps the rank the dict kept
            words._ranks[words.key_id(word)] = rank
        return words

    def __getitem__(self, word: str) -> int:
        return self._ranks[super().__getitem__(word)]


def install() -> None:
    """Swap each of zxcvbn's lists for its trie, and let go of the strings (their lists too):
    once, in the process that imports this module."""
    for name, ranked in list(matching.RANKED_DICTIONARIES.items()):
        if name != "user_inputs" and isinstance(ranked, dict):
            matching.RANKED_DICTIONARIES[name] = RankedWords.of(ranked)
    FREQUENCY_LISTS.clear()


install()

# zxcvbn puts each call's user inputs in that same module-level table (its 'user_inputs' list)
# and then reads them back: two threads of a worker estimating at once would each be scored
# against the other's inputs
_ONE_AT_A_TIME = threading.Lock()


def estimate(password: str, user_inputs: list[str]) -> Mapping[str, Any]:
    """zxcvbn's estimate of *password*, words of *user_inputs* counted as easy guesses; one
    estimate at a time in this process (a few ms each)."""
    with _ONE_AT_A_TIME:
        return zxcvbn(password, user_inputs=user_inputs)
