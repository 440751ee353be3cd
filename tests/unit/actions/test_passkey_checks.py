"""The passkey diagnosis's checks: a passkey signed in just now, and a new passkey was added."""

from __future__ import annotations

from datetime import timedelta

import time_machine

from helpdesk.accounts.passkey_ceremony import (
    add_passkey,
    registration_options,
    sign_in_options,
    sign_in_with_passkey,
)
from helpdesk.actions import get_action
from helpdesk.models import utcnow
from tests.passkey_authenticator import SoftAuthenticator
from tests.unit.actions.test_account_checks import context, signed_in

SIGNED_IN = get_action("passkey-signed-in")
ADDED = get_action("passkey-added")


def test_nobody_signed_in_passes_neither_check(app):
    with app.test_request_context():
        assert SIGNED_IN.submit(context(), {}).status == "failure"
        assert ADDED.submit(context(), {}).status == "failure"


def test_a_new_passkey_passes_the_added_check_for_a_few_minutes(app, account):
    with app.test_request_context():
        viewer = signed_in(account.id)
        assert ADDED.submit(context(viewer), {}).status == "failure"
        answer = SoftAuthenticator().register(registration_options(account))
        add_passkey(account, answer, "New phone", ip="", device="")
        added = ADDED.submit(context(viewer), {})
        assert added.status == "success" and "New phone" in added.message
        with time_machine.travel(utcnow() + timedelta(minutes=16)):
            assert ADDED.submit(context(viewer), {}).status == "failure"


def test_a_passkey_sign_in_passes_the_sign_in_check_and_an_unused_passkey_does_not(app, account):
    authenticator = SoftAuthenticator()
    with app.test_request_context():
        viewer = signed_in(account.id)
        add_passkey(account, authenticator.register(registration_options(account)), "Mine", ip="", device="")
        assert SIGNED_IN.submit(context(viewer), {}).status == "failure"
        sign_in_with_passkey(
            authenticator.sign_in(sign_in_options("203.0.113.50")), ip="203.0.113.50", device=""
        )
        checked = SIGNED_IN.submit(context(viewer), {})
        assert checked.status == "success" and "Mine" in checked.message
