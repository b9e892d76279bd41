"""The exact post, per platform, for every article of the shared feeds, the bundled
sample feed and the seed article: pinned in tests/golden/compose/<source>.json.

Regenerate with BOT_UPDATE_GOLDEN=1, then READ the diff: each golden is what an
editor would publish, and a change in it is a change in what the public sees.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from bot.compose import ComposeSpec, clean_text, compose
from bot.models import Article, Draft
from tests.conftest import ROOT
from tests.helpers import data_dir

GOLDEN = ROOT / "tests" / "golden" / "compose"
UPDATE = os.environ.get("BOT_UPDATE_GOLDEN") == "1"
ORIGIN = "https://feeds.example.org/"  # the feed URL the shared files are parsed as coming from
SAMPLE_FEED = ROOT / "bot" / "data" / "sample-feed.xml"
SEED = data_dir() / "seed" / "000_091380626f44dcec.txt"
SEED_URL = "https://www.iran-mek.com/2021/06/04/mek-free-iran-world-summit-2021/"

PLATFORMS = ("twitter", "facebook")


def feed_files() -> list[Path]:
    d = data_dir() / "feeds"
    files = sorted(p for p in d.iterdir() if p.suffix in (".xml", ".rdf", ".json")) if d.is_dir() else []
    return [*files, SAMPLE_FEED]


def articles_of(path: Path) -> list[Article]:
    from bot.feeds.parse import parse_feed

    return parse_feed(path.read_bytes(), ORIGIN + path.name).articles


def seed_article() -> Article:
    """The seed as the bot gets it from a page without markup: title line, then text."""
    raw = SEED.read_text(encoding="utf-8")
    title, _, body = raw.partition("\n")
    return Article(
        key="seed", feed_url=ORIGIN + "seed", url=SEED_URL, title=title.strip(), text=clean_text(body), language="en"
    )


def draft_json(d: Draft) -> dict[str, Any]:
    out: dict[str, Any] = {"text": d.text, "hashtags": list(d.hashtags)}
    if d.link and d.link not in d.text:
        out["link"] = d.link
    if d.thread:
        out["thread"] = list(d.thread)
    return out


def snapshot(articles: list[Article], specs: dict[str, ComposeSpec]) -> list[dict[str, Any]]:
    return [
        {"key": a.key, "title": a.title, **{name: draft_json(compose(a, spec)) for name, spec in specs.items()}}
        for a in articles
    ]


def check(name: str, got: list[dict[str, Any]]) -> None:
    golden = GOLDEN / f"{name}.json"
    if UPDATE or not golden.exists():
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(json.dumps(got, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        if not UPDATE:
            pytest.fail(f"golden {golden.name} was missing and has been written: read it, then commit it")
    assert got == json.loads(golden.read_text(encoding="utf-8"))


DEFAULT_SPECS = {p: ComposeSpec(platform=p) for p in PLATFORMS}


@pytest.mark.parametrize("path", feed_files(), ids=lambda p: p.name)
def test_feed_golden(path: Path) -> None:
    check(path.name, snapshot(articles_of(path), DEFAULT_SPECS))


def test_seed_golden() -> None:
    specs = {
        **DEFAULT_SPECS,
        "twitter_inline_summary": ComposeSpec(
            platform="twitter", template="{title}\n\n{summary}\n\n{link}\n\n{hashtags}", hashtag_mode="inline"
        ),
        "twitter_thread": ComposeSpec(platform="twitter", thread=True, thread_max=3),
        "facebook_mapped": ComposeSpec(
            platform="facebook",
            hashtag_map={"boycott": "#IranElectionBoycott", "Resistance Units": "ResistanceUnits"},
            always_tags=("#FreeIran",),
        ),
    }
    check("seed", snapshot([seed_article()], specs))


def test_shared_feeds_found() -> None:
    assert len(feed_files()) >= 30, "tests/data/feeds not found"
