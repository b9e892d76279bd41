"""Three `bot run` workers on one Postgres share 50 feeds (bot.sharing): the feed server sees each feed once per
interval in total, not once per worker; new articles are posted exactly once; and when one worker is SIGKILLed,
the others go on polling its feeds on time."""

from __future__ import annotations

import itertools
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.fakes.feed_server import FeedServer
from tests.feedgen import Item, rss
from tests.fleet import duplicates, fb_links, kill_group, start_bot, wait_until, x_links
from tests.helpers import bot_env, fake_graph, fake_x

FEEDS = 50
EVERY = 10.0  # seconds: the shortest interval the config allows
WORKERS = 3
RUN_SECONDS = 42.0
# A look may start late on this loaded machine (two cores under the suite) and the next one on time: the
# gap between two requests for a feed stays within this much of the interval.
SLACK = 4.0


def _site(i: int) -> str:
    return f"https://site{i}.example.org"


def _config(tmp_path: Path, feeds: FeedServer) -> Path:
    path = tmp_path / "bot.toml"
    text = "".join(f'[[feeds]]\nurl = "{feeds.url_for(f"/f{i}.xml")}"\nname = "site{i}"\nevery = "10s"\n'
                   for i in range(FEEDS))
    # Not paced (burst_gap): ten feeds' new articles at once must all go out while the workers run.
    path.write_text(text + '[platforms.twitter]\nburst_gap = "0s"\n[platforms.facebook]\nburst_gap = "0s"\n',
                    encoding="utf-8")
    return path


@pytest.mark.slow
def test_three_workers_fetch_each_feed_once_per_interval_and_survive_a_kill(tmp_path: Path, pg_url: str) -> None:
    with FeedServer() as feeds, fake_x() as x, fake_graph() as graph:
        items = {i: [Item(0, site=_site(i))] for i in range(FEEDS)}
        for i in range(FEEDS):
            feeds.set(f"/f{i}.xml", rss(items[i]))
        env = bot_env(x.url, graph.url, pg_url, _config(tmp_path, feeds))
        logs = [tmp_path / f"worker{i}.log" for i in range(WORKERS)]
        started = time.time()
        workers = [start_bot(["run"], env, tmp_path, log) for log in logs]
        posted: list[Item] = []
        try:
            assert wait_until(lambda: all(feeds.hits(f"/f{i}.xml") for i in range(FEEDS)), timeout=20), \
                "every feed read on first sight"
            for i in range(10):  # new articles while all three run
                items[i].append(Item(1, site=_site(i)))
                feeds.set(f"/f{i}.xml", rss(items[i]))
                posted.append(items[i][-1])
            assert wait_until(lambda: len(x_links(x)) >= 10 and len(fb_links(graph)) >= 10, timeout=25)
            # The victim: the worker that polled the most feeds at first sight, so it surely had feeds of its own.
            firsts = [log.read_text().count("first sight") for log in logs]
            victim = firsts.index(max(firsts))
            kill_group(workers[victim])
            killed_at = time.time()
            for i in range(10, 20):  # and after the kill
                items[i].append(Item(2, site=_site(i)))
                feeds.set(f"/f{i}.xml", rss(items[i]))
                posted.append(items[i][-1])
            wait_until(lambda: False, timeout=max(started + RUN_SECONDS - time.time(), 0))
            assert wait_until(lambda: len(x_links(x)) >= 20 and len(fb_links(graph)) >= 20, timeout=20)
            ended = time.time()
        finally:
            for process in workers:
                if process.poll() is None:
                    process.send_signal(signal.SIGTERM)
            codes = [_wait(p) for p in workers]

        texts = [log.read_text() for log in logs]
        assert all("Traceback" not in t for t in texts), texts
        survivors = [i for i in range(WORKERS) if i != victim]
        assert [codes[i] for i in survivors] == [0, 0], "the survivors stop cleanly on SIGTERM"
        assert firsts[victim] > 0 and sum(firsts) == FEEDS, f"first sight of each feed once, by one worker: {firsts}"

        want = sorted(i.url for i in posted)
        assert duplicates(x_links(x)) == {} and duplicates(fb_links(graph)) == {}
        assert sorted(x_links(x)) == want and sorted(fb_links(graph)) == want, "each new article once per platform"

        requests = [r for r in feeds.requests if r["time"] <= ended]
        gaps: list[float] = []
        for i in range(FEEDS):
            times = sorted(r["time"] for r in requests if r["path"] == f"/f{i}.xml")
            first = times[0]
            expected = int((ended - first) // EVERY) + 1
            assert abs(len(times) - expected) <= 1, f"feed {i}: {len(times)} requests, {expected} intervals"
            gaps += [b - a for a, b in itertools.pairwise(times)]
            assert ended - times[-1] <= EVERY + SLACK, f"feed {i} not polled since {ended - times[-1]:.1f} s"
            after = [t for t in times if t > killed_at]
            assert len(after) >= int((ended - killed_at) // EVERY), f"feed {i} after the kill: {len(after)} requests"
        assert min(gaps) >= EVERY - SLACK and max(gaps) <= EVERY + SLACK, (min(gaps), max(gaps))
        polls = len(requests)
        print(f"\nshared feeds: {FEEDS} feeds x {WORKERS} workers for {ended - started:.0f} s: {polls} requests "
              f"(one worker alone would make the same), gaps {min(gaps):.1f}-{max(gaps):.1f} s, worker {victim} "
              f"killed at {killed_at - started:.0f} s")


def _wait(process: subprocess.Popen[bytes]) -> int | None:
    try:
        return process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        return None
