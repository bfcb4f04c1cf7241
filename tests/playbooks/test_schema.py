"""The published JSON Schemas are what the models generate, and the shipped files point
editors at them."""

from __future__ import annotations

import json

import pytest

from rebook.playbooks import schema
from tests.playbooks.support import DEFAULTS


@pytest.mark.parametrize(
    ("path", "build"),
    [
        (schema.PLAYBOOK_SCHEMA, schema.playbook_schema),
        (schema.TEMPLATE_SET_SCHEMA, schema.template_set_schema),
        (schema.SELECTION_SCHEMA, schema.selection_schema),
    ],
)
def test_committed_schema_is_current(path, build) -> None:
    assert path.read_text(encoding="utf-8") == schema.render(build()), (
        f"{path.name} is stale: run python -m rebook.playbooks.schema"
    )


def test_schema_describes_the_document() -> None:
    published = json.loads(schema.PLAYBOOK_SCHEMA.read_text(encoding="utf-8"))
    assert published["additionalProperties"] is False
    assert {"name", "phases", "locales", "policy", "timing"} <= set(published["properties"])
    channel = published["$defs"]["ChannelChoice"]
    assert "preferred" in channel["enum"] and "fax" not in channel["enum"]


def test_shipped_files_name_their_schema() -> None:
    for path in DEFAULTS.glob("*.yaml"):
        if path.name.startswith("content_library"):
            continue
        if path.name == "selection.yaml":
            assert "$schema=../selection.schema.json" in path.read_text(encoding="utf-8")
            continue
        assert "$schema=../playbook.schema.json" in path.read_text(encoding="utf-8"), path
    for path in (DEFAULTS / "templates").glob("*.yaml"):
        text = path.read_text(encoding="utf-8")
        assert "$schema=../../template_set.schema.json" in text, path
