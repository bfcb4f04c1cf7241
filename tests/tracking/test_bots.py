from datetime import UTC, datetime, timedelta

import pytest

from rebook.tracking.bots import (
    BotPolicy,
    BotReason,
    BotVerdict,
    EngagementEvent,
    EngagementKind,
    burst_companions,
    classify,
)

SENT = datetime(2025, 3, 4, 9, 0, tzinfo=UTC)
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
)
DESKTOP = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36"
)
CUBOT_PHONE = (
    "Mozilla/5.0 (Linux; Android 10; CUBOT X30) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Mobile Safari/537.36"
)


def click(seconds_after_send: float, link: int = 0, agent: str | None = IPHONE, method="GET"):
    return EngagementEvent(
        kind=EngagementKind.CLICK,
        at=SENT + timedelta(seconds=seconds_after_send),
        user_agent=agent,
        method=method,
        link_index=link,
    )


def opened(seconds_after_send: float, agent: str | None = IPHONE):
    return EngagementEvent(
        kind=EngagementKind.OPEN, at=SENT + timedelta(seconds=seconds_after_send), user_agent=agent
    )


@pytest.mark.parametrize("event", [click(600), opened(3600)], ids=["click", "open"])
def test_a_person_reading_later_counts_as_engagement(event):
    assert classify(event, sent_at=SENT) == BotVerdict(False, None)


def test_the_verdict_unpacks_as_a_pair():
    is_bot, reason = classify(click(1), sent_at=SENT)
    assert (is_bot, reason) == (True, BotReason.TOO_SOON_AFTER_SEND)


def test_head_requests_are_link_checkers():
    assert classify(click(600, method="HEAD"), sent_at=SENT) == (True, BotReason.HEAD_REQUEST)
    assert classify(click(600, method="head"), sent_at=SENT).is_bot


@pytest.mark.parametrize("agent", [None, "", "   "])
def test_requests_without_a_user_agent_are_machines(agent):
    assert classify(opened(600, agent=agent), sent_at=SENT) == (True, BotReason.NO_USER_AGENT)


@pytest.mark.parametrize(
    "agent",
    [
        "Mozilla/5.0",  # Apple Mail Privacy Protection
        "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)",
        "YahooMailProxy; https://help.yahoo.com/kb/yahoo-mail-proxy-SLN28749.html",
        "Mozilla/5.0 (compatible; Mimecast URL Protect)",
        "Proofpoint URL Defense",
        "Barracuda Sentinel (EE)",
        "Microsoft Office Existence Discovery",
        "Mozilla/5.0 (Windows NT 10.0) SafeLinks/1.0",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 BingPreview/1.0b",
        "curl/8.5.0",
        "python-requests/2.32.3",
        "Go-http-client/1.1",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 HeadlessChrome/124.0 Safari/537.36",
        # iMessage's link preview, when the SMS reaches an iPhone.
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_11_1) AppleWebKit/601.2.4 (KHTML, like Gecko) "
        "Version/9.0.1 Safari/601.2.4 facebookexternalhit/1.1 Facebot Twitterbot/1.0",
        "WhatsApp/2.24.6.77 A",
        "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
    ],
)
def test_known_scanners_proxies_and_previewers_are_machines(agent):
    assert classify(click(600, agent=agent), sent_at=SENT) == (True, BotReason.KNOWN_AGENT)


@pytest.mark.parametrize("agent", [IPHONE, DESKTOP, CUBOT_PHONE, "Mozilla/5.0 (Linux; Android 14)"])
def test_ordinary_browsers_are_not_taken_for_machines(agent):
    assert not classify(click(600, agent=agent), sent_at=SENT).is_bot


@pytest.mark.parametrize(("seconds", "is_bot"), [(-2, True), (0, True), (4.9, True), (5, False)])
def test_events_within_seconds_of_the_send_are_machines(seconds, is_bot):
    verdict = classify(opened(seconds), sent_at=SENT)
    assert verdict == ((True, BotReason.TOO_SOON_AFTER_SEND) if is_bot else (False, None))


def test_the_delay_is_configurable():
    policy = BotPolicy(min_delay=timedelta(seconds=30))
    assert classify(click(20), sent_at=SENT, policy=policy).reason is BotReason.TOO_SOON_AFTER_SEND
    assert not classify(click(31), sent_at=SENT, policy=policy).is_bot


def test_clicks_on_different_links_within_the_burst_window_are_a_scanner():
    first, second = click(600.0, link=0), click(601.5, link=1)

    assert not classify(first, sent_at=SENT).is_bot  # alone, it looks human
    assert classify(second, sent_at=SENT, earlier=[first]) == (True, BotReason.CLICK_BURST)
    assert burst_companions(second, [first]) == [first]


def test_the_same_link_clicked_twice_quickly_is_a_person_double_tapping():
    first, second = click(600.0, link=0), click(600.4, link=0)
    assert not classify(second, sent_at=SENT, earlier=[first]).is_bot
    assert burst_companions(second, [first]) == []


def test_clicks_on_different_links_seconds_apart_are_a_person():
    first, second = click(600.0, link=0), click(603.0, link=1)
    assert not classify(second, sent_at=SENT, earlier=[first]).is_bot


def test_opens_do_not_form_click_bursts():
    earlier = [opened(599.5), click(599.0, link=1, agent="curl/8")]
    verdict = classify(click(600.0, link=0), sent_at=SENT, earlier=[opened(599.5)])
    assert not verdict.is_bot
    assert burst_companions(opened(600), earlier) == []


def test_a_wider_burst_threshold_needs_more_links():
    policy = BotPolicy(burst_links=3)
    earlier = [click(600.0, link=0)]
    assert not classify(click(600.5, link=1), sent_at=SENT, earlier=earlier, policy=policy).is_bot
    earlier.append(click(600.5, link=1))
    third = click(601.0, link=2)
    assert (
        classify(third, sent_at=SENT, earlier=earlier, policy=policy).reason
        is BotReason.CLICK_BURST
    )


def test_earlier_events_may_come_in_any_order_and_include_later_ones():
    # Events recorded out of order (two API processes) still form the burst.
    later = click(601.0, link=2)
    assert (
        classify(click(600.0, link=0), sent_at=SENT, earlier=[later]).reason
        is BotReason.CLICK_BURST
    )


def test_rules_apply_in_order_head_before_agent_before_timing():
    event = click(1, agent="curl/8", method="HEAD")
    assert classify(event, sent_at=SENT).reason is BotReason.HEAD_REQUEST
    assert classify(click(1, agent="curl/8"), sent_at=SENT).reason is BotReason.KNOWN_AGENT


@pytest.mark.parametrize(
    "kwargs",
    [
        {"min_delay": timedelta(seconds=-1)},
        {"burst_window": timedelta(seconds=-1)},
        {"burst_links": 1},
    ],
)
def test_nonsense_policies_are_refused(kwargs):
    with pytest.raises(ValueError):
        BotPolicy(**kwargs)
