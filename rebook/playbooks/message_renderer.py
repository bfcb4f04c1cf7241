"""CatalogMessageRenderer: the MessageRenderer port (rebook.core.ports) the deliver_message
activity renders with, over a PlaybookCatalog.

Each message is rendered with the copy of the playbook version its workflow pinned
(DeliveryRequest.playbook; requests from before playbooks get the default playbook's first
version, which is that copy). One PlaybookRenderer per version is kept, so the compiled
templates and the version's lookup are paid once per version, not per message. The brand
is one for the whole installation for now (Settings.brand_name); workspaces will bring
one per workspace.
"""

from __future__ import annotations

import logging
import threading

from rebook.core.contracts import DeliveryRequest
from rebook.core.domain import Channel
from rebook.core.playbook import PlaybookRef
from rebook.core.ports import MessageText, RenderFailed
from rebook.playbooks.catalog import LEGACY_REF, PlaybookCatalog
from rebook.playbooks.content import ContentLibrary
from rebook.playbooks.rendering import PlaybookRenderer, TemplateRenderError
from rebook.playbooks.validation import LoadedPlaybook
from rebook.playbooks.variables import Brand, RenderRequest

log = logging.getLogger(__name__)


class CatalogMessageRenderer:
    def __init__(self, catalog: PlaybookCatalog, brand: Brand) -> None:
        self._catalog = catalog
        self._brand = brand
        self._lock = threading.Lock()
        self._renderers: dict[PlaybookRef, tuple[ContentLibrary, PlaybookRenderer]] = {}

    def render(self, request: DeliveryRequest) -> MessageText:
        """Raises RenderFailed when the playbook is unknown or its copy cannot render the
        message (no template, no copy for the channel, a template error)."""
        loaded = self._playbook(request.playbook or LEGACY_REF)
        renderer = self._renderer(loaded)
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

    def _renderer(self, loaded: LoadedPlaybook) -> PlaybookRenderer:
        library = self._catalog.library()
        ref = loaded.playbook.ref
        cached = self._renderers.get(ref)
        if cached is not None and cached[0] is library:
            return cached[1]
        renderer = PlaybookRenderer(loaded.templates, self._brand, library)
        with self._lock:
            self._renderers[ref] = (library, renderer)
        return renderer
