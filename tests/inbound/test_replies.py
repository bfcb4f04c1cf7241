import xml.etree.ElementTree as ET

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rebook.inbound import ReplyIntent, classify_reply, twiml_empty, twiml_reply

KEYWORDS = {
    ReplyIntent.CONFIRM: ["C", "YES", "Y", "CONFIRM"],
    ReplyIntent.RESCHEDULE: ["R", "RESCHEDULE"],
    ReplyIntent.OPT_OUT: ["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"],
    ReplyIntent.OPT_IN: ["START", "UNSTOP"],
    ReplyIntent.HELP: ["HELP", "INFO"],
}
EVERY_KEYWORD = [(word, intent) for intent, words in KEYWORDS.items() for word in words]


@pytest.mark.parametrize(("word", "intent"), EVERY_KEYWORD)
def test_each_keyword_in_any_case(word, intent):
    assert classify_reply(word) is intent
    assert classify_reply(word.lower()) is intent
    assert classify_reply(word.capitalize()) is intent


@pytest.mark.parametrize(
    ("body", "intent"),
    [
        ("yes!", ReplyIntent.CONFIRM),
        (" Yes. ", ReplyIntent.CONFIRM),
        ("\tc\n", ReplyIntent.CONFIRM),
        ("YES!!!", ReplyIntent.CONFIRM),
        ("yes 👍", ReplyIntent.CONFIRM),
        ("\uff39\uff45\uff53", ReplyIntent.CONFIRM),  # full-width "Yes" (some phone keyboards)
        ("r?", ReplyIntent.RESCHEDULE),
        ("«Stop»", ReplyIntent.OPT_OUT),
        ("STOP\u00a0", ReplyIntent.OPT_OUT),  # non-breaking space
        ("Help?", ReplyIntent.HELP),
    ],
)
def test_case_whitespace_and_punctuation_around_the_keyword_are_ignored(body, intent):
    assert classify_reply(body) is intent


@pytest.mark.parametrize(
    "body",
    [
        "",
        "   ",
        "👍",
        "yes please",
        "yes but can we make it 3pm",
        "stop by at 4?",
        "please stop",
        "cancel my appointment",
        "Stopped",
        "Cc",
        "Rs",
        "no",
        "N",
        "Y E S",
        "see you then",
    ],
)
def test_anything_else_is_free_text_for_the_host(body):
    assert classify_reply(body) is ReplyIntent.OTHER


@given(
    keyword=st.sampled_from(EVERY_KEYWORD),
    before=st.text(alphabet=" \t\n.!?¡¿,;:'\"()«»…-", max_size=4),
    after=st.text(alphabet=" \t\n.!?¡¿,;:'\"()«»…-", max_size=4),
)
def test_a_keyword_wrapped_in_any_punctuation_keeps_its_meaning(keyword, before, after):
    word, intent = keyword

    assert classify_reply(f"{before}{word}{after}") is intent


@given(
    keyword=st.sampled_from(EVERY_KEYWORD),
    other=st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=8),
)
def test_a_keyword_with_another_word_is_never_acted_on(keyword, other):
    word, _ = keyword

    assert classify_reply(f"{word} {other}") is ReplyIntent.OTHER
    assert classify_reply(f"{other} {word}") is ReplyIntent.OTHER


def test_a_reply_is_one_escaped_message_in_a_twiml_response():
    xml = twiml_reply("Thanks! You're confirmed for Tue 3 Mar, 10:00 <Acme & Co>.")

    assert xml.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    root = ET.fromstring(xml)
    assert root.tag == "Response"
    [message] = list(root)
    assert message.tag == "Message"
    assert message.text == "Thanks! You're confirmed for Tue 3 Mar, 10:00 <Acme & Co>."
    assert "&lt;Acme &amp; Co&gt;" in xml


def test_an_empty_response_sends_nothing_back():
    xml = twiml_empty()

    root = ET.fromstring(xml)
    assert root.tag == "Response"
    assert list(root) == []
