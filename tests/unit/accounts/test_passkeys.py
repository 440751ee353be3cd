"""The passkey store: challenges (random, single-use, per ceremony and account, short-lived), and
passkeys kept per account as a string id."""

from __future__ import annotations

from helpdesk.accounts import passkeys
from helpdesk.accounts.passkeys import Ceremony


def _kept(account_id: str, credential: bytes, name: str = "Phone") -> passkeys.PasskeyRecord:
    return passkeys.add(
        account_id,
        credential_id=credential,
        public_key=b"cose",
        sign_count=0,
        transports=["internal", 7],  # type: ignore[list-item]  (a browser may send anything)
        aaguid="",
        backup_eligible=False,
        backed_up=False,
        name=name,
    )


def test_challenges_are_256_random_bits_and_taken_once(app):
    with app.app_context():
        first, second = passkeys.issue_challenge(Ceremony.SIGN_IN), passkeys.issue_challenge(Ceremony.SIGN_IN)
        assert len(first) == 32 and first != second
        assert passkeys.take_challenge(first, Ceremony.SIGN_IN)
        assert not passkeys.take_challenge(first, Ceremony.SIGN_IN)


def test_a_challenge_is_taken_only_for_its_own_ceremony_and_account(app):
    with app.app_context():
        challenge = passkeys.issue_challenge(Ceremony.REGISTER, "7")
        assert not passkeys.take_challenge(challenge, Ceremony.SIGN_IN)
        assert not passkeys.take_challenge(challenge, Ceremony.REGISTER, "8")
        assert passkeys.take_challenge(challenge, Ceremony.REGISTER, "7")


def test_passkeys_are_kept_per_account_and_renamed_only_by_their_own(app):
    with app.app_context():
        mine = _kept("7", b"cred-1", "  My\nphone ")
        _kept("opaque-uuid-of-another", b"cred-2")
        assert [p.name for p in passkeys.passkeys_of("7")] == ["My phone"]
        assert mine.transports == ("internal",)
        assert not passkeys.rename("opaque-uuid-of-another", mine.id, "Stolen")
        assert passkeys.rename("7", mine.id, "Work phone")
        assert passkeys.passkeys_of("7")[0].name == "Work phone"


def test_removing_every_passkey_remembers_each_as_removed(app):
    with app.app_context():
        _kept("7", b"cred-1")
        _kept("7", b"cred-2")
        assert passkeys.remove_all("7") == 2
        assert passkeys.passkeys_of("7") == []
        assert passkeys.was_removed(b"cred-1") and passkeys.was_removed(b"cred-2")
        assert not passkeys.was_removed(b"cred-3")
