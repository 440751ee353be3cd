"""search(): the answers of one content version kept, the least recently asked forgotten first."""

from __future__ import annotations

from helpdesk import search as search_module
from helpdesk.search import Answers, SearchResults, search


def _results(query: str) -> SearchResults:
    return SearchResults(query, query, corrected=False, partial=False)


def test_answers_keep_the_latest_and_forget_the_least_recently_asked():
    answers = Answers(2)
    answers.keep(("one", 20, False), _results("one"))
    answers.keep(("two", 20, False), _results("two"))
    assert answers.get(("one", 20, False)) == _results("one")  # asked again: now the latest
    answers.keep(("three", 20, False), _results("three"))
    assert answers.get(("two", 20, False)) is None
    assert answers.get(("one", 20, False)) == _results("one")
    assert len(answers) == 2


def test_the_same_search_is_answered_once_per_content_version(app):
    with app.test_request_context():
        first = search("forgot password")
        again = search("  forgot   password ")  # the same once cleaned
        assert again is first
        assert search("forgot password", limit=5) is not first  # another question
        assert search("forgot password", prefix=True) is not first


def test_kept_answers_are_bounded(app, monkeypatch):
    monkeypatch.setattr(search_module, "RESULTS_KEPT", 3)
    with app.test_request_context():
        app.extensions.pop(search_module.KEY, None)  # an index made with the smaller bound
        for query in ("password", "locked", "phone", "wifi", "phishing"):
            search(query)
        built = app.extensions[search_module.KEY]
        assert len(built.answers) == 3
        assert built.answers.get(("password", 20, False, "en")) is None
        assert built.answers.get(("phishing", 20, False, "en")) is not None
