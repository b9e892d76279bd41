"""First sight of a feed with far more items than a feed can mean (issue 21 item 11): time and peak memory.

    .venv/bin/python bench/huge_feed_bench.py [--items 20000 100000 325000]

Each size is a feed of items holding nothing but a guid (the red team's 325,000 made 10 MB, the most a fetch
accepts), polled once from a file by `poll_feed` on SQLite in a fresh process: its first sight, which reads
the feed and records what it keeps as seen. Prints the seconds, the process's peak RSS above what it held
before the poll, and what was kept. Before the bound (bot.feeds.entries.MAX_ENTRIES) 325,000 items took
836 MB and 28 s; beyond the bound the growth is lxml's tree alone.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def child(items: int, tmp: str) -> None:
    import resource
    import time
    from datetime import UTC, datetime

    sys.path.insert(0, str(ROOT))
    from bot.config import parse_config
    from bot.poll import poll_feed
    from bot.store import open_store

    path = Path(tmp) / f"huge{items}.xml"
    path.write_bytes(('<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>t</title>'
                      + "".join(f"<item><guid>{i}</guid></item>" for i in range(items))
                      + "</channel></rss>").encode())
    config = parse_config(f'[[feeds]]\nurl = "{path}"\nname = "huge"\n[platforms.twitter]\n', Path(tmp) / "b.toml")
    store = open_store(f"sqlite:///{tmp}/huge{items}.db")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.perf_counter()
    report = poll_feed(config, store, config.feeds[0], now=datetime.now(UTC))
    took = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    store.close()
    print(json.dumps({"seconds": took, "growth_mb": peak - before, "peak_mb": peak, "kept": report.entries,
                      "size_mb": path.stat().st_size / 2**20}))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--items", type=int, nargs="+", default=[20_000, 100_000, 325_000])
    ap.add_argument("--child", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--tmp", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child, args.tmp)
        return
    print("first sight of a feed of empty items (guid only), poll_feed from a file, SQLite, a fresh process each")
    with tempfile.TemporaryDirectory(prefix="huge-feed-") as tmp:
        for n in args.items:
            out = subprocess.run([sys.executable, __file__, "--child", str(n), "--tmp", tmp], check=True,
                                 capture_output=True, text=True).stdout
            f = json.loads(out.strip().splitlines()[-1])
            print(f"{n:7} items ({f['size_mb']:5.1f} MB): {f['seconds']:6.2f} s, peak RSS {f['peak_mb']:5.0f} MB "
                  f"(+{f['growth_mb']:4.0f} MB during the poll), {f['kept']} items kept and recorded")


if __name__ == "__main__":
    main()
