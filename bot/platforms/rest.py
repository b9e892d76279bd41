"""One JSON call to an API the bot speaks itself (Threads, LinkedIn): bounded, and never carrying a token out.

Both networks are a handful of JSON calls with a bearer token, and neither has a client library that uses
our HTTP session (timeouts, the last-moment write check of bot.platforms.http, bot.net's connection policy).
`RestSession.call` sends one request on such a session and hands back the status, the headers and the
parsed body. What it raises is the project's own: a connection that failed is named by kind
(bot.errors.connection_problem), never by the exception's text (a URL may carry a token), and says whether
the request can have left at all (`not_sent`), which decides whether an unknown outcome must be looked up.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import requests

from bot.errors import RetryableError, connection_problem
from bot.net.policy import Guard
from bot.net.session import GuardedSession
from bot.platforms.http import DEFAULT_TIMEOUT, read_capped, route_session
from bot.platforms.telegram import never_connected  # the same test for any requests call

CALL_BUDGET_SECONDS = 30.0  # one call, answer included: the read timeout bounds each read, this the whole
MAX_ANSWER_BYTES = 2 * 1024 * 1024


@dataclass(frozen=True)
class Answer:
    status: int
    headers: Mapping[str, str]
    body: Any  # the parsed JSON; None when the answer had no body (a 201, a 204)


class RestSession:
    """A session to one API base URL, chosen by the operator (trusted), every call with a timeout."""

    def __init__(self, api_url: str, *, platform: str, what: str, hint: str,
                 timeout: tuple[float, float] = DEFAULT_TIMEOUT) -> None:
        self.api_url = api_url.rstrip("/")
        self.platform = platform
        self.what = what  # "Threads": for messages
        self.hint = hint  # what to check when the API cannot be reached
        self.timeout = timeout  # for a call outside the base URL (an upload address the API hands out)
        self.session = GuardedSession(Guard().trusting(self.api_url))
        route_session(self.session, self.api_url, self.api_url, timeout)

    def call(self, method: str, url: str, *, headers: Mapping[str, str] | None = None,
             params: Mapping[str, Any] | None = None, data: Mapping[str, Any] | None = None,
             json_body: Any = None, content: bytes | None = None) -> Answer:
        """One request to `url` (absolute, or a path under the base URL); RetryableError when it got no
        readable answer. Any status comes back: the caller's network decides what it means."""
        if not url.startswith(("http://", "https://")):
            url = self.api_url + "/" + url.lstrip("/")
        deadline = time.monotonic() + CALL_BUDGET_SECONDS
        failure: str | None = None
        not_sent = False
        status, raw, answer_headers = 0, None, {}
        try:
            # An API never redirects a write; following one would carry the token to wherever it points.
            with self.session.request(method, url, headers=dict(headers or {}), params=params,
                                      data=content if content is not None else data, json=json_body,
                                      allow_redirects=False, stream=True, timeout=self.timeout) as response:
                status = response.status_code
                answer_headers = {k.lower(): v for k, v in response.headers.items()}
                raw = read_capped(response, deadline, MAX_ANSWER_BYTES)
        except requests.RequestException as exc:
            failure = connection_problem(exc)
            not_sent = never_connected(exc)
        if raw is None:
            # Raised outside the except block: the request's exception names its URL.
            raise RetryableError(f"{self.what} could not be reached: {failure or 'its answer was too large'}",
                                 platform=self.platform, not_sent=not_sent, hint=self.hint)
        body: Any = None
        if raw.strip():
            try:
                body = json.loads(raw.decode("utf-8"))
            except ValueError:  # a proxy's HTML error page, or an answer cut off at the deadline
                raise RetryableError(f"{self.what} sent an unreadable answer (HTTP {status})",
                                     platform=self.platform, status=status) from None
        return Answer(status, answer_headers, body)

    def close(self) -> None:
        self.session.close()
