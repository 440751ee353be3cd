"""load_demo(): the demo accounts, each in the state the README promises, reloadable."""

from __future__ import annotations

import re

import pyotp
import pytest

from helpdesk.accounts.directory import directory
from helpdesk.accounts.signin import policy
from helpdesk.accounts.two_factor import check_second_factor
from helpdesk.demo import DEMO_ACCOUNTS, load_demo
from helpdesk.models import utcnow

PASSWORDS = {email: password for email, password, _, _ in DEMO_ACCOUNTS}


@pytest.fixture
def demo(app):
    with app.test_request_context():
        lines = load_demo()
        yield lines


def _key_of(lines: list[str], email: str) -> str:
    start = next(i for i, line in enumerate(lines) if line.startswith(email))
    found = re.search(r"authenticator key: (\S+)", lines[start + 1])
    assert found, lines
    return found.group(1)


def test_every_demo_account_signs_in_with_its_listed_password(demo):
    for email, password in PASSWORDS.items():
        account = directory().find(email)
        assert account is not None and directory().check_password(account.id, password), email


def test_the_fine_account_has_no_failures_lock_or_two_factor(demo):
    river = directory().find("river@example.org")
    assert (river.failed_count, river.locked_until, river.two_factor, river.role) == (0, None, False, None)


def test_the_locked_account_is_locked_for_now_and_not_past_the_hard_stop(demo):
    maple = directory().find("maple@example.org")
    lock_policy = policy()
    assert maple.failed_count == lock_policy.threshold
    assert lock_policy.is_locked(maple.failed_count, maple.locked_until, utcnow())
    assert not lock_policy.needs_unlock(maple.failed_count)


def test_the_hard_locked_account_waits_for_its_owner(demo):
    stone = directory().find("stone@example.org")
    assert stone.locked_until is None and policy().needs_unlock(stone.failed_count)


def test_the_two_factor_account_accepts_a_code_from_the_printed_key(demo):
    fern = directory().find("fern@example.org")
    assert fern.two_factor and fern.role is None
    code = pyotp.TOTP(_key_of(demo, "fern@example.org")).now()
    assert check_second_factor(fern, code) == "totp"


def test_the_printed_recovery_codes_work(demo):
    fern = directory().find("fern@example.org")
    line = next(line for line in demo if "recovery codes:" in line)
    first = line.split("recovery codes:")[1].split()[0]
    assert check_second_factor(fern, first) == "recovery"


def test_the_admin_account_is_an_admin_with_two_factor(demo):
    admin = directory().find("admin@example.org")
    assert admin.role == "admin" and admin.two_factor
    assert check_second_factor(admin, pyotp.TOTP(_key_of(demo, "admin@example.org")).now()) == "totp"


def test_one_line_per_account_names_its_password(demo):
    for email, password in PASSWORDS.items():
        assert any(line.startswith(email) and password in line for line in demo), email


def test_loading_again_restores_every_state_and_keeps_one_account_each(app, demo):
    accounts = directory()
    river = accounts.find("river@example.org")
    accounts.record_failure(river.id)
    accounts.start_session(river.id, "198.51.100.1", "Firefox")
    accounts.set_role(river.id, "admin")
    load_demo()
    river = accounts.find("river@example.org")
    assert (river.failed_count, river.role) == (0, None)
    assert accounts.sessions(river.id) == []


def test_loading_again_gives_a_new_authenticator_key(app, demo):
    again = load_demo()
    assert _key_of(again, "fern@example.org") != _key_of(demo, "fern@example.org")


def test_the_demo_staff_make_a_full_approval_under_the_two_person_rule(tmp_path):
    from helpdesk.cases.verification import review
    from tests.conftest import build_app
    from tests.unit.cases.verification.steps import fetched, submitted_request

    app = build_app(tmp_path, two_person_rule=True)  # the default
    with app.test_request_context():
        lines = load_demo()
        staff = [directory().find(email) for email in ("admin@example.org", "reviewer@example.org")]
        assert all(member.two_factor and member.role in ("admin", "staff") for member in staff)
        assert _key_of(lines, "reviewer@example.org")
        request = submitted_request(app, "river@example.org")
        assert (
            review.decide(request, staff[0].email, "approve", "ID matches")
            is review.DecisionOutcome.NEEDS_SECOND
        )
        assert review.decide(request, staff[1].email, "approve", "agreed") is review.DecisionOutcome.APPROVED
        assert fetched(request.id).status == "on-hold"
