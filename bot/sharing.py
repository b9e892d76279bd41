"""Feeds shared by the workers on one database: each due feed is polled once, by whichever worker claims it.

The schedule lives in the store's `feeds` table, on the database's clock: each feed's `next_due`. A worker's
loop (SharedPolling.run, a thread of `bot run`) claims due feeds, polls them on the bot's feed pool and
releases each with the time it is next due (bot.schedule.next_feed_due: `every` keeps its grid, `cron` its
fire times). No coordinator: the claim is one transaction (Postgres: FOR UPDATE SKIP LOCKED, so two workers
claiming at once take different feeds and neither waits; SQLite: its one writer).

A claim dies with its holder, as a post's lease does (bot.delivery.loop): it is a lease on the database's clock
(BOT_LEASE_SECONDS), renewed by every claim round of its holder, which runs at least every third of the
lease; a worker on this machine whose process is gone (the owner id `host:pid:nonce:machine`,
bot.delivery.loop.process_gone) loses its claims at once. Polling a feed twice is harmless (the outbox's unique
key queues each post once), so no grace is needed before another worker takes a dead one's feed.

Fair and bounded: a round takes at most the worker's share of the due feeds (due / live workers, rounded
up) and at most its free capacity (a few times the fetch threads, so that claims come in batches); the
fetch threads (bot.app.FEED_WORKERS) bound its concurrent fetches, and a slow feed holds one thread only.
Releases and the states of feeds that answered 304 are written in batches: one transaction for many feeds.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from bot.config import Config, FeedConfig
from bot.delivery.loop import describe_owner, process_gone
from bot.errors import StoreError
from bot.poll import PollReport
from bot.schedule import next_feed_due
from bot.store.base import FeedClaim, FeedRelease, FeedState, Store

log = logging.getLogger(__name__)
CLAIMS_PER_THREAD = 8  # claimed ahead per fetch thread: fewer, larger claim rounds; the threads bound the fetches
IDLE_SECONDS = 60.0  # the longest sleep with nothing due (the loop also wakes for its heartbeat)
RETRY_SECONDS = 5.0  # after a database failure
FOREIGN_SECONDS = 300.0  # a feed not in this worker's config: left to the workers that have it
FLUSH_EVERY = 0.2  # seconds a finished poll's release may wait to be written with others
# One look at one feed: where a 304's state goes (written with the release), and the state the claim read.
PollOne = Callable[[FeedConfig, Callable[[FeedState], None], FeedState | None], PollReport]


class SharedPolling:
    """One worker's part of the shared feed schedule."""

    def __init__(self, store: Store, pool: ThreadPoolExecutor, threads: int, owner: str, lease_seconds: float,
                 config: Callable[[], Config], feeds: Callable[[], dict[str, FeedConfig]], poll: PollOne,
                 stop: threading.Event, on_queued: Callable[[], None] = lambda: None) -> None:
        """`feeds`: this worker's feeds by their stored URL (FeedConfig.shown_url), read at each poll so that a
        config reload applies at the next look; `poll`: one look at one feed (Bot.poll_one)."""
        self.store, self.pool, self.owner, self.lease = store, pool, owner, lease_seconds
        self.capacity = max(1, threads * CLAIMS_PER_THREAD)
        self.config, self.feeds, self.poll, self.stop, self.on_queued = config, feeds, poll, stop, on_queued
        self.wake = threading.Event()
        self._lock = threading.Lock()
        self._outstanding = 0
        self._pending: list[FeedRelease] = []
        self._register: set[str] = set()
        self._reschedule: set[str] = set()
        self.polled = 0  # polls finished by this worker (benchmarks, tests)

    # --- the loop -------------------------------------------------------------------------------

    def expect(self, new: list[str], changed: list[str]) -> None:
        """Feeds new to this worker (given a row, due at once if they have none) and feeds whose timing changed
        (rescheduled from now), written at the next round: a database failure then only delays them."""
        with self._lock:
            self._register.update(new)
            self._reschedule.update(changed)

    def run(self, timeout: float = 30.0) -> None:
        """Claim, poll and release until `stop` is set; then let the polls in flight end (up to `timeout`
        seconds) and leave."""
        while not self.stop.is_set():
            try:
                wait = self.round()
            except StoreError as exc:
                log.error("feeds not claimed, the database failed (the next round tries again): %s", exc)
                wait = RETRY_SECONDS
            self.wake.wait(wait)
            self.wake.clear()
        self.leave(timeout)

    def round(self) -> float:
        """Write finished polls, claim what is due (and heartbeat); returns how long to sleep at most."""
        self._write_expected()
        self.flush()
        with self._lock:
            free = self.capacity - self._outstanding
        claimed = self.store.claim_feeds(self.owner, free, self.lease)
        again = False
        for holder in claimed.holders:
            if process_gone(holder):
                dropped = self.store.drop_claims(holder)
                log.warning("worker %s is gone: %d feed claim(s) it held go to the others now", describe_owner(holder),
                            dropped)
                again = True
        started = time.monotonic()
        for claim in claimed.feeds:
            with self._lock:
                self._outstanding += 1
            future = self.pool.submit(self.poll_claimed, claim, claimed.now, started)
            future.add_done_callback(self._done)
        beat = self.lease / 3
        if again:
            return 0.0
        with self._lock:
            pending = bool(self._pending)
        if claimed.wake_in is None:
            return min(beat, FLUSH_EVERY) if pending else beat
        wait = min(claimed.wake_in, beat, IDLE_SECONDS)
        if claimed.feeds and claimed.wake_in == 0:
            # More is due than this round's share: give the other workers a moment to take theirs first.
            wait = max(wait, 0.05)
        return min(wait, FLUSH_EVERY) if pending else wait

    def _write_expected(self) -> None:
        with self._lock:
            register, reschedule = set(self._register), set(self._reschedule)
        if register:
            self.store.register_feeds(sorted(register))
        if reschedule:
            config, feeds, now = self.config(), self.feeds(), self.store.lease_clock()
            for url in sorted(reschedule):
                if url in feeds:
                    self.store.reschedule_feed(url, next_feed_due(feeds[url], config.timezone, now, None))
        with self._lock:
            self._register -= register
            self._reschedule -= reschedule

    def _done(self, future: Future[FeedRelease | None]) -> None:
        release = None
        try:
            release = future.result()
        except Exception:  # poll_claimed catches a feed's problems; this is a bug, and the claim lapses
            log.exception("feed poll failed unexpectedly")
        with self._lock:
            self._outstanding -= 1
            self.polled += 1
            if release is not None:
                self._pending.append(release)
            low = self._outstanding <= self.capacity // 2
            batch = len(self._pending) >= self.capacity // 2
        if low or batch:
            self.wake.set()

    def flush(self) -> int:
        """Release the feeds whose polls ended, in one transaction. On a database failure they stay pending
        (and claimed: the next round's heartbeat keeps them so) for the next try."""
        with self._lock:
            batch, self._pending = self._pending, []
        if not batch:
            return 0
        try:
            return self.store.release_feeds(self.owner, batch)
        except BaseException:
            with self._lock:
                self._pending = batch + self._pending
            raise

    def leave(self, timeout: float = 30.0) -> None:
        """A clean stop: the polls in flight end, their feeds are released, the rest of the claims given back."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if self._outstanding == 0:
                    break
            time.sleep(0.05)
        try:
            self.flush()
            self.store.drop_claims(self.owner)
        except StoreError as exc:
            log.warning("could not give back the feed claims (they lapse with their lease instead): %s", exc)

    # --- one feed ---------------------------------------------------------------------------------

    def poll_claimed(self, claim: FeedClaim, claimed_at: float, started: float) -> FeedRelease | None:
        """Poll one claimed feed; the release says when it is next due. `claimed_at` is the database's clock at
        the claim, `started` the monotonic clock then: together they give the database's time now."""
        def db_now() -> float:
            return claimed_at + (time.monotonic() - started)

        feed = self.feeds().get(claim.url)
        if feed is None:
            return FeedRelease(claim.url, db_now() + FOREIGN_SECONDS)
        if self.stop.is_set():
            return FeedRelease(claim.url, claim.due or db_now())  # still due: another worker takes it now
        config = self.config()
        deferred: list[FeedState] = []
        look_began = db_now()
        try:
            report = self.poll(feed, deferred.append, claim.state)
            not_before = None
            if report.status in ("error", "backing-off"):
                state = self.store.feed_state(feed.url)
                not_before = state.next_attempt_at if state else None
        except StoreError as exc:
            log.error("feed %s: not read, the database failed (the next round tries again): %s", feed.name, exc)
            return FeedRelease(claim.url, claim.due or db_now())
        if report.queued:
            self.on_queued()
        # A first look (no due time yet) starts the feed's grid when the look began, not when the claim was
        # made (it may wait in the pool) nor when the poll ended (a first sight recording many entries takes
        # seconds): the interval runs from the look.
        grid = claim.due if claim.due is not None else look_began
        return FeedRelease(claim.url, next_feed_due(feed, config.timezone, db_now(), grid, not_before),
                           deferred[-1] if deferred else None)

