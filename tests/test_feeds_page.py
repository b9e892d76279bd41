"""fetch_article: a page's main text, title, og:image (with alt) and canonical identity."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.feeds.page import complete_from_page, extract_article, fetch_article
from bot.feeds.parse import parse_feed
from tests.fakes.feed_server import FeedServer

PARA = ("The council approved the new library budget on Tuesday after a long debate about opening hours "
        "and the cost of keeping the reading rooms heated through the winter months. ")
PAGE = f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Library budget approved | Town News</title>
<meta property="og:title" content="Library budget approved">
<meta property="og:image" content="/img/library.jpg">
<meta property="og:image:alt" content="The town library at dusk">
<meta property="article:published_time" content="2024-03-05T09:30:00+01:00">
<link rel="canonical" href="https://news.example.org/2024/library-budget?utm_source=x">
</head><body><nav><a href="/">Home</a> <a href="/about">About us</a></nav>
<article><h1>Library budget approved</h1><p>{PARA * 3}</p><p>{PARA * 2}</p></article>
<footer>Copyright Town News. Subscribe to our newsletter.</footer></body></html>""".encode()


def test_extract_article() -> None:
    art = extract_article(PAGE, "https://news.example.org/2024/library-budget?utm_source=feed#top")
    assert art.key == "https://news.example.org/2024/library-budget"
    assert art.title == "Library budget approved"
    assert "approved the new library budget" in art.text
    assert "Subscribe to our newsletter" not in art.text
    assert art.image is not None
    assert (art.image.url, art.image.alt) == ("https://news.example.org/img/library.jpg", "The town library at dusk")
    assert art.published is not None and art.published.isoformat() == "2024-03-05T08:30:00+00:00"


@pytest.fixture
def server() -> Iterator[FeedServer]:
    with FeedServer() as srv:
        yield srv


def test_fetch_article_and_complete_an_excerpt(server: FeedServer) -> None:
    url = server.set("/2024/library-budget", PAGE, content_type="text/html; charset=utf-8")
    art = fetch_article(url)
    assert "reading rooms heated" in art.text
    feed = (f"<rss><channel><title>T</title><item><guid>g1</guid><link>{url}</link><title>Budget</title>"
            "<description>The council approved [&#8230;]</description></item></channel></rss>").encode()
    # The page is on the feed's own host (a page elsewhere on a private host is refused: test_hostile_fetch).
    [entry] = parse_feed(feed, server.url_for("/feed")).entries
    assert entry.excerpt_only
    full = complete_from_page(entry.article())
    assert full.key == "g1" and full.title == "Budget"
    assert "reading rooms heated" in full.text and full.image is not None
