"""Helpers for the feed tests: where the shared sample feeds are, and a stable JSON view of a
parsed feed for golden files."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from bot.feeds.parse import ParsedFeed
from tests.helpers import data_dir

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden" / "feeds"
# Relative links in the samples resolve against this made-up origin, so goldens are stable.
ORIGIN = "https://feeds.example.org/"


def shared_feeds_dir() -> Path:
    return data_dir() / "feeds"


def sample_files() -> list[Path]:
    d = shared_feeds_dir()
    return sorted(p for p in d.iterdir() if p.suffix in (".xml", ".rdf", ".json")) if d.is_dir() else []


def feed_url_for(path: Path) -> str:
    return ORIGIN + path.name


def snapshot(parsed: ParsedFeed) -> dict[str, Any]:
    articles = parsed.articles
    return {
        "reader": parsed.reader,
        "title": parsed.title,
        "site_url": parsed.site_url,
        "language": parsed.language,
        "entries": [
            {
                "key": a.key,
                "aliases": list(a.aliases),
                "url": a.url,
                "title": a.title,
                "published": a.published.isoformat() if a.published else None,
                "categories": list(a.categories),
                "author": a.author,
                # Full texts run to 60 KB: pin the start, the length and a digest.
                "text_start": a.text[:240],
                "text_len": len(a.text),
                "text_sha1": hashlib.sha1(a.text.encode("utf-8")).hexdigest(),
                "summary_start": a.summary[:160],
                "image": {"url": a.image.url, "alt": a.image.alt} if a.image else None,
                "excerpt_only": e.excerpt_only,
            }
            for a, e in zip(articles, parsed.entries, strict=True)
        ],
    }
