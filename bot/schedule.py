"""When a platform may post, and when each feed is looked at.

Posting rules live in the configured time zone and are checked against wall-clock time
there: windows (`Mon-Fri 08:00-20:00`), quiet dates, a minimum gap and daily/monthly caps.
Everything is computed on instants (UTC timestamps); local time is only used to ask "which
day is it, what time is it there". That is what keeps daylight-saving changes harmless:
a 23- or 25-hour day is still one day for the cap, a gap is measured in real seconds, and
nothing here is a timer that could fire twice in a repeated hour.

Caps count calendar days and months in the platform's time zone (not rolling 24 h/30 days):
it is what an editor means by "at most 5 a day", and it lets us say exactly when the hold
lifts (local midnight) without scanning post history.

Only the standard library is imported at module level: the config loader uses the parsers
here, and `bot --help` / `bot check` must start fast.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, Protocol
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from bot.config import FeedConfig, PlatformConfig

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_FULL_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_EVERY_DAY = ("daily", "every day", "everyday", "all", "mon-sun")
# A hold that cannot lift within this many steps is reported as "no slot" rather than looped on.
_MAX_STEPS = 2000


class ScheduleSyntaxError(ValueError):
    """A window or quiet date that does not read. `problem` and `fix` are shown to an editor."""

    def __init__(self, problem: str, fix: str) -> None:
        super().__init__(f"{problem} ({fix})")
        self.problem = problem
        self.fix = fix


# --- windows ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    """Days of the week (0 = Monday) and a [start, end) range in minutes after local midnight."""

    days: frozenset[int]
    start: int
    end: int
    text: str = ""

    def contains(self, local: datetime) -> bool:
        minute = local.hour * 60 + local.minute
        return local.weekday() in self.days and self.start <= minute < self.end


_WINDOW = re.compile(r"^\s*(?:(?P<days>.*?)\s+)?(?P<start>\d{1,2}:\d{2})\s*-\s*(?P<end>\d{1,2}:\d{2})\s*$")
_WINDOW_FIX = 'write days and hours like "Mon-Fri 08:00-20:00" or "Sat,Sun 10:00-14:00"'


def parse_window(text: str) -> Window:
    """'Mon-Fri 08:00-20:00', 'Sat 10:00-14:00', 'Mon,Wed 9:00-17:30', '07:00-22:00' (every day)."""
    match = _WINDOW.match(text)
    if not match:
        raise ScheduleSyntaxError(f"{text!r} is not a posting window", _WINDOW_FIX)
    days = parse_days(match["days"] or "daily")
    start = _minutes(match["start"], text)
    end = _minutes(match["end"], text)
    if end <= start:
        raise ScheduleSyntaxError(
            f"{text!r} ends before it starts",
            "a window cannot cross midnight: split it, e.g. \"Fri 22:00-24:00\" and \"Sat 00:00-02:00\"",
        )
    return Window(days=days, start=start, end=end, text=text.strip())


def _minutes(hhmm: str, text: str) -> int:
    hours, minutes = (int(part) for part in hhmm.split(":"))
    if minutes > 59 or hours > 24 or (hours == 24 and minutes):
        raise ScheduleSyntaxError(f"{hhmm} in {text!r} is not a time of day", "use 00:00 to 24:00")
    return hours * 60 + minutes


def parse_days(text: str) -> frozenset[int]:
    """'Mon-Fri', 'Sat,Sun', 'Fri-Mon' (wraps over the weekend), 'daily'."""
    folded = " ".join(text.lower().split())
    if folded in _EVERY_DAY:
        return frozenset(range(7))
    chosen: set[int] = set()
    for part in folded.replace(" ", "").split(","):
        if "-" in part:
            first, _, last = part.partition("-")
            a, b = _day(first, text), _day(last, text)
            chosen.update((a + i) % 7 for i in range((b - a) % 7 + 1))
        else:
            chosen.add(_day(part, text))
    return frozenset(chosen)


def _day(name: str, text: str) -> int:
    for table in (DAYS, _FULL_DAYS):
        if name in table:
            return table.index(name)
    raise ScheduleSyntaxError(f"{name!r} in {text!r} is not a day", "use Mon, Tue, Wed, Thu, Fri, Sat, Sun")


# --- quiet dates --------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuietDates:
    """Days with no posts at all: fixed dates, yearly dates ('12-25') and ranges."""

    fixed: frozenset[date] = frozenset()
    yearly: frozenset[tuple[int, int]] = frozenset()
    ranges: tuple[tuple[date, date], ...] = ()
    texts: tuple[str, ...] = ()

    def contains(self, day: date) -> bool:
        if day in self.fixed or (day.month, day.day) in self.yearly:
            return True
        return any(first <= day <= last for first, last in self.ranges)

    def __bool__(self) -> bool:
        return bool(self.fixed or self.yearly or self.ranges)


_QUIET_FIX = 'write "2025-12-25" (one day), "12-25" (every year) or "2025-12-24..2025-12-26" (a range)'


def parse_quiet_dates(texts: Iterable[str]) -> QuietDates:
    fixed: set[date] = set()
    yearly: set[tuple[int, int]] = set()
    ranges: list[tuple[date, date]] = []
    kept: list[str] = []
    for text in texts:
        value = text.strip()
        kept.append(value)
        if ".." in value:
            first_text, _, last_text = value.partition("..")
            first, last = _iso_date(first_text.strip(), value), _iso_date(last_text.strip(), value)
            if last < first:
                raise ScheduleSyntaxError(f"{value!r} ends before it starts", "put the earlier date first")
            ranges.append((first, last))
        elif re.fullmatch(r"\d{1,2}-\d{1,2}", value):
            month, day = (int(p) for p in value.split("-"))
            try:
                date(2024, month, day)  # a leap year, so "02-29" is allowed
            except ValueError:
                raise ScheduleSyntaxError(f"{value!r} is not a date", _QUIET_FIX) from None
            yearly.add((month, day))
        else:
            fixed.add(_iso_date(value, value))
    return QuietDates(frozenset(fixed), frozenset(yearly), tuple(ranges), tuple(kept))


def _iso_date(text: str, whole: str) -> date:
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        raise ScheduleSyntaxError(f"{whole!r} is not a date", _QUIET_FIX)
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ScheduleSyntaxError(f"{whole!r} is not a date (no such day)", _QUIET_FIX) from None


# --- holds: may a post go out now, and if not, when -----------------------------------------


class PostHistory(Protocol):
    """The two questions the rules ask of the store (bot.store.Store answers them)."""

    def count_posted_since(self, platform: str, since: float) -> int: ...
    def last_posted_at(self, platform: str) -> float | None: ...
    def recent_posted(self, platform: str, limit: int) -> list[float]: ...


# How far back the burst rule looks, in posts beyond the burst: older ones cannot hold a post back any longer
# unless the account posted faster than one per gap for that long, which the rule itself prevents.
_BURST_LOOKBACK = 50
PACED = "paced"  # Hold.rule of the burst rule: a backlog going out one post per gap


@dataclass(frozen=True)
class Hold:
    """Why the next post waits, and the instant it may go (None: not within the look-ahead)."""

    reason: str
    until: float | None
    rule: str = ""  # which rule held it first (PACED: only the burst rule, so the wait is short and known)

    def describe(self, tz: str) -> str:
        if self.until is None:
            return self.reason
        return f"{self.reason}; next slot {format_local(self.until, tz)}"


def next_slot(pconf: PlatformConfig, now: float, history: PostHistory) -> Hold | None:
    """None when a post may go at `now`; else the first rule that holds it and when all rules allow one."""
    if pconf.daily_cap == 0 or pconf.monthly_cap == 0:
        return Hold("the cap is 0: posting is switched off", None)
    tz = ZoneInfo(pconf.timezone)
    at = now
    first_reason: str | None = None
    first_rule = ""
    for _ in range(_MAX_STEPS):
        step = _blocked(pconf, tz, at, history)
        if step is None:
            return None if first_reason is None else Hold(first_reason, at, first_rule)
        reason, later = step
        if first_reason is None:
            first_reason, first_rule = reason, PACED if reason.startswith(PACED_WORDS) else ""
        at = later
    return Hold(f"{first_reason}; no posting slot in the coming years", None, first_rule)


PACED_WORDS = "paced: "  # how the burst rule's reason begins (a plan's reason tells the pacing from the rest)


def burst_release(pconf: PlatformConfig, history: PostHistory) -> float | None:
    """The burst rule, a token bucket kept in the post history: `burst` posts may go at once, then one per
    `burst_gap` (a backfill, a queue that piled up while an account was off or outside its windows). The
    earliest instant the next post may go, or None when the rule is off. With p_j the j-th newest post, the
    bucket allows a post at t when t >= p_j + (j - burst + 1) * gap for every j >= burst."""
    gap = pconf.burst_gap.total_seconds()
    if gap <= 0:
        return None
    times = history.recent_posted(pconf.name, pconf.burst + _BURST_LOOKBACK)
    earliest = None
    for j, posted in enumerate(times, start=1):
        if j >= pconf.burst:
            slot = posted + (j - pconf.burst + 1) * gap
            earliest = slot if earliest is None else max(earliest, slot)
    return earliest


def _blocked(pconf: PlatformConfig, tz: ZoneInfo, at: float, history: PostHistory) -> tuple[str, float] | None:
    """The first rule that forbids a post at `at`, with the earliest later instant it allows one."""
    gap = pconf.min_gap.total_seconds()
    if gap > 0:
        last = history.last_posted_at(pconf.name)
        if last is not None and at < last + gap:
            return f"minimum gap of {format_duration(pconf.min_gap)} since the last post", last + gap
    release = burst_release(pconf, history)
    if release is not None and at < release:
        return (f"{PACED_WORDS}a backlog goes out {pconf.burst} at once, then one every "
                f"{format_duration(pconf.burst_gap)} (burst, burst_gap)", release)
    local = datetime.fromtimestamp(at, tz)
    today = local.date()
    if pconf.quiet_dates.contains(today):
        return f"{today.isoformat()} is a quiet date", day_start(today + timedelta(days=1), tz)
    # Counting "since the start of a future day" is 0, so this only ever holds today: right.
    if pconf.daily_cap is not None and (
        history.count_posted_since(pconf.name, day_start(today, tz)) >= pconf.daily_cap
    ):
        return f"daily cap of {pconf.daily_cap} reached", day_start(today + timedelta(days=1), tz)
    if pconf.monthly_cap is not None:
        month = today.replace(day=1)
        if history.count_posted_since(pconf.name, day_start(month, tz)) >= pconf.monthly_cap:
            following = (month + timedelta(days=32)).replace(day=1)
            return f"monthly cap of {pconf.monthly_cap} reached", day_start(following, tz)
    if pconf.windows and not any(w.contains(local) for w in pconf.windows):
        return "outside the posting windows", next_window_start(pconf.windows, tz, at)
    return None


def day_start(day: date, tz: ZoneInfo) -> float:
    """The instant a local day begins. Where midnight is skipped by DST, the first instant after the gap."""
    return datetime.combine(day, time(0), tzinfo=tz).timestamp()


def local_instant(day: date, minute: int, tz: ZoneInfo) -> float:
    """A wall-clock time on a local day as an instant. A time that does not exist (spring forward)
    maps to the same distance past the gap; a repeated one (fall back) to its first occurrence."""
    if minute >= 24 * 60:
        return day_start(day + timedelta(days=1), tz)
    return datetime.combine(day, time(minute // 60, minute % 60), tzinfo=tz).timestamp()


def next_window_start(windows: Sequence[Window], tz: ZoneInfo, after: float) -> float:
    """The first window opening strictly after `after` (every window has a day, so within 8 days)."""
    first_day = datetime.fromtimestamp(after, tz).date()
    best: float | None = None
    for offset in range(9):
        day = first_day + timedelta(days=offset)
        for window in windows:
            if day.weekday() in window.days:
                start = local_instant(day, window.start, tz)
                if start > after and (best is None or start < best):
                    best = start
        if best is not None:
            return best
    raise AssertionError("a window with no days cannot be parsed")


# --- plans: what `bot schedule` prints ------------------------------------------------------


@dataclass
class _Planned:
    """The real history plus the posts a plan has already placed (so caps and gaps count them)."""

    base: PostHistory
    times: list[float] = field(default_factory=list)

    def count_posted_since(self, platform: str, since: float) -> int:
        return self.base.count_posted_since(platform, since) + sum(1 for t in self.times if t >= since)

    def last_posted_at(self, platform: str) -> float | None:
        known = [t for t in (self.base.last_posted_at(platform), *self.times) if t is not None]
        return max(known) if known else None

    def recent_posted(self, platform: str, limit: int) -> list[float]:
        return sorted([*self.base.recent_posted(platform, limit), *self.times], reverse=True)[:limit]


@dataclass(frozen=True)
class PlannedPost:
    item: Any  # the caller's queued row, handed back as is
    at: float | None  # None: no slot found (a cap of 0, or quiet for years)
    reason: str | None  # why it waits past its due time, if it does


def plan_posts(pconf: PlatformConfig, queued: Sequence[tuple[Any, float]], now: float,
               history: PostHistory) -> list[PlannedPost]:
    """When each queued post (in publication order, with its due time) would go out under the rules.

    Mirrors the delivery loop: one post at a time, the next never before the previous one.
    """
    planned = _Planned(history)
    out: list[PlannedPost] = []
    at = now
    for item, due in queued:
        at = max(at, due)
        hold = next_slot(pconf, at, planned)
        if hold is not None and hold.until is None:
            out.extend(PlannedPost(rest, None, hold.reason) for rest, _ in queued[len(out):])
            break
        if hold is not None and hold.until is not None:
            at = hold.until
        planned.times.append(at)
        out.append(PlannedPost(item, at, hold.reason if hold else None))
    return out


_CRON_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun")  # cron: 0 and 7 are Sunday


def cron_weekdays(field_text: str) -> str:
    """Numeric weekdays as cron means them (0 = Sunday) turned into names.

    APScheduler 3 counts 0 as Monday, so "0 8 * * 0" would fire on Mondays if passed as is.
    Names mean the same to both, so numbers, ranges ("1-5") and stepped ranges become names.
    """
    out: list[str] = []
    for token in field_text.split(","):
        match = re.fullmatch(r"(\d)(?:-(\d))?(?:/(\d+))?", token)
        if not match:
            out.append(token)  # names, "*", "*/2": left to APScheduler
            continue
        first = int(match[1])
        last = int(match[2]) if match[2] is not None else first
        step = int(match[3] or 1)
        if first > 7 or last > 7 or last < first or step < 1:
            out.append(token)  # let APScheduler reject it with its own message
            continue
        out.extend(_CRON_DAYS[day] for day in range(first, last + 1, step))
    return ",".join(dict.fromkeys(out))


def cron_trigger(expression: str, tz: str) -> Any:
    """A five-field cron expression with cron's weekday numbering. Raises ValueError when it does not read."""
    from apscheduler.triggers.cron import CronTrigger

    fields = expression.split()
    if len(fields) != 5:
        raise ValueError(f"it has {len(fields)} fields, not 5")
    minute, hour, day, month, weekday = fields
    return CronTrigger(minute=minute, hour=hour, day=day, month=month, day_of_week=cron_weekdays(weekday),
                       timezone=tz)


def feed_trigger(feed: FeedConfig, tz: str) -> Any:
    """The APScheduler trigger for a feed: its cron expression in the bot's time zone, else its interval."""
    from apscheduler.triggers.interval import IntervalTrigger

    if feed.cron:
        return cron_trigger(feed.cron, tz)
    seconds = int(feed.every.total_seconds()) if feed.every else 900
    return IntervalTrigger(seconds=seconds, timezone=tz)


NEVER = 10 * 365 * 86400.0  # how far ahead a cron expression that never fires again pushes its feed


def next_feed_due(feed: FeedConfig, tz: str, now: float, due: float | None, not_before: float | None = None) -> float:
    """When a feed is next due, after a look at `now` (epoch seconds, the database's clock) at the time it was
    due, `due` (None: its first look). An interval keeps its rhythm: the next step of its grid that is still
    ahead, so a late look does not shift the grid and a stall costs one catch-up look, not one per missed step.
    A cron expression: its next fire time. `not_before` (a backoff): the first scheduled time from then on."""
    floor = max(now, not_before or now)
    if feed.cron:
        # Strictly after the fire time just served: a look that began within its second must not serve it twice.
        start = max(floor, (due or floor) + 1.0)
        fire = cron_trigger(feed.cron, tz).get_next_fire_time(None, datetime.fromtimestamp(start, UTC))
        return float(fire.timestamp()) if fire is not None else now + NEVER
    step = (feed.every or timedelta(minutes=15)).total_seconds()
    if due is None:
        return max(now + step, floor)
    steps = max(1, int((floor - due) // step) + 1)
    return due + steps * step


def next_checks(feed: FeedConfig, tz: str, now: float, last_checked: float | None, count: int = 3,
                next_due: float | None = None) -> list[float]:
    """The next `count` times the worker looks at a feed: cron fire times, or every interval from the time the
    shared schedule has it due (`next_due`, what the workers keep; bot.sharing), else from the last look."""
    if feed.cron:
        trigger = feed_trigger(feed, tz)
        times: list[float] = []
        previous = None
        current = datetime.fromtimestamp(now, UTC)
        for _ in range(count):
            fire = trigger.get_next_fire_time(previous, current)
            if fire is None:
                break
            times.append(fire.timestamp())
            previous, current = fire, fire + timedelta(seconds=1)
        return times
    step = (feed.every or timedelta(minutes=15)).total_seconds()
    if next_due is not None and (last_checked is None or next_due > last_checked):
        first = max(now, next_due)  # a later `bot run --once` look (no due time of its own) falls back below
    else:
        first = now if last_checked is None else max(now, last_checked + step)
    return [first + i * step for i in range(count)]


# --- words for people -------------------------------------------------------------------------


def format_local(ts: float, tz: str) -> str:
    """'Mon 2025-03-31 08:00 CEST': the weekday and zone abbreviation make DST days readable."""
    return datetime.fromtimestamp(ts, ZoneInfo(tz)).strftime("%a %Y-%m-%d %H:%M %Z")


def describe_rules(pconf: PlatformConfig) -> str:
    """One line an editor can check against what they meant."""
    parts = [f"windows {', '.join(w.text for w in pconf.windows)}" if pconf.windows else "any time"]
    parts.append(f"time zone {pconf.timezone}")
    if pconf.min_gap:
        parts.append(f"min gap {format_duration(pconf.min_gap)}")
    if pconf.daily_cap is not None:
        parts.append(f"{pconf.daily_cap}/day")
    if pconf.monthly_cap is not None:
        parts.append(f"{pconf.monthly_cap}/month")
    if pconf.quiet_dates:
        parts.append(f"quiet {', '.join(pconf.quiet_dates.texts)}")
    if pconf.burst_gap:  # the pacing of a backlog, on by default: said last
        parts.append(f"bursts of {pconf.burst}, then one every {format_duration(pconf.burst_gap)}")
    return "; ".join(parts)


def format_duration(value: timedelta) -> str:
    seconds = int(value.total_seconds())
    out = ""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if seconds >= size:
            out += f"{seconds // size}{unit}"
            seconds %= size
    return out or "0s"
