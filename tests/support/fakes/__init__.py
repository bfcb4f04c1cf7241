"""Local stand-ins for the providers' HTTP APIs, so tests drive the real SDKs end to end.

The fake_sendgrid and fake_twilio fixtures (tests/conftest.py) start one per test; the
classes are context managers for tests that want their own.
"""

from tests.support.fakes.http_server import FakeHttpServer, FakeResponse, RecordedRequest
from tests.support.fakes.sendgrid import FakeSendGrid
from tests.support.fakes.twilio import FakeTwilio

# Credentials the SDKs need to build requests; the fakes check their shape, not value.
TWILIO_ACCOUNT_SID = "AC" + "0" * 32
TWILIO_AUTH_TOKEN = "test-auth-token"
SENDGRID_API_KEY = "SG.test-key"

__all__ = [
    "SENDGRID_API_KEY",
    "TWILIO_ACCOUNT_SID",
    "TWILIO_AUTH_TOKEN",
    "FakeHttpServer",
    "FakeResponse",
    "FakeSendGrid",
    "FakeTwilio",
    "RecordedRequest",
]
