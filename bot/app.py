"""The bot's core jobs, shared by the worker, `bot run --once` and the one-off commands."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from bot import alerts
from bot.config import Config, FeedConfig, missing_credentials
from bot.deliver import DeliveryReport, deliver_platform, resume_all, worker_id
from bot.errors import BotError, StoreError
from bot.models import Draft
from bot.platforms import Platform, build_platform
from bot.platforms.dryrun import DryRunPlatform
from bot.poll import PollReport, poll_feed
from bot.report.checks import config_problems
from bot.store import Store, open_store
from bot.store.base import SENDING, FeedState

log = logging.getLogger(__name__)
FEED_WORKERS = 8


class Bot:
    """Config, state and the platform clients, opened once and shared by every job."""

    def __init__(self, config: Config, *, dry_run: bool = False, show: Callable[[str, Draft], None] | None = None,
                 store: Store | None = None) -> None:
        self.config = config
        self.store = store or open_store(config.env.database_url, secrets=config.secrets(),
                                         lock_timeout=config.env.db_lock_timeout)
        self.owner = worker_id()
        self.tuning = config.env.tuning
        for warning in self.tuning.warnings():
            log.warning("%s", warning)
        self._show = show or (lambda name, draft: None)
        self.platforms: dict[str, Platform] = {
            name: build_platform(config, name, dry_run, self._show, self.store) for name in config.platforms
        }
        for name, platform in self.platforms.items():
            missing = missing_credentials(config.platforms[name])
            if isinstance(platform, DryRunPlatform) and not dry_run and missing:
                log.warning("%s: no credentials set (%s); running in dry-run (posts are shown, not sent, "
                            "and not sent later either)", name,
                            ", ".join(missing))
        problems = config_problems(config, time.time())
        for problem in problems:
            log.warning("%s", problem)
        if config.missing_file and not problems:
            log.info("no config file found (%s): running on the built-in defaults, dry-run only", config.missing_file)
        self._deliver_lock = threading.Lock()
        # Alerts are checked and sent on their own thread, after each round: never inside the delivery lock.
        self.alerter = alerts.Alerter(lambda: self.config, self.store)
        # Kept for the bot's life: each thread keeps its HTTP session, so polls reuse connections.
        self.feed_pool = ThreadPoolExecutor(max_workers=FEED_WORKERS, thread_name_prefix="feed")
        resume_all(self.store, config)

    def poll(self, feeds: Sequence[FeedConfig] | None = None, force: bool = False) -> list[PollReport]:
        """Look at feeds concurrently (one slow feed never delays the others). A feed's failure is in its
        report; a database failure (StoreError) is raised: it is no feed's fault, and no poll can be recorded."""
        chosen = list(feeds if feeds is not None else self.config.feeds)
        now = datetime.now(UTC)
        # The states after a 304 (most feeds, most cycles) are written together at the end: one batch.
        deferred: list[FeedState] = []
        lock = threading.Lock()

        def defer(state: FeedState) -> None:
            with lock:
                deferred.append(state)

        # Every feed's state in one read: a thousand single reads were a fifth of a Postgres cycle.
        states = self.store.feed_states([f.url for f in chosen])
        try:
            return list(self.feed_pool.map(
                lambda f: self.poll_one(f, now, force, defer, states.get(f.url) or FeedState(url=f.url)), chosen))
        finally:
            with lock:
                batch, deferred[:] = list(deferred), []
            self.store.save_feed_states(batch)

    def poll_one(self, feed: FeedConfig, now: datetime | None = None, force: bool = False,
                 defer: Callable[[FeedState], None] | None = None, state: FeedState | None = None) -> PollReport:
        try:
            return poll_feed(self.config, self.store, feed, now=now or datetime.now(UTC), force=force, defer=defer,
                             state=state)
        except StoreError:
            raise
        except Exception as exc:  # one feed's bug must not stop the others
            log.exception("feed %s: unexpected error", feed.name)
            return PollReport(feed.name, "error", error=f"{type(exc).__name__}: {exc}")

    def deliver(self, stop: threading.Event | None = None, wait_paced: bool = False) -> dict[str, DeliveryReport]:
        """Send what is due on every platform; platforms go side by side, posts of one platform in order.
        `wait_paced`: wait out the pacing of a backlog (bot.deliver.deliver_platform; `bot run --once`)."""
        try:
            with self._deliver_lock:
                platforms = list(self.platforms.values())
                with ThreadPoolExecutor(max_workers=max(len(platforms), 1)) as pool:
                    reports = pool.map(
                        lambda p: deliver_platform(self.config, self.store, p, self.owner, stop, tuning=self.tuning,
                                                   show=self._show, wait_paced=wait_paced),
                        platforms)
                    return {p.name: r for p, r in zip(platforms, reports, strict=True)}
        finally:
            # After each round, outside the lock: a pause it caused, a feed failing, posts waiting for review.
            self.alerter.poke()

    def hand_back(self) -> int:
        """Give back the posts this process holds, when it must stop before they are settled, so they do not
        wait out their lease. The call in flight may have reached the platform: each is looked up before it
        is sent again, and only after the first retry delay, as a request already on its way may still land."""
        now = datetime.now(UTC).timestamp()
        try:
            held = [d for d in self.store.deliveries(states=(SENDING,), limit=1000) if d.lease_owner == self.owner]
            for d in held:
                self.store.mark_retry(d.id, self.owner, "stopped mid-post; looked up before it is sent again",
                                      now + self.tuning.backoff_base, count_attempt=False, uncertain=True)
        except BotError as exc:
            log.warning("could not hand back the posts in flight (their lease runs out instead): %s", exc)
            return 0
        if held:
            log.warning("%d post(s) in flight handed back; each is looked up before it is sent again", len(held))
        return len(held)

    def close(self) -> None:
        self.alerter.close()  # the last round's alerts go out (each call within its deadline)
        self.feed_pool.shutdown(wait=True)
        for platform in self.platforms.values():
            platform.close()
        self.store.close()
