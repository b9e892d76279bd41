"""Order a burst of new articles for posting: oldest first."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.models import Article


def oldest_first(articles: Sequence[Article]) -> list[Article]:
    """Oldest first, by published date; ties keep the reverse of feed order (feeds list newest
    first). An undated article takes the date of the nearest dated one below it in the feed
    (the next older), so it stays where the feed put it instead of jumping to either end."""
    n = len(articles)
    effective: list[datetime | None] = [None] * n
    carry: datetime | None = None
    for i in range(n - 1, -1, -1):
        if articles[i].published is not None:
            carry = articles[i].published
        effective[i] = carry
    floor = datetime.min.replace(tzinfo=None)

    def sort_key(i: int) -> tuple[bool, datetime, int]:
        dt = effective[i]
        if dt is None:
            return (False, floor, -i)
        return (True, dt.replace(tzinfo=None) if dt.tzinfo is None else _utc_naive(dt), -i)

    return [articles[i] for i in sorted(range(n), key=sort_key)]


def _utc_naive(dt: datetime) -> datetime:
    from datetime import UTC

    return dt.astimezone(UTC).replace(tzinfo=None)
