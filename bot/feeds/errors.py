"""Errors raised while fetching or reading a feed.

Every message is one line that names the feed, so the worker can log it as is and go on
with the other feeds. `retryable` tells the scheduler whether trying again later may help
(a timeout may; a billion-laughs document never will).

    FeedError                       base; .feed, .retryable, .hint
    ├── FetchError                  the bytes could not be had
    │   ├── FeedTimeout             connect/read timeout or total deadline passed   (retryable)
    │   ├── FeedConnectionError     DNS, refused, reset, TLS                         (retryable)
    │   ├── FeedHTTPError           4xx/5xx; .status; 5xx/429 retryable, .retry_after
    │   ├── FeedTooLarge            body over FetchLimits.max_bytes
    │   └── FeedFileError           a local path that cannot be read
    └── ParseError                  the bytes are not a feed we can read
        ├── UnsafeFeedError         entity declarations / DTD tricks: refused unread
        ├── FeedEncodingError       bytes that do not decode in the declared encoding
        └── NotAFeedError           HTML page, empty body, unknown root element, bad JSON
"""

from __future__ import annotations

from bot.redact import display_url


class FeedError(Exception):
    """Base of every feed error; str() is one line naming the feed."""

    retryable: bool = False

    def __init__(self, feed: str, problem: str, *, hint: str | None = None,
                 retryable: bool | None = None) -> None:
        # Named without the credentials a feed URL may carry: the message is logged, printed and stored.
        feed = display_url(feed)
        self.feed = feed
        self.problem = problem
        self.hint = hint
        if retryable is not None:
            self.retryable = retryable
        message = f"feed {feed}: {problem}"
        if hint:
            message += f" ({hint})"
        super().__init__(message)


class FetchError(FeedError):
    """The feed's bytes could not be fetched."""

    retryable = True


class FeedTimeout(FetchError):
    retryable = True


class FeedConnectionError(FetchError):
    retryable = True


class FeedHTTPError(FetchError):
    def __init__(self, feed: str, status: int, *, retry_after: float | None = None) -> None:
        self.status = status
        self.retry_after = retry_after
        hint = None
        if status in (401, 403):
            hint = "the server refuses access; check the URL or the site's firewall"
        elif status in (404, 410):
            hint = "check the feed URL in the config"
        super().__init__(feed, f"HTTP {status}", hint=hint,
                         retryable=status >= 500 or status in (408, 425, 429))


class FeedTooLarge(FetchError):
    retryable = False


class FeedFileError(FetchError):
    retryable = False


class ParseError(FeedError):
    """The bytes were fetched but are not a feed that can be read."""

    retryable = False


class UnsafeFeedError(ParseError):
    pass


class FeedEncodingError(ParseError):
    pass


class NotAFeedError(ParseError):
    pass
