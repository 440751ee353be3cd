"""Passkey ceremonies with py_webauthn: adding a passkey to a signed-in account, and signing in with
one (discoverable: nobody types an address), under the same lock, budgets and history as a password.

The relying party is `HELPDESK_WEBAUTHN_RP_ID` (by default the host of `HELPDESK_SITE_URL`) and
the only origin accepted is the site URL's. Attestation is `none`: the help center trusts the
account owner's choice of authenticator, not a vendor's certificate. Every challenge is single-use
and short-lived (`passkeys.take_challenge`). A user-verified passkey (fingerprint, face, screen-lock
PIN) is two factors; one without user verification is one, and the second step follows as after
a password. A sign count that went backwards is refused and recorded as a possible cloned
authenticator.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from flask_babel import lazy_gettext
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import (
    parse_authentication_credential_json,
    parse_client_data_json,
    parse_registration_credential_json,
)
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AttestationConveyancePreference,
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    RegistrationCredential,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from .. import audit
from ..config import settings
from ..errors import DomainError
from ..models import utcnow
from ..timing import uniform_duration
from . import passkeys
from .directory import AccountRecord, HistoryResult, directory, normalise_email, org_directory, valid_email
from .failures import Route, address_allowed, note_failure, route
from .history import record_event
from .notices import tell_owner_of_change
from .org_directory import Capability
from .passkeys import Ceremony, PasskeyRecord
from .signin import Attempt, SignInAttempt, count_failure, policy, refused_before_checking, sign_in_proved

TIMEOUT_MS = 120_000
ANSWER_LIMIT = 16 * 1024  # a passkey's answer is well under 2 KB; anything far larger is not one


class PasskeyRefused(DomainError):
    """A passkey ceremony that can't be completed as sent; the message says why, in words."""

    http_status = 400


class PasskeyRemoved(DomainError):
    """The passkey used was removed from its account (by its owner, or by a recovery)."""

    http_status = 410

    def __init__(self) -> None:
        super().__init__(
            lazy_gettext("This passkey was removed from your account, so it can't sign you in any more.")
        )


class PasskeysNotOffered(DomainError):
    """The configured directory does not declare passkeys (`Capability.PASSKEYS`): a passkey
    would sign in without the directory ever being asked whether the account may."""

    http_status = 404

    def __init__(self) -> None:
        super().__init__(lazy_gettext("Passkeys aren't offered on this site. Sign in with your password."))


def passkeys_offered() -> bool:
    """Whether the configured directory lets people sign in with passkeys."""
    return Capability.PASSKEYS in org_directory().capabilities


def _require_offered() -> None:
    if not passkeys_offered():
        raise PasskeysNotOffered()


class PasskeyCeremonyBusy(DomainError):
    """This address tried too often: refused before anything is checked, like a password sign-in."""

    http_status = 429

    def __init__(self) -> None:
        super().__init__(lazy_gettext("Too many sign-in attempts from here. Wait a while, then try again."))


UNREADABLE = lazy_gettext(
    "Your browser's answer could not be read. Try again, or sign in with your password."
)
STALE = lazy_gettext(
    "This passkey request expired or was already used (each works once, for a few minutes). Try again."
)
NOT_ACCEPTED = lazy_gettext(
    "That passkey didn't sign you in. Try again, or sign in with your email and password. "
    "If this keeps happening, the passkey help can find out why."
)
CLONED = lazy_gettext(
    "That passkey was refused: its use counter went backwards, which can mean the passkey was "
    "copied. Sign in another way, then check your passkeys on your account page."
)


@dataclass(frozen=True)
class RelyingParty:
    id: str
    name: str
    origin: str

    @classmethod
    def configured(cls) -> RelyingParty:
        current = settings()
        parts = urlsplit(current.site_url)
        return cls(
            id=current.webauthn_rp_id or (parts.hostname or ""),
            name=current.site_name,
            origin=f"{parts.scheme}://{parts.netloc}",
        )


def _read(answer: str | bytes | dict[str, Any]) -> str:
    """The browser's answer as JSON text, within reason."""
    text = json.dumps(answer) if isinstance(answer, dict) else answer
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    if not text or len(text) > ANSWER_LIMIT:
        raise PasskeyRefused(UNREADABLE)
    return text


# adding a passkey


def registration_options(account: AccountRecord) -> str:
    """The options (JSON) for `navigator.credentials.create()`: a discoverable credential, user
    verification preferred, no attestation, the account's passkeys excluded (no double)."""
    _require_offered()
    rp = RelyingParty.configured()
    challenge = passkeys.issue_challenge(Ceremony.REGISTER, str(account.id))
    options = generate_registration_options(
        rp_id=rp.id,
        rp_name=rp.name,
        user_name=account.email,
        user_display_name=account.email,
        user_id=secrets.token_bytes(32),  # nothing about the account: a random handle
        challenge=challenge,
        timeout=TIMEOUT_MS,
        attestation=AttestationConveyancePreference.NONE,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
        exclude_credentials=[
            PublicKeyCredentialDescriptor(id=p.credential_id, transports=_transports(p))
            for p in passkeys.passkeys_of(str(account.id))
        ],
    )
    return options_to_json(options)


def _transports(passkey: PasskeyRecord) -> list[AuthenticatorTransport]:
    known = {t.value for t in AuthenticatorTransport}
    return [AuthenticatorTransport(t) for t in passkey.transports if t in known]


def add_passkey(
    account: AccountRecord, answer: str | bytes | dict[str, Any], name: str, *, ip: str, device: str
) -> PasskeyRecord:
    """Verify the authenticator's answer to `registration_options` and keep the new passkey:
    audited, in the owner's history, and mailed to the owner. The caller checked the session's
    proof is fresh ("Confirm it's you")."""
    _require_offered()
    rp = RelyingParty.configured()
    try:
        credential = parse_registration_credential_json(_read(answer))
        challenge = parse_client_data_json(credential.response.client_data_json).challenge
    except (WebAuthnException, ValueError, TypeError, KeyError, AttributeError) as exc:
        raise PasskeyRefused(UNREADABLE) from exc
    if not passkeys.take_challenge(challenge, Ceremony.REGISTER, str(account.id)):
        raise PasskeyRefused(STALE)
    try:
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=rp.id,
            expected_origin=rp.origin,
            require_user_verification=False,
        )
    except (WebAuthnException, ValueError, TypeError, KeyError) as exc:
        audit.record(
            "account.passkey-refused", actor="owner", target=account.email, ip=ip, reason=str(exc)[:200]
        )
        raise PasskeyRefused(
            lazy_gettext(
                "The passkey could not be added: your browser's answer did not check out. Try again."
            )
        ) from exc
    added = passkeys.add(
        str(account.id),
        credential_id=verified.credential_id,
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        transports=_answer_transports(credential),
        aaguid=str(verified.aaguid),
        backup_eligible=verified.credential_device_type == "multi_device",
        backed_up=verified.credential_backed_up,
        name=name or f"Passkey added {utcnow():%-d %B %Y}",
    )
    audit.record("account.passkey-added", actor="owner", target=account.email, ip=ip, passkey=added.name)
    record_event(account.id, HistoryResult.PASSKEY_ADDED, ip=ip, device=device)
    tell_owner_of_change(
        account, HistoryResult.PASSKEY_ADDED, ip=ip, device=device, subject_device=added.name
    )
    return added


def _answer_transports(credential: RegistrationCredential) -> list[str]:
    return [t.value for t in (credential.response.transports or [])]


class RemovalRefused(DomainError):
    """Removing this passkey would leave the account with no way to sign in."""

    http_status = 409

    def __init__(self) -> None:
        super().__init__(
            lazy_gettext(
                "This is the last way to sign in to your account, so it can't be removed: "
                "add another passkey or set a password first."
            )
        )


def remove_passkey(account: AccountRecord, passkey_id: int, *, ip: str, device: str) -> PasskeyRecord | None:
    """Remove one of the account's passkeys (None if it is not one of them): audited, in the
    history, mailed. Refused (RemovalRefused) when it is the last way to sign in."""
    mine = passkeys.passkeys_of(str(account.id))
    if not any(p.id == passkey_id for p in mine):
        return None
    if len(mine) == 1 and not directory().has_password(account.id):
        raise RemovalRefused()
    removed = passkeys.remove(str(account.id), passkey_id)
    if removed is None:
        return None
    audit.record("account.passkey-removed", actor="owner", target=account.email, ip=ip, passkey=removed.name)
    record_event(account.id, HistoryResult.PASSKEY_REMOVED, ip=ip, device=device)
    tell_owner_of_change(
        account, HistoryResult.PASSKEY_REMOVED, ip=ip, device=device, subject_device=removed.name
    )
    return removed


# signing in


def sign_in_options(ip: str, email: str = "") -> str:
    """The options (JSON) for `navigator.credentials.get()`, user verification preferred. Without
    *email*, no credentials are listed: the browser offers the passkeys it holds for this site
    (discoverable). With one (typed before "Sign in with a passkey"), the account's passkeys are
    listed, which lets an authenticator without user verification answer too; an unknown address,
    or one without passkeys, gets made-up ids (keyed by the address, the same each time) in the
    same number, so the answer does not tell whether the account exists. An address that failed
    too often gets no options (PasskeyCeremonyBusy), as it would get no password check."""
    _require_offered()
    if not address_allowed(ip):
        raise PasskeyCeremonyBusy()
    rp = RelyingParty.configured()
    allowed = _listed_for(email) if email.strip() else []
    options = generate_authentication_options(
        rp_id=rp.id,
        challenge=passkeys.issue_challenge(Ceremony.SIGN_IN),
        timeout=TIMEOUT_MS,
        allow_credentials=allowed,
        user_verification=UserVerificationRequirement.PREFERRED,
    )
    return options_to_json(options)


LISTED_AT_LEAST = 3  # ids listed for an address typed: its passkeys, made-up ones up to this many
# the lengths authenticators give their credential ids (platform ones 16 to 32 bytes, security keys and
# password managers longer): a made-up id takes one of them, so no length tells it from a real one
ID_LENGTHS = (16, 20, 32, 48, 64)


def _listed_for(email: str) -> list[PublicKeyCredentialDescriptor]:
    """The ids listed for an address typed (a passkey without user verification is used only if
    listed): the account's passkeys, then ids made up from the address (the same each time) up to
    LISTED_AT_LEAST. No transports are named for any of them, so nothing but the ids themselves
    could tell a real one, and their lengths are drawn from what real ones have."""
    with uniform_duration():
        account = directory().find(email) if valid_email(email) else None
        mine = passkeys.passkeys_of(str(account.id)) if account is not None else []
        listed = [PublicKeyCredentialDescriptor(id=p.credential_id) for p in mine]
        key = settings().secret_key.encode()
        address = normalise_email(email).encode()
        for n in range(len(listed), LISTED_AT_LEAST):
            made_up = hmac.new(key, b"passkey-decoy:%d:" % n + address, hashlib.sha512).digest()
            shape = hmac.new(key, b"passkey-decoy-length:%d:" % n + address, hashlib.sha256).digest()
            listed.append(PublicKeyCredentialDescriptor(id=made_up[: ID_LENGTHS[shape[0] % len(ID_LENGTHS)]]))
    return sorted(listed, key=lambda d: d.id)


def sign_in_with_passkey(
    answer: str | bytes | dict[str, Any], *, ip: str, device: str, device_token: str | None = None
) -> SignInAttempt:
    """Check a passkey's answer to `sign_in_options`. OK (signed in, recorded like any sign-in),
    NEEDS_CODE (verified, but without user verification and two-step verification is on: the
    code page follows, `signin.complete_sign_in`), or a refusal: PasskeyRefused (400), PasskeyRemoved
    (410), PasskeyCeremonyBusy (429). A refusal says nothing about which account, if any, it was."""
    _require_offered()
    rp = RelyingParty.configured()
    try:
        credential = parse_authentication_credential_json(_read(answer))
        challenge = parse_client_data_json(credential.response.client_data_json).challenge
    except (WebAuthnException, ValueError, TypeError, KeyError, AttributeError) as exc:
        raise PasskeyRefused(UNREADABLE) from exc
    if not address_allowed(ip):
        raise PasskeyCeremonyBusy()
    if not passkeys.take_challenge(challenge, Ceremony.SIGN_IN):
        raise PasskeyRefused(STALE)
    passkey = passkeys.by_credential(credential.raw_id)
    if passkey is None:
        if passkeys.was_removed(credential.raw_id):
            audit.record("sign-in.removed-passkey", actor="anonymous", ip=ip)
            raise PasskeyRemoved()
        note_failure(None, ip, Route())  # like an unknown address: it spends the address's budget
        raise PasskeyRefused(NOT_ACCEPTED)
    accounts = directory()
    account = accounts.get(passkey.account_id)
    if account is None:
        raise PasskeyRefused(NOT_ACCEPTED)
    lock_policy = policy()
    via = route(account.id, ip, device_token)
    if refused_before_checking(account, via, lock_policy):
        accounts.record_sign_in(account.id, HistoryResult.LOCKED, ip, device)
        raise PasskeyRefused(NOT_ACCEPTED)
    try:
        verified = verify_authentication_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=rp.id,
            expected_origin=rp.origin,
            credential_public_key=passkey.public_key,
            credential_current_sign_count=0,  # compared below, only once the signature is proved
            require_user_verification=False,
        )
    except (WebAuthnException, ValueError, TypeError, KeyError) as exc:
        _refused(account, passkey, HistoryResult.PASSKEY_REFUSED, ip, device, via, reason=str(exc))
        raise PasskeyRefused(NOT_ACCEPTED) from exc
    went_back = (verified.new_sign_count > 0 or passkey.sign_count > 0) and (
        verified.new_sign_count <= passkey.sign_count
    )
    if went_back:
        _refused(
            account,
            passkey,
            HistoryResult.PASSKEY_CLONED,
            ip,
            device,
            via,
            reason=f"sign count {verified.new_sign_count} after {passkey.sign_count}",
        )
        raise PasskeyRefused(CLONED)
    if not passkeys.record_use(passkey, verified.new_sign_count, verified.credential_backed_up):
        raise PasskeyRefused(STALE)  # another sign-in with the same count got there first: a replay
    audit.record(
        "sign-in.passkey",
        actor="owner",
        target=account.email,
        ip=ip,
        passkey=passkey.name,
        user_verified=verified.user_verified,
    )
    if not verified.user_verified and account.two_factor:
        return SignInAttempt(False, Attempt.NEEDS_CODE, account)
    return sign_in_proved(account, via, lock_policy, HistoryResult.OK_PASSKEY, ip=ip, device=device)


def _refused(
    account: AccountRecord,
    passkey: PasskeyRecord,
    recorded: HistoryResult,
    ip: str,
    device: str,
    via: Route,
    *,
    reason: str,
) -> None:
    """A passkey answer that failed its checks counts like a wrong password (lock, budgets)."""
    count_failure(account, ip=ip, via=via)
    directory().record_sign_in(account.id, recorded, ip, device)
    audit.record(
        "sign-in.passkey-refused",
        actor="anonymous",
        target=account.email,
        ip=ip,
        passkey=passkey.name,
        result=str(recorded),
        reason=reason[:200],
    )
