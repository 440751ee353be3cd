"""Who a failed sign-in counts against (account, address, confirmed device), and who is refused."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from helpdesk.accounts.directory import directory
from helpdesk.accounts.failures import PRESSED_AT, Route, address_allowed, forgive, note_failure, route
from helpdesk.extensions import db
from helpdesk.models import AuditEntry
from tests.conftest import DEMO_PASSWORD

TOKEN = "pats-laptop-device-cookie-0123456789"
IP = "203.0.113.66"


@pytest.fixture
def ctx(app):
    with app.test_request_context():
        yield


def spent_budgets() -> list[dict]:
    found = select(AuditEntry).where(AuditEntry.action == "sign-in.failures-budget-spent")
    return [entry.detail for entry in db.session.scalars(found)]


def test_an_address_with_budget_left_takes_the_ordinary_route(app, ctx, account):
    assert route(account.id, IP, None) == Route()


def test_ten_failures_from_one_address_refuse_it_for_that_account_only(app, ctx, account):
    other = directory().create("sam@example.org", DEMO_PASSWORD)
    for _ in range(10):
        note_failure(account.id, IP, Route())
    assert route(account.id, IP, None).refused
    assert not route(other.id, IP, None).refused
    assert not route(account.id, "198.51.100.1", None).refused
    assert spent_budgets() == [{"budget": "address, this account"}]


def test_an_address_that_pressed_five_accounts_is_refused_for_all(app, ctx, account):
    accounts = [directory().create(f"person{n}@example.org", DEMO_PASSWORD) for n in range(5)]
    for pressed in accounts:
        assert address_allowed(IP)
        for _ in range(PRESSED_AT):
            note_failure(pressed.id, IP, Route())
    assert not address_allowed(IP) and route(account.id, IP, None).refused
    assert spent_budgets() == [{"budget": "address, accounts pressed"}]


def test_a_confirmed_device_takes_its_own_route_and_its_failures_spend_only_its_budget(app, ctx, account):
    device_id, _ = directory().remember_device(account.id, TOKEN, "Firefox")
    assert route(account.id, IP, TOKEN) == Route()  # not confirmed: like anyone
    directory().confirm_device(account.id, device_id)
    mine = route(account.id, IP, TOKEN)
    assert mine == Route(device_id=device_id)
    for _ in range(10):
        note_failure(account.id, IP, mine)
    assert route(account.id, IP, None) == Route()  # the address spent nothing
    assert route(account.id, IP, TOKEN) == Route()  # the device's budget is spent: like anyone now
    assert spent_budgets() == [{"budget": "confirmed device", "device_id": device_id}]


def test_forgiving_an_address_gives_it_back_its_budget_for_that_account(app, ctx, account):
    for _ in range(10):
        note_failure(account.id, IP, Route())
    forgive(account.id, IP)
    assert not route(account.id, IP, None).refused


def test_a_budget_that_is_not_a_rate_stops_the_app_at_start(tmp_path):
    from helpdesk.config import SettingsError
    from tests.conftest import build_app

    with pytest.raises(SettingsError, match="HELPDESK_FAILURES_PER_ADDRESS"):
        build_app(tmp_path, failures_per_address="a hundred a day")


def test_two_workers_on_one_redis_share_the_budgets(tmp_path, redis_url):
    import uuid

    from tests.conftest import build_app

    first, second = build_app(tmp_path, redis_url=redis_url), build_app(tmp_path, redis_url=redis_url)
    ip = f"203.0.113.{uuid.uuid4().int % 200 + 1}-{uuid.uuid4().hex[:6]}"  # counters outlive a test
    with first.test_request_context():
        pat = directory().create("pat@example.org", DEMO_PASSWORD)
        for _ in range(5):
            note_failure(pat.id, ip, Route())
    with second.test_request_context():
        for _ in range(5):
            note_failure(pat.id, ip, Route())
    with first.test_request_context():
        assert route(pat.id, ip, None).refused  # ten in all, five on each worker
