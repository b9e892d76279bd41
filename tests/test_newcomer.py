"""Issue 26: a newcomer's first hour. A dry run that changes nothing, pipes and machines, reports that tell the
truth, one clock, one-off posts routed by site, a paced backfill. Each drives the real `bot` command."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

from tests.fakes.feed_server import FeedServer
from tests.feedgen import Item, rss
from tests.helpers import bot_env, fake_x, run_bot


def _rows(db: Path) -> dict[str, int]:
    with sqlite3.connect(db) as conn:
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("seen", "outbox", "feeds")}


def _stories(text: str) -> set[int]:
    return {int(n) for n in re.findall(r"Story number (\d+)", text)}


def test_a_dry_run_records_nothing_and_the_real_run_posts_what_it_showed(tmp_path: Path) -> None:
    with FeedServer() as feeds, fake_x() as x:
        feeds.set("/feed.xml", rss([Item(1), Item(2), Item(3)]))
        config = tmp_path / "bot.toml"
        config.write_text(f'[[feeds]]\nurl = "{feeds.url_for("/feed.xml")}"\nname = "news"\nbackfill = 2\n'
                          "[platforms.twitter]\n")
        db = tmp_path / "s.db"
        env = bot_env(x.url, None, f"sqlite:///{db}", config)

        for _ in range(2):  # twice: the first dry run left nothing that changes the second
            dry = run_bot(["run", "--once", "--dry-run"], env, tmp_path)
            assert dry.returncode == 0, dry.stdout + dry.stderr
            assert dry.stdout.count("[dry-run] --- twitter") == 2
            assert "2 post(s) shown" in dry.stdout and "delivered" not in dry.stdout
            assert _rows(db) == {"seen": 0, "outbox": 0, "feeds": 0}
        assert x.tweets == []

        real = run_bot(["run", "--once"], env, tmp_path)
        assert real.returncode == 0, real.stdout + real.stderr
        assert "2 delivered" in real.stdout
        assert _stories(dry.stdout) == {2, 3}
        assert _stories(" ".join(t["text"] for t in x.tweets)) == {2, 3}

        # A new article: the dry run shows it, the real run after it posts it.
        feeds.set("/feed.xml", rss([Item(1), Item(2), Item(3), Item(4)]))
        before = _rows(db)
        dry = run_bot(["run", "--once", "--dry-run"], env, tmp_path)
        assert dry.stdout.count("[dry-run] --- twitter") == 1 and "Story number 4" in dry.stdout
        assert _rows(db) == before
        real = run_bot(["run", "--once"], env, tmp_path)
        assert "1 delivered" in real.stdout and len(x.tweets) == 3


def test_a_dry_run_under_json_logs_prints_only_json(tmp_path: Path) -> None:
    with FeedServer() as feeds:
        feeds.set("/feed.xml", rss([Item(1), Item(2)]))
        config = tmp_path / "bot.toml"
        config.write_text(f'[[feeds]]\nurl = "{feeds.url_for("/feed.xml")}"\nname = "news"\nbackfill = 2\n'
                          "[platforms.twitter]\n")
        env = bot_env(None, None, f"sqlite:///{tmp_path / 's.db'}", config)
        for args in (["run", "--once", "--dry-run"], ["run", "--once"]):
            result = run_bot(["--log-format", "json", *args], env, tmp_path)
            assert result.returncode == 0, result.stderr
            lines = [json.loads(line) for line in result.stdout.splitlines()]
            (summary,) = [r["summary"] for r in lines if "summary" in r]
            assert summary["feeds"] == 1 and summary["dry_run"] == (args[-1] == "--dry-run")
