"""docs/security.md, the ASVS 4.0.3 level 2 mapping, stays true to the code and the tests."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from dataclasses import fields as dataclass_fields
from functools import cache
from pathlib import Path

import pytest

from helpdesk import models  # noqa: F401  (the tables the inventory names)
from helpdesk.config import Settings
from helpdesk.extensions import db

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "security.md"

# Every requirement of V2, V3, V4, V7, V8, V12 and V13 of ASVS 4.0.3 that applies at level 2,
# from the standard's tables: a ✓ in the L2 column, plus 2.8.7 (recommended at L2: "o"),
# 2.10.1-2.10.4 (L2: "OS assisted") and 3.3.2 (L2: "12 hours or 30 minutes of inactivity").
# Deleted requirements (4.1.4, 7.3.2, 13.1.2, 13.2.4) are not listed.
LEVEL_2_TABLE = """
2.1.1 2.1.2 2.1.3 2.1.4 2.1.5 2.1.6 2.1.7 2.1.8 2.1.9 2.1.10 2.1.11 2.1.12
2.2.1 2.2.2 2.2.3
2.3.1 2.3.2 2.3.3
2.4.1 2.4.2 2.4.3 2.4.4 2.4.5
2.5.1 2.5.2 2.5.3 2.5.4 2.5.5 2.5.6 2.5.7
2.6.1 2.6.2 2.6.3
2.7.1 2.7.2 2.7.3 2.7.4 2.7.5 2.7.6
2.8.1 2.8.2 2.8.3 2.8.4 2.8.5 2.8.6 2.8.7
2.9.1 2.9.2 2.9.3
2.10.1 2.10.2 2.10.3 2.10.4
3.1.1
3.2.1 3.2.2 3.2.3 3.2.4
3.3.1 3.3.2 3.3.3 3.3.4
3.4.1 3.4.2 3.4.3 3.4.4 3.4.5
3.5.1 3.5.2 3.5.3
3.7.1
4.1.1 4.1.2 4.1.3 4.1.5
4.2.1 4.2.2
4.3.1 4.3.2 4.3.3
7.1.1 7.1.2 7.1.3 7.1.4
7.2.1 7.2.2
7.3.1 7.3.3 7.3.4
7.4.1 7.4.2 7.4.3
8.1.1 8.1.2 8.1.3 8.1.4
8.2.1 8.2.2 8.2.3
8.3.1 8.3.2 8.3.3 8.3.4 8.3.5 8.3.6 8.3.7 8.3.8
12.1.1 12.1.2 12.1.3
12.2.1
12.3.1 12.3.2 12.3.3 12.3.4 12.3.5 12.3.6
12.4.1 12.4.2
12.5.1 12.5.2
12.6.1
13.1.1 13.1.3 13.1.4 13.1.5
13.2.1 13.2.2 13.2.3 13.2.5 13.2.6
13.3.1 13.3.2
13.4.1 13.4.2
"""
LEVEL_2 = tuple(LEVEL_2_TABLE.split())

STATUSES = {"met", "not applicable"}
ROW = re.compile(r"^\|\s*(\d+\.\d+\.\d+)\s*\|")
TEST_ID = re.compile(r"`(tests/[\w/]+\.py)((?:::\w+)+)`")
CODE_PATH = re.compile(
    r"`((?:helpdesk|static|migrations|docs)/[\w/.-]+\.(?:py|html|css|js|md))((?:::[\w.]+)?)`"
)
SETTING = re.compile(r"`HELPDESK_([A-Z_]+)`")
PENDING = re.compile(r"PENDING\(([\w-]+)\)")


@dataclass(frozen=True)
class Row:
    id: str
    requirement: str
    status: str
    where: str
    proved_by: str
    line: int

    @property
    def pending(self) -> list[str]:
        return PENDING.findall(self.proved_by)


def rows(text: str) -> list[Row]:
    """The requirement rows of every table: id | requirement | status | where | proved by."""
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not ROW.match(line):
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        assert len(cells) == 5, f"docs/security.md:{number}: a row has 5 cells, this one {len(cells)}"
        found.append(Row(*cells, line=number))
    return found


@cache
def doc_rows() -> tuple[Row, ...]:
    return tuple(rows(DOC.read_text(encoding="utf-8")))


@cache
def defined_names(path: Path) -> frozenset[str]:
    """Every function, class and assigned name in a Python file, at any depth."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return frozenset(names)


def why_not_a_test(path: str, parts: list[str]) -> str | None:
    """Why `path::parts` is not a test that exists, or None when it does."""
    file = ROOT / path
    if not file.is_file():
        return f"{path} does not exist"
    tree = ast.parse(file.read_text(encoding="utf-8"))
    scope: list[ast.stmt] = tree.body
    for depth, name in enumerate(parts):
        last = depth == len(parts) - 1
        kinds = (ast.FunctionDef, ast.AsyncFunctionDef) if last else (ast.ClassDef,)
        match = next((n for n in scope if isinstance(n, kinds) and n.name == name), None)
        if match is None:
            return f"{path} has no {'test function' if last else 'class'} {name}"
        scope = match.body
    if not parts[-1].startswith("test"):
        return f"{parts[-1]} is not a test (pytest collects test_* only)"
    return None


def missing_tests(row: Row) -> list[str]:
    problems = []
    for path, tail in TEST_ID.findall(row.proved_by):
        problem = why_not_a_test(path, tail.strip(":").split("::"))
        if problem:
            problems.append(f"{row.id}: {problem}")
    return problems


def missing_code(row: Row) -> list[str]:
    problems = []
    for path, tail in CODE_PATH.findall(row.where):
        file = ROOT / path
        if not file.is_file():
            problems.append(f"{row.id}: {path} does not exist")
            continue
        if tail:
            for name in tail.strip(":").split("."):
                if name not in defined_names(file):
                    problems.append(f"{row.id}: {path} defines no {name}")
    return problems


# --- the checks of the document -------------------------------------------------------------


def test_every_level_2_requirement_has_exactly_one_row():
    ids = [row.id for row in doc_rows()]
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    assert not repeated, f"listed more than once: {repeated}"
    assert sorted(set(LEVEL_2) - set(ids)) == [], "level-2 requirements without a row"
    assert sorted(set(ids) - set(LEVEL_2)) == [], "rows that are not level-2 requirements of these chapters"


def test_the_embedded_list_has_no_repeats():
    assert len(LEVEL_2) == len(set(LEVEL_2)) == 135


def test_every_status_is_met_or_not_applicable():
    wrong = [(row.id, row.status) for row in doc_rows() if row.status not in STATUSES]
    assert wrong == []


def test_every_test_named_exists():
    problems = [problem for row in doc_rows() for problem in missing_tests(row)]
    assert problems == []


def test_every_module_and_function_named_exists():
    problems = [problem for row in doc_rows() for problem in missing_code(row)]
    assert problems == []


def test_every_setting_named_in_a_finished_row_is_a_setting():
    known = {f.name.upper() for f in dataclass_fields(Settings)}
    unknown = [
        (row.id, name)
        for row in doc_rows()
        if not row.pending
        for name in SETTING.findall(row.where)
        if name not in known
    ]
    assert unknown == []


def test_a_met_row_names_a_test_or_is_pending_and_a_not_applicable_row_says_why():
    unproved = [
        r.id for r in doc_rows() if r.status == "met" and not (TEST_ID.search(r.proved_by) or r.pending)
    ]
    assert unproved == [], "met, but no test proves it"
    unexplained = [r.id for r in doc_rows() if r.status == "not applicable" and len(r.where) < 20]
    assert unexplained == [], "not applicable needs a reason"


def test_the_data_inventory_names_every_table_that_holds_personal_data():
    text = DOC.read_text(encoding="utf-8")
    inventory = text.split("## Sensitive data we hold", 1)[1].split("\n## ", 1)[0]
    personal = {
        "accounts",
        "recovery_codes",
        "devices",
        "sign_in_sessions",
        "sign_in_events",
        "account_tokens",
        "audit_entries",
        "diagnoses",
        "diagnosis_events",
        "diagnosis_notes",
        "verification_requests",
        "evidence",
        "search_misses",
        "article_feedback",
        "passkeys",
    }
    tables = set(db.metadata.tables)
    assert personal <= tables, f"no longer tables: {sorted(personal - tables)}"
    assert sorted(t for t in personal if f"`{t}`" not in inventory) == []


def test_no_row_is_pending():
    pending = [(row.id, row.pending) for row in doc_rows() if row.pending]
    assert pending == []


# --- the checks check: a deleted test, module or requirement is caught -----------------------

PASSWORDS = "tests/unit/accounts/test_passwords.py"
SAMPLE = "\n".join(
    " | ".join(("", *cells, "")).strip()
    for cells in [
        ("id", "requirement", "status", "where enforced", "proved by"),
        ("---", "---", "---", "---", "---"),
        (
            "2.1.1",
            "at least 12 characters",
            "met",
            "`helpdesk/accounts/passwords.py::MIN_LENGTH`",
            f"`{PASSWORDS}::test_a_refused_password_says_exactly_why`",
        ),
        (
            "2.1.2",
            "a row that lost its test",
            "met",
            "`helpdesk/accounts/gone.py`",
            f"`{PASSWORDS}::test_that_was_deleted`",
        ),
        (
            "2.1.3",
            "a class-based test",
            "met",
            "`helpdesk/accounts/passwords.py::no_such_function`",
            "`tests/unit/test_security_doc.py::TestSample::test_a_method_is_found`",
        ),
        ("3.5.1", "not applicable here", "not applicable", "no OAuth tokens are issued by this site", "—"),
    ]
)


class TestSample:
    def test_a_method_is_found(self):
        assert rows(SAMPLE)[2].id == "2.1.3"


def test_a_deleted_test_and_a_missing_module_are_reported():
    sample = rows(SAMPLE)
    assert [r.id for r in sample] == ["2.1.1", "2.1.2", "2.1.3", "3.5.1"]
    assert missing_tests(sample[0]) == [] and missing_code(sample[0]) == []
    assert missing_tests(sample[1]) == [
        "2.1.2: tests/unit/accounts/test_passwords.py has no test function test_that_was_deleted"
    ]
    assert missing_code(sample[1]) == ["2.1.2: helpdesk/accounts/gone.py does not exist"]
    assert missing_tests(sample[2]) == []  # class-based ids resolve
    assert missing_code(sample[2]) == ["2.1.3: helpdesk/accounts/passwords.py defines no no_such_function"]


def test_a_row_with_a_wrong_number_of_cells_is_refused():
    with pytest.raises(AssertionError, match="5 cells"):
        rows("| 2.1.1 | text | met | where |")
