"""Draining the outbox: one post in flight per platform, exactly once, in publication order.

The row is leased before the network call and settled after it (only by the lease holder).
Anything that may have reached the platform without being recorded (a worker killed or
timed out mid-call, a dropped connection, a 5xx after the fact, a part of a thread) leaves
the row `uncertain`: before posting again, the next owner looks the post up on the platform.
A duplicate refusal is answered the same way: looked up, never retried blindly.

Errors arrive already classified (bot.errors): retryable ones come back later (the
platform's own time, else backoff: bot.retries), rate limits do not use up an attempt,
"needs a human" pauses the platform and keeps the queue, rejected content fails the post.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
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
from bot.retries import Tuning, retry_delay
from bot.sandbox import is_sample_feed
from bot.store.base import DRY_RUN, POSTED, Delivery, Store

log = logging.getLogger(__name__)


class LeaseLost(Exception):
    """Another worker took this post over (our lease ran out): stop sending it, it owns the outcome now."""


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def draft_of(d: Delivery) -> Draft:
    image = Image(d.image_url, d.image_alt) if d.image_url else None
    return Draft(platform=d.platform, article_key=d.article_key, text=d.text, link=d.link, hashtags=d.hashtags,
                 image=image, thread=d.thread, feed_url=d.feed_url)


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
    return quota_wait(store, platform.name, now)


def quota_wait(store: Store, name: str, now: float) -> str | None:
    """The platform's own remaining-quota headers (saved after each post, so every worker sees them) say
    stop before the platform has to answer 429."""
    state = store.platform_state(name)
    if state.quota_remaining == 0 and state.quota_reset_at and now < state.quota_reset_at:
        return f"the platform's own limit is used up until {_when(state.quota_reset_at)}"
    return None


def deliver_platform(
    config: Config,
    store: Store,
    platform: Platform,
    owner: str,
    stop: threading.Event | None = None,
    clock: Callable[[], float] = lambda: datetime.now(UTC).timestamp(),
    article_key: str | None = None,
    tuning: Tuning | None = None,
    show: Callable[[str, Draft], None] | None = None,
) -> DeliveryReport:
    """Send every due post of one platform until the queue is empty, a limit holds, or `stop` is set.

    The queue also looks empty while another worker has this platform's post in flight: that worker
    carries on, and this one comes back on its next round. A post from the bundled sample feed is
    handed to a dry-run stand-in (`show` displays it): decided from the row itself, so it holds
    even if the config that queued it was edited since.
    """
    t = tuning or config.env.tuning
    report = DeliveryReport()
    name = platform.name
    pconf = config.platforms[name]
    if not _platform_ready(store, platform, clock(), t):
        report.waiting = "PAUSED: " + (store.platform_state(name).paused_reason or "needs attention")
        return report
    while not (stop and stop.is_set()):
        now = clock()
        reason = wait_reason(pconf, store, platform, now)
        if reason:
            report.waiting = reason
            break
        delivery = store.claim_next(name, clock(), owner, t.lease_seconds, article_key)
        if delivery is None:
            break
        sender = platform
        if is_sample_feed(delivery.feed_url) and not isinstance(platform, DryRunPlatform):
            sender = DryRunPlatform(name, show or _log_draft)
        outcome = Sender(store, sender, delivery, owner, clock, t).send()
        _save_quota(store, platform)
        if isinstance(outcome, PostResult):
            report.posted.append((delivery, outcome))
        elif isinstance(outcome, str):
            report.failed.append((delivery, outcome))
        elif outcome is not None:
            report.waiting = ("PAUSED: " if isinstance(outcome, NeedsHumanError) else "") + str(outcome)
            break
    return report


def _log_draft(name: str, draft: Draft) -> None:
    log.info("[dry-run] %s: %s", name, draft.text)


Outcome = PostResult | str | PlatformError | None
"""Posted; failed for good (why); stopped the platform for now (the error); or retried shortly (None)."""


class Sender:
    """Posts one leased row and settles it."""

    def __init__(self, store: Store, platform: Platform, d: Delivery, owner: str, clock: Callable[[], float],
                 tuning: Tuning) -> None:
        self.store, self.platform, self.d, self.owner, self.clock, self.t = store, platform, d, owner, clock, tuning
        self.draft = draft_of(d)
        self.parts = list(d.parts)  # what is known to be on the platform, root first

    def send(self) -> Outcome:
        d = self.d
        try:
            if d.uncertain:
                self._recover()
            self._ensure_lease()
            result = self.platform.publish(self.draft, self.parts, self._record_part)
        except LeaseLost:
            log.warning("%s: %s was taken over by another worker mid-post; it will look the post up",
                        d.platform, d.article_key)
            return None
        except DuplicateError as exc:
            return self._duplicate(exc)
        except NeedsHumanError as exc:
            self.store.release(d.id, self.owner)
            _pause(self.store, d.platform, exc, self.clock())
            return exc
        except RejectedError as exc:
            self.store.mark_failed(d.id, self.owner, exc.message)
            log.error("%s: post for %s rejected: %s", d.platform, d.article_key, exc)
            return exc.message
        except PlatformError as exc:
            # A rate limit is an answer that nothing was done; anything else may have reached the platform.
            return self._retry_later(exc, maybe_sent=not isinstance(exc, RateLimited))
        except Exception as exc:  # a bug must not kill the worker: keep the post, retry later, say what happened
            log.exception("%s: unexpected error posting %s", d.platform, d.article_key)
            wrapped = PlatformError(f"unexpected error: {type(exc).__name__}: {exc}", platform=d.platform)
            return self._retry_later(wrapped, maybe_sent=True)
        if self.t.pause_after_send:  # TEST HOOK (bot.retries): widen the window a crash leaves unknown
            time.sleep(self.t.pause_after_send)
        return self._posted(result)

    def _recover(self) -> None:
        """An earlier attempt may have posted some parts: find them instead of posting them again."""
        total = 1 + len(self.draft.thread)
        found_any = False
        while len(self.parts) < total:
            found = self.platform.find_existing(self.draft, self.parts)
            if found is None:
                break
            self.parts.append(found.remote_id)
            found_any = True
            log.info("%s: %s part %d was already posted before a crash or timeout (%s); recorded, not posted "
                     "again", self.d.platform, self.d.article_key, len(self.parts), found.remote_id)
        if found_any and len(self.parts) < total:
            self._record_part(list(self.parts))

    def _ensure_lease(self) -> None:
        """Before the network call, hold the post for a whole lease from now.

        The claim's lease starts from the time the claim began; a wait for the database lock or a slow
        lookup may have eaten most of it. Sending on a nearly expired lease would let another worker take
        the post over mid-call and find nothing yet, so renew first (or learn that it is gone already).
        """
        d = self.d
        if d.lease_until is not None and self.clock() + self.t.lease_seconds / 2 < d.lease_until:
            return
        self._record_part(list(self.parts))

    def _record_part(self, ids: list[str]) -> None:
        self.parts = list(ids)
        if not self.store.record_parts(self.d.id, self.owner, ids, self.clock() + self.t.lease_seconds):
            raise LeaseLost()

    def _posted(self, result: PostResult) -> PostResult | None:
        d = self.d
        dry = isinstance(self.platform, DryRunPlatform)
        if not self.store.mark_posted(d.id, self.owner, result.remote_id, result.url, self.clock(),
                                      state=DRY_RUN if dry else POSTED):
            log.warning("%s: %s was posted as %s but another worker had taken it over; it will find the post",
                        d.platform, d.article_key, result.remote_id)
            return None
        if not dry:
            log.info("%s: posted %s as %s", d.platform, d.article_key, result.url or result.remote_id)
        return result

    def _duplicate(self, exc: DuplicateError) -> Outcome:
        """The platform says it has this post: find it and record it; never send it again blindly."""
        d = self.d
        try:
            found = self.platform.find_existing(self.draft, self.parts)
        except PlatformError as lookup:
            log.warning("%s: %s was refused as a duplicate and the lookup failed (%s); looking again later",
                        d.platform, d.article_key, lookup)
            return self._retry_later(lookup, maybe_sent=True)
        if found is None:
            self.store.mark_failed(d.id, self.owner, exc.message)
            log.error("%s: %s refused as a duplicate, and no such post was found on the account: %s",
                      d.platform, d.article_key, exc.message)
            return exc.message
        log.info("%s: %s was refused as a duplicate; it is on the account as %s", d.platform, d.article_key,
                 found.remote_id)
        self.parts.append(found.remote_id)
        if len(self.parts) < 1 + len(self.draft.thread):
            # The rest of a thread still has to go: come back at once through the lookup path.
            self.store.record_parts(d.id, self.owner, self.parts, self.clock() + self.t.lease_seconds)
            self.store.mark_retry(d.id, self.owner, exc.message, self.clock(), count_attempt=False, uncertain=True)
            return None
        # Every part is there now: publish only hands back the root post.
        return self._posted(self.platform.publish(self.draft, self.parts))

    def _retry_later(self, exc: PlatformError, maybe_sent: bool) -> PlatformError | str:
        d, now = self.d, self.clock()
        if d.attempts >= self.t.max_attempts and not isinstance(exc, RateLimited):
            message = f"gave up after {d.attempts} attempts: {exc.message}"
            self.store.mark_failed(d.id, self.owner, message)
            log.error("%s: %s %s", d.platform, d.article_key, message)
            return message
        delay = retry_delay(exc, d.attempts, self.t)
        # A rate limit is not the post's fault: it does not use up one of its attempts.
        self.store.mark_retry(d.id, self.owner, exc.message, now + delay,
                              count_attempt=not isinstance(exc, RateLimited), uncertain=maybe_sent)
        log.warning("%s: %s will be retried at %s (in %ds)%s: %s", d.platform, d.article_key, _when(now + delay),
                    int(delay), ", after looking it up" if maybe_sent else "", exc.message)
        return exc


def _save_quota(store: Store, platform: Platform) -> None:
    """Keep what the platform said it has left where every worker sees it."""
    quota = platform.quota()
    if quota is None:
        return
    state = store.platform_state(platform.name)
    if (state.quota_remaining, state.quota_reset_at) == (quota.remaining, quota.reset_at):
        return
    store.save_platform_state(replace(state, quota_remaining=quota.remaining, quota_reset_at=quota.reset_at))
    if quota.remaining == 0:
        log.warning("%s: %s used up; posting resumes at %s", platform.name, quota.what, _when(quota.reset_at))


def _when(ts: float | None) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if ts else "an unknown time"


def _pause(store: Store, platform: str, exc: PlatformError, now: float) -> None:
    state = store.platform_state(platform)
    store.save_platform_state(replace(state, paused_reason=str(exc), paused_at=now, last_error=str(exc),
                                      last_error_at=now))
    log.error("%s PAUSED, needs a human: %s. Posts stay queued and go out once this is fixed.", platform, exc)


def _platform_ready(store: Store, platform: Platform, now: float, t: Tuning) -> bool:
    """A paused platform re-checks its credentials now and then; when they work again, it resumes."""
    state = store.platform_state(platform.name)
    if not state.paused_reason:
        return True
    if state.paused_at and now - state.paused_at < t.pause_probe_seconds:
        return False
    try:
        platform.verify()
    except PlatformError as exc:
        store.save_platform_state(replace(state, paused_at=now, last_error=str(exc), last_error_at=now))
        log.error("%s is still PAUSED, needs a human: %s", platform.name, exc)
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
