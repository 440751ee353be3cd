"""Reset and unlock link tokens: what a token is now, and using it once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine
from sqlalchemy import select

from helpdesk.accounts.tokens import (
    TokenStatus,
    check_token,
    issue_token,
    supersede_tokens,
    token_hash,
    use_token,
)
from helpdesk.extensions import db
from helpdesk.models import AccountToken

T0 = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
HALF_AN_HOUR = timedelta(minutes=30)


def test_a_new_token_is_valid_for_its_account(app, account):
    with app.app_context(), time_machine.travel(T0, tick=False):
        raw = issue_token(account.id, "reset", HALF_AN_HOUR)
        checked = check_token(raw, "reset")
        assert (checked.status, checked.account_id, checked.created_at) == (TokenStatus.VALID, account.id, T0)


def test_only_the_hash_of_a_token_is_stored(app, account):
    with app.app_context():
        raw = issue_token(account.id, "reset", HALF_AN_HOUR)
        stored = db.session.scalars(select(AccountToken.token_hash)).all()
        assert stored == [token_hash(raw)] and raw not in stored[0]


def test_a_token_not_ours_or_for_another_purpose_is_unknown(app, account):
    with app.app_context():
        raw = issue_token(account.id, "reset", HALF_AN_HOUR)
        assert check_token("not-a-token", "reset") == check_token("", "reset")
        assert check_token("not-a-token", "reset").status is TokenStatus.UNKNOWN
        assert check_token(raw, "unlock").status is TokenStatus.UNKNOWN
        assert use_token(raw, "unlock").status is TokenStatus.UNKNOWN


def test_a_token_is_used_once(app, account):
    with app.app_context():
        raw = issue_token(account.id, "unlock", HALF_AN_HOUR)
        used = use_token(raw, "unlock")
        assert (used.status, used.account_id) == (TokenStatus.VALID, account.id)
        assert use_token(raw, "unlock").status is TokenStatus.USED
        assert check_token(raw, "unlock").status is TokenStatus.USED


def test_a_token_expires_at_the_end_of_its_lifetime(app, account):
    with app.app_context(), time_machine.travel(T0, tick=False) as clock:
        raw = issue_token(account.id, "reset", HALF_AN_HOUR)
        clock.shift(HALF_AN_HOUR - timedelta(seconds=1))
        assert check_token(raw, "reset").status is TokenStatus.VALID
        clock.shift(timedelta(seconds=1))
        assert check_token(raw, "reset").status is TokenStatus.EXPIRED
        assert use_token(raw, "reset").status is TokenStatus.EXPIRED


def test_a_newer_token_of_the_same_purpose_supersedes_the_older_one(app, account):
    with app.app_context():
        older = issue_token(account.id, "reset", HALF_AN_HOUR)
        unlock = issue_token(account.id, "unlock", HALF_AN_HOUR)
        newer = issue_token(account.id, "reset", HALF_AN_HOUR)
        assert check_token(older, "reset").status is TokenStatus.SUPERSEDED
        assert use_token(older, "reset").status is TokenStatus.SUPERSEDED
        assert check_token(newer, "reset").status is TokenStatus.VALID
        assert check_token(unlock, "unlock").status is TokenStatus.VALID


def test_superseding_without_a_purpose_stops_every_open_token(app, account):
    with app.app_context():
        reset = issue_token(account.id, "reset", HALF_AN_HOUR)
        unlock = issue_token(account.id, "unlock", HALF_AN_HOUR)
        supersede_tokens(account.id)
        assert check_token(reset, "reset").status is TokenStatus.SUPERSEDED
        assert check_token(unlock, "unlock").status is TokenStatus.SUPERSEDED


def test_a_used_token_stays_used_when_the_others_are_superseded(app, account):
    with app.app_context():
        raw = issue_token(account.id, "reset", HALF_AN_HOUR)
        use_token(raw, "reset")
        supersede_tokens(account.id)
        assert check_token(raw, "reset").status is TokenStatus.USED


def test_the_status_reads_as_the_word_it_always_was():
    assert [str(s) for s in TokenStatus] == ["valid", "used", "expired", "superseded", "spent", "unknown"]


def test_a_link_is_spent_at_the_cap_of_wrong_codes_and_can_no_longer_be_used(app, account):
    from helpdesk.accounts.tokens import WRONG_CODES_PER_LINK, count_wrong_code, issue_token, use_token

    with app.app_context():
        raw = issue_token(account.id, "reset", timedelta(minutes=30))
        spent = [count_wrong_code(raw, "reset") for _ in range(WRONG_CODES_PER_LINK)]
        assert spent == [False] * (WRONG_CODES_PER_LINK - 1) + [True]
        assert check_token(raw, "reset").status is TokenStatus.SPENT
        assert use_token(raw, "reset").status is TokenStatus.SPENT
