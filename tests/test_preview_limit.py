"""`bot preview` of a long feed shows (and cleans and composes) only the newest N articles of each feed, --all every
one (issue 25: an archive feed of 3,000 podcast episodes took 12 s, composed whole to print it all)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from tests.helpers import run_bot

ROOT = Path(__file__).resolve().parents[1]


def _feed(n: int, protected: int | None = None) -> bytes:
    """n dated items in an order that is not the dates' (feeds are not always newest first): item k is published
    on day k of 2024, listed odd days first. Item `protected` is a password-protected post (not an article)."""
    order = [k for k in range(1, n + 1) if k % 2] + [k for k in range(1, n + 1) if not k % 2]
    items = "".join(
        f"<item><title>{'Protected: ' if k == protected else ''}Council story number {k}</title>"
        f"<link>https://news.example.org/a/{k}/</link><guid>https://news.example.org/a/{k}/</guid>"
        f"<pubDate>{_date(k)}</pubDate><description><![CDATA["
        + ("There is no excerpt because this is a protected post." if k == protected else
           f"<p>The council met on day {k} and approved the budget for the new library.</p>")
        + "]]></description></item>" for k in order)
    return ('<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Example News</title>'
            f"<link>https://news.example.org/</link><language>en</language>{items}</channel></rss>").encode()


def _date(day: int) -> str:
    month, mday = divmod(day - 1, 28)
    return f"{mday + 1:02d} {('Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun')[month]} 2024 08:00:00 +0000"


def _env() -> dict[str, str]:
    return {"PATH": "/usr/bin:/bin", "BOT_CONFIG": "", "PYTHONPATH": str(ROOT)}


def _shown(stdout: str) -> list[int]:
    return [int(p["article_url"].rstrip("/").rsplit("/", 1)[1]) for p in json.loads(stdout)]


def test_preview_shows_the_newest_n_in_feed_order_and_says_how_many_it_left(tmp_path: Path) -> None:
    feed = tmp_path / "feed.xml"
    feed.write_bytes(_feed(40, protected=39))
    twitter = ["--platform", "twitter", "--no-pages"]  # their pages are not on the web
    result = run_bot(["preview", "--json", "--feed", str(feed), *twitter, "--limit", "4"], _env(), tmp_path)
    assert result.returncode == 0, result.stderr
    # 40, 38, 37, 36 are the newest articles: 39 is not one and does not use up the limit; odd days come first
    assert _shown(result.stdout) == [37, 36, 38, 40]
    assert "previewing the newest 4 of its 40 items (--limit N, or --all)" in result.stderr
    assert "password-protected post" in result.stderr

    every = run_bot(["preview", "--json", "--feed", str(feed), *twitter, "--all"], _env(), tmp_path)
    assert every.returncode == 0, every.stderr
    assert sorted(_shown(every.stdout)) == [k for k in range(1, 41) if k != 39]
    assert "previewing the newest" not in every.stderr

    text = run_bot(["preview", "--feed", str(feed), *twitter, "--limit", "1"], _env(), tmp_path)
    assert text.returncode == 0 and text.stdout.count("--- twitter (") == 1 and "number 40" in text.stdout

    both = run_bot(["preview", "--feed", str(feed), "--limit", "1", "--all", "--no-pages"], _env(), tmp_path)
    assert both.returncode == 2 and "not allowed with argument" in both.stderr


def test_a_short_feed_is_previewed_whole_by_default(tmp_path: Path) -> None:
    feed = tmp_path / "feed.xml"
    feed.write_bytes(_feed(70))
    result = run_bot(["preview", "--json", "--no-pages", "--feed", str(feed), "--platform", "twitter"], _env(),
                     tmp_path)
    assert result.returncode == 0, result.stderr
    assert sorted(_shown(result.stdout)) == list(range(1, 71)) and "previewing the newest" not in result.stderr


# The preview's cost is what it prints: counted in the process, each article rendered (FeedEntry.article).
COUNTING = """
import sys
from bot.feeds import entries
from bot.cli import main
rendered = 0
article = entries.FeedEntry.article
def counted(self):
    global rendered
    rendered += 1
    return article(self)
entries.FeedEntry.article = counted
code = main(sys.argv[1:])
print(f"rendered {rendered}", file=sys.stderr)
raise SystemExit(code)
"""


def test_a_long_feed_renders_only_the_articles_it_shows(tmp_path: Path) -> None:
    import subprocess

    feed = tmp_path / "feed.xml"
    feed.write_bytes(_feed(150, protected=150))
    args = ["preview", "--json", "--feed", str(feed), "--platform", "twitter", "--no-pages", "--limit", "3"]
    done = subprocess.run([sys.executable, "-c", COUNTING, *args], env=_env(), cwd=tmp_path, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert _shown(done.stdout) == [147, 149, 148]
    assert "rendered 4" in done.stderr  # the three shown and the protected post passed over, of 150
