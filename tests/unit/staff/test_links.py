"""Staff links: signed, expiring links that open a diagnosis at a chosen step, answers prefilled."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select

from helpdesk.content.live import catalog
from helpdesk.extensions import db
from helpdesk.models import DiagnosisEvent, StaffLink, utcnow
from helpdesk.staff.links import (
    LinkProblem,
    Opened,
    check_token,
    create_link,
    parse_answers,
    replay,
    start_from_link,
)

SECRET = "test-secret-key"
STAFF = "helper@example.org"


def fix_it():
    return catalog().flows["fix-it"]


def make(step: str = "", answers=(("what", "broken"),), days: int = 7, note: str = ""):
    return create_link(
        fix_it(), created_by=STAFF, step=step, answers=list(answers), days=days, note=note, secret_key=SECRET
    )


# the answers a staff member types


def test_answers_are_read_one_step_equals_choice_a_line():
    assert parse_answers(" what = broken \n\nexplain=continue\n") == [
        ("what", "broken"),
        ("explain", "continue"),
    ]


def test_a_line_that_is_not_step_equals_choice_is_refused_by_its_number():
    for text in ("what=broken\nexplain", "what=broken\n=continue", "what=broken\nexplain= "):
        with pytest.raises(LinkProblem, match="line 2: write each answer as step=choice"):
            parse_answers(text)


def test_replaying_answers_gives_the_path_and_the_answers(fixture_app):
    with fixture_app.app_context():
        path, given = replay(fix_it(), [("what", "broken"), ("explain", "continue")])
    assert (path, given) == (["what", "explain", "apply"], ["broken", "continue"])


def test_answers_out_of_order_are_refused_naming_where_they_lead(fixture_app):
    with fixture_app.app_context(), pytest.raises(LinkProblem) as refused:
        replay(fix_it(), [("explain", "continue")])
    assert str(refused.value) == "'explain' is not where the answers so far lead (that is 'what')"


def test_a_choice_the_step_does_not_have_is_refused(fixture_app):
    with fixture_app.app_context(), pytest.raises(LinkProblem) as refused:
        replay(fix_it(), [("what", "maybe")])
    assert str(refused.value) == "'maybe' is not an answer of step 'what'"


# making a link


def test_a_link_is_stored_with_its_answers_note_and_expiry_and_its_token_opens_it(fixture_app):
    now = utcnow()
    with fixture_app.app_context(), time_machine.travel(now, tick=False):
        link, token = make(step="apply", days=7, note="Call back on Monday")
        assert (link.flow_id, link.step, link.answers, link.note) == (
            "fix-it",
            "apply",
            [["what", "broken"]],
            "Call back on Monday",
        )
        assert link.created_by == STAFF and link.opened_at is None
        assert link.expires_at == now + timedelta(days=7)
        assert check_token(token, "fix-it", SECRET).link == link


def test_a_long_note_is_cut_to_200_characters(fixture_app):
    with fixture_app.app_context():
        link, _ = make(note="x" * 500)
        assert link.note == "x" * 200


def test_a_link_lasts_from_one_to_ninety_days(fixture_app):
    with fixture_app.app_context():
        make(days=1)
        make(days=90)
        for days in (0, 91, -1):
            with pytest.raises(LinkProblem, match="from 1 to 90 days"):
                make(days=days)


def test_answers_that_are_no_way_through_the_flow_store_no_link(fixture_app):
    with fixture_app.app_context():
        with pytest.raises(LinkProblem):
            make(answers=[("what", "maybe")])
        assert db.session.scalars(select(StaffLink)).all() == []


def test_a_link_to_a_step_the_flow_lacks_is_refused(fixture_app):
    with fixture_app.app_context(), pytest.raises(LinkProblem, match="the flow has no step 'nowhere'"):
        make(step="nowhere")


def test_a_link_cannot_open_at_an_end(fixture_app):
    with fixture_app.app_context(), pytest.raises(LinkProblem, match="cannot open at an end step"):
        make(step="done")


# checking a link's token


def test_a_token_for_another_flow_is_altered(fixture_app):
    with fixture_app.app_context():
        _, token = make()
        assert check_token(token, "other-flow", SECRET) == Opened(None, "altered")


def test_a_tampered_token_or_one_signed_with_another_secret_is_altered(fixture_app):
    with fixture_app.app_context():
        _, token = make()
        assert check_token(token + "x", "fix-it", SECRET).problem == "altered"
        assert check_token(token, "fix-it", "another-secret").problem == "altered"
        assert check_token("", "fix-it", SECRET).problem == "altered"


def test_a_token_whose_link_is_gone_is_altered(fixture_app):
    with fixture_app.app_context():
        link, token = make()
        db.session.delete(link)
        db.session.commit()
        assert check_token(token, "fix-it", SECRET).problem == "altered"


def test_a_link_past_its_days_has_expired(fixture_app):
    now = utcnow()
    with fixture_app.app_context():
        with time_machine.travel(now, tick=False):
            _, token = make(days=2)
        with time_machine.travel(now + timedelta(days=2, seconds=-1), tick=False):
            assert check_token(token, "fix-it", SECRET).link is not None
        with time_machine.travel(now + timedelta(days=2), tick=False):
            assert check_token(token, "fix-it", SECRET) == Opened(None, "expired")


# opening a link


def test_opening_starts_a_diagnosis_at_the_links_step_with_the_answers_given(fixture_app):
    with fixture_app.app_context():
        link, _ = make(step="confirm", answers=[("what", "broken")])
        diagnosis = start_from_link(link, fix_it())
        assert (diagnosis.step, diagnosis.path, diagnosis.answers) == (
            "confirm",
            ["what", "explain", "confirm"],
            ["broken", "(link)"],
        )
        assert diagnosis.link_id == link.id and diagnosis.flow_id == "fix-it"


def test_opening_is_recorded_with_the_link_its_author_and_the_answers_prefilled(fixture_app):
    with fixture_app.app_context():
        link, _ = make(step="confirm")
        diagnosis = start_from_link(link, fix_it())
        [opened] = db.session.scalars(
            select(DiagnosisEvent).where(
                DiagnosisEvent.diagnosis_id == diagnosis.id, DiagnosisEvent.kind == "opened_from_link"
            )
        ).all()
        assert (opened.step, opened.detail) == ("confirm", {"link": link.id, "by": STAFF, "prefilled": 2})


def test_a_link_whose_step_is_where_the_answers_lead_adds_no_step(fixture_app):
    with fixture_app.app_context():
        link, _ = make(step="explain")
        diagnosis = start_from_link(link, fix_it())
        assert (diagnosis.path, diagnosis.answers) == (["what", "explain"], ["broken"])


def test_a_link_without_a_step_opens_where_the_answers_lead(fixture_app):
    with fixture_app.app_context():
        link, _ = make(step="", answers=[("what", "broken"), ("explain", "continue")])
        assert start_from_link(link, fix_it()).step == "apply"


def test_the_first_opening_is_noted_on_the_link_and_later_ones_keep_it(fixture_app):
    now = utcnow()
    with fixture_app.app_context():
        link, _ = make()
        with time_machine.travel(now, tick=False):
            first = start_from_link(link, fix_it())
        with time_machine.travel(now + timedelta(hours=1), tick=False):
            second = start_from_link(link, fix_it())
        db.session.refresh(link)
        assert link.opened_at == now
        assert first.reference != second.reference  # each opening is a diagnosis of its own


def test_links_signed_with_the_site_key_or_an_older_version_still_open_after_a_rotation(fixture_app):
    from helpdesk.keys import Purpose, add_version, keyring

    with fixture_app.app_context():
        settings = fixture_app.extensions["helpdesk.settings"]
        _, before_versions = make()  # signed with the site's secret key itself, as before versions
        v1_keys = keyring().signing_keys(Purpose.STAFF_LINKS)
        _, under_v1 = create_link(
            fix_it(), created_by=STAFF, step="", answers=[], days=7, note="", secret_key=v1_keys
        )
        add_version(keyring(), settings.keyring_file)
        now_keys = keyring().signing_keys(Purpose.STAFF_LINKS)
        assert check_token(before_versions, "fix-it", now_keys).link is not None
        assert check_token(under_v1, "fix-it", now_keys).link is not None
        _, under_v2 = create_link(
            fix_it(), created_by=STAFF, step="", answers=[], days=7, note="", secret_key=now_keys
        )
        assert under_v2 not in (before_versions, under_v1)
        assert check_token(under_v2, "fix-it", SECRET).problem == "altered"  # not the bare site key
        assert check_token(under_v2, "fix-it", now_keys).link is not None
