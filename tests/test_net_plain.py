"""bot.net.plain, the standard-library fetch of feeds: what it does beyond requests' behaviour it replaces.

Connections are kept across fetches; one the server dropped meanwhile is replaced, not a failed feed; a cookie
wall (a cookie set on a redirect) is left to requests, which carries the cookie. A raw socket server plays the
site, so each connection and each request it saw can be counted.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator

import pytest

from bot.feeds.fetch import FetchLimits, fetch_feed
from bot.net import plain

LIMITS = FetchLimits(connect_timeout=2, read_timeout=2, total_deadline=4)
BODY = b"<rss version='2.0'><channel><title>t</title></channel></rss>"


def _read_request(conn: socket.socket) -> str | None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(4096)
        if not chunk:
            return None
        data += chunk
    return data.decode("latin-1")


class RawSite:
    """Accepts connections; `answer(request_text, index_on_connection)` returns the bytes to send, or None to
    close the connection without answering."""

    def __init__(self, answer: Callable[[str, int], bytes | None]) -> None:
        self.answer = answer
        self.connections = 0
        self.requests: list[str] = []
        self._sock = socket.create_server(("127.0.0.1", 0))
        self.port = self._sock.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._one, args=(conn,), daemon=True).start()

    def _one(self, conn: socket.socket) -> None:
        with conn:
            index = 0
            while (request := _read_request(conn)) is not None:
                self.requests.append(request)
                reply = self.answer(request, index)
                index += 1
                if reply is None:
                    return
                conn.sendall(reply)

    def close(self) -> None:
        self._sock.close()


@pytest.fixture
def site_factory() -> Iterator[Callable[[Callable[[str, int], bytes | None]], RawSite]]:
    sites: list[RawSite] = []

    def make(answer: Callable[[str, int], bytes | None]) -> RawSite:
        sites.append(RawSite(answer))
        return sites[-1]

    plain.close_idle()  # this thread's connections kept by earlier tests are no concern of these
    yield make
    plain.close_idle()
    for site in sites:
        site.close()


def _ok(body: bytes = BODY, extra: str = "") -> bytes:
    return (f"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nContent-Length: {len(body)}\r\n"
            f'ETag: "v1"\r\n{extra}\r\n').encode() + body


NOT_MODIFIED = b'HTTP/1.1 304 Not Modified\r\nETag: "v1"\r\n\r\n'


def test_a_connection_is_kept_across_fetches(site_factory: Callable[..., RawSite]) -> None:
    site = site_factory(lambda request, index: NOT_MODIFIED if "If-None-Match" in request else _ok())
    assert fetch_feed(site.url("/a.xml"), limits=LIMITS).body == BODY
    for path in ("/a.xml", "/b.xml", "/a.xml"):
        assert fetch_feed(site.url(path), etag='"v1"', limits=LIMITS).status == 304
    assert (len(site.requests), site.connections) == (4, 1)


def test_a_kept_connection_the_server_dropped_is_replaced(site_factory: Callable[..., RawSite]) -> None:
    """The server reads the second request on the kept connection and closes it unanswered (its keep-alive ran
    out as the request left): the fetch is asked again on a new connection, once."""
    site = site_factory(lambda request, index: None if index == 1 else NOT_MODIFIED)
    assert fetch_feed(site.url("/a.xml"), etag='"v1"', limits=LIMITS).status == 304
    assert fetch_feed(site.url("/a.xml"), etag='"v1"', limits=LIMITS).status == 304
    assert (len(site.requests), site.connections) == (3, 2)


def test_a_new_connection_closed_unanswered_is_a_failed_fetch_not_a_loop(
        site_factory: Callable[..., RawSite]) -> None:
    from bot.feeds.errors import FeedConnectionError

    site = site_factory(lambda request, index: None)
    with pytest.raises(FeedConnectionError, match="connection failed"):
        fetch_feed(site.url("/a.xml"), limits=LIMITS)
    assert (len(site.requests), site.connections) == (1, 1)


def test_a_cookie_wall_is_passed_through_requests(site_factory: Callable[..., RawSite]) -> None:
    """/feed sets a cookie and redirects to itself; with the cookie it answers. http.client keeps no cookies:
    the fetch is asked again through requests, which carries it."""

    def answer(request: str, index: int) -> bytes:
        if "Cookie: wall=passed" in request:
            return _ok()
        return (b"HTTP/1.1 302 Found\r\nSet-Cookie: wall=passed; Path=/\r\nLocation: /feed\r\n"
                b"Content-Length: 0\r\n\r\n")

    site = site_factory(answer)
    result = fetch_feed(site.url("/feed"), limits=LIMITS)
    assert result.status == 200 and result.body == BODY
    assert sum("Cookie: wall=passed" in r for r in site.requests) == 1
