import re
from html.parser import HTMLParser

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rebook.tokens import ClickClaims, OpenClaims, TokenSigner
from rebook.tracking.links import TrackedLink, track_message

BASE = "https://rebook.example"
MESSAGE_ID = "com_" + "ab" * 16
UNSUBSCRIBE = f"{BASE}/u/"
SIGNER = TokenSigner(["k" * 40])
CLICK = re.compile(re.escape(BASE) + r"/t/([A-Za-z0-9_\-.]*[A-Za-z0-9_\-])")
PIXEL = re.compile(
    r'<img src="' + re.escape(BASE) + r'/o/([A-Za-z0-9_\-.]+)" width="1" height="1" alt="">'
)


def track(text: str = "", html: str | None = None, **kwargs):
    kwargs.setdefault("untracked_prefixes", [UNSUBSCRIBE])
    return track_message(
        message_id=MESSAGE_ID, text=text, html=html, tokens=SIGNER, base_url=BASE, **kwargs
    )


def clicked(tracked_url: str) -> ClickClaims:
    match = CLICK.fullmatch(tracked_url)
    assert match, tracked_url
    return SIGNER.verify(match.group(1), ClickClaims)


def hrefs(document: str) -> list[str]:
    class Collect(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.found: list[str] = []

        def handle_starttag(self, tag, attrs):
            if tag in ("a", "area"):
                self.found.append(dict(attrs).get("href") or "")

    parser = Collect()
    parser.feed(document)
    return parser.found


# ---------------------------------------------------------------------- plain text


def test_sms_links_go_through_the_redirect_and_the_table_keeps_the_targets():
    tracked = track("Missed you! Rebook: https://book.example/r/42?src=sms")

    [link] = tracked.links
    assert link == TrackedLink(0, "https://book.example/r/42?src=sms")
    url = tracked.text.removeprefix("Missed you! Rebook: ")
    assert clicked(url) == ClickClaims(MESSAGE_ID, 0)


@pytest.mark.parametrize(
    ("text", "target", "after"),
    [
        ("See https://a.example/x.", "https://a.example/x", "."),
        ("(https://a.example/x)", "https://a.example/x", ")"),
        ("https://en.example/wiki/A_(b)", "https://en.example/wiki/A_(b)", ""),
        ("go https://a.example/x?, ok", "https://a.example/x", "?,"),
        ('"https://a.example/q"', "https://a.example/q", '"'),
        ("<https://a.example/q>", "https://a.example/q", ">"),
        ("[here](https://a.example/md)", "https://a.example/md", ")"),
        ("HTTPS://A.example/Up!", "HTTPS://A.example/Up", "!"),
    ],
)
def test_punctuation_around_a_url_stays_outside_the_link(text, target, after):
    tracked = track(text)

    [link] = tracked.links
    assert link.url == target
    match = CLICK.search(tracked.text)
    assert match is not None
    assert tracked.text[match.end() :].startswith(after)


@pytest.mark.parametrize(
    "text",
    [
        "mail ada@example.com or call tel:+447700900123",
        "ftp://files.example/x and www.example.com",
        f"unsubscribe: {UNSUBSCRIBE}tok123",
        "xhttps://glued.example",
    ],
)
def test_text_without_trackable_links_is_unchanged(text):
    tracked = track(text)
    assert tracked.text == text
    assert tracked.links == ()


def test_a_repeated_url_keeps_one_index_and_distinct_urls_get_their_own():
    tracked = track("A https://a.example B https://b.example A again https://a.example")

    assert tracked.links == (
        TrackedLink(0, "https://a.example"),
        TrackedLink(1, "https://b.example"),
    )
    indexes = [clicked(m.group()).link_index for m in CLICK.finditer(tracked.text)]
    assert indexes == [0, 1, 0]


def test_links_already_tracked_are_not_wrapped_twice():
    once = track("go https://a.example")
    twice = track(once.text)
    assert twice.text == once.text
    assert twice.links == ()


def test_tracking_off_returns_both_bodies_unchanged():
    html = '<html><body><a href="https://a.example">x</a></body></html>'
    tracked = track("https://a.example", html, enabled=False)

    assert tracked.text == "https://a.example"
    assert tracked.html == html
    assert tracked.links == ()


# ---------------------------------------------------------------------- HTML


EMAIL = """<!DOCTYPE html>
<html>
<head>
  <link href="https://fonts.example/css" rel="stylesheet">
  <style>a[href^="https://styled.example"] { color: red }</style>
</head>
<body>
  <p>We missed you. See https://in-text.example (left alone).</p>
  <a href="https://book.example/r?a=1&amp;b=2" class="button" style="color:#fff">Rebook</a>
  <A HREF='https://book.example/cal' target=_blank>Calendar</A>
  <a href="mailto:help@example.com">Mail us</a>
  <a href="tel:+447700900123">Call</a>
  <a href="#details">Details</a>
  <a href="/relative/path">Relative</a>
  <a href="https://rebook.example/u/tok">Unsubscribe</a>
  <a name="anchor-only">no href</a>
  <!-- <a href="https://commented.example">hidden</a> -->
  <script>var s = '<a href="https://scripted.example">';</script>
  <img src="https://images.example/logo.png" alt="logo">
  <map><area shape="rect" coords="0,0,1,1" href="https://area.example/x"></map>
  <a title='tricky href="https://evil.example"' href="https://book.example/r?a=1&b=2">Again</a>
  <a download href=" https://book.example/padded ">Padded</a>
</body>
</html>
"""


def test_only_http_hrefs_of_links_are_rewritten():
    tracked = track(html=EMAIL)
    assert tracked.html is not None

    assert [link.url for link in tracked.links] == [
        "https://book.example/r?a=1&b=2",
        "https://book.example/cal",
        "https://area.example/x",
        "https://book.example/padded",
    ]
    found = hrefs(tracked.html)
    assert [clicked(h).link_index for h in found if h.startswith(f"{BASE}/t/")] == [0, 1, 2, 0, 3]
    for untouched in [
        'href="mailto:help@example.com"',
        'href="tel:+447700900123"',
        'href="#details"',
        'href="/relative/path"',
        'href="https://rebook.example/u/tok"',
        '<a name="anchor-only">',
        '<link href="https://fonts.example/css" rel="stylesheet">',
        '<a href="https://commented.example">hidden</a>',
        "var s = '<a href=\"https://scripted.example\">';",
        'a[href^="https://styled.example"]',
        "See https://in-text.example (left alone).",
        '<img src="https://images.example/logo.png" alt="logo">',
    ]:
        assert untouched in tracked.html


def test_other_attributes_survive_and_stay_escaped():
    tracked = track(html=EMAIL)
    assert tracked.html is not None

    assert 'class="button" style="color:#fff">Rebook</a>' in tracked.html
    assert 'target="_blank">Calendar</A>' in tracked.html  # end tag untouched
    # The title that contains 'href="..."' is re-quoted, never taken for the href.
    assert 'title="tricky href=&quot;https://evil.example&quot;"' in tracked.html
    assert "<a download href=" in tracked.html
    assert "evil.example" not in {link.url for link in tracked.links}


def test_everything_outside_the_rewritten_tags_is_kept_byte_for_byte():
    tracked = track(html=EMAIL)
    assert tracked.html is not None
    link_tags = re.compile(r"<(a|area)\b[^>]*\bhref=[^>]*>", re.IGNORECASE)

    # Collapse every start tag with an href (rewritten or not) and drop the pixel: what
    # remains must be identical.
    without_pixel = PIXEL.sub("", tracked.html)
    assert link_tags.sub("<LINK>", without_pixel) == link_tags.sub("<LINK>", EMAIL)


def test_the_open_pixel_goes_just_before_the_closing_body_tag():
    tracked = track(html=EMAIL)
    assert tracked.html is not None

    pixel = PIXEL.search(tracked.html)
    assert pixel is not None
    assert tracked.html[pixel.end() :].startswith("</body>")
    assert SIGNER.verify(pixel.group(1), OpenClaims) == OpenClaims(MESSAGE_ID)
    assert tracked.html.count("/o/") == 1


def test_the_pixel_follows_the_last_real_body_end_not_one_in_a_comment():
    html = "<html><body><p>x</p><!-- </body> --></BODY></html>"
    tracked = track(html=html)
    assert tracked.html is not None
    assert "<!-- </body> -->" in tracked.html
    assert re.search(PIXEL.pattern + "</BODY></html>$", tracked.html)


def test_a_fragment_without_body_gets_the_pixel_appended():
    tracked = track(html="<p>Hello <a href='https://a.example'>there</a></p>")
    assert tracked.html is not None
    assert PIXEL.search(tracked.html)
    assert tracked.html.endswith('alt="">')


def test_text_and_html_parts_share_one_link_table():
    tracked = track(
        "Rebook: https://book.example/r\nCalendar: https://book.example/cal",
        '<body><a href="https://book.example/cal">Cal</a><a href="https://book.example/r">R</a>'
        '<a href="https://book.example/extra">More</a></body>',
    )
    assert tracked.html is not None

    assert tracked.links == (
        TrackedLink(0, "https://book.example/r"),
        TrackedLink(1, "https://book.example/cal"),
        TrackedLink(2, "https://book.example/extra"),
    )
    assert [clicked(h).link_index for h in hrefs(tracked.html)] == [1, 0, 2]


def test_crlf_documents_are_spliced_at_the_right_places():
    html = '<html>\r\n<body>\r\n<a\r\n  href="https://a.example">x</a>\r\n</body>\r\n</html>\r\n'
    tracked = track(html=html)
    assert tracked.html is not None
    pixel = PIXEL.search(tracked.html)
    assert pixel is not None
    assert tracked.html.startswith("<html>\r\n<body>\r\n<a href=")
    assert tracked.html.endswith(">x</a>\r\n" + pixel.group() + "</body>\r\n</html>\r\n")


def test_self_closing_and_unterminated_markup_do_not_break():
    html = '<body><a href="https://a.example"/>x<a href="https://b.example"'
    tracked = track(html=html)
    assert tracked.html is not None
    assert tracked.html.startswith('<body><a href="https://rebook.example/t/')
    assert '" />x<a href="https://b.example"' in tracked.html  # the unfinished tag is text
    assert [link.url for link in tracked.links] == ["https://a.example"]


def test_tracking_is_deterministic():
    assert track("https://a.example", EMAIL) == track("https://a.example", EMAIL)


_url_path = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_/?=&%.~", max_size=30)
_html_text = st.text(alphabet=st.characters(blacklist_characters="<>&\"'"), max_size=20)


@given(
    parts=st.lists(
        st.one_of(
            _html_text,
            _url_path.map(lambda p: f'<a href="https://x.example/{p}">link</a>'),
            _url_path.map(lambda p: f"<a href='mailto:a@b.example'>{p}</a>"),
            st.just("<br>"),
            st.just("<!-- <a href='https://c.example'> -->"),
        ),
        max_size=12,
    )
)
def test_rewriting_keeps_every_link_and_every_text_node(parts):
    document = "<html><body>" + "".join(parts) + "</body></html>"

    tracked = track(html=document)
    assert tracked.html is not None

    before, after = hrefs(document), hrefs(tracked.html)
    assert len(before) == len(after)
    table = {link.index: link.url for link in tracked.links}
    for original, rewritten in zip(before, after, strict=True):
        if original.startswith("https://"):
            assert table[clicked(rewritten).link_index] == original
        else:
            assert rewritten == original
