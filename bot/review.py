"""Editors' review: which posts are held, the queue as editors see it, and the four actions on it.

One module for the CLI (`bot queue/approve/skip/edit`), the page and the JSON API (bot.web): each action
checks what a person can be told ("already sent", "too long: 291 of 280") and then makes one guarded write
in the store, so two editors and a worker never interleave (bot.store.sql: approve, skip, edit_text).

A post held for review (state `review`) is never claimed by delivery. Approved, it joins the schedule in
its place (publication order; windows, gaps and caps apply). Skipped, it is never sent and its row keeps the
article from being queued there again. Edited, it keeps its id, its place and its exactly-once guarantees:
only a post nothing of which may have left for the network can be edited (bot.store.sql.edit_text).
Held past `review_until`, it is expired: `approve --all` leaves it, only an approval of that post sends it.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.config import Config, FeedConfig
from bot.errors import ConfigError
from bot.platforms.staged import posted
from bot.store.base import (
    DRY_RUN,
    FAILED,
    HELD,
    POSTED,
    QUEUED,
    RETRY,
    REVIEW,
    SENDING,
    SKIPPED,
    Delivery,
    Store,
)

EXPIRED = "expired"  # shown for a post held past its review time (stored as `review`)
QUEUE_STATES = (REVIEW, QUEUED, RETRY, SENDING, FAILED)


class ReviewError(ConfigError):
    """An action that cannot be done, said in one line; `status` is its HTTP answer (bot.web), and the CLI
    exits 2 like for any usage mistake. Nothing was changed."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


def not_found(delivery_id: int) -> ReviewError:
    return ReviewError(f"no post #{delivery_id} in the queue (see `bot queue`)", 404)


def may_be_out(d: Delivery) -> bool:
    """Whether an earlier attempt may have put something of this post on the network: its outcome is unknown,
    or a part of it is posted. What is only staged (an upload kept for reuse, a Threads container not
    published: bot.platforms.staged) is not on the network. The one answer for editing, taking back, the
    skip's warning, the page's forms and the delivery gate (bot.delivery.gate)."""
    return d.uncertain or bool(posted(d.parts))


# --- policy ---------------------------------------------------------------------------------------


def hold_until(config: Config, feed: FeedConfig | None, platform: str, now: float) -> float | None:
    """When a post queued now stops waiting for review, or None when it is not held. The feed's `review`
    wins over its platform's."""
    pconf = config.platforms.get(platform)
    if pconf is None:
        return None
    review = feed.review if feed is not None and feed.review is not None else pconf.review
    if not review:
        return None
    expires = (feed.review_expires if feed is not None else None) or pconf.review_expires
    return now + expires.total_seconds()


def is_expired(d: Delivery, now: float) -> bool:
    return d.state == REVIEW and d.review_until is not None and d.review_until < now


def network_rules(config: Config | None, platform: str) -> Any:
    """The rules an account's posts are composed to, so an edit is checked as compose checks (bot.poll): the
    network's (its `network`, else its name), as the account's own server states them where it has its own (a
    Mastodon instance's limit, read once per process)."""
    from bot import networks
    from bot.compose import rules_for

    pconf = config.platforms.get(platform) if config else None
    name = str(getattr(pconf, "network", None) or platform)
    if pconf is not None and pconf.endpoint and name in networks.names():
        network = networks.get(name)
        if network.account_rules is not None:
            return network.account_rules(pconf.endpoint)
    return rules_for(name)


def direction(text: str) -> str:
    """"rtl" or "ltr" by the first strongly directional letter (as dir="auto" decides); "auto" if none."""
    for char in text:
        kind = unicodedata.bidirectional(char)
        if kind in ("R", "AL"):
            return "rtl"
        if kind == "L":
            return "ltr"
    return "auto"


# --- the queue ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueItem:
    delivery: Delivery
    state: str  # the stored state, or "expired"
    not_before: float | None  # when it would go out under the schedule; None: held, in flight or failed
    wait_reason: str | None  # why it waits past its due time, if it does
    length: int
    limit: int

    @property
    def may_be_out(self) -> bool:
        """bot.review.may_be_out, for the page's template."""
        return may_be_out(self.delivery)

    def as_json(self, tz: str = "UTC") -> dict[str, Any]:
        """Times in ISO 8601 with their offset, in `tz` (the CLI passes `[bot] timezone`)."""
        d = self.delivery
        return {
            "id": d.id, "platform": d.platform, "state": self.state, "article_url": d.article_url,
            "title": d.title, "text": d.text, "link": d.link, "image": d.image_url, "image_alt": d.image_alt,
            "hashtags": list(d.hashtags), "thread": list(d.thread), "not_before": iso(self.not_before, tz),
            "wait_reason": self.wait_reason, "length": self.length, "limit": self.limit,
            "edit_version": d.edit_version, "edited_at": iso(d.edited_at, tz), "review_until": iso(d.review_until, tz),
            "last_error": d.last_error, "direction": direction(d.text),
        }


def iso(ts: float | None, tz: str = "UTC") -> str | None:
    from bot.report.clock import iso as local_iso

    return local_iso(ts, tz)


def queue(config: Config, store: Store, now: float, platform: str | None = None) -> list[QueueItem]:
    """Every post not yet settled, per platform in the order they go out (oldest first), with when."""
    from bot.delivery.gate import stored_feeds, why_not
    from bot.delivery.loop import quota_wait
    from bot.schedule import plan_posts

    # Accounts no longer in the config keep their rows: they are listed too, with why they wait.
    gone = sorted({name for name, _ in store.queue_counts()} - set(config.platforms))
    names = [platform] if platform else [*config.platforms, *gone]
    known_feeds = stored_feeds(store)
    items: list[QueueItem] = []
    for name in names:
        rows = store.deliveries(states=QUEUE_STATES, platform=name, limit=10_000, newest_first=False)
        pconf = config.platforms.get(name)
        planned: dict[int, tuple[float | None, str | None]] = {}
        state = store.platform_state(name)
        # What the config in force would not send as it is (bot.delivery.gate) takes no slot in the plan.
        withheld = {r.id: why for r in rows if r.state in (QUEUED, RETRY)
                    if (why := why_not(config, r, now, known_feeds))}
        waiting = [r for r in rows if r.state in (QUEUED, RETRY) and r.id not in withheld]
        if pconf is not None and waiting and not state.paused_reason:
            start = now
            if quota_wait(store, name, now) and state.quota_reset_at:
                start = state.quota_reset_at
            for p in plan_posts(pconf, [(r, r.due_at) for r in waiting], start, store):
                planned[p.item.id] = (p.at, p.reason)
        for r in rows:
            at, why = planned.get(r.id, (None, None))
            if r.state in (QUEUED, RETRY) and state.paused_reason:
                why = f"the account is paused: {state.paused_reason}"
            if r.id in withheld:
                at, why = None, withheld[r.id]
            length, limit = _measure(config, name, r.text)
            items.append(QueueItem(r, EXPIRED if is_expired(r, now) else r.state, at, why, length, limit))
    return items


def _measure(config: Config, name: str, text: str) -> tuple[int, int]:
    """(length, limit) of a post by its account's rules; an account no longer configured is measured by the
    network it was declared with, else (its table is gone) only by its own length."""
    if name in config.platforms:
        rules = network_rules(config, name)
    else:
        from bot.compose import rules_for

        try:
            rules = rules_for(dict(config.declared_accounts).get(name, name))
        except ValueError:
            return len(text), len(text)
    return rules.count(text), rules.max_length


# --- actions --------------------------------------------------------------------------------------


def _get(store: Store, delivery_id: int) -> Delivery:
    d = store.delivery(delivery_id)
    if d is None:
        raise not_found(delivery_id)
    return d


def _settled(d: Delivery, doing: str) -> ReviewError | None:
    """Why `doing` cannot be done to a post that has left, is leaving, or was dropped."""
    if d.state in (POSTED, DRY_RUN):
        where = f" ({d.remote_url})" if d.remote_url else ""
        return ReviewError(f"post #{d.id} was already sent to {d.platform}{where}: cannot {doing} it", 409)
    if d.state == SENDING:
        return ReviewError(f"post #{d.id} is being sent to {d.platform} right now: cannot {doing} it", 409)
    if d.state == SKIPPED:
        return ReviewError(f"post #{d.id} was skipped: cannot {doing} it", 409)
    return None


def approve(store: Store, ids: Sequence[int], now: float) -> list[str]:
    """Release held posts to the schedule. Every id is checked first: one that is unknown or sent changes
    nothing. Approving a post that is approved already is harmless."""
    found = [_get(store, i) for i in ids]
    for d in found:
        if d.state != SENDING and (problem := _settled(d, "approve")):
            raise problem
        if d.state == FAILED:
            raise ReviewError(f"post #{d.id} failed ({d.last_error}): `bot retry --platform {d.platform}` queues "
                              "it again", 409)
    lines = []
    for d in found:
        if d.state == REVIEW and store.approve(d.id, now):
            late = " (it had been held past its review time)" if is_expired(d, now) else ""
            lines.append(f"#{d.id} {d.platform}: approved{late}; it goes out under the schedule")
        else:
            lines.append(f"#{d.id} {d.platform}: already approved")
    return lines


def approve_all(store: Store, now: float, platform: str | None = None) -> list[str]:
    return approve_all_rows(store, now, platform)[0]


def approve_all_rows(store: Store, now: float, platform: str | None = None) -> tuple[list[str], list[Delivery]]:
    """`approve --all`: every held post not past its review time, each by its own guarded write (as `approve
    ID`), so that exactly the posts this call released are known, for the audit trail. Returns the lines to
    print and those posts as they were."""
    held = store.deliveries(states=(REVIEW,), platform=platform, limit=100_000, newest_first=False)
    approved = [d for d in held if not is_expired(d, now) and store.approve(d.id, now)]
    lines = [f"approved {len(approved)} post(s)" + (f" on {platform}" if platform else "")]
    expired = [d for d in store.deliveries(states=(REVIEW,), platform=platform, limit=10_000) if is_expired(d, now)]
    if expired:
        lines.append(f"{len(expired)} expired post(s) left held ({', '.join(f'#{d.id}' for d in expired[:10])}): "
                     "approve each one by its id if it should still go out")
    return lines, approved


def requeue(store: Store, now: float, platform: str | None = None) -> tuple[str, list[Delivery], int]:
    """`bot retry`: failed posts queued again, held ones (outcome unknown, checked by the editor) released to
    be sent once more without a lookup. Returns the line to print, the posts this call requeued as they were
    (the rows that are now queued and due at `now`), and how many more the store reports (a post that failed
    between the listing and the write: counted, never lost from the trail)."""
    candidates = store.deliveries(states=(FAILED, HELD), platform=platform, limit=100_000, newest_first=False)
    count = store.requeue_failed(now, platform)
    done = [d for d in candidates
            if (after := store.delivery(d.id)) is not None and after.state == QUEUED and after.due_at == now]
    held = sum(1 for d in done if d.state == HELD)
    line = (f"requeued {max(count - held, 0)} failed post(s)"
            + (f"; released {held} held post(s), each sent once more without a lookup" if held else ""))
    return line, done, max(count - len(done), 0)


def skip(store: Store, ids: Sequence[int], now: float) -> list[str]:
    """Drop posts for good. Every id is checked first; skipping twice is harmless."""
    found = [_get(store, i) for i in ids]
    for d in found:
        if d.state != SKIPPED and (problem := _settled(d, "skip")):
            raise problem
    lines = []
    for d in found:
        if d.state == SKIPPED:
            lines.append(f"#{d.id} {d.platform}: already skipped")
        elif store.skip(d.id, now):
            maybe = (f" (an earlier attempt may have reached {d.platform} before it was skipped: check the "
                     "account)") if may_be_out(d) else ""
            lines.append(f"#{d.id} {d.platform}: skipped; it is never sent{maybe}")
        else:  # it changed meanwhile (a worker took it, another editor skipped it)
            again = _get(store, d.id)
            if again.state != SKIPPED:
                raise _settled(again, "skip") or ReviewError(f"post #{d.id} changed meanwhile; try again", 409)
            lines.append(f"#{d.id} {d.platform}: already skipped")
    return lines


def check_text(config: Config | None, platform: str, text: str) -> None:
    """The same count the network makes: too long, or empty, is refused before anything is changed."""
    if not text.strip():
        raise ReviewError("the new text is empty: there would be nothing to post", 400)
    rules = network_rules(config, platform)
    used = rules.count(text)
    if used > rules.max_length:
        raise ReviewError(f"the new text is too long for {platform}: it counts {used}, the limit is "
                          f"{rules.max_length}; nothing was changed", 400)
    size = len(text.encode("utf-8"))
    if rules.max_bytes is not None and size > rules.max_bytes:
        # Bluesky: 300 graphemes, and 3,000 bytes of UTF-8 (a few scripts and emoji reach that first).
        raise ReviewError(f"the new text is too long for {platform}: it takes {size} bytes of UTF-8, the limit "
                          f"is {rules.max_bytes}; nothing was changed", 400)


def edit(config: Config | None, store: Store, delivery_id: int, text: str, now: float,
         expected_version: int | None = None) -> Delivery:
    """Replace the text of a post that has not gone out. `expected_version`: the version the editor was
    shown, so an edit made meanwhile by someone else is not overwritten unseen."""
    d = _get(store, delivery_id)
    if problem := _settled(d, "edit"):
        raise problem
    check_text(config, d.platform, text)
    if may_be_out(d):
        raise ReviewError(f"post #{d.id} may already be on {d.platform} from an earlier attempt (it is looked up "
                          "there before anything is sent again): its text cannot change", 409)
    if expected_version is not None and d.edit_version != expected_version:
        raise ReviewError(f"post #{d.id} was edited by someone else meanwhile (version {d.edit_version}, you "
                          f"edited version {expected_version}): reload it and edit again", 409)
    if not store.edit_text(d.id, text, now, expected_version=d.edit_version):
        again = _get(store, delivery_id)
        raise (_settled(again, "edit") or
               ReviewError(f"post #{d.id} changed meanwhile (version {again.edit_version}): reload it and edit "
                           "again", 409))
    return _get(store, delivery_id)


def unapprove(config: Config, store: Store, ids: Sequence[int], now: float) -> list[str]:
    """Take approved posts back to review (held until the account's review time from now, or until an editor
    acts when the account holds nothing). Only posts nothing of which may have reached the network: every id
    is checked first, and the write is guarded (bot.store.sql.unapprove), so a worker that claimed one first
    wins and the editor is told."""
    found = [_get(store, i) for i in ids]
    for d in found:
        if problem := _settled(d, "take back"):
            raise problem
        if d.state == FAILED:
            raise ReviewError(f"post #{d.id} failed ({d.last_error}): it is not queued, nothing to take back", 409)
        if may_be_out(d):
            raise ReviewError(f"post #{d.id} may already be on {d.platform} from an earlier attempt: it cannot go "
                              "back to review (skip it if it must not be completed)", 409)
    lines = []
    for d in found:
        if d.state == REVIEW:
            lines.append(f"#{d.id} {d.platform}: already waiting for review")
            continue
        feed = next((f for f in config.feeds if f.url == d.feed_url), None)
        if not store.unapprove(d.id, hold_until(config, feed, d.platform, now)):
            again = _get(store, d.id)
            raise (_settled(again, "take back") or
                   ReviewError(f"post #{d.id} changed meanwhile ({again.state}): reload and try again", 409))
        lines.append(f"#{d.id} {d.platform}: back in review; it is not sent until approved")
    return lines


def retry_now(store: Store, ids: Sequence[int], now: float) -> list[str]:
    """A post waiting to retry is due now instead of at its back-off time; windows, gaps, caps and the
    network's quota still apply, and the retry looks up an uncertain attempt first as always (bot.delivery.loop)."""
    found = [_get(store, i) for i in ids]
    for d in found:
        if problem := _settled(d, "retry"):
            raise problem
        if d.state != RETRY:
            raise ReviewError(f"post #{d.id} is not waiting to retry ({d.state})", 409)
    lines = []
    for d in found:
        if store.retry_now(d.id, now):
            lines.append(f"#{d.id} {d.platform}: retried as soon as its schedule allows")
        else:
            lines.append(f"#{d.id} {d.platform}: already due")
    return lines
