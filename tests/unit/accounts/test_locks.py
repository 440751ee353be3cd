"""The lock every sign-in asks about comes from the directory: the help center's own escalation
for the embedded one, the directory's own record for one that locks itself (here a small real
adapter that locks after 3 wrong passwords, like OpenLDAP's ppolicy), and never a lock from a
directory without `lock-status`. With such a directory the help center keeps shadow rows."""

from __future__ import annotations

from datetime import timedelta

import pytest

from helpdesk import use_directory
from helpdesk.accounts.directory import directory
from helpdesk.accounts.locks import is_locked, lock_state
from helpdesk.accounts.org_directory import Capability
from helpdesk.accounts.recovery import ResetRefused, change_password
from helpdesk.accounts.signin import Attempt, attempt_sign_in
from helpdesk.accounts.sql import SqlAccountDirectory
from helpdesk.models import utcnow
from tests.conftest import DEMO_PASSWORD
from tests.directories import InMemory, Lacking

PASSWORD = "correct-horse-battery-staple"
IP = "192.0.2.10"


@pytest.fixture
def ctx(app):
    with app.test_request_context():
        yield


@pytest.fixture
def own(app):
    """A directory of its own, with one account: Lee."""
    found = InMemory()
    found.add("Lee@Example.org", PASSWORD)
    use_directory(app, found)
    return found


def sign_in(password: str):
    return attempt_sign_in("lee@example.org", password, IP, "Firefox on Linux")


def test_the_embedded_directory_reads_back_the_help_centers_own_lock(app, ctx, account):
    assert lock_state(account.id).locked is False
    for _ in range(5):  # the default threshold
        attempt_sign_in("pat@example.org", "wrong-wrong-wrong", IP, "curl")
    state = lock_state(account.id)
    assert state.locked and state.until is not None and state.failures == 5


def test_an_account_of_another_directory_gets_a_shadow_row_keyed_by_its_id(app, ctx, own):
    entry_id = next(iter(own.entries))
    attempt = sign_in(PASSWORD)
    assert attempt.ok and attempt.account is not None
    assert attempt.account.id == entry_id and attempt.account.email == "lee@example.org"
    assert directory().get(entry_id) == attempt.account  # kept by the store, found by the same id
    assert not directory().keeps_locks


def test_a_directory_that_locks_itself_is_obeyed_and_its_failures_are_its_own(app, ctx, own):
    for _ in range(3):
        assert sign_in("not-the-password").result is Attempt.WRONG_PASSWORD
    entry_id = next(iter(own.entries))
    assert is_locked(entry_id)
    assert sign_in(PASSWORD).result is Attempt.LOCKED  # the right password: still locked there
    assert directory().get(entry_id).failed_count == 0  # the help center counted nothing itself
    own.unlock(entry_id)
    assert sign_in(PASSWORD).ok


def test_a_password_the_directorys_policy_refuses_comes_back_with_its_reason(app, ctx, own):
    account = directory().find("lee@example.org")
    with pytest.raises(ResetRefused, match="at least 12 characters"):
        change_password(account, "short-pw", by="reset-link")
    assert sign_in(PASSWORD).ok  # nothing changed


def test_a_directory_without_lock_status_never_reports_a_lock(app, ctx, account):
    use_directory(app, Lacking(Capability.LOCK_STATUS))
    directory().record_failure(account.id)
    assert directory().lock(account.id, utcnow() + timedelta(hours=1), 1)
    assert not is_locked(account.id)
    use_directory(app, SqlAccountDirectory())
    assert is_locked(account.id)


def test_the_embedded_directory_keeps_its_own_locks(app, ctx, account):
    assert directory().keeps_locks
    assert attempt_sign_in("pat@example.org", DEMO_PASSWORD, IP, "x").ok


def test_wrong_codes_count_against_the_account_when_the_directory_locks_itself(app, ctx, own):
    """The directory never sees a code: ten wrong ones from ten addresses stop the code step for
    that account, even with the right code, and it is audited (a stolen password alone must not
    make the code guessable from many addresses)."""
    import pyotp
    import time_machine

    from helpdesk.accounts.signin import complete_sign_in
    from helpdesk.accounts.two_factor import enable_without_confirmation
    from tests.support import a_step_ahead

    app.config["RATELIMIT_ENABLED"] = True
    account = sign_in(PASSWORD).account
    moment = a_step_ahead()
    with time_machine.travel(moment, tick=False):
        uri, _ = enable_without_confirmation(account)
        code = pyotp.TOTP(pyotp.parse_uri(uri).secret).at(moment)
        wrong = "000000" if code != "000000" else "111111"
        for n in range(10):
            attempt = complete_sign_in(account.id, wrong, f"198.51.100.{n}", "curl")
            assert attempt.result is Attempt.WRONG_CODE
        stopped = complete_sign_in(account.id, code, "203.0.113.9", "Firefox")
    assert stopped.result is Attempt.LOCKED
    from sqlalchemy import select

    from helpdesk.extensions import db
    from helpdesk.models import AuditEntry

    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "signin.codes-stopped"))


# a shadow row's address follows the directory's within minutes


def test_an_address_changed_in_the_directory_reaches_the_shadow_row_within_minutes(app, ctx, own):
    import time_machine

    from helpdesk.accounts.sql import SHADOW_FRESH

    entry_id = next(iter(own.entries))
    start = utcnow()
    with time_machine.travel(start, tick=False):
        assert sign_in(PASSWORD).ok  # the shadow row is made, with lee@example.org
        own.entries[entry_id].email = "lee.new@example.org"
        assert directory().get(entry_id).email == "lee@example.org"  # asked moments ago: kept
    with time_machine.travel(start + SHADOW_FRESH + timedelta(seconds=1), tick=False):
        assert directory().get(entry_id).email == "lee.new@example.org"
        assert directory().find("lee@example.org") is None


def test_a_security_notice_goes_to_the_address_the_directory_has_now(app, ctx, own):
    import time_machine

    from helpdesk.accounts.notices import send_code_reused
    from helpdesk.accounts.sql import SHADOW_FRESH
    from tests.mailbox import outbox

    entry_id = next(iter(own.entries))
    start = utcnow()
    with time_machine.travel(start, tick=False):
        held = sign_in(PASSWORD).account  # a record read now, as a request holds it
    own.entries[entry_id].email = "lee.new@example.org"
    with time_machine.travel(start + SHADOW_FRESH + timedelta(seconds=1), tick=False):
        send_code_reused(held)
    mails = outbox(app.extensions["helpdesk.settings"].outbox_dir)
    assert [m["To"] for m in mails] == ["lee.new@example.org"]


def test_an_entry_gone_from_the_directory_is_no_account_though_its_row_stays(app, ctx, own):
    import time_machine

    from helpdesk.accounts.sql import SHADOW_FRESH

    entry_id = next(iter(own.entries))
    start = utcnow()
    with time_machine.travel(start, tick=False):
        assert sign_in(PASSWORD).ok
        del own.entries[entry_id]
    with time_machine.travel(start + SHADOW_FRESH + timedelta(seconds=1), tick=False):
        assert directory().get(entry_id) is None
        assert directory().get(entry_id) is None  # asked again each time, never "remembered" back


def test_while_the_directory_is_down_a_shadow_row_keeps_its_last_seen_address(app, ctx, own):
    import time_machine

    from helpdesk.accounts.org_directory import DirectoryUnavailable
    from helpdesk.accounts.sql import SHADOW_FRESH

    entry_id = next(iter(own.entries))
    start = utcnow()
    with time_machine.travel(start, tick=False):
        assert sign_in(PASSWORD).ok
    own.down = True
    with time_machine.travel(start + SHADOW_FRESH + timedelta(seconds=1), tick=False):
        assert directory().get(entry_id).email == "lee@example.org"
        with pytest.raises(DirectoryUnavailable):  # an account never seen cannot be made up
            directory().get("an-id-never-seen")
    own.down = False
    own.entries[entry_id].email = "lee.new@example.org"
    from helpdesk.accounts.sql import SHADOW_RETRY

    with time_machine.travel(start + SHADOW_FRESH + SHADOW_RETRY / 2, tick=False):
        assert directory().get(entry_id).email == "lee@example.org"  # a failure is not retried at once
    with time_machine.travel(start + SHADOW_FRESH + SHADOW_RETRY * 2, tick=False):
        assert directory().get(entry_id).email == "lee.new@example.org"
