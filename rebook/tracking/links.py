"""Click and open tracking for an outgoing message: every http(s) link goes through
`{base}/t/{token}` and HTML email gets an open pixel `{base}/o/{token}`.

Plain text (SMS, WhatsApp, the text part of email) is scanned for URLs. HTML is read with
the standard library's HTML parser, and only the `href` of `<a>` and `<area>` start tags is
rewritten: URLs in text, comments, scripts, styles, `<link>` tags or other attributes stay
as they are, and the rest of the markup is kept byte for byte. mailto:, tel:, sms:,
anchors, relative links and any URL under an untracked prefix (the unsubscribe link, which
must reach its target without a detour) are left alone.

Each distinct URL gets one index, in order of first appearance across the text and HTML
parts, so both parts of an email share one link table; the caller stores that table
(message id, index -> URL) and the redirect route resolves a click from it.

Pure module: no I/O.
"""

from __future__ import annotations

import html as html_lib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html.parser import HTMLParser

from rebook.tokens import ClickClaims, OpenClaims, TokenSigner

CLICK_PATH = "/t/"
OPEN_PATH = "/o/"

_LINK_TAGS = frozenset({"a", "area"})
_TRACKABLE = re.compile(r"https?://\S+", re.IGNORECASE)
# A URL in running text: stops at whitespace, quotes and angle brackets. Not preceded by
# a word character, so "xhttps://..." or an e-mail address is not taken for a link.
_TEXT_URL = re.compile(r"(?<![\w@/])https?://[^\s<>\"'`]+", re.IGNORECASE)
_TRAILING_PUNCTUATION = ".,;:!?*'\""
_CLOSERS = {")": "(", "]": "[", "}": "{"}


@dataclass(frozen=True)
class TrackedLink:
    index: int
    url: str  # the original target, as the contact would have reached it


@dataclass(frozen=True)
class TrackedMessage:
    text: str
    html: str | None
    links: tuple[TrackedLink, ...]  # the message's link table; empty when untracked


def track_message(
    *,
    message_id: str,
    text: str,
    html: str | None = None,
    tokens: TokenSigner,
    base_url: str,
    enabled: bool = True,
    untracked_prefixes: Sequence[str] = (),
) -> TrackedMessage:
    """Rewrite a message's links through the click redirect and add the open pixel.

    Args:
        message_id: the communication id the tokens name.
        text: the plain-text body (SMS/WhatsApp body, or the text part of an email).
        html: the HTML part of an email, or None.
        tokens: signs the CLICK and OPEN tokens.
        base_url: public origin of Rebook's tracking routes, e.g. "https://rebook.example".
        enabled: the workspace's tracking switch; when False both bodies come back
            unchanged, with no pixel and an empty link table (privacy).
        untracked_prefixes: URLs starting with any of these are not rewritten (pass the
            unsubscribe URL prefix here). Links already pointing at the tracking routes
            are never wrapped twice.

    Returns:
        The rewritten bodies and the link table. Deterministic: the same input gives the
        same output, so a retried send renders the same message.
    """
    if not enabled:
        return TrackedMessage(text=text, html=html, links=())
    base = base_url.rstrip("/")
    table = _LinkTable(
        click_url=lambda index: f"{base}{CLICK_PATH}{tokens.sign(ClickClaims(message_id, index))}",
        skip=(*untracked_prefixes, f"{base}{CLICK_PATH}", f"{base}{OPEN_PATH}"),
    )
    tracked_text = _rewrite_text(text, table)
    tracked_html = None
    if html is not None:
        pixel_url = f"{base}{OPEN_PATH}{tokens.sign(OpenClaims(message_id))}"
        tracked_html = _add_open_pixel(_rewrite_html(html, table), pixel_url)
    return TrackedMessage(text=tracked_text, html=tracked_html, links=table.links())


class _LinkTable:
    def __init__(self, *, click_url: Callable[[int], str], skip: Sequence[str]) -> None:
        self._click_url = click_url
        self._skip = tuple(skip)
        self._indexes: dict[str, int] = {}

    def redirect_for(self, url: str) -> str | None:
        """The tracked URL replacing `url`, or None to leave it as it is."""
        if not _TRACKABLE.fullmatch(url) or url.startswith(self._skip):
            return None
        index = self._indexes.setdefault(url, len(self._indexes))
        return self._click_url(index)

    def links(self) -> tuple[TrackedLink, ...]:
        return tuple(TrackedLink(index, url) for url, index in self._indexes.items())


# ---------------------------------------------------------------------- plain text


def _rewrite_text(text: str, table: _LinkTable) -> str:
    def replace(match: re.Match[str]) -> str:
        url = _trim_url(match.group())
        tracked = table.redirect_for(url)
        if tracked is None:
            return match.group()
        return tracked + match.group()[len(url) :]

    return _TEXT_URL.sub(replace, text)


def _trim_url(candidate: str) -> str:
    """Drop what ends a sentence rather than the URL: "see https://x.example/a." or
    "(https://x.example/a)", keeping balanced brackets ("https://w.example/A_(b)")."""
    url = candidate
    while url:
        last = url[-1]
        unbalanced = last in _CLOSERS and url.count(last) > url.count(_CLOSERS[last])
        if last in _TRAILING_PUNCTUATION or unbalanced:
            url = url[:-1]
        else:
            break
    return url


# ---------------------------------------------------------------------- HTML


def _rewrite_html(document: str, table: _LinkTable) -> str:
    parser = _HrefParser(table)
    parser.feed(document)
    parser.close()
    return _splice(document, parser.edits)


def _add_open_pixel(document: str, pixel_url: str) -> str:
    pixel = f'<img src="{html_lib.escape(pixel_url)}" width="1" height="1" alt="">'
    parser = _BodyEndParser()
    parser.feed(document)
    parser.close()
    if parser.body_end is None:
        return document + pixel
    return _splice(document, [_Edit(parser.body_end, "", pixel)])


@dataclass(frozen=True)
class _Edit:
    position: tuple[int, int]  # HTMLParser.getpos(): 1-based line, 0-based column
    original: str  # the exact source text replaced ("" to insert)
    replacement: str


class _HrefParser(HTMLParser):
    """Collects a rewritten start tag for each <a>/<area> whose href is tracked."""

    def __init__(self, table: _LinkTable) -> None:
        super().__init__(convert_charrefs=True)
        self._table = table
        self.edits: list[_Edit] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _LINK_TAGS:
            return
        source = self.get_starttag_text()
        if source is None:
            return
        rebuilt = _with_tracked_href(tag, attrs, self._table, self_closing=source.endswith("/>"))
        if rebuilt is not None:
            self.edits.append(_Edit(self.getpos(), source, rebuilt))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)


class _BodyEndParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.body_end: tuple[int, int] | None = None

    def handle_endtag(self, tag: str) -> None:
        if tag == "body":
            self.body_end = self.getpos()  # the last one wins


def _with_tracked_href(
    tag: str, attrs: list[tuple[str, str | None]], table: _LinkTable, *, self_closing: bool
) -> str | None:
    """The start tag with its (first) href replaced, or None when it stays as it is.
    Attribute values come from the parser already unescaped and are escaped again here,
    so quotes or ampersands in them cannot break out of the attribute."""
    rebuilt: list[str] = []
    changed = False
    for name, value in attrs:
        if name == "href" and value is not None and not changed:
            tracked = table.redirect_for(value.strip())
            if tracked is not None:
                value, changed = tracked, True
        rebuilt.append(name if value is None else f'{name}="{html_lib.escape(value)}"')
    if not changed:
        return None
    return f"<{' '.join([tag, *rebuilt])}{' /' if self_closing else ''}>"


def _splice(document: str, edits: list[_Edit]) -> str:
    line_starts = [0]
    line_starts += [i + 1 for i, char in enumerate(document) if char == "\n"]
    pieces: list[str] = []
    cursor = 0
    for edit in edits:
        line, column = edit.position
        start = line_starts[line - 1] + column
        end = start + len(edit.original)
        if document[start:end] != edit.original or start < cursor:
            # The parser's positions always match its input; this guards the invariant
            # rather than risk corrupting a message.
            raise AssertionError(f"HTML position mismatch at line {line}, column {column}")
        pieces += [document[cursor:start], edit.replacement]
        cursor = end
    pieces.append(document[cursor:])
    return "".join(pieces)
