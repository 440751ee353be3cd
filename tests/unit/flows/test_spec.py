"""The JSON Schema for flow files is generated from the spec and matches the loader."""

from __future__ import annotations

from pathlib import Path

import jsonschema
import pytest
import yaml

from helpdesk.cli import schema_text
from helpdesk.flows.spec import json_schema

ROOT = Path(__file__).resolve().parents[3]
FIXTURES = ROOT / "tests" / "fixtures"
GOOD_FLOWS = sorted((ROOT / "flows").glob("*.yaml")) + sorted((FIXTURES / "good" / "flows").glob("*.yaml"))


def test_the_committed_schema_is_up_to_date():
    committed = (ROOT / "flows" / "flow.schema.json").read_text(encoding="utf-8")
    assert committed == schema_text(json_schema()), (
        "flows/flow.schema.json is stale: run `flask --app wsgi content schema`"
    )


def test_the_schema_is_a_valid_json_schema():
    jsonschema.Draft202012Validator.check_schema(json_schema())


@pytest.mark.parametrize("path", GOOD_FLOWS, ids=[p.name for p in GOOD_FLOWS])
def test_every_good_flow_matches_the_schema(path: Path):
    jsonschema.validate(yaml.safe_load(path.read_text()), json_schema())


@pytest.mark.parametrize(
    "name", ["unknown-key.yaml", "missing-key.yaml", "wrong-type.yaml", "bad-kind.yaml", "no-failure.yaml"]
)
def test_shape_problems_are_caught_by_the_schema_too(name: str):
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(yaml.safe_load((FIXTURES / "broken" / name).read_text()), json_schema())


def test_every_flow_starts_with_the_schema_modeline():
    for path in sorted((ROOT / "flows").glob("*.yaml")):
        assert path.read_text().startswith("# yaml-language-server: $schema=flow.schema.json\n"), path
