"""Message copy and rendering for every step of an appointment's sequence.

Pure package (stdlib + rebook.core.contracts/domain/steps only): activity code that workflow
modules import passes through it, so it must stay sandbox-safe and deterministic.
"""

from rebook.core.messages.brand import Brand
from rebook.core.messages.render import MessageContent, render_message
from rebook.core.messages.template_variables import whatsapp_template_variables

__all__ = ["Brand", "MessageContent", "render_message", "whatsapp_template_variables"]
