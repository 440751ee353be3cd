"""HELPDESK_TRUSTED_PROXIES: the real client address behind proxies, X-Forwarded-For ignored without."""

from __future__ import annotations

import pytest
from flask import Flask

from helpdesk.accounts.directory import directory
from helpdesk.config import SettingsError
from tests.conftest import DEMO_PASSWORD, build_app
from tests.integration.test_sign_in import sign_in
from tests.support import csrf_from

CLIENT = "198.51.100.23"


def history_addresses(app: Flask, account_id: int) -> list[str]:
    with app.app_context():
        return [record.ip for record in directory().sign_ins(account_id)]


def signed_in_through_a_proxy(app: Flask, forwarded: str) -> list[str]:
    with app.app_context():
        account = directory().create("pat@example.org", DEMO_PASSWORD)
    client = app.test_client()
    response = sign_in(client, "pat@example.org", DEMO_PASSWORD, **{"X-Forwarded-For": forwarded})
    assert response.status_code == 303
    return history_addresses(app, account.id)


def test_without_trusted_proxies_x_forwarded_for_is_ignored(app: Flask):
    assert signed_in_through_a_proxy(app, CLIENT) == ["127.0.0.1"]


def test_with_one_trusted_proxy_the_history_has_the_client_it_saw(tmp_path):
    app = build_app(tmp_path, trusted_proxies=1)
    # a client may send its own header: only the entry the trusted proxy appended counts
    assert signed_in_through_a_proxy(app, f"203.0.113.66, {CLIENT}") == [CLIENT]


def remaining_after_asking(app: Flask, addresses: list[str]) -> list[int]:
    """X-RateLimit-Remaining of /password/forgot after each ask, one ask from each address."""
    client = app.test_client()
    token = csrf_from(client.get("/password/forgot").get_data(as_text=True))
    left = []
    for n, address in enumerate(addresses):
        asked = client.post(
            "/password/forgot",
            data={"csrf_token": token, "email": f"nobody-{n}@example.org"},
            headers={"X-Forwarded-For": address},
        )
        left.append(int(asked.headers["X-RateLimit-Remaining"]))
    return left


def test_rate_limits_count_each_client_behind_a_trusted_proxy(tmp_path):
    app = build_app(tmp_path, trusted_proxies=1)
    assert remaining_after_asking(app, [CLIENT, CLIENT, "203.0.113.9"]) == [9, 8, 9]


def test_without_trusted_proxies_everyone_behind_the_proxy_shares_one_limit(app: Flask):
    assert remaining_after_asking(app, [CLIENT, CLIENT, "203.0.113.9"]) == [9, 8, 7]


def test_a_negative_number_of_proxies_is_refused(tmp_path):
    with pytest.raises(SettingsError, match="HELPDESK_TRUSTED_PROXIES"):
        build_app(tmp_path, trusted_proxies=-1)
