"""Timeouts and retry policies of every activity the workflow runs.

Pure module. Permanent provider errors are listed as non-retryable here as well as being
raised non-retryable, so a misclassified error still cannot cause a resend loop.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio.common import RetryPolicy

from activities.messaging import CHANNEL_UNAVAILABLE, PERMANENT_FAILURE, RENDER_FAILED

PERMANENT_DELIVERY_ERRORS = [PERMANENT_FAILURE, CHANNEL_UNAVAILABLE, RENDER_FAILED]

# Providers' 429/5xx: back off from 2 s up to 5 min. After the last attempt the workflow
# falls back to the next channel instead of waiting forever on a broken one.
DELIVERY_TIMEOUT = timedelta(seconds=30)
DELIVERY_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=2),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=5),
    maximum_attempts=10,
    non_retryable_error_types=PERMANENT_DELIVERY_ERRORS,
)

# Our own database writes (no-show tally, status mirror) run as local activities: short,
# in the worker's process, without a server round trip and a task-queue hop each, which
# keeps the missed-to-first-follow-up path fast. Retried patiently: they only fail while
# the DB is down.
RECORD_TIMEOUT = timedelta(seconds=15)
RECORD_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=1),
    maximum_attempts=30,
)

# Resolving the playbook (once per run, and at a reschedule) and the send-time check of
# stop conditions and the frequency cap read files or the database in the worker's
# process: local activities too. Resolution retries without limit: without a playbook
# the appointment cannot go on, and a broken playbook directory heals once fixed.
PLAYBOOK_TIMEOUT = timedelta(seconds=30)
PLAYBOOK_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=1),
    maximum_attempts=0,  # unlimited
)
SEND_CHECK_TIMEOUT = RECORD_TIMEOUT
SEND_CHECK_RETRY = RECORD_RETRY
