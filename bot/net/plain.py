"""One guarded GET over the standard library's http.client, with connections kept per thread across feeds.

The common pass of a running bot asks every feed "changed since this ETag?" and hears 304. Over requests that
pass paid for importing requests and urllib3 (a tenth of a second of a 0.3 s process) and for a session's
per-request machinery. This fetcher does the same GET with the same safety, on the standard library:

- the destination guard (bot.net.policy): a host the request trusts is connected to as resolved; any other is
  resolved once, its non-public addresses refused, and the connection goes to an admitted address while the
  Host header and TLS SNI keep the name; each redirect hop is judged on its own, and connections opened under
  one judgement (trusted host, or an allowlist) are never reused under another;
- at most `max_redirects` redirects; the connect timeout, and a read timeout on each receive;
- the caller reads the body through `read1` and enforces its size cap and deadline (bot.feeds.fetch).

What it does not do it leaves to requests, by raising `NotPlain` before anything is returned: proxies, netrc
credentials, credentials in a URL, a cookie set on a redirect (a cookie wall), a content coding other than gzip
or deflate. `plain_enough` tells the caller beforehand for the first three; the others show up mid-way (the GET
is then asked again through requests: a GET changes nothing). TLS trusts what requests trusts: the bundle
REQUESTS_CA_BUNDLE or CURL_CA_BUNDLE names, else certifi's.
"""

from __future__ import annotations

import collections
import functools
import os
import select
import socket
import ssl
import threading
from dataclasses import dataclass, field
from http.client import HTTPConnection, HTTPResponse
from pathlib import Path
from urllib.parse import quote, urljoin, urlsplit

from bot.net.policy import Allowlist, Guard, host_and_port
from bot.net.resolve import addresses, admitted

_REDIRECTS = (301, 302, 303, 307, 308)
_IDLE_PER_THREAD = 16  # as requests' pool_connections: a thousand hosts must not mean a thousand open sockets
_SAFE = "!#$%&'()*+,/:;=?@[]~"  # requests' requote_uri: what stays as written in a path or query
_PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy")


class NotPlain(Exception):
    """This fetch needs what only requests does (see the module's docstring); nothing was returned."""


class ConnectTimeout(Exception):
    """No connection within the connect timeout."""


@dataclass
class Hop:
    """A redirect answer on the way: its status and Location, as bot.feeds.fetch reads `history`."""

    status_code: int
    headers: dict[str, str]


@dataclass
class Answer:
    """The last answer: its status, headers and body (read with `read1`), the URL it came from, the hops."""

    status: int
    headers: dict[str, str]
    url: str
    response: HTTPResponse
    history: list[Hop] = field(default_factory=list)
    sock: socket.socket | None = None
    _conn: HTTPConnection | None = None
    _key: tuple[object, ...] = ()

    def read1(self, n: int) -> bytes:
        return self.response.read1(n)

    def remaining(self) -> int | None:
        """Bytes of a Content-Length body not received yet (None when the body is chunked or read to close)."""
        return self.response.length

    def release(self, complete: bool) -> None:
        """Back to this thread's pool when the body was read to its end and the server keeps the connection;
        closed otherwise."""
        conn, self._conn = self._conn, None
        if conn is None:
            return
        if complete and self.response.length == 0 and not self.response.isclosed():
            self.response.read()  # read1 stops at the announced length without closing the response; this does
        if complete and not self.response.will_close and self.response.isclosed() and conn.sock is not None:
            _idle_put(self._key, conn)
        else:
            self.response.close()
            conn.close()


def plain_enough(url: str) -> bool:
    """Whether the standard-library fetch may serve `url` at all: no proxy in the environment, no netrc file,
    no credentials in the URL. Read on every call (a test or an operator may
    change them), but for the file in the home folder."""
    env = os.environ
    if any(env.get(name) or env.get(name.upper()) for name in _PROXY_VARIABLES):
        return False
    if env.get("NETRC"):
        return False
    return "@" not in urlsplit(url).netloc and not _home_netrc(os.path.expanduser("~"))


@functools.lru_cache(maxsize=4)
def _home_netrc(home: str) -> bool:
    """Whether ~/.netrc (or ~/_netrc) exists, looked at once per process as requests' session did per thread (an
    edited ~/.netrc applies at the next start), not with two stat calls for each feed."""
    return (Path(home) / ".netrc").exists() or (Path(home) / "_netrc").exists()


_local = threading.local()
_tls: dict[str | None, ssl.SSLContext] = {}
_tls_lock = threading.Lock()


def _context() -> ssl.SSLContext:
    """requests' trust: the bundle REQUESTS_CA_BUNDLE or CURL_CA_BUNDLE names (a file or a directory), else
    certifi's; hostnames checked."""
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or None
    with _tls_lock:
        context = _tls.get(bundle)
        if context is None:
            if bundle is None:
                import certifi

                context = ssl.create_default_context(cafile=certifi.where())
            elif os.path.isdir(bundle):
                context = ssl.create_default_context(capath=bundle)
            else:
                context = ssl.create_default_context(cafile=bundle)
            _tls[bundle] = context
        return context


def _idle() -> collections.OrderedDict[tuple[object, ...], HTTPConnection]:
    pool: collections.OrderedDict[tuple[object, ...], HTTPConnection] | None = getattr(_local, "idle", None)
    if pool is None:
        pool = _local.idle = collections.OrderedDict()
    return pool


def _idle_put(key: tuple[object, ...], conn: HTTPConnection) -> None:
    pool = _idle()
    old = pool.pop(key, None)
    if old is not None:
        old.close()
    pool[key] = conn
    while len(pool) > _IDLE_PER_THREAD:
        pool.popitem(last=False)[1].close()


def _idle_take(key: tuple[object, ...]) -> HTTPConnection | None:
    conn = _idle().pop(key, None)
    if conn is None or conn.sock is None:
        return None
    # An idle connection that has something to read has been closed by the server (or sent garbage): not reused.
    poller = select.poll()
    poller.register(conn.sock, select.POLLIN)
    if poller.poll(0):
        conn.close()
        return None
    return conn


def close_idle() -> None:
    """Close this thread's idle connections."""
    pool = _idle()
    while pool:
        pool.popitem()[1].close()


def _open_tcp(host: str, port: int, checked: Allowlist | None, timeout: float) -> socket.socket:
    """A TCP connection: to the name as resolved when the host is trusted, else to an admitted address of it."""
    if checked is None:
        # As bytes: the socket module runs a str through the idna codec (importing its tables) even when ASCII, and
        # host_and_port gave the ASCII (punycode) form. (typeshed says str; getaddrinfo takes bytes too.)
        return socket.create_connection((host.encode("ascii"), port), timeout=timeout)  # type: ignore[arg-type]
    last: OSError | None = None
    for address in admitted(checked, host, addresses(host, port)):
        try:
            return socket.create_connection((address, port), timeout=timeout)
        except OSError as exc:
            last = exc
    raise last or OSError(f"{host} has no address")


def _connect(scheme: str, host: str, port: int, checked: Allowlist | None, timeout: float,
             read_timeout: float) -> socket.socket:
    try:
        sock = _open_tcp(host, port, checked, timeout)
    except TimeoutError:
        raise ConnectTimeout(host) from None
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if scheme == "https":
            sock.settimeout(timeout)  # the TLS handshake belongs to connecting
            try:
                sock = _context().wrap_socket(sock, server_hostname=host)
            except TimeoutError:
                raise ConnectTimeout(host) from None
        sock.settimeout(read_timeout)
    except BaseException:
        sock.close()
        raise
    return sock


def _target(url: str) -> tuple[str, str, int, str]:
    """(scheme, host, port, request target) of an http(s) URL, the path and query requoted as requests does."""
    host, port = host_and_port(url)  # DestinationRefused for anything else
    parts = urlsplit(url)
    path = quote(parts.path, safe=_SAFE) or "/"
    query = quote(parts.query, safe=_SAFE)
    return parts.scheme.lower(), host, port, path + (f"?{query}" if query else "")


def _host_header(scheme: str, host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    return shown if port == (443 if scheme == "https" else 80) else f"{shown}:{port}"


def _url(scheme: str, host: str, port: int, target: str) -> str:
    return f"{scheme}://{_host_header(scheme, host, port)}{target}"


def _location(value: str) -> str:
    """A Location header as requests reads it: raw UTF-8 sent in a header comes in as latin-1."""
    try:
        return value.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return value


def _exchange(scheme: str, host: str, port: int, target: str, headers: dict[str, str], guard: Guard,
              connect_timeout: float, read_timeout: float) -> tuple[HTTPConnection, HTTPResponse, tuple[object, ...]]:
    checked = None if guard.trusts(host, port) else guard.allow
    key: tuple[object, ...] = (scheme, host, port, checked)
    conn = _idle_take(key)
    reused = conn is not None
    while True:
        if conn is None:
            conn = HTTPConnection(host, port, timeout=read_timeout)
            conn.sock = _connect(scheme, host, port, checked, connect_timeout, read_timeout)
        try:
            conn.putrequest("GET", target, skip_host=True, skip_accept_encoding=True)
            conn.putheader("Host", _host_header(scheme, host, port))
            for name, value in headers.items():
                conn.putheader(name, value)
            conn.endheaders()
            return conn, conn.getresponse(), key
        except (ConnectionResetError, BrokenPipeError, ConnectionAbortedError):  # RemoteDisconnected too
            conn.close()
            if not reused:
                raise
            # A kept connection the server dropped meanwhile (its keep-alive ran out): once more on a new one.
        except BaseException:
            conn.close()
            raise
        conn, reused = None, False


def get(url: str, headers: dict[str, str], guard: Guard, *, connect_timeout: float, read_timeout: float,
        max_redirects: int) -> Answer:
    """GET `url` under `guard`, following up to `max_redirects` redirects, each hop judged on its own.

    Raises DestinationRefused, ConnectTimeout, TooManyRedirects, NotPlain, or the socket's and http.client's own
    errors (TimeoutError for a read timeout). The caller reads the body (`Answer.read1`) and releases it."""
    history: list[Hop] = []
    current = url
    while True:
        scheme, host, port, target = _target(current)
        conn, resp, key = _exchange(scheme, host, port, target, headers, guard, connect_timeout, read_timeout)
        found = {k.lower(): v for k, v in resp.getheaders()}
        location = found.get("location")
        if resp.status not in _REDIRECTS or not location:
            coding = found.get("content-encoding", "identity").strip().lower()
            if coding not in ("", "identity", "gzip", "x-gzip", "deflate"):
                resp.close()
                conn.close()
                raise NotPlain(f"content coding {coding}")
            return Answer(resp.status, found, _url(scheme, host, port, target), resp, history, conn.sock, conn, key)
        if "set-cookie" in found:  # a cookie wall: requests carries the cookie to the next hop; this does not
            resp.close()
            conn.close()
            raise NotPlain("a cookie set on a redirect")
        # The redirect's own body is a few bytes of HTML: read (bounded) so the connection can be kept.
        resp.read(64 * 1024)
        Answer(resp.status, found, current, resp, _conn=conn, _key=key).release(resp.isclosed())
        if len(history) >= max_redirects:
            raise TooManyRedirects(current)
        history.append(Hop(resp.status, found))
        nxt = urljoin(_url(scheme, host, port, target), _location(location))
        if "@" in urlsplit(nxt).netloc:
            raise NotPlain("credentials in a redirect's address")
        current = nxt


class TooManyRedirects(Exception):
    """More redirects than the limit."""


class Decoder:
    """A gzip or deflate body decoded as it arrives, never more than the room the caller has left (a gzip bomb
    stops at the size cap, not in memory). Deflate is read as zlib data, else raw, as urllib3 does."""

    def __init__(self, coding: str) -> None:
        import zlib

        self._zlib = zlib
        self._gzip = coding in ("gzip", "x-gzip")
        self._obj = zlib.decompressobj(16 + zlib.MAX_WBITS if self._gzip else zlib.MAX_WBITS)
        self._first = b"" if not self._gzip else None

    def feed(self, data: bytes, room: int) -> bytes:
        """Up to `room` bytes of output (room itself means: more than the caller may take). zlib.error when the
        data is corrupt."""
        if self._first is not None:  # deflate, before its first output: zlib-wrapped or raw?
            self._first += data
            try:
                out = self._obj.decompress(data, room)
            except self._zlib.error:
                self._obj = self._zlib.decompressobj(-self._zlib.MAX_WBITS)
                data, self._first = self._first, None
                return self._obj.decompress(data, room)
            if out:
                self._first = None
            return out
        return self._obj.decompress(data, room)

    def flush(self) -> bytes:
        return self._obj.flush()


def decoder(headers: dict[str, str]) -> Decoder | None:
    """The decoder of an answer's Content-Encoding (`get` let only gzip, deflate and identity through)."""
    coding = headers.get("content-encoding", "identity").strip().lower()
    return Decoder(coding) if coding in ("gzip", "x-gzip", "deflate") else None
