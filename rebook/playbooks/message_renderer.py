"""CatalogMessageRenderer: the MessageRenderer port (rebook.core.ports) the deliver_message
activity renders with, over a PlaybookCatalog.

Each message is rendered with the copy of the playbook version its workflow pinned
(DeliveryRequest.playbook; requests from before playbooks get the default playbook's first
version, which is that copy), in the brand of the message's workspace. One
PlaybookRenderer per version and brand is kept (the most recently used MAX_RENDERERS), so
it is built once, not per message; compiled templates are shared by every renderer
(rebook.playbooks.templates.compile_template).
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from typing import Final

from rebook.core.brand import Brand
from rebook.core.contracts import DeliveryRequest
from rebook.core.domain import Channel
from rebook.core.playbook import PlaybookRef
from rebook.core.ports import MessageText, RenderFailed
from rebook.playbooks.catalog import LEGACY_REF, PlaybookCatalog
from rebook.playbooks.content import ContentLibrary
from rebook.playbooks.rendering import PlaybookRenderer, TemplateRenderError
from rebook.playbooks.validation import LoadedPlaybook
from rebook.playbooks.variables import RenderRequest

log = logging.getLogger(__name__)

# Renderers kept: a few per playbook version and workspace brand in use. Beyond it the
# least recently used is rebuilt on its next message (cheap: templates stay compiled).
MAX_RENDERERS: Final = 1000


class CatalogMessageRenderer:
    """Thread-safe: shared by every workspace's deliver_message calls."""

    def __init__(self, catalog: PlaybookCatalog) -> None:
        self._catalog = catalog
        self._lock = threading.Lock()
        self._renderers: OrderedDict[
            tuple[PlaybookRef, Brand], tuple[ContentLibrary, PlaybookRenderer]
        ] = OrderedDict()

    def render(self, request: DeliveryRequest, brand: Brand) -> MessageText:
        """Raises RenderFailed when the playbook is unknown or its copy cannot render the
        message (no template, no copy for the channel, a template error)."""
        loaded = self._playbook(request.playbook or LEGACY_REF)
        renderer = self._renderer(loaded, brand)
        message = RenderRequest.from_delivery(
            request, repeat_no_show_from=loaded.playbook.policy.repeat_no_show_from
        )
        try:
            content = renderer.render(message)
            variables = (
                renderer.whatsapp_template_variables(message)
                if request.channel is Channel.WHATSAPP
                else None
            )
        except TemplateRenderError as err:
            raise RenderFailed(f"{loaded.playbook.name} v{loaded.playbook.version}: {err}") from err
        return MessageText(content.subject, content.body, content.html_body, variables)

    def _playbook(self, ref: PlaybookRef) -> LoadedPlaybook:
        pinned = self._catalog.get(ref.name, ref.version)
        if pinned is not None:
            return pinned
        latest = self._catalog.get(ref.name)
        if latest is None:
            raise RenderFailed(f"playbook {ref.name!r} is not in the catalog")
        # The pinned version's files are gone (a restart after they were replaced): the
        # sequence stays pinned in the workflow; only the words come from a newer version.
        log.warning(
            "playbook %s version %d is gone; rendering with version %d",
            ref.name,
            ref.version,
            latest.playbook.version,
        )
        return latest

    def _renderer(self, loaded: LoadedPlaybook, brand: Brand) -> PlaybookRenderer:
        library = self._catalog.library()
        key = (loaded.playbook.ref, brand)
        with self._lock:
            cached = self._renderers.get(key)
            if cached is not None and cached[0] is library:
                self._renderers.move_to_end(key)
                return cached[1]
            renderer = PlaybookRenderer(loaded.templates, brand, library)
            self._renderers[key] = (library, renderer)
            while len(self._renderers) > MAX_RENDERERS:
                self._renderers.popitem(last=False)
            return renderer
