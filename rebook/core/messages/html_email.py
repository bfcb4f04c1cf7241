"""The branded HTML part of an email.

Every user-supplied value (names, topic, URLs) is HTML-escaped before it is placed in the
markup; only the catalog's own fixed text is trusted. Inline styles only, because most
email clients strip <style> blocks.
"""

from __future__ import annotations

import html
from typing import Final
from urllib.parse import urlsplit

from rebook.core.messages.brand import Brand
from rebook.core.messages.context import RenderContext
from rebook.core.messages.copy_model import EmailCopy

_SAFE_URL_SCHEMES: Final = frozenset({"http", "https"})


def escape_context(context: RenderContext) -> RenderContext:
    return {key: html.escape(value, quote=True) for key, value in context.items()}


def safe_href(url: str) -> str:
    """An escaped href, or "#" when the URL is not plain http(s).

    Stops a crafted "javascript:" link (e.g. a bad content_url from the platform) from
    becoming a clickable button in our branded email.
    """
    if urlsplit(url.strip()).scheme.lower() not in _SAFE_URL_SCHEMES:
        return "#"
    return html.escape(url.strip(), quote=True)


def render_html_email(copy: EmailCopy, context: RenderContext, style: Brand) -> str:
    escaped = escape_context(context)
    brand = escaped["brand"]
    # Colours are validated hex values (rebook.core.workspaces); escaped all the same.
    primary = html.escape(style.primary_color, quote=True)
    accent = html.escape(style.accent_color, quote=True)
    paragraphs = [copy.greeting, *copy.paragraphs]
    body = "\n".join(
        f'<p style="margin:0 0 16px 0;">{_with_breaks(text.format_map(escaped))}</p>'
        for text in paragraphs
    )
    href = safe_href(copy.cta_url.format_map(context))
    cta_label = copy.cta_label.format_map(escaped)
    sign_off = _with_breaks(copy.sign_off.format_map(escaped))
    return (
        "<!DOCTYPE html>\n"
        '<html><body style="margin:0;padding:0;background:#f4f5f7;'
        'font-family:Arial,Helvetica,sans-serif;color:#1f2933;">\n'
        '<div style="max-width:560px;margin:0 auto;padding:24px;background:#ffffff;'
        f'border-top:4px solid {accent};">\n'
        f"{_header(style, brand, primary)}"
        f"{body}\n"
        f'<p style="margin:24px 0;"><a href="{href}" style="display:inline-block;'
        f"padding:12px 20px;background:{primary};color:#ffffff;text-decoration:none;"
        f'border-radius:6px;font-weight:bold;">{cta_label}</a></p>\n'
        f'<p style="margin:0 0 16px 0;">{sign_off}</p>\n'
        f'<div style="font-size:12px;color:#7b8794;margin-top:32px;">Sent by {brand}'
        f"{_footer(style)}</div>\n"
        "</div>\n</body></html>\n"
    )


def _header(style: Brand, brand: str, primary: str) -> str:
    logo = (
        f'<img src="{safe_href(style.logo_url)}" alt="{brand}" '
        'style="max-height:48px;display:block;margin-bottom:8px;">'
        if style.logo_url and safe_href(style.logo_url) != "#"
        else ""
    )
    return (
        f'<div style="font-size:20px;font-weight:bold;color:{primary};'
        f'margin-bottom:24px;">{logo}{brand}</div>\n'
    )


def _footer(style: Brand) -> str:
    if not style.footer or not style.footer.strip():
        return ""
    return "<br>\n" + _with_breaks(html.escape(style.footer.strip(), quote=True))


def _with_breaks(escaped_text: str) -> str:
    return escaped_text.replace("\n", "<br>\n")
