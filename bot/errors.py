"""The project's own errors. Third-party exceptions are converted where the call happens.

    BotError                      anything the bot reports to a user; `hint` says how to fix it
    ├── ConfigError               bad config file, environment or usage (exit code 2)
    ├── StoreError                the state database cannot be used
    └── PlatformError             a network refused or failed a call; says what to do next
        ├── RetryableError        5xx, timeouts, connection errors, Graph codes 1 and 2
        │   └── RateLimited       429 / Graph 4, 17, 32, 613, 80001; `retry_after` from the platform
        ├── NeedsHumanError       401, auth/permission 403, Graph 190, 10, 200-299: pause the platform
        └── RejectedError         the content itself was refused (final, with the platform's message)
            └── DuplicateError    X "duplicate content" 403, Graph 506: final, never retried blindly

Feed errors live in bot.feeds (FeedError) because only the feed code raises them.
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
    ) -> None:
        super().__init__(message, hint=hint)
        self.platform = platform
        self.retry_after = retry_after
        self.status = status
        self.code = code


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
