"""What `bot status` and `bot history` print: the outbox and the platforms' state, read from the store.

Plain text for a person at a terminal or in a host's log viewer; nothing here writes.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

from bot import schedule
from bot.config import Config, PlatformConfig
from bot.delivery.awaiting import awaits_credentials
from bot.delivery.loop import describe_owner, in_flight_reason, quota_wait
from bot.poll import release_hint
from bot.report.clock import iso, local
from bot.store.base import (
    DRY_RUN,
    FAILED,
    HELD,
    POSTED,
    QUEUED,
    RETRY,
    REVIEW,
    SENDING,
    SKIPPED,
    STATES,
    Delivery,
    Store,
)


def status_lines(config: Config, store: Store, now: float) -> Iterator[str]:
    """Every time in `[bot] timezone` (bot.report.clock)."""
    tz = config.timezone
    counts = store.queue_counts()
    for pconf in config.platforms.values():
        yield from _platform(pconf, store, counts, now, tz, awaits_credentials(config, pconf.name))
    yield from feed_schedule_lines(config, store)
    feeds = {f.url: f for f in config.feeds}
    for feed in store.all_feed_states():
        if feed.current_url and feed.current_url != feed.url:
            yield f"feed {feed.url}: moved permanently; read from {feed.current_url}"
        if feed.move_candidate:
            yield (f"feed {feed.url}: redirects permanently to {feed.move_candidate} (another host) since "
                   f"{_ts(feed.move_seen_since, tz)}: followed on each poll, stored as its address once it has "
                   "held for a day")
        if feed.flood_held:
            conf = feeds.get(feed.url)
            hint = release_hint(conf) if conf else "the feed is no longer in the config"
            yield (f"feed {conf.name if conf else feed.url}: PAUSED by a flood: {feed.flood_held} new articles in "
                   f"one look at {_ts(feed.flood_at, tz)}, none queued, not read since; {hint}")
        if feed.last_error:
            conf = feeds.get(feed.url)
            yield (f"feed {conf.name if conf else feed.url}: failing ({feed.failures}x): {feed.last_error}; "
                   f"next try {_ts(feed.next_attempt_at, tz)}")


OVERDUE_AFTER = 60.0  # seconds past due, unclaimed, before a feed is called overdue (a round is seconds)


def feed_schedule_lines(config: Config, store: Store) -> Iterator[str]:
    """Per configured feed: when it was last polled and by which worker, when it is next due, and whether it is
    overdue (no worker has taken it although it is due), on the database's clock like every claim."""
    if not config.feeds:
        return
    tz = config.timezone
    now = store.lease_clock()
    workers = store.live_workers()
    yield (f"feeds: {len(config.feeds)}, shared by {len(workers)} live worker(s)"
           + (f": {', '.join(describe_owner(w) for w in workers)}" if workers else " (none is running)"))
    schedules = {s.url: s for s in store.feed_schedules()}
    overdue = 0
    states = store.feed_states([f.url for f in config.feeds])
    for feed in config.feeds:
        s = schedules.get(feed.shown_url)
        state = states.get(feed.url)
        if s and s.polled_at:
            last = f"last polled {_ts(s.polled_at, tz)} by {describe_owner(s.polled_by)}"
        elif state and state.last_checked_at:
            # Cron's `bot run --once` reads feeds without the workers' shared schedule: it did read this one.
            last = f"last read {_ts(state.last_checked_at, tz)} by `bot run --once` (no worker polls it)"
        else:
            last = "never read yet"
        if s and s.claim_owner and s.claim_until is not None and s.claim_until >= now:
            yield f"  {feed.name}: {last}; being polled now by {describe_owner(s.claim_owner)}"
            continue
        due = s.next_due if s else None
        if due is not None and now - due > OVERDUE_AFTER:
            overdue += 1
            yield f"  {feed.name}: OVERDUE by {int(now - due)} s (due {_ts(due, tz)}); {last}"
        else:
            yield f"  {feed.name}: {last}; next due {_ts(due, tz) if due is not None else 'now'}"
    if overdue:
        yield (f"  {overdue} feed(s) overdue: no worker has taken them although they are due; check that the "
               "workers run and are not stuck (their logs), or add one")


def _platform(pconf: PlatformConfig, store: Store, counts: dict[tuple[str, str], int], now: float,
              tz: str, waits: list[str]) -> Iterator[str]:
    """`waits`: the credential variables the account waits for (bot.delivery.awaiting); empty: it has them."""
    name = pconf.name
    state = store.platform_state(name)
    if pconf.network != name:  # an account of another name says which network it is on
        from bot import networks

        yield f"{name}: an account on {networks.get(pconf.network).title}"
    if state.paused_reason:
        yield (f"{name}: PAUSED, needs a human: {state.paused_reason}. Posts keep being queued and go out once "
               "it is fixed (the bot re-checks on start and every few minutes).")
    else:
        yield f"{name}: active"
    if waits and not state.paused_reason:
        # Read from this process's environment: an operator's shell may lack the secrets the worker has, so it
        # says where it looked rather than what the worker does.
        yield (f"  waiting for credentials ({', '.join(waits)} unset in this environment): a run here leaves "
               "its posts queued; they go out once they are set")
    queue = ", ".join(f"{s} {counts[(name, s)]}" for s in STATES if (name, s) in counts)
    yield f"  queue: {queue or 'empty'}"
    yield f"  caps: {_caps(pconf, store, now)}"
    from bot import tokens

    token = tokens.account_line(store, name, pconf.network, now)
    if token:
        yield f"  {token}"
    if state.quota_remaining is not None:
        until = f" until {_ts(state.quota_reset_at, tz)}" if state.quota_reset_at else ""
        yield f"  platform's own limit: {state.quota_remaining} left{until}"
    hold = schedule.next_slot(pconf, now, store)
    waiting = hold.describe(pconf.timezone) if hold else quota_wait(store, name, now)
    if not state.paused_reason and not waits and any(counts.get((name, s)) for s in (QUEUED, RETRY)):
        yield f"  next post: {'held: ' + waiting if waiting else _next_due(store, name, now, tz)}"
    if counts.get((name, REVIEW)):
        yield (f"  held for review: {counts[(name, REVIEW)]} (see `bot queue`; `bot approve ID` or the editors' "
               "page releases them)")
    yield from _in_flight(store, name)
    for d in store.deliveries(states=(RETRY,), platform=name, limit=5, newest_first=False):
        yield f"  retry at {_ts(d.due_at, tz)} (attempt {d.attempts}): {d.title[:60]!r}: {d.last_error}"
    for d in store.deliveries(states=(FAILED,), platform=name, limit=5):
        yield f"  failed: {d.title[:60]!r}: {d.last_error} (bot retry --platform {name} queues it again)"
    # Every one: each is a post an editor must look for in the channel (`bot skip ID` or `bot retry`).
    for d in store.deliveries(states=(HELD,), platform=name, limit=100_000, newest_first=False):
        yield f"  HELD, not sent again: #{d.id} {d.title[:60]!r} ({d.article_url}): {d.last_error}"
    if state.last_error and state.last_error_at:
        yield f"  last platform error ({_ts(state.last_error_at, tz)}): {state.last_error}"


def _next_due(store: Store, name: str, now: float, tz: str) -> str:
    """'due now' only when a post is. Posts go out in publication order, so the first one decides: while it
    waits for its retry, the ones behind it wait too (bot.store claim_next)."""
    rows = store.deliveries(states=(QUEUED, RETRY), platform=name, limit=100_000, newest_first=False)
    first = min(rows, key=lambda d: (d.published_at or d.created_at, d.id), default=None)
    if first is None or first.due_at <= now:
        return "due now"
    title = repr(first.title[:60])
    why = f"retry of {title} (attempt {first.attempts})" if first.state == RETRY else title
    return f"{_ts(first.due_at, tz)}: {why}"


def _in_flight(store: Store, name: str) -> Iterator[str]:
    """A post in flight blocks its platform for every worker until it is settled or its lease lapses."""
    sending = store.deliveries(states=(SENDING,), platform=name, limit=5)
    if not sending:
        return
    now = store.lease_clock()  # leases are on the database's clock
    for d in sending:
        if d.lease_until is not None and d.lease_until >= now:
            yield (f"  blocked: {in_flight_reason(d)}; in {int(d.lease_until - now) + 1} s at the latest. "
                   f"Nothing else goes out on {name} meanwhile (one post in flight per platform)")
        else:
            yield (f"  in flight, lease lapsed: {d.title[:60]!r} (was {describe_owner(d.lease_owner)}'s): the next "
                   "run takes it over and looks it up on the platform before sending it again")


def _caps(pconf: PlatformConfig, store: Store, now: float) -> str:
    """Counted as bot.schedule counts them: calendar days and months in the platform's time zone."""
    today = datetime.fromtimestamp(now, ZoneInfo(pconf.timezone)).date()
    day = store.count_posted_since(pconf.name, schedule.day_start(today, ZoneInfo(pconf.timezone)))
    month = store.count_posted_since(pconf.name, schedule.day_start(today.replace(day=1), ZoneInfo(pconf.timezone)))
    text = f"today {day}" + (f"/{pconf.daily_cap}" if pconf.daily_cap is not None else " (no daily cap)")
    text += f", this month {month}" + (f"/{pconf.monthly_cap}" if pconf.monthly_cap is not None else "")
    return text + f" ({pconf.timezone})"


def history_rows(store: Store, platform: str | None, limit: int) -> list[Delivery]:
    return store.deliveries(states=(POSTED, DRY_RUN, FAILED, SKIPPED), platform=platform, limit=limit)


def history_lines(store: Store, platform: str | None, limit: int, tz: str = "UTC") -> Iterator[str]:
    rows = history_rows(store, platform, limit)
    for d in rows:
        when = d.posted_at or d.skipped_at or d.created_at
        yield f"{_ts(when, tz)}  {d.platform:<9} {d.state:<8} {d.title[:50]!r}  {_where(d)}{_edited(d, tz)}"
    if not rows:
        yield "no posts yet"


def _edited(d: Delivery, tz: str) -> str:
    """Which version of the text this is (the one stored is the one sent: it cannot change in flight)."""
    return f"  [text edit {d.edit_version}, {_ts(d.edited_at, tz)}]" if d.edit_version else ""


def _where(d: Delivery) -> str:
    if d.state == SKIPPED:
        return f"#{d.id} skipped by an editor, never sent"
    if d.state == FAILED:
        return f"error: {d.last_error}"
    if d.state == DRY_RUN:
        return "(dry run, not sent)"
    return f"{d.remote_url or ''}  id {d.remote_id}".strip()


def _ts(value: float | None, tz: str) -> str:
    return local(value or None, tz)


def status_json(config: Config, store: Store, now: float) -> dict[str, object]:
    """`bot status --json`: the figures a script checks (paused accounts, queue sizes, failing feeds), with
    ISO 8601 times in `[bot] timezone`, and the report's own lines for anything else."""
    tz = config.timezone
    counts = store.queue_counts()
    platforms = []
    for name, pconf in config.platforms.items():
        state = store.platform_state(name)
        platforms.append({
            "name": name, "network": pconf.network, "paused": state.paused_reason,
            "waiting_for_credentials": awaits_credentials(config, name),
            "queue": {st: counts[(name, st)] for st in STATES if (name, st) in counts},
            "quota_remaining": state.quota_remaining, "quota_reset_at": iso(state.quota_reset_at, tz),
            "last_error": state.last_error, "last_error_at": iso(state.last_error_at, tz),
        })
    states = store.feed_states([f.url for f in config.feeds])
    schedules = {s.url: s for s in store.feed_schedules()}
    feeds = []
    for feed in config.feeds:
        fs, sched = states.get(feed.url), schedules.get(feed.shown_url)
        feeds.append({
            "name": feed.name, "url": feed.shown_url,
            "last_read_at": iso(fs.last_checked_at if fs else None, tz),
            "next_due_at": iso(sched.next_due if sched else None, tz),
            "failures": fs.failures if fs else 0, "last_error": fs.last_error if fs else None,
            "next_try_at": iso(fs.next_attempt_at if fs else None, tz),
            "flood_held": fs.flood_held if fs else 0,
        })
    return {"timezone": tz, "platforms": platforms, "feeds": feeds,
            "workers": [describe_owner(w) for w in store.live_workers()],
            "lines": list(status_lines(config, store, now))}


def history_json(store: Store, platform: str | None, limit: int, tz: str) -> list[dict[str, object]]:
    return [{"id": d.id, "platform": d.platform, "state": d.state, "title": d.title, "article_url": d.article_url,
             "at": iso(d.posted_at or d.skipped_at or d.created_at, tz), "remote_id": d.remote_id,
             "remote_url": d.remote_url, "error": d.last_error if d.state == FAILED else None,
             "edit_version": d.edit_version, "edited_at": iso(d.edited_at, tz)}
            for d in history_rows(store, platform, limit)]
