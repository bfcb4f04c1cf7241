"""Every message Rebook sends, as data: (template, variant, segment) -> copy per channel.

Variant "a" is the control and exists for every template; "b" is the treatment and only
exists where an experiment runs (the no-show and follow-up templates). Segments are
described in context.py. Lookup falls back in lookup() so a missing combination still
renders the closest sensible copy.

Tone, per the product guidance: never accusatory after a miss, the reschedule link is
always the primary call to action, and a repeat no-show is asked to confirm commitment or
offered a less time-sensitive way to engage.
"""

from __future__ import annotations

from typing import Final

from rebook.core.messages.context import DEFAULT_SEGMENT, FALLBACK_SEGMENT, REPEAT_SEGMENT
from rebook.core.messages.copy_model import EmailCopy, InAppCopy, ShortCopy, TemplateCopy
from rebook.core.rules import CONTROL_VARIANT, TREATMENT_VARIANT
from rebook.core.steps import Template

CatalogKey = tuple[Template, str, str]

_HOST_GREETING: Final = "Hi {host_first_name},"
_HOST_SIGN_OFF: Final = "{brand} scheduling"

CATALOG: Final[dict[CatalogKey, TemplateCopy]] = {
    # ------------------------------------------------------------------ before the meeting
    (Template.BOOKING_CONFIRMATION, CONTROL_VARIANT, DEFAULT_SEGMENT): TemplateCopy(
        email=EmailCopy(
            subject="Confirmed: your {kind_noun} with {host_name} on {when}",
            paragraphs=(
                "Your {kind_noun} about {topic} is booked.",
                "When: {when}\nLength: {duration}\nWith: {host_name}",
                "{value_line} If anything changes, you can move it yourself in a few clicks.",
            ),
            cta_label="Need a different time? Reschedule",
            cta_url="{reschedule_url}",
        ),
        short=ShortCopy(
            headline="Confirmed, {first_name_short}: {kind_noun} with {host_name}, {when}.",
            link="Change time: {reschedule_url}",
        ),
        in_app=InAppCopy(
            title="Your {kind_noun} is booked",
            body="{topic_short} with {host_name}, {when}.",
        ),
    ),
    (Template.RESCHEDULE_CONFIRMATION, CONTROL_VARIANT, DEFAULT_SEGMENT): TemplateCopy(
        email=EmailCopy(
            subject="New time confirmed: {when}",
            paragraphs=(
                "Thanks for finding a new time. Your {kind_noun} about {topic} is now on:",
                "When: {when}\nLength: {duration}\nWith: {host_name}",
                "To make the most of it, here is something to look at beforehand: {content_url}",
                "{host_first_name} is looking forward to it.",
            ),
            cta_label="Need another time? Reschedule",
            cta_url="{reschedule_url}",
        ),
        short=ShortCopy(
            headline="New time confirmed, {first_name_short}: {when}.",
            link="Before we meet: {content_url}",
            detail="Change time: {reschedule_url}",
        ),
        in_app=InAppCopy(
            title="New time confirmed",
            body="{topic_short} with {host_name}, {when}. A short read to prepare is ready.",
        ),
    ),
    (Template.RESCHEDULE_CONFIRMATION, CONTROL_VARIANT, FALLBACK_SEGMENT): TemplateCopy(
        email=EmailCopy(
            subject="New time confirmed: {when}",
            paragraphs=(
                "Thanks for finding a new time. Your {kind_noun} about {topic} is now on:",
                "When: {when}\nLength: {duration}\nWith: {host_name}",
                "{host_first_name} is looking forward to it. Jot down the one question about "
                "{topic} you most want answered, and we'll start there.",
            ),
            cta_label="Need another time? Reschedule",
            cta_url="{reschedule_url}",
        ),
        short=ShortCopy(
            headline="New time confirmed, {first_name_short}: {when}.",
            link="Change time: {reschedule_url}",
        ),
        in_app=InAppCopy(
            title="New time confirmed",
            body="{topic_short} with {host_name}, {when}.",
        ),
    ),
    (Template.REMINDER_24H, CONTROL_VARIANT, DEFAULT_SEGMENT): TemplateCopy(
        email=EmailCopy(
            subject="Tomorrow: your {kind_noun} with {host_name}",
            paragraphs=(
                "A quick reminder that your {kind_noun} about {topic} is tomorrow.",
                "When: {when}\nLength: {duration}\nWith: {host_name}",
                "{value_line}",
                "Can't make it any more? No problem, pick another time so the slot "
                "goes to good use.",
            ),
            cta_label="Reschedule",
            cta_url="{reschedule_url}",
        ),
        short=ShortCopy(
            headline="Reminder: {kind_noun} with {host_name} tomorrow, {when}.",
            link="Can't make it? {reschedule_url}",
        ),
        in_app=InAppCopy(
            title="Tomorrow: {kind_noun} with {host_name}",
            body="{topic_short}, {when}.",
        ),
    ),
    (Template.REMINDER_1H, CONTROL_VARIANT, DEFAULT_SEGMENT): TemplateCopy(
        email=EmailCopy(
            subject="Starting in 1 hour: {kind_noun} with {host_name}",
            paragraphs=(
                "Your {kind_noun} about {topic} starts in about an hour, at {when}.",
                "If something has come up, move it now and {host_first_name} will see "
                "the change straight away.",
            ),
            cta_label="Reschedule",
            cta_url="{reschedule_url}",
        ),
        short=ShortCopy(
            headline="Starts in 1 hour: {kind_noun} with {host_name}, {when}.",
            link="Running late or can't make it? {reschedule_url}",
        ),
        in_app=InAppCopy(
            title="Starting in 1 hour",
            body="{kind_noun} with {host_name} at {when}.",
        ),
    ),
    # ------------------------------------------------------------------ after a miss
    (Template.NO_SHOW_FOLLOWUP, CONTROL_VARIANT, DEFAULT_SEGMENT): TemplateCopy(
        email=EmailCopy(
            subject="We missed you, {first_name}",
            paragraphs=(
                "We missed you at the {kind_noun} about {topic} {missed_when}. Life "
                "happens, and there's no harm done.",
                "{value_line}",
                "If you'd still like to talk, pick a time that suits you better. It only "
                "takes a moment.",
            ),
            cta_label="Pick a new time",
            cta_url="{reschedule_url}",
        ),
        short=ShortCopy(
            headline="We missed you, {first_name_short}! Something came up? Pick a new time:",
            link="{reschedule_url}",
            detail="{short_value_line}",
        ),
        in_app=InAppCopy(
            title="We missed you, {first_name_short}",
            body="Did something come up? {short_value_line} Pick a new time that suits you.",
        ),
    ),
    (Template.NO_SHOW_FOLLOWUP, CONTROL_VARIANT, REPEAT_SEGMENT): TemplateCopy(
        email=EmailCopy(
            subject="{first_name}, is now still a good time for {topic}?",
            paragraphs=(
                "We missed you again at the {kind_noun} about {topic} {missed_when}, and "
                "we understand that schedules get busy.",
                "{value_line} {host_first_name} reserves this time just for you, so we'd "
                "like to check: are you still keen to meet?",
                "If yes, please confirm by choosing a time you're confident you can keep. "
                "If a live meeting is hard to fit in right now, just reply to this email "
                "and we'll continue by email instead, at your own pace.",
            ),
            cta_label="Confirm a time you can make",
            cta_url="{reschedule_url}",
        ),
        short=ShortCopy(
            headline="We missed you again, {first_name_short}. Still keen? Please confirm "
            "a time you can make:",
            link="{reschedule_url}",
            detail="{short_value_line} Prefer email for now? Just reply EMAIL.",
        ),
        in_app=InAppCopy(
            title="Still keen to meet?",
            body="{short_value_line} Confirm a time you can make, or continue by email.",
        ),
    ),
    (Template.NO_SHOW_FOLLOWUP, TREATMENT_VARIANT, DEFAULT_SEGMENT): TemplateCopy(
        email=EmailCopy(
            subject="Pick a new time in 10 seconds",
            paragraphs=(
                "The {kind_noun} about {topic} {missed_when} didn't happen. No worries, "
                "life happens, and {host_first_name} has opened up new times for you.",
                "{value_line}",
                "One click, choose a slot, done.",
            ),
            cta_label="Rebook in 10 seconds",
            cta_url="{reschedule_url}",
        ),
        short=ShortCopy(
            headline="No worries, {first_name_short}, life happens! Rebook your {kind_noun} "
            "in 10 seconds:",
            link="{reschedule_url}",
            detail="{short_value_line} {host_first_name} has new times open.",
        ),
        in_app=InAppCopy(
            title="Rebook in 10 seconds",
            body="Life happens! {short_value_line} New times are open: tap to pick one.",
        ),
    ),
    (Template.NO_SHOW_FOLLOWUP, TREATMENT_VARIANT, REPEAT_SEGMENT): TemplateCopy(
        email=EmailCopy(
            subject="Confirm your commitment: pick a time you can keep",
            paragraphs=(
                "The {kind_noun} about {topic} {missed_when} didn't happen again.",
                "{value_line} To keep the slot for you, please confirm you're still in by "
                "choosing a time you can make.",
                "Not the right moment for a live call? Reply to this email and we'll "
                "continue by email instead.",
            ),
            cta_label="Confirm a time you can keep",
            cta_url="{reschedule_url}",
        ),
        short=ShortCopy(
            headline="Still in? Confirm a time you can keep:",
            link="{reschedule_url}",
            detail="{short_value_line} Or reply EMAIL to continue by email.",
        ),
        in_app=InAppCopy(
            title="Confirm a time you can keep",
            body="{short_value_line} Still keen? Confirm a time, or continue by email.",
        ),
    ),
    (Template.NO_SHOW_NUDGE, CONTROL_VARIANT, DEFAULT_SEGMENT): TemplateCopy(
        email=EmailCopy(
            subject="Still want to talk about {topic}?",
            paragraphs=(
                "Just checking in after the {kind_noun} you missed {missed_when}, no "
                "pressure at all.",
                "{value_line}",
                "New times are open whenever suits you.",
            ),
            cta_label="Pick a new time",
            cta_url="{reschedule_url}",
        ),
        short=ShortCopy(
            headline="Hi {first_name_short}, still keen on {topic_short}? Pick any time:",
            link="{reschedule_url}",
        ),
        in_app=InAppCopy(
            title="Still keen on {topic_short}?",
            body="New times are open. Pick one that suits you.",
        ),
    ),
    (Template.NO_SHOW_NUDGE, CONTROL_VARIANT, REPEAT_SEGMENT): TemplateCopy(
        email=EmailCopy(
            subject="Is {topic} still a priority for you?",
            paragraphs=(
                "We haven't managed to meet yet, and that's okay. We'd just like to know "
                "whether {topic} is still a priority.",
                "If it is, please confirm a time you're confident you can keep. If live "
                "calls are hard to fit in, reply and we'll send what you need by email.",
            ),
            cta_label="Confirm a time",
            cta_url="{reschedule_url}",
        ),
        short=ShortCopy(
            headline="{first_name_short}, still a priority? Confirm a time you can keep:",
            link="{reschedule_url}",
            detail="Or reply EMAIL and we'll continue by email.",
        ),
        in_app=InAppCopy(
            title="Still a priority?",
            body="Confirm a time for {topic_short}, or continue by email.",
        ),
    ),
    (Template.NO_SHOW_NUDGE, TREATMENT_VARIANT, DEFAULT_SEGMENT): TemplateCopy(
        email=EmailCopy(
            subject="Your {kind_noun} slot is one click away",
            paragraphs=(
                "{host_first_name} still has times open for your {kind_noun} about {topic}.",
                "Choose one now and it's in your calendar straight away.",
            ),
            cta_label="Grab a slot",
            cta_url="{reschedule_url}",
        ),
        short=ShortCopy(
            headline="Your {kind_noun} slot is one tap away:",
            link="{reschedule_url}",
        ),
        in_app=InAppCopy(
            title="One tap to rebook",
            body="Times are open for {topic_short}.",
        ),
    ),
    (Template.VALUE_CONTENT, CONTROL_VARIANT, DEFAULT_SEGMENT): TemplateCopy(
        email=EmailCopy(
            subject="The {content_noun} on {topic}, for you",
            paragraphs=(
                "Even though we couldn't meet, we didn't want you to miss out. Here is the "
                "{content_noun} on {topic}:",
                "{content_url}",
                "Have a look whenever suits you. When you're ready to talk it through, "
                "{host_first_name} is happy to find a time.",
            ),
            cta_label="Book a time to talk",
            cta_url="{reschedule_url}",
        ),
        short=ShortCopy(
            headline="The {content_noun} on {topic_short}, for you:",
            link="{content_url}",
            detail="Rebook anytime: {reschedule_url}",
        ),
        in_app=InAppCopy(
            title="Your {content_noun} on {topic_short}",
            body="Catch up on what you missed, then rebook when you're ready.",
        ),
    ),
    (Template.VALUE_CONTENT, CONTROL_VARIANT, FALLBACK_SEGMENT): TemplateCopy(
        email=EmailCopy(
            subject="Still thinking about {topic}?",
            paragraphs=(
                "Even though we couldn't meet, {host_first_name} is still happy to walk you "
                "through {topic}.",
                "{value_line}",
                "Pick a time whenever suits you.",
            ),
            cta_label="Book a time to talk",
            cta_url="{reschedule_url}",
        ),
        short=ShortCopy(
            headline="Still thinking about {topic_short}? Book a time that suits you:",
            link="{reschedule_url}",
        ),
        in_app=InAppCopy(
            title="Still thinking about {topic_short}?",
            body="Book a time with {host_name} whenever suits you.",
        ),
    ),
    (Template.VALUE_CONTENT, TREATMENT_VARIANT, DEFAULT_SEGMENT): TemplateCopy(
        email=EmailCopy(
            subject="5 minutes on {topic}: watch or read the {content_noun}",
            paragraphs=(
                "Here's the short version of what the {kind_noun} would have covered:",
                "{content_url}",
                "Got questions after that? Book a time and go straight to them.",
            ),
            cta_label="Book a time with {host_first_name}",
            cta_url="{reschedule_url}",
        ),
        short=ShortCopy(
            headline="5 minutes on {topic_short}:",
            link="{content_url}",
            detail="Questions? Book: {reschedule_url}",
        ),
        in_app=InAppCopy(
            title="5 minutes on {topic_short}",
            body="The {content_noun} is ready. Questions after? Book a time.",
        ),
    ),
    (Template.ALTERNATIVE_OFFER, CONTROL_VARIANT, DEFAULT_SEGMENT): TemplateCopy(
        email=EmailCopy(
            subject="Another way to explore {topic}",
            paragraphs=(
                "A live meeting isn't always easy to fit in, and that's fine.",
                "If you'd rather explore {topic} at your own pace, this is a lighter way "
                "to start, whether that's a group webinar, an ebook or our community:",
                "{alternative_url}",
                "And if you'd like a one-to-one after all, you can still book a time: "
                "{reschedule_url}",
            ),
            cta_label="Explore at your own pace",
            cta_url="{alternative_url}",
        ),
        short=ShortCopy(
            headline="No time for a call? Explore {topic_short} at your own pace:",
            link="{alternative_url}",
            detail="Or book a time: {reschedule_url}",
        ),
        in_app=InAppCopy(
            title="Explore {topic_short} at your own pace",
            body="No call needed. Tap to start, or book a time later.",
        ),
    ),
    (Template.ALTERNATIVE_OFFER, CONTROL_VARIANT, FALLBACK_SEGMENT): TemplateCopy(
        email=EmailCopy(
            subject="Whenever you're ready for {topic}",
            paragraphs=(
                "A live meeting isn't always easy to fit in, and that's fine.",
                "We'll leave the door open: whenever {topic} is back on your list, you "
                "can book a time in a moment, or simply reply to this email with your "
                "questions and we'll answer by email.",
            ),
            cta_label="Book when you're ready",
            cta_url="{reschedule_url}",
        ),
        short=ShortCopy(
            headline="Whenever {topic_short} is back on your list, book here:",
            link="{reschedule_url}",
        ),
        in_app=InAppCopy(
            title="Whenever you're ready",
            body="Book a time for {topic_short} when it suits you.",
        ),
    ),
    (Template.ALTERNATIVE_OFFER, TREATMENT_VARIANT, DEFAULT_SEGMENT): TemplateCopy(
        email=EmailCopy(
            subject="Skip the meeting: get started with {topic} today",
            paragraphs=(
                "You don't need a call to get going. Start here:",
                "{alternative_url}",
                "Want a one-to-one later? Booking takes seconds: {reschedule_url}",
            ),
            cta_label="Get started now",
            cta_url="{alternative_url}",
        ),
        short=ShortCopy(
            headline="Skip the meeting, start with {topic_short} now:",
            link="{alternative_url}",
            detail="1:1 later? {reschedule_url}",
        ),
        in_app=InAppCopy(
            title="Skip the meeting",
            body="Get started with {topic_short} now. Tap to begin.",
        ),
    ),
    # ------------------------------------------------------------------ cancellations
    (Template.CANCELLATION_NOTICE, CONTROL_VARIANT, DEFAULT_SEGMENT): TemplateCopy(
        email=EmailCopy(
            subject="Your {kind_noun} on {when} is cancelled",
            paragraphs=(
                "Your {kind_noun} with {host_name} about {topic}, planned for {when}, "
                "has been cancelled.",
                "If you'd still like to talk, you can book a new time whenever it suits you.",
            ),
            cta_label="Book a new time",
            cta_url="{reschedule_url}",
        ),
        short=ShortCopy(
            headline="Your {kind_noun} on {when} is cancelled. Book a new time anytime:",
            link="{reschedule_url}",
        ),
        in_app=InAppCopy(
            title="{kind_noun} cancelled",
            body="{topic_short}, {when}. Tap to book a new time.",
        ),
    ),
    (Template.HOST_RESCHEDULE_ALERT, CONTROL_VARIANT, DEFAULT_SEGMENT): TemplateCopy(
        email=EmailCopy(
            subject="{contact_name} has rescheduled {reschedule_count} times",
            greeting=_HOST_GREETING,
            sign_off=_HOST_SIGN_OFF,
            paragraphs=(
                "{contact_name} has rescheduled their {kind_noun} about {topic} "
                "{reschedule_count} times, which is over the reschedule limit.",
                "New time: {when} (contact's local time), {when_utc}.",
                "You may want to reach out personally to check the meeting is still "
                "useful for them.",
            ),
            cta_label="Open the booking",
            cta_url="{reschedule_url}",
        ),
        short=ShortCopy(
            headline="{contact_name} rescheduled {reschedule_count}x (over limit). "
            "New time: {when_utc}.",
            link="{reschedule_url}",
        ),
        in_app=InAppCopy(
            title="Reschedule limit exceeded",
            body="{contact_name} rescheduled {reschedule_count}x. New time: {when_utc}.",
        ),
    ),
}


def lookup(template: Template, variant: str, segment: str) -> TemplateCopy:
    """The copy for this combination, falling back variant first, then segment.

    The segment wins over the variant: a repeat no-show in the treatment arm without its
    own treatment copy gets the control's firm copy, not the treatment's gentle one.
    """
    candidates: tuple[CatalogKey, ...] = (
        (template, variant, segment),
        (template, CONTROL_VARIANT, segment),
        (template, variant, DEFAULT_SEGMENT),
        (template, CONTROL_VARIANT, DEFAULT_SEGMENT),
    )
    for key in candidates:
        copy = CATALOG.get(key)
        if copy is not None:
            return copy
    raise KeyError(f"no copy for template {template!s}")
