"""No input hangs or crashes the bot. Each test is one hostile input and what must happen to it.

Speed is measured in bench/compose_bench.py; here a generous per-test timeout is the hang guard,
and the assertions are on what comes out.
"""

from __future__ import annotations

import pytest

from bot.compose import ComposeSpec, compose, rules_for
from bot.compose.text import cut_to_fit
from bot.feeds.parse import parse_feed
from bot.models import Article, Image

MB = 1_000_000
WORDS = "Council approves the library budget after a long debate. "


def _words(n: int) -> str:
    return (WORDS * (n // len(WORDS) + 1))[:n]


def _valid(platform: str, text: str) -> None:
    rules = rules_for(platform)
    assert text.strip(), "an empty post"
    assert rules.count(text) <= rules.max_length, (platform, rules.count(text))


# --- composing -----------------------------------------------------------------------------------


@pytest.mark.timeout(60)
@pytest.mark.parametrize("platform", ["twitter", "facebook"])
def test_a_1mb_title_composes_a_valid_post(platform: str) -> None:
    article = Article(key="k", feed_url="f", url="https://example.org/a", title=_words(MB),
                      text="The council met on Monday. " * 20)
    draft = compose(article, ComposeSpec(platform=platform))
    _valid(platform, draft.text)
    assert draft.text.startswith("Council approves the library budget")
    assert len(draft.text) < 5_000


@pytest.mark.timeout(60)
def test_cutting_a_1mb_text_to_fit_is_linear() -> None:
    text = _words(MB)
    cut = cut_to_fit(text, lambda s: len(s) <= 1_000)
    assert 900 < len(cut) <= 1_000 and cut.endswith("…") and text.startswith(cut[:-1])


@pytest.mark.timeout(60)
def test_a_10mb_description_in_a_feed_composes_a_valid_post() -> None:
    body = "<p>" + _words(10 * MB).replace(". ", ".</p><p>", 50) + "</p>"
    feed = ('<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>T</title>'
            "<item><title>Budget approved</title><link>https://example.org/a</link>"
            f"<guid>https://example.org/a</guid><description><![CDATA[{body}]]></description></item>"
            "</channel></rss>").encode()
    (entry,) = parse_feed(feed, "https://example.org/feed").entries
    article = entry.article()
    assert article.summary.startswith("Council approves")
    for platform in ("twitter", "facebook"):
        draft = compose(article, ComposeSpec(platform=platform))
        _valid(platform, draft.text)
    assert "Council approves the library budget" in draft.text, "Facebook's summary comes from the description"


@pytest.mark.timeout(60)
def test_every_other_field_huge_still_composes() -> None:
    article = Article(
        key="k", feed_url="f", url="https://example.org/a", title="Budget approved",
        text=_words(10 * MB), summary=_words(10 * MB), author=_words(MB), site=_words(MB),
        categories=tuple(f"Topic {n} " + "x" * 1_000 for n in range(100_000)), language="en-" + "x" * MB,
        image=Image(url="https://example.org/a.jpg", alt=_words(MB)),
    )
    for platform in ("twitter", "facebook"):
        spec = ComposeSpec(platform=platform, template="{title} {author} {site}\n\n{summary}\n\n{hashtags}")
        draft = compose(article, spec)
        _valid(platform, draft.text)
        assert draft.image is not None and draft.image.alt is not None and len(draft.image.alt) <= 1_000


@pytest.mark.timeout(60)
def test_huge_feed_fields_are_bounded_when_read() -> None:
    title = _words(MB)
    cats = "".join(f"<category>Topic {n}</category>" for n in range(20_000))
    feed = ('<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>T</title>'
            f"<item><title>{title}</title><link>https://example.org/a</link>{cats}"
            f"<author>{_words(MB)}</author><description>Short.</description></item>"
            "</channel></rss>").encode()
    (entry,) = parse_feed(feed, "https://example.org/feed").entries
    assert entry.title.startswith("Council approves") and len(entry.title) <= 2_000
    assert 0 < len(entry.categories) <= 500
    assert entry.author is not None and len(entry.author) <= 300
