"""The account pages' words: every line of the owner's history has a label."""

from __future__ import annotations

from helpdesk.accounts.directory import HistoryResult
from helpdesk.web.account import SIGN_IN_RESULTS


def test_every_history_result_has_words_for_the_owner():
    assert set(SIGN_IN_RESULTS) == set(HistoryResult)
    assert all(label and label[0].isupper() for label in SIGN_IN_RESULTS.values())


def test_no_two_results_read_the_same():
    assert len(set(SIGN_IN_RESULTS.values())) == len(SIGN_IN_RESULTS)
