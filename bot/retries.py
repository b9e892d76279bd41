"""How long delivery waits: leases, retry backoff, probes of a paused platform.

The defaults are the production ones. The environment can shorten them (tests kill workers and
need a lease of seconds, not minutes); bot.config reads them with `Tuning.from_env`:

    BOT_LEASE_SECONDS          how long a post in flight stays its worker's after the worker last showed
                               it is alive (default 20). The worker renews it every third of that while
                               it sends (bot.delivery.loop's Heartbeat), so a slow publish never lapses; a
                               killed or frozen worker's post is taken over by another worker within
                               this long (at once by one on the same machine, which sees the process is
                               gone). Longer rides out longer database hiccups; shorter resumes sooner.
    BOT_BACKOFF_BASE_SECONDS   first retry delay after a temporary failure (default 30, doubling)
    BOT_BACKOFF_CAP_SECONDS    longest retry delay (default 3600)
    BOT_MAX_ATTEMPTS           temporary failures before a post is marked failed (default 10)
    BOT_PAUSE_PROBE_SECONDS    how often a paused platform re-checks its credentials (default 600)
    BOT_LOOKUP_LAG_SECONDS     how long a new post may take to show in the lookup of a network whose lookup
                               is eventually consistent (X's timeline, a Page's feed, a Mastodon timeline;
                               default 60): after an unknown outcome, a lookup that finds nothing is looked
                               at again this long after the post could last have been sent, before it is
                               sent again (bot.delivery.loop). 0 trusts the first lookup.
    BOT_TEST_PAUSE_AFTER_SEND  TEST HOOK, never set in production: seconds to sleep after a post was
                               published and before it is recorded, so crash tests can kill a worker
                               exactly where the outcome is unknown.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from dataclasses import dataclass, fields

from bot.errors import ConfigError, PlatformError

_ENV = {
    "lease_seconds": "BOT_LEASE_SECONDS",
    "backoff_base": "BOT_BACKOFF_BASE_SECONDS",
    "backoff_cap": "BOT_BACKOFF_CAP_SECONDS",
    "max_attempts": "BOT_MAX_ATTEMPTS",
    "pause_probe_seconds": "BOT_PAUSE_PROBE_SECONDS",
    "lookup_lag": "BOT_LOOKUP_LAG_SECONDS",
    "pause_after_send": "BOT_TEST_PAUSE_AFTER_SEND",
}
# Below this, a renewal (every third of the lease) delayed by a slow database round trip or a starved CPU
# could let a live worker's lease lapse: the post is then looked up by another worker while still in flight.
SAFE_LEASE_SECONDS = 10.0
_DAY = 86_400.0
# field -> (largest value, whether 0 is allowed). Nothing here may be nan or inf: a nan lease
# compares false with every time, so a post being sent looks free and is sent again.
_BOUNDS: dict[str, tuple[float, bool]] = {
    "lease_seconds": (_DAY, False),
    "backoff_base": (_DAY, False),
    "backoff_cap": (7 * _DAY, False),
    "max_attempts": (1000, False),
    "pause_probe_seconds": (_DAY, False),
    "lookup_lag": (3600.0, True),
    "pause_after_send": (3600.0, True),
}


def env_number(env: Mapping[str, str], name: str, default: float, high: float, *, zero: bool = False,
               whole: bool = False) -> float:
    """A number from the environment: finite, more than 0 (or 0 when `zero`), at most `high`;
    unset or empty gives `default`. Anything else is a ConfigError (exit 2) naming the variable."""
    raw = env.get(name)
    if not raw:
        return default
    try:
        number = float(raw)
    except ValueError:
        number = math.nan
    low_ok = number >= 0 if zero else number > 0
    if not (math.isfinite(number) and low_ok and number <= high) or (whole and not number.is_integer()):
        kind = "a whole number" if whole else "a number of seconds"
        low = "0" if zero else ("1" if whole else "more than 0")
        raise ConfigError(f"{name}={raw!r} is not {kind} from {low} to {high:g}",
                          hint=f"unset it to use the default ({default:g})")
    return number


@dataclass(frozen=True)
class Tuning:
    lease_seconds: float = 20.0
    backoff_base: float = 30.0
    backoff_cap: float = 3600.0
    max_attempts: int = 10
    pause_probe_seconds: float = 600.0
    lookup_lag: float = 60.0
    pause_after_send: float = 0.0  # test hook, see the module docstring

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Tuning:
        values: dict[str, float | int] = {}
        for f in fields(cls):
            high, zero = _BOUNDS[f.name]
            whole = f.name == "max_attempts"
            number = env_number(env, _ENV[f.name], getattr(cls, f.name), high, zero=zero, whole=whole)
            values[f.name] = int(number) if whole else number
        return cls(**values)  # type: ignore[arg-type]

    def warnings(self) -> list[str]:
        """What a worker should say loudly at start when tests' settings leak into production."""
        said = []
        if self.lease_seconds < SAFE_LEASE_SECONDS:
            said.append(f"BOT_LEASE_SECONDS={self.lease_seconds:g} is under {SAFE_LEASE_SECONDS:g} s: fine for "
                        "tests, but a slow database round trip could let a live worker's lease lapse")
        if self.pause_after_send:
            said.append(f"BOT_TEST_PAUSE_AFTER_SEND={self.pause_after_send:g}: test hook active, "
                        "every post is recorded late")
        return said


def backoff(attempts: int, tuning: Tuning, rng: random.Random | None = None) -> float:
    """Exponential, capped, with jitter over the upper half so workers that failed together spread out."""
    ceiling = min(tuning.backoff_cap, tuning.backoff_base * 2.0 ** max(attempts - 1, 0))
    return float(ceiling / 2 + (rng or random).random() * ceiling / 2)


def retry_delay(exc: PlatformError, attempts: int, tuning: Tuning, rng: random.Random | None = None) -> float:
    """The platform's own answer when it gave one (never earlier, a little later so that workers do not all
    come back on the same second), else our backoff."""
    if exc.retry_after is not None:
        return exc.retry_after + (rng or random).random() * min(5.0, exc.retry_after * 0.1)
    return backoff(attempts, tuning, rng)
