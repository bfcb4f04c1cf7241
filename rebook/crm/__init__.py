"""CRM adapters behind one small port (port.py): contacts upserted, follow-ups and
outcomes logged on the contact's timeline, the lead score written to a contact property.
HubSpot is the first adapter (hubspot.py). Worker-side only: adapters do network I/O, so
workflow code must never import them.
"""

from rebook.crm.port import (
    CrmError,
    CrmPort,
    PermanentCrmError,
    TimelineEntry,
    TimelineKind,
    TransientCrmError,
)

__all__ = [
    "CrmError",
    "CrmPort",
    "PermanentCrmError",
    "TimelineEntry",
    "TimelineKind",
    "TransientCrmError",
]
