"""Staff roles: one rule for what each may open."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from helpdesk.accounts.directory import AccountRecord
from helpdesk.accounts.roles import Role, may


@pytest.mark.parametrize("role", list(Role))
def test_admins_may_open_what_any_role_may(role: Role):
    assert may(Role.ADMIN, role)


def test_a_role_opens_its_own_pages_and_no_other():
    assert may(Role.STAFF, Role.STAFF)
    assert not may(Role.STAFF, Role.EDITOR)
    assert not may(Role.STAFF, Role.ADMIN)
    assert may(Role.EDITOR, Role.EDITOR)
    assert not may(Role.EDITOR, Role.STAFF)


def test_any_staff_role_opens_a_page_that_names_none():
    assert may(Role.EDITOR)
    assert may("staff")


@pytest.mark.parametrize("role", [None, "", "owner", "ADMIN"])
def test_no_role_or_an_unknown_one_opens_nothing(role: str | None):
    assert not may(role)
    assert not may(role, Role.STAFF)


def test_an_account_record_asks_the_same_rule():
    record = AccountRecord(
        id=1,
        email="a@example.org",
        failed_count=0,
        locked_until=None,
        password_changed_at=datetime.now(UTC),
        role="editor",
    )
    assert record.may(Role.EDITOR)
    assert not record.may(Role.ADMIN)
