"""A feed with more items than a feed can mean (issue 21 item 11): the items beyond bot.feeds.entries.MAX_ENTRIES
are counted, not kept, whatever the format; the memory a first sight takes stays bounded; the poll says so."""

from __future__ import annotations

import json
import logging
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.config import parse_config
from bot.feeds.entries import MAX_ENTRIES, within_bound
from bot.feeds.parse import parse_feed
from bot.poll import poll_feed
from bot.store import Store

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)  # the items carry no dates: nothing here reads the clock
EXTRA = 123


def _rss(n: int) -> bytes:
    items = "".join(f"<item><title>Story {i}</title><link>https://news.example.org/{i}/</link></item>"
                    for i in range(n))
    return (f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>News</title>'
            f"<link>https://news.example.org/</link>{items}</channel></rss>").encode()


def _atom(n: int) -> bytes:
    entries = "".join(f'<entry><id>urn:n:{i}</id><title>Story {i}</title><link href="https://news.example.org/{i}/"/>'
                      "</entry>" for i in range(n))
    return (f'<?xml version="1.0" encoding="UTF-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>News</title>'
            f"{entries}</feed>").encode()


def _json(n: int) -> bytes:
    return json.dumps({"version": "https://jsonfeed.org/version/1.1", "title": "News",
                       "items": [{"id": str(i), "title": f"Story {i}", "url": f"https://news.example.org/{i}/"}
                                 for i in range(n)]}).encode()


def _broken_rss(n: int) -> bytes:
    return _rss(n).replace(b"<title>News</title>", b"<title>News & more</title>")  # a raw '&': feedparser reads it


@pytest.mark.parametrize("write", [_rss, _atom, _json, _broken_rss], ids=["rss", "atom", "json", "broken-rss"])
def test_items_beyond_the_bound_are_counted_not_kept_and_both_ends_are_read(write: object) -> None:
    assert callable(write)
    feed = parse_feed(write(MAX_ENTRIES + EXTRA), "https://news.example.org/feed")
    titles = [e.title for e in feed.entries]
    half = MAX_ENTRIES // 2
    assert len(titles) == MAX_ENTRIES and feed.left_out == EXTRA
    # New items are at one end of a feed, whichever its order: both ends are kept, in the feed's order.
    assert titles[:2] == ["Story 0", "Story 1"] and titles[half - 1] == f"Story {half - 1}"
    assert titles[half] == f"Story {half + EXTRA}" and titles[-1] == f"Story {MAX_ENTRIES + EXTRA - 1}"


@pytest.mark.parametrize("write", [_rss, _atom, _json])
def test_a_feed_within_the_bound_is_read_whole(write: object) -> None:
    assert callable(write)
    feed = parse_feed(write(MAX_ENTRIES), "https://news.example.org/feed")
    assert len(feed.entries) == MAX_ENTRIES and feed.left_out == 0


def test_within_bound_keeps_the_ends() -> None:
    assert within_bound(list(range(MAX_ENTRIES))) == (list(range(MAX_ENTRIES)), 0)
    kept, left_out = within_bound(list(range(MAX_ENTRIES + 7)))
    assert left_out == 7 and kept[0] == 0 and kept[-1] == MAX_ENTRIES + 6 and len(kept) == MAX_ENTRIES


def test_a_10_mb_feed_of_325000_empty_items_takes_bounded_memory() -> None:
    # The red team's feed: 325,000 items of nothing but a guid, just over the 10 MB a fetch accepts. Reading it
    # took 836 MB (340 MB of it Python objects, traced here) and 28 s. The Python objects a read keeps are now
    # those of MAX_ENTRIES items at most; lxml's own tree (C memory, not traced) is bounded by the fetch limit.
    body = ('<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>t</title>'
            + "".join(f"<item><guid>{i}</guid></item>" for i in range(325_000)) + "</channel></rss>").encode()
    tracemalloc.start()
    try:
        feed = parse_feed(body, "https://example.org/feed")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(feed.entries) == MAX_ENTRIES and feed.left_out == 325_000 - MAX_ENTRIES
    assert peak < 40 * 2**20, f"{peak / 2**20:.0f} MB traced while reading"


def test_first_sight_of_a_huge_feed_records_the_kept_items_and_says_what_was_left(
        tmp_path: Path, store: Store, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "huge.xml"
    path.write_bytes(_rss(MAX_ENTRIES + EXTRA))
    config = parse_config(f'[[feeds]]\nurl = "{path}"\nname = "huge"\n[platforms.twitter]\n', tmp_path / "bot.toml")
    with caplog.at_level(logging.WARNING, logger="bot.poll"):
        report = poll_feed(config, store, config.feeds[0], now=NOW)
    assert report.status == "ok" and report.entries == MAX_ENTRIES and report.queued == 0
    notes = [r.getMessage() for r in caplog.records if "more than a feed can mean" in r.getMessage()]
    assert notes == [f"feed huge: {MAX_ENTRIES + EXTRA} items, more than a feed can mean: the first and last "
                     f"{MAX_ENTRIES // 2} were read, the other {EXTRA} counted and not kept"]
    # The kept items, both ends of the feed, are known from now on (its baseline).
    key_of = {e.title: e.key for e in parse_feed(_rss(MAX_ENTRIES + EXTRA), str(path)).entries}
    assert len(key_of) == MAX_ENTRIES
    assert store.known_keys([key_of["Story 0"], key_of[f"Story {MAX_ENTRIES + EXTRA - 1}"]]) == {
        key_of["Story 0"], key_of[f"Story {MAX_ENTRIES + EXTRA - 1}"]}
