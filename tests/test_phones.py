from typing import Annotated

import pytest
from pydantic import AfterValidator, BaseModel, ValidationError

from rebook.phones import (
    InvalidPhoneNumber,
    LineType,
    PhoneNumber,
    PhoneProblem,
    check_region,
    normalise_phone,
    parse_phone,
)


@pytest.mark.parametrize(
    ("text", "region", "e164", "number_region", "line_type"),
    [
        ("+1 (212) 555-0100", None, "+12125550100", "US", LineType.FIXED_LINE_OR_MOBILE),
        ("(415) 555-2671", "US", "+14155552671", "US", LineType.FIXED_LINE_OR_MOBILE),
        ("020 7946 0018", "GB", "+442079460018", "GB", LineType.FIXED_LINE),
        ("07400 123456", "GB", "+447400123456", "GB", LineType.MOBILE),
        ("0151 23456789", "DE", "+4915123456789", "DE", LineType.MOBILE),
        ("030 901820", "DE", "+4930901820", "DE", LineType.FIXED_LINE),
        ("+33 6 12 34 56 78", None, "+33612345678", "FR", LineType.MOBILE),
        ("06 12 34 56 78", "fr", "+33612345678", "FR", LineType.MOBILE),
        ("+91 98765 43210", None, "+919876543210", "IN", LineType.MOBILE),
        ("+55 11 91234-5678", None, "+5511912345678", "BR", LineType.MOBILE),
        ("03-1234-5678", "JP", "+81312345678", "JP", LineType.FIXED_LINE),
        ("0412 345 678", "AU", "+61412345678", "AU", LineType.MOBILE),
        ("+44 800 123 4567", None, "+448001234567", "GB", LineType.TOLL_FREE),
        ("+1 800 FLOWERS", None, "+18003569377", "US", LineType.TOLL_FREE),
        ("+44 56 1234 5678", None, "+445612345678", "GB", LineType.VOIP),
        ("+800 1234 5678", None, "+80012345678", "001", LineType.TOLL_FREE),
        # A number with its own country code ignores the default region.
        ("+33 6 12 34 56 78", "US", "+33612345678", "FR", LineType.MOBILE),
        ("+1 212 555 0100 ext. 12", None, "+12125550100", "US", LineType.FIXED_LINE_OR_MOBILE),
    ],
)
def test_numbers_from_many_countries_normalise_to_e164(
    text, region, e164, number_region, line_type
):
    number = parse_phone(text, region)

    assert number == PhoneNumber(e164=e164, region=number_region, line_type=line_type)
    assert normalise_phone(text, region) == e164


@pytest.mark.parametrize(
    ("text", "region", "problem", "message"),
    [
        ("hello", None, PhoneProblem.NOT_A_NUMBER, "'hello' is not a phone number"),
        ("", "US", PhoneProblem.NOT_A_NUMBER, "'' is not a phone number"),
        (
            "(415) 555-2671",
            None,
            PhoneProblem.MISSING_COUNTRY_CODE,
            "'(415) 555-2671' has no country code: write it as +<country code><number>",
        ),
        ("+999 1234567", None, PhoneProblem.INVALID_COUNTRY_CODE, "known country code"),
        ("12", "US", PhoneProblem.TOO_SHORT, "'12' is too short for +1 numbers"),
        ("+1 415 555 267", None, PhoneProblem.TOO_SHORT, "too short for +1 numbers"),
        ("+49 151 2345678901234", None, PhoneProblem.TOO_LONG, "too long for +49 numbers"),
        ("+1234567890123456789", None, PhoneProblem.TOO_LONG, "too long for a phone number"),
        ("555 2671", "US", PhoneProblem.LOCAL_ONLY, "a local number needs its area code"),
        (
            "+44 20 7946 001",
            None,
            PhoneProblem.INVALID_FOR_REGION,
            "'+44 20 7946 001' is not a valid phone number for GB (+44)",
        ),
        ("+1 555 123 4567", None, PhoneProblem.INVALID_FOR_REGION, "for US (+1)"),
    ],
)
def test_invalid_numbers_say_why(text, region, problem, message):
    with pytest.raises(InvalidPhoneNumber) as caught:
        parse_phone(text, region)

    assert caught.value.problem is problem
    assert message in str(caught.value)


def test_only_a_known_landline_cannot_receive_sms():
    assert not parse_phone("020 7946 0018", "GB").can_receive_sms
    assert parse_phone("07400 123456", "GB").can_receive_sms
    # US/CA ranges do not tell mobile from landline: texting is attempted.
    assert parse_phone("+1 212 555 0100").can_receive_sms
    assert parse_phone("+44 56 1234 5678").can_receive_sms  # VoIP
    assert parse_phone("+1 800 356 9377").can_receive_sms  # toll-free numbers can be SMS-enabled


def test_default_regions_are_checked():
    assert check_region(" gb ") == "GB"
    with pytest.raises(ValueError, match="unknown phone region 'XX'"):
        check_region("XX")
    with pytest.raises(ValueError, match="unknown phone region") as caught:
        parse_phone("020 7946 0018", "UK")  # the ISO code is GB
    assert not isinstance(caught.value, InvalidPhoneNumber)


class _ContactIn(BaseModel):
    phone: Annotated[str, AfterValidator(lambda v: normalise_phone(v, "GB"))]


def test_in_a_pydantic_model_the_422_message_says_why():
    assert _ContactIn(phone="020 7946 0018").phone == "+442079460018"
    with pytest.raises(ValidationError) as caught:
        _ContactIn(phone="020")

    [error] = caught.value.errors()
    assert error["loc"] == ("phone",)
    assert error["msg"] == "Value error, '020' is too short for +44 numbers"
