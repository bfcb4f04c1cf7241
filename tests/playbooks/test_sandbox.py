"""A template cannot reach Python internals or build huge values: the sandbox refuses."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from jinja2.exceptions import SecurityError

from rebook.core.domain import Channel
from rebook.playbooks.loading import canonical_document
from rebook.playbooks.rendering import TemplateRenderError, render_html, render_text
from rebook.playbooks.samples import SAMPLE_STARTS_AT, sample_appointment
from rebook.playbooks.templates import HTML_ENVIRONMENT, TEXT_ENVIRONMENT
from rebook.playbooks.validation import PlaybookInvalid, validate_playbook
from rebook.playbooks.variables import RenderRequest
from tests.playbooks.support import shipped

ESCAPES = [
    "{{ ''.__class__.__mro__ }}",
    "{{ cycler.__init__.__globals__ }}",
    "{{ joiner.__init__.__globals__['os'] }}",
    "{{ contact.__class__.__subclasses__() }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ contact.update({'name': 'x'}) }}",  # the immutable sandbox: no mutation
]


@pytest.mark.parametrize("source", ESCAPES)
@pytest.mark.parametrize("environment", [TEXT_ENVIRONMENT, HTML_ENVIRONMENT])
def test_templates_cannot_reach_python_internals(source: str, environment: Any) -> None:
    with pytest.raises(SecurityError):
        environment.from_string(source).render(contact={"name": "Ada"})


@pytest.mark.parametrize("source", ESCAPES)
def test_the_renderer_reports_the_refusal_with_its_path(source: str) -> None:
    with pytest.raises(TemplateRenderError) as caught:
        render_text(source, {"contact": {"name": "Ada"}, "cycler": None}, "somewhere.subject")
    assert caught.value.path == "somewhere.subject"
    with pytest.raises(TemplateRenderError) as caught:
        render_html(source, {"contact": {"name": "Ada"}}, "somewhere.subject")
    assert isinstance(caught.value.__cause__, SecurityError)


@pytest.mark.parametrize(
    "source",
    [
        "{{ 'x' * 100000000 }}",
        "{{ [1] * 100000000 }}",
        "{{ 9 ** 99999999 }}",
        "{% for i in range(100000) %}{% endfor %}",
        "{{ lipsum(1000000) }}",
    ],
)
def test_templates_cannot_build_huge_values(source: str) -> None:
    with pytest.raises(TemplateRenderError):
        render_text(source, {}, "x")


def test_an_escape_attempt_fails_validation() -> None:
    doc = copy.deepcopy(canonical_document(shipped("default")))
    doc["locales"]["en"]["templates"]["no_show_followup"]["email"]["subject"] = ESCAPES[1]

    with pytest.raises(PlaybookInvalid) as caught:
        validate_playbook(doc)

    [issue] = caught.value.issues
    assert issue.path == "locales.en.templates.no_show_followup.email.subject"
    assert "unsafe" in issue.message


def test_html_autoescapes_values_but_not_the_copy() -> None:
    from rebook.core.brand import Brand
    from rebook.playbooks.rendering import PlaybookRenderer

    appointment = sample_appointment()
    hostile = appointment.__class__(
        **{**appointment.__dict__, "topic": "<img src=x onerror=alert(1)>"}
    )
    renderer = PlaybookRenderer(shipped("default").templates, Brand(name="A&B <Co>"))
    message = renderer.render(
        RenderRequest("no_show_followup", Channel.EMAIL, hostile, SAMPLE_STARTS_AT)
    )
    assert message.html_body is not None
    assert "<img src=x" not in message.html_body
    assert "&lt;img src=x onerror=alert(1)&gt;" in message.html_body
    assert "A&amp;B &lt;Co&gt;" in message.html_body
    assert "<img src=x onerror=alert(1)>" in message.body  # plain text is not HTML
