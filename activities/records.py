"""Activities that write the workflow's progress into the database.

Imported by workflow code (through imports_passed_through): module-level imports must stay
pure; the SQL ledger is built in the worker and handed in.
"""

from __future__ import annotations

from temporalio import activity
from temporalio.exceptions import ApplicationError

from rebook.core.contracts import Ack, NoShowRecord, NoShowTally, Progress
from rebook.core.ports import AppointmentLedger


class RecordActivities:
    def __init__(self, ledger: AppointmentLedger) -> None:
        self._ledger = ledger

    @activity.defn(name="record_no_show")
    def record_no_show(self, record: NoShowRecord) -> NoShowTally:
        """Idempotent on record.occurrence_key, so a retried activity counts the miss once."""
        return NoShowTally(contact_no_show_total=self._ledger.record_no_show(record))

    @activity.defn(name="record_status")
    def record_status(self, progress: Progress) -> Ack:
        """Mirror the workflow's progress into the appointments table (for listings and
        for reads once the workflow has closed)."""
        try:
            self._ledger.record_status(progress)
        except LookupError as err:
            # No row to mirror into: retrying cannot create one.
            raise ApplicationError(
                str(err), type="AppointmentNotFound", non_retryable=True
            ) from err
        return Ack()
