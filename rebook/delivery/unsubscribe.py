"""One-click unsubscribe headers for email (RFC 2369 + RFC 8058), and how custom headers go
onto a SendGrid mail with the SDK's `Header`.

Gmail and Yahoo require both headers of bulk senders since 2024: `List-Unsubscribe` with an
HTTPS URL and `List-Unsubscribe-Post: List-Unsubscribe=One-Click`. The mail client then
POSTs `List-Unsubscribe=One-Click` (form-encoded) to that URL, without cookies or a
redirect, and the receiving endpoint must record the opt-out at once. Receivers only honour
the headers when the message's DKIM signature covers them, which SendGrid's domain
authentication does. The URL's signed token is built by the caller.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

from sendgrid.helpers.mail import Header, Mail

LIST_UNSUBSCRIBE = "List-Unsubscribe"
LIST_UNSUBSCRIBE_POST = "List-Unsubscribe-Post"
ONE_CLICK = "List-Unsubscribe=One-Click"

# Characters that would end the <...> bracket or the header line itself.
_FORBIDDEN = frozenset("<>\r\n\t ")


def unsubscribe_headers(url: str, mailto: str | None = None) -> dict[str, str]:
    """The two headers for a one-click unsubscribe link.

    Args:
        url: the HTTPS URL that records the opt-out on POST (and shows a page on GET).
        mailto: an optional address (or `mailto:` URI) for clients that only email;
            listed after the URL, as RFC 8058 wants the HTTPS one to be found first.

    Returns:
        {"List-Unsubscribe": "<https://...>[, <mailto:...>]",
         "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}

    Raises:
        ValueError: `url` is not an absolute https URL, or either value holds characters
            that would break the header (white space, angle brackets, line breaks).
    """
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.netloc:
        raise ValueError(f"one-click unsubscribe needs an absolute https URL, got {url!r}")
    targets = [_bracketed(url)]
    if mailto:
        address = mailto if mailto.lower().startswith("mailto:") else f"mailto:{mailto}"
        if "@" not in address:
            raise ValueError(f"unsubscribe mailto needs an email address, got {mailto!r}")
        targets.append(_bracketed(address))
    return {LIST_UNSUBSCRIBE: ", ".join(targets), LIST_UNSUBSCRIBE_POST: ONE_CLICK}


def add_mail_headers(mail: Mail, headers: Mapping[str, str]) -> None:
    """Put `headers` on every recipient of `mail` (the v3 body's top-level "headers").

    Adds to the headers already set. SendGrid refuses reserved names (Content-Type,
    DKIM-Signature...) with a 400, which the sender reports as a permanent failure.

    Raises:
        ValueError: a name is already set on `mail`. The SDK would silently keep the first
            value, so a second List-Unsubscribe would be dropped without anyone noticing.
    """
    present = {header.key.lower() for header in mail.headers or [] if header.key}
    clashes = sorted(name for name in headers if name.lower() in present)
    if clashes:
        raise ValueError(f"header already set on this mail: {', '.join(clashes)}")
    for name, value in headers.items():
        mail.header = Header(name, value)


def _bracketed(uri: str) -> str:
    bad = _FORBIDDEN.intersection(uri)
    if bad:
        raise ValueError(f"{uri!r} cannot go in a List-Unsubscribe header: it contains {bad}")
    # RFC 2369: literal commas separate the URIs, so a comma inside one must be encoded.
    return "<" + uri.replace(",", "%2C") + ">"
