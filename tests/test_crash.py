"""Crash test: `bot run --once` processes SIGKILLed at random moments while 100 new articles go out to X and
Facebook, many of them between the API call and the write that records it. Then the bot is let finish:
every article must be on each network exactly once, in publication order, and none lost.

The test hook BOT_TEST_PAUSE_AFTER_SEND (bot.retries) holds each post for a moment after the platform
answered and before the outbox row is settled, so a good share of the kills lands in the window where the
outcome is unknown; the short lease lets the next process take the post over and look it up.
"""

from __future__ import annotations

import random
import signal
import subprocess
import time
from pathlib import Path

from tests.fakes.feed_server import FeedServer
from tests.feedgen import Item, rss
from tests.fleet import (
    config_file,
    duplicates,
    expected_links,
    fb_links,
    refused_as_duplicate,
    start_bot,
    wait_until,
    x_links,
)
from tests.helpers import bot_env, fake_graph, fake_x, run_bot

ARTICLES = 100
KILLS = 100
STREAMS = 2  # processes alive at once: the kills of one overlap the work of the other
# Seconds after start. A run takes ~0.3 s to start; the poll that first sees the burst composes 100 articles
# (~1 s more) and must be let finish once in a while; after that a post goes every ~0.1 s per platform.
KILL_WHILE_QUEUEING = (0.05, 2.0)
KILL_WHILE_POSTING = (0.05, 1.0)
# The windows are for an idle machine. On a loaded one every stage of a run is slower, and with fixed windows
# every run died before it posted anything: while kills bring no new post, the windows widen (x1.5 every 4).
WIDEN_AFTER_FRUITLESS_KILLS = 4
CRASH_ENV = {
    # The production lease (20 s, renewed while a post is sent): a killed run's post is taken over at once
    # all the same (this machine sees its process gone). A short lease only let a run that was alive but
    # starved of CPU under the full suite lose its post to a lookup while its request was still on the
    # way, and the post was sent again (the platform refused it as a duplicate).
    "BOT_TEST_PAUSE_AFTER_SEND": "0.1",
    "BOT_BACKOFF_BASE_SECONDS": "0.2",
    "BOT_BACKOFF_CAP_SECONDS": "1",
}


def test_sigkill_at_random_moments_loses_nothing_and_doubles_nothing(tmp_path: Path) -> None:
    rng = random.Random(20261127)
    with FeedServer() as feeds, fake_x() as x, fake_graph() as graph:
        feeds.set("/feed.xml", rss([Item(0)]))
        config = config_file(tmp_path, feeds.url_for("/feed.xml"))
        env = bot_env(x.url, graph.url, f"sqlite:///{tmp_path / 'state.db'}", config, CRASH_ENV)
        baseline = run_bot(["run", "--once"], env, tmp_path)
        assert baseline.returncode == 0, baseline.stdout + baseline.stderr
        items = [Item(n) for n in range(1, ARTICLES + 1)]
        feeds.set("/feed.xml", rss([Item(0), *items]))

        log = tmp_path / "runs.log"
        kills = fruitless = progress = 0
        streams: list[tuple[subprocess.Popen[bytes], float]] = []
        started = time.monotonic()
        while kills < KILLS:
            # Each stream: a process, killed at a random moment of its life (starting up, polling, claiming,
            # posting, recording); one that finished first is simply replaced.
            window = KILL_WHILE_POSTING if x.tweets or graph.posts else KILL_WHILE_QUEUEING
            if len(x.tweets) + len(graph.posts) > progress:
                progress, fruitless = len(x.tweets) + len(graph.posts), 0
            # (once every post is out, a run has nothing left to do: the plain windows still catch it starting)
            widen = 1.5 ** min(fruitless // WIDEN_AFTER_FRUITLESS_KILLS, 8) if progress < 2 * ARTICLES else 1.0
            while len(streams) < STREAMS:
                streams.append((start_bot(["run", "--once"], env, tmp_path, log),
                                time.monotonic() + rng.uniform(*window) * widen))
            time.sleep(0.01)
            for entry in list(streams):
                process, kill_at = entry
                if process.poll() is not None:
                    streams.remove(entry)
                elif time.monotonic() >= kill_at:
                    process.send_signal(signal.SIGKILL)
                    process.wait()
                    kills += 1
                    fruitless += 1
                    streams.remove(entry)
        for process, _ in streams:
            process.send_signal(signal.SIGKILL)
            process.wait()
            kills += 1
        killing = time.monotonic() - started
        posted_while_killing = (len(x_links(x)), len(fb_links(graph)))

        # Let it finish: plain runs until both networks have every article (or the deadline says lost).
        def finished() -> bool:
            result = run_bot(["run", "--once"], env, tmp_path)
            with log.open("a") as out:
                out.write(result.stdout + result.stderr)
            return len(set(x_links(x))) == ARTICLES and len(set(fb_links(graph))) == ARTICLES

        assert wait_until(finished, timeout=60, step=0.0), (len(x_links(x)), len(fb_links(graph)))

        output = log.read_text(encoding="utf-8", errors="replace")
        recovered = output.count("was already posted before a crash")
        print(f"\ncrash test: {kills} SIGKILLs in {killing:.1f}s, {posted_while_killing} posted meanwhile, "
              f"{recovered} posts found on the platform after a kill between the API call and the write")
        want = expected_links(items)
        assert duplicates(x_links(x)) == {} and duplicates(fb_links(graph)) == {}
        assert x_links(x) == want, "X: every article once, in publication order"
        assert fb_links(graph) == want, "Facebook: every article once, in publication order"
        refused = [r for r in [*x.requests, *graph.requests] if r["method"] == "POST" and r["status"] in (400, 403)]
        assert refused_as_duplicate(x, graph) == 0, ("nothing was even sent twice", refused)

        assert kills >= KILLS
        assert recovered >= 5, "kills between the API call and the write were exercised"
        assert "Traceback" not in output
