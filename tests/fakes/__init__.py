"""Local stand-ins for the providers' HTTP APIs, so tests drive the real SDKs end to end.

from tests.fakes.fixtures import fake_sendgrid, fake_twilio  # pytest fixtures
from tests.fakes import FakeSendGrid, FakeTwilio              # context managers
"""

from tests.fakes.fake_sendgrid import FakeSendGrid
from tests.fakes.fake_twilio import FakeTwilio
from tests.fakes.http_server import FakeHttpServer, FakeResponse, RecordedRequest

__all__ = ["FakeHttpServer", "FakeResponse", "FakeSendGrid", "FakeTwilio", "RecordedRequest"]
