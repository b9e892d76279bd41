"""fetch_feed: one conditional GET with limits; fetch_many: many feeds, bounded concurrency.

A 304 returns no body, so it costs no parsing. Limits are enforced while streaming: the body
is read in chunks as they arrive (`read1`), so a size cap counts decompressed bytes (a gzip
bomb stops at the cap), and the body is cut off at the total deadline (bot.net.watchdog), however
the server trickles it: 30 s by default, as feed readers settle for 15-30 s and one bad feed must
not hold a cron run for a minute.

Every connection goes through `bot.net` (a `Guard`): the URL asked for is the caller's choice
and its host is trusted; a redirect to, or a page on, any other non-public address is refused.
"""

from __future__ import annotations

import dataclasses
import os
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from email.utils import formatdate
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urljoin, urlsplit

from bot.errors import connection_problem
from bot.feeds.errors import (
    FeedConnectionError,
    FeedError,
    FeedFileError,
    FeedHTTPError,
    FeedTimeout,
    FeedTooLarge,
    FetchError,
)
from bot.net.policy import DestinationRefused, Guard
from bot.redact import strip_userinfo

if TYPE_CHECKING:
    from bot.feeds.parse import ParsedFeed
    from bot.net.session import GuardedSession

USER_AGENT = "bot-feeds/0.1 (+https://github.com/; feed reader posting to the site's own accounts)"
ACCEPT = ("application/rss+xml, application/atom+xml, application/feed+json, application/json;q=0.9, "
          "application/rdf+xml;q=0.9, application/xml;q=0.8, text/xml;q=0.8, */*;q=0.5")
_CHUNK = 64 * 1024


@dataclass(frozen=True)
class FetchLimits:
    connect_timeout: float = 10.0
    read_timeout: float = 20.0
    total_deadline: float = 30.0  # `[bot] fetch_deadline`
    max_bytes: int = 10 * 1024 * 1024
    max_redirects: int = 5


@dataclass(frozen=True)
class FetchResult:
    status: int  # 200 or 304
    body: bytes | None  # None on 304
    etag: str | None
    last_modified: str | None
    final_url: str  # where the body came from: pass it to parse_feed
    permanent_redirect: bool = False
    content_type: str | None = None
    # With permanent_redirect: the URL to store instead of the configured one (the end of the
    # run of 301/308 hops from the start; a later temporary hop is not followed for storage).
    moved_to: str | None = None
    seconds: float = 0.0


def is_local(url: str) -> bool:
    return url.startswith("file:") or "://" not in url


def local_path(url: str) -> Path:
    if url.startswith("file:"):
        return Path(unquote(urlsplit(url).path))
    return Path(url)


def _fetch_file(url: str, etag: str | None, last_modified: str | None, limits: FetchLimits) -> FetchResult:
    path = local_path(url)
    try:
        st = path.stat()
        if st.st_size > limits.max_bytes:
            raise FeedTooLarge(url, f"file is {st.st_size} bytes, over the {limits.max_bytes}-byte limit")
        tag = f'"{st.st_size:x}-{st.st_mtime_ns:x}"'
        modified = formatdate(st.st_mtime, usegmt=True)
        if etag == tag or (etag is None and last_modified == modified):
            return FetchResult(304, None, tag, modified, url)
        with path.open("rb") as fh:
            body = fh.read(limits.max_bytes + 1)
    except FeedError:
        raise
    except FileNotFoundError:
        # `bot post example.org/story` is a web address without its scheme, not a missing file.
        hint = None if url.startswith(("/", ".", "file:")) else "check the path; a web address needs https:// in front"
        raise FeedFileError(url, "no such file", hint=hint) from None
    except OSError as exc:
        raise FeedFileError(url, f"cannot read file: {exc.strerror or exc}") from None
    if len(body) > limits.max_bytes:
        raise FeedTooLarge(url, f"file is over the {limits.max_bytes}-byte limit")
    return FetchResult(200, body, tag, modified, url)


_sessions = threading.local()


def default_session() -> GuardedSession:
    """A per-thread session (requests.Session is not documented as thread-safe) with a
    connection pool, so polling many feeds on one host reuses connections."""
    s: GuardedSession | None = getattr(_sessions, "session", None)
    if s is None:
        s = _feed_session_class()()
        s.headers["User-Agent"] = USER_AGENT
        _sessions.session = s
    return s


def _feed_session_class() -> type[GuardedSession]:
    from requests.utils import get_environ_proxies, get_netrc_auth

    from bot.net.session import GuardedSession

    class FeedSession(GuardedSession):
        """requests reads the proxy variables from os.environ on every request (twice), and looks for
        ~/.netrc on disk (two stat calls): over a thousand feeds a cycle that was a fifth of the poll's
        CPU, then a twentieth. The environment does not change while the bot runs, so each scheme and
        host is looked up once per thread (an edited ~/.netrc applies at the next start)."""

        def __init__(self) -> None:
            super().__init__()
            self._proxies_for: dict[tuple[str, str], dict[str, str]] = {}
            self._netrc_for: dict[tuple[str, str], tuple[str, str] | None] = {}

        def prepare_request(self, request: Any) -> Any:
            if not self.trust_env or request.auth or self.auth:
                return super().prepare_request(request)
            where = urlsplit(request.url)[:2]
            if where not in self._netrc_for:
                self._netrc_for[where] = get_netrc_auth(request.url)
            # What requests would do itself: the netrc entry for the host, if any, else the URL's own.
            request.auth = self._netrc_for[where]
            self.trust_env = False
            try:
                return super().prepare_request(request)
            finally:
                self.trust_env = True

        def merge_environment_settings(self, url: Any, proxies: Any, stream: Any, verify: Any,
                                       cert: Any) -> Any:
            if not self.trust_env:
                return super().merge_environment_settings(url, proxies, stream, verify, cert)
            where = urlsplit(url)[:2]
            if where not in self._proxies_for:
                self._proxies_for[where] = get_environ_proxies(url)
            merged = {**self._proxies_for[where], **(proxies or {})}
            if verify is True or verify is None:
                verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or verify
            self.trust_env = False  # the environment is merged in above; the session is this thread's own
            try:
                return super().merge_environment_settings(url, merged, stream, verify, cert)
            finally:
                self.trust_env = True

    return FeedSession


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        from email.utils import parsedate_to_datetime

        try:
            return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
        except (TypeError, ValueError):
            return None


def _moved_to(url: str, history: Sequence[Any]) -> str | None:
    target = None
    current = url
    for hop in history:
        if hop.status_code not in (301, 308):
            break
        location = hop.headers.get("location")
        if not location:
            break
        current = urljoin(current, location)
        target = current
    return target


def fetch_feed(url: str, *, etag: str | None = None, last_modified: str | None = None,
               limits: FetchLimits = FetchLimits(), guard: Guard | None = None) -> FetchResult:
    """Fetch a feed with a conditional GET. Raises a FetchError subclass naming the feed.

    `guard` says where the fetch may connect; None trusts the host of `url` (the caller chose it)
    and nothing else that is not public. A file path is read as a file: pass only paths the config
    names, never a URL a feed or a page supplied (`fetch_article` refuses those).
    """
    start = time.monotonic()
    if is_local(url):
        return _fetch_file(url, etag, last_modified, limits)
    guard = guard if guard is not None else Guard().trusting(url)
    headers = {"Accept": ACCEPT, "Accept-Encoding": "gzip, deflate", "User-Agent": USER_AGENT}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    from bot.net import plain

    # The standard library's http.client, unless the fetch needs what only requests does (a proxy, netrc...):
    # importing requests was a third of a pass over unchanged feeds (issue 25; bot.net.plain).
    if plain.plain_enough(url):
        try:
            return _fetch_plain(url, headers, limits, guard, start)
        except plain.NotPlain:
            pass  # found out mid-way (a cookie wall, another content coding): asked again through requests
    return _fetch_requests(url, headers, limits, guard, start)


def _fetch_plain(url: str, headers: dict[str, str], limits: FetchLimits, guard: Guard, start: float) -> FetchResult:
    from http.client import HTTPException, InvalidURL

    from bot.net import plain

    deadline = start + limits.total_deadline
    read_timeout = min(limits.read_timeout, limits.total_deadline)
    if not _has_host(url):  # as requests says before sending anything ("http://", a port that is no number)
        raise FetchError(url, "invalid URL: no host and port to connect to", retryable=False,
                         hint="give a full address, e.g. https://example.org/feed/")
    try:
        answer = plain.get(url, {**headers, "Connection": "keep-alive"}, guard, connect_timeout=limits.connect_timeout,
                           read_timeout=read_timeout, max_redirects=limits.max_redirects)
    except DestinationRefused as exc:
        raise FetchError(url, f"refused: {exc}", retryable=False) from None
    except plain.ConnectTimeout:
        raise FeedTimeout(url, f"no connection within {limits.connect_timeout:g} s") from None
    except TimeoutError:
        raise FeedTimeout(url, f"server sent nothing for {read_timeout:g} s") from None
    except plain.TooManyRedirects:
        raise FetchError(url, f"more than {limits.max_redirects} redirects", retryable=False,
                         hint="the site redirects in a loop: check the URL") from None
    except (InvalidURL, UnicodeError) as exc:
        raise FetchError(url, f"invalid URL: {type(exc).__name__}", retryable=False,
                         hint="give a full address, e.g. https://example.org/feed/") from None
    except (OSError, HTTPException) as exc:
        raise FeedConnectionError(url, f"connection failed: {connection_problem(exc)}") from None
    complete = False
    try:
        result = _judged(url, answer.status, answer.history, answer.url, answer.headers, headers, limits, start,
                         # a 304 has no body: reading it gives the connection back to the pool
                         drain=lambda: answer.response.read(_CHUNK),
                         read_body=lambda: _read_plain_body(url, answer, limits, deadline))
        complete = True
        return result
    finally:
        answer.release(complete)


def _judged(url: str, status: int, history: Any, answer_url: str, answer_headers: Any, sent: dict[str, str],
            limits: FetchLimits, start: float, drain: Callable[[], object], read_body: Callable[[], bytes]
            ) -> FetchResult:
    """What either way of fetching (http.client, requests) makes of the answer to `sent`: a 304 (drained), an
    error status, a body announced over the limit, or the body read by `read_body`. Neither URL kept carries the
    feed URL's credentials: final_url is the base of the articles' relative links (which end up in posts), and
    moved_to is stored."""
    moved = _moved_to(url, history)
    moved = strip_userinfo(moved) if moved else None
    final_url = strip_userinfo(answer_url)
    new_etag = answer_headers.get("etag")
    new_modified = answer_headers.get("last-modified")
    content_type = answer_headers.get("content-type")
    if status == 304:
        drain()
        return FetchResult(304, None, new_etag or sent.get("If-None-Match"),
                           new_modified or sent.get("If-Modified-Since"), final_url, moved is not None,
                           content_type, moved, time.monotonic() - start)
    if status >= 400 or status < 200:
        raise FeedHTTPError(url, status, retry_after=_retry_after(answer_headers.get("retry-after")))
    declared = answer_headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limits.max_bytes:
        raise FeedTooLarge(url, f"server announces {int(declared)} bytes, over the {limits.max_bytes}-byte limit")
    body = read_body()
    return FetchResult(200, body, new_etag, new_modified, final_url, moved is not None, content_type, moved,
                       time.monotonic() - start)


def _has_host(url: str) -> bool:
    try:
        parts = urlsplit(url)
        return bool(parts.hostname) and (parts.port is None or parts.port > 0)
    except ValueError:
        return False


def _read_plain_body(url: str, answer: Any, limits: FetchLimits, deadline: float) -> bytes:
    """`_read_body` for bot.net.plain's answer: the same cap (on decoded bytes), deadline and messages."""
    import zlib
    from http.client import HTTPException

    from bot.net import plain
    from bot.net.watchdog import cut_at

    decoder = plain.decoder(answer.headers)
    chunks: list[bytes] = []
    total = 0
    try:
        with cut_at(deadline, answer.sock):
            while True:
                if time.monotonic() > deadline:
                    raise _past_deadline(url, limits, total)
                raw = answer.read1(_CHUNK)
                if not raw:  # the end of the body (or of the connection the watchdog cut)
                    break
                chunk = decoder.feed(raw, limits.max_bytes - total + 1) if decoder else raw
                total += len(chunk)
                if total > limits.max_bytes:
                    raise FeedTooLarge(url, f"body over the {limits.max_bytes}-byte limit; download stopped")
                chunks.append(chunk)
            if decoder:
                tail = decoder.flush()
                total += len(tail)
                if total > limits.max_bytes:
                    raise FeedTooLarge(url, f"body over the {limits.max_bytes}-byte limit; download stopped")
                chunks.append(tail)
        if time.monotonic() >= deadline:
            raise _past_deadline(url, limits, total)
        if answer.remaining():  # the server closed before the Content-Length it announced
            raise FeedConnectionError(url, "connection broken while reading: IncompleteRead")
    except TimeoutError:
        if time.monotonic() >= deadline:
            raise _past_deadline(url, limits, total) from None
        raise FeedTimeout(url, f"server stopped sending for {limits.read_timeout:g} s") from None
    except zlib.error:
        if time.monotonic() >= deadline:
            raise _past_deadline(url, limits, total) from None
        raise FetchError(url, "compressed body is corrupt", retryable=True) from None
    except (HTTPException, OSError) as exc:
        if time.monotonic() >= deadline:
            raise _past_deadline(url, limits, total) from None
        raise FeedConnectionError(url, f"connection broken while reading: {type(exc).__name__}") from None
    return b"".join(chunks)


def _fetch_requests(url: str, headers: dict[str, str], limits: FetchLimits, guard: Guard, start: float
                    ) -> FetchResult:
    import requests

    sess = default_session()
    old_guard = sess.guard
    sess.guard = guard
    deadline = start + limits.total_deadline
    read_timeout = min(limits.read_timeout, limits.total_deadline)
    old_max = sess.max_redirects
    sess.max_redirects = limits.max_redirects
    try:
        resp = sess.get(url, headers=headers, stream=True, allow_redirects=True,
                        timeout=(limits.connect_timeout, read_timeout))
    except DestinationRefused as exc:
        raise FetchError(url, f"refused: {exc}", retryable=False) from None
    except requests.exceptions.ConnectTimeout:
        raise FeedTimeout(url, f"no connection within {limits.connect_timeout:g} s") from None
    except requests.exceptions.ReadTimeout:
        raise FeedTimeout(url, f"server sent nothing for {read_timeout:g} s") from None
    except requests.exceptions.TooManyRedirects:
        raise FetchError(url, f"more than {limits.max_redirects} redirects", retryable=False,
                         hint="the site redirects in a loop: check the URL") from None
    except (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema,
            requests.exceptions.InvalidSchema) as exc:
        raise FetchError(url, f"invalid URL: {exc}", retryable=False,
                         hint="give a full address, e.g. https://example.org/feed/") from None
    except requests.exceptions.RequestException as exc:
        raise FeedConnectionError(url, f"connection failed: {connection_problem(exc)}") from None
    finally:
        sess.max_redirects = old_max
        sess.guard = old_guard
    with resp:
        # (reading the empty body of a 304 gives the connection back to the pool, not closed)
        return _judged(url, resp.status_code, resp.history, resp.url, resp.headers, headers, limits, start,
                       drain=lambda: resp.content, read_body=lambda: _read_body(url, resp, limits, deadline))


def _read_body(url: str, resp: Any, limits: FetchLimits, deadline: float) -> bytes:
    import requests
    import urllib3.exceptions

    from bot.net.watchdog import cut_at

    chunks: list[bytes] = []
    total = 0
    raw = resp.raw
    try:
        # A socket timeout bounds each recv, not a read1 that keeps reading: the watchdog ends the
        # connection at the deadline, and whatever ended the read is then reported as the deadline.
        with cut_at(deadline, getattr(getattr(raw, "connection", None), "sock", None)):
            while True:
                if time.monotonic() > deadline:
                    raise _past_deadline(url, limits, total)
                chunk = raw.read1(_CHUNK, decode_content=True)
                if not chunk:  # the end of the body (or of the connection the watchdog cut)
                    break
                total += len(chunk)
                if total > limits.max_bytes:
                    raise FeedTooLarge(url, f"body over the {limits.max_bytes}-byte limit; download stopped")
                chunks.append(chunk)
        if time.monotonic() >= deadline:
            raise _past_deadline(url, limits, total)
    except (urllib3.exceptions.ReadTimeoutError, TimeoutError):
        if time.monotonic() >= deadline:
            raise _past_deadline(url, limits, total) from None
        raise FeedTimeout(url, f"server stopped sending for {limits.read_timeout:g} s") from None
    except urllib3.exceptions.DecodeError:
        if time.monotonic() >= deadline:
            raise _past_deadline(url, limits, total) from None
        raise FetchError(url, "compressed body is corrupt", retryable=True) from None
    except (urllib3.exceptions.ProtocolError, requests.exceptions.ChunkedEncodingError, OSError) as exc:
        if time.monotonic() >= deadline:
            raise _past_deadline(url, limits, total) from None
        raise FeedConnectionError(url, f"connection broken while reading: {type(exc).__name__}") from None
    return b"".join(chunks)


def _past_deadline(url: str, limits: FetchLimits, received: int) -> FeedTimeout:
    return FeedTimeout(url, f"download not finished within the {limits.total_deadline:g} s deadline "
                            f"({received} bytes received)")


@dataclass(frozen=True)
class FeedRequest:
    url: str
    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True)
class FeedOutcome:
    request: FeedRequest
    result: FetchResult | None
    error: FeedError | None
    seconds: float
    parsed: ParsedFeed | None = None  # with fetch_many(parse=True) and a 200


def _one(req: FeedRequest, limits: FetchLimits, parse: bool) -> FeedOutcome:
    start = time.monotonic()
    try:
        result = fetch_feed(req.url, etag=req.etag, last_modified=req.last_modified, limits=limits)
        parsed = None
        if parse and result.body is not None:
            from bot.feeds.parse import parse_feed

            parsed = parse_feed(result.body, result.final_url, result.content_type)
            # The body is no longer needed; dropping it keeps memory flat over many feeds.
            result = dataclasses.replace(result, body=None)
        return FeedOutcome(req, result, None, time.monotonic() - start, parsed)
    except FeedError as exc:
        return FeedOutcome(req, None, exc, time.monotonic() - start)
    except Exception as exc:  # the worker never dies because of one feed
        err = FetchError(req.url, f"unexpected {type(exc).__name__}: {exc}", retryable=True)
        return FeedOutcome(req, None, err, time.monotonic() - start)


def fetch_many(feeds: Sequence[FeedRequest | str], *, max_workers: int = 8,
               limits: FetchLimits = FetchLimits(), parse: bool = False) -> list[FeedOutcome]:
    """Fetch feeds concurrently, at most `max_workers` at a time; results in input order.
    Each fetch is bounded by `limits.total_deadline`, so one slow feed holds one worker for at
    most that long and never delays the others beyond it. With parse=True each 200 body is
    parsed in the worker (parse errors land in `error`) and the body is dropped."""
    reqs = [FeedRequest(f) if isinstance(f, str) else f for f in feeds]
    if not reqs:
        return []
    workers = max(1, min(max_workers, len(reqs), (os.cpu_count() or 2) * 16))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="feed") as pool:
        return list(pool.map(lambda r: _one(r, limits, parse), reqs))
