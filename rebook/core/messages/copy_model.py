"""The shape of one template's copy on every channel.

Each channel gets its own copy because each has its own strength: email carries detail,
SMS/WhatsApp carry one line and the link, in-app carries a title and a sentence.
All strings are str.format templates over the render context (see context.py).
"""

from __future__ import annotations

from dataclasses import dataclass

CONTACT_GREETING = "Hi {first_name},"
CONTACT_SIGN_OFF = "{host_name}\n{brand}"


@dataclass(frozen=True)
class EmailCopy:
    subject: str
    paragraphs: tuple[str, ...]
    cta_label: str
    cta_url: str  # a placeholder such as "{reschedule_url}"
    greeting: str = CONTACT_GREETING
    sign_off: str = CONTACT_SIGN_OFF


@dataclass(frozen=True)
class ShortCopy:
    """SMS and WhatsApp: the headline and the link come first, detail only if room."""

    headline: str
    link: str
    detail: str = ""


@dataclass(frozen=True)
class InAppCopy:
    title: str
    body: str


@dataclass(frozen=True)
class TemplateCopy:
    email: EmailCopy
    short: ShortCopy
    in_app: InAppCopy
