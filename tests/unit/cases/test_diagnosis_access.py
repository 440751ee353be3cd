"""A diagnosis opened by its bearer token: only the hash is kept, unknown references and wrong
tokens are refused alike, and a diagnosis left alone too long has expired."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from helpdesk.accounts.tokens import token_hash
from helpdesk.cases.diagnoses import answer_step, start_diagnosis
from helpdesk.cases.diagnosis_access import (
    LIFETIME,
    DiagnosisExpired,
    TokenRefused,
    expires_at,
    issue_token,
    open_with_token,
)
from helpdesk.content.live import catalog
from helpdesk.extensions import db
from helpdesk.models import utcnow


def started(**kwargs):
    return start_diagnosis(catalog().flows["fix-it"], **kwargs)


def test_the_token_opens_its_diagnosis(fixture_app):
    with fixture_app.app_context():
        diagnosis = started()
        token = issue_token(diagnosis)
        assert open_with_token(diagnosis.reference, token) == diagnosis


def test_only_the_tokens_hash_is_kept(fixture_app):
    with fixture_app.app_context():
        diagnosis = started()
        token = issue_token(diagnosis)
        assert diagnosis.api_token_hash == token_hash(token) != token
        assert len(token) >= 43  # 256 random bits, URL-safe


def test_the_reference_may_be_typed_loosely(fixture_app):
    with fixture_app.app_context():
        diagnosis = started()
        token = issue_token(diagnosis)
        loose = diagnosis.reference.lower().replace("-", " ")
        assert open_with_token(loose, token) == diagnosis


def test_a_wrong_token_is_refused(fixture_app):
    with fixture_app.app_context():
        diagnosis = started()
        issue_token(diagnosis)
        with pytest.raises(TokenRefused):
            open_with_token(diagnosis.reference, "not-the-token")


def test_an_unknown_or_malformed_reference_is_refused_like_a_wrong_token(fixture_app):
    with fixture_app.app_context():
        token = issue_token(started())
        for reference in ("ZZZZ-ZZZZ", "not a reference", ""):
            with pytest.raises(TokenRefused):
                open_with_token(reference, token)


def test_another_diagnosiss_token_does_not_open_this_one(fixture_app):
    with fixture_app.app_context():
        mine, theirs = started(), started()
        issue_token(mine)
        their_token = issue_token(theirs)
        with pytest.raises(TokenRefused):
            open_with_token(mine.reference, their_token)


def test_a_diagnosis_that_was_never_given_a_token_opens_with_none(fixture_app):
    with fixture_app.app_context():
        diagnosis = started()
        with pytest.raises(TokenRefused):
            open_with_token(diagnosis.reference, "")


def test_a_sandbox_diagnosis_never_opens_by_token(fixture_app):
    with fixture_app.app_context():
        diagnosis = started(sandbox=True)
        token = issue_token(diagnosis)
        with pytest.raises(TokenRefused):
            open_with_token(diagnosis.reference, token)


def test_a_new_token_replaces_the_old_one(fixture_app):
    with fixture_app.app_context():
        diagnosis = started()
        old = issue_token(diagnosis)
        new = issue_token(diagnosis)
        with pytest.raises(TokenRefused):
            open_with_token(diagnosis.reference, old)
        assert open_with_token(diagnosis.reference, new) == diagnosis


def test_a_diagnosis_lasts_thirty_days_after_it_was_last_updated(fixture_app):
    with fixture_app.app_context():
        diagnosis = started()
        assert timedelta(days=30) == LIFETIME
        assert expires_at(diagnosis) == diagnosis.updated_at + LIFETIME


def test_it_expires_once_its_lifetime_has_passed(fixture_app):
    start = utcnow()
    with fixture_app.app_context():
        with time_machine.travel(start, tick=False):
            diagnosis = started()
            token = issue_token(diagnosis)
            reference = diagnosis.reference
        with time_machine.travel(start + LIFETIME - timedelta(seconds=1), tick=False):
            assert open_with_token(reference, token) == diagnosis
        with time_machine.travel(start + LIFETIME, tick=False):
            with pytest.raises(DiagnosisExpired) as expired:
                open_with_token(reference, token)
            assert expired.value.reference == reference


def test_an_answer_gives_the_diagnosis_its_lifetime_again(fixture_app):
    start = utcnow()
    with fixture_app.app_context():
        with time_machine.travel(start, tick=False):
            diagnosis = started()
            token = issue_token(diagnosis)
        with time_machine.travel(start + timedelta(days=20), tick=False):
            answer_step(diagnosis, catalog().flows["fix-it"], "what", "broken")
        with time_machine.travel(start + timedelta(days=45), tick=False):
            db.session.expire_all()
            assert open_with_token(diagnosis.reference, token).step == "explain"
