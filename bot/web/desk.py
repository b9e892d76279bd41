"""The week at a glance (issue 22 item 2): counts per account and state, the filters, and the timeline of what
goes out when with why each post waits. Read from the queue the CLI shows (bot.review.queue, which plans each
post with the schedule's own rules: windows, gaps, caps, quiet dates, quotas), so the page and `bot queue` and
`bot schedule` never disagree; this module only groups, filters and words it for people."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot import review
from bot.config import Config
from bot.report.clock import iso

STATES = ("review", "expired", "queued", "retry", "sending", "failed")


@dataclass(frozen=True)
class Filters:
    account: str = ""
    network: str = ""
    state: str = ""

    @classmethod
    def from_args(cls, config: Config, args: Mapping[str, str]) -> Filters:
        """Only values the page offers; anything else is ignored (a stale bookmark shows everything)."""
        account = args.get("account", "")
        network = args.get("network", "")
        state = args.get("state", "")
        return cls(account if account in config.platforms else "",
                   network if network in networks(config) else "", state if state in STATES else "")

    def keep(self, config: Config, item: review.QueueItem) -> bool:
        d = item.delivery
        return ((not self.account or d.platform == self.account)
                and (not self.network or network_of(config, d.platform) == self.network)
                and (not self.state or item.state == self.state))

    @property
    def active(self) -> bool:
        return bool(self.account or self.network or self.state)


def network_of(config: Config, account: str) -> str:
    pconf = config.platforms.get(account)
    return str(getattr(pconf, "network", None) or account)


def networks(config: Config) -> list[str]:
    return sorted({network_of(config, name) for name in config.platforms})


def counts(config: Config, items: Sequence[review.QueueItem]) -> dict[str, dict[str, int]]:
    """account -> state -> posts, every configured account and every state present (zeros included)."""
    seen = Counter((i.delivery.platform, i.state) for i in items)
    return {name: {s: seen[(name, s)] for s in STATES} for name in config.platforms}


@dataclass(frozen=True)
class Slot:
    """One post on the timeline: when (None: not planned), the day it falls on, and why it waits."""

    item: review.QueueItem
    at: float | None
    day: str
    why: str


def why(item: review.QueueItem, tz: str) -> str:
    """Why a post is not out yet, in words, the network's own message for a retry."""
    d = item.delivery
    if item.state == "review":
        return "waiting for an editor's review"
    if item.state == "expired":
        return "held past its review time: sent only if approved again"
    if item.state == "sending":
        return "being sent now"
    if item.state == "failed":
        return f"failed: {d.last_error}" if d.last_error else "failed"
    if item.wait_reason:
        reason = item.wait_reason
    elif item.not_before is None:
        reason = "not within the schedule's look-ahead"
    else:
        reason = "next in line"
    if item.state == "retry" and d.last_error:
        reason = f"retry after the network answered: {d.last_error}" + (
            f"; {item.wait_reason}" if item.wait_reason else "")
    return reason


def timeline(items: Sequence[review.QueueItem], tz: str) -> list[Slot]:
    """Every post in the order it goes out: planned ones by time, then those waiting on a person (review,
    failed) by when their review ends."""
    zone = ZoneInfo(tz)

    def when(i: review.QueueItem) -> float | None:
        if i.state in ("queued", "retry"):
            return i.not_before
        if i.state == "sending":
            return i.delivery.due_at
        return None

    slots = []
    for item in items:
        at = when(item)
        day = datetime.fromtimestamp(at, zone).strftime("%a %d %b") if at is not None else "waiting on a person"
        if at is None and item.state in ("queued", "retry"):
            day = "not planned yet"
        slots.append(Slot(item, at, day, why(item, tz)))
    return sorted(slots, key=lambda s: (s.at is None, s.at or 0.0, s.item.delivery.review_until or 0.0,
                                        s.item.delivery.id))


def as_json(config: Config, items: Sequence[review.QueueItem], tz: str) -> dict[str, Any]:
    return {
        "timezone": tz,
        "counts": counts(config, items),
        "timeline": [{"id": s.item.delivery.id, "platform": s.item.delivery.platform, "state": s.item.state,
                      "title": s.item.delivery.title, "at": iso(s.at, tz), "why": s.why}
                     for s in timeline(items, tz)],
    }
