"""Inbound messages from contacts (SMS and WhatsApp replies): what they mean, and the TwiML
Rebook answers with."""

from rebook.inbound.replies import ReplyIntent, classify_reply, twiml_empty, twiml_reply

__all__ = ["ReplyIntent", "classify_reply", "twiml_empty", "twiml_reply"]
