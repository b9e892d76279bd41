"""A small local HTTP server on a thread, for the demo's stand-ins and its feed: each answers by a handler
function, (method, path, query, body, headers) -> (status, content type, body, extra headers)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

Answer = tuple[int, str, bytes, dict[str, str]]
Handler = Callable[[str, str, dict[str, str], bytes, dict[str, str]], Answer]


def as_json(value: Any, status: int = 200, headers: dict[str, str] | None = None) -> Answer:
    return status, "application/json", json.dumps(value).encode(), headers or {}


def form_or_json(body: bytes, content_type: str) -> dict[str, Any]:
    """A request body's fields: JSON, or form-encoded (what the clients send)."""
    if "json" in content_type:
        parsed = json.loads(body or b"{}")
        return parsed if isinstance(parsed, dict) else {}
    if "x-www-form-urlencoded" in content_type:
        return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    return {}


class LocalServer:
    """Listens on 127.0.0.1 (a free port) until closed."""

    def __init__(self, handler: Handler) -> None:
        answer = handler

        class _Request(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {k.lower(): v for k, v in self.headers.items()}
                try:
                    status, kind, payload, extra = answer(self.command, parts.path, dict(parse_qsl(parts.query)),
                                                          body, headers)
                except Exception as exc:  # a stand-in's own mistake: a 500 the bot reports, never a hang
                    status, kind, payload, extra = 500, "text/plain", f"demo stand-in error: {exc!r}".encode(), {}
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(payload)))
                for name, value in extra.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_DELETE = _serve

            def log_message(self, format: str, *args: Any) -> None:
                pass  # our own output only

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Request)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="demo-server", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
