"""Draining the outbox: one post at a time per platform, exactly once, in publication order.

The row is leased before the network call and settled after it. If a worker dies in
between, the lease runs out and the next owner finds the row marked uncertain: it looks
the post up on the platform before sending it again.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from bot import schedule
from bot.config import Config, PlatformConfig
from bot.errors import DuplicateError, NeedsHumanError, PlatformError, RateLimited, RejectedError
from bot.models import Draft, Image, PostResult
from bot.platforms.base import Platform
from bot.platforms.dryrun import DryRunPlatform
from bot.store.base import DRY_RUN, POSTED, Delivery, Store

log = logging.getLogger(__name__)

LEASE_SECONDS = float(os.environ.get("BOT_LEASE_SECONDS", "300"))  # longer than any call with its timeouts
MAX_ATTEMPTS = 10
BACKOFF_BASE = 30.0
BACKOFF_CAP = 3600.0
PAUSE_PROBE_SECONDS = 600.0  # how often a paused platform re-checks its credentials


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def backoff(attempts: int, rng: random.Random | None = None) -> float:
    """Exponential with full jitter on the upper half, capped."""
    ceiling = min(BACKOFF_CAP, BACKOFF_BASE * 2.0 ** max(attempts - 1, 0))
    return float(ceiling / 2 + (rng or random).random() * ceiling / 2)


def draft_of(d: Delivery) -> Draft:
    image = Image(d.image_url, d.image_alt) if d.image_url else None
    return Draft(platform=d.platform, article_key=d.article_key, text=d.text, link=d.link, hashtags=d.hashtags,
                 image=image, thread=d.thread)


@dataclass
class DeliveryReport:
    posted: list[tuple[Delivery, PostResult]] = field(default_factory=list)
    failed: list[tuple[Delivery, str]] = field(default_factory=list)
    waiting: str | None = None  # why the platform stopped for now


def wait_reason(config: PlatformConfig, store: Store, platform: Platform, now: float) -> str | None:
    """Posting rules (windows, quiet dates, gap, caps: bot.schedule) and quotas that hold the next post back;
    None when it may go now."""
    if isinstance(platform, DryRunPlatform):
        return None
    hold = schedule.next_slot(config, now, store)
    if hold is not None:
        return hold.describe(config.timezone)
    remaining = getattr(platform, "quota_remaining", None)
    reset_at = getattr(platform, "quota_reset_at", None)
    if remaining == 0 and reset_at and now < reset_at:
        return "the platform's 24-hour quota is used up until its reset"
    return None


def deliver_platform(
    config: Config,
    store: Store,
    platform: Platform,
    owner: str,
    stop: threading.Event | None = None,
    clock: Callable[[], float] = lambda: datetime.now(UTC).timestamp(),
    article_key: str | None = None,
) -> DeliveryReport:
    """Send every due post of one platform until the queue is empty, a limit holds, or `stop` is set."""
    report = DeliveryReport()
    name = platform.name
    pconf = config.platforms[name]
    if not _platform_ready(store, platform, clock()):
        report.waiting = "paused: " + (store.platform_state(name).paused_reason or "needs attention")
        return report
    while not (stop and stop.is_set()):
        now = clock()
        reason = wait_reason(pconf, store, platform, now)
        if reason:
            report.waiting = reason
            break
        delivery = store.claim_next(name, now, owner, LEASE_SECONDS, article_key)
        if delivery is None:
            break
        outcome = _send(store, platform, delivery, owner, clock)
        if isinstance(outcome, PostResult):
            report.posted.append((delivery, outcome))
        elif isinstance(outcome, str):
            report.failed.append((delivery, outcome))
        else:
            report.waiting = str(outcome)
            break
    return report


def _send(store: Store, platform: Platform, d: Delivery, owner: str,
          clock: Callable[[], float]) -> PostResult | str | PlatformError:
    """Post one leased row and settle it.

    Returns the result, a final failure text, or the error that stops this platform for now.
    """
    draft = draft_of(d)
    dry = isinstance(platform, DryRunPlatform)
    try:
        result = platform.find_existing(draft) if d.uncertain else None
        if result is not None:
            log.info("%s: %s was already posted before a crash (%s); recorded, not posted again",
                     d.platform, d.article_key, result.remote_id)
        else:
            result = platform.publish(draft)
    except DuplicateError as exc:
        found = _lookup_quietly(platform, draft)
        if found is not None:
            store.mark_posted(d.id, owner, found.remote_id, found.url, clock())
            return found
        store.mark_failed(d.id, owner, exc.message)
        log.error("%s: %s refused as a duplicate: %s", d.platform, d.article_key, exc.message)
        return exc.message
    except NeedsHumanError as exc:
        store.release(d.id, owner)
        _pause(store, d.platform, exc, clock())
        return exc
    except RejectedError as exc:
        store.mark_failed(d.id, owner, exc.message)
        log.error("%s: post for %s rejected: %s", d.platform, d.article_key, exc)
        return exc.message
    except PlatformError as exc:
        return _retry_later(store, d, owner, exc, clock())
    except Exception as exc:  # a bug must not kill the worker: keep the post, retry later, say what happened
        log.exception("%s: unexpected error posting %s", d.platform, d.article_key)
        wrapped = PlatformError(f"unexpected error: {type(exc).__name__}: {exc}", platform=d.platform)
        return _retry_later(store, d, owner, wrapped, clock())
    store.mark_posted(d.id, owner, result.remote_id, result.url, clock(), state=DRY_RUN if dry else POSTED)
    if not dry:
        log.info("%s: posted %s as %s", d.platform, d.article_key, result.url or result.remote_id)
    return result


def _lookup_quietly(platform: Platform, draft: Draft) -> PostResult | None:
    try:
        return platform.find_existing(draft)
    except PlatformError as exc:
        log.warning("%s: could not look up %s: %s", platform.name, draft.article_key, exc)
        return None


def _retry_later(store: Store, d: Delivery, owner: str, exc: PlatformError, now: float) -> PlatformError | str:
    if d.attempts >= MAX_ATTEMPTS and not isinstance(exc, RateLimited):
        message = f"gave up after {d.attempts} attempts: {exc.message}"
        store.mark_failed(d.id, owner, message)
        log.error("%s: %s %s", d.platform, d.article_key, message)
        return message
    delay = exc.retry_after if exc.retry_after is not None else backoff(d.attempts)
    # A rate limit is not the post's fault: it does not use up one of its attempts.
    store.mark_retry(d.id, owner, exc.message, now + delay, count_attempt=not isinstance(exc, RateLimited))
    log.warning("%s: %s will be retried in %ds: %s", d.platform, d.article_key, int(delay), exc.message)
    return exc


def _pause(store: Store, platform: str, exc: PlatformError, now: float) -> None:
    state = store.platform_state(platform)
    store.save_platform_state(replace(state, paused_reason=str(exc), paused_at=now, last_error=str(exc),
                                      last_error_at=now))
    log.error("%s PAUSED, needs a human: %s. Posts stay queued and go out once this is fixed.", platform, exc)


def _platform_ready(store: Store, platform: Platform, now: float) -> bool:
    """A paused platform re-checks its credentials now and then; when they work again, it resumes."""
    state = store.platform_state(platform.name)
    if not state.paused_reason:
        return True
    if state.paused_at and now - state.paused_at < PAUSE_PROBE_SECONDS:
        return False
    try:
        platform.verify()
    except PlatformError as exc:
        store.save_platform_state(replace(state, paused_at=now, last_error=str(exc), last_error_at=now))
        return False
    store.save_platform_state(replace(state, paused_reason=None, paused_at=None))
    log.info("%s: credentials work again; resuming", platform.name)
    return True


def resume_all(store: Store, config: Config) -> None:
    """On start: new credentials may have been deployed, so paused platforms get a fresh try."""
    for name in config.platforms:
        state = store.platform_state(name)
        if state.paused_reason:
            store.save_platform_state(replace(state, paused_at=0.0))
