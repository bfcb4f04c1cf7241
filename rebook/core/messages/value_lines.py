"""What each kind of appointment was worth to the contact, and what we can offer instead.

Kept apart from the template copy because the same kind-specific wording is reused by
several templates (the no-show follow-up, the nudge, the value-content email).
"""

from __future__ import annotations

from typing import Final

from rebook.core.domain import AppointmentKind

# Reminds the contact what they would gain; placeholders come from the render context.
VALUE_LINES: Final[dict[AppointmentKind, str]] = {
    AppointmentKind.DEMO: (
        "We were looking forward to showing you how {brand} can help with {topic}."
    ),
    AppointmentKind.CONSULTATION: (
        "{host_first_name} had set time aside to talk through {topic} with you and map out "
        "practical next steps."
    ),
    AppointmentKind.WEBINAR: (
        "The session on {topic} was full of practical takeaways we'd love you to hear."
    ),
    AppointmentKind.OTHER: "We were looking forward to our conversation about {topic}.",
}

# The same promise in SMS/WhatsApp/in-app length: every first follow-up carries one.
SHORT_VALUE_LINES: Final[dict[AppointmentKind, str]] = {
    AppointmentKind.DEMO: "We'd love to show you how {brand} helps with {topic_short}.",
    AppointmentKind.CONSULTATION: (
        "{host_first_name} set time aside to plan next steps on {topic_short}."
    ),
    AppointmentKind.WEBINAR: "The {topic_short} session is packed with practical takeaways.",
    AppointmentKind.OTHER: "We'd love to pick up our chat about {topic_short}.",
}

# What the follow-up content is, per the guidance: a recording for demos and webinars,
# a guide for consultations, a case study for everything else.
CONTENT_NOUNS: Final[dict[AppointmentKind, str]] = {
    AppointmentKind.DEMO: "recording",
    AppointmentKind.CONSULTATION: "guide",
    AppointmentKind.WEBINAR: "recording",
    AppointmentKind.OTHER: "case study",
}

KIND_NOUNS: Final[dict[AppointmentKind, str]] = {
    AppointmentKind.DEMO: "demo",
    AppointmentKind.CONSULTATION: "consultation",
    AppointmentKind.WEBINAR: "webinar",
    AppointmentKind.OTHER: "meeting",
}
