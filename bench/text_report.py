"""The bot's editorial choices over real feeds, at a glance: what it posts, skips, tags and cuts.

    PYTHONPATH=. .venv/bin/python bench/text_report.py [--shared DIR] [FEED ...]

For every feed (the shared real-world feeds and the gathered ones in tests/golden/realfeeds by
default, or the files given): entries, items
skipped and why, drafts made, hashtags per X and Facebook draft, the site categories that did
not become tags and why, and how many summaries were cut. A last block sums it all up. It
changes nothing and sends nothing: a reviewer reads it to judge the drafts, feed by feed.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.compose import ComposeSpec, compose  # noqa: E402
from bot.compose.hashtags import to_hashtag  # noqa: E402
from bot.compose.stopwords import GENERIC_TAGS  # noqa: E402
from bot.compose.text import ELLIPSIS  # noqa: E402
from bot.feeds.kinds import not_an_article  # noqa: E402
from bot.feeds.parse import parse_feed  # noqa: E402
from bot.models import Article, Draft  # noqa: E402

SUFFIXES = (".xml", ".rss", ".atom", ".rdf", ".json")
GATHERED = ROOT / "tests" / "golden" / "realfeeds"
SPECS = {"twitter": ComposeSpec(platform="twitter"), "facebook": ComposeSpec(platform="facebook")}


def why_not_a_tag(category: str, article: Article, draft: Draft) -> str | None:
    """Why a category of the article is not among the draft's tags (None: it is one)."""
    tag = to_hashtag(category)
    folded = " ".join(category.split()).casefold()
    if tag is not None and tag.text.casefold() in {t.casefold() for t in draft.hashtags}:
        return None
    if folded in GENERIC_TAGS:
        return "generic category"
    if article.site and folded in {article.site.casefold(), article.site.casefold().replace(" ", "")}:
        return "the site's own name"
    if tag is None:
        return "not a hashtag X links (too long, no letters, a stop word)"
    return "over the limit (more trusted tags first)"


def report(path: Path, totals: Counter[str]) -> list[str]:
    parsed = parse_feed(path.read_bytes(), "https://feeds.example.org/" + path.name)
    skipped: Counter[str] = Counter()
    dropped: Counter[str] = Counter()
    tags = {name: 0 for name in SPECS}
    drafts = cut = 0
    for article in parsed.articles:
        reason = not_an_article(article)
        if reason:
            skipped[reason.split(" (")[0]] += 1
            continue
        for name, spec in SPECS.items():
            draft = compose(article, spec)
            drafts += 1
            tags[name] += len(draft.hashtags)
            cut += ELLIPSIS in draft.text
            if name == "twitter":
                for category in article.categories:
                    why = why_not_a_tag(category, article, draft)
                    if why:
                        dropped[why] += 1
    articles = len(parsed.entries) - sum(skipped.values())
    totals.update(entries=len(parsed.entries), articles=articles, drafts=drafts, cut=cut,
                  x_tags=tags["twitter"], fb_tags=tags["facebook"])
    totals.update({f"skipped: {k}": v for k, v in skipped.items()})
    totals.update({f"category not a tag: {k}": v for k, v in dropped.items()})
    per = max(articles, 1)
    lines = [f"{path.name}",
             f"  entries {len(parsed.entries)}, drafts {drafts} ({articles} articles x {len(SPECS)} networks), "
             f"summaries cut {cut}",
             f"  tags per draft: X {tags['twitter'] / per:.2f}, Facebook {tags['facebook'] / per:.2f}"]
    lines += [f"  skipped {n}: {why}" for why, n in skipped.most_common()]
    lines += [f"  category not a tag {n}: {why}" for why, n in dropped.most_common()]
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=ROOT / "tests" / "data")
    parser.add_argument("feeds", nargs="*", type=Path)
    args = parser.parse_args()
    dirs = [d for d in (args.shared / "feeds", GATHERED) if d.is_dir()]
    paths = args.feeds or [p for d in dirs for p in sorted(d.iterdir()) if p.suffix in SUFFIXES]
    totals: Counter[str] = Counter()
    for path in paths:
        print("\n".join(report(path, totals)))
    print(f"\nall {len(paths)} feeds: {totals['entries']} entries, {totals['articles']} articles, "
          f"{totals['drafts']} drafts, {totals['cut']} summaries cut; tags per draft: "
          f"X {totals['x_tags'] / max(totals['articles'], 1):.2f}, "
          f"Facebook {totals['fb_tags'] / max(totals['articles'], 1):.2f}")
    for key, n in sorted((k, v) for k, v in totals.items() if ":" in k):
        print(f"  {key}: {n}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
