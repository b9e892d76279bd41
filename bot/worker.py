"""The long-running worker: APScheduler jobs from the config, config reloads, a clean stop.

Threads: APScheduler's BackgroundScheduler runs the jobs (it sleeps until the next one is
due); the main thread only waits on an Event, waking every few seconds to see whether the
config file changed. Idle, the process does next to nothing.

Stopping (SIGTERM from the host, SIGINT from a terminal; bot.stopping): no new jobs start,
deliveries stop between two posts, and what is in flight finishes; every network call has a
timeout shorter than the grace period. A post that still has not settled when the grace period
ends, or at a second signal, is handed back (Bot.hand_back): it is looked up on the platform
before it is sent again.

A database failure in a job is logged in one line and the job's next round tries again.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import Any

from bot.app import FEED_WORKERS, Bot
from bot.config import Config, FeedConfig, load_config
from bot.errors import ConfigError, StoreError
from bot.models import Draft
from bot.report.checks import cannot_post, config_problems
from bot.schedule import feed_trigger
from bot.sharing import SharedPolling
from bot.stopping import StopSignals, exit_now
from bot.store.base import FeedClaim, FeedRelease

log = logging.getLogger(__name__)
DELIVERY_EVERY = timedelta(seconds=30)
RELOAD_CHECK_SECONDS = 2.0  # how often the main thread looks at the config file's time stamp


def _stamp(path: Path | None) -> tuple[int, int] | None:
    try:
        st = path.stat() if path else None
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size) if st else None


class Worker:
    def __init__(self, bot: Bot, *, dry_run: bool = False, show: Callable[[str, Draft], None] | None = None) -> None:
        self.bot = bot
        self.dry_run = dry_run
        self.show = show or (lambda name, draft: None)
        self._wake = threading.Event()
        grace = int(bot.config.env.shutdown_grace)
        self.signals = StopSignals(f"taking no new work, finishing what is in flight, up to {grace} s", self._abort,
                                   wake=self._wake.set)
        self.stop = self.signals.event
        self._reload_asked = False
        # Held while delivering and while swapping the config, so a delivery never sees a half-swapped bot.
        self._lock = threading.Lock()
        self._feeds: dict[str, FeedConfig] = {}
        self._retired: list[Any] = []
        self._loaded_stamp = _stamp(bot.config.path)
        self._seen_stamp = self._loaded_stamp
        self.scheduler: Any = None
        self.sharing: SharedPolling | None = None
        self._paced_until = 0.0  # when the paced backlog last announced ends (bot.delivery.pacing)

    # --- jobs -----------------------------------------------------------------------------------

    def _poll_job(self, url: str) -> FeedRelease | None:
        """One look at one feed now, as at a claim of it (bot.sharing); a database failure is one line."""
        feed = self._feeds.get(url)
        if self.stop.is_set() or feed is None or self.sharing is None:
            return None
        return self.sharing.poll_claimed(FeedClaim(url, None), time.time(), time.monotonic())

    def _queued(self) -> None:
        """A poll queued posts: deliver now, on the scheduler's threads (the feed threads go on reading)."""
        if self.scheduler is not None and not self.stop.is_set():
            self.scheduler.add_job(self._deliver_job, "date", run_date=datetime.now(UTC), id="deliver-queued",
                                   name="deliver what a poll queued", replace_existing=True)

    def _deliver_job(self) -> None:
        if self.stop.is_set():
            return
        with self._lock:
            try:
                reports = self.bot.deliver(self.stop)
                self._say_pace(reports)
            except StoreError as exc:
                log.error("delivery stopped, the database failed (the next round tries again): %s", exc)
                return
        self._look_again_when_free(reports)

    def _say_pace(self, reports: dict[str, Any]) -> None:
        """A backlog being paced (a backfill, a pile-up): say how long it takes once, and again only when it
        ends more than a minute later than said, not at every round."""
        from bot.delivery.pacing import paced_plan, say_pace

        slots = [r.paced_until for r in reports.values() if r.paced_until is not None]
        if not slots:
            return
        now = time.time()
        total, seconds = paced_plan(self.bot.config, self.bot.store, now)
        if seconds > 0 and now + seconds > self._paced_until + 60:
            say_pace(log, total, seconds)
            self._paced_until = now + seconds
        # The next paced post goes at its slot, not at the next round (a gap shorter than a round would stretch).
        delay = max(min(slots) - now, 0.0) + 0.05
        if delay < DELIVERY_EVERY.total_seconds() and self.scheduler is not None and not self.stop.is_set():
            self.scheduler.add_job(self._deliver_job, "date", run_date=datetime.now(UTC) + timedelta(seconds=delay),
                                   id="deliver-paced", name="deliver the next paced post", replace_existing=True)

    def _look_again_when_free(self, reports: dict[str, Any]) -> None:
        """A post another worker has in flight holds a platform: look again the moment its lease would
        lapse rather than at the next round, so that a worker that died costs seconds, not a round."""
        waits = [r.blocked_for for r in reports.values() if r.blocked_for is not None]
        if not waits or self.stop.is_set() or self.scheduler is None:
            return
        delay = min(waits) + 0.5
        if delay < DELIVERY_EVERY.total_seconds():
            self.scheduler.add_job(self._deliver_job, "date", run_date=datetime.now(UTC) + timedelta(seconds=delay),
                                   id="deliver-soon", name="deliver when a lease lapses", replace_existing=True)

    def _housekeeping_job(self) -> None:
        self.bot.store.forget_older_than((datetime.now(UTC) - self.bot.config.retention).timestamp())

    def build_scheduler(self) -> Any:
        from apscheduler.executors.pool import ThreadPoolExecutor
        from apscheduler.schedulers.background import BackgroundScheduler
        from apscheduler.triggers.interval import IntervalTrigger

        tz = self.bot.config.timezone
        scheduler = BackgroundScheduler(
            timezone=tz,
            executors={"default": ThreadPoolExecutor(max_workers=8)},
            # coalesce: after a stall, one catch-up run, not one per missed interval.
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 300},
        )
        self.scheduler = scheduler
        # Feeds are not APScheduler jobs: their schedule is shared by every worker on the database (bot.sharing).
        bot = self.bot
        self.sharing = SharedPolling(
            bot.store, bot.feed_pool, FEED_WORKERS, bot.owner, bot.tuning.lease_seconds, config=lambda: self.bot.config,
            feeds=lambda: self._feeds, stop=self.stop, on_queued=self._queued,
            poll=lambda feed, defer, state: self.bot.poll_one(feed, defer=defer, state=state))
        self._sync_feed_jobs(self.bot.config)
        scheduler.add_job(self._deliver_job, IntervalTrigger(seconds=int(DELIVERY_EVERY.total_seconds())),
                          id="deliver", name="deliver due posts",
                          next_run_time=datetime.now(UTC) + timedelta(seconds=5))
        scheduler.add_job(self._housekeeping_job, IntervalTrigger(hours=24), id="housekeeping",
                          name="forget old identities")
        return scheduler

    def _sync_feed_jobs(self, config: Config, triggers: dict[str, Any] | None = None) -> None:
        """The feeds this worker polls, by the URL without its credentials (unique: bot.config checks): a new
        feed is due at once (unless the database already schedules it), a changed timing is rescheduled from
        now, the rest keep their rhythm. Polls look their feed up at run time, so filter or template edits apply
        at the next look."""
        wanted = {feed.shown_url: feed for feed in config.feeds}
        triggers = self._new_triggers(config) if triggers is None else triggers
        assert self.sharing is not None
        self.sharing.expect([url for url in wanted if url not in self._feeds],
                            [url for url in triggers if url in self._feeds])
        self._feeds = wanted
        self.sharing.wake.set()

    def _new_triggers(self, config: Config) -> dict[str, Any]:
        """Triggers of the feeds that are new or whose timing changed, built before any job is touched:
        a trigger that cannot be built must leave the running schedule as it was."""
        tz = config.timezone
        triggers: dict[str, Any] = {}
        for feed in config.feeds:
            old = self._feeds.get(feed.shown_url)
            if old is None or (old.every, old.cron) != (feed.every, feed.cron) or tz != self.bot.config.timezone:
                trigger = feed_trigger(feed, tz)
                trigger.get_next_fire_time(None, datetime.now(UTC))  # an overflow shows here, not in the scheduler
                triggers[feed.shown_url] = trigger
        return triggers

    # --- config reloads ---------------------------------------------------------------------------

    def maybe_reload(self) -> None:
        """On SIGHUP, or once the file's time stamp has changed and then held still for one check
        (an editor or `git pull` may still be writing it)."""
        if self._reload_asked:
            self._reload_asked = False
            self.reload("SIGHUP")
            return
        stamp = _stamp(self.bot.config.path)
        if stamp != self._loaded_stamp and stamp == self._seen_stamp and stamp is not None:
            self.reload("file changed")
        self._seen_stamp = stamp

    def reload(self, why: str) -> bool:
        """Load the edited file, build what it needs, then swap. Any failure on the way (not only a
        ConfigError: a RecursionError from the TOML reader, an overflow, a client that cannot be built)
        is one REJECTED line, and the last good config stays in force."""
        path = self.bot.config.path
        if path is None:
            log.info("config reload (%s) skipped: running on the built-in defaults, no file to read", why)
            return False
        self._loaded_stamp = _stamp(path)
        from bot.platforms import build_platform

        built: dict[str, Any] = {}
        try:
            new = load_config(str(path))
            unable = cannot_post(new)
            if unable:
                # Most often a file caught half-written: refused like any other broken edit, not obeyed.
                raise ConfigError(f"{path}: {unable}", hint="enable a [platforms.NAME] a feed lists, then save again")
            for name in new.platforms:
                if name not in self.bot.platforms:
                    built[name] = build_platform(new, name, self.dry_run, self.show)
            triggers = self._new_triggers(new)
        except Exception as exc:  # whatever it is, the worker goes on with the old config
            for platform in built.values():
                with contextlib.suppress(Exception):
                    platform.close()
            log.error("config reload (%s) REJECTED, the last good config stays in force: %s", why, _one_line(exc))
            return False
        from bot.logs import learn_secrets

        learn_secrets(new.secrets())  # a new feed URL may bring its own credentials
        with self._lock:
            old = self.bot.config
            platforms = {name: p for name, p in self.bot.platforms.items() if name in new.platforms}
            self._retired += [p for name, p in self.bot.platforms.items() if name not in new.platforms]
            self.bot.platforms = {**platforms, **built}
            self._sync_feed_jobs(new, triggers)
            self.bot.config = new
        log.info("config reloaded (%s): %d feed(s) (was %d), platforms: %s", why, len(new.feeds), len(old.feeds),
                 ", ".join(new.platforms) or "none")
        for problem in config_problems(new, time.time()):
            log.warning("%s", problem)
        return True

    # --- running ----------------------------------------------------------------------------------

    def _abort(self, signum: int) -> None:
        exit_now(1, self.bot.hand_back)

    def _on_hup(self, signum: int, frame: FrameType | None) -> None:
        self._reload_asked = True
        self._wake.set()

    def run(self) -> int:
        self.signals.install()  # for the process's life: the worker's end is the process's end
        if hasattr(signal, "SIGHUP"):
            signal.signal(signal.SIGHUP, self._on_hup)
        scheduler = self.build_scheduler()
        scheduler.start()
        assert self.sharing is not None
        feeds = threading.Thread(target=self.sharing.run, kwargs={"timeout": self.bot.config.env.shutdown_grace},
                                 name="feeds", daemon=True)
        feeds.start()
        config = self.bot.config
        log.info("worker started: %d feed(s), platforms: %s%s", len(config.feeds), ", ".join(self.bot.platforms),
                 f"; watching {config.path} for edits (or send SIGHUP)" if config.path else "")
        while not self.stop.is_set():
            self._wake.wait(RELOAD_CHECK_SECONDS)
            self._wake.clear()
            if not self.stop.is_set():
                self.maybe_reload()
        return self._shutdown(scheduler, feeds)

    def _shutdown(self, scheduler: Any, feeds: threading.Thread) -> int:
        grace = self.bot.config.env.shutdown_grace
        started = time.monotonic()
        done = threading.Thread(target=scheduler.shutdown, kwargs={"wait": True}, daemon=True)
        done.start()
        if self.sharing is not None:
            self.sharing.wake.set()
        done.join(grace)
        feeds.join(max(grace - (time.monotonic() - started), 0.0))
        if done.is_alive() or feeds.is_alive():
            # Job threads are not daemons: returning would hang the interpreter until they end.
            log.warning("work still running after %ds: stopping now", int(grace))
            exit_now(0, self.bot.hand_back)
        for platform in self._retired:
            platform.close()
        log.info("worker stopped")
        return 0


def _one_line(exc: BaseException) -> str:
    if isinstance(exc, ConfigError):
        return str(exc)
    text = " ".join(str(exc).split()) or "no details"
    return f"{type(exc).__name__}: {text}"


def run_worker(bot: Bot, *, dry_run: bool = False, show: Callable[[str, Draft], None] | None = None) -> int:
    return Worker(bot, dry_run=dry_run, show=show).run()
