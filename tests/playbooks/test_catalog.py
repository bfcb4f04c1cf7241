"""The disk catalog (shipped defaults, then PLAYBOOK_DIR) and the resolution of the playbook
an appointment runs: versions stay available once served, edits need a new version,
broken files keep the last good state, and the selection rules are data."""

from __future__ import annotations

from pathlib import Path

import pytest

from rebook.core.domain import AppointmentKind, BookedVia
from rebook.playbooks.catalog import NoPlaybook, resolve_playbook
from rebook.playbooks.disk_catalog import DiskPlaybookCatalog, PlaybookCatalogInvalid
from rebook.playbooks.selection import PlaybookSelection, SelectionRule
from tests.playbooks.support import DEFAULTS, VERSION_TWO_COPY, playbook_file, with_copy
from tests.support.factories import appointment


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def catalog(playbook_dir: Path | None = None) -> DiskPlaybookCatalog:
    # rescan_after_s=0: every read looks at the files, so edits show at once.
    return DiskPlaybookCatalog.with_defaults(playbook_dir, rescan_after_s=0)


def test_the_shipped_playbooks_and_selection() -> None:
    shipped = catalog()
    shipped.load()
    default = shipped.get("default")
    assert default is not None and default.playbook.version == 1
    assert [p.playbook.name for p in shipped.offered()] == ["default", "demo", "whatsapp_first"]
    assert shipped.selection() == PlaybookSelection(default="default", rules=())
    assert shipped.library().items == ()  # the shipped example library is not read
    assert shipped.get("nope") is None and shipped.get("default", 7) is None


def test_a_higher_version_in_the_playbook_dir_replaces_a_default(tmp_path: Path) -> None:
    playbook_file(tmp_path, "default", 2, edit=with_copy("en", "reminder_24h", VERSION_TWO_COPY))
    both = catalog(tmp_path)
    both.load()

    latest = both.get("default")
    first = both.get("default", 1)
    assert latest is not None and latest.playbook.version == 2
    assert first is not None and first.playbook.version == 1
    subject = latest.templates.locales["en"].templates["reminder_24h"].copy.email
    assert subject is not None and subject.subject.startswith("Version two")


def test_an_edit_with_a_new_version_keeps_the_old_one_for_running_appointments(
    tmp_path: Path,
) -> None:
    path = playbook_file(tmp_path, "custom", 1)
    disk = catalog(tmp_path)
    disk.load()
    v1 = disk.get("custom")

    playbook_file(tmp_path, "custom", 2, edit=with_copy("en", "reminder_24h", VERSION_TWO_COPY))
    assert path.exists()  # the same file, edited in place

    latest = disk.get("custom")
    assert latest is not None and latest.playbook.version == 2
    assert disk.get("custom", 1) is v1  # gone from disk, still served


def test_an_edit_without_a_new_version_is_refused(tmp_path: Path) -> None:
    playbook_file(tmp_path, "custom", 1)
    disk = catalog(tmp_path)
    disk.load()
    before = disk.get("custom", 1)

    playbook_file(tmp_path, "custom", 1, edit=with_copy("en", "reminder_24h", VERSION_TWO_COPY))
    problems = disk.refresh()

    assert any("changed without a new version" in p for p in problems)
    assert disk.get("custom", 1) is before
    assert disk.get("custom") is before


def test_a_file_that_breaks_keeps_its_last_good_version(tmp_path: Path) -> None:
    path = playbook_file(tmp_path, "custom", 1)
    disk = catalog(tmp_path)
    disk.load()
    good = disk.get("custom")

    path.write_text(path.read_text().replace("channels:\n      - email", "channels:\n      - fax"))
    problems = disk.refresh()

    assert any('unknown channel "fax"' in p and "custom.yaml" in p for p in problems)
    assert disk.get("custom") is good
    assert disk.refresh() == ()  # reported once, not on every scan
    with pytest.raises(PlaybookCatalogInvalid, match="fax"):
        catalog(tmp_path).load()  # a fresh start refuses it


def test_two_versions_side_by_side_and_the_highest_is_latest(tmp_path: Path) -> None:
    playbook_file(tmp_path, "custom", 1, file_name="custom.v1.yaml")
    playbook_file(tmp_path, "custom", 3, file_name="custom.yaml")
    disk = catalog(tmp_path)
    disk.load()
    assert [disk.get("custom", v) is not None for v in (1, 2, 3)] == [True, False, True]
    latest = disk.get("custom")
    assert latest is not None and latest.playbook.version == 3


def test_selection_rules_and_content_library_from_the_playbook_dir(tmp_path: Path) -> None:
    (tmp_path / "selection.yaml").write_text(
        "default: default\n"
        "rules:\n"
        "  - {kind: demo, booked_via: whatsapp, playbook: whatsapp_first}\n"
        "  - {kind: demo, playbook: demo}\n"
        "  - {booked_via: whatsapp, playbook: whatsapp_first}\n"
    )
    (tmp_path / "content_library.yaml").write_text(
        (DEFAULTS / "content_library.example.yaml").read_text()
    )
    disk = catalog(tmp_path)
    disk.load()

    chosen = {
        (kind, via): disk.selection().choose(appointment(kind=kind, booked_via=via))
        for kind in (AppointmentKind.DEMO, AppointmentKind.CONSULTATION)
        for via in (BookedVia.WEB, BookedVia.WHATSAPP)
    }
    assert chosen == {
        (AppointmentKind.DEMO, BookedVia.WEB): ("demo", "selected for kind demo"),
        (AppointmentKind.DEMO, BookedVia.WHATSAPP): (
            "whatsapp_first",
            "selected for kind demo and booked via whatsapp",
        ),
        (AppointmentKind.CONSULTATION, BookedVia.WEB): ("default", "the default"),
        (AppointmentKind.CONSULTATION, BookedVia.WHATSAPP): (
            "whatsapp_first",
            "selected for booked via whatsapp",
        ),
    }
    assert {item.id for item in disk.library().items} >= {"demo-recording", "monthly-webinar"}


def test_selection_naming_an_unknown_playbook_is_refused(tmp_path: Path) -> None:
    (tmp_path / "selection.yaml").write_text("rules:\n  - {kind: demo, playbook: demos}\n")
    with pytest.raises(PlaybookCatalogInvalid, match="demos"):
        catalog(tmp_path).load()
    (tmp_path / "selection.yaml").write_text("rules:\n  - {playbook: demo}\n")
    with pytest.raises(PlaybookCatalogInvalid, match="kind, booked_via or both"):
        catalog(tmp_path).load()


def test_changes_are_seen_at_the_next_rescan_not_before(tmp_path: Path) -> None:
    clock = Clock()
    disk = DiskPlaybookCatalog([DEFAULTS, tmp_path], rescan_after_s=5, clock=clock)
    disk.load()
    playbook_file(tmp_path, "custom", 1)

    assert disk.get("custom") is None
    clock.now = 5.0
    assert disk.get("custom") is not None
    # A pinned version not known yet is looked for at once (a render must not wait).
    playbook_file(tmp_path, "custom", 2, file_name="custom.v2.yaml")
    clock.now = 6.0
    assert disk.get("custom", 2) is None  # rescanned at 5.0: not due yet
    clock.now = 10.0
    assert disk.get("custom", 2) is not None


# ---------------------------------------------------------------------------- resolution


@pytest.fixture
def rules(tmp_path: Path) -> DiskPlaybookCatalog:
    (tmp_path / "selection.yaml").write_text("rules:\n  - {kind: demo, playbook: demo}\n")
    disk = catalog(tmp_path)
    disk.load()
    return disk


def test_resolution_by_selection_rules(rules: DiskPlaybookCatalog) -> None:
    demo = resolve_playbook(rules, appointment(kind=AppointmentKind.DEMO))
    other = resolve_playbook(rules, appointment(kind=AppointmentKind.WEBINAR))
    assert (demo.playbook.name, demo.reason) == ("demo", "selected for kind demo")
    assert (other.playbook.name, other.reason) == ("default", "the default")


def test_a_playbook_named_by_the_appointment_wins(rules: DiskPlaybookCatalog) -> None:
    named = resolve_playbook(rules, appointment(kind=AppointmentKind.DEMO, playbook="default"))
    assert (named.playbook.name, named.reason) == ("default", "named by the appointment")


def test_the_kept_name_of_a_reschedule_wins(rules: DiskPlaybookCatalog) -> None:
    kept = resolve_playbook(rules, appointment(playbook="demo"), name="whatsapp_first")
    assert (kept.playbook.name, kept.reason) == ("whatsapp_first", "kept")


def test_unknown_names_fall_through_and_say_so(rules: DiskPlaybookCatalog) -> None:
    gone = resolve_playbook(rules, appointment(kind=AppointmentKind.DEMO, playbook="retired"))
    assert gone.playbook.name == "demo"
    assert gone.reason == "playbook 'retired' is unknown; selected for kind demo"


def test_no_default_playbook_is_an_error(tmp_path: Path) -> None:
    playbook_file(tmp_path, "custom", 1)
    only_custom = DiskPlaybookCatalog([tmp_path], rescan_after_s=0)
    with pytest.raises(PlaybookCatalogInvalid, match="default"):
        only_custom.load()  # the default selection names a playbook that is not there
    with pytest.raises(NoPlaybook):
        resolve_playbook(only_custom, appointment())


def test_a_rule_needs_every_field_it_names_to_match() -> None:
    rule = SelectionRule("custom", kind=AppointmentKind.DEMO, booked_via=BookedVia.SMS)
    selection = PlaybookSelection(rules=(rule,))
    assert selection.choose(appointment(kind=AppointmentKind.DEMO))[0] == "default"
    texted = appointment(kind=AppointmentKind.DEMO, booked_via=BookedVia.SMS)
    assert selection.choose(texted) == ("custom", "selected for kind demo and booked via sms")
