"""The bot's own poll cycle over 1,000 feeds: fetch, parse, new-or-not against the store, compose, queue.

    PYTHONPATH=. .venv/bin/python bench/poll_bench.py [--feeds 1000] [--database-url URL]

Same workload and server as bench/feeds_bench.py (20 WordPress-style items per feed, ETags, gzip),
but through `Bot.poll`, the code the worker runs: a first cycle (every entry recorded as seen, the
baseline), then steady cycles where 10% of the feeds gained one item, each composed for X and
Facebook and queued in the outbox. SQLite by default; pass a Postgres URL to measure that instead.

    PYTHONPATH=. .venv/bin/python bench/poll_bench.py --shared [--workers 3] [--large] [--database-url PG]

`--shared` measures the shared schedule (bot.sharing) on Postgres, each in a fresh schema: first the
single-process Bot.poll figures over --feeds, then one worker process running the shared claim loop over
--feeds (the single-worker baseline), then --workers worker processes (each the worker's own claim
loop) over 1,000 feeds and, with --large, 10,000: the first cycle (every feed due, baseline), steady cycles
with nothing new and with 1% changed (all feeds made due at once; a cycle ends when every worker finds
nothing more due), the fetches per cycle (the feed server counts them: one per feed), and each worker's
peak RSS. Medians of --steady-cycles.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from feeds_bench import BenchServer, peak_rss_mb  # noqa: E402

from bot.app import Bot  # noqa: E402
from bot.config import Environment, parse_config  # noqa: E402


def config_text(base: str, n: int) -> str:
    feeds = "".join(f'[[feeds]]\nurl = "{base}/feed/{i}"\nname = "site{i}"\nmax_age_days = 36500\n' for i in range(n))
    return feeds + "[platforms.twitter]\n[platforms.facebook]\n"


PG = "postgresql://postgres@127.0.0.1:5432/test"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--feeds", type=int, default=1000)
    ap.add_argument("--steady-cycles", type=int, default=3)
    ap.add_argument("--database-url")
    ap.add_argument("--shared", action="store_true", help="the shared schedule on Postgres, several workers")
    ap.add_argument("--workers", type=int, default=3)
    ap.add_argument("--large", action="store_true", help="also 10,000 feeds (slow on a loaded machine)")
    ap.add_argument("--child", nargs=3, metavar=("URL", "BASE", "N"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child[0], args.child[1], int(args.child[2]))
        return
    if args.shared:
        base = args.database_url or PG
        with fresh_schema(base) as url:
            single(url, args.feeds, args.steady_cycles)
        with fresh_schema(base) as url:  # the same claim loop, one worker: the baseline of the shared figures
            shared(url, args.feeds, 1, args.steady_cycles)
        figures = {}
        for n in (1000, 10_000) if args.large else (1000,):
            with fresh_schema(base) as url:
                figures[n] = shared(url, n, args.workers, args.steady_cycles)
        if len(figures) == 2:
            (small, large) = figures[1000], figures[10_000]
            print("growth 1,000 -> 10,000 feeds (10x; linear is 10.0x): "
                  + ", ".join(f"{label} {b / a:.1f}x" for label, a, b in zip(
                      ("first cycle", "steady nothing new", "steady 1% changed", "peak RSS per worker"),
                      small, large, strict=True)))
        return
    if args.database_url and args.database_url.startswith(("postgres://", "postgresql")):
        with fresh_schema(args.database_url) as url:  # a rerun must not find the last run's articles known
            single(url, args.feeds, args.steady_cycles)
        return
    tmp = tempfile.mkdtemp(prefix="poll-bench-")
    single(args.database_url or f"sqlite:///{tmp}/bench.db", args.feeds, args.steady_cycles)


@contextlib.contextmanager
def fresh_schema(base: str) -> Iterator[str]:
    import psycopg

    schema = f"bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        yield f"{base}{'&' if '?' in base else '?'}options={quote(f'-csearch_path={schema}')}"
    finally:
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


def single(url: str, n: int, steady_cycles: int) -> None:
    """One process, Bot.poll over every feed (the path of `bot run --once`)."""
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
        times = []
        for cycle in range(steady_cycles):
            server.change(list(range(cycle % 10, n, 10)))
            started = time.perf_counter()
            reports = bot.poll(force=True)
            secs = time.perf_counter() - started
            times.append(secs)
            errors = [r for r in reports if r.status == "error"]
            print(f"bot poll  steady cycle: {secs:6.2f} s  ({sum(r.new for r in reports)} new, "
                  f"{sum(r.queued for r in reports)} posts composed and queued"
                  + (f", {len(errors)} errors" if errors else "") + ")   target <= 2 s")
        if times:
            print(f"bot poll  steady median: {statistics.median(times):5.2f} s (10% changed)")
        print(f"bot poll  peak RSS    : {peak_rss_mb():6.0f} MB                          target <= 200 MB")
        bot.close()


def shared(url: str, n: int, workers: int, steady_cycles: int) -> tuple[float, float, float, float]:
    """`workers` processes, each running the worker's claim loop, sharing `n` feeds on one Postgres. Returns the
    first cycle, the steady medians (nothing new, 1% changed) and the largest peak RSS of a worker."""
    import psycopg

    print(f"shared: {workers} workers x {n} feeds x 20 items, one Postgres, {os.cpu_count()} cores")
    with BenchServer(n) as server:
        procs = [subprocess.Popen([sys.executable, __file__, "--child", url, server.base, str(n)],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) for _ in range(workers)]
        try:
            for p in procs:
                assert p.stdout is not None and p.stdout.readline().strip() == "ready"

            def cycle(label: str, changed: list[int], target: str = "") -> float:
                if changed:
                    server.change(changed)
                with psycopg.connect(url, autocommit=True) as conn:  # every feed due now (the next interval)
                    conn.execute("UPDATE feeds SET next_due = EXTRACT(EPOCH FROM clock_timestamp()) - 1")
                hits = server.hits()
                started = time.perf_counter()
                for p in procs:
                    assert p.stdin is not None
                    p.stdin.write("go\n")
                    p.stdin.flush()
                done = [p.stdout.readline().split() for p in procs if p.stdout is not None]
                secs = time.perf_counter() - started
                fetches = server.hits() - hits
                share = [int(d[1]) for d in done]
                ok = "OK" if fetches == n else "WRONG"
                print(f"shared {label}: {secs:6.2f} s  fetches {fetches} (feeds {n}, {ok}), per worker {share}{target}")
                return secs

            first = cycle("first cycle ", [], "   (baseline: every entry recorded as seen)")
            quiet = [cycle("steady, 0% new", []) for _ in range(steady_cycles)]
            changed = [cycle("steady, 1% new", list(range(c % 100, n, 100))) for c in range(steady_cycles)]
            print(f"shared steady median: nothing new {statistics.median(quiet):.2f} s, "
                  f"1% changed {statistics.median(changed):.2f} s")
        finally:
            rss = []
            for p in procs:
                if p.stdin is not None and p.poll() is None:
                    p.stdin.write("quit\n")
                    p.stdin.flush()
                    line = p.stdout.readline().split() if p.stdout is not None else []
                    rss.append(float(line[1]) if len(line) == 2 else float("nan"))
                p.wait(60)
        print(f"shared peak RSS per worker: {', '.join(f'{r:.0f}' for r in rss)} MB   target <= 200 MB")
    return first, statistics.median(quiet), statistics.median(changed), max(rss)


def child(url: str, base: str, n: int) -> None:
    """One worker's feed loop (bot.sharing), driven by the parent: at "go", claim and poll until nothing is due."""
    from bot.app import FEED_WORKERS
    from bot.sharing import SharedPolling

    config = parse_config(config_text(base, n), None, Environment(database_url=url))
    bot = Bot(config, dry_run=True)
    feeds = {f.shown_url: f for f in config.feeds}
    stop = threading.Event()
    sharing = SharedPolling(bot.store, bot.feed_pool, FEED_WORKERS, bot.owner, bot.tuning.lease_seconds,
                            config=lambda: config, feeds=lambda: feeds,
                            poll=lambda feed, defer, state: bot.poll_one(feed, defer=defer, state=state), stop=stop)
    bot.store.register_feeds(feeds)
    print("ready", flush=True)
    for line in sys.stdin:
        if line.strip() != "go":
            break
        before = sharing.polled
        while True:
            wait = sharing.round()  # writes what ended, then claims what is due
            with sharing._lock:
                idle = sharing._outstanding == 0 and not sharing._pending
            # Nothing of ours in flight, nothing written late, and nothing due that nobody holds. (Asking for idle
            # before the round as well left each cycle's last round, the one writing the last releases, not idle:
            # the cycle then slept out a heartbeat, 6.7 s, and every shared figure carried it.)
            if idle and wait > 0.06:
                break
            sharing.wake.wait(wait)
            sharing.wake.clear()
        print(f"done {sharing.polled - before}", flush=True)
    print(f"rss {peak_rss_mb():.1f}", flush=True)
    stop.set()
    sharing.leave()
    bot.close()


if __name__ == "__main__":
    main()
