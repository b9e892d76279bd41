"""Shared machinery for the fake HTTP servers: threads, parsing, fault queues.

Each fake is a real HTTP/1.1 server on 127.0.0.1 (random port) served from a daemon thread, so the real
clients (tweepy, facebook-sdk, requests) talk to it over a socket exactly as they would talk to the network.
Faults are queued per endpoint pattern (``fnmatch`` against ``"METHOD /path"``) and consumed in order.
"""

from __future__ import annotations

import fnmatch
import json
import socket
import struct
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from email.message import Message
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Literal, Self
from urllib.parse import parse_qsl, urlsplit

FaultKind = Literal["fail", "after_commit", "stall", "reset", "drop"]

# Exceptions raised inside any fake's handler, process-wide: a fake that breaks answers 500, which the bot
# would take for the network's outage and retry, so a test could pass on a broken fake. tests/conftest.py
# fails the test during which one was raised. Faults a test asks for never raise, so they are not here.
_unexpected_lock = threading.Lock()
_unexpected: list[str] = []


def take_unexpected_errors() -> list[str]:
    """The exceptions raised inside fakes since the last call (one line each), forgotten once taken."""
    with _unexpected_lock:
        taken = list(_unexpected)
        _unexpected.clear()
    return taken


@dataclass
class Request:
    """An incoming request, fully read."""

    method: str
    target: str  # raw request target: path plus query
    path: str  # raw (still percent-encoded) path, without the query
    query: list[tuple[str, str]]
    headers: Message
    body: bytes
    notes: dict[str, Any] = field(default_factory=dict)  # what the fake decided, copied into the log

    def header(self, name: str, default: str = "") -> str:
        value = self.headers.get(name)
        return default if value is None else str(value)

    @property
    def content_type(self) -> str:
        return self.header("Content-Type").split(";")[0].strip().lower()

    def form(self) -> list[tuple[str, str]]:
        """Form-encoded body parameters (empty for other content types)."""
        if self.content_type != "application/x-www-form-urlencoded":
            return []
        return parse_qsl(self.body.decode("utf-8"), keep_blank_values=True)

    def multipart(self) -> dict[str, bytes]:
        """Multipart form fields by name (file parts as raw bytes)."""
        if self.content_type != "multipart/form-data":
            return {}
        return parse_multipart(self.header("Content-Type"), self.body)

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))


@dataclass
class Response:
    status: int
    body: bytes | Iterable[bytes] = b""
    headers: dict[str, str] = field(default_factory=dict)
    content_length: int | None = None  # required when body is an iterable
    bytes_per_second: float | None = None  # trickle the body


@dataclass
class Fault:
    pattern: str
    kind: FaultKind
    remaining: int
    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None
    seconds: float = 0.0
    commit: bool = True
    how: Literal["drop", "error"] = "drop"
    extra: dict[str, Any] = field(default_factory=dict)


class FaultQueue:
    """Faults waiting for matching requests; first added, first used."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> None:
        if fault.remaining < 1:
            raise ValueError("times must be >= 1")
        with self._lock:
            self._faults.append(fault)

    def take(self, method: str, path: str) -> Fault | None:
        key = f"{method.upper()} {path}"
        with self._lock:
            for fault in self._faults:
                if fnmatch.fnmatchcase(key, fault.pattern) or fault.pattern == "*":
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def pending(self) -> int:
        with self._lock:
            return sum(f.remaining for f in self._faults)


def parse_multipart(content_type: str, body: bytes) -> dict[str, bytes]:
    raw = b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
    message = BytesParser(policy=HTTP).parsebytes(raw)
    fields: dict[str, bytes] = {}
    if not message.is_multipart():
        return fields
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        payload = part.get_payload(decode=True)
        fields[name] = payload if isinstance(payload, bytes) else b""
    return fields


class _Dropped(Exception):
    """Raised inside a handler to end the connection without an answer."""


class _Truncated(Exception):
    """The client closed the connection before the whole request body arrived."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 30
    server: _Server

    def setup(self) -> None:
        super().setup()
        # headers and body go out in separate writes: without this, Nagle + delayed ACK add 40 ms a request
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:  # silence stderr noise
        return

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:
        self._dispatch()

    def do_HEAD(self) -> None:
        self._dispatch()

    def _read_body(self) -> bytes:
        """The whole body, or _Truncated when the client went away before sending it all (a client killed
        between writing the headers and the body): a real server never acts on such a request."""
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                line = self.rfile.readline()
                if not line:
                    raise _Truncated()
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                chunk = self.rfile.read(size)
                if len(chunk) < size:
                    raise _Truncated()
                chunks.append(chunk)
                self.rfile.readline()
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if len(body) < length:
            raise _Truncated()
        return body

    def _dispatch(self) -> None:
        split = urlsplit(self.path)
        owner = self.server.owner
        try:
            body = self._read_body()
        except (_Truncated, OSError):
            body = None
        request = Request(
            method=self.command,
            target=self.path,
            path=split.path,
            query=parse_qsl(split.query, keep_blank_values=True),
            headers=self.headers,
            body=body or b"",
        )
        entry = owner.log_request(request)
        if body is None:  # logged, so tests see it arrived; never processed, never answered
            owner.finish_request(entry, request, None, "truncated")
            self.close_connection = True
            return
        try:
            response = owner.handle(request)
        except _Dropped:
            owner.finish_request(entry, request, None, "dropped")
            self.close_connection = True
            return
        except _Reset:
            owner.finish_request(entry, request, None, "reset")
            self._reset()
            return
        except Exception as exc:  # a bug in the fake: answer 500 so the test sees it
            owner.record_error(request, exc)
            response = Response(500, json.dumps({"fake_error": repr(exc)}).encode(), {
                "Content-Type": "application/json"})
        owner.finish_request(entry, request, response.status, "answered")
        self._write(request, response)

    def _reset(self) -> None:
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
        except OSError:
            pass

    def _write(self, request: Request, response: Response) -> None:
        try:
            self.send_response(response.status)
            body = response.body
            length = response.content_length
            if isinstance(body, bytes | bytearray):
                length = len(body)
            headers = dict(response.headers)
            for name, value in headers.items():
                self.send_header(name, value)
            if response.status in (204, 304) or (request.method == "HEAD" and length == 0):
                pass  # no body by definition; the length of a 304 would be the 200's, so leave it out
            elif length is not None:
                self.send_header("Content-Length", str(length))
            else:
                self.close_connection = True
                self.send_header("Connection", "close")
            self.end_headers()
            if request.method == "HEAD" or response.status in (204, 304):
                return
            chunks: Iterable[bytes] = [bytes(body)] if isinstance(body, bytes | bytearray) else body
            self._send_chunks(chunks, response.bytes_per_second)
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
            self.close_connection = True

    def _send_chunks(self, chunks: Iterable[bytes], rate: float | None) -> None:
        stop = self.server.owner.stopping
        for chunk in chunks:
            if rate is None or rate <= 0:
                self.wfile.write(chunk)
                continue
            step = max(1, int(rate / 20))  # about 20 writes a second
            for start in range(0, len(chunk), step):
                piece = chunk[start:start + step]
                self.wfile.write(piece)
                self.wfile.flush()
                if stop.wait(len(piece) / rate):
                    raise BrokenPipeError("server closing")


class _Reset(Exception):
    """Raised inside a handler to abort the TCP connection with a RST."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, owner: FakeServerBase, host: str) -> None:
        self.owner = owner
        super().__init__((host, 0), _Handler)


class FakeServerBase:
    """Start/stop, context manager, request log and the fault-handling helpers.

    ``host`` is the loopback address to listen on (``127.0.0.2`` plays a second, internal machine)."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self._lock = threading.RLock()
        self.stopping = threading.Event()
        self.faults = FaultQueue()
        self.errors: list[str] = []
        self._requests: list[dict[str, Any]] = []
        self._httpd = _Server(self, host)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
            name=f"{type(self).__name__}", daemon=True,
        )
        self._thread.start()

    # lifecycle --------------------------------------------------------------------------------------
    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def close(self) -> None:
        if self.stopping.is_set():
            return
        self.stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # to be provided by subclasses ----------------------------------------------------------------------
    def handle(self, request: Request) -> Response:
        raise NotImplementedError

    def record_error(self, request: Request, exc: BaseException) -> None:
        line = f"{request.method} {request.path}: {exc!r}"
        frames = traceback.extract_tb(exc.__traceback__)
        where = f" at {frames[-1].filename}:{frames[-1].lineno}" if frames else ""
        with self._lock:
            self.errors.append(line)
        with _unexpected_lock:
            _unexpected.append(f"{type(self).__name__} {line}{where}")

    def log_request(self, request: Request) -> dict[str, Any]:
        """Log a request as it arrives (outcome "pending" until it is answered)."""
        entry: dict[str, Any] = {
            "method": request.method,
            "path": request.path,
            "query": dict(request.query),
            "status": None,  # stays None when the connection is dropped or reset
            "outcome": "pending",  # then "answered", "dropped", "reset" or "truncated" (body cut short)
            "time": time.time(),
        }
        with self._lock:
            self._requests.append(entry)
        return entry

    def finish_request(self, entry: dict[str, Any], request: Request, status: int | None, outcome: str) -> None:
        with self._lock:
            entry.update(request.notes)
            entry["status"] = status
            entry["outcome"] = outcome

    @property
    def requests(self) -> list[dict[str, Any]]:
        """Every request seen, in arrival order: method, path, query, status (None if no answer, yet or
        ever), outcome ("pending", "answered", "dropped", "reset", "truncated"), time, and what the fake noted."""
        with self._lock:
            return [dict(r) for r in self._requests]

    def count(self, method: str, path_pattern: str) -> int:
        """How many requests matched ``METHOD`` and the fnmatch ``path_pattern``."""
        return sum(
            1 for r in self.requests
            if r["method"] == method.upper() and fnmatch.fnmatchcase(r["path"], path_pattern)
        )

    def run_fault(
        self,
        fault: Fault | None,
        process: Callable[[], Response],
        failure: Callable[[Fault], Response],
        unknown_outcome: Callable[[], Response],
    ) -> Response:
        """Apply a queued fault around the normal processing of a request."""
        if fault is None:
            return process()
        if fault.kind == "fail":
            return failure(fault)
        if fault.kind == "reset":
            self.reset()
        if fault.kind == "drop":
            self.drop()
        if fault.kind == "after_commit":
            process()
            if fault.how == "drop":
                self.drop()
            return unknown_outcome()
        if fault.kind == "stall":
            if fault.commit:
                response = process()
                self.sleep(fault.seconds)
                return response
            self.sleep(fault.seconds)
            self.drop()
        raise AssertionError(f"unknown fault kind {fault.kind}")

    # helpers for subclasses ----------------------------------------------------------------------------
    def sleep(self, seconds: float) -> None:
        """Sleep, but wake at once when the server closes."""
        self.stopping.wait(seconds)

    @staticmethod
    def drop() -> None:
        """End the connection without an answer (client sees 'Connection aborted / RemoteDisconnected')."""
        raise _Dropped()

    @staticmethod
    def reset() -> None:
        """Abort the TCP connection with a RST (client sees ConnectionResetError)."""
        raise _Reset()


def json_response(status: int, payload: object, headers: Mapping[str, str] | None = None,
                  content_type: str = "application/json; charset=utf-8") -> Response:
    merged = {"Content-Type": content_type}
    merged.update(headers or {})
    return Response(status, json.dumps(payload, ensure_ascii=False).encode("utf-8"), merged)


def now() -> float:
    return time.time()


def iter_bytes(total: int, pattern: bytes, chunk_size: int = 64 * 1024) -> Iterator[bytes]:
    """Yield exactly ``total`` bytes made by repeating ``pattern``, without holding them all."""
    if not pattern:
        pattern = b" "
    block = pattern * max(1, chunk_size // len(pattern) + 1)
    sent = 0
    while sent < total:
        piece = block[: min(chunk_size, total - sent)]
        sent += len(piece)
        yield piece
