"""Following a feed's permanent redirect (301/308) without letting one answer move it for good.

A move within the same host (http to https, a new path) is stored at once, as feed readers do. A
move to another host is followed for the poll that saw it (its body is what the configured URL
answered), but stored as the feed's address only once every poll for a day has shown the same
move: a one-off redirect planted on the site, or a passing misconfiguration, then never outlives
itself, and until it is confirmed each poll starts again from the configured URL.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

CONFIRM_SECONDS = 24 * 3600.0


@dataclass(frozen=True)
class Move:
    current_url: str | None  # where polls start from now on (None: the configured URL)
    candidate: str | None = None  # a move to another host seen on every poll since `since`
    since: float | None = None
    news: str | None = None  # what changed, for the log


def _host(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").rstrip(".")
    except ValueError:
        return ""


def track_move(start_url: str, current_url: str | None, candidate: str | None, since: float | None,
               moved_to: str | None, now: float) -> Move:
    """The feed's address after a poll that started at `start_url` and was permanently redirected
    to `moved_to` (None: no permanent redirect this time)."""
    if moved_to is None or moved_to == start_url:
        news = f"no longer redirects to {candidate}; the move was not stored" if candidate else None
        return Move(current_url, news=news)
    if _host(moved_to) == _host(start_url):
        return Move(moved_to, news=f"moved permanently to {moved_to}; using the new address from now on")
    if candidate == moved_to and since is not None:
        if now - since >= CONFIRM_SECONDS:
            return Move(moved_to, news=f"moved permanently to {moved_to} (another host, seen on every poll "
                                       f"for {(now - since) / 3600:.0f} h); using the new address from now on")
        return Move(current_url, candidate, since)
    return Move(current_url, moved_to, now,
                news=f"redirects permanently to {moved_to}, another host: followed, and stored as the feed's "
                     f"address once every poll for {CONFIRM_SECONDS / 3600:.0f} h has shown it")
