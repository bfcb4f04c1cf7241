"""The published JSON Schemas of playbook files, locale files and the selection file,
generated from the pydantic models, so editors can check YAML as it is typed
(`# yaml-language-server: $schema=...`). Regenerate with

    python -m rebook.playbooks.schema

A test fails when the committed files differ from the models.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Final

from rebook.playbooks.document import PlaybookDocument, TemplateSetFileDoc
from rebook.playbooks.selection import SelectionDoc

HERE: Final = Path(__file__).resolve().parent
PLAYBOOK_SCHEMA: Final = HERE / "playbook.schema.json"
TEMPLATE_SET_SCHEMA: Final = HERE / "template_set.schema.json"
SELECTION_SCHEMA: Final = HERE / "selection.schema.json"


def playbook_schema() -> dict[str, Any]:
    schema = PlaybookDocument.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "Rebook playbook"
    return schema


def template_set_schema() -> dict[str, Any]:
    schema = TemplateSetFileDoc.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "Rebook playbook locale file"
    return schema


def selection_schema() -> dict[str, Any]:
    schema = SelectionDoc.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "Rebook playbook selection rules"
    return schema


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def write() -> None:
    PLAYBOOK_SCHEMA.write_text(render(playbook_schema()), encoding="utf-8")
    TEMPLATE_SET_SCHEMA.write_text(render(template_set_schema()), encoding="utf-8")
    SELECTION_SCHEMA.write_text(render(selection_schema()), encoding="utf-8")


if __name__ == "__main__":
    write()
