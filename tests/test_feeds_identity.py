"""Identity: keys survive edits and reordering; aliases recognise a site that changes its guids."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest

from bot.feeds.backoff import next_backoff
from bot.feeds.filters import FeedFilter
from bot.feeds.identity import canonical_url
from bot.feeds.order import oldest_first
from bot.feeds.parse import parse_feed
from bot.models import Article

URL = "https://example.org/feed"


def feed(items: Sequence[tuple[str | None, str | None, str, str, str]]) -> bytes:
    """items: (guid, link, title, pubDate, text)."""
    parts = []
    for guid, link, title, date, text in items:
        parts.append("<item>" + (f"<guid>{guid}</guid>" if guid else "") + (f"<link>{link}</link>" if link else "")
                     + f"<title>{title}</title><pubDate>{date}</pubDate><description>{text}</description></item>")
    return ("<rss><channel><title>S</title>" + "".join(parts) + "</channel></rss>").encode()


D1, D2 = "Mon, 01 Jan 2024 10:00:00 +0000", "Tue, 02 Jan 2024 10:00:00 +0000"


@pytest.mark.parametrize("url,canon", [
    ("HTTPS://Example.ORG:443/a?utm_source=x&b=1&fbclid=zz#frag", "https://example.org/a?b=1"),
    ("http://example.org", "http://example.org/"),
    ("http://example.org:8080/x?utm_medium=a", "http://example.org:8080/x"),
    ("https://example.org/p?id=3&gclid=1&x=2", "https://example.org/p?id=3&x=2"),
    ("urn:uuid:1234", "urn:uuid:1234"),
])
def test_canonical_url(url: str, canon: str) -> None:
    assert canonical_url(url) == canon


def test_edited_article_keeps_its_key() -> None:
    before = parse_feed(feed([("g-1", "https://e.org/a", "Title", D1, "old text")]), URL).articles
    after = parse_feed(feed([("g-1", "https://e.org/a", "Title (updated)", D2, "new text")]), URL).articles
    assert before[0].key == after[0].key == "g-1"


@pytest.mark.parametrize("with_guid", [True, False])
def test_reordered_feed_yields_same_keys(with_guid: bool) -> None:
    items = [(f"g-{i}" if with_guid else None, f"https://e.org/{i}?utm_source=rss", f"T{i}", D1, f"x{i}")
             for i in range(5)]
    a = {x.title: (x.key, x.aliases) for x in parse_feed(feed(items), URL).articles}
    b = {x.title: (x.key, x.aliases) for x in parse_feed(feed(items[::-1]), URL).articles}
    assert a == b
    if not with_guid:
        assert a["T3"][0] == "https://e.org/3"


def test_no_guid_no_link_hashes_title_and_text() -> None:
    one = parse_feed(feed([(None, None, "Hello", D1, "Body")]), URL).articles[0]
    same = parse_feed(feed([(None, None, "Hello", D2, "Body")]), URL).articles[0]
    other = parse_feed(feed([(None, None, "Hello", D1, "Other body")]), URL).articles[0]
    assert one.key == same.key != other.key
    assert one.key.startswith("sha256:")


def test_guid_scheme_change_and_wordpress_ids_are_recognised() -> None:
    old = parse_feed(feed([("http://blog.example.org/?p=123", "http://blog.example.org/2024/a/", "A", D1, "x")]),
                     URL).articles[0]
    new = parse_feed(feed([("https://www.blog.example.org/?p=123", "https://blog.example.org/2024/a/", "A", D1,
                            "x")]), URL).articles[0]
    assert old.key != new.key
    # What the store does: an article is known when any of its identities was seen.
    assert ({old.key, *old.aliases} & {new.key, *new.aliases})
    assert "wp:blog.example.org:123" in new.aliases


def test_shared_guid_or_link_does_not_merge_distinct_articles() -> None:
    items = [("same", "https://e.org/home", "A", D1, "a"), ("same", "https://e.org/home", "B", D1, "b"),
             (None, "https://e.org/home", "C", D1, "c")]
    arts = parse_feed(feed(items), URL).articles
    # The shared guid and the shared link identify none of them: three articles, and no identity of one
    # (its key or any alias, which the store treats as "seen") is an identity of another.
    assert [a.title for a in arts] == ["A", "B", "C"]
    identities = [{a.key, *a.aliases} for a in arts]
    for i, mine in enumerate(identities):
        for j, theirs in enumerate(identities):
            assert i == j or not mine & theirs, (arts[i].title, arts[j].title, mine & theirs)
    assert all("https://e.org/home" not in ids and "same" not in ids for ids in identities)


def test_a_link_shared_by_entries_without_guid_identifies_none_of_them() -> None:
    items = [(None, "https://e.org/?utm_source=rss", "A", D1, "a"), (None, "https://e.org/", "B", D1, "b"),
             ("g-3", "https://e.org/", "C", D1, "c"), (None, "https://e.org/d", "D", D1, "d")]
    a, b, c, d = parse_feed(feed(items), URL).entries
    assert a.key.startswith("sha256:") and b.key.startswith("sha256:") and a.key != b.key
    assert (a.link_shared, b.link_shared, c.link_shared, d.link_shared) == (True, True, False, False)
    assert (c.key, d.key) == ("g-3", "https://e.org/d")
    assert a.url == b.url == "https://e.org/"  # still the link the post carries


def test_opaque_ids_are_scoped_by_the_feed_and_urls_are_not() -> None:
    items = [("42", "https://e.org/a", "A", D1, "a"), ("https://e.org/?p=7", "https://e.org/b", "B", D1, "b"),
             (None, None, "C", D1, "c")]
    opaque, by_url, by_text = (e.scoped("https://e.org/feed") for e in parse_feed(feed(items), URL).entries)
    assert opaque.key == "feed:https://e.org/feed 42" and "https://e.org/a" in opaque.aliases
    assert by_url.key == "https://e.org/?p=7" and "wp:e.org:7" in by_url.aliases
    assert by_text.key.startswith("sha256:")
    assert parse_feed(feed(items[:1]), URL).entries[0].scoped("/srv/other.xml").key == "feed:/srv/other.xml 42"


# --- ordering, filters, backoff ------------------------------------------------------------

def art(key: str, published: datetime | None, **kw: object) -> Article:
    return Article(key=key, feed_url=URL, url=f"https://e.org/{key}", title=str(kw.get("title", key)),
                   text=str(kw.get("text", "")), published=published,
                   categories=tuple(kw.get("categories", ())))  # type: ignore[arg-type]


def test_oldest_first() -> None:
    t = datetime(2024, 1, 1, tzinfo=UTC)
    burst = [art("c", t + timedelta(hours=2)), art("x", None), art("b", t + timedelta(hours=1)), art("a", t)]
    assert [a.key for a in oldest_first(burst)] == ["a", "b", "x", "c"]
    undated = [art("3", None), art("2", None), art("1", None)]
    assert [a.key for a in oldest_first(undated)] == ["1", "2", "3"]
    same = [art("new", t), art("old", t)]
    assert [a.key for a in oldest_first(same)] == ["old", "new"]


def test_filters() -> None:
    now = datetime(2024, 1, 10, tzinfo=UTC)
    fresh = art("1", now - timedelta(hours=5), title="Iran protests grow", categories=("News",))
    old = art("2", now - timedelta(days=3), title="Old")
    assert FeedFilter().matches(fresh, now)
    assert FeedFilter().reason(old, now) is not None and "older than 2 days" in (FeedFilter().reason(old, now) or "")
    assert FeedFilter(max_age_days=None).matches(old, now)
    assert FeedFilter().matches(art("3", None), now)  # undated: just seen, so new
    assert not FeedFilter(exclude_categories=("news",)).matches(fresh, now)
    assert FeedFilter(include_categories=("NEWS",)).matches(fresh, now)
    assert not FeedFilter(include_categories=("Sport",)).matches(fresh, now)
    assert not FeedFilter(exclude_keywords=("protests",)).matches(fresh, now)
    assert FeedFilter(exclude_keywords=("protest",)).matches(fresh, now)  # whole words only
    assert FeedFilter(include_patterns=(r"\bIran\b",)).matches(fresh, now)
    assert not FeedFilter(exclude_patterns=(r"gro+w",)).matches(fresh, now)
    with pytest.raises(ValueError, match="invalid regular expression"):
        FeedFilter(include_patterns=("(",))


def test_next_backoff() -> None:
    assert next_backoff(0) == 0
    assert [next_backoff(n, base=60, cap=3600) for n in (1, 2, 3, 7, 100, 10**9)] == [
        60, 120, 240, 3600, 3600, 3600]
    assert next_backoff(1, base=60, retry_after=900) == 900
    assert next_backoff(1, base=60, cap=600, retry_after=10**6) == 600
    import random

    jittered = next_backoff(5, base=60, cap=600, jitter=0.5, rng=random.Random(1))
    assert 300 <= jittered <= 600
