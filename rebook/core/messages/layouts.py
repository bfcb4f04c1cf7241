"""How one template's copy is laid out on each plain-text channel.

Layouts fill the catalog copy with the render context and add the channel's framing:
greeting and sign-off for email, the sender prefix and opt-out line for SMS, a bold
brand header for WhatsApp.
"""

from __future__ import annotations

from typing import Final

from rebook.core.messages.context import RenderContext
from rebook.core.messages.copy_model import EmailCopy, InAppCopy, ShortCopy

# Carriers and consent rules expect every marketing SMS to say how to opt out.
SMS_OPT_OUT: Final = "Reply STOP to opt out"


def email_subject(copy: EmailCopy, context: RenderContext) -> str:
    return copy.subject.format_map(context)


def email_text_body(copy: EmailCopy, context: RenderContext, footer: str | None = None) -> str:
    cta = f"{copy.cta_label}: {copy.cta_url}"
    blocks = [copy.greeting, *copy.paragraphs, cta, copy.sign_off]
    text = "\n\n".join(block.format_map(context) for block in blocks) + "\n"
    # The footer is the workspace's own text (a postal address): never a format string.
    return f"{text}\n--\n{footer.strip()}\n" if footer and footer.strip() else text


def sms_body(copy: ShortCopy, context: RenderContext) -> str:
    # Sender prefix first so the brand is recognisable from the lock screen, then the link.
    parts = ["{brand}:", copy.headline, copy.link]
    if copy.detail:
        parts.append(copy.detail)
    text = " ".join(part.format_map(context) for part in parts)
    return f"{text}\n{SMS_OPT_OUT}"


def whatsapp_body(copy: ShortCopy, context: RenderContext) -> str:
    lines = ["*{brand}*", copy.headline, copy.link]
    text = "\n".join(line.format_map(context) for line in lines)
    if copy.detail:
        text += "\n\n" + copy.detail.format_map(context)
    return text


def in_app_title(copy: InAppCopy, context: RenderContext) -> str:
    title = copy.title.format_map(context)
    # Titles can start with a placeholder such as "{kind_noun}", which is lower-case.
    return title[:1].upper() + title[1:]


def in_app_body(copy: InAppCopy, context: RenderContext) -> str:
    return copy.body.format_map(context)
