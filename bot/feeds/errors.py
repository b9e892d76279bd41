"""Errors raised while fetching or reading a feed (or, for `bot post URL`, an article page).

They are BotErrors (bot.errors), so the CLI prints any of them as one line and exit code 1.
Every message is one line that names the feed, then what to do, so the worker can log it as is
and go on with the other feeds. `retryable` tells the scheduler whether trying again later may
help (a timeout may; a billion-laughs document never will). A raise site that gives no hint gets
its class's `advice`.

    BotError (bot.errors)
    └── FeedError                   base; .feed, .problem, .retryable, .hint
        ├── FetchError              the bytes could not be had (invalid URL, redirect loop, corrupt gzip)
        │   ├── FeedTimeout         connect/read timeout or total deadline passed   (retryable)
        │   ├── FeedConnectionError DNS, refused, reset, TLS                         (retryable)
        │   ├── FeedHTTPError       4xx/5xx; .status; 5xx/429 retryable, .retry_after
        │   ├── FeedTooLarge        body over FetchLimits.max_bytes
        │   └── FeedFileError       a local path that cannot be read
        └── ParseError              the bytes are not a feed we can read
            ├── UnsafeFeedError     entity declarations / DTD tricks: refused unread
            ├── FeedEncodingError   bytes that do not decode in the declared encoding
            ├── NotAFeedError       HTML page, empty body, unknown root element, bad JSON
            └── NotAPageError       an article page that is not HTML or has no text (bot post URL)
"""

from __future__ import annotations

from bot.errors import BotError
from bot.redact import display_url


class FeedError(BotError):
    """Base of every feed error; str() is one line naming the feed, and what to do."""

    retryable: bool = False
    advice: str | None = None

    def __init__(self, feed: str, problem: str, *, hint: str | None = None,
                 retryable: bool | None = None) -> None:
        # Named without the credentials a feed URL may carry: the message is logged, printed and stored.
        feed = display_url(feed)
        self.feed = feed
        self.problem = problem
        if retryable is not None:
            self.retryable = retryable
        super().__init__(f"feed {feed}: {problem}", hint=hint or self.advice)

    def name_as(self, subject: str) -> None:
        """Call the URL what it is to the user (a "page" for `bot post URL`) instead of a feed."""
        self.message = f"{subject} {self.feed}: {self.problem}"
        self.args = (str(self),)


class FetchError(FeedError):
    """The feed's bytes could not be fetched."""

    retryable = True
    advice = "try again later"


class FeedTimeout(FetchError):
    retryable = True
    advice = "the site is slow or down: try again later"


class FeedConnectionError(FetchError):
    retryable = True
    advice = "check the URL and the network, or try again later"


class FeedHTTPError(FetchError):
    def __init__(self, feed: str, status: int, *, retry_after: float | None = None) -> None:
        self.status = status
        self.retry_after = retry_after
        if status in (401, 403):
            hint = "the server refuses access; check the URL or the site's firewall"
        elif status in (404, 410):
            hint = "nothing at this address: check the URL"
        elif status == 429:
            hint = "the site asks for fewer requests: try again later"
        elif status >= 500:
            hint = "the site's server failed: try again later"
        else:
            hint = "check the URL"
        super().__init__(feed, f"HTTP {status}", hint=hint,
                         retryable=status >= 500 or status in (408, 425, 429))


class FeedTooLarge(FetchError):
    retryable = False
    advice = "check that the URL is the feed or the article itself, not a download"


class FeedFileError(FetchError):
    retryable = False
    advice = "check the path and that the file is readable"


class ParseError(FeedError):
    """The bytes were fetched but are not a feed that can be read."""

    retryable = False
    advice = "check that the URL is an RSS, Atom or JSON feed"


class UnsafeFeedError(ParseError):
    advice = "feeds never need a DOCTYPE: ask the site to serve the feed without one"


class FeedEncodingError(ParseError):
    pass


class NotAFeedError(ParseError):
    pass


class NotAPageError(ParseError):
    advice = "give the address of the article's own web page"
