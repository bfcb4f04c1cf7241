"""Moving a concept's values between its shapes by field name, so each shape's fields are
declared once and never copied out by hand: SequenceState -> Progress in the workflow,
Progress -> SequenceState when a closed appointment reopens, ORM rows -> records in the
stores. Pure module.
"""

from __future__ import annotations

from dataclasses import fields
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

_Shape = TypeVar("_Shape", bound="DataclassInstance")


def same_fields(kind: type[_Shape], source: object, /, **overrides: Any) -> _Shape:
    """A `kind` whose fields take the values of source's attributes of the same names;
    `overrides` gives the rest (fields source lacks, or holds under another name or type).
    Fields neither source nor overrides has keep their defaults."""
    values = {
        field.name: getattr(source, field.name)
        for field in fields(kind)
        if field.init and field.name not in overrides and hasattr(source, field.name)
    }
    return kind(**values, **overrides)
