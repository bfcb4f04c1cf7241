"""Which channel reaches a contact, and in what order to try channels for a step.

"Meet them where they are": a contact who booked via WhatsApp hears from us on WhatsApp
first; otherwise their stated preference leads. Every other reachable channel follows as a
fallback for permanent delivery failures. Pure module: safe to import from workflows.
"""

from __future__ import annotations

from rebook.core.contracts import AppointmentDetails, ContactDetails
from rebook.core.domain import BookedVia, Channel

DEFAULT_ORDER: tuple[Channel, ...] = (Channel.EMAIL, Channel.SMS, Channel.WHATSAPP, Channel.IN_APP)

# Channels of one family count as "the same channel" when a step asks for the other one.
_FAMILY = {
    Channel.EMAIL: "email",
    Channel.SMS: "messaging",
    Channel.WHATSAPP: "messaging",
    Channel.IN_APP: "in_app",
}


def same_family(a: Channel, b: Channel) -> bool:
    """SMS and WhatsApp are one family: a step asking for "another channel" skips both."""
    return _FAMILY[a] == _FAMILY[b]


def address_for(contact: ContactDetails, channel: Channel, booked_via: BookedVia) -> str | None:
    """The address to use on a channel, or None when the contact cannot be reached there."""
    if channel is Channel.EMAIL:
        return contact.email
    if channel is Channel.SMS:
        return contact.phone
    if channel is Channel.WHATSAPP:
        # Booking over WhatsApp proves the phone number is on WhatsApp.
        if contact.whatsapp:
            return contact.whatsapp
        return contact.phone if booked_via is BookedVia.WHATSAPP else None
    # In-app messages go to the contact's inbox in the platform's app; booking through the
    # app is what tells us they have it.
    return contact.id if booked_via is BookedVia.APP else None


def reachable_channels(appointment: AppointmentDetails) -> list[Channel]:
    return [
        channel
        for channel in DEFAULT_ORDER
        if address_for(appointment.contact, channel, appointment.booked_via)
    ]


def preferred_order(appointment: AppointmentDetails) -> list[Channel]:
    """All reachable channels, the one the contact is most likely to act on first."""
    reachable = reachable_channels(appointment)
    lead: Channel | None = None
    booked_channel = {
        BookedVia.WHATSAPP: Channel.WHATSAPP,
        BookedVia.SMS: Channel.SMS,
        BookedVia.APP: Channel.IN_APP,
    }.get(appointment.booked_via)
    if appointment.booked_via is BookedVia.WHATSAPP and Channel.WHATSAPP in reachable:
        lead = Channel.WHATSAPP
    elif appointment.contact.preferred_channel in reachable:
        lead = appointment.contact.preferred_channel
    elif booked_channel in reachable:
        lead = booked_channel
    return _lead_with(lead, reachable)


def order_starting_with(appointment: AppointmentDetails, wanted: Channel) -> list[Channel]:
    """wanted first when reachable, then the contact's preferred order."""
    order = preferred_order(appointment)
    return _lead_with(wanted if wanted in order else None, order)


def short_message_channel(appointment: AppointmentDetails) -> Channel:
    """SMS, unless the contact lives on WhatsApp."""
    order = preferred_order(appointment)
    if order and order[0] is Channel.WHATSAPP:
        return Channel.WHATSAPP
    return Channel.SMS


def other_channel_order(appointment: AppointmentDetails, used: Channel) -> list[Channel]:
    """Reachable channels of a different family from `used` first, then the rest."""
    order = preferred_order(appointment)
    different = [c for c in order if not same_family(c, used)]
    same = [c for c in order if same_family(c, used)]
    return different + same


def reachability_problem(contact: ContactDetails, booked_via: BookedVia) -> tuple[str, str] | None:
    """("preferred_channel" or "contact", why) when the contact cannot be reached as asked,
    else None. The API refuses such a booking with these same rules the sequence uses, so
    it never accepts a contact the sequence could not message."""
    channel = contact.preferred_channel
    if channel is not None and not address_for(contact, channel, booked_via):
        return "preferred_channel", f"preferred channel {channel.value} needs {_NEEDS[channel]}"
    if not any(address_for(contact, c, booked_via) for c in Channel):
        return "contact", "contact needs an email, phone or whatsapp number (or booked_via app)"
    return None


_NEEDS = {
    Channel.EMAIL: "contact.email",
    Channel.SMS: "contact.phone",
    Channel.WHATSAPP: "contact.whatsapp (or contact.phone when booked via whatsapp)",
    Channel.IN_APP: "booked_via app",
}


def _lead_with(lead: Channel | None, channels: list[Channel]) -> list[Channel]:
    if lead is None:
        return list(channels)
    return [lead, *(c for c in channels if c is not lead)]
