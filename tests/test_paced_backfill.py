"""A backfill is paced (issue 26 item 8): `backfill = 50` sent 100 posts in about 3 s. `bot run --once` with the
real `bot` command against the fake X: a burst, then one post per burst_gap; the log says at the start how long it
takes and counts the posts off, and under JSON logs stdout stays JSON lines."""

from __future__ import annotations

import json
from pathlib import Path

from bot.store import open_store
from bot.store.base import POSTED
from tests.fakes.feed_server import FeedServer
from tests.feedgen import Item, rss
from tests.helpers import bot_env, fake_x, run_bot

ITEMS = [Item(n) for n in range(1, 7)]


def _config(tmp_path: Path, feeds: FeedServer) -> Path:
    config = tmp_path / "bot.toml"
    # Seconds instead of the default minutes, so the test takes seconds: the rule is the same.
    config.write_text(f'[[feeds]]\nurl = "{feeds.url_for("/feed.xml")}"\nname = "news"\nbackfill = 6\n'
                      'every = "10m"\n[platforms.twitter]\nimage = false\nburst = 2\nburst_gap = "1s"\n')
    return config


def _posted_times(db: str) -> list[float]:
    store = open_store(db)
    try:
        return sorted(d.posted_at or 0.0 for d in store.deliveries(states=(POSTED,), limit=100))
    finally:
        store.close()


def _run(tmp_path: Path, *args: str) -> tuple[str, list[float], int]:
    db = f"sqlite:///{tmp_path / 's.db'}"
    with FeedServer() as feeds, fake_x() as x:
        feeds.set("/feed.xml", rss(ITEMS))
        run = run_bot([*args, "run", "--once"], bot_env(x.url, None, db, _config(tmp_path, feeds)), tmp_path)
        assert run.returncode == 0, run.stdout + run.stderr
        tweets = len(x.tweets)
    return run.stdout, _posted_times(db), tweets


def _paced(times: list[float]) -> None:
    """A token bucket: any run of posts from the i-th to the j-th holds at most the burst (2) plus one per gap."""
    assert len(times) == 6
    for i in range(len(times)):
        for j in range(i + 1, len(times)):
            assert j - i + 1 <= 2 + (times[j] - times[i]) / 1.0 + 0.05, times
    assert times[-1] - times[0] >= 4 - 0.05, "six posts, two at once: four gaps"


def test_a_backfill_goes_out_in_a_burst_then_one_per_gap_and_says_how_long(tmp_path: Path) -> None:
    out, times, tweets = _run(tmp_path)
    assert tweets == 6, "one run sends the whole backfill, at its pace"
    assert times[1] - times[0] < 0.9, "the first two go at once (burst = 2)"
    _paced(times)
    assert "posting 6 post(s), paced (each account's burst, then one post per burst_gap): about 4s" in out
    assert "posting 3/6" in out and "posting 6/6" in out, out
    assert out.index("about 4s") < out.index("posting 3/6")


def test_under_json_logs_the_count_is_json_too(tmp_path: Path) -> None:
    out, _, tweets = _run(tmp_path, "--log-format", "json")
    lines = [json.loads(line) for line in out.splitlines()]  # every stdout line is JSON
    messages = [line["message"] for line in lines]
    assert tweets == 6 and "posting 4/6" in messages
    assert lines[-1]["summary"]["delivered"] == 6


def test_a_worker_sends_a_backfill_at_its_pace_not_at_its_rounds(tmp_path: Path) -> None:
    """The worker delivers every 30 s; a paced post goes at its slot (1 s here), and the log says how long."""
    import signal

    from tests.fleet import start_bot, wait_until

    db = f"sqlite:///{tmp_path / 's.db'}"
    log = tmp_path / "worker.log"
    with FeedServer() as feeds, fake_x() as x:
        feeds.set("/feed.xml", rss(ITEMS))
        worker = start_bot(["run"], bot_env(x.url, None, db, _config(tmp_path, feeds)), tmp_path, log)
        try:
            assert wait_until(lambda: len(x.tweets) == 6, timeout=25), log.read_text()
        finally:
            worker.send_signal(signal.SIGTERM)
            worker.wait(30)
    _paced(_posted_times(db))
    assert "post(s), paced (each account's burst, then one post per burst_gap): about 4s" in log.read_text()
