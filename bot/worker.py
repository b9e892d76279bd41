"""The long-running worker: APScheduler jobs from the config, a clean stop on SIGTERM/SIGINT."""

from __future__ import annotations

import logging
import signal
import threading
from datetime import UTC, datetime, timedelta
from types import FrameType

from bot.app import Bot
from bot.config import FeedConfig
from bot.poll import RETENTION

log = logging.getLogger(__name__)
DELIVERY_EVERY = timedelta(seconds=30)
SHUTDOWN_GRACE = 20.0


def build_scheduler(bot: Bot, stop: threading.Event):  # type: ignore[no-untyped-def]
    from apscheduler.executors.pool import ThreadPoolExecutor
    from apscheduler.schedulers.background import BackgroundScheduler
    from apscheduler.triggers.cron import CronTrigger
    from apscheduler.triggers.interval import IntervalTrigger

    tz = bot.config.timezone
    scheduler = BackgroundScheduler(
        timezone=tz,
        executors={"default": ThreadPoolExecutor(max_workers=8)},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 300},
    )
    now = datetime.now(UTC)

    def poll_job(feed: FeedConfig) -> None:
        if stop.is_set():
            return
        reports = bot.poll([feed])
        if any(r.queued for r in reports):
            bot.deliver(stop)

    for feed in bot.config.feeds:
        trigger = (CronTrigger.from_crontab(feed.cron, timezone=tz) if feed.cron
                   else IntervalTrigger(seconds=int(feed.every.total_seconds()) if feed.every else 900, timezone=tz))
        scheduler.add_job(poll_job, trigger, args=[feed], id=f"feed:{feed.url}", name=f"poll {feed.name}",
                          next_run_time=now)
    scheduler.add_job(lambda: None if stop.is_set() else bot.deliver(stop),
                      IntervalTrigger(seconds=int(DELIVERY_EVERY.total_seconds()), timezone=tz),
                      id="deliver", name="deliver due posts", next_run_time=now + timedelta(seconds=5))
    scheduler.add_job(lambda: bot.store.forget_older_than((datetime.now(UTC) - RETENTION).timestamp()),
                      IntervalTrigger(hours=24, timezone=tz), id="housekeeping", name="forget old identities")
    return scheduler


def run_worker(bot: Bot) -> int:
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        log.info("received %s: finishing what is in flight, then stopping", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    scheduler = build_scheduler(bot, stop)
    scheduler.start()
    log.info("worker started: %d feed(s), platforms: %s", len(bot.config.feeds), ", ".join(bot.platforms))
    while not stop.wait(1.0):
        pass
    # Jobs check `stop` between posts; a post in flight finishes (its calls have timeouts) or its
    # lease expires and the next worker looks it up before posting again.
    done = threading.Thread(target=scheduler.shutdown, kwargs={"wait": True}, daemon=True)
    done.start()
    done.join(SHUTDOWN_GRACE)
    if done.is_alive():
        log.warning("some work was still running after %ds; its leases will expire and be taken over",
                    int(SHUTDOWN_GRACE))
    log.info("worker stopped")
    return 0
