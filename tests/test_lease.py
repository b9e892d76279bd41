"""A claim dies with its holder: the heartbeat keeps a live holder's lease, a dead one on this machine is taken
over at once, one elsewhere when its lease lapses (database clock), and a database error mid-post leaves the
post uncertain, not stuck. Real tweepy against the fake X, real SQLite and Postgres, real processes as holders."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from bot.app import Bot
from bot.config import load_config
from bot.delivery.loop import deliver_platform, worker_id
from bot.report.status import status_lines
from bot.retries import Tuning
from bot.store import Store, open_store
from bot.store.base import POSTED, SENDING
from bot.worker import Worker
from tests.fakes.feed_server import FeedServer
from tests.feedgen import Item, rss
from tests.fleet import config_file
from tests.helpers import ROOT, bot_env, fake_x, run_bot
from tests.test_delivery import Clock, _config, _row, _x

# No BOT_* variables: the 20 s lease. The second lookup after a lag (tests/test_crash.py) is off here: these
# tests are about who may take a post over and when, and one lookup decides.
PRODUCTION = replace(Tuning(), lookup_lag=0.0)
# A holder on this machine: claims the oldest post with the production lease, says which row, then idles.
CLAIMER = """
import sys, time
from bot.delivery.loop import worker_id
from bot.store import open_store
store = open_store(sys.argv[1])
d = store.claim_next(sys.argv[2], time.time(), worker_id(), float(sys.argv[3]))
print(d.id if d else "none", flush=True)
time.sleep(600)
"""


@pytest.fixture
def x() -> Iterator[Any]:
    with fake_x() as server:
        yield server


def _holder_env() -> dict[str, str]:
    """A bare environment, but on the clock of this test (clock-ahead's faketime variables pass through):
    a holder on another clock is another test (test_kill_production's skewed worker)."""
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}
    env.update({k: v for k, v in os.environ.items() if k.startswith("FAKETIME") or k == "LD_PRELOAD"})
    return env


def _holder(db_url: str, lease: float = PRODUCTION.lease_seconds) -> subprocess.Popen[str]:
    process = subprocess.Popen([sys.executable, "-c", CLAIMER, db_url, "twitter", str(lease)], text=True,
                               stdout=subprocess.PIPE, env=_holder_env())
    assert process.stdout is not None and process.stdout.readline().strip().isdigit(), "the holder claimed"
    return process


def _lookups_then_posts(x: Any) -> list[str]:
    return [r["method"] for r in x.requests if r["path"] in ("/2/users/1000/tweets", "/2/tweets")]


@pytest.mark.parametrize("reaped", [True, False], ids=["reaped", "zombie"])
def test_a_killed_holder_on_this_machine_is_taken_over_at_once(db_url: str, x: Any, reaped: bool) -> None:
    store = open_store(db_url)
    store.record_articles([], [_row(1, "twitter")], time.time())
    holder = _holder(db_url)
    holder.send_signal(signal.SIGKILL)
    if reaped:
        holder.wait()
    else:  # killed, its parent (cron, a shell) has not reaped it yet
        deadline = time.monotonic() + 5
        while Path(f"/proc/{holder.pid}/stat").read_text().rsplit(")", 1)[-1].split()[0] != "Z":
            assert time.monotonic() < deadline
            time.sleep(0.01)
    started = time.monotonic()
    report = deliver_platform(_config(), store, _x(x), worker_id(), tuning=PRODUCTION)
    took = time.monotonic() - started
    holder.wait()
    assert [d.article_key for d, _ in report.posted] == ["a1"], report.waiting
    assert took < 10, f"resumed in {took:.1f}s, not after the {PRODUCTION.lease_seconds:g} s lease"
    assert _lookups_then_posts(x) == ["GET", "POST"], "the outcome was unknown: looked up first"
    assert len(x.tweets) == 1
    store.close()


def test_a_live_holder_on_this_machine_keeps_the_platform_and_says_so(db_url: str, x: Any) -> None:
    store = open_store(db_url)
    store.record_articles([], [_row(1, "twitter"), _row(2, "twitter")], time.time())
    holder = _holder(db_url)
    try:
        report = deliver_platform(_config(), store, _x(x), worker_id(), tuning=PRODUCTION)
        assert report.posted == [] and x.requests == []
        assert report.waiting and f"pid {holder.pid}" in report.waiting and "in flight" in report.waiting
        assert report.blocked_for is not None and 0 < report.blocked_for <= PRODUCTION.lease_seconds
        lines = "\n".join(status_lines(_config(), store, time.time()))
        assert "blocked: 'Story 1' is in flight with " in lines and f"pid {holder.pid}" in lines, lines
    finally:
        holder.kill()
        holder.wait()
    store.close()


def test_a_holder_elsewhere_is_taken_over_when_its_lease_lapses(db_url: str, x: Any) -> None:
    store = open_store(db_url)
    store.record_articles([], [_row(1, "twitter")], time.time())
    # Another machine (its pid means nothing here): only its lease, on the database clock, can say it is dead.
    assert store.claim_next("twitter", time.time(), "elsewhere:1:abcdef:0123456789", 1.0) is not None
    report = deliver_platform(_config(), store, _x(x), worker_id(), tuning=PRODUCTION)
    assert report.posted == [] and report.blocked_for is not None and report.blocked_for <= 1.0
    time.sleep(report.blocked_for + 0.2)
    report = deliver_platform(_config(), store, _x(x), worker_id(), tuning=PRODUCTION)
    assert [d.article_key for d, _ in report.posted] == ["a1"]
    assert _lookups_then_posts(x) == ["GET", "POST"]
    store.close()


def test_a_slow_publish_keeps_its_lease_alive(db_url: str, x: Any) -> None:
    """The heartbeat: a publish four times longer than the lease is never taken over by a second worker."""
    tuning = Tuning(lease_seconds=0.6)
    first, second = open_store(db_url), open_store(db_url)
    first.record_articles([], [_row(1, "twitter")], time.time())
    x.stall(2.4)
    reports: list[Any] = []
    sending = threading.Thread(target=lambda: reports.append(
        deliver_platform(_config(), first, _x(x), "w1", tuning=tuning)))
    sending.start()
    while first.blocking("twitter") is None:  # w1 claimed it
        time.sleep(0.01)
    takeovers = 0
    while sending.is_alive():
        takeovers += second.claim_next("twitter", time.time(), "w2", 0.6) is not None
        time.sleep(0.05)
    sending.join()
    assert takeovers == 0, "a live holder's lease never lapsed"
    assert [d.article_key for d, _ in reports[0].posted] == ["a1"]
    assert first.deliveries()[0].state == POSTED and len(x.tweets) == 1
    first.close()
    second.close()


def test_a_frozen_holder_sends_nothing_once_its_post_was_taken_over(db_url: str, x: Any) -> None:
    """As if the process had been stopped after its last renewal, before the request left: the check in the
    HTTP adapter sees no recent beat, renews first, learns the post is gone, and the request never leaves."""
    from bot.delivery.loop import Heartbeat, LeaseLost, draft_of
    from bot.platforms.http import before_each_write

    store = open_store(db_url)
    store.record_articles([], [_row(1, "twitter")], time.time())
    mine = store.claim_next("twitter", time.time(), "frozen", 0.3)
    assert mine is not None
    beat = Heartbeat(store, mine, "frozen", 0.3)  # never started: a frozen process renews nothing
    time.sleep(0.4)
    assert store.claim_next("twitter", time.time(), "other", 60) is not None, "taken over meanwhile"
    with pytest.raises(LeaseLost), before_each_write(beat.check):
        _x(x).publish(draft_of(mine))
    assert [r for r in x.requests if r["method"] == "POST"] == [], "the request never left"
    store.close()


def test_a_dropped_database_connection_mid_post_recovers_its_own_row(pg_url: str, x: Any) -> None:
    import psycopg

    store = open_store(pg_url)
    store.record_articles([], [_row(1, "twitter")], time.time())
    x.stall(1.5)  # the tweet is made at once; the answer comes late
    backend = store._conn.info.backend_pid  # type: ignore[attr-defined]

    def cut_when_in_flight() -> None:
        while not any(r["path"] == "/2/tweets" for r in x.requests):
            time.sleep(0.01)
        with psycopg.connect(pg_url, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (backend,))

    cutter = threading.Thread(target=cut_when_in_flight)
    cutter.start()
    owner, started = worker_id(), time.monotonic()
    first = deliver_platform(_config(), store, _x(x), owner, clock=Clock(), tuning=PRODUCTION)
    cutter.join()
    assert first.posted == [] and first.waiting and "Postgres failed" in first.waiting
    row = store.deliveries()[0]
    assert row.state == SENDING and row.uncertain, "settling failed: uncertain, to be looked up"
    second = deliver_platform(_config(), store, _x(x), owner, tuning=PRODUCTION)
    took = time.monotonic() - started
    assert [d.article_key for d, _ in second.posted] == ["a1"] and second.waiting is None
    assert _lookups_then_posts(x) == ["POST", "GET"], "found on the platform and recorded, not sent again"
    row = store.deliveries()[0]
    assert (row.state, row.remote_id) == (POSTED, x.tweets[0]["id"]) and len(x.tweets) == 1
    assert took < 10, f"recovered in {took:.1f}s, not after its own lease"
    store.close()


def test_the_worker_looks_again_when_a_blocking_lease_lapses(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 's.db'}"
    path = tmp_path / "bot.toml"
    path.write_text('[[feeds]]\nurl = "feed.xml"\n[platforms.twitter]\n', encoding="utf-8")
    (tmp_path / "feed.xml").write_text(rss([Item(0)]), encoding="utf-8")
    bot = Bot(load_config(str(path), environ={"DATABASE_URL": url}), dry_run=True)
    bot.store.record_articles([], [_row(1, "twitter")], time.time())
    assert bot.store.claim_next("twitter", time.time(), "elsewhere:1:abcdef:0123456789", 5.0) is not None
    worker = Worker(bot, dry_run=True)
    worker.build_scheduler()
    asked = time.time()
    worker._deliver_job()
    job = worker.scheduler.get_job("deliver-soon")
    assert job is not None, "not left to the next 30 s round"
    assert 4 <= job.trigger.run_date.timestamp() - asked <= 6.5
    bot.close()


def test_run_once_and_status_say_who_holds_the_platform(tmp_path: Path, sqlite_url: str) -> None:
    with FeedServer() as feeds, fake_x() as x:
        feeds.set("/feed.xml", rss([Item(0)]))
        env = bot_env(x.url, None, sqlite_url, config_file(tmp_path, feeds.url_for("/feed.xml")))
        assert run_bot(["run", "--once"], env, tmp_path).returncode == 0  # the baseline
        feeds.set("/feed.xml", rss([Item(0), Item(1)]))
        store: Store = open_store(sqlite_url)
        store.record_articles([], [_row(9, "twitter")], time.time())  # queued earlier, older than Item(1)
        store.close()
        holder = _holder(sqlite_url)
        try:
            once = run_bot(["run", "--once"], env, tmp_path)
            status = run_bot(["status"], env, tmp_path)
        finally:
            holder.kill()
            holder.wait()
    assert once.returncode == 0, once.stdout + once.stderr
    assert "twitter: waiting: 'Story 9' is in flight with " in once.stdout and f"pid {holder.pid}" in once.stdout
    assert "lease runs until" in once.stdout
    assert f"pid {holder.pid}" in status.stdout and "blocked:" in status.stdout, status.stdout
    assert x.tweets == []
