"""The `flask --app wsgi content check` command and the migrations, run as an operator would."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade

from helpdesk.extensions import db
from helpdesk.models import SEARCH_INDEX_DROP, described_by_models
from tests.conftest import FIXTURES, ROOT, build_app
from tests.support import run_flask

GOOD = FIXTURES / "good"


def flask(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return run_flask(*args, env=env)


GOOD_ENV = {"HELPDESK_CONTENT_DIR": str(GOOD / "content"), "HELPDESK_FLOWS_DIR": str(GOOD / "flows")}


def test_content_check_exits_0_on_the_shipped_content():
    result = flask("content", "check")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""


def test_content_check_prints_path_line_message_and_exits_1():
    result = flask(
        "content",
        "check",
        "tests/fixtures/broken/unknown-next.yaml",
        "tests/fixtures/broken/article-broken-link.md",
        env=GOOD_ENV,
    )
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        "tests/fixtures/broken/article-broken-link.md:7: broken link: no article "
        "'missing-article' (missing-article.md)",
        "tests/fixtures/broken/unknown-next.yaml:11: step 'a' goes to unknown step 'finish' "
        "(did you mean 'finished'?)",
    ]


def test_content_check_works_when_the_configured_content_is_broken():
    # the app itself would refuse to start on this content; the checker still answers
    result = flask("content", "check", env={"HELPDESK_FLOWS_DIR": str(FIXTURES / "broken")})
    assert result.returncode == 1
    assert "tests/fixtures/broken/loop.yaml:15: step 'spin' is in a loop" in result.stdout


def test_content_check_has_json_output():
    result = flask("content", "check", "--json", "tests/fixtures/broken/unknown-start.yaml", env=GOOD_ENV)
    assert result.returncode == 1
    assert json.loads(result.stdout) == [
        {
            "path": "tests/fixtures/broken/unknown-start.yaml",
            "line": 3,
            "message": "start step 'begin' does not exist",
        }
    ]


def test_the_migrations_build_the_schema_the_models_describe(tmp_path: Path):
    app = build_app(
        tmp_path,
        content_dir=GOOD / "content",
        flows_dir=GOOD / "flows",
    )
    with app.app_context():
        db.drop_all()
        upgrade(directory=str(ROOT / "migrations"))
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"include_name": described_by_models})
            differences = compare_metadata(context, db.metadata)
        assert differences == []


def test_search_works_on_a_database_built_by_the_migrations(tmp_path: Path):
    """On PostgreSQL the search index tables come from migration 0008, not from the models."""
    from helpdesk.search import search

    app = build_app(tmp_path, content_dir=GOOD / "content", flows_dir=GOOD / "flows")
    with app.app_context():
        db.drop_all()
        with db.engine.begin() as connection:
            for statement in SEARCH_INDEX_DROP:  # create_all made them on PostgreSQL
                connection.exec_driver_sql(statement)
        upgrade(directory=str(ROOT / "migrations"))
    with app.test_request_context():
        assert [h.slug for h in search("broken").hits][:1] == ["fix-it"]


def test_content_check_reports_a_flow_the_site_links_to_that_is_not_published(content_copy):
    content, flows = content_copy
    source = (flows / "is-this-site-ours.yaml").read_text(encoding="utf-8")
    (flows / "is-this-site-ours.yaml").write_text(source.replace("version: 2\n", "version: 2\ndraft: true\n"))
    result = flask(
        "content", "check", env={"HELPDESK_CONTENT_DIR": str(content), "HELPDESK_FLOWS_DIR": str(flows)}
    )
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        f"{flows / 'is-this-site-ours.yaml'}:1: the site's own pages and mails link to the flow "
        "'is-this-site-ours', but no published flow has that id"
    ]


def test_content_check_reports_a_wrong_translation_as_a_problem_and_a_stale_one_as_a_warning(tmp_path: Path):
    content, flows = tmp_path / "content", tmp_path / "flows"
    shutil.copytree(GOOD / "content", content)
    shutil.copytree(GOOD / "flows", flows)
    (flows / "es").mkdir()
    (flows / "es" / "fix-it.yaml").write_text('source: "0000000000000000"\nsteps:\n  nope:\n    text: No\n')
    env = {
        "HELPDESK_CONTENT_DIR": str(content),
        "HELPDESK_FLOWS_DIR": str(flows),
        "HELPDESK_LANGUAGES": "en,es",
    }
    result = flask("content", "check", str(flows / "es" / "fix-it.yaml"), env=env)
    assert result.returncode == 1
    shown = str(flows / "es" / "fix-it.yaml")
    assert result.stdout.splitlines() == [f"{shown}:3: unknown step 'nope': flow 'fix-it' has no such step"]
    assert f"{shown}:1: warning: stale: translated from version 0000000000000000" in result.stderr
    assert f"{shown}:1: warning: not translated: title" in result.stderr
    assert result.stderr.splitlines()[-1].startswith("1 file(s) checked, 1 problem(s), ")
    # warnings only: exit 0, and the JSON lists problems alone (the warnings stay on stderr)
    (flows / "es" / "fix-it.yaml").write_text('source: "0000000000000000"\n')
    result = flask("content", "check", "--json", str(flows / "es"), env=env)
    assert result.returncode == 0, result.stdout
    assert json.loads(result.stdout) == []
    assert f"{shown}:1: warning: not translated: title" in result.stderr
