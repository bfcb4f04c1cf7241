"""Workspaces are sealed off from each other, route by route.

One parametrised test walks every route in the OpenAPI schema: a key of workspace A must
get 404 for B's rows (never 403, never the row), A's lists and reports never include B's
rows, and events and delivery webhooks only ever reach A's messages and workflows. A route
without a case in CASES fails the test, so a new route cannot skip the check.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker

from api.app import create_app
from rebook.core.api_keys import Scope
from rebook.core.audit import AuditFilter
from rebook.core.domain import Channel, CommunicationStatus
from rebook.core.ports import ProviderReceipt
from rebook.core.records import CommunicationRecord
from rebook.core.workspaces import Workspace
from rebook.db.stores import AppointmentStore, AuditStore, CommunicationStore
from rebook.settings import Settings
from tests.support.payloads import appointment_body, with_contact
from tests.support.rows import LEASE, draft
from tests.support.workspaces import add_workspace, bearer, issue_key, key_id_of

Check = Callable[["World"], Awaitable[None]]
CASES: dict[tuple[str, str], Check] = {}


def case(method: str, path: str) -> Callable[[Check], Check]:
    def register(check: Check) -> Check:
        CASES[(method, path)] = check
        return check

    return register


def _schema_routes() -> list[tuple[str, str]]:
    app = create_app(Settings(_env_file=None, database_url="sqlite://"))  # type: ignore[call-arg]
    paths: dict[str, dict[str, Any]] = app.openapi()["paths"]
    return sorted((method.upper(), path) for path, ops in paths.items() for method in ops)


ROUTES = _schema_routes()


@dataclass
class World:
    """Workspace B with an appointment, messages, settings and a key; workspace A with an
    admin key. Every check acts as A."""

    client: httpx.AsyncClient
    sessions: sessionmaker[Session]
    a: Workspace
    b: Workspace
    a_key: str
    b_key: str
    booking: dict[str, Any]  # the body B booked with
    b_appointment: dict[str, Any]
    b_inbox_message: CommunicationRecord
    b_email: CommunicationRecord
    b_sms: CommunicationRecord

    async def as_a(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return await self.client.request(method, path, headers=bearer(self.a_key), **kwargs)

    async def as_b(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return await self.client.request(method, path, headers=bearer(self.b_key), **kwargs)

    @property
    def b_contact(self) -> str:
        return str(self.booking["contact"]["id"])

    def b_messages(self) -> list[CommunicationRecord]:
        store = CommunicationStore(self.sessions, self.b.id)
        return store.for_appointment(self.b_appointment["id"])


@pytest.fixture
async def world(api_client: httpx.AsyncClient, sessions: sessionmaker[Session]) -> World:
    a, b = add_workspace(sessions, "alpha"), add_workspace(sessions, "bravo")
    a_key, b_key = issue_key(sessions, a.id, Scope.ADMIN), issue_key(sessions, b.id, Scope.ADMIN)
    booking = appointment_body()
    created = await api_client.post("/v1/appointments", json=booking, headers=bearer(b_key))
    assert created.status_code == 201, created.text
    settings = await api_client.put(
        "/v1/workspace/settings", json={"brand_name": "Bravo"}, headers=bearer(b_key)
    )
    assert settings.status_code == 200, settings.text
    messages = CommunicationStore(sessions, b.id)

    def sent(channel: Channel, provider: str, provider_id: str) -> CommunicationRecord:
        message = replace(
            draft(
                f"{created.json()['id']}:step:{channel.value}",
                appointment_id=created.json()["id"],
                contact_id=booking["contact"]["id"],
            ),
            channel=channel,
        )
        claimed = messages.claim(message, LEASE)
        status = CommunicationStatus.DELIVERED if provider == "in_app" else CommunicationStatus.SENT
        return messages.complete(claimed.record.id, ProviderReceipt(provider, provider_id, status))

    return World(
        client=api_client,
        sessions=sessions,
        a=a,
        b=b,
        a_key=a_key,
        b_key=b_key,
        booking=booking,
        b_appointment=created.json(),
        b_inbox_message=sent(Channel.IN_APP, "in_app", "inapp-b"),
        b_email=sent(Channel.EMAIL, "sendgrid", "sg-b"),
        b_sms=sent(Channel.SMS, "twilio", "SMbravo"),
    )


def test_every_case_is_a_route_of_the_schema() -> None:
    assert sorted(set(CASES) - set(ROUTES)) == []


@pytest.mark.parametrize(("method", "path"), ROUTES, ids=[f"{m} {p}" for m, p in ROUTES])
async def test_a_key_of_one_workspace_never_reaches_another(
    world: World, method: str, path: str
) -> None:
    check = CASES.get((method, path))
    assert check is not None, f"no isolation case for {method} {path}: add one to CASES"
    await check(world)


# --------------------------------------------------------------------------- appointments


@case("POST", "/v1/appointments")
async def _create(world: World) -> None:
    # B's external_id and contact id are A's to use too: a new booking, not B's replay.
    body = with_contact(world.booking, name="Someone Else")
    response = await world.as_a("POST", "/v1/appointments", json=body)

    assert response.status_code == 201, response.text
    assert response.json()["id"] != world.b_appointment["id"]
    assert response.json()["workflow_id"].startswith(f"{world.a.id}/")
    b_record = AppointmentStore(world.sessions, world.b.id).get(world.b_appointment["id"])
    assert b_record is not None and b_record.details.contact.name == "Ada Lovelace"


@case("GET", "/v1/appointments/{appointment_id}")
async def _get(world: World) -> None:
    response = await world.as_a("GET", f"/v1/appointments/{world.b_appointment['id']}")

    assert response.status_code == 404
    assert world.booking["external_id"] not in response.text


@case("GET", "/v1/appointments/{appointment_id}/communications")
async def _communications(world: World) -> None:
    path = f"/v1/appointments/{world.b_appointment['id']}/communications"
    response = await world.as_a("GET", path)

    assert response.status_code == 404
    assert world.b_email.subject not in response.text


@case("POST", "/v1/appointments/{appointment_id}/events")
async def _event(world: World) -> None:
    path = f"/v1/appointments/{world.b_appointment['id']}/events"
    response = await world.as_a("POST", path, json={"type": "cancelled", "event_id": "a-1"})

    assert response.status_code == 404
    # Nothing reached B's workflow or its events: B's own event is accepted as new.
    mine = await world.as_b("POST", path, json={"type": "replied", "event_id": "a-1"})
    assert mine.status_code == 202, mine.text
    assert (mine.json()["type"], mine.json()["duplicate"]) == ("replied", False)


@case("GET", "/v1/communications")
async def _all_communications(world: World) -> None:
    everything = await world.as_a("GET", "/v1/communications")
    sent = await world.as_a("GET", "/v1/communications?status=sent&channel=email")
    b_listing = await world.as_b("GET", "/v1/communications")

    assert everything.status_code == 200, everything.text
    assert everything.json() == {"items": [], "next_cursor": None}
    assert sent.json()["items"] == []
    b_ids = {world.b_email.id, world.b_sms.id, world.b_inbox_message.id}
    assert {m["id"] for m in b_listing.json()["items"]} == b_ids
    # B's page cursor does not open B's rows to A either.
    page = await world.as_b("GET", "/v1/communications?limit=1")
    cursor = page.json()["next_cursor"]
    after = await world.as_a("GET", f"/v1/communications?cursor={cursor}")
    assert after.json()["items"] == []


# --------------------------------------------------------------------------- inbox


@case("GET", "/v1/contacts/{contact_id}/inbox")
async def _inbox(world: World) -> None:
    unknown_to_a = await world.as_a("GET", f"/v1/contacts/{world.b_contact}/inbox")
    # Once A books the same contact id, A's inbox of it holds A's messages only.
    await world.as_a("POST", "/v1/appointments", json=world.booking)
    a_contact = await world.as_a("GET", f"/v1/contacts/{world.b_contact}/inbox")

    assert unknown_to_a.status_code == 404
    assert a_contact.status_code == 200 and a_contact.json() == []


@case("POST", "/v1/contacts/{contact_id}/inbox/{communication_id}/read")
async def _mark_read(world: World) -> None:
    path = f"/v1/contacts/{world.b_contact}/inbox/{world.b_inbox_message.id}/read"
    await world.as_a("POST", "/v1/appointments", json=world.booking)  # A knows the contact

    response = await world.as_a("POST", path)

    assert response.status_code == 404
    [message] = [m for m in world.b_messages() if m.id == world.b_inbox_message.id]
    assert message.read_at is None


# --------------------------------------------------------------------------- reports


@case("GET", "/v1/reports/follow-ups")
async def _report(world: World) -> None:
    response = await world.as_a("GET", "/v1/reports/follow-ups")
    b_report = await world.as_b("GET", "/v1/reports/follow-ups")

    assert response.status_code == 200
    assert response.json()["totals"]["appointments"] == 0
    assert response.json()["deliveries"] == []
    assert b_report.json()["totals"]["appointments"] == 1


# --------------------------------------------------------------------------- workspace


@case("GET", "/v1/workspace")
async def _who_am_i(world: World) -> None:
    response = await world.as_a("GET", "/v1/workspace")

    assert response.json()["workspace"]["id"] == world.a.id


@case("GET", "/v1/workspace/settings")
async def _get_settings(world: World) -> None:
    response = await world.as_a("GET", "/v1/workspace/settings")

    assert response.json()["workspace"]["id"] == world.a.id
    assert response.json()["brand_name"] is None  # B's brand is B's


@case("PUT", "/v1/workspace/settings")
async def _put_settings(world: World) -> None:
    response = await world.as_a("PUT", "/v1/workspace/settings", json={"brand_name": "Alpha"})
    b_settings = await world.as_b("GET", "/v1/workspace/settings")

    assert response.json()["brand_name"] == "Alpha"
    assert b_settings.json()["brand_name"] == "Bravo"


@case("GET", "/v1/keys")
async def _list_keys(world: World) -> None:
    response = await world.as_a("GET", "/v1/keys")

    assert [k["id"] for k in response.json()] == [key_id_of(world.a_key)]


@case("POST", "/v1/keys")
async def _create_key(world: World) -> None:
    response = await world.as_a("POST", "/v1/keys", json={"name": "x", "scopes": ["admin"]})
    b_keys = await world.as_b("GET", "/v1/keys")
    new_key = response.json()["key"]

    assert response.status_code == 201
    assert [k["id"] for k in b_keys.json()] == [key_id_of(world.b_key)]
    me = await world.client.get("/v1/workspace", headers=bearer(new_key))
    assert me.json()["workspace"]["id"] == world.a.id


@case("DELETE", "/v1/keys/{key_id}")
async def _revoke_key(world: World) -> None:
    response = await world.as_a("DELETE", f"/v1/keys/{key_id_of(world.b_key)}")

    assert response.status_code == 404
    assert (await world.as_b("GET", "/v1/workspace")).status_code == 200


@case("GET", "/v1/audit")
async def _audit(world: World) -> None:
    response = await world.as_a("GET", "/v1/audit")
    b_entries = AuditStore(world.sessions, world.b.id)

    assert response.status_code == 200
    assert response.json()["items"] == []
    assert world.b_appointment["id"] not in response.text
    assert b_entries.page(AuditFilter(), None, 10)  # B's writes were recorded, as B's


# --------------------------------------------------------------------------- webhooks


def _sendgrid_event(message: CommunicationRecord, workspace_id: str) -> dict[str, Any]:
    return {
        "event": "delivered",
        "timestamp": int(datetime.now(UTC).timestamp()),
        "sg_message_id": f"{message.provider_message_id}.filter0001",
        "idempotency_key": message.idempotency_key,
        "workspace_id": workspace_id,
    }


@case("POST", "/v1/webhooks/sendgrid")
async def _sendgrid(world: World) -> None:
    path = "/v1/webhooks/sendgrid"
    # Claiming to be A's event, or arriving on A's own account's URL: B's row is untouched.
    claims_a = await world.client.post(path, json=[_sendgrid_event(world.b_email, world.a.id)])
    on_a_url = await world.client.post(
        f"{path}?workspace={world.a.id}", json=[_sendgrid_event(world.b_email, world.b.id)]
    )

    assert claims_a.json() == {"received": 1, "applied": 0}
    assert on_a_url.json() == {"received": 1, "applied": 0}
    assert [m.provider_status for m in world.b_messages() if m.id == world.b_email.id] == [None]
    # B's own event, from the deployment's account, reaches B's message.
    for_b = await world.client.post(path, json=[_sendgrid_event(world.b_email, world.b.id)])
    assert for_b.json() == {"received": 1, "applied": 1}


@case("POST", "/v1/webhooks/twilio")
async def _twilio(world: World) -> None:
    form = {"MessageSid": str(world.b_sms.provider_message_id), "MessageStatus": "delivered"}

    on_a_url = await world.client.post(f"/v1/webhooks/twilio?workspace={world.a.id}", data=form)
    default = await world.client.post("/v1/webhooks/twilio", data=form)

    assert on_a_url.json() == {"received": 1, "applied": 0}
    assert default.json() == {"received": 1, "applied": 0}
    assert [m.provider_status for m in world.b_messages() if m.id == world.b_sms.id] == [None]
    # Naming B's message by its idempotency key (as our callback URLs do) on A's URL.
    keyed = (
        f"/v1/webhooks/twilio?workspace={world.a.id}&idempotency_key={world.b_sms.idempotency_key}"
    )
    assert (await world.client.post(keyed, data=form)).json() == {"received": 1, "applied": 0}
    assert [m.provider_status for m in world.b_messages() if m.id == world.b_sms.id] == [None]
    on_b_url = await world.client.post(f"/v1/webhooks/twilio?workspace={world.b.id}", data=form)
    assert on_b_url.json() == {"received": 1, "applied": 1}


# --------------------------------------------------------------------------- health


@case("GET", "/healthz")
async def _health(world: World) -> None:
    response = await world.client.get("/healthz")

    # Open to probes, and it says nothing about any workspace.
    assert set(response.json()) == {"status", "database", "temporal", "worker"}
