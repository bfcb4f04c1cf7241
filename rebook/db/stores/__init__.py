"""All SQL lives here: one store per aggregate, shared by the API (through rebook.services)
and the worker (through the ports in rebook.core.ports).

Every store is built from a sessionmaker. Each public method is one short transaction that
it opens and ends itself, and it returns frozen dataclasses (rebook.core), never ORM rows or
sessions. Methods are synchronous; async callers run them on a worker thread.
"""

from rebook.db.stores.appointments import AppointmentNotFound, AppointmentStore
from rebook.db.stores.communications import CommunicationNotFound, CommunicationStore
from rebook.db.stores.delivery_events import DeliveryEventStore
from rebook.db.stores.reports import ReportStore

__all__ = [
    "AppointmentNotFound",
    "AppointmentStore",
    "CommunicationNotFound",
    "CommunicationStore",
    "DeliveryEventStore",
    "ReportStore",
]
