"""render_message: turn a DeliveryRequest into the text to send on its channel."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from rebook.core.contracts import DeliveryRequest
from rebook.core.domain import Channel
from rebook.core.messages import layouts
from rebook.core.messages.brand import Brand
from rebook.core.messages.catalog import lookup
from rebook.core.messages.context import RenderContext, build_context, message_segment
from rebook.core.messages.copy_model import TemplateCopy
from rebook.core.messages.html_email import render_html_email
from rebook.core.steps import Template


@dataclass(frozen=True)
class MessageContent:
    """What to send. subject is "" on SMS and WhatsApp, which have no subject line;
    on in-app it is the notification title. html_body is set for email only."""

    subject: str
    body: str
    html_body: str | None


def _email(copy: TemplateCopy, context: RenderContext, brand: Brand) -> MessageContent:
    return MessageContent(
        subject=layouts.email_subject(copy.email, context),
        body=layouts.email_text_body(copy.email, context, brand.footer),
        html_body=render_html_email(copy.email, context, brand),
    )


def _sms(copy: TemplateCopy, context: RenderContext, _brand: Brand) -> MessageContent:
    return MessageContent(subject="", body=layouts.sms_body(copy.short, context), html_body=None)


def _whatsapp(copy: TemplateCopy, context: RenderContext, _brand: Brand) -> MessageContent:
    return MessageContent(
        subject="", body=layouts.whatsapp_body(copy.short, context), html_body=None
    )


def _in_app(copy: TemplateCopy, context: RenderContext, _brand: Brand) -> MessageContent:
    return MessageContent(
        subject=layouts.in_app_title(copy.in_app, context),
        body=layouts.in_app_body(copy.in_app, context),
        html_body=None,
    )


_CHANNEL_RENDERERS: Final[
    dict[Channel, Callable[[TemplateCopy, RenderContext, Brand], MessageContent]]
] = {
    Channel.EMAIL: _email,
    Channel.SMS: _sms,
    Channel.WHATSAPP: _whatsapp,
    Channel.IN_APP: _in_app,
}


def render_message(request: DeliveryRequest, brand: Brand) -> MessageContent:
    """Render request.template for request.channel in the appointment's variant, in the
    workspace's brand.

    Raises ValueError for an unknown template or channel name: that is a programming
    error, and failing the activity is better than sending a blank message.
    """
    template = Template(request.template)
    channel = Channel(request.channel)
    copy = lookup(template, request.appointment.variant, message_segment(request))
    return _CHANNEL_RENDERERS[channel](copy, build_context(request, brand.name), brand)
