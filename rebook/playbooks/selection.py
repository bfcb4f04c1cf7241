"""Which playbook an appointment runs: the selection rules, as data.

An appointment that names a playbook (`playbook` on the booking) runs that one. Otherwise
the first rule whose fields all match the appointment's `kind` and `booked_via` picks it,
and `default` takes every appointment no rule matches. On disk the rules are
`selection.yaml` in the playbook directory (rebook/playbooks/disk_catalog.py):

    default: default
    rules:
      - kind: demo
        playbook: demo
      - booked_via: whatsapp
        playbook: whatsapp_first

Pure module: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Final

from pydantic import BaseModel, ConfigDict, Field, model_validator

from rebook.core.contracts import AppointmentDetails
from rebook.core.domain import AppointmentKind, BookedVia

DEFAULT_PLAYBOOK: Final = "default"

PlaybookName = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]


@dataclass(frozen=True)
class SelectionRule:
    playbook: str
    kind: AppointmentKind | None = None  # None: any kind
    booked_via: BookedVia | None = None  # None: any booking channel

    def matches(self, appointment: AppointmentDetails) -> bool:
        return (self.kind is None or self.kind is appointment.kind) and (
            self.booked_via is None or self.booked_via is appointment.booked_via
        )

    def describe(self) -> str:
        wanted = []
        if self.kind is not None:
            wanted.append(f"kind {self.kind.value}")
        if self.booked_via is not None:
            wanted.append(f"booked via {self.booked_via.value}")
        return "selected for " + " and ".join(wanted)


@dataclass(frozen=True)
class PlaybookSelection:
    default: str = DEFAULT_PLAYBOOK
    rules: tuple[SelectionRule, ...] = ()

    def choose(self, appointment: AppointmentDetails) -> tuple[str, str]:
        """The playbook name for an appointment that names none, and why (for the log)."""
        for rule in self.rules:
            if rule.matches(appointment):
                return rule.playbook, rule.describe()
        return self.default, "the default"

    def names(self) -> frozenset[str]:
        return frozenset({self.default, *(rule.playbook for rule in self.rules)})


DEFAULT_SELECTION: Final = PlaybookSelection()


class SelectionRuleDoc(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: AppointmentKind | None = None
    booked_via: BookedVia | None = None
    playbook: PlaybookName

    @model_validator(mode="after")
    def _matches_something(self) -> SelectionRuleDoc:
        if self.kind is None and self.booked_via is None:
            raise ValueError("a rule needs kind, booked_via or both; `default` takes the rest")
        return self


class SelectionDoc(BaseModel):
    """The selection file: `default` and the rules, first match wins."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    default: PlaybookName = DEFAULT_PLAYBOOK
    rules: list[SelectionRuleDoc] = Field(default_factory=list)


def to_selection(doc: SelectionDoc) -> PlaybookSelection:
    return PlaybookSelection(
        default=doc.default,
        rules=tuple(SelectionRule(r.playbook, r.kind, r.booked_via) for r in doc.rules),
    )
