"""One clock for people: every time a report shows is in `[bot] timezone`, with its zone named.

`schedule` and `run` spoke the configured zone while `queue`, `history` and `status` spoke UTC, so an editor
in Paris read two clocks an hour apart in one block. Text says the zone's abbreviation (CET, CEST: a DST day
reads right); JSON carries ISO 8601 with the offset, which every parser takes.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo


def local(ts: float | None, tz: str) -> str:
    """'2025-03-31 08:00:00 CEST', or '-' for no time."""
    if ts is None:
        return "-"
    return datetime.fromtimestamp(ts, ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M:%S %Z")


def iso(ts: float | None, tz: str) -> str | None:
    """'2025-03-31T08:00:00+02:00', or None."""
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, ZoneInfo(tz)).isoformat(timespec="seconds")
