"""Whether the config in force when a queued post goes out still sends it (issue 21 item 4).

A post is composed and queued under the config of its poll, but it goes out under the config of the moment:
an editor may meanwhile have switched review on, removed its feed, stopped routing the feed to the account, or
turned the account off and back on days later (its posts then obey max_age_days, and the pacing of a backlog:
bot.schedule's burst rule). Delivery asks `verdict` about each post it claims, before
anything is sent; `bot queue` and the editors' page ask `why_not` about each waiting post, so what would be
held or dropped is shown with its reason before it happens.

Only a post nothing of which may have reached the network is judged: an uncertain one or a thread with parts
posted is finished as it started (holding half a thread back would leave it half). What is only staged for it
(an upload, a Threads container: bot.platforms.staged) is not on the network: that post is judged like any.
A post that is not a feed's (a one-off `bot post`) was chosen by a person for that account: only its account
matters, and delivery only runs for accounts in the config.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.config import Config, FeedConfig
from bot.poll import feed_platforms
from bot.redact import display_url
from bot.review import hold_until, may_be_out
from bot.store.base import Delivery, Store

SEND = "send"
REVIEW = "review"  # back to the editors: review is on for it now and nobody approved it
DROP = "drop"  # never sent: the config no longer sends it (kept as skipped, with why)
_DAY = 86_400.0


@dataclass(frozen=True)
class Verdict:
    action: str
    reason: str = ""
    review_until: float | None = None  # REVIEW: held until then, as a post queued now would be


def stored_feeds(store: Store) -> Callable[[], set[str]]:
    """The `known_feeds` of `verdict`: every feed the store has read, as rows name them (without credentials),
    read once and only when asked."""
    known: list[set[str]] = []

    def read() -> set[str]:
        if not known:
            known.append({display_url(f.url) for f in store.all_feed_states()})
        return known[0]

    return read


_by_url: list[tuple[Config, dict[str, FeedConfig]]] = []  # the last config's feeds by URL (one slot)


def feed_of(config: Config, d: Delivery) -> FeedConfig | None:
    """The configured feed a row came from (rows name it without credentials: shown_url). The lookup table is
    built once per config, not once per row: `bot queue` asks for every row."""
    cached = _by_url[0] if _by_url else None
    if cached is None or cached[0] is not config:
        cached = (config, {u: f for f in reversed(config.feeds) for u in (f.url, f.shown_url)})
        _by_url[:] = [cached]
    return cached[1].get(d.feed_url)


def verdict(config: Config, d: Delivery, now: float, known_feeds: Callable[[], set[str]],
            claimed: bool = False) -> Verdict:
    """SEND, or why not. `known_feeds`: the URLs of every feed the store has read (a row whose feed_url is one of
    them came from a feed; asked only when the row's feed is not configured). `claimed`: `d` is claimed for
    this attempt (its attempts count it already)."""
    if may_be_out(d):
        return Verdict(SEND)
    feed = feed_of(config, d)
    if feed is None:
        if display_url(d.feed_url) in known_feeds():
            return Verdict(DROP, "its feed is no longer in the config")
        return Verdict(SEND)  # a one-off post
    if d.platform not in feed_platforms(config, feed):
        return Verdict(DROP, f"feed {feed.name} no longer posts to {d.platform}")
    if d.approved_at is None:
        # A post already tried was due when it was tried: an outage or an editor's release of a held post delays
        # it, and delay never loses a post. What never went (an account away for days) obeys the age rule.
        tried_before = d.attempts > (1 if claimed else 0)
        if not tried_before and (stale := _too_old(feed, d, now)):
            return Verdict(DROP, stale)
        until = hold_until(config, feed, d.platform, now)
        if until is not None and d.review_until is None:
            return Verdict(REVIEW, "review was switched on after it was queued: it waits for an editor", until)
    return Verdict(SEND)


def _too_old(feed: FeedConfig, d: Delivery, now: float) -> str | None:
    """max_age_days holds when a post goes out, not only when it is queued: a post that waited (an account
    turned off for days, a long pause, a weekend outside the windows) is not sent once its article is older than
    that. A post already older when it was queued was chosen so on purpose (a backfill, a released flood: they
    are exempt from the age rule) and stays exempt; an editor's approval is a choice too (the caller)."""
    published = d.published_at if d.published_at is not None else d.created_at
    limit = feed.max_age_days * _DAY
    if now - published <= limit or d.created_at - published > limit:
        return None
    return (f"its article is {(now - published) / _DAY:.1f} days old, older than feed {feed.name}'s max_age_days "
            f"({feed.max_age_days:g}); it waited {(now - d.created_at) / _DAY:.1f} days in the queue")


def why_not(config: Config, d: Delivery, now: float, known_feeds: Callable[[], set[str]]) -> str | None:
    """For reports (`bot queue`, the page): what happens to a waiting post when it comes up, if it is not sent."""
    if d.platform not in config.platforms:
        return (f"account {d.platform} is not in the config (or not enabled): it waits; if the account comes back, "
                "posts that waited longer than their feed's max_age_days are dropped and the rest are paced")
    v = verdict(config, d, now, known_feeds)
    if v.action == DROP:
        return f"not sent, dropped when it comes up: {v.reason}"
    if v.action == REVIEW:
        return f"not sent until approved: {v.reason}"
    return None
