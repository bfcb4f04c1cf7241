"""Variables for pre-approved WhatsApp templates (Twilio Content API).

WhatsApp lets a business start a conversation (and a no-show follow-up nearly always is
one: the contact has not written to us in the last 24 hours) only with a template Meta
approved in advance. The business creates one template per Rebook template in Twilio's
Content Template Builder, using these numbered placeholders, and maps each Rebook
template name to its Content SID (TWILIO_WHATSAPP_CONTENT_SIDS). The contract is fixed so
every template can use any of them:

    {{1}} contact's first name      {{4}} appointment time, in the contact's timezone
    {{2}} kind (demo, consultation) {{5}} the link the message is about
    {{3}} topic                     {{6}} host's first name

Pure module, like the rest of rebook.core.messages.
"""

from __future__ import annotations

from rebook.core.contracts import DeliveryRequest
from rebook.core.messages.brand import Brand
from rebook.core.messages.context import build_context
from rebook.core.steps import Template

# The link a template's call to action points at; everything else is about rebooking.
_LINK_OF = {
    Template.VALUE_CONTENT: "content_url",
    Template.ALTERNATIVE_OFFER: "alternative_url",
}


def whatsapp_template_variables(request: DeliveryRequest, brand: Brand) -> dict[str, str]:
    context = build_context(request, brand.name)
    link = _LINK_OF.get(request.template, "reschedule_url")
    return {
        "1": context["first_name"],
        "2": context["kind_noun"],
        "3": context["topic_short"],
        "4": context["when"],
        "5": context[link],
        "6": context["host_first_name"],
    }
