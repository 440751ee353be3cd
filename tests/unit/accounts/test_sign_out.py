"""Signing out everywhere else: other sessions end, unconfirmed devices are forgotten."""

from __future__ import annotations

from helpdesk.accounts.directory import directory
from helpdesk.accounts.sign_out import SignedOutElsewhere, sign_out_everywhere_else


def _signed_in(account_id: int, cookie: str, summary: str) -> tuple[str, int, int]:
    """A browser signed in on its own device: (session token, session id, device id)."""
    accounts = directory()
    device_id, _ = accounts.remember_device(account_id, cookie, summary)
    token = accounts.start_session(account_id, "198.51.100.1", summary, device_id=device_id)
    _, session_id = accounts.session_account(token)
    return token, session_id, device_id


def test_every_other_session_ends_and_this_one_stays(app, account):
    with app.app_context():
        mine, my_session, _ = _signed_in(account.id, "cookie-mine", "Firefox")
        other, _, _ = _signed_in(account.id, "cookie-other", "Chrome")
        sign_out_everywhere_else(account.id, mine, my_session)
        assert directory().session_account(mine) is not None
        assert directory().session_account(other) is None
        assert [s.id for s in directory().sessions(account.id)] == [my_session]


def test_unconfirmed_devices_are_forgotten_but_this_sessions_device_is_kept(app, account):
    with app.app_context():
        mine, my_session, my_device = _signed_in(account.id, "cookie-mine", "Firefox")
        _signed_in(account.id, "cookie-other", "Chrome")
        sign_out_everywhere_else(account.id, mine, my_session)
        assert [d.id for d in directory().devices(account.id)] == [my_device]


def test_confirmed_devices_are_kept(app, account):
    with app.app_context():
        mine, my_session, _ = _signed_in(account.id, "cookie-mine", "Firefox")
        _, _, tablet = _signed_in(account.id, "cookie-tablet", "Safari")
        directory().confirm_device(account.id, tablet)
        result = sign_out_everywhere_else(account.id, mine, my_session)
        assert tablet in {d.id for d in directory().devices(account.id)}
        assert result == SignedOutElsewhere(sessions_ended=1, devices_forgotten=0)


def test_a_forgotten_device_signing_in_again_counts_as_new(app, account):
    with app.app_context():
        mine, my_session, _ = _signed_in(account.id, "cookie-mine", "Firefox")
        _signed_in(account.id, "cookie-other", "Chrome")
        sign_out_everywhere_else(account.id, mine, my_session)
        _, is_new = directory().remember_device(account.id, "cookie-other", "Chrome")
        assert is_new


def test_it_counts_the_sessions_ended_and_devices_forgotten(app, account):
    with app.app_context():
        mine, my_session, _ = _signed_in(account.id, "cookie-mine", "Firefox")
        _signed_in(account.id, "cookie-2", "Chrome")
        _signed_in(account.id, "cookie-3", "Edge")
        result = sign_out_everywhere_else(account.id, mine, my_session)
    assert result == SignedOutElsewhere(sessions_ended=2, devices_forgotten=2)


def test_another_accounts_sessions_and_devices_are_untouched(app, account):
    with app.app_context():
        other_account = directory().create("sam@example.org", "violet-harbor-lantern-42")
        theirs, _, their_device = _signed_in(other_account.id, "cookie-sam", "Chrome")
        mine, my_session, _ = _signed_in(account.id, "cookie-mine", "Firefox")
        sign_out_everywhere_else(account.id, mine, my_session)
        assert directory().session_account(theirs) is not None
        assert [d.id for d in directory().devices(other_account.id)] == [their_device]


def test_a_session_without_a_device_forgets_every_unconfirmed_device(app, account):
    with app.app_context():
        mine = directory().start_session(account.id, "198.51.100.1", "curl")
        _, my_session = directory().session_account(mine)
        _signed_in(account.id, "cookie-other", "Chrome")
        result = sign_out_everywhere_else(account.id, mine, my_session)
        assert directory().devices(account.id) == []
    assert result.devices_forgotten == 1


def test_the_message_with_nothing_forgotten_names_the_sessions_only():
    assert SignedOutElsewhere(1, 0).message == "Signed out everywhere else: 1 other session ended."
    assert SignedOutElsewhere(0, 0).message == "Signed out everywhere else: 0 other sessions ended."


def test_the_message_names_one_forgotten_device_in_the_singular():
    assert SignedOutElsewhere(2, 1).message == (
        "Signed out everywhere else: 2 other sessions ended; 1 device you hadn't confirmed was "
        "forgotten. If one signs in again, we'll email you."
    )


def test_the_message_names_several_forgotten_devices_in_the_plural():
    assert "; 3 devices you hadn't confirmed were forgotten." in SignedOutElsewhere(3, 3).message


def test_signing_out_everywhere_is_in_the_owners_history(app, account):
    with app.app_context():
        mine, my_session, _ = _signed_in(account.id, "cookie-mine", "Firefox")
        sign_out_everywhere_else(account.id, mine, my_session, ip="198.51.100.7", device="Firefox on Linux")
        [line] = directory().sign_ins(account.id)
    assert (line.result, line.ip, line.device) == (
        "signed-out-everywhere",
        "198.51.100.7",
        "Firefox on Linux",
    )
