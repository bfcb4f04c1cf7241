from tests.fakes.fixtures import fake_sendgrid, fake_twilio

__all__ = ["fake_sendgrid", "fake_twilio"]
