"""Draining the outbox: one post in flight per platform, exactly once, in publication order.

The row is leased before the network call and settled after it (only by the lease holder).
Anything that may have reached the platform without being recorded (a worker killed or
timed out mid-call, a dropped connection, a 5xx after the fact, a part of a thread) leaves
the row `uncertain`: before posting again, the next owner looks the post up on the platform.
A duplicate refusal is answered the same way: looked up, never retried blindly.

A claim dies with its holder, in seconds, not minutes:
- The lease is short (BOT_LEASE_SECONDS, 20 s) and a live holder keeps renewing it: a Heartbeat
  thread renews it every third of the lease while the Sender holds the row, however slow the
  publish. Only a holder that stopped (killed, frozen, cut off from the database) lets it lapse.
- A holder on this machine whose process is gone is known dead at once: the owner id holds the
  host, the pid and what makes that pid meaningful (the kernel's boot and the pid namespace, so two
  containers with one hostname never judge each other's pids). Its lease is cut to a 5 s grace (a
  request it sent just before dying may still be on its way to the platform; the lookup must see it),
  so a `bot run --once` after a crash resumes within seconds. A row this very process holds with no Sender
  behind it (its settle met a database error) is taken back the same way.
- Leases are set and compared on the database's clock (Postgres `clock_timestamp()`), never a host's.
Why not a Postgres lock held for the send (an advisory lock, or the row locked across the call)? It
exists only on Postgres, while a cron user on SQLite crashes too; and it vanishes silently with the
connection (a Postgres restart, pg_terminate_backend, a pooler) while its holder is still sending,
whereas a lease tells the holder on its next renewal that it lost the row. One mechanism for both
backends, with one failure mode to reason about.
A holder that was paused (a stopped process, a long GC pause) and lost its lease meanwhile must not
send: it renews synchronously right before every publish and every thread part, and the HTTP adapter
checks again right before each request that writes (bot.platforms.writes.before_each_write: if no beat
confirmed the lease in the last third of it, renew first); LeaseLost stops the send. The worker that
took over looks the post up first. What no lease can close is a pause between that last check and
the request's bytes leaving (microseconds): only a platform-side idempotency key could.
A database error while settling leaves the row in flight, uncertain and with its lease ended (or,
if even that fails, unrenewed): it is looked up before it is ever sent again, never stuck.

How an unknown outcome is settled is the network's (bot.networks, `unknown_outcome`): "lookup" and
"read_back" ask the platform (find_existing: recent posts, or the exact record named by the row's send
key); "hold" cannot ask, so the row is held (state 'held', never resent blindly) until an editor has
checked the channel and releases it with `bot retry`, which sends it once. It is held only once the network
answers a read-only check (verify): during an outage it waits for a retry, uncertain, with the posts after it
behind it, so that one outage does not hold the whole queue.

Before a claimed post is sent, the config in force decides whether it still goes (bot.delivery.gate): it may go
back to review or be dropped, with why. The schedule's rules hold the next post back (bot.schedule), the pacing
of a backlog among them; `bot run --once` waits out that pacing, a worker's next round comes anyway.

Errors arrive already classified (bot.errors): retryable ones come back later (the
platform's own time, else backoff: bot.retries), rate limits do not use up an attempt,
"needs a human" pauses the platform and keeps the queue, rejected content fails the post.
"""

from __future__ import annotations

import hashlib
import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from bot import networks, schedule
from bot.config import Config, PlatformConfig
from bot.delivery import gate
from bot.errors import DuplicateError, NeedsHumanError, PlatformError, RateLimited, RejectedError, StoreError
from bot.models import Draft, Image, PostResult
from bot.platforms.base import Platform
from bot.platforms.dryrun import DryRunPlatform
from bot.platforms.staged import posted
from bot.platforms.writes import before_each_write
from bot.retries import Tuning, retry_delay
from bot.sandbox import is_sample_feed
from bot.store.base import DRY_RUN, POSTED, QUEUED, RETRY, REVIEW, SKIPPED, Delivery, NewDelivery, Store

log = logging.getLogger(__name__)


class LeaseLost(Exception):
    """Another worker took this post over (our lease ran out): stop sending it, it owns the outcome now."""


def _machine() -> str:
    """What makes a pid on this machine mean one process: the kernel's boot and this pid namespace (each
    container has its own). Empty where it cannot be known (no /proc): then only leases decide."""
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text(encoding="ascii").strip()
        namespace = os.readlink("/proc/self/ns/pid")
    except OSError:
        return ""
    return hashlib.sha256(f"{boot} {namespace}".encode()).hexdigest()[:10]


_MACHINE = _machine()
# (owner, delivery id) of every row a live Sender of this process holds, heartbeat running.
_held: set[tuple[str, int]] = set()
_held_lock = threading.Lock()


def worker_id() -> str:
    """host:pid:nonce:machine, so that another worker can tell who holds a post and whether it still lives."""
    # (six random hex digits, from os.urandom: uuid costs an import in every process, a pass over unchanged feeds
    # included, for three bytes)
    return f"{socket.gethostname()}:{os.getpid()}:{os.urandom(3).hex()}:{_MACHINE}"


def describe_owner(owner: str | None) -> str:
    parts = (owner or "").split(":")
    return f"{parts[0]} pid {parts[1]}" if len(parts) >= 2 else (owner or "nobody")


def holder_gone(d: Delivery, owner: str) -> bool:
    """True when the worker holding `d` is known dead, without waiting for its lease to lapse: a process on
    this machine that no longer runs (or a zombie), or this very owner with no Sender behind the row."""
    holder = d.lease_owner
    if holder is None:
        return False
    if holder == owner:
        with _held_lock:
            return (owner, d.id) not in _held
    return process_gone(holder)


def process_gone(holder: str) -> bool:
    """True when the owner id `holder` names another process on this machine that no longer runs (or a zombie).
    False when that cannot be known (another machine, an id this code did not write): then its lease decides."""
    parts = holder.split(":")
    if len(parts) != 4 or not _MACHINE or parts[3] != _MACHINE or parts[0] != socket.gethostname():
        return False  # another machine (or an id this code did not write): its lease decides
    try:
        pid = int(parts[1])
    except ValueError:
        return False
    return pid != os.getpid() and _process_gone(pid)


def _process_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # alive, under another user
    try:  # killed but not yet reaped by its parent (cron, a shell): it will never renew anything
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except FileNotFoundError:
        return True
    except OSError:
        return False
    return stat.rsplit(")", 1)[-1].split()[:1] in (["Z"], ["X"])


# A dead holder's post is looked at this often by one call at most before it is left to the next run.
_TAKEOVER_LOOKS = 3
# Past the end of a lease before claiming: a wait can end a little early on the database's clock.
_CLOCK_STEP = 0.05


def dead_holder_grace(t: Tuning) -> float:
    """How long a post whose holder died on this machine still waits: its last request may have left the
    machine an instant before the kill and not yet reached the platform (5 s; a quarter of a short test lease)."""
    return min(5.0, t.lease_seconds / 4)


def in_flight_reason(d: Delivery) -> str:
    """Why a platform is held: whose post is in flight, and until when at the latest (database clock)."""
    return (f"{d.title[:60]!r} is in flight with {describe_owner(d.lease_owner)}; its lease runs until "
            f"{_when(d.lease_until)} (renewed while that worker is alive, taken over once it lapses)")


def draft_of(d: NewDelivery, network: str | None = None) -> Draft:
    """The post of a row, as every attempt sends it: its send key included."""
    image = Image(d.image_url, d.image_alt) if d.image_url else None
    return Draft(platform=d.platform, article_key=d.article_key, text=d.text, link=d.link, hashtags=d.hashtags,
                 image=image, thread=d.thread, feed_url=d.feed_url, network=network, send_key=d.send_key,
                 language=d.language, title=d.title, description=d.description or "")


def hold_message(name: str) -> str:
    """What a held post says, in `bot status` and the logs."""
    return (f"outcome unknown: check the channel, then `bot retry --platform {name}` sends it once more "
            "(if it is there, `bot skip ID` first: it is never sent again)")


@dataclass
class DeliveryReport:
    posted: list[tuple[Delivery, PostResult]] = field(default_factory=list)
    failed: list[tuple[Delivery, str]] = field(default_factory=list)
    held: list[tuple[Delivery, str]] = field(default_factory=list)  # outcome unknown, waiting for an editor
    # Not sent because the config in force no longer sends it as it is (bot.delivery.gate): back to review or
    # dropped, with why.
    withheld: list[tuple[Delivery, str]] = field(default_factory=list)
    waiting: str | None = None  # why the platform stopped for now
    # Another worker's post in flight holds the platform: its lease lapses in this many seconds at the latest.
    blocked_for: float | None = None
    # Only the pacing of a backlog holds the next post: it may go at this instant (the worker comes back then).
    paced_until: float | None = None


def wait_reason(config: PlatformConfig, store: Store, platform: Platform, now: float) -> str | None:
    """Posting rules (windows, quiet dates, gap, caps, pacing: bot.schedule) and quotas that hold the next post
    back; None when it may go now."""
    hold = wait_hold(config, store, platform, now)
    return hold.describe(config.timezone) if hold else None


def wait_hold(config: PlatformConfig, store: Store, platform: Platform, now: float) -> schedule.Hold | None:
    if isinstance(platform, DryRunPlatform):
        return None
    hold = schedule.next_slot(config, now, store)
    if hold is not None:
        return hold
    quota = quota_wait(store, platform.name, now)
    return schedule.Hold(quota, None) if quota else None


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
    wait_paced: bool = False,
) -> DeliveryReport:
    """Send every due post of one platform until the queue is empty, a limit holds, or `stop` is set.

    `wait_paced` (`bot run --once`): when only the pacing of a backlog holds the next post (burst_gap), wait
    for its slot instead of stopping, so that one run sends the whole backfill at its pace. A worker does not
    wait: its next round comes anyway.

    Each claimed post is first put to the config in force (bot.delivery.gate): one it no longer sends as it is
    goes back to review or is dropped, with why, and the next one is claimed.

    The queue also looks empty while another worker has this platform's post in flight: that worker
    carries on, and this one comes back on its next round. A post from the bundled sample feed is
    handed to a dry-run stand-in (`show` displays it): decided from the row itself, so it holds
    even if the config that queued it was edited since.
    """
    t = tuning or config.env.tuning
    report = DeliveryReport()
    name = platform.name
    pconf = config.platforms[name]
    network = networks.get(pconf.network)
    taken_over: dict[int, int] = {}  # posts of a dead holder this call took over: how often it looked
    if not _platform_ready(store, platform, clock(), t):
        report.waiting = "PAUSED: " + (store.platform_state(name).paused_reason or "needs attention")
        return report
    known_feeds = gate.stored_feeds(store)
    while not (stop and stop.is_set()):
        now = clock()
        hold = wait_hold(pconf, store, platform, now)
        if hold:
            if not _waiting(store, name):
                break  # nothing queued: nothing is held back
            if wait_paced and _wait_for_pace(hold, clock, stop):
                continue
            report.waiting = hold.describe(pconf.timezone)
            report.paced_until = hold.until if hold.rule == schedule.PACED else None
            break
        delivery = store.claim_next(name, clock(), owner, t.lease_seconds, article_key)
        if delivery is not None and _withheld(config, store, delivery, owner, clock(), known_feeds, report):
            continue
        if delivery is None:
            held = store.blocking(name)
            if held is None:
                break  # nothing due
            if holder_gone(held, owner) and held.lease_owner and taken_over.get(held.id, 0) < _TAKEOVER_LOOKS:
                first = held.id not in taken_over
                taken_over[held.id] = taken_over.get(held.id, 0) + 1
                # A request the dead process sent just before it died may still be on its way to the
                # platform: let it land before the lookup. Our own orphan has no request left in the air.
                grace = 0.0 if held.lease_owner == owner else dead_holder_grace(t)
                if not first or store.expire_lease(held.id, held.lease_owner, grace):
                    # The grace runs from the first worker that saw it dead: later ones wait only what is left.
                    # Looked at again (the wait ended a hair before the lease on the database's clock, or another
                    # run was claiming): what is left, rather than leave the post to the next run while this one
                    # goes on with other networks (a post 40 s late on one network after a kill, seen in CI).
                    left = min(grace, max((held.lease_until or 0.0) - store.lease_clock(), 0.0))
                    if first:
                        log.warning("%s: %s was left in flight by %s, which is gone; taking it over in %.1fs (it "
                                    "is looked up on the platform before it is sent again)", name, held.article_key,
                                    describe_owner(held.lease_owner), left)
                    if (stop or threading.Event()).wait(left + _CLOCK_STEP):
                        break  # told to stop meanwhile
                continue
            report.waiting = in_flight_reason(held)
            report.blocked_for = max((held.lease_until or 0.0) - store.lease_clock(), 0.0)
            break
        sender = platform
        if is_sample_feed(delivery.feed_url) and not isinstance(platform, DryRunPlatform):
            sender = DryRunPlatform(name, show or _log_draft)
        outcome = Sender(store, sender, delivery, owner, clock, t, network=network.name,
                         hold=network.unknown_outcome == "hold").send()
        _save_quota(store, platform)
        if isinstance(outcome, PostResult):
            report.posted.append((delivery, outcome))
        elif isinstance(outcome, Held):
            report.held.append((delivery, str(outcome)))
        elif isinstance(outcome, str):
            report.failed.append((delivery, outcome))
        elif outcome is not None:
            report.waiting = ("PAUSED: " if isinstance(outcome, NeedsHumanError) else "") + str(outcome)
            break
    return report


def _waiting(store: Store, name: str) -> bool:
    counts = store.queue_counts()
    return bool(counts.get((name, QUEUED), 0) + counts.get((name, RETRY), 0))


def _wait_for_pace(hold: schedule.Hold, clock: Callable[[], float], stop: threading.Event | None) -> bool:
    """Wait out a pacing hold; True when the slot came (False: stopped meanwhile, or another rule holds)."""
    if hold.rule != schedule.PACED or hold.until is None:
        return False
    return not (stop or threading.Event()).wait(max(hold.until - clock(), 0.0))


def _withheld(config: Config, store: Store, d: Delivery, owner: str, now: float,
              known_feeds: Callable[[], set[str]], report: DeliveryReport) -> bool:
    """Put a claimed post to the config in force; True when it is not sent (back to review, or dropped)."""
    v = gate.verdict(config, d, now, known_feeds, claimed=True)
    if v.action == gate.SEND:
        return False
    state = REVIEW if v.action == gate.REVIEW else SKIPPED
    if store.withhold(d.id, owner, state, v.reason, now, v.review_until):
        what = "back to review" if state == REVIEW else "dropped, never sent"
        log.warning("%s: post #%d %r %s: %s", d.platform, d.id, d.title[:60], what, v.reason)
        report.withheld.append((d, f"{what}: {v.reason}"))
    return True


def _log_draft(name: str, draft: Draft) -> None:
    log.info("[dry-run] %s: %s", name, draft.text)


class Held(str):
    """The outcome is unknown and the network cannot look it up: held for an editor (why)."""


Outcome = PostResult | str | PlatformError | StoreError | None
"""Posted; failed for good (why) or held (Held); stopped the platform for now (the error); or retried shortly
(None)."""


class Heartbeat:
    """Renews a claimed row's lease every third of it while its Sender works, so only a dead (or frozen)
    holder lets it lapse, however long a publish takes.

    It stops before the row is settled: a settled row may be claimed again, by this very owner, and a stale
    beat must not extend that claim. A renewal that finds the row gone to another worker sets `lost` and
    stops; a database error is tried again on the next beat (two more beats fit in the lease).
    """

    def __init__(self, store: Store, d: Delivery, owner: str, lease_seconds: float) -> None:
        self.store, self.d, self.owner, self.lease_seconds = store, d, owner, lease_seconds
        self.lost = threading.Event()
        self._confirmed = time.monotonic()  # when the lease was last known ours (the claim, then each renewal)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"lease-{d.platform}-{d.id}", daemon=True)

    def start(self) -> None:
        with _held_lock:
            _held.add((self.owner, self.d.id))
        self._thread.start()

    def stop(self) -> None:
        """Idempotent; returns once no renewal can happen any more."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
        with _held_lock:
            _held.discard((self.owner, self.d.id))

    def renew(self, parts: list[str] | None = None) -> None:
        """Renew now, recording `parts` if given (before a send, after each thread part); LeaseLost when the
        row is no longer ours, so nothing more is sent."""
        if self.lost.is_set() or self._stop.is_set():
            raise LeaseLost()
        d, asked = self.d, time.monotonic()
        if parts is None:
            ok = self.store.renew_lease(d.id, self.owner, self.lease_seconds)
        else:
            ok = self.store.record_parts(d.id, self.owner, parts, self.lease_seconds)
        if not ok:
            self.lost.set()
            raise LeaseLost()
        self._confirmed = asked

    def check(self) -> None:
        """Right before a request leaves (bot.platforms.http): when no beat has confirmed the lease lately,
        this process may have been frozen past it, so renew first; LeaseLost stops the request."""
        if self.lost.is_set():
            raise LeaseLost()
        if time.monotonic() - self._confirmed > self.lease_seconds / 3:
            self.renew()

    def _beat(self) -> None:
        d = self.d
        while not self._stop.wait(self.lease_seconds / 3):
            try:
                asked = time.monotonic()
                if not self.store.renew_lease(d.id, self.owner, self.lease_seconds):
                    self.lost.set()
                    log.warning("%s: %s is no longer ours (the lease lapsed and another worker took it over)",
                                d.platform, d.article_key)
                    return
                self._confirmed = asked
            except Exception as exc:  # StoreError or a bug: keep beating, the lease has slack for two misses
                log.warning("%s: could not renew the lease of %s (%s); trying again", d.platform, d.article_key,
                            exc)


class Sender:
    """Posts one leased row and settles it, its Heartbeat running in between."""

    def __init__(self, store: Store, platform: Platform, d: Delivery, owner: str, clock: Callable[[], float],
                 tuning: Tuning, network: str | None = None, hold: bool = False) -> None:
        self.store, self.platform, self.d, self.owner, self.clock, self.t = store, platform, d, owner, clock, tuning
        self.draft = draft_of(d, network)
        # The network cannot look a post up (unknown_outcome "hold"): an unknown outcome is held, never resent.
        # A dry run sends nothing, so it has nothing to hold.
        self.hold = hold and not isinstance(platform, DryRunPlatform)
        # What is known to be on the platform, root first; before the root, what an earlier attempt staged for it
        # (an upload, a container: bot.platforms.staged), handed back to publish to reuse, never counted as a post.
        self.parts = list(d.parts)
        self.beat = Heartbeat(store, d, owner, tuning.lease_seconds)
        # The row was ours from here: no earlier attempt can have been sent after it (a dead holder's lease had
        # ended, a retry's was settled). A lookup that may lag is proof only lookup_lag after this.
        self.claimed = time.monotonic()
        self.waited_for_lag = False

    def send(self) -> Outcome:
        self.beat.start()
        try:
            return self._attempt()
        except StoreError as exc:
            return self._store_failed(exc)
        finally:
            self.beat.stop()

    def _attempt(self) -> Outcome:
        d = self.d
        try:
            if d.uncertain:
                if self.hold:
                    return self._hold_once_answering(
                        "an earlier attempt may have reached it (a crash, a timeout, a lost answer)")
                self._recover()
            self.beat.renew()  # ours right now, however long the lookup or a pause took: else send nothing
            with before_each_write(self.beat.check):
                result = self.platform.publish(self.draft, self.parts, self._record_part)
        except LeaseLost:
            log.warning("%s: %s was taken over by another worker mid-post; it will look the post up",
                        d.platform, d.article_key)
            return None
        except DuplicateError as exc:
            return self._duplicate(exc)
        except NeedsHumanError as exc:
            self._settle(lambda: self.store.release(d.id, self.owner))
            _pause(self.store, d.platform, exc, self.clock())
            return exc
        except RejectedError as exc:
            refused = exc.message
            self._settle(lambda: self.store.mark_failed(d.id, self.owner, refused))
            log.error("%s: post for %s rejected: %s", d.platform, d.article_key, exc)
            return refused
        except PlatformError as exc:
            # A rate limit is an answer that nothing was done, as is a connection that never opened; anything
            # else may have reached the platform.
            return self._retry_later(exc, maybe_sent=not (isinstance(exc, RateLimited) or exc.not_sent))
        except StoreError:
            raise
        except Exception as exc:  # a bug must not kill the worker: keep the post, retry later, say what happened
            log.exception("%s: unexpected error posting %s", d.platform, d.article_key)
            wrapped = PlatformError(f"unexpected error: {type(exc).__name__}: {exc}", platform=d.platform)
            return self._retry_later(wrapped, maybe_sent=True)
        if self.t.pause_after_send:  # TEST HOOK (bot.retries): widen the window a crash leaves unknown
            time.sleep(self.t.pause_after_send)
        return self._posted(result)

    def _settle(self, write: Callable[[], bool]) -> bool:
        """Stop renewing, then write the outcome; False when another worker had taken the row over."""
        self.beat.stop()
        return write()

    def _store_failed(self, exc: StoreError) -> StoreError:
        """The database failed mid-post: the outcome may be on the platform and not in the outbox. End our
        lease with the row uncertain so that the next claim (ours too) looks it up instead of waiting."""
        d = self.d
        self.beat.stop()
        log.error("%s: the database failed while %s was in flight (%s); it will be looked up on the platform "
                  "before it is sent again", d.platform, d.article_key, exc)
        try:
            self.store.expire_lease(d.id, self.owner)
        except StoreError:
            log.warning("%s: %s stays in flight unrenewed until the database answers again; it is taken over "
                        "then", d.platform, d.article_key)
        return exc

    def _recover(self) -> None:
        """An earlier attempt may have posted some parts: find them instead of posting them again."""
        total = 1 + len(self.draft.thread)
        found_any = False
        while len(posted(self.parts)) < total:
            found = self._find()
            if found is None:
                break
            self._found(found)
            found_any = True
            log.info("%s: %s part %d was already posted before a crash or timeout (%s); recorded, not posted "
                     "again", self.d.platform, self.d.article_key, len(self.parts), found.remote_id)
        if found_any and len(self.parts) < total:
            self._record_part(list(self.parts))

    def _find(self) -> PostResult | None:
        """find_existing; on a network whose lookup may lag (a timeline, a Page's feed), nothing found is not
        proof until the lag has passed since the post could last have been sent (the claim): then it looks
        once more. Every later part of a thread was sent before the claim too, so one wait covers them all."""
        found = self.platform.find_existing(self.draft, posted(self.parts))
        lag = self.t.lookup_lag
        if found is not None or self.waited_for_lag or not lag or not getattr(self.platform, "lookup_may_lag", False):
            return found
        self.waited_for_lag = True
        left = lag - (time.monotonic() - self.claimed)
        if left > 0:
            log.info("%s: %s not found on the platform yet; a new post may take up to %gs to show there "
                     "(BOT_LOOKUP_LAG_SECONDS): looking again in %.1fs before sending it", self.d.platform,
                     self.d.article_key, lag, left)
            if self.beat.lost.wait(left):  # the heartbeat keeps the row ours meanwhile
                raise LeaseLost()
        return self.platform.find_existing(self.draft, posted(self.parts))

    def _found(self, found: PostResult) -> None:
        """A part found on the platform follows the posts known: what was staged for the root (an upload it
        carries, a container it was published from) is replaced by it."""
        self.parts = [*posted(self.parts), found.remote_id]

    def _hold_once_answering(self, why: str, failure: PlatformError | None = None) -> Outcome:
        """Hold a post whose outcome is unknown, once the network answers a read-only check (verify). While it
        does not (an outage), the post waits for a retry, uncertain, and the posts after it wait behind it:
        else one outage would hold the whole queue for an editor, one post after another."""
        try:
            self.platform.verify()
        except PlatformError as down:
            return self._retry_later(failure or down, maybe_sent=True, hold=False)
        return self._held(why)

    def _held(self, why: str) -> Held | None:
        d = self.d
        if not self._settle(lambda: self.store.mark_held(d.id, self.owner, f"{hold_message(d.platform)}; {why}")):
            return None
        log.error("%s: %s is HELD, not sent again: %s; %s", d.platform, d.article_key, hold_message(d.platform), why)
        return Held(hold_message(d.platform))

    def _record_part(self, ids: list[str]) -> None:
        self.parts = list(ids)
        self.beat.renew(self.parts)

    def _posted(self, result: PostResult) -> PostResult | None:
        d = self.d
        dry = isinstance(self.platform, DryRunPlatform)
        if not self._settle(lambda: self.store.mark_posted(d.id, self.owner, result.remote_id, result.url,
                                                           self.clock(), state=DRY_RUN if dry else POSTED)):
            log.warning("%s: %s was posted as %s but another worker had taken it over; it will find the post",
                        d.platform, d.article_key, result.remote_id)
            return None
        if not dry:
            log.info("%s: posted %s as %s", d.platform, d.article_key, result.url or result.remote_id)
        return result

    def _duplicate(self, exc: DuplicateError) -> Outcome:
        """The platform says it has this post: find it and record it; never send it again blindly."""
        d = self.d
        if self.hold:
            return self._held(f"the network says it is a duplicate: {exc.message}")
        try:
            found = self._find()
        except LeaseLost:
            log.warning("%s: %s was taken over by another worker while it was looked up", d.platform, d.article_key)
            return None
        except PlatformError as lookup:
            log.warning("%s: %s was refused as a duplicate and the lookup failed (%s); looking again later",
                        d.platform, d.article_key, lookup)
            return self._retry_later(lookup, maybe_sent=True)
        out = posted(self.parts)
        if found is None and out:
            # A later part of a thread is word for word a post the account already has, and no reply of ours is
            # there: a paragraph two articles share (X refuses a tweet identical to one it has). Sending it again
            # cannot succeed; the thread ends with the parts that are out, and the post is its root.
            log.warning("%s: %s part %d is word for word a post the account already has (%s); the thread ends "
                        "at part %d", d.platform, d.article_key, len(out) + 1, exc.message, len(out))
            return self._posted(PostResult(remote_id=out[0]))
        if found is None:
            self._settle(lambda: self.store.mark_failed(d.id, self.owner, exc.message))
            log.error("%s: %s refused as a duplicate, and no such post was found on the account: %s",
                      d.platform, d.article_key, exc.message)
            return exc.message
        log.info("%s: %s was refused as a duplicate; it is on the account as %s", d.platform, d.article_key,
                 found.remote_id)
        self._found(found)
        if len(self.parts) < 1 + len(self.draft.thread):
            # The rest of a thread still has to go: come back at once through the lookup path.
            self._settle(lambda: self.store.record_parts(d.id, self.owner, self.parts, self.t.lease_seconds)
                         and self.store.mark_retry(d.id, self.owner, exc.message, self.clock(), count_attempt=False,
                                                   uncertain=True))
            return None
        # Every part is there now: publish only hands back the root post.
        return self._posted(self.platform.publish(self.draft, self.parts))

    def _retry_later(self, exc: PlatformError, maybe_sent: bool, hold: bool = True) -> Outcome:
        d, now = self.d, self.clock()
        if maybe_sent and self.hold and hold:
            return self._hold_once_answering(f"the attempt failed after it may have reached the network: {exc.message}",
                                             exc)
        if d.attempts >= self.t.max_attempts and not isinstance(exc, RateLimited):
            message = f"gave up after {d.attempts} attempts: {exc.message}"
            if self.hold and (maybe_sent or d.uncertain):
                return self._held(message)  # it may be in the channel: an editor looks before it is sent again
            self._settle(lambda: self.store.mark_failed(d.id, self.owner, message))
            log.error("%s: %s %s", d.platform, d.article_key, message)
            return message
        delay = retry_delay(exc, d.attempts, self.t)
        # A rate limit is not the post's fault: it does not use up one of its attempts.
        self._settle(lambda: self.store.mark_retry(d.id, self.owner, exc.message, now + delay,
                                                   count_attempt=not isinstance(exc, RateLimited),
                                                   uncertain=maybe_sent))
        log.warning("%s: %s will be retried at %s (in %ds)%s: %s", d.platform, d.article_key, _when(now + delay),
                    int(delay), "" if not maybe_sent else ", then held for an editor once the network answers"
                    if self.hold else ", after looking it up", exc.message)
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
