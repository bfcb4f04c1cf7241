"""Phone numbers: parse, validate and normalise to E.164 with Google's libphonenumber
(the `phonenumbers` port), and tell what kind of line a number is.

Pure module (no I/O, no clock), so the API, the services and the worker can all use it.
`InvalidPhoneNumber` subclasses ValueError on purpose: raised inside a pydantic validator it
becomes a 422 whose message says why the number was refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat, ValidationResult


class PhoneProblem(StrEnum):
    """Why a number was refused, as a stable code (the message is for people)."""

    NOT_A_NUMBER = "not_a_number"
    MISSING_COUNTRY_CODE = "missing_country_code"
    INVALID_COUNTRY_CODE = "invalid_country_code"
    TOO_SHORT = "too_short"
    TOO_LONG = "too_long"
    INVALID_LENGTH = "invalid_length"
    LOCAL_ONLY = "local_only"
    INVALID_FOR_REGION = "invalid_for_region"


class InvalidPhoneNumber(ValueError):
    """The text is not a usable phone number; `problem` says why, the message explains."""

    def __init__(self, problem: PhoneProblem, message: str) -> None:
        super().__init__(message)
        self.problem = problem


class LineType(StrEnum):
    """libphonenumber's number types, named for people."""

    MOBILE = "mobile"
    FIXED_LINE = "fixed_line"
    # Regions such as the US and Canada do not separate mobile from landline ranges.
    FIXED_LINE_OR_MOBILE = "fixed_line_or_mobile"
    VOIP = "voip"
    TOLL_FREE = "toll_free"
    PREMIUM_RATE = "premium_rate"
    SHARED_COST = "shared_cost"
    PERSONAL_NUMBER = "personal_number"
    PAGER = "pager"
    UAN = "uan"
    VOICEMAIL = "voicemail"
    UNKNOWN = "unknown"


_LINE_TYPES = {
    phonenumbers.PhoneNumberType.MOBILE: LineType.MOBILE,
    phonenumbers.PhoneNumberType.FIXED_LINE: LineType.FIXED_LINE,
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE: LineType.FIXED_LINE_OR_MOBILE,
    phonenumbers.PhoneNumberType.VOIP: LineType.VOIP,
    phonenumbers.PhoneNumberType.TOLL_FREE: LineType.TOLL_FREE,
    phonenumbers.PhoneNumberType.PREMIUM_RATE: LineType.PREMIUM_RATE,
    phonenumbers.PhoneNumberType.SHARED_COST: LineType.SHARED_COST,
    phonenumbers.PhoneNumberType.PERSONAL_NUMBER: LineType.PERSONAL_NUMBER,
    phonenumbers.PhoneNumberType.PAGER: LineType.PAGER,
    phonenumbers.PhoneNumberType.UAN: LineType.UAN,
    phonenumbers.PhoneNumberType.VOICEMAIL: LineType.VOICEMAIL,
}


@dataclass(frozen=True)
class PhoneNumber:
    """A valid number in E.164 (`+` country code, national number, no spaces)."""

    e164: str
    region: str  # ISO 3166-1 alpha-2 of the number itself, e.g. "GB" (not the default region)
    line_type: LineType

    @property
    def can_receive_sms(self) -> bool:
        """False only when the metadata says the number is a landline.

        Unknown, VoIP, toll-free and mixed ranges stay True: many of them do take texts
        (US toll-free numbers can be SMS-enabled; US/CA ranges are all "fixed line or
        mobile"), and refusing a reachable contact costs more than one failed send.
        """
        return self.line_type is not LineType.FIXED_LINE


def check_region(region: str) -> str:
    """Return `region` upper-cased if libphonenumber knows it (e.g. "gb" -> "GB").

    For validating a workspace's default region where it is configured.

    Raises:
        ValueError: not a region code libphonenumber has metadata for.
    """
    code = region.strip().upper()
    if code not in phonenumbers.SUPPORTED_REGIONS:
        raise ValueError(f"unknown phone region {region!r}: use an ISO 3166-1 code such as 'US'")
    return code


def parse_phone(text: str, default_region: str | None = None) -> PhoneNumber:
    """Parse a number written in any common format.

    Args:
        text: what the person or platform wrote: "+44 20 7946 0018", "(415) 555-0123",
            "0151 23456789", "+1 800 FLOWERS"... An extension ("ext. 12") is dropped:
            E.164 has no place for it.
        default_region: ISO code used for numbers written without a country code, normally
            the workspace's region. Without it such numbers are refused.

    Raises:
        InvalidPhoneNumber: with a message that says why (not a number, too short, too long,
            missing country code, unknown country code, invalid for its region...).
        ValueError: `default_region` is not a known region code (a configuration error).
    """
    region = check_region(default_region) if default_region else None
    try:
        number = phonenumbers.parse(text, region)
    except NumberParseException as exc:
        raise _parse_failure(exc, text, region) from None
    _require_possible(number, text)
    if not phonenumbers.is_valid_number(number):
        code = number.country_code or 0
        where = phonenumbers.region_code_for_country_code(code)
        raise InvalidPhoneNumber(
            PhoneProblem.INVALID_FOR_REGION,
            f"{text!r} is not a valid phone number for {where} (+{code})",
        )
    return PhoneNumber(
        e164=phonenumbers.format_number(number, PhoneNumberFormat.E164),
        # libphonenumber answers "001" for non-geographic numbers (+800...); None does not
        # happen for a valid number, the fallback only satisfies the type.
        region=phonenumbers.region_code_for_number(number) or "001",
        line_type=_LINE_TYPES.get(phonenumbers.number_type(number), LineType.UNKNOWN),
    )


def normalise_phone(text: str, default_region: str | None = None) -> str:
    """The E.164 form of `text`; same contract and errors as `parse_phone`."""
    return parse_phone(text, default_region).e164


def _parse_failure(exc: NumberParseException, text: str, region: str | None) -> InvalidPhoneNumber:
    kind = exc.error_type
    if kind == NumberParseException.NOT_A_NUMBER:
        return InvalidPhoneNumber(PhoneProblem.NOT_A_NUMBER, f"{text!r} is not a phone number")
    if kind == NumberParseException.TOO_LONG:
        return InvalidPhoneNumber(PhoneProblem.TOO_LONG, f"{text!r} is too long for a phone number")
    if kind in (NumberParseException.TOO_SHORT_NSN, NumberParseException.TOO_SHORT_AFTER_IDD):
        return InvalidPhoneNumber(
            PhoneProblem.TOO_SHORT, f"{text!r} is too short for a phone number"
        )
    # INVALID_COUNTRY_CODE covers two cases libphonenumber does not tell apart.
    if text.strip().startswith("+") or region is not None:
        return InvalidPhoneNumber(
            PhoneProblem.INVALID_COUNTRY_CODE, f"{text!r} does not start with a known country code"
        )
    return InvalidPhoneNumber(
        PhoneProblem.MISSING_COUNTRY_CODE,
        f"{text!r} has no country code: write it as +<country code><number>, e.g. +14155550123",
    )


def _require_possible(number: phonenumbers.PhoneNumber, text: str) -> None:
    reason = phonenumbers.is_possible_number_with_reason(number)
    if reason == ValidationResult.IS_POSSIBLE:
        return
    where = f"+{number.country_code}"
    problems = {
        ValidationResult.TOO_SHORT: (PhoneProblem.TOO_SHORT, f"too short for {where} numbers"),
        ValidationResult.TOO_LONG: (PhoneProblem.TOO_LONG, f"too long for {where} numbers"),
        ValidationResult.INVALID_LENGTH: (
            PhoneProblem.INVALID_LENGTH,
            f"the wrong length for {where} numbers",
        ),
        ValidationResult.IS_POSSIBLE_LOCAL_ONLY: (
            PhoneProblem.LOCAL_ONLY,
            "too short for a full number (a local number needs its area code)",
        ),
        ValidationResult.INVALID_COUNTRY_CODE: (
            PhoneProblem.INVALID_COUNTRY_CODE,
            f"{where} is not a country code",
        ),
    }
    problem, why = problems.get(reason, (PhoneProblem.INVALID_LENGTH, "not a possible number"))
    raise InvalidPhoneNumber(problem, f"{text!r} is {why}")
