"""`bot run --once`: every feed once, then what is due, then a summary; for cron and for trying the bot out.

What it prints: one summary (a JSON object under `--log-format json`, so that stdout stays JSON lines) on
stdout, and one line per thing a person must act on on stderr, with exit code 1 (a post refused or held, an
account paused, a feed paused by a flood). Cron mails what a job writes, so those lines reach someone; what the
next pass retries by itself (a feed that did not answer, a post waiting for a slot) is reported, not raised.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from bot.config import Config
from bot.models import Draft
from bot.poll import PollReport
from bot.schedule import format_duration

log = logging.getLogger("bot")


@dataclass
class Summary:
    feeds: int = 0
    queued: int = 0
    delivered: int = 0
    shown: int = 0
    review: int = 0
    failed_feeds: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # on stdout: what the next pass takes care of
    problems: list[str] = field(default_factory=list)  # on stderr, exit 1: what a person must act on
    dry_run: bool = False

    def text(self) -> str:
        if self.dry_run:
            line = (f"checked {self.feeds} feed(s), {self.shown} post(s) shown (dry run: nothing sent, nothing "
                    "recorded; the next real run posts them)")
            if self.review:
                line += f", {self.review} post(s) would wait for review"
        else:
            line = f"checked {self.feeds} feed(s), {self.queued} post(s) queued, {self.delivered} delivered"
        if self.failed_feeds:
            line += f", {len(self.failed_feeds)} feed(s) failed"
        return line

    def as_json(self) -> dict[str, Any]:
        """Shaped like the JSON log lines around it (time, level, logger, message), so one reader takes them
        all; the figures are under "summary"."""
        from datetime import UTC, datetime

        figures = {"dry_run": self.dry_run, "feeds": self.feeds, "queued": self.queued,
                "delivered": self.delivered, "shown": self.shown, "review": self.review,
                "failed_feeds": self.failed_feeds, "notes": self.notes, "problems": self.problems}
        return {"time": datetime.now(UTC).isoformat(timespec="milliseconds"),
                "level": "error" if self.problems else "info", "logger": "bot",
                "message": "; ".join([self.text(), *self.notes, *self.problems]), "summary": figures}


def show_for(log_format: str) -> Callable[[str, Draft], None]:
    """Dry-run posts as readable blocks; with JSON logs, as log records so the output stays JSON lines."""
    from bot.report.output import format_draft, show_draft

    if log_format != "json":
        return show_draft
    return lambda name, draft: log.info("[dry-run] %s", format_draft(name, draft))


def run_once(config: Config, dry_run: bool, log_format: str) -> int:
    """SIGTERM or Ctrl-C stops it between two posts and it exits 128 + the signal; a second signal, or
    BOT_SHUTDOWN_GRACE running out, stops it at once (bot.stopping)."""
    from bot.app import Bot
    from bot.stopping import StopSignals, exit_now

    show = show_for(log_format)
    bot: Bot | None = None

    def abort(signum: int) -> None:
        exit_now(128 + signum, bot.hand_back if bot else None)

    with StopSignals("no new post starts, the ones in flight finish", abort,
                     grace=config.env.shutdown_grace) as signals:
        stop = signals.event
        if dry_run:
            summary = _dry(config, show, stop)
            pending = None
        else:
            bot = Bot(config, show=show, say_awaiting=False)  # said in the summary instead
            try:
                summary = _real(bot, stop)
                pending = _pending(bot)
            finally:
                bot.close()
        _print(summary, log_format)
        if stop.is_set():
            left = f"; {pending} post(s) stay queued for the next run" if pending is not None else ""
            print(f"bot: stopped by {signals.name}{left}", file=sys.stderr)
            return signals.exit_code
        for problem in summary.problems:
            print(f"bot: {problem}", file=sys.stderr)
        return 1 if summary.problems else 0


def _print(summary: Summary, log_format: str) -> None:
    if log_format == "json":
        print(json.dumps(summary.as_json(), ensure_ascii=False), flush=True)
        return
    print(summary.text())
    # The log (stdout) tells the whole pass, problems included; stderr repeats the problems alone, for cron's mail.
    for line in [*summary.problems, *summary.notes]:
        print(line)
    sys.stdout.flush()


def _feed_lines(summary: Summary, polls: Sequence[PollReport], dry_run: bool) -> None:
    summary.feeds = len(polls)
    summary.failed_feeds = [p.feed for p in polls if p.status == "error"]
    for poll in polls:
        if poll.status == "error":
            summary.notes.append(f"feed {poll.feed}: could not be read ({poll.error}); tried again later")
        elif poll.status in ("flood", "paused"):
            would = "would be " if dry_run and poll.status == "flood" else ""
            summary.problems.append(f"feed {poll.feed}: {would}PAUSED by a flood of {poll.new} new articles, none "
                                    "queued; see `bot status`")


def _dry(config: Config, show: Callable[[str, Draft], None], stop: threading.Event) -> Summary:
    from bot.report.progress import Progress
    from bot.runs.dry import dry_pass
    from bot.store import open_store

    summary = Summary(dry_run=True)
    store = open_store(config.env.database_url, secrets=config.secrets(), lock_timeout=config.env.db_lock_timeout)
    try:
        with Progress("reading feeds", len(config.feeds)) as progress:
            result = dry_pass(config, store, show, on_feed=lambda r: progress.step(f"{r.feed}: {r.status}"),
                              stop=stop)
    finally:
        store.close()
    _feed_lines(summary, result.polls, dry_run=True)
    summary.shown, summary.review = len(result.shown), result.review
    return summary


def _real(bot: Any, stop: threading.Event) -> Summary:
    summary = Summary()
    polls = [] if stop.is_set() else _poll_with_progress(bot, bot.config.feeds, stop)
    reports = {} if stop.is_set() else _deliver_with_progress(bot, stop)
    _feed_lines(summary, polls, dry_run=False)
    summary.queued = sum(p.queued for p in polls)
    summary.delivered = sum(len(r.posted) for r in reports.values())
    for name, report in reports.items():
        for d, reason in report.failed:
            summary.problems.append(f"{name}: post #{d.id} {d.title[:60]!r} FAILED: {reason}; "
                                    f"`bot retry --platform {name}` after a fix")
        if report.held:
            summary.problems.append(f"{name}: {len(report.held)} post(s) HELD: {report.held[0][1]}")
        for d, why in report.withheld:  # the config in force no longer sends it as it was (bot.delivery.gate)
            summary.notes.append(f"{name}: post #{d.id} {d.title[:60]!r} {why}")
        if report.waiting and report.waiting.startswith("PAUSED"):
            summary.problems.append(f"{name}: {report.waiting}")
        elif report.waiting:
            summary.notes.append(f"{name}: waiting: {report.waiting}")
    # An account without credentials: how many of its posts wait for them (bot.delivery.awaiting), one line each.
    summary.notes += bot.awaiting_lines()
    return summary


def _poll_with_progress(bot: Any, feeds: Sequence[Any], stop: threading.Event) -> list[PollReport]:
    """Every feed once, side by side (Bot.poll: their states read and written in one batch each, not one per
    feed), counting them off in a terminal; once `stop` is set, no new feed is read."""
    from bot.report.progress import Progress

    lock = threading.Lock()
    with Progress("reading feeds", len(feeds)) as progress:
        def step(report: PollReport) -> None:
            with lock:  # called from the feed threads
                progress.step(f"{report.feed}: {report.status}")

        return bot.poll(feeds, True, on_report=step, stop=stop)  # type: ignore[no-any-return]


def _left(bot: Any) -> int:
    """Posts not settled yet, the one in flight included: what a progress count has still to go."""
    return sum(n for (_, state), n in bot.store.queue_counts().items() if state in ("queued", "retry", "sending"))


def _pending(bot: Any) -> int:
    return sum(n for (_, state), n in bot.store.queue_counts().items() if state in ("queued", "retry"))


def _deliver_with_progress(bot: Any, stop: threading.Event) -> dict[str, Any]:
    """Deliver what is due until `stop` is set, waiting out the pacing of a backlog (bot.schedule's burst rule):
    the log says at the start how long that takes and counts the posts off ("posting 37/100"); in a terminal a
    progress line counts them too."""
    from bot.delivery.pacing import paced_plan
    from bot.report.progress import Progress

    total, seconds = paced_plan(bot.config, bot.store, time.time())
    if seconds > 0:
        log.info("posting %d post(s), paced (each account's burst, then one post per burst_gap): about %s; a stop "
                 "(Ctrl-C, SIGTERM) leaves the rest for the next run", total, format_duration(
                     timedelta(seconds=round(seconds))))
    progress = Progress("posting", total)
    if not progress.enabled and seconds <= 0:
        return dict(bot.deliver(stop, wait_paced=True))  # nothing to count off for anyone
    finished = threading.Event()
    start = _left(bot)

    def tick() -> None:
        said = 0
        while True:
            last = finished.wait(0.5)
            done = start - _left(bot)
            if seconds > 0 and done != said:  # a paced run is long: the log counts it off
                log.info("posting %d/%d", done, total)
                said = done
            progress.done = done
            progress.show()
            if last:
                return

    ticker = threading.Thread(target=tick, daemon=True)
    ticker.start()
    try:
        return dict(bot.deliver(stop, wait_paced=True))
    finally:
        finished.set()
        ticker.join()
        progress.close()
