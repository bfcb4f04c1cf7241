"""Validation reports every problem at its exact path, and fails templates that would
fail at send time (missing variables, syntax errors, unguarded optional values)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from rebook.core.rules import format_duration
from rebook.playbooks.document import parse_duration
from rebook.playbooks.loading import canonical_document, load_playbook
from rebook.playbooks.validation import PlaybookInvalid, validate_playbook
from tests.playbooks.support import shipped


@pytest.fixture
def doc() -> dict[str, Any]:
    return copy.deepcopy(canonical_document(shipped("default")))


def problems(data: dict[str, Any]) -> list[str]:
    with pytest.raises(PlaybookInvalid) as caught:
        validate_playbook(data)
    return [str(issue) for issue in caught.value.issues]


def test_unknown_channel_is_reported_at_its_exact_path(doc: dict[str, Any]) -> None:
    doc["phases"]["missed"][2]["channels"] = ["fax"]

    assert problems(doc) == [
        'phases.missed[2].channels[0]: unknown channel "fax"; use one of email, sms, '
        "whatsapp, in_app, preferred, other, sms_or_whatsapp"
    ]


def test_every_shape_problem_is_reported_at_once(doc: dict[str, Any]) -> None:
    doc["phases"]["missed"][1]["afterr"] = "4h"
    doc["phases"]["before"]["reminders"][0]["before"] = "a day"
    doc["phases"]["missed"][0]["segment"] = "third"
    del doc["phases"]["missed"][3]["template"]

    assert problems(doc) == [
        'phases.before.reminders[0].before: "a day" is not a duration; write e.g. 30m, 4h, '
        "1d or 1d 12h",
        "phases.missed[0].segment: \"third\" is not allowed; expected 'first' or 'repeat'",
        'phases.missed[1].afterr: unknown field "afterr"',
        "phases.missed[3].template: required",
    ]


def test_cross_field_rules(doc: dict[str, Any]) -> None:
    missed = doc["phases"]["missed"]
    missed[1]["id"] = "no_show_followup"
    missed[2]["after"] = "2h"  # before the 4 h nudge
    missed[3]["after"] = "8d"  # after closing as lost
    missed[3]["channels"] = ["email", "email"]
    doc["phases"]["rescheduled"]["host_alert"]["channels"] = ["sms"]
    doc["phases"]["before"]["reminders"][1]["id"] = "close_as_lost"
    doc["default_locale"] = "fr"

    assert problems(doc) == [
        'phases.before.reminders[1].id: "close_as_lost" is reserved for a step that sends nothing',
        'phases.missed[1].id: step id "no_show_followup" is already used by phases.missed[0]',
        "phases.missed[2].after: steps must be listed in the order they go out: 2h after "
        "comes before phases.missed[1] (4h after)",
        "phases.missed[3].after: 8d is not before timing.close_as_lost_after_miss (7d): it "
        "would never be sent",
        'phases.missed[3].channels[1]: "email" is listed twice',
        'phases.rescheduled.host_alert.channels[0]: hosts are emailed only: "sms" cannot reach one',
        'default_locale: "fr" has no templates (locales: en, es)',
    ]


def test_the_rescheduled_confirmation_may_share_the_booking_confirmations_id(
    doc: dict[str, Any],
) -> None:
    # It must: keys of running workflows are "confirmation@<start>" in both phases.
    assert doc["phases"]["rescheduled"]["confirmation"]["id"] == "confirmation"
    validate_playbook(doc)


def test_templates_must_exist_for_every_step_locale_and_channel(doc: dict[str, Any]) -> None:
    del doc["locales"]["es"]["templates"]["reminder_24h"]
    del doc["locales"]["en"]["templates"]["no_show_nudge"]["in_app"]
    del doc["locales"]["es"]["strings"]["sms_opt_out"]
    del doc["locales"]["es"]["strings"]["kind_nouns"]["webinar"]
    doc["variants"]["b"]["reminder_1h"] = "reminder_1h_b"

    assert sorted(problems(doc)) == [
        "locales.en.templates.no_show_nudge: no in_app copy, but phases.missed[1] may send "
        "it by in_app",
        "locales.es.strings.kind_nouns.webinar: missing",
        "locales.es.strings.sms_opt_out: missing: every locale needs it",
        'phases.before.reminders[0].template: no template "reminder_24h" in locale "es"',
        'variants.b.reminder_1h: no template "reminder_1h_b" in locale "en"',
        'variants.b.reminder_1h: no template "reminder_1h_b" in locale "es"',
    ]


def test_a_step_that_cannot_use_a_channel_needs_no_copy_for_it(doc: dict[str, Any]) -> None:
    nudge = doc["phases"]["missed"][1]
    nudge["channels"] = ["email"]
    nudge["fallback"] = False
    for locale in ("en", "es"):
        for name in ("no_show_nudge", "no_show_nudge_b"):
            template = doc["locales"][locale]["templates"][name]
            for part in ("short", "in_app"):
                template.pop(part, None)
                template["repeat"].pop(part, None)
    validate_playbook(doc)


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("Hi {{ contact.frist_name }}", "'dict object' has no attribute 'frist_name'"),
        ("Hi {{ nobody }}", "'nobody' is undefined"),
        (
            "Hi {{ contact.first_name",
            "syntax error on line 1: unexpected end of template, expected 'end of print "
            "statement'.",
        ),
        (
            "Meet at {{ appointment.location }}",
            "appointment.location is not set for this message; guard it with "
            "{% if appointment.location %}",
        ),
    ],
)
def test_a_template_that_cannot_render_fails_validation(
    doc: dict[str, Any], source: str, message: str
) -> None:
    doc["locales"]["es"]["templates"]["reminder_1h"]["short"]["headline"] = source

    found = problems(doc)
    assert found == [f"locales.es.templates.reminder_1h.short.headline: {message}"]


def test_guarded_optional_values_validate(doc: dict[str, Any]) -> None:
    doc["locales"]["en"]["templates"]["reminder_1h"]["short"]["headline"] = (
        "Soon{% if appointment.location %} at {{ appointment.location }}{% endif %} "
        "{{ links.unsubscribe | default('') }}"
    )
    validate_playbook(doc)


def test_a_broken_layout_fails_validation(doc: dict[str, Any]) -> None:
    doc["layouts"] = {"sms": "{{ brand.name }}: {{ headline }} {{ lnk }}"}

    assert problems(doc) == ["layouts.sms: 'lnk' is undefined"]


def test_locale_files_are_for_files_on_disk_only(doc: dict[str, Any]) -> None:
    doc["locale_files"] = ["/etc/passwd"]

    assert problems(doc) == [
        "locale_files: only a playbook file read from disk may name files; send locales inline"
    ]


def test_file_errors_carry_file_and_line(tmp_path: Path) -> None:
    source = shipped("default")
    data = canonical_document(source)
    data["phases"]["missed"][2]["channels"] = ["email", "fax"]
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    line = next(
        i for i, text in enumerate(path.read_text().splitlines(), 1) if text.strip() == "- fax"
    )

    with pytest.raises(PlaybookInvalid) as caught:
        load_playbook(path)

    [issue] = caught.value.issues
    assert issue.path == "phases.missed[2].channels[1]"
    assert (issue.file, issue.line) == (str(path), line)


def test_errors_in_a_locale_file_point_into_that_file(tmp_path: Path) -> None:
    (tmp_path / "en.yaml").write_text(
        (Path(__file__).parents[2] / "rebook/playbooks/defaults/templates/en.yaml")
        .read_text()
        .replace("Tomorrow: your {{ appointment.kind_noun }}", "Tomorrow: {{ appointment.knd }}"),
        encoding="utf-8",
    )
    playbook = yaml.safe_load(
        (Path(__file__).parents[2] / "rebook/playbooks/defaults/default.yaml").read_text()
    )
    playbook["locale_files"] = ["en.yaml"]
    playbook["variants"] = {}
    (tmp_path / "playbook.yaml").write_text(yaml.safe_dump(playbook), encoding="utf-8")

    with pytest.raises(PlaybookInvalid) as caught:
        load_playbook(tmp_path / "playbook.yaml")

    [issue] = caught.value.issues
    assert issue.path == "locales.en.templates.reminder_24h.email.subject"
    assert issue.file == str((tmp_path / "en.yaml").resolve())
    lines = (tmp_path / "en.yaml").read_text().splitlines()
    assert issue.line is not None and "appointment.knd" in lines[issue.line - 1]


def test_invalid_yaml_is_reported_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("name: x\nphases:\n  missed: [\n", encoding="utf-8")

    with pytest.raises(PlaybookInvalid) as caught:
        load_playbook(path)

    [issue] = caught.value.issues
    assert issue.message.startswith("not valid YAML")
    assert issue.line == 4


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("0m", 0), ("30m", 1800), ("4h", 14400), ("1d 12h", 129600), ("2w", 1209600), (90, 90)],
)
def test_durations(text: str | int, seconds: int) -> None:
    assert parse_duration(text) == seconds
    assert parse_duration(format_duration(seconds)) == seconds
