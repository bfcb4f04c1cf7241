"""The Temporal contracts keep real annotation objects, not strings: the data converter
calls typing.get_type_hints on a dataclass each time it decodes one, and string
annotations (`from __future__ import annotations`) are evaluated again on every call."""

from __future__ import annotations

import dataclasses

import rebook.core.contracts as contracts

CONTRACTS = [
    value
    for value in vars(contracts).values()
    if isinstance(value, type)
    and dataclasses.is_dataclass(value)
    and value.__module__ == contracts.__name__
]


def test_every_contract_field_is_annotated_with_a_type_not_a_string() -> None:
    assert len(CONTRACTS) >= 10
    strings = [
        f"{cls.__name__}.{field.name}"
        for cls in CONTRACTS
        for field in dataclasses.fields(cls)
        if isinstance(field.type, str)
    ]
    assert strings == []
