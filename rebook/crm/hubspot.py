"""The CRM port on HubSpot, through the official `hubspot-api-client` SDK (CRM v3).

- Contacts: with an email, one batch upsert keyed by email (POST
  /crm/v3/objects/contacts/batch/upsert, idProperty=email), which merges with a contact the
  business already has and is idempotent by itself. Without an email (SMS-only contacts):
  a search by Rebook's contact id or the E.164 phone, then an update or a create.
  Rebook's contact id is kept in the custom property `rebook_contact_id`.
- Timeline: one note per entry (POST /crm/v3/objects/notes, associated with the contact
  in the same request through the HubSpot-defined note-to-contact association, type 202).
  The note body ends with a reference token derived from the entry's stable id
  ("Rebook ref: rbk<hex>"); before creating, the adapter searches notes for that token
  and returns the existing note's id instead of adding a second one. HubSpot's search
  index lags writes by a few seconds, so a retry sooner than that after a lost response
  could still duplicate: the logging activity's retry policy should wait at least 30 s
  before its first retry.
- Score: the custom contact properties `rebook_lead_score` (number) and
  `rebook_lead_band` (text), set with a contact update.
`ensure_properties()` creates the three custom properties (once per portal; repeats are
harmless).

Errors: 429 and 5xx, timeouts and network failures raise TransientCrmError (a 429's
Retry-After is carried); 400, 401, 403, 404, 409 and the other 4xx raise PermanentCrmError.
The SDK's own retries are off: the caller (a Temporal activity) owns retrying. The access
token is never logged nor put in an error.
"""

from __future__ import annotations

import hashlib
import html
import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeVar

import urllib3
from hubspot import HubSpot
from hubspot.crm import contacts as hs_contacts
from hubspot.crm import properties as hs_properties
from hubspot.crm.objects import notes as hs_notes
from urllib3.util.retry import Retry

from rebook.core.contracts import ContactDetails
from rebook.crm.port import (
    CrmError,
    PermanentCrmError,
    TimelineEntry,
    TimelineKind,
    TransientCrmError,
)
from rebook.outbound.retry import parse_retry_after

logger = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.hubapi.com"
DEFAULT_TIMEOUT_S = 10.0

CONTACT_ID_PROPERTY = "rebook_contact_id"
SCORE_PROPERTY = "rebook_lead_score"
BAND_PROPERTY = "rebook_lead_band"
# HubSpot-defined association type "note to contact".
NOTE_TO_CONTACT = 202
_REF_PREFIX = "rbk"

_API_ERRORS: tuple[type[Exception], ...] = (
    hs_contacts.ApiException,
    hs_notes.ApiException,
    hs_properties.ApiException,
)
_TRANSIENT_STATUSES = frozenset({408, 429})

_ENTRY_TITLES = {
    TimelineKind.MESSAGE_SENT: "sent",
    TimelineKind.MESSAGE_OPENED: "opened",
    TimelineKind.MESSAGE_CLICKED: "clicked",
}
_CHANNEL_NAMES = {"email": "Email", "sms": "SMS", "whatsapp": "WhatsApp", "in_app": "In-app"}

T = TypeVar("T")


class HubSpotCrm:
    """CrmPort on HubSpot. One instance per workspace connection (its access token).

    Args:
        access_token: a private app's or OAuth access token with the contacts and notes
            scopes (crm.objects.contacts.read/write; crm.schemas.contacts.write for
            ensure_properties).
        base_url: HubSpot's API origin; tests point it at a local fake.
        timeout_s: per-request timeout.
    """

    def __init__(
        self,
        access_token: str,
        *,
        base_url: str = DEFAULT_BASE_URL,
        timeout_s: float = DEFAULT_TIMEOUT_S,
    ) -> None:
        client = HubSpot(
            access_token=access_token,
            host=base_url.rstrip("/"),
            retry=Retry(total=0, redirect=False),
        )
        self._contacts = client.crm.contacts
        self._notes = client.crm.objects.notes
        self._properties = client.crm.properties
        self._timeout = timeout_s

    # ------------------------------------------------------------------ the port

    def upsert_contact(self, contact: ContactDetails) -> str:
        properties = _contact_properties(contact)
        if contact.email:
            return self._upsert_by_email(contact.email, properties)
        existing = self._find_contact(contact)
        if existing is not None:
            self._call(
                "update contact",
                lambda: self._contacts.basic_api.update(
                    existing,
                    hs_contacts.SimplePublicObjectInput(properties=properties),
                    _request_timeout=self._timeout,
                ),
            )
            return existing
        created = self._call(
            "create contact",
            lambda: self._contacts.basic_api.create(
                hs_contacts.SimplePublicObjectInputForCreate(
                    properties=properties, associations=[]
                ),
                _request_timeout=self._timeout,
            ),
        )
        return str(created.id)

    def log_activity(self, crm_contact_id: str, entry: TimelineEntry) -> str:
        reference = timeline_reference(entry.entry_id)
        existing = self._find_note(reference)
        if existing is not None:
            logger.info("HubSpot note for %s exists already (%s)", entry.entry_id, existing)
            return existing
        note = hs_notes.SimplePublicObjectInputForCreate(
            properties={
                "hs_timestamp": _hubspot_time(entry.at),
                "hs_note_body": note_body(entry, reference),
            },
            associations=[
                hs_notes.PublicAssociationsForObject(
                    to=hs_notes.PublicObjectId(id=crm_contact_id),
                    types=[
                        hs_notes.AssociationSpec(
                            association_category="HUBSPOT_DEFINED",
                            association_type_id=NOTE_TO_CONTACT,
                        )
                    ],
                )
            ],
        )
        created = self._call(
            "create note",
            lambda: self._notes.basic_api.create(note, _request_timeout=self._timeout),
        )
        return str(created.id)

    def set_score(self, crm_contact_id: str, score: float, band: str) -> None:
        update = hs_contacts.SimplePublicObjectInput(
            properties={SCORE_PROPERTY: _number(score), BAND_PROPERTY: band}
        )
        self._call(
            "set score",
            lambda: self._contacts.basic_api.update(
                crm_contact_id, update, _request_timeout=self._timeout
            ),
        )

    # ------------------------------------------------------------------ setup

    def ensure_properties(self) -> None:
        """Create Rebook's custom contact properties; those that exist are left alone."""
        definitions = [
            (CONTACT_ID_PROPERTY, "Rebook contact id", "string", "text"),
            (SCORE_PROPERTY, "Rebook lead score", "number", "number"),
            (BAND_PROPERTY, "Rebook lead band", "string", "text"),
        ]
        for name, label, kind, field_type in definitions:
            definition = hs_properties.PropertyCreate(
                name=name,
                label=label,
                type=kind,
                field_type=field_type,
                group_name="contactinformation",
                description="Written by Rebook.",
            )
            try:
                self._properties.core_api.create(
                    "contacts", definition, _request_timeout=self._timeout
                )
            except hs_properties.ApiException as err:
                if err.status != 409:  # 409: the property exists already
                    raise _classify("create property", err) from err

    # ------------------------------------------------------------------ internals

    def _upsert_by_email(self, email: str, properties: dict[str, str]) -> str:
        batch = hs_contacts.BatchInputSimplePublicObjectBatchInputUpsert(
            inputs=[
                hs_contacts.SimplePublicObjectBatchInputUpsert(
                    id=email, id_property="email", properties=properties
                )
            ]
        )
        response = self._call(
            "upsert contact",
            lambda: self._contacts.batch_api.upsert(batch, _request_timeout=self._timeout),
        )
        if response.results:
            return str(response.results[0].id)
        errors = "; ".join(str(e.message) for e in (getattr(response, "errors", None) or []))
        raise PermanentCrmError(f"HubSpot refused the contact: {errors or 'no result'}")

    def _find_contact(self, contact: ContactDetails) -> str | None:
        groups = [_contact_filter(CONTACT_ID_PROPERTY, contact.id)]
        if phone := _phone(contact):
            groups.append(_contact_filter("phone", phone))
        search = hs_contacts.PublicObjectSearchRequest(
            filter_groups=groups, properties=[CONTACT_ID_PROPERTY], limit=1
        )
        found = self._call(
            "search contacts",
            lambda: self._contacts.search_api.do_search(search, _request_timeout=self._timeout),
        )
        return str(found.results[0].id) if found.results else None

    def _find_note(self, reference: str) -> str | None:
        search = hs_notes.PublicObjectSearchRequest(
            filter_groups=[
                hs_notes.FilterGroup(
                    filters=[
                        hs_notes.Filter(
                            property_name="hs_note_body",
                            operator="CONTAINS_TOKEN",
                            value=reference,
                        )
                    ]
                )
            ],
            properties=["hs_timestamp"],
            limit=1,
        )
        found = self._call(
            "search notes",
            lambda: self._notes.search_api.do_search(search, _request_timeout=self._timeout),
        )
        return str(found.results[0].id) if found.results else None

    def _call(self, action: str, request: Callable[[], T]) -> T:
        try:
            return request()
        except _API_ERRORS as err:
            raise _classify(action, err) from err
        except urllib3.exceptions.HTTPError as err:
            raise TransientCrmError(
                f"HubSpot {action}: unreachable ({type(err).__name__})"
            ) from err


def timeline_reference(entry_id: str) -> str:
    """The token identifying an entry's note: letters and digits only, so HubSpot's search
    tokenizer keeps it whole."""
    return _REF_PREFIX + hashlib.sha256(entry_id.encode("utf-8")).hexdigest()[:32]


def note_body(entry: TimelineEntry, reference: str) -> str:
    """The note's HTML: a title line, the message (or outcome) and the reference."""
    lines: list[str] = []
    if entry.kind is TimelineKind.APPOINTMENT_OUTCOME:
        lines.append(f"<strong>Rebook: appointment {_escape(entry.outcome or '')}</strong>")
    else:
        channel = _CHANNEL_NAMES.get(str(entry.channel), str(entry.channel))
        lines.append(f"<strong>Rebook: {channel} follow-up {_ENTRY_TITLES[entry.kind]}</strong>")
    if entry.subject:
        lines.append(f"Subject: {_escape(entry.subject)}")
    if entry.url:
        lines.append(f"Link: {_escape(entry.url)}")
    if entry.text:
        lines.append(_escape(entry.text).replace("\n", "<br>"))
    if entry.appointment_id:
        lines.append(f"Appointment: {_escape(entry.appointment_id)}")
    lines.append(f"Rebook ref: {reference}")
    return "".join(f"<p>{line}</p>" for line in lines)


def _contact_properties(contact: ContactDetails) -> dict[str, str]:
    first, _, last = contact.name.strip().partition(" ")
    values = {
        "email": contact.email,
        "firstname": first,
        "lastname": last.strip(),
        "phone": _phone(contact),
        CONTACT_ID_PROPERTY: contact.id,
    }
    # Blank values are left out so they never erase what the business typed in HubSpot.
    return {key: value for key, value in values.items() if value}


def _phone(contact: ContactDetails) -> str | None:
    """HubSpot's phone: the SMS number, else the WhatsApp one (both E.164)."""
    return contact.phone or contact.whatsapp


def _contact_filter(prop: str, value: str) -> hs_contacts.FilterGroup:
    return hs_contacts.FilterGroup(
        filters=[hs_contacts.Filter(property_name=prop, operator="EQ", value=value)]
    )


def _classify(action: str, err: Exception) -> CrmError:
    status = int(getattr(err, "status", 0) or 0)
    detail = _error_detail(err)
    message = f"HubSpot {action}: HTTP {status}{': ' + detail if detail else ''}"
    if status == 0 or status >= 500 or status in _TRANSIENT_STATUSES:
        headers = getattr(err, "headers", None) or {}
        retry_after = parse_retry_after(headers.get("Retry-After"), now=datetime.now(UTC))
        return TransientCrmError(message, retry_after=retry_after)
    return PermanentCrmError(message, status=status)


def _error_detail(err: Exception) -> str:
    """HubSpot's category and message from an error body (never request data)."""
    body = getattr(err, "body", None)
    if not body:
        return ""
    try:
        payload = json.loads(body)
    except (ValueError, TypeError):
        return ""
    if not isinstance(payload, dict):
        return ""
    parts = [str(payload[k]) for k in ("category", "message") if payload.get(k)]
    return " - ".join(parts)[:300]


def _hubspot_time(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _number(score: float) -> str:
    return f"{score:.2f}".rstrip("0").rstrip(".")


def _escape(text: str) -> str:
    return html.escape(text, quote=False)
