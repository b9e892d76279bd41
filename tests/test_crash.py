"""Crash test: `bot run --once` processes SIGKILLed at random moments while 100 new articles go out to all
five networks in the same runs (X, Facebook, Mastodon, Bluesky, Telegram), many of them between the API call
and the write that records it. Then the bot is let finish: every article must be on X, Facebook, Mastodon and
Bluesky exactly once, in publication order, none lost, none even sent twice (no duplicate refused by X or
Facebook, no Idempotency-Key replayed by Mastodon, no existing record key sent to the PDS).

Telegram cannot look a post up, so its promise is its own: never posted twice. A post whose outcome a kill
left unknown is held; the test then plays the editor (bot.fleet.settle_held: a held post found in the channel
is skipped, `bot retry --platform telegram` sends the others once), and every article ends up in the channel
exactly once (the released ones after later articles: order is not part of that promise).

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
    ALL_NETWORKS,
    LINKS,
    config_file,
    duplicates,
    expected_links,
    fleet_env,
    fleet_fakes,
    refused_as_duplicate,
    sent_twice,
    settle_held,
    start_bot,
    telegram_sends,
    wait_until,
)
from tests.helpers import run_bot

ARTICLES = 100
KILLS = 100
STRICT = ("twitter", "facebook", "mastodon", "bluesky")  # an unknown outcome is looked up or read back
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
    with FeedServer() as feeds, fleet_fakes() as servers:
        def links(network: str) -> list[str]:
            return LINKS[network](servers[network])

        def posted() -> int:
            return sum(len(links(n)) for n in ALL_NETWORKS)

        tg = servers["telegram"]
        feeds.set("/feed.xml", rss([Item(0)]))
        config = config_file(tmp_path, feeds.url_for("/feed.xml"), networks=ALL_NETWORKS)
        env = fleet_env(servers, f"sqlite:///{tmp_path / 'state.db'}", config, CRASH_ENV)
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
            now_posted = posted()
            window = KILL_WHILE_POSTING if now_posted else KILL_WHILE_QUEUEING
            if now_posted > progress:
                progress, fruitless = now_posted, 0
            # (once every post is out, a run has nothing left to do: the plain windows still catch it starting;
            # Telegram's held posts wait for the editor, so the strict networks say when that is)
            out = sum(len(links(n)) for n in STRICT) >= len(STRICT) * ARTICLES
            widen = 1.5 ** min(fruitless // WIDEN_AFTER_FRUITLESS_KILLS, 8) if not out else 1.0
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
        posted_while_killing = {n: len(links(n)) for n in ALL_NETWORKS}

        # Let it finish: plain runs until every network has every article (or the deadline says lost); the
        # editor settles Telegram's held posts as they come.
        held = 0

        def finished() -> bool:
            nonlocal held
            result = run_bot(["run", "--once"], env, tmp_path)
            with log.open("a") as out:
                out.write(result.stdout + result.stderr)
            if len(set(links("telegram"))) < ARTICLES:
                held += settle_held(env, tmp_path, lambda: links("telegram"))
            return all(len(set(links(n))) == ARTICLES for n in ALL_NETWORKS)

        assert wait_until(finished, timeout=90, step=0.0), {n: len(links(n)) for n in ALL_NETWORKS}
        held += settle_held(env, tmp_path, lambda: links("telegram"))  # those found in the channel: skipped
        assert "HELD" not in run_bot(["status"], env, tmp_path).stdout

        output = log.read_text(encoding="utf-8", errors="replace")
        recovered = output.count("was already posted before a crash")
        print(f"\ncrash test: {kills} SIGKILLs in {killing:.1f}s, {posted_while_killing} posted meanwhile, "
              f"{recovered} posts found on the platform after a kill between the API call and the write; "
              f"Telegram: {held} held for the editor; Bluesky logins: {servers['bluesky'].logins}")
        want = expected_links(items)
        for network in STRICT:
            assert duplicates(links(network)) == {}, network
            assert links(network) == want, f"{network}: every article once, in publication order"
        strict_servers = [servers[n] for n in STRICT]
        assert refused_as_duplicate(*strict_servers) == 0, ("nothing was even sent twice", sent_twice(*strict_servers))

        assert duplicates(links("telegram")) == {}, "Telegram: never posted twice"
        assert sorted(links("telegram")) == sorted(want), "Telegram: every article in the channel, none lost"
        assert telegram_sends(tg) == ARTICLES, "Telegram: every post reached the Bot API once, none twice"

        assert kills >= KILLS
        assert recovered >= 5, "kills between the API call and the write were exercised"
        assert held >= 1 and output.count("is HELD, not sent again") == held, (
            "Telegram: kills between the API call and the write were exercised, and each one was held")
        assert "Traceback" not in output
