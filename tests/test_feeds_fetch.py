"""fetch_feed / fetch_many over real HTTP against the local FeedServer, and from local files."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.feeds.errors import FeedConnectionError, FeedHTTPError, FeedTimeout, FeedTooLarge
from bot.feeds.fetch import FeedRequest, FetchLimits, fetch_feed, fetch_many
from bot.feeds.parse import parse_feed
from tests.fakes.feed_server import FeedServer

BODY = (b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>T</title>'
        + b"".join(b"<item><guid>g%d</guid><title>Item %d</title><description>" % (i, i) + b"x" * 2000
                   + b"</description></item>" for i in range(20)) + b"</channel></rss>")
FAST = FetchLimits(connect_timeout=2, read_timeout=1, total_deadline=2, max_bytes=1_000_000)


@pytest.fixture
def server() -> Iterator[FeedServer]:
    with FeedServer() as srv:
        yield srv


def test_conditional_get_with_etag_costs_no_body(server: FeedServer) -> None:
    url = server.set("/feed", BODY)
    first = fetch_feed(url, etag=None, last_modified=None, limits=FAST)
    assert first.status == 200 and first.body == BODY and first.etag
    assert len(parse_feed(first.body, first.final_url).entries) == 20
    again = fetch_feed(url, etag=first.etag, last_modified=None, limits=FAST)
    assert (again.status, again.body, again.etag) == (304, None, first.etag)
    server.set("/feed", BODY.replace(b"Item 0", b"Item zero"))
    changed = fetch_feed(url, etag=first.etag, last_modified=None, limits=FAST)
    assert changed.status == 200 and changed.etag != first.etag


def test_last_modified(server: FeedServer) -> None:
    url = server.set("/lm", BODY, etag=False, last_modified=datetime(2024, 1, 1, tzinfo=UTC))
    first = fetch_feed(url, etag=None, last_modified=None, limits=FAST)
    assert first.last_modified and first.etag is None
    again = fetch_feed(url, etag=None, last_modified=first.last_modified, limits=FAST)
    assert again.status == 304 and again.body is None


def test_gzip_is_requested_and_decoded(server: FeedServer) -> None:
    url = server.set("/gz", BODY)
    result = fetch_feed(url, etag=None, last_modified=None, limits=FAST)
    assert result.body == BODY
    [req] = [r for r in server.requests if r["path"] == "/gz"]
    assert "gzip" in req["request_headers"]["Accept-Encoding"]


def test_permanent_redirect_is_reported(server: FeedServer) -> None:
    server.set("/new", BODY)
    old = server.redirect("/old", "/new", 301)
    result = fetch_feed(old, etag=None, last_modified=None, limits=FAST)
    assert result.permanent_redirect and result.moved_to == server.url_for("/new")
    assert result.final_url == server.url_for("/new") and result.body == BODY
    temp = server.redirect("/temp", "/new", 302)
    result = fetch_feed(temp, etag=None, last_modified=None, limits=FAST)
    assert not result.permanent_redirect and result.moved_to is None
    server.redirect("/a", "/b", 308)
    server.redirect("/b", "/new", 307)
    result = fetch_feed(server.url_for("/a"), etag=None, last_modified=None, limits=FAST)
    assert result.permanent_redirect and result.moved_to == server.url_for("/b")


@pytest.mark.parametrize("status,retryable", [(503, True), (429, True), (404, False), (410, False)])
def test_http_errors(server: FeedServer, status: int, retryable: bool) -> None:
    url = server.set("/err", BODY)
    server.fail("/err", status)
    with pytest.raises(FeedHTTPError) as info:
        fetch_feed(url, etag=None, last_modified=None, limits=FAST)
    assert info.value.retryable is retryable and info.value.status == status
    assert str(info.value).startswith(f"feed {url}: HTTP {status}")


def test_trickling_server_is_cut_at_the_deadline(server: FeedServer) -> None:
    url = server.set("/slow", BODY * 5)
    server.slow("/slow", 200)  # 200 B/s: ~25 min for the body
    start = time.monotonic()
    with pytest.raises(FeedTimeout, match=f"feed {url}: .*deadline"):
        fetch_feed(url, etag=None, last_modified=None, limits=FAST)
    assert time.monotonic() - start < FAST.total_deadline + FAST.read_timeout + 0.5


def test_stalled_server_times_out(server: FeedServer) -> None:
    url = server.set("/stall", BODY)
    server.stall("/stall", 5)
    start = time.monotonic()
    with pytest.raises(FeedTimeout):
        fetch_feed(url, etag=None, last_modified=None, limits=FAST)
    assert time.monotonic() - start < 2


@pytest.mark.parametrize("kind", ["content-length", "streamed", "gzip-bomb"])
def test_huge_bodies_are_refused_while_streaming(server: FeedServer, kind: str) -> None:
    url = server.huge("/huge", 1_000_000_000, gzip=kind == "gzip-bomb", content_length=kind == "content-length")
    start = time.monotonic()
    with pytest.raises(FeedTooLarge, match=f"feed {url}: .*1000000-byte limit"):
        fetch_feed(url, etag=None, last_modified=None, limits=FAST)
    assert time.monotonic() - start < 2


def test_connection_refused() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(FeedConnectionError, match="connection failed"):
        fetch_feed(f"http://127.0.0.1:{port}/feed", etag=None, last_modified=None, limits=FAST)


def test_local_files(tmp_path: Path) -> None:
    path = tmp_path / "feed.xml"
    path.write_bytes(BODY)
    for url in (str(path), path.as_uri()):
        first = fetch_feed(url, etag=None, last_modified=None)
        assert first.status == 200 and first.body == BODY
        assert fetch_feed(url, etag=first.etag, last_modified=None).status == 304
    with pytest.raises(FeedTooLarge):
        fetch_feed(str(path), etag=None, last_modified=None, limits=FetchLimits(max_bytes=100))


def test_one_slow_feed_does_not_delay_the_others(server: FeedServer) -> None:
    urls = [server.set(f"/f{i}", BODY) for i in range(12)]
    slow = server.set("/slow", BODY)
    server.stall("/slow", 5)
    start = time.monotonic()
    outcomes = fetch_many([FeedRequest(slow), *urls], max_workers=4, limits=FAST)
    elapsed = time.monotonic() - start
    assert outcomes[0].error is not None and isinstance(outcomes[0].error, FeedTimeout)
    assert all(o.result is not None and o.result.status == 200 for o in outcomes[1:])
    assert all(o.seconds < 0.9 for o in outcomes[1:])
    assert elapsed < FAST.read_timeout + 1.5


def test_netrc_credentials_are_sent_as_requests_would(server: FeedServer, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """The feed session looks ~/.netrc up once per host (not on every request): its entry is still sent,
    a feed URL's own credentials still work for a host it does not list, and a second fetch keeps both."""
    server.set("/netrc.xml", BODY)
    server.require_auth("/netrc.xml", "reader", "from-netrc")
    server.set("/inline.xml", BODY)
    server.require_auth("/inline.xml", "inline", "in-url")
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login reader password from-netrc\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    inline = server.url_for("/inline.xml").replace("http://", "http://inline:in-url@")
    # One thread (fetch_many's are new ones, with a fresh session each): the second fetch takes the cached lookup.
    outcomes = fetch_many([server.url_for("/netrc.xml")] * 2, max_workers=1, limits=FAST)
    assert [o.error for o in outcomes] == [None, None]
    assert [o.result.body if o.result else None for o in outcomes] == [BODY, BODY]
    monkeypatch.delenv("NETRC")
    outcomes = fetch_many([inline] * 2, max_workers=1, limits=FAST)
    assert [o.error for o in outcomes] == [None, None]
    assert [o.result.body if o.result else None for o in outcomes] == [BODY, BODY]
    assert server.hits("/netrc.xml") == 2 and server.hits("/inline.xml") == 2
