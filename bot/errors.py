"""The project's own errors. Third-party exceptions are converted where the call happens.

Every one of them is a BotError, so the CLI prints any of them as one line (`bot: <message> (<hint>)`,
exit code 2 for ConfigError, 1 for the others); anything else that escapes is a bug, and says so.

    BotError                      anything the bot reports to a user; `hint` says how to fix it
    ├── ConfigError               bad config file, environment (DATABASE_URL) or usage (exit code 2)
    ├── StoreError                the state database cannot be used
    ├── FeedError                 a feed or page could not be fetched or read; `retryable` (bot.feeds.errors)
    │   ├── FetchError            timeout, connection, HTTP status, too large, unreadable file
    │   └── ParseError            not a feed (or not an article page), unsafe XML, bad encoding
    └── PlatformError             a network refused or failed a call; says what to do next
        ├── RetryableError        5xx, timeouts, connection errors, Graph codes 1 and 2
        │   └── RateLimited       429 / Graph 4, 17, 32, 613, 80001; `retry_after` from the platform
        ├── NeedsHumanError       401, auth/permission 403, Graph 190, 10, 200-299: pause the platform
        └── RejectedError         the content itself was refused (final, with the platform's message)
            └── DuplicateError    X "duplicate content" 403, Graph 506: final, never retried blindly

The feed errors are defined (and their full tree drawn) in bot.feeds.errors, beside the only code that
raises them. `connection_problem` puts a failed connection (DNS, refused, TLS, ...) into words for
feeds and platforms alike.
"""

from __future__ import annotations


class BotError(Exception):
    """Base of every error the bot reports to a user."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class ConfigError(BotError):
    """The config file, the environment or the command line is wrong. Nothing is posted."""


class StoreError(BotError):
    """The state database cannot be opened or migrated."""


class PlatformError(BotError):
    """A platform call failed. Subclasses tell the delivery loop what to do next."""

    retryable = False
    needs_human = False

    def __init__(
        self,
        message: str,
        *,
        platform: str,
        hint: str | None = None,
        retry_after: float | None = None,
        status: int | None = None,
        code: int | None = None,
        not_sent: bool = False,
    ) -> None:
        super().__init__(message, hint=hint)
        self.platform = platform
        self.retry_after = retry_after
        self.status = status
        self.code = code
        # Certainly nothing reached the platform (the connection never opened: DNS, refused, connect
        # timeout): no lookup is needed before the next try, and a network that holds unknown outcomes
        # has nothing to hold.
        self.not_sent = not_sent


class RetryableError(PlatformError):
    """Temporary: try again later, with backoff."""

    retryable = True


class RateLimited(RetryableError):
    """The platform asked us to slow down; `retry_after` (seconds) is its answer when known."""


class NeedsHumanError(PlatformError):
    """Credentials or permissions are wrong: pause the platform until a human fixes them."""

    needs_human = True


class RejectedError(PlatformError):
    """The platform refused this content. Final for this post."""


class DuplicateError(RejectedError):
    """The platform says this exact post already exists."""


def connection_problem(exc: BaseException) -> str:
    """What a failed connection was, in words a user can act on ("host name not found (DNS)"),
    never the exception's text (a request's URL may carry a token). requests wraps the socket's own
    error a few levels deep: in causes, contexts, urllib3's `reason` and `args`."""
    import socket
    import ssl

    seen: set[int] = set()
    todo: list[object] = [exc]
    while todo:
        err = todo.pop(0)
        if not isinstance(err, BaseException) or id(err) in seen:
            continue
        seen.add(id(err))
        if isinstance(err, socket.gaierror):
            return "host name not found (DNS)"
        if isinstance(err, ConnectionRefusedError):
            return "connection refused"
        if isinstance(err, ssl.SSLCertVerificationError):
            return f"TLS certificate not accepted ({err.verify_message})"
        if isinstance(err, ssl.SSLError):
            return "TLS handshake failed"
        if isinstance(err, ConnectionResetError):
            return "connection reset by the server"
        if isinstance(err, TimeoutError):
            return "timed out"
        todo += [err.__cause__, err.__context__, getattr(err, "reason", None), *err.args]
    return type(exc).__name__
