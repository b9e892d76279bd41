"""Reading feeds into the outbox: fetch, parse, decide what is new, compose, queue.

Seen identities and queued posts are written in one transaction, so a crash either
keeps both (the posts go out later) or neither (the next poll sees the articles as new).
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Protocol

from bot.config import Config, FeedConfig
from bot.feeds.filters import FilterTimeout
from bot.models import Article, Draft
from bot.net.policy import Guard, is_web_url
from bot.redact import reattach_userinfo, strip_userinfo
from bot.review import hold_until
from bot.store.base import FeedState, NewDelivery, SeenArticle, Store

if TYPE_CHECKING:
    from bot.feeds.entries import FeedEntry
    from bot.feeds.fetch import FetchLimits

log = logging.getLogger(__name__)

# Feeds are read by a pool of threads so that a slow site never holds up the others, but parsing and
# composing are pure Python: under the GIL they cannot overlap, and eight threads taking turns at it every
# few milliseconds cost more than the work (a steady cycle over a thousand feeds took half as long again
# as one thread doing it all). One thread at a time does that work; the waiting (fetches, article pages)
# stays concurrent. Store calls inside it are short, and no store lock is ever held while waiting for it.
_COMPUTING = threading.Lock()


def feed_guard(config: Config, feed_url: str) -> Guard:
    """Where fetches for this feed may connect: public hosts, the configured feed's own host (the
    editor's choice, even when private), and what `[bot] allow_private` names."""
    return Guard(config.allow_private).trusting(feed_url)


def fetch_limits(config: Config) -> FetchLimits:
    from bot.feeds.fetch import FetchLimits

    return FetchLimits(total_deadline=config.fetch_deadline)


@dataclass(frozen=True)
class PollReport:
    feed: str
    status: str  # "ok", "not-modified", "backing-off", "error", "flood" (paused now), "paused" (still)
    entries: int = 0
    new: int = 0
    queued: int = 0
    error: str | None = None


def compose_drafts(config: Config, article: Article, platforms: Sequence[str],
                   feed: FeedConfig | None = None) -> list[Draft]:
    """One draft per account, written to its network's rules; each gets its send key now, so the outbox row
    keeps the same one for every attempt (bot.networks)."""
    from bot import networks
    from bot.compose import compose

    drafts = []
    for name in platforms:
        network = networks.get(config.platforms[name].network)
        account = config.platforms[name]
        # An account's own server may set its own limit (a Mastodon instance): read once per process.
        rules = network.account_rules(account.endpoint) if network.account_rules and account.endpoint else None
        draft = compose(article, compose_spec(config, name, feed), rules)
        if not (rules or network.rules).fits(draft.text):
            # compose fits every post by construction (the link alone is the last resort); a draft that still
            # does not is never queued nor shown as postable: the network would refuse it, or cut it.
            log.error("%s: %s: the post is over %s's limit even as the link alone; not queued", name,
                      article.url or article.key, network.title)
            continue
        drafts.append(replace(draft, platform=name, network=network.name,
                              send_key=network.new_send_key() if network.new_send_key else None))
    return drafts


def compose_spec(config: Config, platform: str, feed: FeedConfig | None = None):  # type: ignore[no-untyped-def]
    from bot.compose.spec import ComposeSpec

    p = config.platforms[platform]
    return ComposeSpec(
        platform=p.network,  # the rules are the network's; the draft goes to the account
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


class _Seeable(_Identified, _Dated, Protocol):
    @property
    def url(self) -> str: ...
    @property
    def title(self) -> str: ...


class _Entry(_Seeable, Protocol):
    def article(self) -> Article: ...


def identities(item: _Identified) -> list[str]:
    """The key and every alias: an article is known when any of them was seen before."""
    return list(dict.fromkeys((item.key, *item.aliases)))


def _timestamp(item: _Dated) -> float | None:
    return item.published.timestamp() if item.published else None


def select_new(
    entries: Sequence[_Entry], known: set[str], feed: FeedConfig, baseline: bool, now: datetime,
    limit: int | None = None, held: set[str] | None = None,
) -> list[Article]:
    """What to post, oldest first: new entries, or only the newest `limit` of them (on first sight,
    the newest `backfill`). An article an editor's pattern could not decide in time is chosen too, and its
    key added to `held`: its posts wait for an editor (neither posted unseen nor dropped).

    Rendering an entry's text (`article()`) costs more than parsing the whole feed, so only the
    entries that may be posted are rendered: with a limit, just enough to fill it.
    """
    from bot.feeds.kinds import not_an_article  # only a pass with new entries needs it (and html.entities)

    if baseline:
        limit = feed.backfill
    fresh = _unique_fresh(entries, known)
    if limit is not None:
        fresh.sort(key=lambda e: _timestamp(e) or 0.0, reverse=True)
    chosen: list[Article] = []
    for entry in fresh:
        if limit is not None and len(chosen) >= limit:
            break
        article = entry.article()
        # A backfill is asked for explicitly, so max age does not apply to it; the other filters do.
        try:
            reason = not_an_article(article) or feed.filter.reason(article, now, backfill=baseline)
        except FilterTimeout as exc:
            log.warning("feed %s: %r is HELD for review, neither posted nor dropped: %s; approve or skip it "
                        "(bot queue)", feed.name, article.title[:80], exc)
            if held is not None:
                held.add(article.key)
            reason = None
        if reason is None:
            chosen.append(article)
        elif not baseline:
            log.info("feed %s: not posting %r: %s", feed.name, article.title, reason)
    from bot.feeds.order import oldest_first

    return oldest_first(chosen)


def _unique_fresh(entries: Sequence[_Entry], known: set[str]) -> list[_Entry]:
    unique: dict[str, _Entry] = {}
    for entry in entries:
        unique.setdefault(entry.key, entry)
    return [e for e in unique.values() if not known.intersection(identities(e))]


def flood_size(entries: Sequence[_Entry], known: set[str], feed: FeedConfig, now: datetime) -> int:
    """How many new entries the date rules would let through: counted from dates alone, before any entry
    is rendered or any page fetched, so that deciding a flood costs nothing."""
    return sum(1 for e in _unique_fresh(entries, known) if feed.filter.date_reason(e.published, now) is None)


@dataclass(frozen=True)
class Release:
    """An editor's answer to a flood (`bot retry --feed`): post every new article, or only the newest
    `newest` of them and record the others as seen without posting them."""

    newest: int | None = None


def poll_feed(config: Config, store: Store, feed: FeedConfig, now: datetime | None = None,
              force: bool = False, release: Release | None = None,
              defer: Callable[[FeedState], None] | None = None, state: FeedState | None = None) -> PollReport:
    """One look at one feed. Never raises for a feed problem: it is logged, recorded and backed off.

    A feed paused by a flood is not read until an editor releases it: that look (`release`) reads the
    feed afresh and queues what the editor chose.

    `defer`: where the state after a "not modified" answer goes instead of the store, to be written in one
    batch with the others (the common case of a cycle; bot.sharing). Nothing else waits for that write:
    losing it costs one more full read of the feed, never an article.

    `state`: the feed's stored state when the caller read it with others' (Bot.poll, a claim); else it is read.
    """
    from bot.feeds.backoff import next_backoff
    from bot.feeds.errors import FeedError
    from bot.feeds.fetch import fetch_feed
    from bot.feeds.moves import track_move

    now = now or datetime.now(UTC)
    ts = now.timestamp()
    if state is None:
        state = store.feed_state(feed.url) or FeedState(url=feed.url)
    if state.flood_held and release is None:
        log.warning("feed %s: PAUSED since a flood of %d new articles; waiting for an editor (%s)", feed.name,
                    state.flood_held, release_hint(feed))
        return PollReport(feed.name, "paused", new=state.flood_held)
    if not force and release is None and state.next_attempt_at and ts < state.next_attempt_at:
        return PollReport(feed.name, "backing-off", error=state.last_error)
    # A stored move is used only as an http(s) address; only the configured URL may be a file. It is stored
    # without credentials: those of the configured URL go along on its host.
    moved = state.current_url if state.current_url and is_web_url(state.current_url) else None
    url = reattach_userinfo(moved, feed.url) if moved else feed.url
    guard = feed_guard(config, feed.url)
    # A release reads the whole feed again: a "not modified" answer would leave the held articles unread.
    etag, last_modified = (None, None) if release else (state.etag, state.last_modified)
    try:
        result = fetch_feed(url, etag=etag, last_modified=last_modified, limits=fetch_limits(config), guard=guard)
        move = track_move(strip_userinfo(url), state.current_url, state.move_candidate, state.move_seen_since,
                          result.moved_to if result.permanent_redirect else None, ts)
        if move.news:
            log.warning("feed %s: %s", feed.name, move.news)
        state = replace(state, current_url=move.current_url, move_candidate=move.candidate,
                        move_seen_since=move.since)
        if result.status == 304 or result.body is None:
            (defer or store.save_feed_state)(replace(state, last_checked_at=ts, last_success_at=ts, failures=0,
                                                     next_attempt_at=None, last_error=None))
            return PollReport(feed.name, "not-modified")
        # Imported here, not with the others: a pass where every feed answers 304 (the common case of a cron
        # run) needs no parser, and the parser's imports (lxml, the text rules' regex module) were a fifth of it.
        from bot.feeds.parse import parse_feed

        with _COMPUTING:
            parsed = parse_feed(result.body, result.final_url or url, result.content_type)
    except FeedError as exc:
        failures = state.failures + 1
        delay = next_backoff(failures, retry_after=getattr(exc, "retry_after", None), jitter=0.2)
        log.warning("feed %s: %s (attempt %d; next try in %ds)", feed.name, exc, failures, delay)
        store.save_feed_state(replace(state, failures=failures, next_attempt_at=ts + delay, last_error=str(exc),
                                      last_checked_at=ts))
        return PollReport(feed.name, "error", error=str(exc))

    with _COMPUTING:
        # Cleaning an entry's HTML costs more than parsing the feed, so only new entries become Articles.
        # Identities are scoped by the feed's own identity (its configured URL without credentials, whatever
        # it redirects to).
        entries = [e.scoped(feed.shown_url) for e in parsed.entries if e.title or e.url]
        if parsed.left_out:
            log.warning("feed %s: %d items, more than a feed can mean: the first and last %d were read, the other "
                        "%d counted and not kept", feed.name, len(parsed.entries) + parsed.left_out,
                        len(parsed.entries) // 2, parsed.left_out)
        if len(entries) < len(parsed.entries):
            log.info("feed %s: skipped %d entries with neither title nor link", feed.name,
                     len(parsed.entries) - len(entries))
        # Recorded before schema 3, entries sharing a link were all recorded under that link: on the first
        # poll since, the link still stands for them, so none that was posted or baselined comes back.
        legacy = [e.url for e in entries if e.link_shared] if state.legacy_links else []
        known = store.known_keys([*(k for e in entries for k in identities(e)), *legacy])
        fresh = [e for e in entries if not known.intersection(identities(e))
                 and not (legacy and e.link_shared and e.url in known)]
        fresh = _not_relinked(store, entries, fresh)
        _log_shared_links(feed, fresh)
        if state.baseline_done and release is None:
            flood = flood_size(fresh, known, feed, now)
            if flood > feed.flood_limit:
                return _hold_flood(store, state, feed, entries, fresh, flood, ts)
        by_key = {e.key: e for e in fresh}
        undecided: set[str] = set()  # articles a pattern could not decide in time: held for an editor
        chosen = select_new(fresh, known, feed, baseline=not state.baseline_done, now=now,
                            limit=release.newest if release else None, held=undecided)
    # An excerpt-only feed's pages are fetched outside: that is waiting, not work.
    chosen = [complete_excerpt(a, by_key[a.key].excerpt_only, feed, guard, config) for a in chosen]
    with _COMPUTING:
        for article in chosen:
            if article.url and not is_web_url(article.url):
                log.warning("feed %s: %r links to %r, not a web page: posting it without a link", feed.name,
                            article.title, article.url.split(":", 1)[0] + ":")
        platforms = feed_platforms(config, feed)
        deliveries = [
            new_delivery(article, draft, feed.url, ts, review_until=hold_until(
                config, replace(feed, review=True) if article.key in undecided else feed, draft.platform, ts))
            for article in chosen
            for draft in compose_drafts(config, article, platforms, feed)
        ]
        seen = [row for e in entries for row in seen_rows(e, feed.url)]
        # The new ETag is stored with the entries it covers: a crash loses both, and the next look reads them again.
        queued = store.record_articles(seen, deliveries, ts, feed_state=replace(
            state, etag=result.etag, last_modified=result.last_modified, baseline_done=True, legacy_links=False,
            failures=0, next_attempt_at=None, last_error=None, last_checked_at=ts, last_success_at=ts,
            flood_held=0, flood_at=None,
        ))
        new_count = len(fresh)
    if not state.baseline_done:
        log.info("feed %s: first sight, %d entries recorded as seen, %d queued (backfill %d)",
                 feed.name, len(entries), len(chosen), feed.backfill)
    elif release:
        log.warning("feed %s: released by an editor: %d new article(s), %d post(s) queued, %d recorded as seen "
                    "without posting", feed.name, len(chosen), queued, new_count - len(chosen))
    elif chosen:
        log.info("feed %s: %d new article(s), %d post(s) queued", feed.name, len(chosen), queued)
    return PollReport(feed.name, "ok", entries=len(entries), new=new_count, queued=queued)


def _not_relinked(store: Store, entries: Sequence[FeedEntry], fresh: Sequence[FeedEntry]) -> list[FeedEntry]:
    """Drop the fresh entries that were recorded under their link and title before.

    An entry without a usable guid is known by its link while no other entry of the feed shares
    that link, and by its content (title and text) while one does. An edit of its text changes the
    latter, and so does a change in the sharing (a second entry links to the same home page, or the
    others leave the feed): what was recorded with the same link and the same title is still this
    entry, unless another entry of the feed has that link and title too (then only the text tells
    them apart).
    """
    from bot.feeds.identity import is_content_key

    linked = [e for e in fresh if e.url and (e.link_shared or e.key == e.url)]
    if not linked:
        return list(fresh)
    recorded: dict[tuple[str, str], list[str]] = {}
    for row in store.seen_by_url({e.url for e in linked}):
        recorded.setdefault((row.url, row.title), []).append(row.key)
    alike = Counter((e.url, e.title) for e in entries if e.link_shared)

    def relinked(e: FeedEntry) -> bool:
        keys = recorded.get((e.url, e.title), [])
        if e.link_shared:
            return bool(keys) and alike[(e.url, e.title)] == 1
        return any(is_content_key(k) for k in keys)

    return [e for e in fresh if not relinked(e)]


def _log_shared_links(feed: FeedConfig, fresh: Sequence[FeedEntry]) -> None:
    """Say so when new entries cannot be told apart by their link: they are known by title and text
    (an edited title makes a new article)."""
    for link, count in Counter(e.url for e in fresh if e.link_shared).items():
        log.warning("feed %s: %d new entr%s without a usable guid share the link %s with other entries, so it "
                    "cannot identify them: each is known by its title and text instead", feed.name, count,
                    "y" if count == 1 else "ies", link)


def release_hint(feed: FeedConfig) -> str:
    return (f"`bot retry --feed {feed.name}` posts them all, `bot retry --feed {feed.name} --backfill N` "
            "only the newest N")


def _hold_flood(store: Store, state: FeedState, feed: FeedConfig, entries: Sequence[_Entry],
                fresh: Sequence[_Entry], flood: int, ts: float) -> PollReport:
    """Queue nothing and mark none of the new entries seen (a release must still find them new); the
    entries known already are seen again, as on any look, so they stay remembered."""
    new = {id(e) for e in fresh}
    store.record_articles([row for e in entries if id(e) not in new for row in seen_rows(e, feed.url)], [], ts,
                          feed_state=replace(state, flood_held=flood, flood_at=ts, failures=0, next_attempt_at=None,
                                             last_error=None, last_checked_at=ts, last_success_at=ts))
    log.error("feed %s: FLOOD: %d new articles in one look (flood_limit %d): none queued, feed PAUSED until an "
              "editor decides: %s", feed.name, flood, feed.flood_limit, release_hint(feed))
    return PollReport(feed.name, "flood", entries=len(entries), new=flood)


def seen_rows(item: _Seeable, feed_url: str) -> list[SeenArticle]:
    """One row per identity of an entry or article, all pointing at its main key."""
    return [SeenArticle(key=key, article_key=item.key, feed_url=feed_url, url=item.url, title=item.title,
                        published_at=_timestamp(item)) for key in identities(item)]


def complete_excerpt(article: Article, excerpt_only: bool, feed: FeedConfig, guard: Guard,
                      config: Config) -> Article:
    """A feed that carries only a teaser: read the article's page for its text and image (under the
    feed's guard: a page on another private host is refused, and the excerpt is posted). `bot run` and
    `bot preview` both call it, so a preview shows what a run posts."""
    if not excerpt_only or not is_web_url(article.url):
        return article
    from bot.feeds.errors import FeedError
    from bot.feeds.page import PAGE_LIMITS, complete_from_page

    try:
        return complete_from_page(article, guard=guard,
                                  limits=replace(PAGE_LIMITS, total_deadline=config.fetch_deadline))
    except FeedError as exc:
        log.warning("feed %s: using the excerpt of %r: %s", feed.name, article.title, exc)
        return article


def new_delivery(article: Article, draft: Draft, feed_url: str, now: float,
                 review_until: float | None = None) -> NewDelivery:
    """The outbox row for one composed post, due now; held for review until `review_until` if set."""
    return NewDelivery(
        article_key=article.key, platform=draft.platform, feed_url=feed_url, article_url=article.url,
        title=article.title, text=draft.text, link=draft.link, hashtags=draft.hashtags,
        image_url=draft.image.url if draft.image else None, image_alt=draft.image.alt if draft.image else None,
        thread=draft.thread, published_at=_timestamp(article), due_at=now, send_key=draft.send_key,
        language=draft.language, description=draft.description or None, review_until=review_until,
    )

