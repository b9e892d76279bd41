"""Links read as a browser reads them (issue 21 item 12).

`https://evil.example\\@good.example/story` showed good.example on the editors' card (Python's urlsplit takes
the host after the "@") while a browser, for which a backslash in an http(s) address is a slash, opened
evil.example. Every link a feed gives is now rewritten as the WHATWG URL Standard parses it, or left out with
one line when a browser would refuse it. The expected hosts are the standard's, from the web-platform-tests
URL suite (url/resources/urltestdata.json, web-platform-tests/wpt at 04f8022e, BSD-3-Clause), copied by hand
with their inputs and bases; the others follow the same rules of the standard and say which.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest

from bot.feeds.parse import parse_feed
from bot.net.weburl import BadLink, browser_url

WPT_BASE = "http://example.org/foo/bar"
REFUSED = None

# (input, base, the host a browser opens; REFUSED: a browser fails to parse it)
WPT = [
    ("http://example\t.\norg", WPT_BASE, "example.org"),
    ("http://user:pass@foo:21/bar;par?b#c", WPT_BASE, "foo"),
    ("https://test:@test", None, "test"),
    ("http:foo.com", WPT_BASE, "example.org"),  # same scheme as the base: a relative path
    ("\t   :foo.com   \n", WPT_BASE, "example.org"),
    (" foo.com  ", WPT_BASE, "example.org"),
    ("http://f:b/c", WPT_BASE, REFUSED),
    ("http://f:999999/c", WPT_BASE, REFUSED),
    (":foo.com\\", WPT_BASE, "example.org"),
    ("\\x", WPT_BASE, "example.org"),
    ("\\\\x\\hello", WPT_BASE, "x"),  # two backslashes start a host, as "//" does
    ("http::@c:29", WPT_BASE, "example.org"),
    ("http://a:b@c:29/d", WPT_BASE, "c"),
    ("http://::@c@d:2", WPT_BASE, "d"),
    ("http://foo.com:b@d/", WPT_BASE, "d"),
    ("http://foo.com/\\@", WPT_BASE, "foo.com"),
    ("http:\\\\www.google.com\\foo", None, "www.google.com"),
]
# The same rules on the addresses of the report and their kin.
HOSTILE = [
    ("https://evil.example\\@good.example/story", None, "evil.example"),
    ("https://evil.example\\@good.example/story", "https://good.example/feed/", "evil.example"),
    ("https:\\\\evil.example\\@good.example/", None, "evil.example"),
    ("https:////evil.example/x", WPT_BASE, "evil.example"),  # another scheme than the base: a host
    ("https:evil.example/x", None, "evil.example"),
    ("///evil.example/x", WPT_BASE, "evil.example"),
    ("\\/evil.example/x", WPT_BASE, "evil.example"),
    ("https://evil%2Eexample/", None, "evil.example"),  # a browser decodes a host's escapes
    ("https://good.example%2F.evil.example/", None, REFUSED),  # ... and refuses a slash among them
    ("https://good.example%40evil.example/", None, REFUSED),
    ("http://a b/", None, REFUSED),
    ("https://good.example/a\\b?q=\\@x#\\y", None, "good.example"),  # after "?", a backslash is data
]


@pytest.mark.parametrize(("url", "base", "host"), WPT + HOSTILE)
def test_a_link_names_the_host_a_browser_opens(url: str, base: str | None, host: str | None) -> None:
    if host is REFUSED:
        with pytest.raises(BadLink):
            browser_url(url, base)
        return
    read = browser_url(url, base)
    assert urlsplit(read).hostname == host, read
    assert browser_url(read, base) == read, "reading it again changes nothing"


def test_the_path_and_query_keep_what_a_browser_keeps() -> None:
    assert browser_url("https://evil.example\\@good.example/story") == "https://evil.example/@good.example/story"
    assert browser_url("http://foo.com/\\@", WPT_BASE) == "http://foo.com//@"  # WPT's href
    assert browser_url("\\\\x\\hello", WPT_BASE) == "http://x/hello"  # WPT's href
    assert browser_url("http:foo.com", WPT_BASE) == "http://example.org/foo/foo.com"  # WPT's href
    assert browser_url("https://good.example/a\\b?q=\\@x#\\y") == "https://good.example/a/b?q=\\@x#\\y"
    assert browser_url("javascript:alert(1)", WPT_BASE) == "javascript:alert(1)"  # never a web link anyway
    assert browser_url("story-2/", "/srv/feeds/feed.xml") == "/srv/feeds/story-2/"  # a feed read from a file


LINK = "https://evil.example\\@good.example/story"
RSS = f"""<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><link>https://good.example/</link>
<item><title>Story</title><link>{LINK}</link><guid isPermaLink="false">1</guid>
<description>&lt;p&gt;Text. &lt;img src="https:\\\\evil.example\\@good.example/a.jpg"&gt;&lt;/p&gt;</description></item>
<item><title>Refused</title><link>https://good.example%2F.evil.example/x</link><guid isPermaLink="false">2</guid>
</item></channel></rss>"""
ATOM = f"""<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>T</title><id>t</id>
<entry><title>Story</title><id>1</id><link href="{LINK}"/><summary>Text.</summary></entry></feed>"""
JSON_FEED = json.dumps({"version": "https://jsonfeed.org/version/1.1", "title": "T",
                        "items": [{"id": "1", "title": "Story", "url": LINK, "content_text": "Text."}]})


@pytest.mark.parametrize(("body", "kind"), [(RSS, "application/rss+xml"), (ATOM, "application/atom+xml"),
                                            (JSON_FEED, "application/feed+json")])
def test_every_feed_kind_gives_the_link_a_browser_opens(body: str, kind: str, caplog: pytest.LogCaptureFixture
                                                        ) -> None:
    parsed = parse_feed(body.encode(), "https://good.example/feed/", kind)
    article = parsed.entries[0].article()
    assert article.url == "https://evil.example/@good.example/story"
    # the editors' card shows urlsplit's hostname of the link (bot.web.app, the `host` filter)
    assert urlsplit(article.url).hostname == "evil.example", "the card shows the host a click opens"
    if kind == "application/rss+xml":
        assert article.image is not None and article.image.url == "https://evil.example/@good.example/a.jpg"
        refused = parsed.entries[1].article()
        assert "evil.example" not in (refused.url or "")
        assert any("link 'https://good.example%2F.evil.example/x' left out: a browser would not open it" in
                   r.getMessage() for r in caplog.records)
