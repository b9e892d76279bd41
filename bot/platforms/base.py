"""The one interface every network implements, so the delivery loop never names a network."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from bot.models import Draft, PostResult


@dataclass(frozen=True)
class Account:
    """Who we would post as, from a credentials check that posts nothing."""

    id: str
    name: str
    limits: str | None = None  # what the server says it accepts, when it says (a Mastodon instance's limits)


@dataclass(frozen=True)
class Quota:
    """What the platform's own headers say is left before it starts refusing posts."""

    remaining: int | None  # None: the platform did not say
    reset_at: float | None  # epoch seconds
    what: str  # e.g. "X 24-hour post limit", for logs and `bot status`


# Called with the ids of the parts posted so far, after each part of a multi-part post (an X thread), so a
# crash mid-thread resumes where it stopped; before the root, with the one thing staged for it (an uploaded
# image, a Threads container), so the next attempt reuses it (bot.platforms.staged says which entries are posts).
# It may raise to stop the post (the lease was lost).
PartsCallback = Callable[[list[str]], None]


class Platform(Protocol):
    """A network's client. A platform whose find_existing reads an eventually consistent listing (a timeline, a
    Page's feed), where a post just made may not show yet, says so with a class attribute
    ``lookup_may_lag = True``: after an unknown outcome, delivery then looks again once the lag has passed
    (bot.retries BOT_LOOKUP_LAG_SECONDS) before it sends anything. Without it, the first lookup is proof
    (Bluesky reads the record back by its key)."""

    name: str

    def publish(self, draft: Draft, done: Sequence[str] = (), on_part: PartsCallback | None = None) -> PostResult:
        """Post the parts of the draft not in `done` (remote ids of parts already posted, root first, or before
        the root what an earlier attempt staged for it: bot.platforms.staged) and return the root post. Raises
        a bot.errors.PlatformError subclass on failure."""
        ...

    def find_existing(self, draft: Draft, done: Sequence[str] = ()) -> PostResult | None:
        """Look on the platform for the part of the draft that follows `done` (posts only, never a staged
        entry): the root post (among the account's recent posts, matched by the article's link, else the exact
        text) or the next reply of a thread. Used when an earlier attempt's outcome is unknown, so nothing is
        posted twice."""
        ...

    def quota(self) -> Quota | None:
        """The remaining allowance the platform reported with its last answer, if it reports one."""
        ...

    def verify(self) -> Account:
        """Check the credentials without posting."""
        ...

    def close(self) -> None: ...
