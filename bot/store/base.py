"""What the rest of the bot knows about state: plain records and the Store interface."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

# Delivery states a user can read in `bot status` / `bot history`.
QUEUED = "queued"
SENDING = "sending"
POSTED = "posted"
FAILED = "failed"
RETRY = "retry"  # waiting for retry, `due_at` says when
DRY_RUN = "dry_run"  # shown, not posted: the platform had no credentials
# The outcome of an attempt is unknown and the network cannot look it up (its descriptor's unknown_outcome is
# "hold"): never resent blindly; an editor checks the channel and releases it (`bot retry --platform NAME`).
HELD = "held"
STATES = (QUEUED, SENDING, POSTED, FAILED, RETRY, DRY_RUN, HELD)


@dataclass(frozen=True)
class FeedState:
    url: str
    current_url: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    baseline_done: bool = False
    # Last polled before schema 3, when entries that share a link were all recorded under it: on its
    # next poll such a link still counts as theirs (poll_feed), then never again.
    legacy_links: bool = False
    failures: int = 0
    next_attempt_at: float | None = None
    last_error: str | None = None
    last_checked_at: float | None = None
    last_success_at: float | None = None
    # Paused by a flood (bot.poll): this many new articles were held at `flood_at`, none queued or marked
    # seen, and the feed is not read again until an editor releases it (`bot retry --feed`). 0: not paused.
    flood_held: int = 0
    flood_at: float | None = None
    # A permanent redirect to another host, not yet stored as current_url (bot.feeds.moves):
    # where to, and since when every poll has shown it.
    move_candidate: str | None = None
    move_seen_since: float | None = None


@dataclass(frozen=True)
class SeenArticle:
    """An identity (the key or one of its aliases) recorded for an article."""

    key: str
    article_key: str
    feed_url: str
    url: str
    title: str
    published_at: float | None


@dataclass(frozen=True)
class NewDelivery:
    """A row to put in the outbox: the exact post, composed before anything is sent."""

    article_key: str
    platform: str
    feed_url: str
    article_url: str
    title: str
    text: str
    link: str | None
    hashtags: tuple[str, ...]
    image_url: str | None
    image_alt: str | None
    thread: tuple[str, ...]
    published_at: float | None
    due_at: float
    # Chosen when the post is queued (its network's Network.new_send_key), the same for every attempt: an
    # Idempotency-Key, a record key (bot.networks). None: its network needs none.
    send_key: str | None = field(default=None, kw_only=True)
    # The article's language tag as the feed gave it (a post's `langs`), and a description for a link card.
    language: str | None = field(default=None, kw_only=True)
    description: str | None = field(default=None, kw_only=True)


@dataclass(frozen=True)
class Delivery(NewDelivery):
    """One outbox row as stored: the post as it was queued, and what delivery has made of it."""

    id: int
    created_at: float
    state: str
    attempts: int
    lease_owner: str | None
    lease_until: float | None
    remote_id: str | None
    remote_url: str | None
    posted_at: float | None
    last_error: str | None
    # True when an earlier attempt may have reached the platform (its owner died or timed out mid-call, or
    # the answer was ambiguous): look it up before posting again.
    uncertain: bool = False
    # Remote ids of the parts already posted (an X thread: root first), recorded after each part.
    parts: tuple[str, ...] = ()


@dataclass(frozen=True)
class PlatformState:
    platform: str
    paused_reason: str | None = None
    paused_at: float | None = None
    last_error: str | None = None
    last_error_at: float | None = None
    # The platform's own remaining allowance (X: posts left in its 24-hour or 15-minute window; Facebook: 0
    # once its usage headers say 100%), with when it resets. None when the platform has not said.
    quota_remaining: int | None = None
    quota_reset_at: float | None = None


class Store(Protocol):
    """State of the bot. One implementation per database, chosen by DATABASE_URL's scheme."""

    read_only: bool

    def migrate(self) -> int: ...
    def check_schema(self) -> int: ...
    def close(self) -> None: ...

    # feeds
    def feed_state(self, url: str) -> FeedState | None: ...
    def save_feed_state(self, state: FeedState) -> None: ...
    def all_feed_states(self) -> list[FeedState]: ...

    # articles and the outbox, written together so a crash can neither lose nor double a post
    def known_keys(self, keys: Iterable[str]) -> set[str]: ...
    def article_keys_for(self, keys: Iterable[str]) -> set[str]:
        """The articles (their main keys) that any of these identities belongs to."""
        ...
    def seen_by_url(self, urls: Iterable[str]) -> list[SeenArticle]:
        """Every identity recorded for an article at one of these (canonical) links."""
        ...
    def record_articles(self, seen: Sequence[SeenArticle], deliveries: Sequence[NewDelivery], now: float) -> int: ...
    def forget_older_than(self, cutoff: float) -> int: ...

    # outbox: one post in flight per platform, in publication order; only the lease holder settles a row
    # (each mark_* returns False when the lease was lost to another worker, so nothing was written).
    # Leases are set and compared on the database's clock (lease_clock), never a host's own.
    def claim_next(self, platform: str, now: float, owner: str, lease_seconds: float,
                   article_key: str | None = None) -> Delivery | None: ...
    def lease_clock(self) -> float: ...
    def blocking(self, platform: str) -> Delivery | None:
        """The platform's post in flight under a live lease (what keeps the next claim waiting), if any."""
        ...
    def record_parts(self, delivery_id: int, owner: str, parts: Sequence[str], lease_seconds: float) -> bool: ...
    def renew_lease(self, delivery_id: int, owner: str, lease_seconds: float) -> bool: ...
    def expire_lease(self, delivery_id: int, owner: str, grace: float = 0.0) -> bool: ...
    def mark_posted(self, delivery_id: int, owner: str, remote_id: str, remote_url: str | None, now: float,
                    state: str = POSTED) -> bool: ...
    def mark_retry(self, delivery_id: int, owner: str, error: str, due_at: float,
                   count_attempt: bool = True, uncertain: bool = False) -> bool: ...
    def mark_failed(self, delivery_id: int, owner: str, error: str) -> bool: ...
    def mark_held(self, delivery_id: int, owner: str, reason: str) -> bool:
        """The outcome is unknown and cannot be looked up: keep the post out of the queue until an editor
        releases it (requeue_failed)."""
        ...
    def release(self, delivery_id: int, owner: str) -> bool: ...
    def requeue_failed(self, now: float, platform: str | None = None) -> int:
        """Failed and held posts go back in the queue; a held one is then sent once, without a lookup."""
        ...
    def deliveries(self, states: Sequence[str] = (), platform: str | None = None, limit: int = 100,
                   newest_first: bool = True, article_key: str | None = None) -> list[Delivery]: ...
    def count_posted_since(self, platform: str, since: float) -> int: ...
    def last_posted_at(self, platform: str) -> float | None: ...
    def queue_counts(self) -> dict[tuple[str, str], int]: ...

    # platforms
    def platform_state(self, platform: str) -> PlatformState: ...
    def save_platform_state(self, state: PlatformState) -> None: ...

    # an account's login session, sealed (bot.platforms.sealed): never a secret in the clear
    def load_session(self, account: str) -> str | None: ...
    def save_session(self, account: str, sealed: str, now: float) -> None: ...
    def drop_session(self, account: str) -> None: ...
