"""Swapping renderers changes nothing for running customers: for every template x
channel x variant x segment and several appointments, the default playbook's Jinja copy
renders exactly what rebook.messages.render_message renders today.

Subject and plain-text bodies are compared byte for byte. HTML bodies are compared as
parsed documents: the same elements, attributes and text, with character references
decoded (autoescape writes ' as &#39; where html.escape wrote &#x27;) and runs of
whitespace in text collapsed. A second test shows the HTML is in fact byte-equal once
the two quote entities are spelt alike and the final newline is ignored.
"""

from __future__ import annotations

from dataclasses import replace
from html.parser import HTMLParser

import pytest

from rebook.core.domain import AppointmentKind, Channel
from rebook.core.messages import render_message, whatsapp_template_variables
from rebook.core.steps import Template
from rebook.playbooks.rendering import PlaybookRenderer
from rebook.playbooks.variables import Brand, RenderRequest
from tests.playbooks.support import shipped
from tests.support.factories import T0, appointment, contact
from tests.support.messages import BRAND, delivery

LONG_TOPIC = "Reducing onboarding drop-off across our three regional sales teams in EMEA"
APPOINTMENTS = {
    "plain": appointment(),
    "links": appointment(
        topic=LONG_TOPIC,
        reschedule_url="https://book.example-scheduling.com/reschedule/ext-1234567890abcdef",
        content_url="https://media.example-scheduling.com/recordings/demo-1234567890abcdef",
        alternative_url="https://community.example-scheduling.com/webinars/upcoming-2026",
    ),
    "consultation_berlin": appointment(
        kind=AppointmentKind.CONSULTATION,
        contact=contact(name="Ludwig van Beethoven", timezone="Europe/Berlin"),
        content_url="https://media.example.com/guide?a=1&b=2",
        duration_minutes=90,
    ),
    "webinar_new_york_summer": appointment(
        kind=AppointmentKind.WEBINAR,
        starts_at=T0.replace(month=7, hour=15),
        contact=contact(timezone="America/New_York"),
        alternative_url="https://example.com/webinars",
    ),
    "other_unknown_zone_blank_names": appointment(
        kind=AppointmentKind.OTHER,
        topic="   ",
        contact=contact(name="  ", timezone="Mars/Olympus"),
        host=replace(appointment().host, name=""),
    ),
    "html_hostile": appointment(
        topic="<script>alert(1)</script> & \"quotes\" 'n' stuff",
        contact=contact(name='Eve "<b>" O\'Neil'),
        reschedule_url="javascript:alert(1)",
        content_url="https://example.com/?q=<x>&y='1'",
    ),
}


class _Events(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.events: list[tuple[str, ...]] = []

    def handle_decl(self, decl: str) -> None:
        self.events.append(("decl", decl))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.events.append(("start", tag, *(f"{k}={v}" for k, v in attrs)))

    def handle_endtag(self, tag: str) -> None:
        self.events.append(("end", tag))

    def handle_data(self, data: str) -> None:
        text = " ".join(data.split())
        if text:
            self.events.append(("text", text))


def parsed(html: str) -> list[tuple[str, ...]]:
    parser = _Events()
    parser.feed(html)
    parser.close()
    return parser.events


@pytest.fixture(scope="module")
def renderer() -> PlaybookRenderer:
    return PlaybookRenderer(shipped("default").templates, Brand(name=BRAND.name))


@pytest.mark.parametrize("name", list(APPOINTMENTS))
@pytest.mark.parametrize("variant", ["a", "b", "c"])
@pytest.mark.parametrize("no_show_total", [0, 1, 2, 3])
def test_jinja_copy_renders_what_the_catalog_renders(
    renderer: PlaybookRenderer, name: str, variant: str, no_show_total: int
) -> None:
    details = APPOINTMENTS[name]
    compared = 0
    for template in Template:
        for channel in Channel:
            request = delivery(
                template,
                channel,
                details,
                variant=variant,
                contact_no_show_total=no_show_total,
                reschedule_count=4,
            )
            old = render_message(request, BRAND)
            new = renderer.render(RenderRequest.from_delivery(request))
            where = (template.value, channel.value)
            assert new.subject == old.subject, where
            assert new.body == old.body, where
            if old.html_body is None:
                assert new.html_body is None, where
            else:
                assert new.html_body is not None, where
                assert parsed(new.html_body) == parsed(old.html_body), where
            compared += 1
    assert compared == len(Template) * len(Channel)


def html_escape_spelling(markup: str) -> str:
    """markupsafe's spelling of the two quote entities, as html.escape spells them."""
    return markup.replace("&#39;", "&#x27;").replace("&#34;", "&quot;")


@pytest.mark.parametrize("name", list(APPOINTMENTS))
def test_html_is_byte_equal_but_for_the_spelling_of_quote_entities(
    renderer: PlaybookRenderer, name: str
) -> None:
    for template in Template:
        request = delivery(template, Channel.EMAIL, APPOINTMENTS[name])
        old = render_message(request, BRAND)
        new = renderer.render(RenderRequest.from_delivery(request))
        assert new.html_body is not None and old.html_body is not None
        # The old layout ended with a newline; Jinja drops a template's final newline.
        assert html_escape_spelling(new.html_body) == old.html_body.rstrip("\n"), template


@pytest.mark.parametrize("name", list(APPOINTMENTS))
def test_whatsapp_template_variables_are_unchanged(renderer: PlaybookRenderer, name: str) -> None:
    for template in Template:
        request = delivery(template, Channel.WHATSAPP, APPOINTMENTS[name])
        new = renderer.whatsapp_template_variables(RenderRequest.from_delivery(request))
        assert new == whatsapp_template_variables(request, BRAND), template
