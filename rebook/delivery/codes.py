"""Provider names and error codes that both sides need: the senders (worker) and the
delivery webhooks (API). No SDK imports, so the API can use it without loading the worker's
provider clients.
"""

from __future__ import annotations

from typing import Final

# Stored in communications.provider, and how delivery webhooks find the message again.
SENDGRID: Final = "sendgrid"
TWILIO: Final = "twilio"

# Twilio: the recipient has unsubscribed (replied STOP). Every later message on the channel
# fails the same way, so the contact is opted out of it and the channel skipped from then
# on. 63016 (WhatsApp: outside the 24 h session window) is deliberately NOT here: it is
# permanent for this free-form message, but the contact has not unsubscribed and may well
# message us again, reopening the window.
TWILIO_OPT_OUT_CODES: Final = frozenset({21610})
TWILIO_AUTHENTICATION_FAILED: Final = 20003


def outcome_unknown(http_status: int) -> bool:
    """Whether a provider's HTTP status leaves open that it accepted the request: a server
    error after the request arrived (500, 502, 504, ...) may follow a message that was
    created. 503 (and 429) mean the request was turned away before it was processed."""
    return http_status >= 500 and http_status != 503
