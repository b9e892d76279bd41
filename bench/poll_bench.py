"""The bot's own poll cycle over 1,000 feeds: fetch, parse, new-or-not against the store, compose, queue.

    PYTHONPATH=. .venv/bin/python bench/poll_bench.py [--feeds 1000] [--database-url URL]

Same workload and server as bench/feeds_bench.py (20 WordPress-style items per feed, ETags, gzip),
but through `Bot.poll`, the code the worker runs: a first cycle (every entry recorded as seen, the
baseline), then steady cycles where 10% of the feeds gained one item, each composed for X and
Facebook and queued in the outbox. SQLite by default; pass a Postgres URL to measure that instead.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from feeds_bench import BenchServer, peak_rss_mb  # noqa: E402

from bot.app import Bot  # noqa: E402
from bot.config import Environment, parse_config  # noqa: E402


def config_text(base: str, n: int) -> str:
    feeds = "".join(f'[[feeds]]\nurl = "{base}/feed/{i}"\nname = "site{i}"\nmax_age_days = 36500\n' for i in range(n))
    return feeds + "[platforms.twitter]\n[platforms.facebook]\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--feeds", type=int, default=1000)
    ap.add_argument("--steady-cycles", type=int, default=3)
    ap.add_argument("--database-url")
    args = ap.parse_args()
    n = args.feeds

    tmp = tempfile.mkdtemp(prefix="poll-bench-")
    url = args.database_url or f"sqlite:///{tmp}/bench.db"
    with BenchServer(n) as server:
        base = server.base
        config = parse_config(config_text(base, n), None, Environment(database_url=url))
        bot = Bot(config, dry_run=True)
        print(f"workload: {n} feeds x 20 items through Bot.poll, store {url.split(':', 1)[0]}, "
              f"{os.cpu_count()} cores")
        started = time.perf_counter()
        reports = bot.poll(force=True)
        secs = time.perf_counter() - started
        print(f"bot poll  first cycle : {secs:6.2f} s  ({sum(r.entries for r in reports)} entries recorded, "
              f"{sum(r.queued for r in reports)} queued: baseline)   target <= 10 s")
        for cycle in range(args.steady_cycles):
            server.change(list(range(cycle % 10, n, 10)))
            started = time.perf_counter()
            reports = bot.poll(force=True)
            secs = time.perf_counter() - started
            errors = [r for r in reports if r.status == "error"]
            print(f"bot poll  steady cycle: {secs:6.2f} s  ({sum(r.new for r in reports)} new, "
                  f"{sum(r.queued for r in reports)} posts composed and queued"
                  + (f", {len(errors)} errors" if errors else "") + ")   target <= 2 s")
        print(f"bot poll  peak RSS    : {peak_rss_mb():6.0f} MB                          target <= 200 MB")
        bot.close()


if __name__ == "__main__":
    main()
