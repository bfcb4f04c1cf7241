"""The worker refuses to start on playbook problems it can see up front."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from rebook.playbooks.disk_catalog import PlaybookCatalogInvalid
from rebook.settings import Settings
from worker import build_catalog


def settings(**values: Any) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def test_the_shipped_playbooks_load() -> None:
    catalog = build_catalog(settings())
    assert catalog.get("default") is not None
    assert "no_show_followup" in catalog.template_names()


def test_whatsapp_content_sids_must_name_templates_of_a_playbook() -> None:
    known = {"no_show_followup": "HX" + "a" * 32, "recorded_demo": "HX" + "b" * 32}
    assert build_catalog(settings(twilio_whatsapp_content_sids=known))
    with pytest.raises(ValueError, match="no_show_folowup"):
        build_catalog(settings(twilio_whatsapp_content_sids={"no_show_folowup": "HX1"}))


def test_a_broken_playbook_directory_stops_the_worker(tmp_path: Path) -> None:
    (tmp_path / "broken.yaml").write_text("name: broken\nphases: {missed: [{id: x}]}\n")
    with pytest.raises(PlaybookCatalogInvalid, match=r"broken\.yaml"):
        build_catalog(settings(playbook_dir=tmp_path))
