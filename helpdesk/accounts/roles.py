"""Staff roles, and what each may open: the one place the rule lives."""

from __future__ import annotations

from enum import StrEnum

from flask_babel import lazy_gettext


class Role(StrEnum):
    """A staff role on an account (ordinary accounts have none)."""

    STAFF = "staff"  # support staff: transcripts, links into diagnoses, the verification queue
    EDITOR = "editor"  # content editors: the editor's pages and the sandbox
    ADMIN = "admin"  # everything, and the audit trail


# each role as the pages name it, in the reader's language (English: the role's own name)
ROLE_NAMES = {
    Role.STAFF: lazy_gettext("staff"),
    Role.EDITOR: lazy_gettext("editor"),
    Role.ADMIN: lazy_gettext("admin"),
}


def role_name(role: str | None) -> str:
    """`{{ role_name(account.role) }}`: a role in words; one not known here, as stored."""
    if role is None or role not in Role.__members__.values():
        return role or ""
    return str(ROLE_NAMES[Role(role)])


def may(role: str | None, *allowed: Role) -> bool:
    """Whether an account with *role* may open what *allowed* roles may (any role, when none are
    named). Admins may open everything; an account with no role, nothing."""
    if role is None or role not in Role.__members__.values():
        return False
    return not allowed or role == Role.ADMIN or role in allowed
