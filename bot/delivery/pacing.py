"""How long a paced backlog takes (the burst rule: bot.schedule): what `bot run --once` and the worker say."""

from __future__ import annotations

import logging
from datetime import timedelta

from bot.config import Config
from bot.schedule import PACED_WORDS, format_duration, plan_posts
from bot.store.base import QUEUED, RETRY, Store


def paced_plan(config: Config, store: Store, now: float) -> tuple[int, float]:
    """(posts due, seconds until the last of them may go) when only the pacing of a backlog spaces them: the
    posts a run waits for. A post held by another rule (a window, a cap, a quota) ends an account's count: the
    run does not wait for those."""
    total, longest = 0, 0.0
    for name, pconf in config.platforms.items():
        rows = [r for r in store.deliveries(states=(QUEUED, RETRY), platform=name, limit=10_000, newest_first=False)
                if r.due_at <= now]
        for planned in plan_posts(pconf, [(r, r.due_at) for r in rows], now, store):
            if planned.at is None or (planned.reason and not planned.reason.startswith(PACED_WORDS)):
                break
            total += 1
            longest = max(longest, planned.at - now)
    return total, longest


def say_pace(log: logging.Logger, total: int, seconds: float) -> None:
    log.info("posting %d post(s), paced (each account's burst, then one post per burst_gap): about %s", total,
             format_duration(timedelta(seconds=round(seconds))))
