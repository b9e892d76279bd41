"""`bot run --once --dry-run`: read every feed and show what the real run would post, writing nothing.

A dry run that recorded what it showed (articles seen, posts "delivered", the feed's ETag) would leave the real
run after it nothing to post: the editor who tried it first would lose those articles. So the feeds are read
through a store that lets every read reach the database and keeps every write in this process: the same
decisions as a real look (first sight and backfill, flood guard, filters, identities across feeds), nothing
stored. Reads are an allow-list: a write this module does not know about fails loudly instead of landing.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast

from bot.config import Config, FeedConfig
from bot.delivery.loop import draft_of
from bot.models import Draft
from bot.poll import PollReport, poll_feed
from bot.store.base import QUEUED, RETRY, Delivery, FeedState, NewDelivery, SeenArticle, Store

FEED_WORKERS = 8


class ShadowStore:
    """The real store for reading; what a look would write is kept here, in memory, and dropped."""

    _READS = ("feed_state", "feed_states", "article_keys_for", "seen_by_url", "deliveries", "platform_state")

    def __init__(self, store: Store) -> None:
        self._store = store
        self._lock = threading.Lock()
        self.seen: set[str] = set()
        self.queued: list[NewDelivery] = []
        self._planned: set[tuple[str, str]] = set()

    def __getattr__(self, name: str) -> Any:
        if name in self._READS:
            return getattr(self._store, name)
        raise AttributeError(f"a dry run does not write ({name})")

    def known_keys(self, keys: Iterable[str]) -> set[str]:
        # What an earlier feed of this same pass "recorded": a real pass would know it by now.
        wanted = list(keys)
        with self._lock:
            mine = self.seen.intersection(wanted)
        return self._store.known_keys(wanted) | mine

    def save_feed_state(self, state: FeedState) -> None:
        pass

    def save_feed_states(self, states: Sequence[FeedState]) -> None:
        pass

    def record_articles(self, seen: Sequence[SeenArticle], deliveries: Sequence[NewDelivery], now: float,
                        feed_state: FeedState | None = None) -> int:
        """As the real one counts: a post already in the outbox (same article, same account) is not new."""
        fresh = [d for d in deliveries
                 if not any(r.platform == d.platform for r in self._store.deliveries(article_key=d.article_key))]
        with self._lock:
            self.seen.update(s.key for s in seen)
            added = [d for d in fresh if (d.article_key, d.platform) not in self._planned]
            self._planned.update((d.article_key, d.platform) for d in added)
            self.queued.extend(added)
        return len(added)


@dataclass
class DryPass:
    polls: list[PollReport] = field(default_factory=list)
    shown: list[Draft] = field(default_factory=list)  # what the real run would send now, in order
    review: int = 0  # posts the real run would queue for an editor's review


def dry_pass(config: Config, store: Store, show: Callable[[str, Draft], None],
             on_feed: Callable[[PollReport], None] | None = None, stop: threading.Event | None = None,
             shadow: ShadowStore | None = None) -> DryPass:
    """Every feed once, as the real run would read it, then the posts it would send: the ones already queued
    and due, then the ones this look would queue. Nothing is written. `shadow`: what earlier passes of a
    dry-run worker kept in memory (bot.runs.watch); None: a fresh one."""
    shadow = shadow if shadow is not None else ShadowStore(store)
    now = datetime.now(UTC)
    result = DryPass()

    def look(feed: FeedConfig) -> PollReport | None:
        if stop is not None and stop.is_set():
            return None
        report = poll_feed(config, cast(Store, shadow), feed, now=now, force=True)
        if on_feed:
            on_feed(report)
        return report

    with ThreadPoolExecutor(max_workers=max(1, min(FEED_WORKERS, len(config.feeds)))) as pool:
        result.polls = [r for r in pool.map(look, config.feeds) if r is not None]
    ts = now.timestamp()
    waiting: list[Delivery] = [d for d in store.deliveries(states=(QUEUED, RETRY), limit=100_000, newest_first=False)
                               if d.platform in config.platforms and d.due_at <= ts]
    drafts = [draft_of(d, config.platforms[d.platform].network) for d in waiting]
    for d in shadow.queued:
        if d.review_until is not None:
            result.review += 1
        else:
            drafts.append(draft_of(d, config.platforms[d.platform].network))
    for draft in drafts:
        if stop is not None and stop.is_set():
            break
        show(draft.platform, draft)
        result.shown.append(draft)
    return result
