"""The drafts of real feed items against what an editor requires of them (tests/expectations/drafts.toml,
written by hand from each article's headline, link and text). The golden files pin whatever the bot makes and
BOT_UPDATE_GOLDEN=1 rewrites them; these judge it, and nothing rewrites them. An expectation the bot does not
meet yet carries its reason (`xfail`) and is a strict xfail: meeting it fails the test until the mark goes.
"""

from __future__ import annotations

import functools
import tomllib
from pathlib import Path
from typing import Any

import pytest
import regex

from bot.compose import ComposeSpec, compose
from bot.feeds.kinds import not_an_article
from bot.feeds.parse import parse_feed
from bot.models import Draft
from tests.conftest import ROOT

EXPECTATIONS = ROOT / "tests" / "expectations" / "drafts.toml"
FEED_DIRS = (ROOT / "tests" / "golden" / "realfeeds", ROOT / "tests" / "data" / "feeds")
ORIGIN = "https://feeds.example.org/"  # as tests/test_realfeeds_golden.py reads them (relative links resolve here)
KEYS = {"feed", "item", "headline", "link", "summary", "summary_starts", "summary_contains", "never",
        "tags_allowed", "tags_never", "xfail"}
TAG_LINE = regex.compile(r"(?:^|\n\n)(?:#[\p{L}\p{M}\p{N}_]+[ \t]*)+$")


def _cases() -> list[Any]:
    cases = tomllib.loads(EXPECTATIONS.read_text(encoding="utf-8"))["case"]
    out = []
    for case in cases:
        assert set(case) <= KEYS, f"{EXPECTATIONS.name}: unknown keys {set(case) - KEYS} in {case.get('feed')}"
        marks = [pytest.mark.xfail(strict=True, reason=case["xfail"])] if "xfail" in case else []
        out.append(pytest.param(case, marks=marks, id=f"{case['feed']}[{case['item']}]"))
    return out


def _feed(name: str) -> Path:
    return next(d / name for d in FEED_DIRS if (d / name).is_file())


@functools.cache
def _drafts(name: str, item: int) -> tuple[str | None, Draft, Draft]:
    path = _feed(name)
    article = parse_feed(path.read_bytes(), ORIGIN + name).articles[item]
    return not_an_article(article), compose(article, ComposeSpec(platform="twitter")), compose(
        article, ComposeSpec(platform="facebook"))


def summary_of(post: str, headline: str) -> str:
    """The Facebook post's words between its headline and its closing line of hashtags."""
    assert post.startswith(headline), (headline, post)
    return TAG_LINE.sub("", post[len(headline):]).strip()


@pytest.mark.parametrize("case", _cases())
def test_the_draft_is_what_an_editor_requires(case: dict[str, Any]) -> None:
    why, x, fb = _drafts(case["feed"], case["item"])
    assert why is None, f"skipped as {why}"
    headline = case["headline"]
    for draft in (x, fb):
        assert draft.title == headline and draft.text.startswith(headline), (draft.network, draft.text)
        assert draft.link == case["link"], draft.network
        for junk in case.get("never", []):
            assert junk not in draft.text, (draft.network, junk, draft.text)
        tags = set(draft.hashtags)
        if "tags_allowed" in case:
            assert tags <= set(case["tags_allowed"]), (draft.network, tags - set(case["tags_allowed"]))
        assert not tags & set(case.get("tags_never", [])), (draft.network, tags & set(case["tags_never"]))

    summary = summary_of(fb.text, headline)
    if "summary" in case:
        assert summary == case["summary"], fb.text
    if "summary_starts" in case:
        assert summary.startswith(case["summary_starts"]), fb.text
    for words in case.get("summary_contains", []):
        assert words in summary, (words, fb.text)


def test_the_expectations_cover_many_feeds_and_languages() -> None:
    cases = tomllib.loads(EXPECTATIONS.read_text(encoding="utf-8"))["case"]
    feeds = {c["feed"] for c in cases}
    scripts = {s for c in cases for s in ("Latin", "Cyrillic", "Greek", "Arabic", "Devanagari")
               if regex.search(rf"\p{{{s}}}", c["headline"])}
    assert len(cases) >= 30 and len(feeds) >= 8 and len(scripts) == 5
    assert all("holdout" not in str(_feed(f)) for f in feeds), "the held-out feeds are never read here"
