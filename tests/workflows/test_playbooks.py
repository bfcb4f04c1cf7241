"""Appointments running on playbooks, on the time-skipping Temporal server with the real
activities: a custom playbook end to end through the real SendGrid and Twilio SDKs (fake
provider servers), the version pinned at the start surviving an edit, a reschedule moving
to the latest version, the frequency cap deferring a step across two appointments of one
contact, stop conditions, and the thank-you after an attended appointment."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker
from temporalio.testing import WorkflowEnvironment

from rebook.core.domain import AppointmentStatus, BookedVia, Channel, EventType
from rebook.core.playbook import Playbook
from rebook.core.workspaces import DEFAULT_WORKSPACE_ID
from rebook.db.stores import CommunicationStore, ReportStore
from rebook.playbooks.disk_catalog import DiskPlaybookCatalog
from tests.playbooks.support import VERSION_TWO_COPY, playbook_file, with_copy
from tests.support.factories import contact
from tests.support.fakes import (
    SMS_FROM,
    WHATSAPP_FROM,
    FakeSendGrid,
    FakeTwilio,
    provider_senders,
)
from tests.support.harness import Harness, outbox_senders, running

EVER = (datetime(2000, 1, 1, tzinfo=UTC), datetime(2200, 1, 1, tzinfo=UTC))


def whatsapp_only_follow_ups(data: dict[str, Any]) -> None:
    """The demo playbook's three reminders (3 d, 24 h, 1 h), then follow-ups on WhatsApp
    only; no quiet hours or cap, so times are exact on the shared test clock."""
    data["phases"]["missed"] = [
        {
            "id": "no_show_followup",
            "after": "0m",
            "template": "no_show_followup",
            "channels": ["whatsapp"],
            "fallback": False,
        },
        {
            "id": "no_show_nudge",
            "after": "1d",
            "template": "no_show_nudge",
            "channels": ["whatsapp"],
            "fallback": False,
        },
    ]
    data["policy"] = {"quiet_hours": None, "reschedule_limit": 3}


def edits(*changes: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
    def edit(data: dict[str, Any]) -> None:
        for change in changes:
            change(data)

    return edit


def later_last_reminder(data: dict[str, Any]) -> None:
    data["phases"]["before"]["reminders"][-1]["before"] = "30m"


def publish_version_two(directory: Path, *changes: Callable[[dict[str, Any]], None]) -> None:
    """`custom` version 2: its 24 h reminder in VERSION_TWO_COPY, with `changes`."""
    copy = with_copy("en", "reminder_24h", VERSION_TWO_COPY)
    change = edits(whatsapp_only_follow_ups, copy, *changes)
    playbook_file(directory, "custom", 2, base="demo", edit=change)


def playbook_dir(
    tmp_path: Path, selection: str = "rules: [{kind: demo, playbook: custom}]\n"
) -> Path:
    """A PLAYBOOK_DIR whose selection sends demos to the `custom` playbook."""
    (tmp_path / "selection.yaml").write_text(selection)
    playbook_file(tmp_path, "custom", 1, base="demo", edit=whatsapp_only_follow_ups)
    return tmp_path


def catalog_over(directory: Path) -> DiskPlaybookCatalog:
    catalog = DiskPlaybookCatalog.with_defaults(directory, rescan_after_s=0)
    catalog.load()
    return catalog


@pytest.fixture
async def custom_harness(
    time_skipping_env: WorkflowEnvironment, sessions: sessionmaker[Session], tmp_path: Path
) -> AsyncIterator[Harness]:
    catalog = catalog_over(playbook_dir(tmp_path))
    async with running(Harness(time_skipping_env, sessions, outbox_senders(), catalog)) as h:
        yield h


def loaded(harness: Harness, name: str) -> Playbook:
    found = harness.catalog.get(name)
    assert found is not None
    return found.playbook


# ---------------------------------------------------------------------------- end to end


async def test_custom_playbook_three_reminders_and_whatsapp_only_follow_ups(
    time_skipping_env: WorkflowEnvironment,
    sessions: sessionmaker[Session],
    tmp_path: Path,
    fake_sendgrid: FakeSendGrid,
    fake_twilio: FakeTwilio,
) -> None:
    catalog = catalog_over(playbook_dir(tmp_path))
    senders = provider_senders(fake_sendgrid, fake_twilio)
    async with running(Harness(time_skipping_env, sessions, senders, catalog)) as harness:
        details = await harness.booked(
            "apt_custom",
            timedelta(days=4),
            location="Acme HQ, 5th floor",
            contact=contact(id="con_custom", whatsapp="+447700900555"),
        )
        # Nothing pinned: the workflow resolves `custom` by the selection rules (a demo).
        handle = await harness.start(details, resolve=True)

        def mails() -> list[str]:
            return [m["subject"] for m in fake_sendgrid.mails]

        await harness.env.sleep(timedelta(days=1) - timedelta(minutes=1))
        assert len(mails()) == 1 and mails()[0].startswith("Confirmed: your demo")
        await harness.env.sleep(timedelta(minutes=2))  # 3 days before: the first reminder
        assert len(mails()) == 2
        await harness.env.sleep(timedelta(days=2) - timedelta(minutes=2))
        assert len(mails()) == 2
        await harness.env.sleep(timedelta(minutes=2))  # 24 hours before
        assert len(mails()) == 3 and mails()[2].startswith("Tomorrow: your demo")
        assert fake_twilio.messages == []
        await harness.env.sleep(timedelta(hours=23))  # 1 hour before, by SMS
        [sms] = fake_twilio.messages
        assert (sms["To"], sms["From"]) == ("+447700900123", SMS_FROM)
        assert "Starts in 1 hour" in sms["Body"] and "Where: Acme HQ" not in sms["Body"]
        confirmation_text = fake_sendgrid.mails[0]["content"][0]["value"]
        assert "Where: Acme HQ, 5th floor" in confirmation_text

        await harness.env.sleep(timedelta(hours=1, minutes=10))
        missed = await harness.signal(handle, EventType.MISSED)
        await harness.env.sleep(timedelta(seconds=5))
        follow_up = fake_twilio.messages[-1]
        assert follow_up["To"] == "whatsapp:+447700900555"
        assert follow_up["From"] == f"whatsapp:{WHATSAPP_FROM}"
        assert details.reschedule_url in follow_up["Body"]

        await harness.env.sleep(timedelta(days=1))
        nudge = fake_twilio.messages[-1]
        assert nudge["To"] == "whatsapp:+447700900555" and nudge != follow_up
        assert len(mails()) == 3  # nothing by email after the miss

        outcome = await handle.result()
        assert outcome.status is AppointmentStatus.LOST
        sent = harness.sent(details.appointment_id)
        assert [(s.step, s.channel) for s in sent] == [
            ("confirmation", "email"),
            ("reminder_3d", "email"),
            ("reminder_24h", "email"),
            ("reminder_1h", "sms"),
            ("no_show_followup", "whatsapp"),
            ("no_show_nudge", "whatsapp"),
        ]
        assert [s.scheduled_for - details.starts_at for s in sent[1:4]] == [
            -timedelta(days=3),
            -timedelta(days=1),
            -timedelta(hours=1),
        ]
        assert sent[5].scheduled_for - missed.received_at == timedelta(days=1)
        await harness.archive(handle, "pb-custom_playbook")


# ---------------------------------------------------------------------------- versions


async def test_an_edit_mid_flight_leaves_running_appointments_on_their_version(
    custom_harness: Harness, tmp_path: Path
) -> None:
    harness = custom_harness
    first = await harness.booked("apt_v1", timedelta(days=2))
    h1 = await harness.start(first, resolve=True)
    await harness.env.sleep(timedelta(minutes=1))

    publish_version_two(tmp_path, later_last_reminder)
    second = await harness.booked("apt_v2", timedelta(days=2), contact=contact(id="con_v2"))
    h2 = await harness.start(second, resolve=True)
    await harness.env.sleep(timedelta(days=2) - timedelta(minutes=20))

    old = {s.step: s for s in harness.sent(first.appointment_id)}
    new = {s.step: s for s in harness.sent(second.appointment_id)}
    assert old["reminder_24h"].subject.startswith("Tomorrow: your demo")
    assert new["reminder_24h"].subject.startswith("Version two: see you")
    assert old["reminder_1h"].scheduled_for == first.starts_at - timedelta(hours=1)
    assert new["reminder_1h"].scheduled_for == second.starts_at - timedelta(minutes=30)
    for handle in (h1, h2):
        await harness.signal(handle, EventType.ATTENDED)
        await handle.result()


async def test_a_reschedule_moves_to_the_latest_version_of_the_same_playbook(
    custom_harness: Harness, tmp_path: Path
) -> None:
    harness = custom_harness
    details = await harness.booked("apt_moved", timedelta(days=4), location="Acme HQ, 5th floor")
    handle = await harness.start(details, resolve=True)
    await harness.env.sleep(timedelta(hours=1))

    # The selection now sends demos elsewhere, and `custom` has a version 2.
    (tmp_path / "selection.yaml").write_text("rules: [{kind: demo, playbook: demo}]\n")
    publish_version_two(tmp_path)
    before = await harness.progress(handle)
    assert before.next_step == "reminder_3d"  # still version 1's sequence
    new_time = (await harness.now()) + timedelta(days=2)
    await harness.signal(handle, EventType.RESCHEDULED, new_starts_at=new_time)
    await harness.env.sleep(timedelta(days=2) - timedelta(hours=2))

    steps = {s.step: s for s in harness.sent(details.appointment_id)}
    # The same playbook (not the one the selection now picks), at its latest version.
    assert steps["reminder_24h"].subject.startswith("Version two: see you")
    # The appointment's details travel with it to the new slot.
    reconfirmation = steps["confirmation"]  # the latest confirmation: the new time
    assert reconfirmation.template == "reschedule_confirmation"
    assert "Where: Acme HQ, 5th floor" in reconfirmation.body
    assert "reading_list" not in steps  # `demo` would have sent it before the new slot
    await harness.signal(handle, EventType.CANCELLED)
    outcome = await handle.result()
    assert outcome.reschedule_count == 1
    await harness.archive(handle, "pb-reschedule_latest_version")


# ---------------------------------------------------------------------------- send-time rules


def capped(data: dict[str, Any]) -> None:
    """Confirmations and one follow-up, at most 2 messages per contact per day."""
    whatsapp_only_follow_ups(data)
    data["phases"]["before"]["reminders"] = []
    data["phases"]["attended"] = []
    data["phases"]["missed"] = [
        {"id": "no_show_followup", "after": "0m", "template": "no_show_followup"},
    ]
    data["policy"]["frequency_cap"] = {"max_messages": 2, "per": "1d"}


async def test_the_frequency_cap_defers_a_step_across_a_contacts_appointments(
    time_skipping_env: WorkflowEnvironment, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    playbook_file(tmp_path, "capped", 1, base="demo", edit=capped)
    catalog = catalog_over(playbook_dir(tmp_path, "rules: [{kind: demo, playbook: capped}]\n"))
    async with running(Harness(time_skipping_env, sessions, outbox_senders(), catalog)) as harness:
        ada = contact(id="con_capped")
        first = await harness.booked("apt_cap_a", timedelta(hours=1), contact=ada)
        second = await harness.booked("apt_cap_b", timedelta(hours=3), contact=ada)
        h1 = await harness.start(first, resolve=True)
        h2 = await harness.start(second, resolve=True)
        await harness.env.sleep(timedelta(hours=1, minutes=10))
        # Two confirmations today (they answer a booking: counted, never deferred)...
        missed = await harness.signal(h1, EventType.MISSED)
        await harness.env.sleep(timedelta(seconds=5))

        # ...so the follow-up waits for the first of them to leave the rolling day.
        [confirmation_a] = [s for s in harness.sent(first.appointment_id) if s.status == "recorded"]
        [confirmation_b] = harness.sent(second.appointment_id)
        assert (confirmation_a.step, confirmation_b.step) == ("confirmation", "confirmation")
        opens_at = min(confirmation_a.scheduled_for, confirmation_b.scheduled_for) + timedelta(
            days=1
        )
        progress = await harness.progress(h1)
        assert (progress.next_step, progress.next_step_at) == ("no_show_followup", opens_at)
        communications = CommunicationStore(sessions, DEFAULT_WORKSPACE_ID).for_appointment(
            first.appointment_id
        )
        [deferral] = [c for c in communications if c.status == "deferred"]
        assert deferral.step == "no_show_followup"
        assert deferral.scheduled_for == missed.received_at
        assert deferral.error is not None and "frequency cap (2 per 1d)" in deferral.error

        await harness.signal(h2, EventType.ATTENDED)
        await harness.env.sleep(opens_at - await harness.now() + timedelta(seconds=5))
        follow_ups = [s for s in harness.sent(first.appointment_id) if s.step == "no_show_followup"]
        assert [(s.status, s.scheduled_for) for s in follow_ups] == [
            ("deferred", missed.received_at),
            ("recorded", opens_at),  # deferred, not dropped
        ]
        # Rows carry the real clock's created_at, the workflow runs on the skipped one.
        report = ReportStore(sessions, DEFAULT_WORKSPACE_ID).follow_up_report(
            EVER[0], EVER[1], None
        )
        assert any(d.status == "deferred" and d.messages >= 1 for d in report.deliveries)
        await harness.signal(h1, EventType.CANCELLED)
        await h1.result()
        await harness.archive(h1, "pb-frequency_cap")


def stopping(data: dict[str, Any]) -> None:
    """A follow-up right away, then one per stop condition, an hour apart."""
    whatsapp_only_follow_ups(data)
    step = {"template": "no_show_nudge", "channels": ["email"]}
    data["phases"]["missed"] = [
        {"id": "no_show_followup", "after": "0m", "template": "no_show_followup"},
        {**step, "id": "unless_replied", "after": "1h", "stop_when": ["replied"]},
        {**step, "id": "unless_rebooked", "after": "2h", "stop_when": ["rebooked"]},
        {**step, "id": "unless_opted_out", "after": "3h", "stop_when": ["opted_out"]},
        {**step, "id": "always", "after": "4h"},
    ]


@pytest.mark.parametrize("condition", ["replied", "rebooked", "opted_out"])
async def test_stop_conditions_stop_the_steps_that_list_them(
    time_skipping_env: WorkflowEnvironment,
    sessions: sessionmaker[Session],
    tmp_path: Path,
    condition: str,
) -> None:
    playbook_file(tmp_path, "stopping", 1, base="demo", edit=stopping)
    catalog = catalog_over(playbook_dir(tmp_path, "rules: [{kind: demo, playbook: stopping}]\n"))
    async with running(Harness(time_skipping_env, sessions, outbox_senders(), catalog)) as harness:
        ada = contact(id=f"con_{condition}")
        details = await harness.booked(f"apt_stop_{condition}", timedelta(hours=1), contact=ada)
        handle = await harness.start(details, resolve=True)
        await harness.env.sleep(timedelta(hours=1, minutes=10))
        await harness.signal(handle, EventType.MISSED)
        await harness.env.sleep(timedelta(minutes=5))

        others = []
        if condition == "replied":
            await harness.signal(handle, EventType.REPLIED)
        elif condition == "rebooked":  # another appointment, booked after the miss
            again = await harness.booked("apt_again", timedelta(days=3), contact=ada)
            others.append(await harness.start(again, resolve=True))
        else:
            CommunicationStore(sessions, DEFAULT_WORKSPACE_ID).record_opt_out(
                ada.id, Channel.SMS, "STOP"
            )
        await harness.env.sleep(timedelta(hours=4, minutes=5))

        sent = harness.sent(details.appointment_id)
        delivered = [s.step for s in sent if s.status == "recorded"]
        stopped = [s for s in sent if s.status == "skipped"]
        expected = ["no_show_followup", "unless_replied", "unless_rebooked", "unless_opted_out"]
        expected.remove(f"unless_{condition}")
        assert delivered == ["confirmation", *expected, "always"]
        [hold] = stopped
        assert hold.step == f"unless_{condition}" and hold.error is not None
        assert hold.error.startswith("stopped: ")
        # Every workflow ends: one left waiting would hold the shared test clock.
        for running_one in (handle, *others):
            await harness.signal(running_one, EventType.CANCELLED)
            await running_one.result()
        if condition == "rebooked":
            await harness.archive(handle, "pb-stop_when_rebooked")


# ---------------------------------------------------------------------------- attended


async def test_an_attended_appointment_gets_the_playbooks_thank_you(
    time_skipping_env: WorkflowEnvironment, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    def thanks(data: dict[str, Any]) -> None:
        whatsapp_only_follow_ups(data)
        data["phases"]["before"]["reminders"] = []

    playbook_file(tmp_path, "thanks", 1, base="demo", edit=thanks)
    catalog = catalog_over(playbook_dir(tmp_path, "rules: [{kind: demo, playbook: thanks}]\n"))
    async with running(Harness(time_skipping_env, sessions, outbox_senders(), catalog)) as harness:
        details = await harness.booked("apt_thanks", timedelta(hours=1))
        handle = await harness.start(details, resolve=True)
        await harness.env.sleep(timedelta(hours=1, minutes=40))
        await harness.signal(handle, EventType.ATTENDED)
        await harness.env.sleep(timedelta(seconds=5))
        progress = await harness.progress(handle)
        ends_at = details.starts_at + timedelta(minutes=details.duration_minutes)
        assert (progress.status, progress.next_step) == (AppointmentStatus.ATTENDED, "thank_you")
        assert progress.next_step_at == ends_at + timedelta(hours=2)

        outcome = await handle.result()
        assert outcome.status is AppointmentStatus.ATTENDED and outcome.next_step is None
        steps = [
            (s.step, s.template, s.scheduled_for) for s in harness.sent(details.appointment_id)
        ]
        assert steps[-1] == ("thank_you", "thank_you", ends_at + timedelta(hours=2))
        await harness.archive(handle, "pb-attended_thank_you")


async def test_whatsapp_content_variables_reach_twilio_for_a_playbook_template(
    time_skipping_env: WorkflowEnvironment,
    sessions: sessionmaker[Session],
    tmp_path: Path,
    fake_sendgrid: FakeSendGrid,
    fake_twilio: FakeTwilio,
) -> None:
    """A pre-approved WhatsApp template mapped to a playbook's template keeps the six
    numbered variables (TWILIO_WHATSAPP_CONTENT_SIDS)."""
    sid = "HX" + "c" * 32
    senders = provider_senders(
        fake_sendgrid, fake_twilio, twilio_whatsapp_content_sids={"no_show_followup": sid}
    )
    catalog = catalog_over(playbook_dir(tmp_path))
    async with running(Harness(time_skipping_env, sessions, senders, catalog)) as harness:
        details = await harness.booked(
            "apt_wa_vars",
            timedelta(minutes=30),
            booked_via=BookedVia.WHATSAPP,
            contact=contact(id="con_wa_vars", whatsapp="+447700900556", preferred_channel=None),
        )
        handle = await harness.start(details, resolve=True)
        await harness.env.sleep(timedelta(minutes=40))
        await harness.signal(handle, EventType.MISSED)
        await harness.env.sleep(timedelta(seconds=5))

        follow_up = fake_twilio.messages[-1]
        assert follow_up["ContentSid"] == sid
        variables = json.loads(follow_up["ContentVariables"])
        assert sorted(variables) == ["1", "2", "3", "4", "5", "6"]
        assert (variables["1"], variables["2"], variables["5"]) == (
            "Ada",
            "demo",
            details.reschedule_url,
        )
        await harness.signal(handle, EventType.CANCELLED)
        await handle.result()
