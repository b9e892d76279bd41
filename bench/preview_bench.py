"""How `bot preview` of a podcast feed grows with its items: 30, 300 and 3,000 episodes, five networks.

    .venv/bin/python bench/preview_bench.py [--items 30 300 3000] [--runs 3]

Each feed is written like a real podcast's (itunes tags, an enclosure, about 2 KB of show notes per episode:
issue 25's was 592 KB for 300 items) to a file, and previewed by the whole process, `bot preview --feed FILE`,
for X, Facebook, Mastodon, Bluesky and Telegram: it shows (and cleans and composes) the newest 100 episodes
(`--limit`), so past 100 only parsing grows with the feed. In process, the same feed is timed stage by stage,
as `--all` would pay them: parsing (identities only, what a poll's first sight needs), cleaning every entry
into an Article, composing every article for the five networks, in CPU seconds (on a shared machine they move
less than wall time). Prints medians, the time per item and the growth from each size to the next (linear is
10.0x).
"""

from __future__ import annotations

import argparse
import itertools
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

NETWORKS = ("twitter", "facebook", "mastodon", "bluesky", "telegram")
CONFIG = '[[feeds]]\nurl = "https://pod.example.org/feed"\n' + "".join(f"[platforms.{n}]\n" for n in NETWORKS)
WORDS = ("interview", "history", "science", "music", "city", "season", "guest", "story", "family", "river",
         "market", "school", "travel", "kitchen", "garden", "football", "election", "winter", "library", "night")


def _notes(n: int) -> str:
    para = " ".join(WORDS[(n * 7 + i * 3) % len(WORDS)] for i in range(60))
    return (f"<p>In episode {n} our host talks with a guest about {para}.</p><p>{para}.</p>"
            f"<ul><li>Chapter one: {WORDS[n % 20]}</li><li>Chapter two: {WORDS[(n + 3) % 20]}</li></ul>"
            f"<p>Support the show at https://pod.example.org/support and find every episode at our site.</p>")


def podcast(items: int) -> bytes:
    episodes = "".join(
        f"<item><title>{n}. The {WORDS[n % 20]} episode</title><link>https://pod.example.org/ep/{n}</link>"
        f'<guid isPermaLink="false">pod-ep-{n}</guid>'
        f"<pubDate>Mon, {1 + n % 28:02d} Jan 2024 06:{n % 60:02d}:00 +0000</pubDate>"
        f"<itunes:duration>{30 + n % 40}:00</itunes:duration><itunes:episode>{n}</itunes:episode>"
        f"<itunes:summary>{escape(_notes(n)[:300])}</itunes:summary>"
        f"<description><![CDATA[{_notes(n)}]]></description>"
        f'<enclosure url="https://cdn.pod.example.org/ep{n}.mp3" length="{1000000 + n}" type="audio/mpeg"/></item>'
        for n in range(items, 0, -1))
    return ('<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" '
            'xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"><channel><title>The Example Show</title>'
            '<link>https://pod.example.org/</link><language>en</language>'
            '<itunes:category text="Society &amp; Culture"/>' + episodes + "</channel></rss>").encode()


def whole_process(path: Path, config: Path, runs: int) -> float:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOT_")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # as installed: compiled modules cached (in a directory of our own)
    env.update(PYTHONPYCACHEPREFIX=str(config.parent / "pycache"), DATABASE_URL=f"sqlite:///{config.parent}/p.db")
    command = [sys.executable, "-m", "bot", "--config", str(config), "preview", "--feed", str(path), "--no-pages"]
    times = []
    for _ in range(runs + 1):  # the first run compiles the modules
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        done = subprocess.run(command, env=env, cwd=config.parent, capture_output=True, text=True)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        times.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        if done.returncode != 0:
            raise SystemExit(f"bench: bot preview exited {done.returncode}: {done.stderr[-600:]}")
    return statistics.median(times[1:])


def stages(body: bytes, config_path: Path, runs: int) -> tuple[float, float, float]:
    from bot.config import load_config
    from bot.feeds.parse import parse_feed
    from bot.poll import compose_drafts, feed_platforms

    config = load_config(str(config_path), environ={"DATABASE_URL": "sqlite:///:memory:"})
    platforms = feed_platforms(config, config.feeds[0]) if config.feeds else list(config.platforms)
    parse_t, clean_t, compose_t = [], [], []
    for _ in range(runs):
        started = time.process_time()
        feed = parse_feed(body, "https://pod.example.org/feed")
        parse_t.append(time.process_time() - started)
        started = time.process_time()
        articles = [e.article() for e in feed.entries]
        clean_t.append(time.process_time() - started)
        started = time.process_time()
        for article in articles:
            compose_drafts(config, article, platforms)
        compose_t.append(time.process_time() - started)
    return statistics.median(parse_t), statistics.median(clean_t), statistics.median(compose_t)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--items", type=int, nargs="+", default=[30, 300, 3000])
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    print(f"bot preview --feed FILE --no-pages, a podcast feed, five networks, {os.cpu_count()} cores, "
          f"CPU seconds, medians of {args.runs}")
    rows: list[tuple[int, float, float, float, float]] = []
    with tempfile.TemporaryDirectory(prefix="preview-bench-") as tmp:
        config = Path(tmp) / "bot.toml"
        config.write_text(CONFIG, encoding="utf-8")
        for n in args.items:
            body = podcast(n)
            path = Path(tmp) / f"pod{n}.xml"
            path.write_bytes(body)
            total = whole_process(path, config, args.runs)
            parse_s, clean_s, compose_s = stages(body, config, args.runs)
            rows.append((n, total, parse_s, clean_s, compose_s))
            print(f"{n:5} items ({len(body) / 1024:6.0f} KB): bot preview {total:6.2f} s CPU; in process: parse "
                  f"{parse_s * 1000:7.1f} ms ({parse_s / n * 1e6:5.0f} us/item), clean {clean_s * 1000:7.1f} ms "
                  f"({clean_s / n * 1e6:5.0f} us/item), compose x5 {compose_s * 1000:7.1f} ms "
                  f"({compose_s / n * 1e3:5.2f} ms/item)")
    for (a, *small), (b, *large) in itertools.pairwise(rows):
        print(f"growth {a} -> {b} items ({b / a:.1f}x): " + ", ".join(
            f"{label} {y / x:.1f}x" for label, x, y in zip(("preview", "parse", "clean", "compose"), small, large,
                                                            strict=True)))


if __name__ == "__main__":
    main()
