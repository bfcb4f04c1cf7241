import pytest
from sendgrid import SendGridAPIClient
from sendgrid.helpers.mail import From, Mail, To

from rebook.delivery.unsubscribe import add_mail_headers, unsubscribe_headers
from tests.support.fakes import SENDGRID_API_KEY

URL = "https://rebook.example/u/eyJjIjoiY18xMjMifQ.Zk9xYw.sig"


def test_one_click_headers_for_an_https_url():
    assert unsubscribe_headers(URL) == {
        "List-Unsubscribe": f"<{URL}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


@pytest.mark.parametrize(
    "mailto",
    ["unsubscribe@rebook.example", "mailto:unsubscribe@rebook.example"],
)
def test_a_mailto_is_listed_after_the_https_url(mailto):
    headers = unsubscribe_headers(URL, mailto=mailto)

    assert headers["List-Unsubscribe"] == f"<{URL}>, <mailto:unsubscribe@rebook.example>"
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_a_mailto_with_a_subject_is_kept():
    headers = unsubscribe_headers(URL, mailto="mailto:u@rebook.example?subject=unsubscribe")

    assert headers["List-Unsubscribe"].endswith(", <mailto:u@rebook.example?subject=unsubscribe>")


def test_commas_inside_the_url_are_encoded_so_clients_do_not_split_it():
    headers = unsubscribe_headers("https://rebook.example/u?c=a,b")

    assert headers["List-Unsubscribe"] == "<https://rebook.example/u?c=a%2Cb>"


@pytest.mark.parametrize(
    ("url", "mailto", "message"),
    [
        ("http://rebook.example/u/t", None, "https URL"),
        ("/u/token", None, "https URL"),
        ("mailto:u@rebook.example", None, "https URL"),
        ("https://rebook.example/u/a b", None, "cannot go in a List-Unsubscribe header"),
        ("https://rebook.example/u/t>\r\nBcc: x@y", None, "cannot go in"),
        (URL, "not-an-address", "needs an email address"),
    ],
)
def test_values_that_would_break_the_header_are_refused(url, mailto, message):
    with pytest.raises(ValueError, match=message):
        unsubscribe_headers(url, mailto=mailto)


def _mail() -> Mail:
    return Mail(
        from_email=From("appointments@rebook.example", "Acme"),
        to_emails=To("ada@example.com", "Ada Lovelace"),
        subject="We missed you",
        plain_text_content="Pick a new time: https://rebook.example/a/t",
    )


def test_headers_go_on_the_sendgrid_mail_json():
    mail = _mail()

    add_mail_headers(mail, unsubscribe_headers(URL, mailto="u@rebook.example"))

    assert mail.get()["headers"] == {
        "List-Unsubscribe": f"<{URL}>, <mailto:u@rebook.example>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def test_adding_headers_keeps_those_already_there():
    mail = _mail()
    add_mail_headers(mail, {"X-Rebook-Step": "nudge"})

    add_mail_headers(mail, unsubscribe_headers(URL))

    assert mail.get()["headers"] == {
        "X-Rebook-Step": "nudge",
        "List-Unsubscribe": f"<{URL}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def test_setting_a_header_twice_is_refused_rather_than_silently_dropped():
    mail = _mail()
    add_mail_headers(mail, {"list-unsubscribe": "<https://old.example/u>"})

    with pytest.raises(ValueError, match="already set on this mail: List-Unsubscribe"):
        add_mail_headers(mail, unsubscribe_headers(URL))

    assert mail.get()["headers"] == {"list-unsubscribe": "<https://old.example/u>"}


def test_the_headers_reach_sendgrid_through_the_sdk(fake_sendgrid):
    mail = _mail()
    add_mail_headers(mail, unsubscribe_headers(URL))

    SendGridAPIClient(api_key=SENDGRID_API_KEY, host=fake_sendgrid.base_url).send(mail)

    [sent] = fake_sendgrid.mails
    assert sent["headers"] == {
        "List-Unsubscribe": f"<{URL}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    assert sent["personalizations"][0]["to"] == [
        {"email": "ada@example.com", "name": "Ada Lovelace"}
    ]
