"""Render one message of a playbook: a template, for an appointment, on a channel, in the
contact's locale.

The renderer is pure (no I/O; the clock is the request's scheduled_for) and thread-safe;
compiled templates are cached by source, so one renderer per playbook version can serve
every message of that version.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from jinja2 import TemplateError, TemplateSyntaxError
from markupsafe import Markup

from rebook.core.brand import Brand
from rebook.core.domain import Channel
from rebook.core.playbook import ContentSlot, Segment
from rebook.core.rules import Lateness, lateness, zone_or_utc
from rebook.playbooks import dates
from rebook.playbooks.content import EMPTY_LIBRARY, ContentChoice, ContentLibrary, choose_content
from rebook.playbooks.sms import SmsLength, sms_length
from rebook.playbooks.templates import (
    Case,
    EmailCopy,
    InAppCopy,
    LinkName,
    MessageTemplate,
    PlaybookTemplates,
    ShortCopy,
    TemplateSet,
    compile_template,
    upper_first,
)
from rebook.playbooks.variables import (
    RenderRequest,
    TemplateVariables,
    build_variables,
    to_context,
)


class TemplateRenderError(ValueError):
    """A template could not be rendered: `path` names the field (as in the playbook
    document, e.g. "locales.en.templates.reminder_1h.short.headline")."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message


class UnknownTemplate(TemplateRenderError):
    pass


@dataclass(frozen=True)
class MessageContent:
    """What to send. subject is "" on SMS and WhatsApp, which have no subject line; on
    in-app it is the notification title. html_body is set for email only; sms for SMS."""

    subject: str
    body: str
    html_body: str | None
    locale: str = ""
    template: str = ""  # after the experiment arm's replacement
    sms: SmsLength | None = None


@dataclass(frozen=True)
class _Prepared:
    locale: str
    template_set: TemplateSet
    name: str
    template: MessageTemplate
    variables: TemplateVariables
    context: dict[str, Any]


class PlaybookRenderer:
    def __init__(
        self,
        templates: PlaybookTemplates,
        brand: Brand,
        library: ContentLibrary = EMPTY_LIBRARY,
    ) -> None:
        self.templates = templates
        self.brand = brand
        self.library = library

    def render(self, request: RenderRequest) -> MessageContent:
        """Render request.template for request.channel.

        Raises UnknownTemplate when the playbook has no such template, and
        TemplateRenderError when a template fails (a missing part or variable): failing
        is better than sending a blank or broken message; validation catches both first.
        """
        prepared = self._prepare(request)
        part, part_path = prepared.template.part_for(request.channel, _active_cases(prepared))
        path = f"locales.{prepared.locale}.templates.{prepared.name}.{part_path}"
        if part is None:
            raise TemplateRenderError(path, f"no copy for {request.channel.value}")
        if isinstance(part, EmailCopy):
            content = self._email(part, path, prepared)
        elif isinstance(part, ShortCopy):
            content = self._short(part, path, prepared, request.channel)
        else:
            content = self._in_app(part, path, prepared)
        return dataclasses.replace(content, locale=prepared.locale, template=prepared.name)

    def variables(self, request: RenderRequest) -> TemplateVariables:
        return self._prepare(request).variables

    def whatsapp_template_variables(self, request: RenderRequest) -> dict[str, str]:
        """Variables of a pre-approved WhatsApp template (Twilio Content API), a fixed
        contract so every template can use any of them:

            {{1}} contact's first name      {{4}} appointment time, in the contact's zone
            {{2}} kind (demo, consultation) {{5}} the link the message is about
            {{3}} topic                     {{6}} host's first name
        """
        prepared = self._prepare(request)
        v = prepared.variables
        link = {
            LinkName.RESCHEDULE: v.links.reschedule,
            LinkName.CONTENT: v.links.content,
            LinkName.ALTERNATIVE: v.links.alternative,
        }[prepared.template.link]
        return {
            "1": v.contact.first_name,
            "2": v.appointment.kind_noun,
            "3": v.appointment.topic_short,
            "4": v.appointment.when,
            "5": link,
            "6": v.host.first_name,
        }

    def choose(self, request: RenderRequest, slot: ContentSlot) -> ContentChoice:
        return choose_content(
            request.content, self.library, request.appointment, slot, request.extras.interest
        )

    # ------------------------------------------------------------------ internals

    def _prepare(self, request: RenderRequest) -> _Prepared:
        locale = self.templates.locale_for(request.extras.contact_locale)
        template_set = self.templates.locales[locale]
        name = self.templates.template_name(request.template, request.variant)
        template = template_set.templates.get(name)
        if template is None:
            raise UnknownTemplate(f"locales.{locale}.templates", f'no template "{name}"')
        strings = template_set.strings
        variables = build_variables(
            request,
            locale,
            strings,
            self.brand,
            self.choose(request, ContentSlot.CONTENT),
            self.choose(request, ContentSlot.ALTERNATIVE),
        )
        context = to_context(variables)
        strings_path = f"locales.{locale}.strings"
        lateness = _lateness(request, variables, template_set, strings_path)
        context["appointment"]["lateness"] = lateness
        kind = request.appointment.kind
        value_line = render_text(
            strings.value_lines[kind], context, f"{strings_path}.value_lines.{kind.value}"
        )
        context["value_line"] = value_line
        short_value_line = render_text(
            strings.short_value_lines[kind],
            context,
            f"{strings_path}.short_value_lines.{kind.value}",
        )
        context["short_value_line"] = short_value_line
        variables = dataclasses.replace(
            variables,
            appointment=dataclasses.replace(variables.appointment, lateness=lateness),
            value_line=value_line,
            short_value_line=short_value_line,
        )
        return _Prepared(locale, template_set, name, template, variables, context)

    def _email(self, copy: EmailCopy, path: str, p: _Prepared) -> MessageContent:
        strings = p.template_set.strings
        strings_path = f"locales.{p.locale}.strings"
        greeting, greeting_path = (
            (copy.greeting, f"{path}.greeting")
            if copy.greeting is not None
            else (strings.greeting, f"{strings_path}.greeting")
        )
        sign_off, sign_off_path = (
            (copy.sign_off, f"{path}.sign_off")
            if copy.sign_off is not None
            else (strings.sign_off, f"{strings_path}.sign_off")
        )
        ctx = p.context
        paragraphs = [
            (source, f"{path}.paragraphs[{i}]") for i, source in enumerate(copy.paragraphs)
        ]
        texts = [(render_text(s, ctx, at), s, at) for s, at in paragraphs]
        # A paragraph that renders empty (an absent location, say) is left out.
        kept = [(text, source, at) for text, source, at in texts if text.strip()]
        cta_url = render_text(copy.cta.url, ctx, f"{path}.cta.url")
        text_layout = {
            **ctx,
            "greeting": render_text(greeting, ctx, greeting_path),
            "paragraphs": [text for text, _, _ in kept],
            "cta": {"label": render_text(copy.cta.label, ctx, f"{path}.cta.label"), "url": cta_url},
            "sign_off": render_text(sign_off, ctx, sign_off_path),
            "strings": {
                "unsubscribe": render_text(strings.unsubscribe, ctx, f"{strings_path}.unsubscribe")
            },
        }
        html_layout = {
            **ctx,
            "greeting": render_html(greeting, ctx, greeting_path),
            "paragraphs": [render_html(source, ctx, at) for _, source, at in kept],
            "cta": {"label": render_html(copy.cta.label, ctx, f"{path}.cta.label"), "url": cta_url},
            "sign_off": render_html(sign_off, ctx, sign_off_path),
            "strings": {
                "sent_by": render_html(strings.sent_by, ctx, f"{strings_path}.sent_by"),
                "unsubscribe": render_html(strings.unsubscribe, ctx, f"{strings_path}.unsubscribe"),
            },
        }
        layouts = self.templates.layouts
        return MessageContent(
            subject=render_text(copy.subject, ctx, f"{path}.subject"),
            body=render_text(layouts.email_text, text_layout, "layouts.email_text"),
            html_body=str(render_html(layouts.email_html, html_layout, "layouts.email_html")),
        )

    def _short(self, copy: ShortCopy, path: str, p: _Prepared, channel: Channel) -> MessageContent:
        ctx = p.context
        strings = p.template_set.strings
        layout_context = {
            **ctx,
            "headline": render_text(copy.headline, ctx, f"{path}.headline"),
            "link": render_text(copy.link, ctx, f"{path}.link"),
            "detail": render_text(copy.detail, ctx, f"{path}.detail") if copy.detail else "",
            "strings": {
                "sms_opt_out": render_text(
                    strings.sms_opt_out, ctx, f"locales.{p.locale}.strings.sms_opt_out"
                )
            },
        }
        if channel is Channel.SMS:
            body = render_text(self.templates.layouts.sms, layout_context, "layouts.sms")
            return MessageContent(subject="", body=body, html_body=None, sms=sms_length(body))
        body = render_text(self.templates.layouts.whatsapp, layout_context, "layouts.whatsapp")
        return MessageContent(subject="", body=body, html_body=None)

    def _in_app(self, copy: InAppCopy, path: str, p: _Prepared) -> MessageContent:
        ctx = p.context
        return MessageContent(
            # Titles can start with a variable such as the kind noun, which is lower-case.
            subject=upper_first(render_text(copy.title, ctx, f"{path}.title")),
            body=render_text(copy.body, ctx, f"{path}.body"),
            html_body=None,
        )


def _active_cases(p: _Prepared) -> tuple[Case, ...]:
    """The cases that hold for this message, in precedence order."""
    v = p.variables
    active: list[Case] = []
    if v.segment == Segment.REPEAT.value:
        active.append(Case.REPEAT)
    if not v.content.available:
        active.append(Case.WITHOUT_CONTENT)
    if not v.alternative.available:
        active.append(Case.WITHOUT_ALTERNATIVE)
    return tuple(active)


def _lateness(
    request: RenderRequest, variables: TemplateVariables, template_set: TemplateSet, path: str
) -> str:
    zone = zone_or_utc(request.appointment.contact.timezone)
    starts_at = dates.in_zone(request.appointment.starts_at, zone)
    when = lateness(starts_at, dates.in_zone(request.scheduled_for, zone), zone)
    phrases = template_set.strings.lateness
    locale = variables.locale
    if when is Lateness.TODAY:
        return render_text(phrases.today, {}, f"{path}.lateness.today")
    if when is Lateness.YESTERDAY:
        return render_text(phrases.yesterday, {}, f"{path}.lateness.yesterday")
    if when is Lateness.WEEKDAY:
        weekday = dates.weekday(starts_at, zone, locale)
        return render_text(phrases.weekday, {"weekday": weekday}, f"{path}.lateness.weekday")
    date = dates.day_and_month(starts_at, zone, locale)
    return render_text(phrases.date, {"date": date}, f"{path}.lateness.date")


def render_text(source: str, context: Mapping[str, Any], path: str) -> str:
    return _render(source, context, path, html=False)


def render_html(source: str, context: Mapping[str, Any], path: str) -> Markup:
    # Autoescape has escaped every variable; the copy's own text is trusted.
    return Markup(_render(source, context, path, html=True))


def _render(source: str, context: Mapping[str, Any], path: str, *, html: bool) -> str:
    try:
        template = compile_template(source, html=html)
    except TemplateSyntaxError as err:
        raise TemplateRenderError(
            path, f"syntax error on line {err.lineno}: {err.message}"
        ) from err
    try:
        return template.render(context)
    except TemplateError as err:
        raise TemplateRenderError(path, err.message or type(err).__name__) from err
    except (TypeError, ValueError, ArithmeticError, LookupError) as err:
        # Jinja lets Python errors of the template's own expressions through.
        raise TemplateRenderError(path, f"{type(err).__name__}: {err}") from err
