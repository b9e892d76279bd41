"""Seen identities across feeds, on SQLite and Postgres: real feeds over HTTP, the real poll.

An opaque guid ("1") names an entry only within its feed; a URL names the article everywhere;
a link shared by several entries of a feed names none of them. And an upgrade from the schema
before that (version 2) keeps everything recorded: nothing posted comes back.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime

import pytest

from bot.config import Config, parse_config
from bot.poll import poll_feed
from bot.store import Store, open_store
from bot.store.base import POSTED
from bot.store.migrations import MIGRATIONS
from bot.store.sql import SqlStore
from tests.fakes.feed_server import FeedServer
from tests.feedgen import Entry
from tests.feedgen import rss_entries as rss


@pytest.fixture
def server() -> Iterator[FeedServer]:
    with FeedServer() as s:
        yield s


def _serve(server: FeedServer, path: str, body: str) -> None:
    server.set(path, body, etag=False)  # no ETag: each poll reads and judges every entry again


def _config(server: FeedServer, *paths: str) -> Config:
    feeds = "".join(f'[[feeds]]\nurl = "{server.url_for(p)}"\nname = "{p}"\n' for p in paths)
    return parse_config(feeds + "[platforms.twitter]\n[platforms.facebook]\n", None)


def _poll(config: Config, store: Store, path: str) -> int:
    """Poll one feed (by its path) now; returns how many posts it queued."""
    feed = next(f for f in config.feeds if f.name == path)
    report = poll_feed(config, store, feed, now=datetime.now(UTC), force=True)
    assert report.status == "ok", report
    return report.queued


def _queued_links(store: Store) -> list[str]:
    return sorted(d.article_url for d in store.deliveries(platform="twitter", limit=1000))


def test_opaque_guids_of_two_feeds_are_two_articles(store: Store, server: FeedServer) -> None:
    _serve(server, "/a.xml", rss([("1", "https://a.example/news/1", "A's first story", 60)]))
    _serve(server, "/b.xml", rss([("7", "https://b.example/items/7", "B's older story", 60)]))
    config = _config(server, "/a.xml", "/b.xml")
    assert _poll(config, store, "/a.xml") == 0 and _poll(config, store, "/b.xml") == 0  # baselines

    # another system numbers its entries from 1 too: B's guid "1" is not A's
    _serve(server, "/b.xml", rss([("1", "https://b.example/items/1", "B's new story", 5),
                              ("7", "https://b.example/items/7", "B's older story", 60)]))
    assert _poll(config, store, "/b.xml") == 2  # one post per platform
    assert _queued_links(store) == ["https://b.example/items/1"]
    assert _poll(config, store, "/a.xml") == 0 and _poll(config, store, "/b.xml") == 0

    # the feed's identity is its configured URL: a feed that moves keeps what it has seen
    for edit in ("(updated)", "(updated again)"):
        _serve(server, "/b-new.xml", rss([("1", "https://b.example/items/1", "B's new story", 5),
                                      ("7", "https://b.example/items/7", f"B's older story {edit}", 60)]))
        server.redirect("/b.xml", "/b-new.xml", status=301)
        assert _poll(config, store, "/b.xml") == 0
        state = store.feed_state(server.url_for("/b.xml"))
        assert state is not None and state.current_url == server.url_for("/b-new.xml")
    assert _queued_links(store) == ["https://b.example/items/1"]


def test_an_article_in_two_feeds_is_posted_once(store: Store, server: FeedServer) -> None:
    old: Entry = ("https://site.example/?p=10", "https://site.example/2026/old/", "Old story", 600)
    _serve(server, "/main.xml", rss([old]))
    _serve(server, "/politics.xml", rss([old]))
    config = _config(server, "/main.xml", "/politics.xml")
    assert _poll(config, store, "/main.xml") == 0 and _poll(config, store, "/politics.xml") == 0

    # the same article in the site's main feed and in a category feed: a URL guid names it everywhere,
    # and so does its link when the guid is opaque
    by_url_guid: Entry = ("https://site.example/?p=11", "https://site.example/2026/vote/", "The vote", 10)
    by_link: Entry = ("post-12", "https://site.example/2026/budget/?utm_source=rss", "The budget", 5)
    _serve(server, "/main.xml", rss([by_link, by_url_guid, old]))
    _serve(server, "/politics.xml", rss([(by_link[0], "https://site.example/2026/budget/", *by_link[2:]),
                                     by_url_guid, old]))
    assert _poll(config, store, "/main.xml") == 4
    assert _poll(config, store, "/politics.xml") == 0
    assert _queued_links(store) == ["https://site.example/2026/budget/", "https://site.example/2026/vote/"]


def test_entries_sharing_one_link_are_each_posted_and_it_is_logged(
        store: Store, server: FeedServer, caplog: pytest.LogCaptureFixture) -> None:
    home = "https://h.example/"
    _serve(server, "/h.xml", rss([(None, home, "Yesterday's story", 60 * 20)]))
    config = _config(server, "/h.xml")
    assert _poll(config, store, "/h.xml") == 0

    # a site that links every item to its home page, without guids: four new stories
    stories: list[Entry] = [(None, home, f"Story {n} of the day", 10 * n) for n in range(1, 5)]
    _serve(server, "/h.xml", rss([*stories, (None, home, "Yesterday's story", 60 * 20)]))
    with caplog.at_level(logging.WARNING, logger="bot.poll"):
        assert _poll(config, store, "/h.xml") == 8
    titles = sorted(d.title for d in store.deliveries(platform="twitter"))
    assert titles == [f"Story {n} of the day" for n in range(1, 5)]
    warnings = [r.getMessage() for r in caplog.records if home in r.getMessage()]
    assert len(warnings) == 1 and "4 new entries" in warnings[0] and "cannot identify them" in warnings[0]

    # nothing new: nothing queued, nothing said
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="bot.poll"):
        assert _poll(config, store, "/h.xml") == 0
    assert not [r for r in caplog.records if home in r.getMessage()]


def test_an_edited_story_under_a_shared_link_is_not_new_but_a_namesake_is(store: Store, server: FeedServer) -> None:
    home = "https://h.example/"
    _serve(server, "/h.xml", rss([(None, home, "Budget vote", 30), (None, home, "Daily briefing", 20)]))
    config = _config(server, "/h.xml")
    assert _poll(config, store, "/h.xml") == 0
    # the budget story's text is corrected (its content hash changes); a new briefing has the old one's title
    body = rss([(None, home, "Daily briefing", 5), (None, home, "Budget vote", 30), (None, home, "Daily briefing", 20)])
    first = body.index("Daily briefing: what happened")
    body = body[:first] + "Today: " + body[first:]
    _serve(server, "/h.xml", body.replace("Budget vote: what happened", "Budget vote: what really happened"))
    assert _poll(config, store, "/h.xml") == 2
    assert [d.title for d in store.deliveries(platform="twitter")] == ["Daily briefing"]


def test_an_entry_left_alone_with_a_shared_link_is_not_new(store: Store, server: FeedServer) -> None:
    home = "https://h.example/"
    _serve(server, "/h.xml", rss([(None, home, "Story 1", 30), (None, home, "Story 2", 20)]))
    config = _config(server, "/h.xml")
    assert _poll(config, store, "/h.xml") == 0
    _serve(server, "/h.xml", rss([(None, home, "Story 3", 10), (None, home, "Story 2", 20),
                                  (None, home, "Story 1", 30)]))
    assert _poll(config, store, "/h.xml") == 2

    # the others leave the feed: the one left alone with the home link (now its identity) is the same story
    _serve(server, "/h.xml", rss([("s-4", "https://h.example/story-4", "Story 4", 1), (None, home, "Story 3", 10)]))
    assert _poll(config, store, "/h.xml") == 2
    assert _queued_links(store) == [home, "https://h.example/story-4"]


# --- the upgrade -----------------------------------------------------------------------------------

BASE_VERSION = 2  # the schema before identities were scoped by feed


def _database_at_base_version(db_url: str, feeds: Sequence[str], seen: Sequence[tuple[str, str, str, str, str]],
                              outbox: Sequence[tuple[str, str, str, str, str, str]]) -> None:
    """A database as the code of schema 2 left it, with rows as that code wrote them:
    seen (key, article_key, feed_url, url, title); outbox (article_key, platform, feed_url, article_url,
    title, state)."""
    old = open_store(db_url, migrate=False)
    assert isinstance(old, SqlStore)
    with old._transaction() as cur:
        old._exec(cur, "CREATE TABLE schema_version (version INTEGER NOT NULL)")
        old._exec(cur, "INSERT INTO schema_version (version) VALUES (?)", (BASE_VERSION,))
        for script in MIGRATIONS[:BASE_VERSION]:
            old._run_script(cur, script.format(real=old.real_type, serial=old.serial_type))
        for url in feeds:
            old._exec(cur, "INSERT INTO feeds (url, baseline_done, last_success_at) VALUES (?, 1, 1.0)", (url,))
        for row in seen:
            old._exec(cur, "INSERT INTO seen (key, article_key, feed_url, url, title, published_at, first_seen_at, "
                           "last_seen_at) VALUES (?, ?, ?, ?, ?, NULL, 1.0, 1.0)", row)
        for article_key, platform, feed_url, article_url, title, state in outbox:
            old._exec(cur, "INSERT INTO outbox (article_key, platform, feed_url, article_url, title, text, link, "
                           "hashtags, thread, created_at, state, due_at, remote_id, posted_at) "
                           "VALUES (?, ?, ?, ?, ?, ?, ?, '[]', '[]', 1.0, ?, 1.0, ?, ?)",
                      (article_key, platform, feed_url, article_url, title, f"{title} {article_url}", article_url,
                       state, "r-" + article_key if state == POSTED else None, 2.0 if state == POSTED else None))
    old.close()


def test_upgrade_keeps_every_recorded_identity(db_url: str, server: FeedServer) -> None:
    fa, fb, fh = server.url_for("/a.xml"), server.url_for("/b.xml"), server.url_for("/h.xml")
    a1, a2, a3 = "https://a.example/1", "https://a.example/2", "https://a.example/3"
    b1, b3, home = "https://b.example/1", "https://b.example/3", "https://h.example/"
    platforms = ("twitter", "facebook")
    # What schema 2's code recorded: every identity of every entry in one key space, so B's guid "1"
    # found A's row taken and kept only its link rows; H's two entries, which share one link, were one
    # article under it (the first one was posted); A's "2" was baselined, then posted by `bot post a2`,
    # which took the feed's key for it; B's "3", hidden behind A's, was posted by `bot post b3` under
    # that same key "3"; and one `bot post --text`.
    seen = [("1", "1", fa, a1, "A one"), (a1, "1", fa, a1, "A one"), ("http://a.example/1", "1", fa, a1, "A one"),
            ("2", "2", fa, a2, "A two"), (a2, "2", fa, a2, "A two"), ("http://a.example/2", "2", fa, a2, "A two"),
            (b1, "1", fb, b1, "B one"), ("http://b.example/1", "1", fb, b1, "B one"),
            ("3", "3", fa, a3, "A three"), (a3, "3", fa, a3, "A three"), (b3, "3", fb, b3, "B three"),
            (home, home, fh, home, "H older"), ("http://h.example/", home, fh, home, "H older"),
            ("text:abc", "text:abc", "cli", "", "Closed on Monday")]
    outbox = [("1", p, fa, a1, "A one", POSTED) for p in platforms]
    outbox += [(home, p, fh, home, "H newer", POSTED) for p in platforms]
    outbox += [("2", p, "cli", a2, "A two", POSTED) for p in platforms]
    outbox += [("3", p, "cli", b3, "B three", POSTED) for p in platforms]
    outbox += [("text:abc", "twitter", "cli", "", "Closed on Monday", POSTED)]
    _database_at_base_version(db_url, [fa, fb, fh], seen, outbox)

    store = open_store(db_url)  # upgrades
    try:
        assert {s.url for s in store.all_feed_states() if s.legacy_links} == {fa, fb, fh}
        rows = {(d.article_key, d.platform, d.feed_url) for d in store.deliveries(limit=100)}
        assert rows == {*((f"feed:{fa} 1", p, fa) for p in platforms), *((home, p, fh) for p in platforms),
                        *((f"feed:{fa} 2", p, "cli") for p in platforms),
                        *((f"feed:{fb} 3", p, "cli") for p in platforms), ("text:abc", "twitter", "cli")}
        # `bot post URL` finds each article, and what was posted of it, under its new key
        assert store.article_keys_for([a2]) == {f"feed:{fa} 2"}
        assert len(store.deliveries(article_key=f"feed:{fa} 2")) == 2
        assert store.article_keys_for([b3]) == {f"feed:{fb} 3"}
        assert len(store.deliveries(article_key=f"feed:{fb} 3")) == 2
        assert store.article_keys_for([b1]) == {f"feed:{fb} 1"}
        assert store.known_keys(["text:abc", "1", "2"]) == {"text:abc"}

        # The feeds as they are now. A moved to www. but kept its guids: only the guid knows its articles.
        _serve(server, "/a.xml", rss([("1", "https://www.a.example/1", "A one", 60 * 30),
                                      ("2", "https://www.a.example/2", "A two", 60 * 20)]))
        _serve(server, "/b.xml", rss([("1", b1, "B one", 60 * 10), ("3", b3, "B three", 60 * 11)]))
        _serve(server, "/h.xml", rss([(None, home, "H newer", 60 * 5), (None, home, "H older", 60 * 6)]))
        config = _config(server, "/a.xml", "/b.xml", "/h.xml")
        assert [_poll(config, store, p) for p in ("/a.xml", "/b.xml", "/h.xml")] == [0, 0, 0]
        assert not any(s.legacy_links for s in store.all_feed_states())

        # and from now on each feed's own ids and each shared-link story count
        _serve(server, "/b.xml", rss([("2", "https://b.example/2", "B two", 3), ("1", b1, "B one", 60 * 10),
                                      ("3", b3, "B three", 60 * 11)]))
        _serve(server, "/h.xml", rss([(None, home, "H newest", 2), (None, home, "H newer", 60 * 5),
                                      (None, home, "H older", 60 * 6)]))
        assert [_poll(config, store, p) for p in ("/a.xml", "/b.xml", "/h.xml")] == [0, 2, 2]
        assert {d.title for d in store.deliveries(platform="twitter", states=("queued",))} == {"B two", "H newest"}
    finally:
        store.close()
