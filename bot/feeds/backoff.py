"""How long to leave a failing feed alone: exponential, capped, with optional jitter."""

from __future__ import annotations

import random


def next_backoff(failures: int, *, base: float = 60.0, cap: float = 6 * 3600.0,
                 retry_after: float | None = None, jitter: float = 0.0,
                 rng: random.Random | None = None) -> float:
    """Seconds to wait before the next try after `failures` consecutive failures.

    0 failures -> 0 (poll normally); then base, 2*base, 4*base ... up to `cap`. A server's
    Retry-After is honoured when longer (still capped). `jitter` (0..1) spreads retries of
    many feeds that failed together (a host outage) by up to that fraction, downwards, so the
    cap is never exceeded; 0 keeps the function deterministic.
    """
    if failures <= 0:
        return 0.0
    delay = base * (2.0 ** min(failures - 1, 62))  # min(): no float overflow for huge counts
    if retry_after is not None:
        delay = max(delay, retry_after)
    delay = min(delay, cap)
    if jitter > 0:
        delay -= delay * min(jitter, 1.0) * (rng or random).random()
    return delay
