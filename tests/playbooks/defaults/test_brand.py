"""Messages in a workspace's brand, as the default playbook's layouts render them: its
name, colours, logo, footer (the postal address commercial email must carry) and sender
name, escaped where they land in markup."""

from __future__ import annotations

from rebook.core.brand import Brand
from rebook.core.domain import Channel
from rebook.core.steps import Template
from tests.support.messages import delivery, render

ACME = Brand(
    name="Acme & Sons",
    primary_color="#0a7d5a",
    accent_color="#ff8800",
    logo_url="https://acme.example/logo.png",
    footer="Acme & Sons\n1 Main St <Springfield>",
)


def test_email_html_carries_the_brand_colours_logo_and_escaped_footer() -> None:
    html = render(delivery(Template.REMINDER_24H, Channel.EMAIL), ACME).html_body

    assert html is not None
    assert "border-top:4px solid #ff8800" in html  # the accent band above the header
    assert "color:#0a7d5a" in html and "background:#0a7d5a" in html  # header and button
    assert '<img src="https://acme.example/logo.png" alt="Acme &amp; Sons"' in html
    assert "Acme &amp; Sons<br>\n1 Main St &lt;Springfield&gt;" in html


def test_email_text_ends_with_the_footer_verbatim() -> None:
    body = render(delivery(Template.REMINDER_24H, Channel.EMAIL), ACME).body

    assert body.endswith("--\nAcme & Sons\n1 Main St <Springfield>\n")


def test_without_a_footer_the_text_ends_with_the_sign_off() -> None:
    body = render(delivery(Template.REMINDER_24H, Channel.EMAIL), Brand("Acme")).body

    assert "\n--\n" not in body and body.endswith("\nAcme\n")  # host, then brand


def test_an_unsafe_logo_url_is_left_out() -> None:
    brand = Brand(name="Acme", logo_url="javascript:alert(1)")

    html = render(delivery(Template.REMINDER_24H, Channel.EMAIL), brand).html_body

    assert html is not None and "<img" not in html and "javascript" not in html


def test_short_channels_use_the_sender_name_else_the_brand_name() -> None:
    sms = render(delivery(Template.REMINDER_1H, Channel.SMS), ACME).body
    whatsapp = render(delivery(Template.REMINDER_1H, Channel.WHATSAPP), ACME).body
    signed = render(delivery(Template.REMINDER_1H, Channel.SMS), Brand("Acme", sender_name="Dr A"))

    assert sms.startswith("Acme & Sons:") and "1 Main St" not in sms
    assert whatsapp.startswith("*Acme & Sons*")
    assert signed.body.startswith("Dr A:")
