"""The playbook the fixed sequence from before playbooks ran, built from a FollowUpPolicy.

Workflows started before playbooks carry only a FollowUpPolicy in their input; planning
them with `legacy_playbook(input.policy)` gives exactly the steps, times, keys, templates
and channels they were running. The shipped default playbook document
(rebook/playbooks/defaults/default.yaml) describes the same sequence for the default
policy; a test keeps the two equal. Pure module: safe to import from workflows.
"""

from __future__ import annotations

from rebook.core.contracts import FollowUpPolicy
from rebook.core.domain import Recipient
from rebook.core.playbook import (
    BeforePhase,
    CancelledPhase,
    ChannelChoice,
    Phases,
    Playbook,
    PlaybookStep,
    Policy,
    QuietHours,
    RescheduledPhase,
    Timing,
)

LEGACY_NAME = "default"
LEGACY_VERSION = 1

_EMAIL = (ChannelChoice.EMAIL,)
_PREFERRED = (ChannelChoice.PREFERRED,)


def legacy_playbook(policy: FollowUpPolicy) -> Playbook:
    quiet = (
        None
        if policy.quiet_hours_start_h == policy.quiet_hours_end_h
        else QuietHours(policy.quiet_hours_start_h * 60, policy.quiet_hours_end_h * 60)
    )
    return Playbook(
        name=LEGACY_NAME,
        version=LEGACY_VERSION,
        phases=Phases(
            before=BeforePhase(
                confirmation=PlaybookStep("confirmation", "booking_confirmation"),
                reminders=(
                    PlaybookStep(
                        "reminder_24h", "reminder_24h", policy.reminder_email_before_s, _EMAIL
                    ),
                    PlaybookStep(
                        "reminder_1h",
                        "reminder_1h",
                        policy.reminder_sms_before_s,
                        (ChannelChoice.SMS_OR_WHATSAPP,),
                    ),
                ),
            ),
            missed=(
                PlaybookStep("no_show_followup", "no_show_followup", 0, _PREFERRED),
                PlaybookStep(
                    "no_show_nudge", "no_show_nudge", policy.nudge_after_s, (ChannelChoice.OTHER,)
                ),
                PlaybookStep(
                    "value_content", "value_content", policy.value_content_after_s, _EMAIL
                ),
                PlaybookStep(
                    "alternative_offer",
                    "alternative_offer",
                    policy.alternative_offer_after_s,
                    _EMAIL,
                ),
            ),
            rescheduled=RescheduledPhase(
                confirmation=PlaybookStep("confirmation", "reschedule_confirmation"),
                host_alert=PlaybookStep(
                    "host_reschedule_alert",
                    "host_reschedule_alert",
                    channels=_EMAIL,
                    fallback=False,
                    recipient=Recipient.HOST,
                ),
            ),
            cancelled=CancelledPhase(
                notice=PlaybookStep("cancellation_notice", "cancellation_notice")
            ),
        ),
        timing=Timing(
            outcome_deadline_after_end_s=policy.outcome_timeout_s,
            close_as_lost_after_miss_s=policy.close_as_lost_after_s,
        ),
        policy=Policy(
            quiet_hours=quiet, reschedule_limit=policy.reschedule_limit, repeat_no_show_from=2
        ),
    )
