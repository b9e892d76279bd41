"""A local HTTP server for feeds: conditional GET, gzip, redirects, slow and huge bodies, failures.

Register what it serves with :meth:`FeedServer.set` and friends; anything else is 404.
"""

from __future__ import annotations

import base64
import datetime as dt
import email.utils
import gzip
import hashlib
import threading
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ._base import FakeServerBase, Request, Response, iter_bytes

_HUGE_HEAD = (
    b'<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel><title>Huge</title>'
    b"<link>http://example.com/</link><description>huge</description>\n"
)
_HUGE_ITEM = (
    b"<item><title>Padding item</title><link>http://example.com/pad</link>"
    b"<description>" + b"x" * 400 + b"</description></item>\n"
)


@dataclass
class _Entry:
    body: bytes = b""
    content_type: str = "application/rss+xml"
    etag: str | None = None
    last_modified: str | None = None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    redirect_to: str | None = None
    redirect_status: int = 301
    bytes_per_second: float | None = None
    huge_total: int | None = None
    huge_gzip: bool = False
    huge_length: bool = True
    gzipped: bytes | None = None


def _format_date(value: dt.datetime | str) -> str:
    if isinstance(value, str):
        return value
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return email.utils.format_datetime(value.astimezone(dt.UTC), usegmt=True)


def _accepts_gzip(header: str) -> bool:
    for item in header.split(","):
        name, _, params = item.strip().partition(";")
        if name.strip().lower() not in ("gzip", "x-gzip", "*"):
            continue
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if q > 0:
            return True
    return False


def _gzip_stream(chunks: Iterator[bytes]) -> Iterator[bytes]:
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)  # 31: gzip container
    for chunk in chunks:
        out = compressor.compress(chunk)
        if out:
            yield out
    yield compressor.flush()


class FeedServer(FakeServerBase):
    """Serves registered paths. ``requests`` logs every request with its conditional/encoding headers."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self._entries: dict[str, _Entry] = {}
        self._hits: dict[str, int] = {}
        self._fail: dict[str, list[tuple[int, int]]] = {}
        self._stall: dict[str, list[tuple[float, int]]] = {}
        self._auth: dict[str, str] = {}  # path -> the Authorization header it requires
        self._entry_lock = threading.Lock()
        super().__init__(host)

    # ---------------------------------------------------------------------------------------------
    # registration
    def url_for(self, path: str) -> str:
        return self.url + (path if path.startswith("/") else "/" + path)

    def set(
        self,
        path: str,
        body: bytes | str,
        content_type: str = "application/rss+xml",
        etag: bool | str = True,
        last_modified: dt.datetime | str | None = None,
        *,
        status: int = 200,
        headers: dict[str, str] | None = None,
    ) -> str:
        """Serve ``body`` at ``path``; returns the URL. ``etag=True`` derives a strong ETag from the body,
        a string is used as given (quote it yourself), False sends none. ``last_modified`` (an aware or UTC
        datetime, or an HTTP-date string) enables If-Modified-Since. Replacing a body changes its ETag."""
        raw = body.encode("utf-8") if isinstance(body, str) else bytes(body)
        tag: str | None
        if etag is True:
            tag = '"' + hashlib.sha1(raw).hexdigest()[:20] + '"'
        elif etag is False:
            tag = None
        else:
            tag = etag
        entry = _Entry(body=raw, content_type=content_type, etag=tag,
                       last_modified=_format_date(last_modified) if last_modified is not None else None,
                       status=status, headers=dict(headers or {}))
        with self._entry_lock:
            old = self._entries.get(path)
            if old is not None:
                entry.bytes_per_second = old.bytes_per_second
            self._entries[path] = entry
        return self.url_for(path)

    def redirect(self, path: str, to_path: str, status: int = 301) -> str:
        """Answer ``path`` with a redirect to ``to_path`` (a path on this server, or an absolute URL)."""
        with self._entry_lock:
            self._entries[path] = _Entry(redirect_to=to_path, redirect_status=status)
        return self.url_for(path)

    def slow(self, path: str, bytes_per_second: float) -> None:
        """Trickle the body of ``path`` at about ``bytes_per_second`` (headers go out at once)."""
        with self._entry_lock:
            self._entries.setdefault(path, _Entry(status=404)).bytes_per_second = bytes_per_second

    def huge(self, path: str, total_bytes: int, content_type: str = "application/rss+xml", *,
             gzip: bool = False, content_length: bool = True) -> str:
        """Stream ``total_bytes`` of generated RSS-looking bytes (never held in memory; cut off mid-item).

        ``gzip=True`` sends them gzip-compressed (a small download that inflates to ``total_bytes``: a
        decompression bomb), with no Content-Length. ``content_length=False`` sends no Content-Length
        (the body ends when the connection closes)."""
        with self._entry_lock:
            old = self._entries.get(path)
            self._entries[path] = _Entry(content_type=content_type, huge_total=total_bytes, huge_gzip=gzip,
                                         huge_length=content_length and not gzip, etag=None,
                                         bytes_per_second=old.bytes_per_second if old else None)
        return self.url_for(path)

    def require_auth(self, path: str, user: str, password: str) -> None:
        """Answer ``path`` only with HTTP Basic credentials ``user``/``password``; 401 otherwise."""
        token = base64.b64encode(f"{user}:{password}".encode()).decode()
        with self._entry_lock:
            self._auth[path] = f"Basic {token}"

    def remove(self, path: str) -> None:
        with self._entry_lock:
            self._entries.pop(path, None)

    def fail(self, path: str, status: int = 500, times: int = 1) -> None:
        """Answer the next ``times`` requests for ``path`` with ``status`` (plain-text body)."""
        with self._entry_lock:
            self._fail.setdefault(path, []).append((status, times))

    def stall(self, path: str, seconds: float, times: int = 1) -> None:
        """Wait ``seconds`` before answering the next ``times`` requests for ``path``."""
        with self._entry_lock:
            self._stall.setdefault(path, []).append((seconds, times))

    def hits(self, path: str) -> int:
        """How many requests arrived for ``path`` (any method, any outcome)."""
        with self._entry_lock:
            return self._hits.get(path, 0)

    # ---------------------------------------------------------------------------------------------
    def _take(self, queue: dict[str, list[tuple[Any, int]]], path: str) -> Any:
        items = queue.get(path)
        if not items:
            return None
        value, times = items[0]
        if times <= 1:
            items.pop(0)
        else:
            items[0] = (value, times - 1)
        return value

    def handle(self, request: Request) -> Response:
        path = request.path
        request.notes["request_headers"] = {
            name: request.header(name)
            for name in ("If-None-Match", "If-Modified-Since", "Accept-Encoding", "User-Agent")
            if request.header(name)
        }
        with self._entry_lock:
            self._hits[path] = self._hits.get(path, 0) + 1
            failure = self._take(self._fail, path)
            stall = self._take(self._stall, path)
            entry = self._entries.get(path)
            required = self._auth.get(path)
        if required is not None and request.header("Authorization") != required:
            return Response(401, b"unauthorized\n", {"Content-Type": "text/plain",
                                                      "WWW-Authenticate": 'Basic realm="feed"'})
        if stall:
            self.sleep(float(stall))
        if failure:
            return Response(int(failure), f"error {failure}\n".encode(), {"Content-Type": "text/plain"})
        if request.method not in ("GET", "HEAD"):
            return Response(405, b"method not allowed\n", {"Content-Type": "text/plain", "Allow": "GET, HEAD"})
        if entry is None or (entry.status == 404 and not entry.body and entry.huge_total is None):
            return Response(404, b"not found\n", {"Content-Type": "text/plain"})
        if entry.redirect_to is not None:
            target = entry.redirect_to if "://" in entry.redirect_to else self.url_for(entry.redirect_to)
            return Response(entry.redirect_status, b"", {"Location": target, "Content-Type": "text/plain"})
        if entry.huge_total is not None:
            return self._huge(entry)

        validators: dict[str, str] = {}
        if entry.etag:
            validators["ETag"] = entry.etag
        if entry.last_modified:
            validators["Last-Modified"] = entry.last_modified
        if entry.status == 200 and self._not_modified(request, entry):
            return Response(304, b"", validators)
        headers = {"Content-Type": entry.content_type, "Vary": "Accept-Encoding", **validators, **entry.headers}
        body = entry.body
        if _accepts_gzip(request.header("Accept-Encoding")) and body:
            if entry.gzipped is None:
                entry.gzipped = gzip.compress(body, mtime=0)
            body = entry.gzipped
            headers["Content-Encoding"] = "gzip"
        return Response(entry.status, body, headers, bytes_per_second=entry.bytes_per_second)

    @staticmethod
    def _not_modified(request: Request, entry: _Entry) -> bool:
        inm = request.header("If-None-Match")
        if inm:  # RFC 9110: If-None-Match wins over If-Modified-Since
            if entry.etag is None:
                return False
            wanted = {t.strip().removeprefix("W/") for t in inm.split(",")}
            return "*" in wanted or entry.etag.removeprefix("W/") in wanted
        ims = request.header("If-Modified-Since")
        if ims and entry.last_modified:
            try:
                since = email.utils.parsedate_to_datetime(ims)
                modified = email.utils.parsedate_to_datetime(entry.last_modified)
            except (TypeError, ValueError):
                return False
            if since.tzinfo is None:
                since = since.replace(tzinfo=dt.UTC)
            if modified.tzinfo is None:
                modified = modified.replace(tzinfo=dt.UTC)
            return modified <= since
        return False

    def _huge(self, entry: _Entry) -> Response:
        total = entry.huge_total or 0

        def generate() -> Iterator[bytes]:
            head = _HUGE_HEAD[:total]
            yield head
            yield from iter_bytes(total - len(head), _HUGE_ITEM)

        headers = {"Content-Type": entry.content_type}
        if entry.huge_gzip:
            headers["Content-Encoding"] = "gzip"
            return Response(200, _gzip_stream(generate()), headers, content_length=None,
                            bytes_per_second=entry.bytes_per_second)
        return Response(200, generate(), headers, content_length=total if entry.huge_length else None,
                        bytes_per_second=entry.bytes_per_second)
