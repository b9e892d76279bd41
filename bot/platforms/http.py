"""requests plumbing shared by the platform clients: endpoint redirection, timeouts, a last check.

tweepy and facebook-sdk hard-code their hosts and tweepy sets no timeout at all. A
transport adapter mounted on the client's own session fixes both without touching the
clients: requests are signed for the official URL, then sent to the configured base.
The same adapter is the last place a request can be stopped: `before_each_write` runs the
caller's check there (bot.delivery.loop: is this post still ours, after a pause?).
"""

from __future__ import annotations

from typing import Any

import requests
from requests.adapters import HTTPAdapter

# Defined apart, without requests (bot.delivery.loop imports them on every pass); re-exported for the clients.
from bot.platforms.writes import before_each_write, check_before_write

__all__ = ["DEFAULT_TIMEOUT", "RedirectingAdapter", "before_each_write", "check_before_write", "read_capped",
           "route_session"]

DEFAULT_TIMEOUT = (5.0, 15.0)  # connect, read (seconds): a stalled API must not outlast a 20 s shutdown


class RedirectingAdapter(HTTPAdapter):
    def __init__(self, from_prefix: str, to_prefix: str, timeout: tuple[float, float] = DEFAULT_TIMEOUT) -> None:
        super().__init__(max_retries=0)
        self.from_prefix = from_prefix.rstrip("/")
        self.to_prefix = to_prefix.rstrip("/")
        self.timeout = timeout

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        if request.url and request.url.startswith(self.from_prefix) and self.to_prefix != self.from_prefix:
            request.url = self.to_prefix + request.url[len(self.from_prefix):]
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout
        check_before_write(request.method)
        return super().send(request, *args, **kwargs)


def route_session(session: requests.Session, official: str, target: str,
                  timeout: tuple[float, float] = DEFAULT_TIMEOUT) -> None:
    """Send every call for `official` to `target`, each with a timeout."""
    session.mount(official.rstrip("/") + "/", RedirectingAdapter(official, target, timeout))


def read_capped(response: requests.Response, deadline: float, cap: int) -> bytes | None:
    """The whole answer by `deadline` (a trickling server is cut off by the watchdog), None past `cap` bytes."""
    from bot.net.watchdog import cut_at

    sock = getattr(getattr(response.raw, "connection", None), "sock", None)
    body = b""
    with cut_at(deadline, sock):
        for chunk in response.iter_content(64 * 1024):
            body += chunk
            if len(body) > cap:
                return None
    return body
