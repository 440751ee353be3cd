"""The account boundary: no code outside the adapters touches the account tables.

Every module of helpdesk/ is read as source (its syntax tree): one that imports an account table's
model, or carries SQL that writes an account table, must be one of the adapters named here. A new
module acting on accounts goes through `directory()` (the help center's store) or
`org_directory()` (the organisation's directory) instead.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from tests.conftest import ROOT

PACKAGE = ROOT / "helpdesk"
# the model of each account table, and the modules that may use it
ACCOUNT_TABLES = {
    "Account": {"accounts/sql.py"},
    "RecoveryCode": {"accounts/sql.py"},
    "Device": {"accounts/sql.py"},
    "SignInSession": {"accounts/sql.py"},
    "SignInEvent": {"accounts/sql.py"},
    # reset and unlock links: the help center's own records, kept by their one module
    "AccountToken": {"accounts/sql.py", "accounts/tokens.py"},
}
TABLE_NAMES = (
    "accounts",
    "recovery_codes",
    "devices",
    "sign_in_sessions",
    "sign_in_events",
    "account_tokens",
)
WRITING_SQL = re.compile(
    r"\b(?:insert\s+into|update|delete\s+from)\s+(" + "|".join(TABLE_NAMES) + r")\b", re.IGNORECASE
)


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def _models_names(tree: ast.AST, package_parts: tuple[str, ...]) -> set[str]:
    """The names a module of this package takes from helpdesk.models (however it spells it)."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            base = package_parts[: len(package_parts) - node.level + 1] if node.level else ()
            module = ".".join((*base, node.module or ""))
            if module.rstrip(".") == "helpdesk.models":
                names.update(alias.name for alias in node.names)
        elif (
            isinstance(node, ast.Attribute)
            and node.attr in ACCOUNT_TABLES
            and isinstance(node.value, ast.Name)
            and node.value.id == "models"
        ):
            names.add(node.attr)
    return names


def _uses(source: str, relative: str) -> tuple[set[str], set[str]]:
    """The account tables' models a module at *relative* (under helpdesk/) imports, and the
    account tables its SQL strings write."""
    tree = ast.parse(source)
    package_parts = ("helpdesk", *Path(relative).parent.parts)
    models = _models_names(tree, package_parts) & ACCOUNT_TABLES.keys()
    writes = {
        match.group(1).lower()
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
        for match in WRITING_SQL.finditer(node.value)
    }
    return models, writes


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_only_the_adapters_use_the_account_tables(path: Path):
    relative = path.relative_to(PACKAGE).as_posix()
    models, writes = _uses(path.read_text(encoding="utf-8"), relative)
    not_allowed = {name for name in models if relative not in ACCOUNT_TABLES[name]}
    assert not not_allowed, (
        f"{relative} uses {sorted(not_allowed)}: act through directory() or org_directory()"
    )
    if relative != "accounts/sql.py":
        assert not writes, f"{relative} writes {sorted(writes)} in SQL of its own"


def test_the_check_sees_what_was_done_before_the_boundary():
    # cases/verification/completion.py wrote Account itself; demo.py deleted the keyed rows
    before = "from ...models import Account, VerificationRequest\n"
    assert _uses(before, "cases/verification/completion.py") == ({"Account"}, set())
    assert _uses("from helpdesk import models\nmodels.Device\n", "demo.py")[0] == {"Device"}
    assert _uses("from .models import SignInEvent as E\n", "demo.py")[0] == {"SignInEvent"}
    assert _uses("SQL = 'DELETE FROM sign_in_sessions WHERE 1'\n", "cli.py")[1] == {"sign_in_sessions"}
    assert _uses("from ..models import Diagnosis\nSQL = 'UPDATE diagnoses'\n", "cases/x.py") == (set(), set())
