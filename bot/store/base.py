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
REVIEW = "review"  # held for an editor's approval (bot.review); never claimed until approved
SKIPPED = "skipped"  # dropped by an editor: never sent, and its row keeps the article from being queued again
STATES = (REVIEW, QUEUED, SENDING, POSTED, FAILED, RETRY, DRY_RUN, HELD, SKIPPED)
# What an editor may still change (edit, skip): nothing of it has left for the network.
OPEN_STATES = (REVIEW, QUEUED, RETRY, FAILED)


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
class FeedClaim:
    """A feed a worker claimed to poll (bot.sharing): when it was due, on the database's clock (None: not
    scheduled yet, a feed seen for the first time), and its state as the claim read it (the claim makes the
    feed this worker's to change; None: read it when the poll begins)."""

    url: str
    due: float | None
    state: FeedState | None = None


@dataclass(frozen=True)
class Claimed:
    """What one claim round gave a worker."""

    feeds: tuple[FeedClaim, ...]
    now: float  # the database's clock at the claim
    # Seconds until the next feed may be claimed (one falls due, or a live claim lapses); None: no feeds at all.
    wake_in: float | None
    # Owners whose live claims hold feeds that are due: the caller may know some of them dead (holder_gone).
    holders: tuple[str, ...] = ()


@dataclass(frozen=True)
class FeedRelease:
    """The end of a claimed poll: when the feed is next due (database clock), and, when the poll left its
    state to be written with the release (a 304: bot.poll), that state."""

    url: str
    next_due: float
    state: FeedState | None = None


@dataclass(frozen=True)
class FeedSchedule:
    """A feed's place in the shared schedule, for `bot status`."""

    url: str
    next_due: float | None
    claim_owner: str | None
    claim_until: float | None
    polled_by: str | None
    polled_at: float | None


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
    # The article's language, ISO 639-1 ("fa"): Mastodon and Bluesky label the post with it.
    language: str | None = field(default=None, kw_only=True)
    # Held for review until this instant (an editor approves it first; past it, only a fresh approval of this
    # very post sends it). None: not held, it goes out under the schedule alone.
    review_until: float | None = field(default=None, kw_only=True)
    # A description for a link card the network cannot build itself (Bluesky).
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
    # Review (bot.review): how many times an editor replaced the text (0: as composed), and when; when it
    # was approved or skipped. The text stored is the one sent: it cannot change once a post is in flight.
    edit_version: int = 0
    edited_at: float | None = None
    approved_at: float | None = None
    skipped_at: float | None = None


@dataclass(frozen=True)
class AlertAck:
    """An editor saw an alert of the page (bot.web.alerts): `alert_id` names it as it held then."""

    alert_id: str
    alert_key: str | None
    editor: str
    acknowledged_at: float


@dataclass(frozen=True)
class Alert:
    """One event an editor is told about once (bot.alerts): a condition first seen at `first_seen_at`,
    sent to the webhook at `sent_at` (None: not yet, or the webhook failed: `last_error`)."""

    key: str
    text: str
    first_seen_at: float
    sent_at: float | None = None
    attempts: int = 0
    last_error: str | None = None


@dataclass(frozen=True)
class Editor:
    """A named editor of the page (bot.web.editors): their token is kept only as a hash."""

    name: str
    token_id: str
    token_hash: str
    created_at: float
    revoked_at: float | None = None


@dataclass(frozen=True)
class AuditEntry:
    """One thing a person did to a post: who, when, through what ("page", "api", "cli"), and for an edit the
    text before and after."""

    at: float
    editor: str
    via: str
    action: str
    delivery_id: int | None
    platform: str | None
    note: str
    before_text: str | None = None
    after_text: str | None = None
    id: int = 0


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
    def feed_states(self, urls: Sequence[str]) -> dict[str, FeedState]:
        """The stored states of these feeds, by the URLs given (one read for a cycle, not one per feed); a feed
        without a row is missing."""
        ...
    def save_feed_state(self, state: FeedState) -> None: ...
    def all_feed_states(self) -> list[FeedState]: ...
    def save_feed_states(self, states: Sequence[FeedState]) -> None:
        """Several feeds' states in one transaction (one round trip on Postgres)."""
        ...

    # the shared feed schedule (bot.sharing): a feed is claimed by one worker at a time, under a lease set
    # and compared on the database's clock, and released with the time it is next due
    def register_feeds(self, urls: Iterable[str]) -> None:
        """Make sure these feeds have a row (a new one is due at once); the others are left as they are."""
        ...
    def claim_feeds(self, owner: str, capacity: int, lease_seconds: float) -> Claimed:
        """Heartbeat `owner` (its worker row and the claims it holds), then claim up to `capacity` due feeds, and
        never more than its share: the due feeds divided among the live workers."""
        ...
    def release_feeds(self, owner: str, releases: Sequence[FeedRelease]) -> int:
        """End claims of `owner`, each with its next due time; returns how many were still its own."""
        ...
    def drop_claims(self, holder: str) -> int:
        """Forget a worker known to be gone: its claims end now and it no longer counts as live."""
        ...
    def reschedule_feed(self, url: str, next_due: float) -> None: ...
    def feed_schedules(self) -> list[FeedSchedule]: ...
    def live_workers(self) -> list[str]: ...

    # articles and the outbox, written together so a crash can neither lose nor double a post
    def known_keys(self, keys: Iterable[str]) -> set[str]: ...
    def article_keys_for(self, keys: Iterable[str]) -> set[str]:
        """The articles (their main keys) that any of these identities belongs to."""
        ...
    def seen_by_url(self, urls: Iterable[str]) -> list[SeenArticle]:
        """Every identity recorded for an article at one of these (canonical) links."""
        ...
    def record_articles(self, seen: Sequence[SeenArticle], deliveries: Sequence[NewDelivery], now: float,
                        feed_state: FeedState | None = None) -> int:
        """Seen identities, queued posts and (optionally) the feed's state after the look, in one transaction."""
        ...
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
    def withhold(self, delivery_id: int, owner: str, state: str, reason: str, now: float,
                 review_until: float | None = None) -> bool:
        """A claimed post the config in force no longer sends (bot.delivery.gate): to REVIEW, or SKIPPED."""
        ...
    def release(self, delivery_id: int, owner: str) -> bool: ...
    def requeue_failed(self, now: float, platform: str | None = None) -> int:
        """Failed and held posts go back in the queue; a held one is then sent once, without a lookup."""
        ...
    def deliveries(self, states: Sequence[str] = (), platform: str | None = None, limit: int = 100,
                   newest_first: bool = True, article_key: str | None = None) -> list[Delivery]: ...
    def count_posted_since(self, platform: str, since: float) -> int: ...
    def last_posted_at(self, platform: str) -> float | None: ...
    def recent_posted(self, platform: str, limit: int) -> list[float]:
        """When the platform's last `limit` posts went out, newest first."""
        ...
    def queue_counts(self) -> dict[tuple[str, str], int]: ...

    # review (bot.review): each is one guarded UPDATE, so two editors and a worker never interleave
    def delivery(self, delivery_id: int) -> Delivery | None: ...
    def approve(self, delivery_id: int, now: float) -> bool: ...
    def approve_all(self, now: float, platform: str | None = None, include_expired: bool = False) -> int: ...
    def skip(self, delivery_id: int, now: float) -> bool: ...
    def edit_text(self, delivery_id: int, text: str, now: float, expected_version: int | None = None) -> bool: ...
    def unapprove(self, delivery_id: int, review_until: float | None) -> bool: ...
    # --- editors and the audit trail (bot.web.editors) ---
    def add_editor(self, editor: Editor) -> bool: ...
    def editor(self, name: str) -> Editor | None: ...
    def editor_by_token_id(self, token_id: str) -> Editor | None: ...
    def editors(self) -> list[Editor]: ...
    def revoke_editor(self, name: str, now: float) -> bool: ...
    def record_audit(self, entries: Sequence[AuditEntry]) -> None: ...
    def audit(self, limit: int = 100, delivery_id: int | None = None) -> list[AuditEntry]: ...
    def retry_now(self, delivery_id: int, now: float) -> bool: ...

    # alerts (bot.alerts): conditions seen, and which of them were sent
    def alerts(self, limit: int = 50) -> list[Alert]: ...
    def raise_alert(self, key: str, text: str, now: float) -> bool: ...
    def clear_alerts(self, keys: Iterable[str]) -> int: ...
    def claim_alert(self, key: str, now: float) -> bool: ...
    def alert_failed(self, key: str, error: str) -> None: ...
    # editors' acknowledgements of the page's alerts (bot.web.alerts)
    def alert_acks(self) -> dict[str, AlertAck]: ...
    def acknowledge_alert(self, ack: AlertAck) -> bool:
        """Record `ack`; False when that alert was acknowledged already (the first editor's stays)."""
        ...
    def drop_alert_acks(self, keep: Iterable[str]) -> int:
        """Forget the acknowledgements of alerts other than `keep` (ended ones); how many went."""
        ...

    # platforms
    def platform_state(self, platform: str) -> PlatformState: ...
    def save_platform_state(self, state: PlatformState) -> None: ...

    # an account's login session, sealed (bot.platforms.sealed): never a secret in the clear
    def load_session(self, account: str) -> str | None: ...
    def save_session(self, account: str, sealed: str, now: float) -> None: ...
    def drop_session(self, account: str) -> None: ...
