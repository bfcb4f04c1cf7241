from tests.fakes.fixtures import fake_sendgrid

__all__ = ["fake_sendgrid"]
