"""The steady Bot.poll cycle, or the whole `bot run --once` process, of this checkout against an earlier commit's.

    .venv/bin/python bench/poll_ab.py [--baseline 76246c6] [--runs 2] [--cycles 6] [--feeds 1000] [--database-url PG]
    .venv/bin/python bench/poll_ab.py --once [--baseline 4694fec] [--current HEAD] [--runs 7] [--feeds 100]
                                      [--feed2toot PATH]

A target set in seconds on one machine ("<= 2 s, it is 2.4-2.6 s today") reads differently on a machine
half as fast: the ratio to the code the target was set against, measured here, is what carries over.
The baseline is checked out into a temporary git worktree; each run is a fresh process (and a fresh
Postgres schema) polling the same 1,000 feeds served by this checkout's bench server (bench/feeds_bench.py):
a first cycle, then --cycles steady cycles with 10% of the feeds changed. Runs alternate between the two
trees so that the machine's drift falls on both. Prints each run's median and the median ratio.

`--once` times the common case of a cron-driven bot as a user sees it: `python -m bot run --once`, a whole
process (start-up imports, config, database opening, the poll, delivery, the summary) over --feeds unchanged
WordPress feeds that answer 304 to their ETag, on SQLite, after a first pass recorded the baseline. With
--feed2toot (the path of a feed2toot 0.17 executable, e.g. from `pip install feed2toot==0.17` in a venv of its
own) feed2toot reads the same feeds in the same command, its cache populated first, and each tree's ratio to it
is printed: feed2toot asks for the whole feed every time (no ETag), which is what it does for its users.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PG = "postgresql://postgres@127.0.0.1:5432/test"
# The code as it was when issue 13 set the 2 s target for the steady cycle on Postgres.
ISSUE_13_BASELINE = "76246c6"
# The code whose `bot run --once` pass issue 25 measured at 13.5x feed2toot (the default of --once).
ISSUE_25_BASELINE = "4694fec"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--baseline", help=f"a commit ({ISSUE_13_BASELINE}; with --once: {ISSUE_25_BASELINE})")
    ap.add_argument("--runs", type=int, help="runs of each tree (2; --once: 7)")
    ap.add_argument("--cycles", type=int, default=6)
    ap.add_argument("--feeds", type=int, help="feeds served (1,000; --once: 100)")
    ap.add_argument("--database-url", default=PG)
    ap.add_argument("--once", action="store_true", help="time whole `bot run --once` processes over unchanged feeds")
    ap.add_argument("--feed2toot", metavar="PATH", help="with --once: a feed2toot executable, timed alike")
    ap.add_argument("--current", metavar="COMMIT", help="with --once: measure this commit (in a worktree of its own) "
                    "instead of the working tree, which others may be editing")
    ap.add_argument("--child", metavar="TREE", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.once:
        from once_ab import compare_once  # the --once pass lives in its own module (one job each)

        args.baseline, args.feeds, args.runs = args.baseline or ISSUE_25_BASELINE, args.feeds or 100, args.runs or 7
        with baseline_tree(args.baseline) as tree, contextlib.ExitStack() as stack:
            current = stack.enter_context(baseline_tree(args.current)) if args.current else ROOT
            compare_once(tree, current, args)
        return
    args.baseline, args.feeds, args.runs = args.baseline or ISSUE_13_BASELINE, args.feeds or 1000, args.runs or 2
    if args.child:
        child(Path(args.child), args.database_url, args.feeds, args.cycles)
        return
    with baseline_tree(args.baseline) as tree:
        compare(tree, args)


@contextlib.contextmanager
def baseline_tree(commit: str) -> Iterator[Path]:
    """`commit` checked out in a temporary git worktree, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="poll-ab-") as tmp:
        tree = Path(tmp) / "baseline"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(tree), commit], check=True)
        try:
            yield tree
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)], check=False)


def compare(baseline: Path, args: argparse.Namespace) -> None:
    print(f"workload: {args.feeds} feeds x 20 items, steady Bot.poll cycles (10% changed), Postgres, "
          f"{os.cpu_count()} cores; baseline {args.baseline} vs this checkout")
    medians: dict[str, list[float]] = {"baseline": [], "current": []}
    for run in range(args.runs):
        for label, tree in (("baseline", baseline), ("current", ROOT)):
            out = subprocess.run([sys.executable, __file__, "--child", str(tree), "--database-url", args.database_url,
                                  "--feeds", str(args.feeds), "--cycles", str(args.cycles)],
                                 check=True, capture_output=True, text=True).stdout
            figures = json.loads(out.strip().splitlines()[-1])
            medians[label].append(figures["median"])
            print(f"run {run + 1} {label:8}: cycles " + " ".join(f"{s:.2f}" for s in figures["cycles"])
                  + f"  median {figures['median']:.2f} s, CPU {figures['cpu']:.2f} s")
    base, cur = statistics.median(medians["baseline"]), statistics.median(medians["current"])
    print(f"steady cycle median: baseline {base:.2f} s, this checkout {cur:.2f} s, ratio {cur / base:.2f}x")


def child(tree: Path, url: str, n: int, cycles: int) -> None:
    # The tree's own bot package, imported before the bench server's module (which puts this checkout first).
    sys.path.insert(0, str(tree))
    from bot.app import Bot
    from bot.config import Environment, parse_config

    sys.path.insert(0, str(HERE))
    from feeds_bench import BenchServer
    from poll_bench import config_text, fresh_schema

    import bot

    assert Path(bot.__file__).resolve().is_relative_to(tree.resolve()), bot.__file__
    times, cpu = [], []
    with fresh_schema(url) as schema_url, BenchServer(n) as server:
        poller = Bot(parse_config(config_text(server.base, n), None, Environment(database_url=schema_url)),
                     dry_run=True)
        poller.poll(force=True)
        for cycle in range(cycles):
            server.change(list(range(cycle % 10, n, 10)))
            cpu_started, started = time.process_time(), time.perf_counter()
            poller.poll(force=True)
            times.append(time.perf_counter() - started)
            cpu.append(time.process_time() - cpu_started)
        poller.close()
    print(json.dumps({"cycles": times, "median": statistics.median(times), "cpu": statistics.median(cpu)}))


if __name__ == "__main__":
    main()
