"""zxcvbn's word lists held as tries (helpdesk/accounts/word_lists.py): the same words with the
same ranks, and the same estimates, as zxcvbn's own dicts, which a separate interpreter that never
imports helpdesk still builds."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time

import pytest
from zxcvbn import zxcvbn
from zxcvbn.frequency_lists import FREQUENCY_LISTS
from zxcvbn.matching import RANKED_DICTIONARIES

from helpdesk.accounts import word_lists
from helpdesk.accounts.word_lists import RankedWords

PASSWORDS = [
    "password",
    "violet-harbor-lantern-42",
    "Tr0ub4dor&3",
    "drowssap-terces",  # reversed words
    "p@ssw0rd-m0nk3y-dr@g0n",  # l33t
    "jennifer-smith-1987",  # a name, a surname, a year
    "correcthorsebatterystaple",
    "contraseña-señal-puerta",
    "qwertyuiop-asdfghjkl",
    "abcdefghijklmnopqrstuvwxyz0123456789-the-quick-brown-fox-jumps-o",  # 64 characters
]


def _stock(code: str) -> object:
    """What *code* prints as JSON in an interpreter with zxcvbn as it ships (no helpdesk)."""
    ran = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    return json.loads(ran.stdout)


def _estimate(result: dict) -> dict:
    return {
        "score": result["score"],
        "guesses": float(result["guesses"]),
        "feedback": result["feedback"],
        "sequence": [
            {
                key: match.get(key)
                for key in ("pattern", "token", "matched_word", "rank", "dictionary_name", "reversed", "l33t")
            }
            for match in result["sequence"]
        ],
    }


def test_every_list_holds_the_same_words_with_the_same_ranks():
    stock = _stock(
        "import json, sys; from zxcvbn.matching import RANKED_DICTIONARIES as lists; "
        "json.dump({name: words for name, words in lists.items() if name != 'user_inputs'}, sys.stdout)"
    )
    assert isinstance(stock, dict)
    ours = {name: words for name, words in RANKED_DICTIONARIES.items() if name != "user_inputs"}
    assert sorted(ours) == sorted(stock)
    for name, words in stock.items():
        assert isinstance(ours[name], RankedWords)
        assert len(ours[name]) == len(words) > 900
        assert {word: ours[name][word] for word in words} == words, name


def test_a_word_not_listed_is_not_in_and_has_no_rank():
    common = RANKED_DICTIONARIES["passwords"]
    assert "password" in common
    assert common["password"] == 2
    assert "violet-harbor-lantern-42" not in common
    with pytest.raises(KeyError):
        common["violet-harbor-lantern-42"]


def test_estimates_are_zxcvbn_s_own():
    stock = _stock(
        "import json, sys; from zxcvbn import zxcvbn; "
        f"json.dump([zxcvbn(p, user_inputs=['river', 'Example Help']) for p in {PASSWORDS!r}], "
        "sys.stdout, default=str)"
    )
    assert isinstance(stock, list)
    ours = [zxcvbn(password, user_inputs=["river", "Example Help"]) for password in PASSWORDS]
    assert [_estimate(result) for result in ours] == [_estimate(result) for result in stock]
    assert any(match["dictionary_name"] == "passwords" for match in _estimate(ours[0])["sequence"])


def test_the_strings_are_let_go():
    """The lists' 95,000 strings are no longer Python objects: once installed, importing zxcvbn
    leaves a few hundred KB of them (its code), where zxcvbn's dicts hold 12 MB."""
    assert FREQUENCY_LISTS == {}
    word_lists.install()  # a second time changes nothing
    assert all(
        isinstance(words, RankedWords) for name, words in RANKED_DICTIONARIES.items() if name != "user_inputs"
    )
    measure = (
        "import tracemalloc, json, sys; tracemalloc.start(); import marisa_trie, array; "
        "before = tracemalloc.get_traced_memory()[0]; {imports}; "
        "print(json.dumps(tracemalloc.get_traced_memory()[0] - before))"
    )
    # the module alone, by its path: importing the helpdesk package would bring Flask and the rest
    load = (
        "import importlib.util as util; "
        f"spec = util.spec_from_file_location('word_lists', {word_lists.__file__!r}); "
        "spec.loader.exec_module(util.module_from_spec(spec))"
    )
    held = _stock(measure.format(imports=load))
    stock = _stock(measure.format(imports="import zxcvbn"))
    assert isinstance(held, int) and isinstance(stock, int)
    assert stock > 10_000_000
    assert held < 2_000_000


def test_estimates_at_once_each_keep_their_own_user_inputs(monkeypatch):
    """zxcvbn keeps a call's user inputs in a module-level table: an estimate on one thread
    while another is under way must not score the first against the second's inputs."""
    from zxcvbn import matching

    seen: dict[str, list[bool]] = {}
    first_inside = threading.Event()
    omnimatch = matching.omnimatch

    def slow_omnimatch(password, ranked_dictionaries):
        inputs = ranked_dictionaries["user_inputs"]
        first_inside.set()
        time.sleep(0.2)  # the other thread's estimate would start now
        seen.setdefault(password, []).append(ranked_dictionaries["user_inputs"] is inputs)
        return omnimatch(password, ranked_dictionaries)

    monkeypatch.setattr(matching, "omnimatch", slow_omnimatch)
    results: dict[str, dict] = {}
    first = threading.Thread(
        target=lambda: results.update(alice=word_lists.estimate("alice-lantern-harbor", ["alice"]))
    )
    first.start()
    assert first_inside.wait(5)
    results["bob"] = word_lists.estimate("bob-lantern-harbor", ["bob"])
    first.join(5)
    assert seen == {"alice-lantern-harbor": [True], "bob-lantern-harbor": [True]}
    assert {
        m["matched_word"] for m in results["alice"]["sequence"] if m.get("dictionary_name") == "user_inputs"
    } == {"alice"}
