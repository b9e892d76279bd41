"""`bot run --dry-run` without --once: the worker's rhythm, writing nothing.

The real worker records what it reads and sends (seen articles, outbox rows, feed states, claims of feeds
shared with other workers): a dry run that did so would leave the real worker nothing to post. This loop reads
each feed on its own schedule through one in-memory store (bot.runs.dry.ShadowStore) kept for the process's
life, so first sight, backfill and "already seen" are decided as the real worker would, and each post is shown
once; the database is only read. It stops on SIGTERM or Ctrl-C. It does not follow edits of the config file
(a real worker does): restart it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from bot.config import Config, FeedConfig
from bot.models import Draft
from bot.runs.dry import ShadowStore, dry_pass
from bot.schedule import feed_trigger
from bot.store.base import FeedState, Store

log = logging.getLogger("bot")
MAX_SLEEP = 60.0  # wake at least this often, so a clock change is noticed within a minute


class KeptShadow(ShadowStore):
    """A ShadowStore that also remembers the feed states a look would save (first sight done, ETag), so the
    next look of this process reads them back instead of seeing the feed for the first time again."""

    def __init__(self, store: Store) -> None:
        super().__init__(store)
        self.states: dict[str, FeedState] = {}

    def feed_state(self, url: str) -> FeedState | None:
        return self.states.get(url) or self._store.feed_state(url)

    def feed_states(self, urls: Sequence[str]) -> dict[str, FeedState]:
        stored = self._store.feed_states([u for u in urls if u not in self.states])
        return {**stored, **{u: self.states[u] for u in urls if u in self.states}}

    def save_feed_state(self, state: FeedState) -> None:
        with self._lock:
            self.states[state.url] = state

    def save_feed_states(self, states: Sequence[FeedState]) -> None:
        for state in states:
            self.save_feed_state(state)


def watch_dry(config: Config, store: Store, show: Callable[[str, Draft], None], stop: threading.Event,
              now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
    """Read each feed when its schedule says, show each post the real worker would send, once; until `stop`."""
    shadow = KeptShadow(store)
    shown: set[tuple[str, str]] = set()

    def show_once(name: str, draft: Draft) -> None:
        key = (draft.platform, draft.article_key)
        if key not in shown:
            shown.add(key)
            show(name, draft)

    triggers = {feed.shown_url: feed_trigger(feed, config.timezone) for feed in config.feeds}
    start = now()
    due_at = {feed.shown_url: start for feed in config.feeds}  # every feed at once, as the worker does
    log.info("dry-run worker started: %d feed(s), platforms: %s; nothing is sent or recorded",
             len(config.feeds), ", ".join(config.platforms) or "none")
    while not stop.is_set():
        moment = now()
        due: list[FeedConfig] = [f for f in config.feeds if due_at[f.shown_url] <= moment]
        if due:
            before = len(shown)
            result = dry_pass(replace(config, feeds=tuple(due)), store, show_once, stop=stop, shadow=shadow)
            shadow.queued.clear()  # shown above; kept as planned, so never queued again by this process
            for report in result.polls:
                log.info("dry run: feed %s: %s", report.feed, report.status)
            waiting = f", {result.review} would wait for an editor's review" if result.review else ""
            log.info("dry run: %d new post(s) shown%s (nothing sent, nothing recorded)", len(shown) - before, waiting)
            for feed in due:
                # After this second: a cron time equal to `moment` is the look just done.
                fire = triggers[feed.shown_url].get_next_fire_time(None, moment + timedelta(seconds=1))
                due_at[feed.shown_url] = fire if fire is not None else datetime.max.replace(tzinfo=UTC)
        wait = (min(due_at.values()) - now()).total_seconds() if due_at else MAX_SLEEP
        stop.wait(min(max(wait, 0.0), MAX_SLEEP))
    log.info("dry-run worker stopped")


def run_dry_worker(config: Config, log_format: str) -> int:
    """The command: the store opened for reading, the dry-run loop until SIGTERM or Ctrl-C (exit 0, as the worker)."""
    from bot.runs.once import show_for
    from bot.stopping import StopSignals, exit_now
    from bot.store import open_store

    store = open_store(config.env.database_url, secrets=config.secrets(), lock_timeout=config.env.db_lock_timeout)
    try:
        # Nothing to hand back (nothing was leased): a second signal, or the grace running out, ends it at once.
        with StopSignals("stopping", lambda signum: exit_now(0, None), grace=config.env.shutdown_grace) as signals:
            watch_dry(config, store, show_for(log_format), signals.event)
    finally:
        store.close()
    return 0
