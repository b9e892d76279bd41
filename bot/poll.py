"""Reading feeds into the outbox: fetch, parse, decide what is new, compose, queue.

Seen identities and queued posts are written in one transaction, so a crash either
keeps both (the posts go out later) or neither (the next poll sees the articles as new).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Protocol

from bot.config import Config, FeedConfig
from bot.feeds.kinds import not_an_article
from bot.models import Article, Draft
from bot.store.base import FeedState, NewDelivery, SeenArticle, Store

log = logging.getLogger(__name__)



@dataclass(frozen=True)
class PollReport:
    feed: str
    status: str  # "ok", "not-modified", "backing-off", "error"
    entries: int = 0
    new: int = 0
    queued: int = 0
    error: str | None = None


def compose_drafts(config: Config, article: Article, platforms: Sequence[str],
                   feed: FeedConfig | None = None) -> list[Draft]:
    from bot.compose import compose

    return [compose(article, compose_spec(config, name, feed)) for name in platforms]


def compose_spec(config: Config, platform: str, feed: FeedConfig | None = None):  # type: ignore[no-untyped-def]
    from bot.compose.spec import ComposeSpec

    p = config.platforms[platform]
    return ComposeSpec(
        platform=platform,
        template=dict(feed.templates).get(platform, p.template) if feed else p.template,
        max_hashtags=p.max_hashtags,
        hashtag_mode=p.hashtag_mode,  # type: ignore[arg-type]
        hashtag_map=dict(p.hashtag_map),
        always_tags=p.always_tags,
        never_tags=p.never_tags,
        generic_tags=config.generic_tags,
        thread=p.thread,
        thread_max=p.thread_max,
    )


def feed_platforms(config: Config, feed: FeedConfig) -> list[str]:
    names = feed.platforms or tuple(config.platforms)
    return [n for n in names if n in config.platforms]


class _Identified(Protocol):
    @property
    def key(self) -> str: ...
    @property
    def aliases(self) -> tuple[str, ...]: ...


class _Dated(Protocol):
    @property
    def published(self) -> datetime | None: ...


class _Entry(_Identified, _Dated, Protocol):
    def article(self) -> Article: ...


class _Seeable(_Identified, _Dated, Protocol):
    @property
    def url(self) -> str: ...
    @property
    def title(self) -> str: ...


def identities(item: _Identified) -> list[str]:
    """The key and every alias: an article is known when any of them was seen before."""
    return list(dict.fromkeys((item.key, *item.aliases)))


def _timestamp(item: _Dated) -> float | None:
    return item.published.timestamp() if item.published else None


def select_new(
    entries: Sequence[_Entry], known: set[str], feed: FeedConfig, baseline: bool, now: datetime,
) -> list[Article]:
    """What to post, oldest first: new entries, or on first sight the newest `backfill` of them.

    Rendering an entry's text (`article()`) costs more than parsing the whole feed, so only the
    entries that may be posted are rendered: on first sight, just enough for the backfill.
    """
    unique: dict[str, _Entry] = {}
    for entry in entries:
        unique.setdefault(entry.key, entry)
    fresh = [e for e in unique.values() if not known.intersection(identities(e))]
    if baseline:
        fresh.sort(key=lambda e: _timestamp(e) or 0.0, reverse=True)
    chosen: list[Article] = []
    for entry in fresh:
        if baseline and len(chosen) >= feed.backfill:
            break
        article = entry.article()
        # A backfill is asked for explicitly, so max age does not apply to it; the other filters do.
        # Judging the article as of its own publication time makes its age zero.
        reason = not_an_article(article) or feed.filter.reason(article, (article.published or now) if baseline else now)
        if reason is None:
            chosen.append(article)
        elif not baseline:
            log.info("feed %s: not posting %r: %s", feed.name, article.title, reason)
    from bot.feeds.order import oldest_first

    return oldest_first(chosen)


def poll_feed(config: Config, store: Store, feed: FeedConfig, now: datetime | None = None,
              force: bool = False) -> PollReport:
    """One look at one feed. Never raises for a feed problem: it is logged, recorded and backed off."""
    from bot.feeds.backoff import next_backoff
    from bot.feeds.errors import FeedError
    from bot.feeds.fetch import fetch_feed
    from bot.feeds.parse import parse_feed

    now = now or datetime.now(UTC)
    ts = now.timestamp()
    state = store.feed_state(feed.url) or FeedState(url=feed.url)
    if not force and state.next_attempt_at and ts < state.next_attempt_at:
        return PollReport(feed.name, "backing-off", error=state.last_error)
    url = state.current_url or feed.url
    try:
        result = fetch_feed(url, etag=state.etag, last_modified=state.last_modified)
        if result.status == 304 or result.body is None:
            store.save_feed_state(replace(state, last_checked_at=ts, last_success_at=ts, failures=0,
                                          next_attempt_at=None, last_error=None))
            return PollReport(feed.name, "not-modified")
        parsed = parse_feed(result.body, result.final_url or url, result.content_type)
    except FeedError as exc:
        failures = state.failures + 1
        delay = next_backoff(failures, retry_after=getattr(exc, "retry_after", None), jitter=0.2)
        log.warning("feed %s: %s (attempt %d; next try in %ds)", feed.name, exc, failures, delay)
        store.save_feed_state(replace(state, failures=failures, next_attempt_at=ts + delay, last_error=str(exc),
                                      last_checked_at=ts))
        return PollReport(feed.name, "error", error=str(exc))

    # Cleaning an entry's HTML costs more than parsing the feed, so only new entries become Articles.
    entries = [e for e in parsed.entries if e.title or e.url]
    if len(entries) < len(parsed.entries):
        log.info("feed %s: skipped %d entries with neither title nor link", feed.name,
                 len(parsed.entries) - len(entries))
    known = store.known_keys(k for e in entries for k in identities(e))
    fresh = [e for e in entries if not known.intersection(identities(e))]
    by_key = {e.key: e for e in fresh}
    chosen = select_new(fresh, known, feed, baseline=not state.baseline_done, now=now)
    chosen = [_complete_excerpt(a, by_key[a.key].excerpt_only, feed) for a in chosen]
    platforms = feed_platforms(config, feed)
    deliveries = [
        new_delivery(article, draft, feed.url, ts)
        for article in chosen
        for draft in compose_drafts(config, article, platforms, feed)
    ]
    seen = [row for e in entries for row in seen_rows(e, feed.url)]
    queued = store.record_articles(seen, deliveries, ts)
    new_count = len(fresh)
    redirected = result.moved_to if result.permanent_redirect and result.moved_to else state.current_url
    if redirected != state.current_url:
        log.warning("feed %s moved permanently to %s; using the new address from now on", feed.name, redirected)
    store.save_feed_state(replace(
        state, current_url=redirected, etag=result.etag, last_modified=result.last_modified, baseline_done=True,
        failures=0, next_attempt_at=None, last_error=None, last_checked_at=ts, last_success_at=ts,
    ))
    if not state.baseline_done:
        log.info("feed %s: first sight, %d entries recorded as seen, %d queued (backfill %d)",
                 feed.name, len(entries), len(chosen), feed.backfill)
    elif chosen:
        log.info("feed %s: %d new article(s), %d post(s) queued", feed.name, len(chosen), queued)
    return PollReport(feed.name, "ok", entries=len(entries), new=new_count, queued=queued)


def seen_rows(item: _Seeable, feed_url: str) -> list[SeenArticle]:
    """One row per identity of an entry or article, all pointing at its main key."""
    return [SeenArticle(key=key, article_key=item.key, feed_url=feed_url, url=item.url, title=item.title,
                        published_at=_timestamp(item)) for key in identities(item)]


def _complete_excerpt(article: Article, excerpt_only: bool, feed: FeedConfig) -> Article:
    """A feed that carries only a teaser: read the article's page for its text and image."""
    if not excerpt_only or not article.url.startswith(("http://", "https://")):
        return article
    from bot.feeds.errors import FeedError
    from bot.feeds.page import complete_from_page

    try:
        return complete_from_page(article)
    except FeedError as exc:
        log.warning("feed %s: using the excerpt of %r: %s", feed.name, article.title, exc)
        return article


def new_delivery(article: Article, draft: Draft, feed_url: str, now: float) -> NewDelivery:
    """The outbox row for one composed post, due now."""
    return NewDelivery(
        article_key=article.key, platform=draft.platform, feed_url=feed_url, article_url=article.url,
        title=article.title, text=draft.text, link=draft.link, hashtags=draft.hashtags,
        image_url=draft.image.url if draft.image else None, image_alt=draft.image.alt if draft.image else None,
        thread=draft.thread, published_at=_timestamp(article), due_at=now,
    )
