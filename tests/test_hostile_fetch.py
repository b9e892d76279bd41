"""What the bot refuses to fetch, post or remember when a feed is hostile.

The feed is served on 127.0.0.1 and configured by URL: the editor's choice, so its own host is
trusted, pages and images there included. Everything a feed points at on another private host
(`localhost` and `127.0.0.2` are other hosts; so is another port) is neither fetched (the fake
servers record every request) nor posted (the fake X and Facebook record every post).
"""

from __future__ import annotations

import ipaddress
import socket
import struct
import time
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pytest

from bot.config import parse_config
from bot.feeds.errors import FeedTimeout, FetchError
from bot.feeds.fetch import FetchLimits, fetch_feed
from bot.feeds.page import fetch_article
from bot.net.policy import Allowlist, Guard, is_public
from bot.poll import poll_feed
from bot.report.status import status_lines
from bot.store import Store
from tests.fakes.feed_server import FeedServer
from tests.helpers import bot_env, fake_graph, fake_x, run_bot

NOW = datetime.now(UTC)
SECRET_PAGE = ("<html><head><title>Internal</title></head><body><article><h1>Internal</h1>"
               + "<p>SECRET-TOKEN the database password is hunter2, for staff eyes only.</p>" * 20
               + "</article></body></html>")


def _png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\x00" + b"\xff\x00\x00" * 4 for _ in range(4))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 4, 4, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def _item(n: int, title: str, link: str, *, content: bool = True, image: str | None = None) -> str:
    published = format_datetime(NOW - timedelta(minutes=60 - n))
    body = (f"<content:encoded><![CDATA[<p>{title}: the full story, told at length for readers.</p>"
            "<p>A second paragraph.</p>]]></content:encoded>") if content else ""
    media = f'<media:content url="{escape(image)}" medium="image" type="image/png"/>' if image else ""
    return (f"<item><title>{escape(title)}</title><link>{escape(link)}</link><guid>item-{n}</guid>"
            f"<pubDate>{published}</pubDate><description>{escape(title)}: a teaser.</description>"
            f"{body}{media}</item>")


def _rss(*items: str) -> str:
    return ('<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" '
            'xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:media="http://search.yahoo.com/mrss/">'
            "<channel><title>Hostile News</title><link>https://news.example.org/</link><description>d</description>"
            + "".join(items) + "</channel></rss>")


@pytest.fixture
def site() -> Iterator[FeedServer]:
    """The feed's own host, configured by URL."""
    with FeedServer() as srv:
        yield srv


@pytest.fixture
def internal() -> Iterator[FeedServer]:
    """Another machine on the private network (127.0.0.2), with things worth stealing."""
    with FeedServer(host="127.0.0.2") as srv:
        srv.set("/secret", SECRET_PAGE, content_type="text/html; charset=utf-8")
        srv.set("/photo.png", _png(), content_type="image/png")
        srv.set("/feed.xml", _rss(_item(1, "Injected entry", "https://evil.example/")))
        yield srv


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "bot.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_nothing_internal_is_fetched_or_published(tmp_path: Path, site: FeedServer, internal: FeedServer) -> None:
    """One `bot run --once` over a feed whose entries point at internal hosts and a javascript: link."""
    own = site.url
    site.set("/own", "<html><head><title>Own</title>"
             f'<meta property="og:image" content="{internal.url}/photo.png"></head><body><article>'
             + "<p>OWN-PAGE-TEXT the library opens on Sundays from next month.</p>" * 20
             + "</article></body></html>", content_type="text/html; charset=utf-8")
    site.set("/secret", SECRET_PAGE, content_type="text/html; charset=utf-8")
    site.set("/photo.png", _png(), content_type="image/png")
    site.set("/feed.xml", _rss(
        _item(1, "Own page teaser", f"{own}/own", content=False),  # fetched: the feed's own host
        _item(2, "Internal teaser", f"{internal.url}/secret", content=False),
        _item(3, "Localhost teaser", f"http://localhost:{site.port}/secret", content=False),
        _item(4, "Metadata teaser", "http://169.254.169.254/latest/meta-data/", content=False),
        _item(5, "Internal image", f"{own}/five", image=f"{internal.url}/photo.png"),
        _item(6, "Own image", f"{own}/six", image=f"{own}/photo.png"),  # uploaded: the feed's own host
        _item(7, "Script link", "javascript:alert(document.cookie)"),
    ))
    config = _write(tmp_path, f'[[feeds]]\nurl = "{site.url_for("/feed.xml")}"\nbackfill = 10\n'
                              # not paced (burst_gap): this test is about what is fetched, not when it goes
                              '[platforms.twitter]\nburst_gap = "0s"\n[platforms.facebook]\nburst_gap = "0s"\n')
    with fake_x() as x, fake_graph() as graph:
        env = bot_env(x.url, graph.url, f"sqlite:///{tmp_path / 'state.db'}", config)
        run = run_bot(["run", "--once"], env, tmp_path)
        tweets, posts, uploads = x.tweets, graph.posts, x.uploads
    # Every entry posted, from the feed's own words (Facebook itself refuses a link to "localhost": a refused post
    # is exit 1 with a line on stderr, for cron's mail).
    assert run.returncode == 1 and "bot: facebook: post #" in run.stderr and "FAILED" in run.stderr, run.stderr
    assert len(tweets) == 7 and len(posts) == 6, run.stdout

    assert internal.requests == [], "nothing was asked of the internal host"
    assert site.hits("/secret") == 0, "localhost is another host than 127.0.0.1, though the same machine"
    published = " ".join([t["text"] for t in tweets] + [str(p.get("message")) + str(p.get("link")) for p in posts])
    assert "SECRET-TOKEN" not in published
    assert "javascript:" not in published and "document.cookie" not in published
    by_title = {next(t for t in ("Own page", "Internal teaser", "Localhost", "Metadata", "Internal image",
                                 "Own image", "Script link") if t in tweet["text"]): tweet for tweet in tweets}
    assert by_title["Internal image"]["media_ids"] == [] and by_title["Own page"]["media_ids"] == []
    assert len(uploads) == 1 and by_title["Own image"]["media_ids"] == [uploads[0]["id"]]
    # The feed's own host is the editor's: its page was read for the teaser (and its image asked for).
    assert site.hits("/own") == 1 and site.hits("/photo.png") == 1
    assert "OWN-PAGE-TEXT" in " ".join(str(p.get("message")) for p in posts)
    assert "169.254.169.254 is at 169.254.169.254, a non-public address" in run.stdout
    assert "not a web page: posting it without a link" in run.stdout


def _poll_config(tmp_path: Path, feed_url: str, bot: str = "") -> Any:
    return parse_config(f'[bot]\n{bot}\n[[feeds]]\nurl = "{feed_url}"\n[platforms.twitter]\n', tmp_path / "bot.toml")


def test_a_redirect_from_the_feed_to_another_private_host_is_refused(tmp_path: Path, site: FeedServer,
                                                                     internal: FeedServer, store: Store) -> None:
    site.redirect("/feed.xml", f"{internal.url}/feed.xml", 302)
    config = _poll_config(tmp_path, site.url_for("/feed.xml"))
    report = poll_feed(config, store, config.feeds[0], now=NOW)
    assert report.status == "error" and "refused: 127.0.0.2 is at 127.0.0.2" in (report.error or "")
    site.redirect("/other.xml", f"http://localhost:{site.port}/feed.xml", 301)
    with pytest.raises(FetchError, match="refused: localhost is at"):
        fetch_feed(site.url_for("/other.xml"))
    assert internal.requests == [] and site.hits("/feed.xml") == 1
    # A redirect within the feed's own host is followed, as ever.
    site.set("/new.xml", _rss(_item(1, "Moved", "https://news.example.org/1")))
    site.redirect("/old.xml", "/new.xml", 301)
    assert fetch_feed(site.url_for("/old.xml")).status == 200


def test_allow_private_names_intranet_hosts_and_networks(tmp_path: Path, site: FeedServer,
                                                         internal: FeedServer) -> None:
    page = f"{internal.url}/secret"
    for allow in ('["127.0.0.2"]', '["127.0.0.0/24"]'):
        config = _poll_config(tmp_path, site.url_for("/feed.xml"), f"allow_private = {allow}")
        assert "hunter2" in fetch_article(page, guard=Guard(config.allow_private)).text
    config = _poll_config(tmp_path, site.url_for("/feed.xml"), 'allow_private = ["localhost"]')
    site.set("/secret", SECRET_PAGE, content_type="text/html; charset=utf-8")
    assert "hunter2" in fetch_article(f"http://localhost:{site.port}/secret", guard=Guard(config.allow_private)).text
    with pytest.raises(FetchError, match="refused"):  # a name does not admit other names for the same machine
        fetch_article(page, guard=Guard(config.allow_private))
    assert len(internal.requests) == 2


def test_a_name_that_changes_its_address_cannot_slip_through(site: FeedServer, monkeypatch: Any) -> None:
    """DNS rebinding: a public answer for a check, loopback for the connection. The bot resolves once,
    checks, and connects to the address it checked."""
    site.set("/secret", SECRET_PAGE, content_type="text/html; charset=utf-8")
    real = socket.getaddrinfo
    answers = iter(["93.184.216.34"] + ["127.0.0.1"] * 20)

    def rebinding(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host == "rebind.example":
            host = next(answers)
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    with pytest.raises(FetchError):
        fetch_article(f"http://rebind.example:{site.port}/secret", guard=Guard(),
                      limits=FetchLimits(connect_timeout=1, read_timeout=1, total_deadline=2))
    with pytest.raises(FetchError, match=r"refused: rebind\.example is at 127\.0\.0\.1"):
        fetch_article(f"http://rebind.example:{site.port}/secret", guard=Guard())
    assert site.hits("/secret") == 0


@pytest.mark.parametrize("address", [
    "127.0.0.1", "127.0.0.2", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1",
    "0.0.0.0", "224.0.0.1", "255.255.255.255", "::1", "::", "fe80::1", "fc00::1", "fd12:3456::1",
    "::ffff:127.0.0.1", "::ffff:169.254.169.254", "64:ff9b::a9fe:a9fe", "2002:7f00:1::1", "fec0::1",
])
def test_non_public_addresses(address: str) -> None:
    assert not is_public(ipaddress.ip_address(address))
    assert not Allowlist().admits(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:4700::1111", "::ffff:8.8.8.8"])
def test_public_addresses(address: str) -> None:
    assert is_public(ipaddress.ip_address(address))


def test_local_files_are_never_read_for_bot_post(tmp_path: Path) -> None:
    secret = tmp_path / "secret.html"
    secret.write_text(SECRET_PAGE, encoding="utf-8")
    config = _write(tmp_path, f'[[feeds]]\nurl = "{secret}"\n[platforms.twitter]\n')
    env = bot_env(None, None, f"sqlite:///{tmp_path / 'state.db'}", config)
    for target in (str(secret), secret.as_uri()):
        run = run_bot(["post", target, "--dry-run"], env, tmp_path)
        assert run.returncode != 0 and "SECRET-TOKEN" not in run.stdout + run.stderr
        assert "not a web page address" in run.stderr


def test_a_permanent_redirect_to_another_host_is_stored_only_after_a_day(
        tmp_path: Path, site: FeedServer, internal: FeedServer, store: Store) -> None:
    # The new host must be reachable at all: an allowed intranet host stands in for a public one.
    config = _poll_config(tmp_path, site.url_for("/feed.xml"), 'allow_private = ["127.0.0.2"]')
    feed = config.feeds[0]
    moved = f"{internal.url}/feed.xml"
    site.redirect("/feed.xml", moved, 301)
    hour = timedelta(hours=1)

    assert poll_feed(config, store, feed, now=NOW).status == "ok"
    state = store.feed_state(feed.url)
    assert state is not None and state.current_url is None and state.move_candidate == moved
    assert any("redirects permanently to " + moved in line for line in status_lines(config, store, NOW.timestamp()))
    for hours in (1, 12, 23):  # every poll starts again from the configured URL
        poll_feed(config, store, feed, now=NOW + hours * hour)
        assert (state := store.feed_state(feed.url)) is not None and state.current_url is None
    assert site.hits("/feed.xml") == 4
    poll_feed(config, store, feed, now=NOW + 25 * hour)
    assert (state := store.feed_state(feed.url)) is not None and state.current_url == moved
    assert state.move_candidate is None
    assert any(f"read from {moved}" in line for line in status_lines(config, store, NOW.timestamp()))
    poll_feed(config, store, feed, now=NOW + 26 * hour)
    assert site.hits("/feed.xml") == 5, "once confirmed, the feed is read from its new address"


def test_a_cross_host_redirect_that_stops_is_forgotten(tmp_path: Path, site: FeedServer, internal: FeedServer,
                                                       store: Store) -> None:
    config = _poll_config(tmp_path, site.url_for("/feed.xml"), 'allow_private = ["127.0.0.2"]')
    feed = config.feeds[0]
    site.redirect("/feed.xml", f"{internal.url}/feed.xml", 308)
    poll_feed(config, store, feed, now=NOW)
    site.set("/feed.xml", _rss(_item(1, "Back home", "https://news.example.org/1")))
    poll_feed(config, store, feed, now=NOW + timedelta(hours=2))
    assert (state := store.feed_state(feed.url)) is not None and state.move_candidate is None
    site.redirect("/feed.xml", f"{internal.url}/feed.xml", 308)
    poll_feed(config, store, feed, now=NOW + timedelta(hours=3))
    poll_feed(config, store, feed, now=NOW + timedelta(hours=25))  # a day after the first sighting, not this one
    assert (state := store.feed_state(feed.url)) is not None and state.current_url is None


def test_a_trickling_feed_is_cut_at_the_deadline(site: FeedServer) -> None:
    site.set("/slow.xml", _rss(*(_item(n, f"Item {n}", f"https://news.example.org/{n}") for n in range(20))))
    site.slow("/slow.xml", bytes_per_second=0.4)  # a byte every 2.5 s: each read is well within its timeout
    started = time.monotonic()
    with pytest.raises(FeedTimeout, match="3 s deadline"):
        fetch_feed(site.url_for("/slow.xml"), limits=FetchLimits(total_deadline=3))
    assert time.monotonic() - started < 4.5, "the read in progress at the deadline is cut there"
    assert FetchLimits().total_deadline == 30.0


def test_bot_run_once_gives_a_trickling_feed_fetch_deadline_and_no_more(tmp_path: Path, site: FeedServer) -> None:
    site.set("/slow.xml", _rss(*(_item(n, f"Item {n}", f"https://news.example.org/{n}") for n in range(20))))
    site.slow("/slow.xml", bytes_per_second=20)
    config = _write(tmp_path, f'[bot]\nfetch_deadline = "2s"\n[[feeds]]\nurl = "{site.url_for("/slow.xml")}"\n'
                              "[platforms.twitter]\n")
    env = bot_env(None, None, f"sqlite:///{tmp_path / 'state.db'}", config)
    started = time.monotonic()
    run = run_bot(["run", "--once"], env, tmp_path)
    took = time.monotonic() - started
    assert run.returncode == 0, run.stderr + run.stdout
    assert "download not finished within the 2 s deadline" in run.stdout
    assert took < 20, f"bot run --once took {took:.1f} s"
    assert parse_config('[[feeds]]\nurl = "https://example.org/feed"\n', None).fetch_deadline == 30.0
