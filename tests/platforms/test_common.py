from datetime import UTC, datetime

import pytest

from rebook.core.domain import AppointmentKind
from rebook.platforms import (
    CalcomWebhooks,
    CalendlyWebhooks,
    Platform,
    SignatureError,
    WebhookReader,
)
from rebook.platforms.common import event_id, guess_kind, header
from tests.platforms.support import (
    CALCOM_SECRET,
    CALENDLY_KEY,
    body,
    calcom_headers,
    calendly_headers,
)

NOW = datetime(2026, 3, 20, 10, 12, 6, tzinfo=UTC)


def test_both_adapters_serve_the_api_through_one_interface():
    readers: dict[Platform, WebhookReader] = {
        Platform.CALCOM: CalcomWebhooks(CALCOM_SECRET),
        Platform.CALENDLY: CalendlyWebhooks(CALENDLY_KEY),
    }
    calcom = body("calcom", "booking_created")
    calendly = body("calendly", "invitee_created")
    t = int(NOW.timestamp())

    assert readers[Platform.CALCOM].read(calcom, calcom_headers(calcom), NOW).items
    assert readers[Platform.CALENDLY].read(calendly, calendly_headers(calendly, t), NOW).items
    for platform, reader in readers.items():
        assert reader.platform is platform
        with pytest.raises(SignatureError):
            reader.read(calcom, {}, NOW)


def test_headers_are_found_whatever_their_case():
    headers = {"x-cal-signature-256": "abc"}

    assert header(headers, "X-Cal-Signature-256") == "abc"
    assert header(headers, "Calendly-Webhook-Signature") is None


def test_event_ids_are_stable_short_and_distinct():
    first = event_id(Platform.CALCOM, "BOOKING_CANCELLED", "uid-1")

    assert first == event_id(Platform.CALCOM, "BOOKING_CANCELLED", "uid-1")
    assert first != event_id(Platform.CALCOM, "BOOKING_CANCELLED", "uid-2")
    # Parts are separated, so ("ab", "c") and ("a", "bc") differ.
    split = Platform.CALENDLY, "invitee.created"
    assert event_id(*split, "ab", "c") != event_id(*split, "a", "bc")
    assert first.startswith("calcom:BOOKING_CANCELLED:") and len(first) < 80


@pytest.mark.parametrize(
    ("names", "kind"),
    [
        (("product-demo",), AppointmentKind.DEMO),
        (("Platform walkthrough",), AppointmentKind.DEMO),
        (("Free consultation",), AppointmentKind.CONSULTATION),
        (("Discovery Call",), AppointmentKind.CONSULTATION),
        (("monthly_webinar",), AppointmentKind.WEBINAR),
        (("Onboarding workshop",), AppointmentKind.WEBINAR),
        (("30min", None, "30 Min Meeting"), AppointmentKind.OTHER),
        (("Demolition estimate",), AppointmentKind.OTHER),  # whole words only
        ((None,), AppointmentKind.OTHER),
    ],
)
def test_kind_guess(names, kind):
    assert guess_kind(*names) is kind
