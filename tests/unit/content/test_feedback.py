""" "Was this helpful?" answers: one row each, and one comment on a "no"."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from helpdesk.content.feedback import COMMENT_LIMIT, FeedbackError, add_comment, record_feedback
from helpdesk.extensions import db
from helpdesk.models import ArticleFeedback


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield


def _row(feedback_id: int) -> ArticleFeedback:
    db.session.expire_all()
    return db.session.get(ArticleFeedback, feedback_id)


def test_an_answer_is_stored_with_its_article(ctx):
    feedback_id = record_feedback("strong-passwords", helpful=True)
    row = _row(feedback_id)
    assert (row.article, row.helpful, row.comment) == ("strong-passwords", True, "")


def test_each_answer_is_a_row_of_its_own(ctx):
    ids = {record_feedback("strong-passwords", helpful=False) for _ in range(3)}
    assert len(ids) == 3
    assert len(db.session.scalars(select(ArticleFeedback)).all()) == 3


def test_a_comment_is_attached_to_a_no_trimmed(ctx):
    feedback_id = record_feedback("strong-passwords", helpful=False)
    add_comment(feedback_id, "  The steps did not match my phone.\n")
    assert _row(feedback_id).comment == "The steps did not match my phone."


def test_a_comment_is_attached_once(ctx):
    feedback_id = record_feedback("strong-passwords", helpful=False)
    add_comment(feedback_id, "first")
    add_comment(feedback_id, "second")
    assert _row(feedback_id).comment == "first"


def test_a_comment_on_a_yes_is_not_stored(ctx):
    feedback_id = record_feedback("strong-passwords", helpful=True)
    add_comment(feedback_id, "great")
    assert _row(feedback_id).comment == ""


def test_nul_characters_are_dropped_from_a_comment(ctx):
    feedback_id = record_feedback("strong-passwords", helpful=False)
    add_comment(feedback_id, "no\x00pe")
    assert _row(feedback_id).comment == "nope"


@pytest.mark.parametrize("comment", ["", "   \n", "\x00\x00"])
def test_an_empty_comment_is_refused(ctx, comment):
    feedback_id = record_feedback("strong-passwords", helpful=False)
    with pytest.raises(FeedbackError, match="write a few words"):
        add_comment(feedback_id, comment)
    assert _row(feedback_id).comment == ""


def test_a_comment_of_the_limit_is_stored(ctx):
    feedback_id = record_feedback("strong-passwords", helpful=False)
    add_comment(feedback_id, "x" * COMMENT_LIMIT)
    assert len(_row(feedback_id).comment) == COMMENT_LIMIT


def test_a_comment_over_the_limit_is_refused(ctx):
    feedback_id = record_feedback("strong-passwords", helpful=False)
    with pytest.raises(FeedbackError, match=f"under {COMMENT_LIMIT} characters"):
        add_comment(feedback_id, "x" * (COMMENT_LIMIT + 1))
    assert _row(feedback_id).comment == ""


def test_a_comment_goes_to_its_own_answer_only(ctx):
    first = record_feedback("strong-passwords", helpful=False)
    second = record_feedback("strong-passwords", helpful=False)
    add_comment(second, "this one")
    assert (_row(first).comment, _row(second).comment) == ("", "this one")
