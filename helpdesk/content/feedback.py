""" "Was this helpful?" answers about articles."""

from __future__ import annotations

from flask_babel import gettext
from sqlalchemy import update

from ..errors import DomainError
from ..extensions import db
from ..models import ArticleFeedback

COMMENT_LIMIT = 2000


class FeedbackError(DomainError, ValueError):
    """The feedback cannot be stored as given; the message says why."""


def record_feedback(article: str, helpful: bool) -> int:
    row = ArticleFeedback(article=article, helpful=helpful, comment="")
    db.session.add(row)
    db.session.commit()
    return row.id


def add_comment(feedback_id: int, comment: str) -> None:
    """Attach the optional comment to a "no" answer, once."""
    text = comment.replace("\x00", "").strip()
    if not text:
        raise FeedbackError(gettext("Please write a few words, or just leave the page."))
    if len(text) > COMMENT_LIMIT:
        raise FeedbackError(gettext("Please keep it under %(limit)s characters.", limit=COMMENT_LIMIT))
    db.session.execute(
        update(ArticleFeedback)
        .where(
            ArticleFeedback.id == feedback_id,
            ArticleFeedback.helpful.is_(False),
            ArticleFeedback.comment == "",
        )
        .values(comment=text)
    )
    db.session.commit()
