"""The common pass of a cron-driven bot, `bot run --once` over feeds that answer 304, imports only what it uses
(issue 25): no feed parser, no text rules, no cryptography. Each of them was a share of that pass's time."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.fakes.feed_server import FeedServer
from tests.helpers import bot_env

# What a pass over unchanged feeds has no use for: the parsers (lxml, feedparser, bot's own reader), the text
# rules' regex module, the article-page reader, keyword extraction, and cryptography (token sealing); requests and
# urllib3 (a 304 comes over http.client, bot.net.plain) and the networks' client libraries, which only a post needs;
# python-dotenv when there is no .env; secrets and hmac (Bluesky's clock id once drew on them, OpenSSL's hashes
# with them); uuid (a worker id's nonce) and shutil (a terminal's width, only on a terminal).
NOT_ON_A_304_PASS = ("lxml", "regex", "feedparser", "bot.feeds.parse", "bot.feeds.entries", "bot.feeds.evidence",
                     "trafilatura", "yake", "cryptography", "bot.compose.core", "bot.feeds.kinds", "requests",
                     "urllib3", "bot.net.session", "bot.platforms.http", "tweepy", "facebook", "mastodon", "atproto",
                     "dotenv", "secrets", "hmac", "uuid", "shutil")

# Runs the CLI as `python -m bot` does, then writes the names of every module loaded to a file.
RUNNER = """
import json, sys
from bot.cli import main
code = main(sys.argv[2:])
open(sys.argv[1], "w").write(json.dumps(sorted(sys.modules)))
raise SystemExit(code)
"""


def _feed(n: int) -> bytes:
    items = "".join(f"<item><title>Story {n}-{i}</title><link>https://site{n}.example.org/{i}/</link>"
                    f"<guid>https://site{n}.example.org/?p={i}</guid><description>Text {i}.</description></item>"
                    for i in range(5))
    return (f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Site {n}</title>'
            f"<link>https://site{n}.example.org/</link>{items}</channel></rss>").encode()


def test_a_pass_over_unchanged_feeds_imports_no_parser_and_no_cryptography(tmp_path: Path) -> None:
    with FeedServer() as server:
        for n in range(3):
            server.set(f"/f{n}.xml", _feed(n))
        config = tmp_path / "bot.toml"
        config.write_text("".join(f'[[feeds]]\nurl = "{server.url_for(f"/f{n}.xml")}"\nname = "f{n}"\n'
                                  for n in range(3)) + "[platforms.twitter]\n[platforms.facebook]\n", encoding="utf-8")
        env = bot_env(None, None, f"sqlite:///{tmp_path}/bot.db", config)
        modules = tmp_path / "modules.json"

        def once() -> subprocess.CompletedProcess[str]:
            return subprocess.run([sys.executable, "-c", RUNNER, str(modules), "run", "--once"], env=env,
                                  cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False)

        first = once()  # first sight: every feed is read and parsed (the baseline)
        assert first.returncode == 0, first.stderr
        assert "lxml.etree" in json.loads(modules.read_text())  # the check below can see a parser
        before = len(server.requests)
        second = once()
        assert second.returncode == 0, second.stderr
        assert "checked 3 feed(s), 0 post(s) queued" in second.stdout
        assert [r["status"] for r in server.requests[before:]] == [304, 304, 304]
    loaded = json.loads(modules.read_text())
    heavy = sorted(m for m in loaded if any(m == name or m.startswith(f"{name}.") for name in NOT_ON_A_304_PASS))
    assert heavy == [], f"a pass of 304s imported {heavy}"
