"""The HubSpot adapter drives the real hubspot-api-client SDK against a local fake HubSpot;
the assertions are on the HTTP requests the SDK made."""

import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from rebook.core.contracts import ContactDetails
from rebook.core.domain import Channel
from rebook.crm.hubspot import HubSpotCrm, note_body, timeline_reference
from rebook.crm.port import (
    CrmPort,
    PermanentCrmError,
    TimelineEntry,
    TimelineKind,
    TransientCrmError,
)
from tests.support.fakes.hubspot import ACCESS_TOKEN, FakeHubSpot

AT = datetime(2025, 3, 4, 9, 30, tzinfo=UTC)
ADA = ContactDetails(
    id="c-42",
    name="Ada King Lovelace",
    timezone="Europe/London",
    email="ada@example.com",
    phone="+447700900123",
)
SMS_ONLY = ContactDetails(id="c-43", name="Bob", timezone="America/New_York", phone="+15005550006")
SENT = TimelineEntry(
    entry_id="com_1/sent",
    kind=TimelineKind.MESSAGE_SENT,
    at=AT,
    channel=Channel.SMS,
    text="We missed you!\nRebook: https://rebook.example/t/abc",
    appointment_id="apt_1",
)


def crm_for(fake: FakeHubSpot, **kwargs) -> HubSpotCrm:
    return HubSpotCrm(ACCESS_TOKEN, base_url=fake.base_url, **kwargs)


@pytest.fixture
def crm(fake_hubspot) -> HubSpotCrm:
    adapter = crm_for(fake_hubspot)
    adapter.ensure_properties()
    fake_hubspot.reset()  # tests look at their own requests only
    return adapter


def test_the_adapter_is_a_crm_port(fake_hubspot):
    port: CrmPort = crm_for(fake_hubspot)
    assert port is not None


# ---------------------------------------------------------------------- setup


def test_ensure_properties_creates_rebooks_contact_properties(fake_hubspot):
    crm_for(fake_hubspot).ensure_properties()

    assert fake_hubspot.calls() == [("POST", "/crm/v3/properties/contacts")] * 3
    bodies = [r.json() for r in fake_hubspot.requests]
    assert [(b["name"], b["type"], b["fieldType"]) for b in bodies] == [
        ("rebook_contact_id", "string", "text"),
        ("rebook_lead_score", "number", "number"),
        ("rebook_lead_band", "string", "text"),
    ]
    assert {b["groupName"] for b in bodies} == {"contactinformation"}
    assert fake_hubspot.requests[0].headers["authorization"] == f"Bearer {ACCESS_TOKEN}"


def test_ensure_properties_again_is_harmless(fake_hubspot):
    crm = crm_for(fake_hubspot)
    crm.ensure_properties()
    crm.ensure_properties()

    assert [r.status for r in fake_hubspot.requests] == [201] * 3 + [409] * 3


# ---------------------------------------------------------------------- contacts


def test_a_contact_with_email_is_one_batch_upsert_by_email(crm, fake_hubspot):
    contact_id = crm.upsert_contact(ADA)

    [request] = fake_hubspot.requests
    assert (request.method, request.path) == ("POST", "/crm/v3/objects/contacts/batch/upsert")
    assert request.json() == {
        "inputs": [
            {
                "id": "ada@example.com",
                "idProperty": "email",
                "properties": {
                    "email": "ada@example.com",
                    "firstname": "Ada",
                    "lastname": "King Lovelace",
                    "phone": "+447700900123",
                    "rebook_contact_id": "c-42",
                },
            }
        ]
    }
    assert fake_hubspot.contacts[contact_id].properties["rebook_contact_id"] == "c-42"


def test_upserting_again_updates_the_same_contact(crm, fake_hubspot):
    first = crm.upsert_contact(ADA)
    second = crm.upsert_contact(
        ContactDetails("c-42", "Ada Lovelace", "Europe/London", email="ada@example.com")
    )

    assert first == second
    assert len(fake_hubspot.contacts) == 1
    assert fake_hubspot.contacts[first].properties["lastname"] == "Lovelace"
    assert fake_hubspot.contacts[first].properties["phone"] == "+447700900123"  # kept


def test_a_contact_the_business_already_has_is_merged_by_email(crm, fake_hubspot):
    existing = fake_hubspot.add_contact(email="ada@example.com", firstname="Ada", lastname="L.")

    assert crm.upsert_contact(ADA) == existing
    assert len(fake_hubspot.contacts) == 1


def test_a_contact_without_email_is_searched_then_created(crm, fake_hubspot):
    contact_id = crm.upsert_contact(SMS_ONLY)

    assert fake_hubspot.calls() == [
        ("POST", "/crm/v3/objects/contacts/search"),
        ("POST", "/crm/v3/objects/contacts"),
    ]
    search, create = fake_hubspot.requests
    assert search.json()["filterGroups"] == [
        {"filters": [{"propertyName": "rebook_contact_id", "operator": "EQ", "value": "c-43"}]},
        {"filters": [{"propertyName": "phone", "operator": "EQ", "value": "+15005550006"}]},
    ]
    assert create.json()["properties"] == {
        "firstname": "Bob",
        "phone": "+15005550006",
        "rebook_contact_id": "c-43",
    }
    assert fake_hubspot.contacts[contact_id].properties["phone"] == "+15005550006"


def test_a_contact_without_email_found_again_is_updated_not_duplicated(crm, fake_hubspot):
    first = crm.upsert_contact(SMS_ONLY)
    fake_hubspot.reset()

    second = crm.upsert_contact(
        ContactDetails("c-43", "Bob Builder", "America/New_York", phone="+15005550006")
    )

    assert second == first
    assert fake_hubspot.calls() == [
        ("POST", "/crm/v3/objects/contacts/search"),
        ("PATCH", f"/crm/v3/objects/contacts/{first}"),
    ]
    assert fake_hubspot.requests[1].json() == {
        "properties": {
            "firstname": "Bob",
            "lastname": "Builder",
            "phone": "+15005550006",
            "rebook_contact_id": "c-43",
        }
    }
    assert len(fake_hubspot.contacts) == 1


def test_a_whatsapp_only_contact_is_found_by_its_whatsapp_number(crm, fake_hubspot):
    contact = ContactDetails("c-44", "Chloé", "Europe/Paris", whatsapp="+33612345678")
    contact_id = crm.upsert_contact(contact)
    assert fake_hubspot.contacts[contact_id].properties["phone"] == "+33612345678"
    assert crm.upsert_contact(contact) == contact_id
    assert len(fake_hubspot.contacts) == 1


def test_a_contact_without_email_adopts_a_hubspot_contact_with_its_phone(crm, fake_hubspot):
    existing = fake_hubspot.add_contact(phone="+15005550006", firstname="Robert")
    assert crm.upsert_contact(SMS_ONLY) == existing
    assert fake_hubspot.contacts[existing].properties["rebook_contact_id"] == "c-43"


# ---------------------------------------------------------------------- timeline


def test_a_follow_up_becomes_a_note_on_the_contacts_timeline(crm, fake_hubspot):
    contact_id = crm.upsert_contact(ADA)
    fake_hubspot.reset()

    note_id = crm.log_activity(contact_id, SENT)

    reference = timeline_reference("com_1/sent")
    assert fake_hubspot.calls() == [
        ("POST", "/crm/v3/objects/notes/search"),
        ("POST", "/crm/v3/objects/notes"),
    ]
    search, create = fake_hubspot.requests
    assert search.json()["filterGroups"] == [
        {
            "filters": [
                {"propertyName": "hs_note_body", "operator": "CONTAINS_TOKEN", "value": reference}
            ]
        }
    ]
    assert create.json() == {
        "properties": {
            "hs_timestamp": "2025-03-04T09:30:00.000Z",
            "hs_note_body": note_body(SENT, reference),
        },
        "associations": [
            {
                "to": {"id": contact_id},
                "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 202}],
            }
        ],
    }
    assert [note.id for note in fake_hubspot.notes_of(contact_id)] == [note_id]


def test_the_note_shows_the_message_escaped_and_the_reference(crm):
    entry = TimelineEntry(
        entry_id="com_2/clicked",
        kind=TimelineKind.MESSAGE_CLICKED,
        at=AT,
        channel=Channel.EMAIL,
        subject="Shall we <try> again?",
        text="Hi Ada & co,\n<script>alert(1)</script>",
        url="https://book.example/r?a=1&b=2",
    )

    body = note_body(entry, "rbkref")

    assert body == (
        "<p><strong>Rebook: Email follow-up clicked</strong></p>"
        "<p>Subject: Shall we &lt;try&gt; again?</p>"
        "<p>Link: https://book.example/r?a=1&amp;b=2</p>"
        "<p>Hi Ada &amp; co,<br>&lt;script&gt;alert(1)&lt;/script&gt;</p>"
        "<p>Rebook ref: rbkref</p>"
    )


def test_an_appointment_outcome_is_a_note_too(crm, fake_hubspot):
    contact_id = crm.upsert_contact(ADA)
    entry = TimelineEntry(
        entry_id="apt_1/outcome/rebooked",
        kind=TimelineKind.APPOINTMENT_OUTCOME,
        at=AT,
        outcome="rebooked",
        appointment_id="apt_1",
    )

    note_id = crm.log_activity(contact_id, entry)

    body = fake_hubspot.notes[note_id].properties["hs_note_body"]
    assert body.startswith("<p><strong>Rebook: appointment rebooked</strong></p>")
    assert "<p>Appointment: apt_1</p>" in body


def test_logging_the_same_entry_again_adds_no_second_note(crm, fake_hubspot):
    contact_id = crm.upsert_contact(ADA)
    first = crm.log_activity(contact_id, SENT)
    fake_hubspot.reset()

    again = crm.log_activity(contact_id, SENT)

    assert again == first
    assert fake_hubspot.calls() == [("POST", "/crm/v3/objects/notes/search")]
    assert len(fake_hubspot.notes_of(contact_id)) == 1


def test_a_retry_after_a_lost_response_finds_the_note_hubspot_created(crm, fake_hubspot):
    contact_id = crm.upsert_contact(ADA)
    fake_hubspot.lose_response("POST", "/crm/v3/objects/notes", 504)

    with pytest.raises(TransientCrmError):
        crm.log_activity(contact_id, SENT)
    retried = crm.log_activity(contact_id, SENT)

    [note] = fake_hubspot.notes_of(contact_id)
    assert retried == note.id
    assert [call for call in fake_hubspot.calls() if call[1] == "/crm/v3/objects/notes"] == [
        ("POST", "/crm/v3/objects/notes")
    ]


def test_different_entries_get_different_notes(crm, fake_hubspot):
    contact_id = crm.upsert_contact(ADA)
    opened = TimelineEntry("com_1/opened", TimelineKind.MESSAGE_OPENED, AT, channel=Channel.SMS)
    crm.log_activity(contact_id, SENT)
    crm.log_activity(contact_id, opened)
    assert len(fake_hubspot.notes_of(contact_id)) == 2


def test_a_note_for_an_unknown_contact_is_a_permanent_error(crm):
    with pytest.raises(PermanentCrmError) as refused:
        crm.log_activity("999999", SENT)
    assert refused.value.status == 400


# ---------------------------------------------------------------------- score


def test_the_score_and_band_are_contact_properties(crm, fake_hubspot):
    contact_id = crm.upsert_contact(ADA)
    fake_hubspot.reset()

    crm.set_score(contact_id, 62.5, "hot")
    crm.set_score(contact_id, 40.0, "warm")

    assert fake_hubspot.calls() == [("PATCH", f"/crm/v3/objects/contacts/{contact_id}")] * 2
    assert fake_hubspot.requests[0].json() == {
        "properties": {"rebook_lead_score": "62.5", "rebook_lead_band": "hot"}
    }
    properties = fake_hubspot.contacts[contact_id].properties
    assert (properties["rebook_lead_score"], properties["rebook_lead_band"]) == ("40", "warm")


def test_setting_a_score_before_the_properties_exist_names_the_property(fake_hubspot):
    crm = crm_for(fake_hubspot)
    contact_id = fake_hubspot.add_contact(email="x@example.com")

    with pytest.raises(PermanentCrmError, match="rebook_lead_score") as refused:
        crm.set_score(contact_id, 10, "cold")
    assert refused.value.status == 400


# ---------------------------------------------------------------------- errors


def test_a_rate_limit_is_transient_and_carries_retry_after(crm, fake_hubspot):
    fake_hubspot.retry_after = "7"
    fake_hubspot.fail_next(429)

    with pytest.raises(TransientCrmError, match="RATE_LIMITS") as limited:
        crm.upsert_contact(ADA)

    assert limited.value.retry_after == timedelta(seconds=7)
    assert crm.upsert_contact(ADA)  # the next call goes through


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_errors_are_transient(crm, fake_hubspot, status):
    fake_hubspot.fail_next(status)
    with pytest.raises(TransientCrmError) as failed:
        crm.set_score("1", 1, "cold")
    assert failed.value.retry_after is None


@pytest.mark.parametrize("status", [400, 403, 404, 409])
def test_client_errors_are_permanent(crm, fake_hubspot, status):
    fake_hubspot.fail_next(status)
    with pytest.raises(PermanentCrmError) as refused:
        crm.upsert_contact(ADA)
    assert refused.value.status == status


def test_a_wrong_token_is_permanent_and_the_token_is_never_in_the_error(fake_hubspot):
    crm = HubSpotCrm("pat-na1-wrong-secret-token", base_url=fake_hubspot.base_url)

    with pytest.raises(PermanentCrmError) as refused:
        crm.upsert_contact(ADA)

    assert refused.value.status == 401
    assert "INVALID_AUTHENTICATION" in str(refused.value)
    assert "wrong-secret" not in str(refused.value)


def test_an_unreachable_hubspot_is_transient():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again before the call: connection refused
    crm = HubSpotCrm(ACCESS_TOKEN, base_url=f"http://127.0.0.1:{port}")

    with pytest.raises(TransientCrmError, match="unreachable"):
        crm.set_score("1", 1, "cold")


@pytest.fixture
def silent_server() -> Iterator[str]:
    """Accepts connections and never answers."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        yield f"http://127.0.0.1:{server.getsockname()[1]}"


def test_a_hubspot_that_does_not_answer_times_out_as_transient(silent_server):
    crm = HubSpotCrm(ACCESS_TOKEN, base_url=silent_server, timeout_s=0.3)
    with pytest.raises(TransientCrmError, match="unreachable"):
        crm.set_score("1", 1, "cold")


# ---------------------------------------------------------------------- the port's data


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"at": datetime(2025, 1, 1)}, "timezone-aware"),
        ({"kind": TimelineKind.APPOINTMENT_OUTCOME, "channel": None}, "outcome"),
        ({"channel": None}, "channel"),
    ],
)
def test_incomplete_timeline_entries_are_refused(kwargs, fragment):
    arguments = {
        "entry_id": "e",
        "kind": TimelineKind.MESSAGE_SENT,
        "at": AT,
        "channel": Channel.SMS,
    }
    with pytest.raises(ValueError, match=fragment):
        TimelineEntry(**{**arguments, **kwargs})


def test_references_are_one_search_token_and_stable():
    reference = timeline_reference("com_1/sent")
    assert reference.isalnum()
    assert reference == timeline_reference("com_1/sent")
    assert reference != timeline_reference("com_1/opened")
