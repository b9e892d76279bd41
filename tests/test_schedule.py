"""Posting rules in the editors' time zone: windows, quiet dates, gap, caps; DST; plans; cron weekdays."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest

from bot.config import FeedConfig, PlatformConfig
from bot.schedule import (
    ScheduleSyntaxError,
    cron_trigger,
    next_checks,
    next_slot,
    parse_days,
    parse_quiet_dates,
    parse_window,
    plan_posts,
)

PARIS = ZoneInfo("Europe/Paris")


def paris(*args: int) -> float:
    return datetime(*args, tzinfo=PARIS).timestamp()  # type: ignore[misc,arg-type]


def local(ts: float, tz: ZoneInfo = PARIS) -> str:
    return datetime.fromtimestamp(ts, tz).strftime("%a %Y-%m-%d %H:%M")


@dataclass
class History:
    """Post times of one platform, answering like the store does."""

    times: list[float] = field(default_factory=list)

    def count_posted_since(self, platform: str, since: float) -> int:
        return sum(1 for t in self.times if t >= since)

    def last_posted_at(self, platform: str) -> float | None:
        return max(self.times) if self.times else None

    def recent_posted(self, platform: str, limit: int) -> list[float]:
        return sorted(self.times, reverse=True)[:limit]


def rules(**kw: object) -> PlatformConfig:
    kw.setdefault("timezone", "Europe/Paris")
    windows = tuple(parse_window(w) for w in kw.pop("windows", ()))  # type: ignore[attr-defined]
    quiet = parse_quiet_dates(kw.pop("quiet", ()))  # type: ignore[arg-type]
    return PlatformConfig(name="twitter", windows=windows, quiet_dates=quiet, **kw)  # type: ignore[arg-type]


# --- parsing ----------------------------------------------------------------------------------


def test_window_forms() -> None:
    w = parse_window("Mon-Fri 08:00-20:00")
    assert w.days == frozenset(range(5)) and (w.start, w.end) == (480, 1200)
    assert parse_window("sat,SUN 9:30-24:00").days == frozenset({5, 6})
    assert parse_window("07:00-22:00").days == frozenset(range(7))
    assert parse_days("Fri-Mon") == frozenset({4, 5, 6, 0})
    assert parse_days("Monday, Wednesday") == frozenset({0, 2})


@pytest.mark.parametrize("text", ["Mon 20:00-08:00", "Mon 24:30-25:00", "Mon 8-10", "Funday 08:00-10:00", ""])
def test_bad_windows(text: str) -> None:
    with pytest.raises(ScheduleSyntaxError):
        parse_window(text)


def test_quiet_dates() -> None:
    quiet = parse_quiet_dates(["2025-11-01", "12-25", "2026-04-03..2026-04-06", "02-29"])
    assert quiet.contains(date(2025, 11, 1)) and not quiet.contains(date(2026, 11, 1))
    assert quiet.contains(date(2031, 12, 25)) and quiet.contains(date(2028, 2, 29))
    assert all(quiet.contains(date(2026, 4, d)) for d in (3, 4, 5, 6)) and not quiet.contains(date(2026, 4, 7))


# --- holds ----------------------------------------------------------------------------------------


def test_no_rules_no_hold() -> None:
    assert next_slot(rules(), paris(2025, 6, 4, 3, 0), History()) is None


def test_outside_window_waits_for_next_opening() -> None:
    pconf = rules(windows=["Mon-Fri 08:00-20:00", "Sat 10:00-14:00"])
    assert next_slot(pconf, paris(2025, 6, 4, 12, 0), History()) is None  # a Wednesday noon
    friday_night = next_slot(pconf, paris(2025, 6, 6, 21, 0), History())
    assert friday_night is not None and "outside the posting windows" in friday_night.reason
    assert friday_night.until is not None and local(friday_night.until) == "Sat 2025-06-07 10:00"
    saturday_late = next_slot(pconf, paris(2025, 6, 7, 14, 0), History())  # the end is exclusive
    assert saturday_late is not None and saturday_late.until is not None
    assert local(saturday_late.until) == "Mon 2025-06-09 08:00"


def test_min_gap_then_window() -> None:
    pconf = rules(windows=["Mon-Fri 08:00-20:00"], min_gap=timedelta(minutes=45))
    history = History([paris(2025, 6, 4, 19, 30)])
    hold = next_slot(pconf, paris(2025, 6, 4, 19, 40), history)
    assert hold is not None and hold.reason.startswith("minimum gap of 45m")
    assert hold.until is not None and local(hold.until) == "Thu 2025-06-05 08:00"  # gap ends after the window


def test_daily_cap_counts_the_local_calendar_day() -> None:
    pconf = rules(daily_cap=2, timezone="America/New_York")
    ny = ZoneInfo("America/New_York")
    # two posts late on June 4th New York time (already June 5th in UTC)
    history = History([datetime(2025, 6, 4, 21, 0, tzinfo=ny).timestamp(),
                       datetime(2025, 6, 4, 22, 0, tzinfo=ny).timestamp()])
    hold = next_slot(pconf, datetime(2025, 6, 4, 23, 0, tzinfo=ny).timestamp(), history)
    assert hold is not None and hold.reason == "daily cap of 2 reached"
    assert hold.until == datetime(2025, 6, 5, 0, 0, tzinfo=ny).timestamp()
    assert next_slot(pconf, datetime(2025, 6, 5, 0, 1, tzinfo=ny).timestamp(), history) is None


def test_monthly_cap_waits_for_the_first_of_next_month() -> None:
    pconf = rules(monthly_cap=3)
    history = History([paris(2025, 12, d, 12) for d in (2, 10, 20)])
    hold = next_slot(pconf, paris(2025, 12, 28, 9), history)
    assert hold is not None and hold.until is not None and local(hold.until) == "Thu 2026-01-01 00:00"


def test_quiet_date_skips_the_whole_local_day() -> None:
    pconf = rules(windows=["Mon-Sun 08:00-20:00"], quiet=["12-25"])
    hold = next_slot(pconf, paris(2025, 12, 24, 20, 30), History())
    assert hold is not None and hold.reason == "outside the posting windows"
    assert hold.until is not None and local(hold.until) == "Fri 2025-12-26 08:00"


def test_cap_zero_switches_posting_off() -> None:
    hold = next_slot(rules(daily_cap=0), paris(2025, 6, 4, 12), History())
    assert hold is not None and hold.until is None


def test_quiet_for_a_long_time_still_finds_the_slot() -> None:
    pconf = rules(quiet=["2025-01-01..2025-12-31"], windows=["Mon 09:00-10:00"])
    hold = next_slot(pconf, paris(2025, 1, 1, 12), History())
    assert hold is not None and hold.until is not None and local(hold.until) == "Mon 2026-01-05 09:00"


# --- daylight saving ------------------------------------------------------------------------------


def test_spring_forward_window_inside_the_gap_opens_after_it() -> None:
    # 2025-03-30 in Paris: 02:00 jumps to 03:00. A window starting at 02:30 opens at 03:30 that day.
    pconf = rules(windows=["Sun 02:30-04:00"])
    hold = next_slot(pconf, paris(2025, 3, 30, 1, 0), History())
    assert hold is not None and hold.until is not None
    assert local(hold.until) == "Sun 2025-03-30 03:30"
    assert next_slot(pconf, hold.until, History()) is None


def test_fall_back_day_has_25_hours_and_one_daily_cap() -> None:
    # 2025-10-26 in Paris: 03:00 goes back to 02:00. The cap still counts one day, midnight to midnight.
    pconf = rules(daily_cap=1)
    start = paris(2025, 10, 26, 0, 0)
    end = paris(2025, 10, 27, 0, 0)
    assert end - start == 25 * 3600
    history = History([start + 60])
    hold = next_slot(pconf, start + 24 * 3600, History(history.times))  # 02:00 local, second pass
    assert hold is not None and hold.until == end


def test_repeated_hour_does_not_post_twice_with_a_gap() -> None:
    # A post at the first 02:30 (summer time); an hour later the clock reads 02:30 again.
    pconf = rules(min_gap=timedelta(minutes=90))
    first = datetime(2025, 10, 26, 2, 30, tzinfo=PARIS, fold=0).timestamp()
    again = datetime(2025, 10, 26, 2, 30, tzinfo=PARIS, fold=1).timestamp()
    assert again - first == 3600
    hold = next_slot(pconf, again, History([first]))
    assert hold is not None and hold.until == first + 90 * 60


def test_plan_across_dst_posts_each_post_once_in_order() -> None:
    pconf = rules(windows=["Sun 01:00-04:00"], min_gap=timedelta(minutes=30))
    queued = [(f"post {n}", paris(2025, 10, 26, 0, 0)) for n in range(8)]
    plan = plan_posts(pconf, queued, paris(2025, 10, 26, 0, 0), History())
    times = [p.at for p in plan]
    assert [p.item for p in plan] == [f"post {n}" for n in range(8)]
    assert all(t is not None for t in times)
    real = [t for t in times if t is not None]
    assert all(b - a == 1800 for a, b in pairwise(real))  # 30 min apart in real time
    # the window spans 4 real hours this day (02:00-03:00 happens twice): 8 posts fit
    assert real[-1] < paris(2025, 10, 26, 4, 0)


# --- plans ------------------------------------------------------------------------------------------


def test_plan_respects_caps_windows_and_publication_order() -> None:
    pconf = rules(windows=["Mon-Fri 09:00-17:00"], min_gap=timedelta(hours=2), daily_cap=3)
    now = paris(2025, 6, 5, 16, 30)  # Thursday
    queued = [(n, now - 100 + n) for n in range(6)]
    plan = plan_posts(pconf, queued, now, History())
    assert [local(p.at) for p in plan if p.at] == [
        "Thu 2025-06-05 16:30",
        "Fri 2025-06-06 09:00", "Fri 2025-06-06 11:00", "Fri 2025-06-06 13:00",  # daily cap of 3
        "Mon 2025-06-09 09:00", "Mon 2025-06-09 11:00",
    ]
    assert plan[0].reason is None and plan[1].reason is not None and plan[1].reason.startswith("minimum gap")


def test_plan_with_cap_zero_schedules_nothing() -> None:
    plan = plan_posts(rules(daily_cap=0), [("a", 0.0), ("b", 0.0)], paris(2025, 6, 5), History())
    assert [p.at for p in plan] == [None, None]


# --- feed checks ----------------------------------------------------------------------------------


def test_cron_weekdays_mean_what_cron_means() -> None:
    trigger = cron_trigger("0 8 * * 0", "Europe/Paris")  # 0 is Sunday in cron (Monday in APScheduler 3)
    fire = trigger.get_next_fire_time(None, datetime(2025, 6, 4, tzinfo=UTC))
    assert fire.strftime("%a %H:%M") == "Sun 08:00"
    weekdays = cron_trigger("30 7 * * 1-5", "UTC")
    fire = weekdays.get_next_fire_time(None, datetime(2025, 6, 7, tzinfo=UTC))  # a Saturday
    assert fire.strftime("%a %H:%M") == "Mon 07:30"


def test_next_checks_interval_and_cron() -> None:
    feed = FeedConfig(url="https://e.org/f", name="f", every=timedelta(minutes=15))
    now = paris(2025, 6, 4, 12, 0)
    assert next_checks(feed, "Europe/Paris", now, now - 60, 2) == [now + 840, now + 1740]
    assert next_checks(feed, "Europe/Paris", now, None, 1) == [now]
    # The shared schedule's due time is the plan (a worker's grid), not the last look plus a step...
    assert next_checks(feed, "Europe/Paris", now, now - 60, 2, next_due=now + 300) == [now + 300, now + 1200]
    assert next_checks(feed, "Europe/Paris", now, None, 1, next_due=now - 30) == [now]  # overdue: now
    # ...unless a look came after it was set (`bot run --once` keeps no due time).
    assert next_checks(feed, "Europe/Paris", now, now - 60, 1, next_due=now - 120) == [now + 840]
    cron = FeedConfig(url="https://e.org/f", name="f", every=None, cron="0 8,18 * * *")
    times = next_checks(cron, "Europe/Paris", now, None, 3)
    assert [local(t) for t in times] == ["Wed 2025-06-04 18:00", "Thu 2025-06-05 08:00", "Thu 2025-06-05 18:00"]


def test_cron_in_local_time_across_spring_forward_fires_once_a_day() -> None:
    cron = FeedConfig(url="https://e.org/f", name="f", every=None, cron="30 2 * * *")
    times = next_checks(cron, "Europe/Paris", paris(2025, 3, 29, 3, 0), None, 3)
    days = [datetime.fromtimestamp(t, PARIS).date() for t in times]
    assert len(set(days)) == 3  # not doubled, not skipped into a missing day


# --- the burst rule: a backlog is paced ----------------------------------------------------------


def test_a_backlog_goes_out_in_a_burst_then_one_per_gap() -> None:
    """A backfill of 50 on one account: the first `burst` at once, then one every `burst_gap` (it sent 50 in
    about a second before)."""
    now = paris(2026, 3, 2, 10, 0)
    plan = plan_posts(rules(), [(i, now) for i in range(50)], now, History())
    times = [p.at for p in plan]
    assert times[:5] == [now] * 5
    assert times[5:8] == [now + 120, now + 240, now + 360]
    assert times[-1] == now + 45 * 120
    assert plan[5].reason is not None and plan[5].reason.startswith("paced: ")
    hold = next_slot(rules(), now + 130, History([now] * 5 + [now + 120]))
    assert hold is not None and hold.rule == "paced" and hold.until == now + 240


def test_the_burst_refills_after_a_quiet_spell_and_counts_the_posts_already_sent() -> None:
    now = paris(2026, 3, 2, 10, 0)
    # Five went out a minute ago: the next waits a gap after the fifth newest.
    held = next_slot(rules(), now, History([now - 60] * 5))
    assert held is not None and held.until == now + 60
    # Ten minutes of quiet (burst x gap) fill the bucket again: five may go at once.
    assert next_slot(rules(), now, History([now - 600] * 5)) is None
    plan = plan_posts(rules(), [(i, now) for i in range(6)], now, History([now - 600] * 5))
    assert [p.at for p in plan] == [now] * 5 + [now + 120]


def test_a_zero_burst_gap_turns_pacing_off_and_the_rules_line_names_it() -> None:
    now = paris(2026, 3, 2, 10, 0)
    plan = plan_posts(rules(burst_gap=timedelta(0)), [(i, now) for i in range(50)], now, History())
    assert {p.at for p in plan} == {now}
    from bot.schedule import describe_rules

    assert "bursts of 5, then one every 2m" in describe_rules(rules())
    assert "bursts" not in describe_rules(rules(burst_gap=timedelta(0)))
