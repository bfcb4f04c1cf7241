"""What a contact meant by an SMS or WhatsApp reply, and the TwiML Rebook answers with.

Pure apart from building XML with the twilio SDK (no I/O, no clock).

Classification rules, and why:
- Only a whole message that is one keyword counts. Case, white space, punctuation and
  symbols around it are ignored ("yes!", " Yes. ", "C", "yes 👍" all confirm). Anything
  longer ("yes but can we make it 3pm", "stop by at 4?", "yes please") is OTHER and goes
  to the host: a person reads it, so a misread costs little, whereas guessing a
  confirmation or an opt-out from free text would act for the contact without them asking.
- Opt-out uses the carrier keywords Twilio's Advanced Opt-Out honours (STOP, STOPALL,
  UNSUBSCRIBE, CANCEL, END, QUIT), as single words only. CANCEL is an opt-out, not an
  appointment cancellation: Twilio already blocks further messages to a number that
  texts it, so Rebook must record the opt-out to stay in step; the integrator should tell
  the host that the contact wrote CANCEL, since they may have meant the appointment.
- Opt-in: START and UNSTOP, which lift a carrier block. (YES also lifts a Twilio block,
  but here it confirms; the contact sees their next message either way.)
- HELP and INFO ask who is texting them; the answer names the business and its contact.
- Letters inside words are never matched: "Cc", "Rs", "Stopped" are OTHER.
"""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum

from twilio.twiml.messaging_response import MessagingResponse


class ReplyIntent(StrEnum):
    CONFIRM = "confirm"
    RESCHEDULE = "reschedule"
    OPT_OUT = "opt_out"
    OPT_IN = "opt_in"
    HELP = "help"
    OTHER = "other"  # free text, forwarded to the host


_KEYWORDS: dict[str, ReplyIntent] = {
    **dict.fromkeys(("c", "y", "yes", "confirm"), ReplyIntent.CONFIRM),
    **dict.fromkeys(("r", "reschedule"), ReplyIntent.RESCHEDULE),
    **dict.fromkeys(
        ("stop", "stopall", "unsubscribe", "cancel", "end", "quit"), ReplyIntent.OPT_OUT
    ),
    **dict.fromkeys(("start", "unstop"), ReplyIntent.OPT_IN),
    **dict.fromkeys(("help", "info"), ReplyIntent.HELP),
}


def classify_reply(body: str) -> ReplyIntent:
    """The intent of an inbound message body (see the module docstring for the rules)."""
    return _KEYWORDS.get(_keyword_of(body), ReplyIntent.OTHER)


def _keyword_of(body: str) -> str:
    # NFKC folds full-width letters (typed by some East Asian phone keyboards) to ASCII.
    text = unicodedata.normalize("NFKC", body).casefold()
    return _AROUND_THE_WORD.sub("", text)


# Anything that is not a letter or digit at either end: Unicode punctuation ("¡", "«»"),
# white space (including non-breaking), emoji and underscores.
_AROUND_THE_WORD = re.compile(r"^[\W_]+|[\W_]+$")


def twiml_reply(text: str) -> str:
    """A TwiML document that answers the inbound message with `text` (XML-escaped)."""
    response = MessagingResponse()
    response.message(text)
    return str(response)


def twiml_empty() -> str:
    """A TwiML document that sends nothing back (Twilio needs a 200 with valid TwiML)."""
    return str(MessagingResponse())
