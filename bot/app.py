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
from bot.delivery import awaiting
from bot.delivery.loop import DeliveryReport, deliver_platform, resume_all, worker_id
from bot.errors import BotError, StoreError
from bot.models import Draft
from bot.platforms import Platform, build_account, build_platform
from bot.platforms.dryrun import AwaitingCredentials, DryRunPlatform
from bot.poll import PollReport, poll_feed
from bot.report.checks import config_problems
from bot.store import Store, open_store
from bot.store.base import SENDING, FeedState

log = logging.getLogger(__name__)
FEED_WORKERS = 8


class Bot:
    """Config, state and the platform clients, opened once and shared by every job."""

    def __init__(self, config: Config, *, dry_run: bool = False, show: Callable[[str, Draft], None] | None = None,
                 store: Store | None = None, say_awaiting: bool = True) -> None:
        self.config = config
        self.store = store or open_store(config.env.database_url, secrets=config.secrets(),
                                         lock_timeout=config.env.db_lock_timeout)
        self.owner = worker_id()
        self.tuning = config.env.tuning
        for warning in self.tuning.warnings():
            log.warning("%s", warning)
        self._show = show or (lambda name, draft: None)
        self.dry_run = dry_run
        # Said once per account and run (bot.delivery.awaiting.line): in the worker's log by deliver(), or in
        # `bot run --once`'s summary (say_awaiting False: it reads awaiting_lines() instead).
        self.say_awaiting = say_awaiting
        self.started = time.time()  # posts queued from here on are new to this process (shown once)
        self._sights: dict[str, awaiting.Sight] = {}
        self.platforms: dict[str, Platform] = {
            name: self._stand_in(name, build_platform(config, name, dry_run, self._show, self.store))
            for name in config.platforms
        }
        for name, platform in self.platforms.items():
            missing = missing_credentials(config.platforms[name])
            if isinstance(platform, DryRunPlatform) and not dry_run and missing:  # the built-in defaults
                log.warning("%s: no credentials set (%s); running in dry-run (posts are shown, not sent)", name,
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

    def poll(self, feeds: Sequence[FeedConfig] | None = None, force: bool = False, *,
             on_report: Callable[[PollReport], None] | None = None,
             stop: threading.Event | None = None) -> list[PollReport]:
        """Look at feeds concurrently (one slow feed never delays the others). A feed's failure is in its
        report; a database failure (StoreError) is raised: it is no feed's fault, and no poll can be recorded.
        `on_report` is called with each report as it comes (from the pool's threads); once `stop` is set, no
        new feed is read and the reports are those of the feeds read."""
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

        def one(feed: FeedConfig) -> PollReport | None:
            if stop is not None and stop.is_set():
                return None
            report = self.poll_one(feed, now, force, defer, states.get(feed.url) or FeedState(url=feed.url))
            if on_report is not None:
                on_report(report)
            return report

        try:
            return [r for r in self.feed_pool.map(one, chosen) if r is not None]
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
        `wait_paced`: wait out the pacing of a backlog (bot.delivery.loop.deliver_platform; `bot run --once`)."""
        try:
            with self._deliver_lock:
                self._refresh_stand_ins()
                platforms = list(self.platforms.values())
                with ThreadPoolExecutor(max_workers=max(len(platforms), 1)) as pool:
                    reports = pool.map(lambda p: self._deliver_one(p, stop, wait_paced), platforms)
                    return {p.name: r for p, r in zip(platforms, reports, strict=True)}
        finally:
            # After each round, outside the lock: a pause it caused, a feed failing, posts waiting for review.
            self.alerter.poke()

    def _deliver_one(self, platform: Platform, stop: threading.Event | None, wait_paced: bool) -> DeliveryReport:
        if not isinstance(platform, AwaitingCredentials):
            return deliver_platform(self.config, self.store, platform, self.owner, stop, tuning=self.tuning,
                                    show=self._show, wait_paced=wait_paced)
        sight = self._sights.setdefault(platform.name, awaiting.Sight(self.started))
        result = awaiting.deliver_awaiting(self.config, self.store, platform, self.owner, sight, time.time(),
                                          self._show, stop, self.tuning)
        if self.say_awaiting and result.count != sight.said:  # a worker says it again when the number changes
            log.warning("%s", awaiting.line(platform.name, platform.missing, result.count))
        sight.said = result.count
        return result.report

    def awaiting_lines(self) -> list[str]:
        """One line per account that waits for credentials, with the count its last delivery round found."""
        return [awaiting.line(p.name, p.missing, self._sights[p.name].said or 0)
                for p in self.platforms.values() if isinstance(p, AwaitingCredentials) and p.name in self._sights]

    def _stand_in(self, name: str, platform: Platform) -> Platform:
        """An account without credentials waits for them (bot.delivery.awaiting) instead of running dry, whose
        posts would be recorded done and never sent; an explicit dry run and the built-in defaults stay dry."""
        missing = [] if self.dry_run else awaiting.awaits_credentials(self.config, name)
        if missing and isinstance(platform, DryRunPlatform):
            platform.close()
            return AwaitingCredentials(name, missing, self._show)
        return platform

    def _refresh_stand_ins(self) -> None:
        """After a config reload (bot.worker builds the accounts it adds as dry-run stand-ins): an account added
        without credentials waits for them, and one whose credentials the new config has gets its client.
        Credentials come from the environment, which a process reads once: a running worker gets new ones when
        it is restarted, and then sends what waited, each post once (its normal delivery, lease and all)."""
        for name, platform in list(self.platforms.items()):
            if name not in self.config.platforms:
                continue
            if isinstance(platform, AwaitingCredentials) and not awaiting.awaits_credentials(self.config, name):
                built = build_account(self.config, name, self.store)
                if built is None:
                    continue
                log.info("%s: credentials set; the posts that waited for them go out now", name)
            else:
                built = self._stand_in(name, platform)
            if built is not platform:
                self.platforms[name] = built
                platform.close()

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
