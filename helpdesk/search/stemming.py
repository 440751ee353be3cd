"""Each language's stems: the same word in its forms ("contraseña", "contraseñas") is one term.

Search indexes a document's words, and looks a query's words up, as their stems in the
document's language (Snowball's stemmers: English, Spanish, Arabic; a language without one keeps
its words whole). Both sides are folded the same way first (lower case, no accents: words.fold),
so "contrasena" typed without its "ñ" finds "contraseña", and Arabic's short vowel marks do not
count.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

import snowballstemmer

from .words import fold, words

# the languages search knows a stemmer for (a language code -> Snowball's name)
STEMMERS = {"en": "english", "es": "spanish", "ar": "arabic"}
_KEPT = 50_000  # stems remembered per language: the content's words and what people ask


def new_stemmer(language: str) -> Callable[[str], str]:
    """The stem of one folded word in *language*, remembered by this stemmer (the content says
    the same words thousands of times; Snowball in pure Python takes ~10 µs a word). Building an
    index takes one of its own: what it remembers of the content goes with it."""
    name = STEMMERS.get(language)
    if name is None:
        return lambda word: word
    snowball = snowballstemmer.stemmer(name)
    spanish = language == "es"
    kept: dict[str, str] = {}

    def stem(word: str) -> str:
        found = kept.get(word)
        if found is None:
            found = snowball.stemWord(word)
            # Spanish Snowball leaves "bloqueo" as "bloque" but "bloqueada" as "bloqu": the
            # final "e" of a stem is dropped, so the noun and the verb are one term
            if spanish and len(found) >= 5 and found.endswith("e"):
                found = found[:-1]
            if len(kept) >= _KEPT:
                kept.clear()
            kept[word] = found
        return found

    return stem


# the stemmer of each language that queries (and PostgreSQL's documents) share
stemmer = cache(new_stemmer)


def stems(text: str, language: str) -> list[str]:
    """The stems of every word of *text* (folded first), in order."""
    stem = stemmer(language)
    return [stem(word) for word in words(text)]


def stemmed(text: str, language: str) -> str:
    """*text* as the index holds it: its stems, one space between them."""
    return " ".join(stems(text, language))


def stem_of(word: str, language: str) -> str:
    """The stem of one word of a query (folded first)."""
    return stemmer(language)(fold(word))
