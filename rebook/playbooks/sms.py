"""How long an SMS is, in what carriers bill: its encoding and its segments.

An SMS is GSM-7 when every character is in the GSM 03.38 alphabet (characters of its
extension table, such as € [ ] { } ~ ^ | \\, take two septets), else UCS-2 (UTF-16 code
units: an emoji takes two). One message holds 160 septets or 70 UCS-2 units; a longer
text is split into segments of 153 septets or 67 units (the rest of each carries the
concatenation header), and a two-unit character is never split across segments.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

GSM7_BASIC: Final = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION: Final = frozenset("\f^{}\\[~]|€")

_SINGLE: Final = {"gsm7": 160, "ucs2": 70}
_PER_SEGMENT: Final = {"gsm7": 153, "ucs2": 67}


class SmsEncoding(StrEnum):
    GSM7 = "gsm7"
    UCS2 = "ucs2"


@dataclass(frozen=True)
class SmsLength:
    encoding: SmsEncoding
    characters: int  # as the reader counts them
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    segments: int
    # Characters that forced UCS-2 (empty for GSM-7): what to replace to halve the cost.
    non_gsm_characters: tuple[str, ...] = ()


def sms_length(text: str) -> SmsLength:
    non_gsm = tuple(dict.fromkeys(c for c in text if c not in GSM7_BASIC | GSM7_EXTENSION))
    if non_gsm:
        encoding = SmsEncoding.UCS2
        sizes = [len(c.encode("utf-16-le")) // 2 for c in text]
    else:
        encoding = SmsEncoding.GSM7
        sizes = [2 if c in GSM7_EXTENSION else 1 for c in text]
    units = sum(sizes)
    return SmsLength(
        encoding=encoding,
        characters=len(text),
        units=units,
        segments=_segments(sizes, encoding),
        non_gsm_characters=non_gsm,
    )


def _segments(sizes: list[int], encoding: SmsEncoding) -> int:
    if not sizes:
        return 0
    if sum(sizes) <= _SINGLE[encoding]:
        return 1
    limit = _PER_SEGMENT[encoding]
    segments, used = 1, 0
    for size in sizes:
        if used + size > limit:  # a two-unit character moves whole to the next segment
            segments, used = segments + 1, 0
        used += size
    return segments
