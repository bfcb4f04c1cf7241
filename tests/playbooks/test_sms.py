"""SMS length as carriers bill it: GSM-7 or UCS-2, and the number of segments."""

from __future__ import annotations

import pytest

from rebook.playbooks.sms import SmsEncoding, sms_length


@pytest.mark.parametrize(
    ("text", "encoding", "units", "segments"),
    [
        ("", SmsEncoding.GSM7, 0, 0),
        ("a" * 160, SmsEncoding.GSM7, 160, 1),
        ("a" * 161, SmsEncoding.GSM7, 161, 2),
        ("a" * 306, SmsEncoding.GSM7, 306, 2),
        ("a" * 307, SmsEncoding.GSM7, 307, 3),
        # Extension-table characters take two septets.
        ("€" * 80, SmsEncoding.GSM7, 160, 1),
        ("[" * 81, SmsEncoding.GSM7, 162, 2),
        # ... and are never split across segments: 152 + 2 does not fit in 153.
        ("a" * 152 + "{" + "a" * 10, SmsEncoding.GSM7, 164, 2),
        ("a" * 152 + "{" + "a" * 152, SmsEncoding.GSM7, 306, 3),
        # Spanish and German letters of the GSM alphabet stay GSM-7.
        ("¿Qué tal, señor Müller? ¡Ñoño!", SmsEncoding.GSM7, 30, 1),
        # One character outside it switches the whole message to UCS-2.
        ("Confirmación" + "a" * 58, SmsEncoding.UCS2, 70, 1),
        ("ж" * 71, SmsEncoding.UCS2, 71, 2),
        ("ж" * 134, SmsEncoding.UCS2, 134, 2),
        ("ж" * 135, SmsEncoding.UCS2, 135, 3),
        # An emoji is two UTF-16 units, kept together.
        ("😀" * 35, SmsEncoding.UCS2, 70, 1),
        ("a" * 66 + "😀" + "a" * 10, SmsEncoding.UCS2, 78, 2),
        ("Wait… what", SmsEncoding.UCS2, 10, 1),
    ],
)
def test_known_lengths(text: str, encoding: SmsEncoding, units: int, segments: int) -> None:
    length = sms_length(text)
    assert (length.encoding, length.units, length.segments) == (encoding, units, segments)


def test_reports_the_characters_that_forced_ucs2() -> None:
    assert sms_length("Reunión mañana… 😀").non_gsm_characters == ("ó", "…", "😀")
    assert sms_length("Plain text").non_gsm_characters == ()
