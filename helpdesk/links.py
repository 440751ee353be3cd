"""The site's fixed public addresses for mails and API answers (no `url_for` in the domain), and
the flows that pages and mails link to by id. A test holds each path to the route that serves
it; `content check` holds the content to the well-known flows."""

from __future__ import annotations

from enum import StrEnum
from urllib.parse import quote

from .config import settings


class WellKnownFlow(StrEnum):
    """A flow the product itself links to (a template, a mail, the home page's order)."""

    CANT_SIGN_IN = "cant-sign-in"  # the entry flow: "start here"
    WRONG_PASSWORD = "wrong-password"  # noqa: S105  (a flow id, not a password)
    TWO_FACTOR_REJECTED = "two-factor-rejected"
    LOST_PHONE = "lost-phone"
    LOCKED_OUT = "locked-out"
    SOMEONE_ELSE_SIGNED_IN = "someone-else-signed-in"
    IS_THIS_SITE_OURS = "is-this-site-ours"
    NO_FACTOR_LEFT = "no-factor-left"
    AFTER_RECOVERY = "after-recovery"
    PASSKEY_TROUBLE = "passkey-trouble"


ENTRY_FLOW = WellKnownFlow.CANT_SIGN_IN
# after the entry flow, the home page and the API list these first, in this order
TOP_PROBLEMS: tuple[WellKnownFlow, ...] = (
    WellKnownFlow.WRONG_PASSWORD,
    WellKnownFlow.TWO_FACTOR_REJECTED,
    WellKnownFlow.LOST_PHONE,
    WellKnownFlow.LOCKED_OUT,
    WellKnownFlow.SOMEONE_ELSE_SIGNED_IN,
    WellKnownFlow.IS_THIS_SITE_OURS,
    WellKnownFlow.NO_FACTOR_LEFT,
    WellKnownFlow.AFTER_RECOVERY,
    WellKnownFlow.PASSKEY_TROUBLE,
)


def site_link(path: str) -> str:
    """*path* on the configured site address (never the request's Host)."""
    return settings().site_url.rstrip("/") + path


def _part(value: str) -> str:
    return quote(value, safe="")


def home() -> str:
    return site_link("/")


def account_page() -> str:
    return site_link("/account")


def passkeys_page() -> str:
    return site_link("/account/passkeys")


def forgot_password_page() -> str:
    return site_link("/password/forgot")


def reset_page(token: str) -> str:
    return site_link(f"/password/reset/{_part(token)}")


def unlock_page(token: str) -> str:
    return site_link(f"/unlock/{_part(token)}")


def recovery_cancel_page(token: str) -> str:
    return site_link(f"/recovery/cancel/{_part(token)}")


def recovery_complete_page(token: str) -> str:
    return site_link(f"/recovery/complete/{_part(token)}")


def diagnosis_page(flow_id: str) -> str:
    return site_link(f"/diagnose/{_part(flow_id)}")


def article_page(slug: str) -> str:
    return site_link(f"/articles/{_part(slug)}")
