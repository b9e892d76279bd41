"""The idle worker: 20 feeds with nothing new. CPU and memory of the real `bot run`, then memory over
1,000 poll cycles in process.

Run from the repo root: PYTHONPATH=. .venv/bin/python bench/idle_bench.py [--seconds 60] [--cycles 1000]
Budget: <= 100 MB RSS, < 1% of a core averaged over the window, memory flat over the cycles.

Part 1 polls every feed once a minute (`every = "1m"`, stricter than the default 15m) and once
every 15 s as a stress figure; the feeds answer 304 Not Modified (ETag), as an unchanged site does.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the child is run as a script
from tests.fakes.feed_server import FeedServer
from tests.feedgen import Item, rss

FEEDS = 20


def _config(path: Path, server: FeedServer, every: str) -> None:
    text = "".join(f'[[feeds]]\nurl = "{server.url_for(f"/f{n}.xml")}"\nname = "f{n}"\nevery = "{every}"\n'
                   for n in range(FEEDS))
    path.write_text(text + "[platforms.twitter]\n[platforms.facebook]\n", encoding="utf-8")


def worker_figures(server: FeedServer, every: str, seconds: float) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "bot.toml"
        _config(config, server, every)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TWITTER_", "FACEBOOK_", "BOT_"))}
        env.update(DATABASE_URL=f"sqlite:///{tmp}/s.db", BOT_CONFIG=str(config))
        proc = subprocess.Popen([sys.executable, "-m", "bot", "run"], env=env, cwd=tmp,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            ps = psutil.Process(proc.pid)
            time.sleep(8)  # start-up and the first look at every feed (the baseline) are not "idle"
            seen_before = len(server.requests)
            cpu_before = ps.cpu_times()
            rss_samples = []
            start = time.monotonic()
            while time.monotonic() - start < seconds:
                time.sleep(min(5.0, seconds))
                rss_samples.append(ps.memory_info().rss)
            cpu_after = ps.cpu_times()
            elapsed = time.monotonic() - start
            busy = (cpu_after.user - cpu_before.user) + (cpu_after.system - cpu_before.system)
            window = server.requests[seen_before:]
            hits, not_modified = len(window), sum(1 for r in window if r["status"] == 304)
            proc.send_signal(signal.SIGTERM)
            t0 = time.monotonic()
            code = proc.wait(30)
            stop_s = time.monotonic() - t0
        finally:
            if proc.poll() is None:
                proc.kill()
    print(f"idle worker, {FEEDS} feeds every {every:>3}: CPU {100 * busy / elapsed:5.2f}% of a core over "
          f"{elapsed:.0f} s ({hits} feed requests, {not_modified} of them 304); "
          f"RSS max {max(rss_samples) / 2**20:5.1f} MB, median {statistics.median(rss_samples) / 2**20:5.1f} MB; "
          f"SIGTERM -> exit {code} in {stop_s:.2f} s")


def poll_cycles(server: FeedServer, cycles: int) -> None:
    """Runs the cycles in a child process: the fake feed server keeps a log of every request, and in the
    same process that log would be counted as the bot's memory."""
    before = len(server.requests)
    result = subprocess.run([sys.executable, __file__, "--child", server.url_for("/"), "--cycles", str(cycles)],
                            capture_output=True, text=True, check=True, env=dict(os.environ, PYTHONPATH="."))
    statuses = [r["status"] for r in server.requests[before:]]
    print(result.stdout.strip() + f" ({statuses.count(304)}/{len(statuses)} answers were 304)")


def child_cycles(base_url: str, cycles: int) -> None:
    from bot.app import Bot
    from bot.config import load_config

    with tempfile.TemporaryDirectory() as tmp:
        config_path = Path(tmp) / "bot.toml"
        config_path.write_text("".join(f'[[feeds]]\nurl = "{base_url}f{n}.xml"\nname = "f{n}"\n' for n in range(FEEDS))
                               + "[platforms.twitter]\n[platforms.facebook]\n", encoding="utf-8")
        config = load_config(str(config_path), environ={"DATABASE_URL": f"sqlite:///{tmp}/s.db"})
        bot = Bot(config, dry_run=True)
        me = psutil.Process()
        marks: dict[int, float] = {}
        start = time.perf_counter()
        for cycle in range(1, cycles + 1):
            bot.poll(force=True)  # force: no backoff skip, every feed is asked every cycle
            bot.deliver()
            if cycle in (1, 10, 100) or cycle % (cycles // 4 or 1) == 0:
                marks[cycle] = me.memory_info().rss / 2**20
        took = time.perf_counter() - start
        bot.close()
    growth = marks[cycles] - marks[100] if cycles >= 100 else float("nan")
    print(f"{cycles} poll cycles x {FEEDS} feeds ({took / cycles * 1000:.1f} ms/cycle): RSS "
          + ", ".join(f"@{c} {mb:.1f} MB" for c, mb in sorted(marks.items()))
          + f"; growth from cycle 100 to {cycles}: {growth:+.1f} MB")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--cycles", type=int, default=1000)
    parser.add_argument("--child", metavar="BASE_URL", help=argparse.SUPPRESS)
    parser.add_argument("--skip-worker", action="store_true", help="only the poll cycles")
    args = parser.parse_args()
    if args.child:
        child_cycles(args.child, args.cycles)
        return
    with FeedServer() as server:
        for n in range(FEEDS):
            server.set(f"/f{n}.xml", rss([Item(n * 10 + k) for k in range(10)]))
        if not args.skip_worker:
            worker_figures(server, "1m", args.seconds)
            worker_figures(server, "15s", args.seconds)
        poll_cycles(server, args.cycles)


if __name__ == "__main__":
    main()
