import re
import uuid
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from itsdangerous import URLSafeSerializer

from rebook.core.domain import Channel
from rebook.tokens import (
    CLOCK_SKEW,
    MAX_TOKEN_LENGTH,
    BadToken,
    ClickClaims,
    ExpiredToken,
    OpenClaims,
    PageClaims,
    TokenPurpose,
    TokenSigner,
    UnsubscribeClaims,
    WrongPurpose,
    generate_secret,
)

SECRET = "s" * 32 + "-primary"
OLD_SECRET = "o" * 32 + "-retired"
MESSAGE_ID = "com_" + "0123456789abcdef" * 2
URL_SAFE = re.compile(r"^[A-Za-z0-9_\-.]+$")


class Clock:
    def __init__(self, now: float = 1_750_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


EXAMPLES = [
    ClickClaims(MESSAGE_ID, 0),
    ClickClaims(MESSAGE_ID, 300, url="https://book.example/r?slot=9&lang=fr#top"),
    OpenClaims(MESSAGE_ID),
    PageClaims("default", "apt_" + "f" * 32),
    PageClaims(str(uuid.uuid4()), "platform-appointment-42"),
    UnsubscribeClaims("default", "contact-ä-42", Channel.WHATSAPP),
]


@pytest.mark.parametrize("claims", EXAMPLES, ids=lambda c: type(c).__name__)
def test_every_purpose_round_trips_through_a_url_safe_token(claims):
    signer = TokenSigner([SECRET])

    token = signer.sign(claims)

    assert URL_SAFE.match(token)
    assert signer.verify(token, type(claims)) == claims


def test_click_tokens_are_short_enough_for_sms():
    # The figure the module docstring states, against itsdangerous's JSON default.
    message_id = "com_" + uuid.uuid4().hex
    token = TokenSigner([SECRET]).sign(ClickClaims(message_id, 3))
    json_token = URLSafeSerializer(SECRET, salt="click").dumps([message_id, 3])

    assert len(token) == 58
    assert len(json_token) == 84


def test_the_same_claims_give_the_same_token():
    signer = TokenSigner([SECRET])
    assert signer.sign(OpenClaims(MESSAGE_ID)) == signer.sign(OpenClaims(MESSAGE_ID))


@pytest.mark.parametrize("position", [0, 5, 20, -1, -3])
def test_a_token_altered_anywhere_is_refused(position):
    signer = TokenSigner([SECRET])
    token = signer.sign(ClickClaims(MESSAGE_ID, 1))
    flipped = "A" if token[position] != "A" else "B"
    altered = token[:position] + flipped + token[position:][1:]

    with pytest.raises(BadToken):
        signer.verify(altered, ClickClaims)


def test_tokens_cannot_be_enumerated_by_changing_the_link_index():
    # Forging index 2 from index 1's token needs the key: the payload is signed.
    signer = TokenSigner([SECRET])
    token = signer.sign(ClickClaims(MESSAGE_ID, 1))
    signature = token.rsplit(".", 1)[1]
    other_payload = signer.sign(ClickClaims(MESSAGE_ID, 2)).rsplit(".", 1)[0]

    with pytest.raises(BadToken):
        signer.verify(f"{other_payload}.{signature}", ClickClaims)


def test_a_token_signed_with_another_secret_is_refused():
    token = TokenSigner([generate_secret()]).sign(OpenClaims(MESSAGE_ID))
    with pytest.raises(BadToken):
        TokenSigner([SECRET]).verify(token, OpenClaims)


@pytest.mark.parametrize(
    "garbage", ["", ".", "abc", "a.b.c.d", "ü.ö", "x" * (MAX_TOKEN_LENGTH + 1)]
)
def test_garbage_is_a_bad_token(garbage):
    with pytest.raises(BadToken):
        TokenSigner([SECRET]).verify(garbage, ClickClaims)


@pytest.mark.parametrize(
    ("claims", "expected"),
    [
        (ClickClaims(MESSAGE_ID, 0), PageClaims),
        (OpenClaims(MESSAGE_ID), ClickClaims),
        (PageClaims("default", "apt_1"), UnsubscribeClaims),
        (UnsubscribeClaims("default", "c1", Channel.SMS), OpenClaims),
    ],
)
def test_a_token_is_refused_for_another_purpose(claims, expected):
    signer = TokenSigner([SECRET])
    token = signer.sign(claims)

    with pytest.raises(WrongPurpose) as refused:
        signer.verify(token, expected)

    assert refused.value.actual is claims.purpose
    assert refused.value.expected is expected.purpose


def test_page_tokens_expire_after_their_max_age():
    clock = Clock()
    signer = TokenSigner([SECRET], page_max_age=timedelta(days=30), clock=clock)
    token = signer.sign(PageClaims("default", "apt_1"))

    clock.now += timedelta(days=30).total_seconds()
    assert signer.verify(token, PageClaims) == PageClaims("default", "apt_1")

    clock.now += 1
    with pytest.raises(ExpiredToken) as expired:
        signer.verify(token, PageClaims)
    assert expired.value.purpose is TokenPurpose.PAGE


def test_an_expired_token_of_another_purpose_is_still_the_wrong_purpose():
    clock = Clock()
    signer = TokenSigner([SECRET], page_max_age=timedelta(days=1), clock=clock)
    token = signer.sign(PageClaims("default", "apt_1"))
    clock.now += timedelta(days=10).total_seconds()

    with pytest.raises(WrongPurpose):
        signer.verify(token, OpenClaims)


@pytest.mark.parametrize(
    "claims",
    [
        ClickClaims(MESSAGE_ID, 0),
        OpenClaims(MESSAGE_ID),
        UnsubscribeClaims("default", "c1", Channel.EMAIL),
    ],
)
def test_click_open_and_unsubscribe_tokens_never_expire(claims):
    clock = Clock()
    signer = TokenSigner([SECRET], clock=clock)
    token = signer.sign(claims)
    clock.now += timedelta(days=3650).total_seconds()

    assert signer.verify(token, type(claims)) == claims


def test_a_page_token_from_a_server_with_a_fast_clock_is_accepted_within_the_skew():
    signing_clock, verifying_clock = Clock(), Clock()
    signing_clock.now += CLOCK_SKEW.total_seconds() - 5
    token = TokenSigner([SECRET], clock=signing_clock).sign(PageClaims("w", "a"))

    assert TokenSigner([SECRET], clock=verifying_clock).verify(token, PageClaims)


def test_a_page_token_dated_beyond_the_skew_is_refused():
    signing_clock, verifying_clock = Clock(), Clock()
    signing_clock.now += CLOCK_SKEW.total_seconds() + 60
    token = TokenSigner([SECRET], clock=signing_clock).sign(PageClaims("w", "a"))

    with pytest.raises(ExpiredToken):
        TokenSigner([SECRET], clock=verifying_clock).verify(token, PageClaims)


def test_rotation_the_first_secret_signs_and_every_secret_verifies():
    before = TokenSigner([OLD_SECRET])
    during = TokenSigner([SECRET, OLD_SECRET])
    after = TokenSigner([SECRET])
    old_token = before.sign(OpenClaims(MESSAGE_ID))
    new_token = during.sign(OpenClaims(MESSAGE_ID))

    assert during.verify(old_token, OpenClaims) == OpenClaims(MESSAGE_ID)
    assert after.verify(new_token, OpenClaims) == OpenClaims(MESSAGE_ID)
    with pytest.raises(BadToken):
        after.verify(old_token, OpenClaims)


def test_purposes_are_bound_even_across_rotated_secrets():
    signer = TokenSigner([SECRET, OLD_SECRET])
    token = TokenSigner([OLD_SECRET]).sign(ClickClaims(MESSAGE_ID, 0))

    with pytest.raises(WrongPurpose):
        signer.verify(token, OpenClaims)


@pytest.mark.parametrize(
    ("secrets", "fragment"),
    [([], "at least one"), (["short"], "#1"), ([SECRET, "short"], "#2"), (SECRET, "a list")],
)
def test_missing_or_weak_secrets_are_refused(secrets, fragment):
    with pytest.raises(ValueError, match=fragment):
        TokenSigner(secrets)


def test_generated_secrets_are_long_and_distinct():
    secrets = {generate_secret() for _ in range(20)}
    assert len(secrets) == 20
    assert all(len(s) >= 32 for s in secrets)


def test_a_negative_link_index_cannot_be_signed():
    with pytest.raises(ValueError):
        TokenSigner([SECRET]).sign(ClickClaims(MESSAGE_ID, -1))


_text = st.text(st.characters(exclude_categories=["Cs"]), max_size=80)
_ids = st.one_of(
    _text,
    st.uuids().map(str),
    st.builds(
        lambda p, u: f"{p}_{u.hex}", st.from_regex(r"[a-z]{1,8}", fullmatch=True), st.uuids()
    ),
)


@given(message_id=_ids, index=st.integers(min_value=0, max_value=2**40), url=st.none() | _text)
def test_any_click_claims_round_trip(message_id, index, url):
    signer = TokenSigner([SECRET])
    claims = ClickClaims(message_id, index, url)
    assert signer.verify(signer.sign(claims), ClickClaims) == claims


@given(workspace=_ids, contact=_ids, channel=st.sampled_from(Channel))
def test_any_unsubscribe_claims_round_trip(workspace, contact, channel):
    signer = TokenSigner([SECRET])
    claims = UnsubscribeClaims(workspace, contact, channel)
    assert signer.verify(signer.sign(claims), UnsubscribeClaims) == claims
