"""`bot run --once` stopped by a signal mid-backfill (cron's `timeout`, systemd, Ctrl-C), for real: a subprocess
posting to the fake X and Facebook. It stops between two posts, the post in flight is settled or handed back
(never left leased), it exits 128 + the signal, and the next run posts the rest exactly once.
"""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.store import open_store
from bot.store.base import POSTED, QUEUED, RETRY, SENDING
from tests.fakes.feed_server import FeedServer
from tests.feedgen import Item, rss
from tests.fleet import config_file, duplicates, expected_links, fb_links, start_bot, wait_until, x_links
from tests.helpers import bot_env, fake_graph, fake_x, run_bot

ITEMS = [Item(n) for n in range(1, 7)]


@pytest.fixture
def fakes() -> Iterator[tuple[FeedServer, Any, Any]]:
    with FeedServer() as feeds, fake_x() as x, fake_graph() as graph:
        feeds.set("/feed.xml", rss(ITEMS))
        yield feeds, x, graph


def _start(tmp_path: Path, fakes: tuple[FeedServer, Any, Any], extra: dict[str, str] | None = None,
           ) -> tuple[subprocess.Popen[bytes], dict[str, str], Path]:
    feeds, x, graph = fakes
    env = bot_env(x.url, graph.url, f"sqlite:///{tmp_path / 's.db'}", config_file(tmp_path, feeds.url_for("/feed.xml")),
                  extra)
    log = tmp_path / "run.log"
    # A backfill of every entry: six posts per platform queued at once, the case where a stop matters.
    return start_bot(["run", "--once", "--backfill", str(len(ITEMS))], env, tmp_path, log), env, log


def _in_flight(x: Any, graph: Any) -> bool:
    """The first post of each platform has reached its fake (which holds the answer back)."""
    return x.count("POST", "/2/tweets") == 1 and graph.count("POST", "*/feed") == 1


def _rows(tmp_path: Path) -> list[Any]:
    store = open_store(f"sqlite:///{tmp_path / 's.db'}")
    try:
        return store.deliveries(limit=100)
    finally:
        store.close()


def _finish(proc: subprocess.Popen[bytes], timeout: float) -> tuple[int, float]:
    start = time.monotonic()
    try:
        return proc.wait(timeout), time.monotonic() - start
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_one_signal_stops_between_two_posts(tmp_path: Path, fakes: tuple[FeedServer, Any, Any],
                                            signum: int) -> None:
    _, x, graph = fakes
    x.stall(4.0, times=1)  # the first post of each platform is answered 4 s late: the signal lands mid-post
    graph.stall(4.0, times=1, endpoint="POST */feed")
    proc, env, log = _start(tmp_path, fakes)
    assert wait_until(lambda: _in_flight(x, graph), timeout=30, step=0.02), log.read_text()
    proc.send_signal(signum)
    code, took = _finish(proc, 20)
    output = log.read_text()
    assert code == 128 + signum, output
    assert took < 15, "the posts in flight finished, nothing else was started"
    assert len(x.tweets) == 1 and len(graph.posts) == 1, output
    assert x.count("POST", "/2/tweets") == 1 and graph.count("POST", "*/feed") == 1, "nothing more was sent"
    assert f"stopped by {signal.Signals(signum).name}" in output and "Traceback" not in output
    rows = _rows(tmp_path)
    assert sorted(r.state for r in rows) == [POSTED] * 2 + [QUEUED] * 10, "settled, and the rest queued"
    assert all(r.lease_owner is None and r.attempts == (r.state == POSTED) for r in rows)

    again = run_bot(["run", "--once"], env, tmp_path)
    assert again.returncode == 0, again.stdout + again.stderr
    want = expected_links(ITEMS)
    assert duplicates(x_links(x)) == {} and duplicates(fb_links(graph)) == {}
    assert x_links(x) == want and fb_links(graph) == want, "the rest went out once, in order"


@pytest.mark.parametrize("how", ["second signal", "grace over"])
def test_forced_stop_hands_the_post_in_flight_back(tmp_path: Path, fakes: tuple[FeedServer, Any, Any],
                                                   how: str) -> None:
    _, x, graph = fakes
    # Each platform has recorded its first post but holds the answer far beyond any wait here.
    x.stall(60, times=1)
    graph.stall(60, times=1, endpoint="POST */feed")
    extra = {"BOT_BACKOFF_BASE_SECONDS": "0.5", "BOT_SHUTDOWN_GRACE": "1" if how == "grace over" else "60"}
    proc, env, log = _start(tmp_path, fakes, extra)
    assert wait_until(lambda: _in_flight(x, graph), timeout=30, step=0.02), log.read_text()
    proc.send_signal(signal.SIGTERM)
    if how == "second signal":
        time.sleep(0.3)
        proc.send_signal(signal.SIGINT)
    code, took = _finish(proc, 20)
    output = log.read_text()
    assert code == 143, output
    assert took < 8, "stopped at once, not after the platforms' answer"
    rows = _rows(tmp_path)
    assert not [r for r in rows if r.state == SENDING or r.lease_owner], "nothing left leased"
    handed_back = [r for r in rows if r.state == RETRY]
    assert len(handed_back) == 2 and all(r.uncertain and r.attempts == 0 for r in handed_back), \
        "the posts in flight are looked up before they are sent again"

    time.sleep(0.6)  # the handed-back posts come back after the first retry delay
    again = run_bot(["run", "--once"], env, tmp_path)
    assert again.returncode == 0, again.stdout + again.stderr
    want = expected_links(ITEMS)
    assert x_links(x) == want and fb_links(graph) == want, "each article once: the first ones were found, not resent"
    assert (again.stdout + again.stderr).count("was already posted before a crash") == 2
