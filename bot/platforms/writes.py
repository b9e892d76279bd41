"""The last point a write to a platform can be stopped: `before_each_write` and `check_before_write`.

Kept apart from bot.platforms.http (which imports requests) so that bot.delivery.loop, imported by every pass, does
not load requests and urllib3 on a pass with nothing to post: a tenth of a second of `bot run --once` over
unchanged feeds (issue 25). bot.platforms.http re-exports both names.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

_guard = threading.local()


@contextmanager
def before_each_write(check: Callable[[], None]) -> Iterator[None]:
    """Inside the block, `check` runs in this thread right before every request that may change something
    on the platform (all but GET and HEAD), as late as a request can still be stopped; it raises to stop it."""
    previous = getattr(_guard, "check", None)
    _guard.check = check
    try:
        yield
    finally:
        _guard.check = previous


def check_before_write(method: str | None) -> None:
    """Run this thread's before_each_write check, if any, for a request about to leave; for clients that do
    not use requests (the atproto SDK speaks httpx) to call from their own transport."""
    check = getattr(_guard, "check", None)
    if check is not None and method not in ("GET", "HEAD"):
        check()
