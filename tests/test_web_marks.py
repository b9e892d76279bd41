"""Issue 22 item 1: each network's preview marks what that network itself links (bot.networks.marks, named by
each descriptor), not one pattern for all. X against twitter-text's conformance vectors (extract.yml, with
indices); Mastodon by its server's regexes; Bluesky exactly the facets the bot sends; the others by their rules."""

from __future__ import annotations

from typing import Any

import pytest

from bot import networks
from bot.networks import marks
from bot.web.preview import pieces
from tests.test_xtext import _cases, _load


def _spans(found: list[marks.Mark], kind: str) -> list[list[int]]:
    return [[m.start, m.end] for m in found if m.kind == kind]


# --- X: twitter-text's own vectors, places included -------------------------------------------------------


@pytest.mark.parametrize("case", _cases("extract.yml", "urls_with_indices"))
def test_x_marks_links_where_twitter_text_does(case: dict[str, Any]) -> None:
    assert _spans(marks.x_urls(case["text"]), "link") == [e["indices"] for e in case["expected"]]


@pytest.mark.parametrize("case", _cases("extract.yml", "hashtags_with_indices"))
def test_x_marks_hashtags_where_twitter_text_does(case: dict[str, Any]) -> None:
    assert _spans(marks.x_hashtags(case["text"]), "tag") == [e["indices"] for e in case["expected"]]


@pytest.mark.parametrize("case", _cases("extract.yml", "mentions_or_lists_with_indices")
                         + _cases("extract.yml", "mentions_with_indices"))
def test_x_marks_mentions_and_lists_where_twitter_text_does(case: dict[str, Any]) -> None:
    assert _spans(marks.x_mentions(case["text"]), "mention") == [e["indices"] for e in case["expected"]]


@pytest.mark.parametrize("case", _cases("extract.yml", "cashtags_with_indices"))
def test_x_marks_cashtags_where_twitter_text_does(case: dict[str, Any]) -> None:
    assert _spans(marks.x_cashtags(case["text"]), "tag") == [e["indices"] for e in case["expected"]]


def test_x_marks_no_mention_twitter_text_refuses() -> None:
    refused = [c for c in _load("extract.yml")["mentions"] if not c["expected"]]
    assert len(refused) > 5
    for case in refused:
        assert marks.x_mentions(case["text"]) == [], case["description"]


def test_x_preview_links_an_address_without_its_scheme_and_says_it_weighs_23() -> None:
    text = "Budget passed: council.gov.uk/vote #Budget"
    shown = [(p.kind, p.text, p.href, p.weight) for p in pieces("twitter", text, None, (), 23) if p.kind != "text"]
    assert shown == [("link", "council.gov.uk/vote", "https://council.gov.uk/vote", 23), ("tag", "#Budget", "", None)]
    assert "".join(p.text for p in pieces("twitter", text, None, (), 23)) == text, "the text itself is untouched"


# --- Mastodon: the server's regexes -------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), [
    ("Budget passed: council.gov.uk/vote", []),  # no scheme: text on Mastodon
    ("see https://council.gov.uk/vote.", [("link", "https://council.gov.uk/vote")]),
    ("#Budget and a#b and x/#c and (#d) and #١٢٣", [("tag", "#Budget"), ("tag", "#d")]),
    ("سلام #بودجه‌ی_شهر", [("tag", "#بودجه‌ی_شهر")]),  # Tag::Naming: ZWNJ joins words
    ("ask @editor@news.example.org or mail a@b.org", [("mention", "@editor@news.example.org")]),
    ("https://news.example.org/#frag @x", [("link", "https://news.example.org/#frag"), ("mention", "@x")]),
])
def test_mastodon_marks_what_its_server_links(text: str, expected: list[tuple[str, str]]) -> None:
    assert [(m.kind, text[m.start:m.end]) for m in marks.mastodon(text, None, ())] == expected


# --- Bluesky: the facets the bot sends, and nothing else ----------------------------------------------------


def test_bluesky_marks_exactly_the_facets_the_bot_sends() -> None:
    from atproto_client import models

    from bot.networks.bluesky import short_link
    from bot.platforms.bluesky import facets

    link = "https://news.example.org/2026/12/the-long-budget-story"
    text = f"Budget vote 🗳️ in سلام #Budget #2024 @cityhall example.com {short_link(link)}"
    found = marks.bluesky(text, link, ("Budget",))
    assert [(m.kind, text[m.start:m.end], m.href) for m in found] == [
        ("tag", "#Budget", ""), ("link", short_link(link), link)]
    sent = facets(text, link)
    assert [(f.index.byte_start, f.index.byte_end) for f in sent] == [
        (len(text[:m.start].encode()), len(text[:m.end].encode())) for m in found]
    assert [isinstance(f.features[0], models.AppBskyRichtextFacet.Link) for f in sent] == [False, True]


# --- the others -------------------------------------------------------------------------------------------------


def test_linkedin_marks_only_the_draft_s_own_hashtags_and_no_mention() -> None:
    text = "Budget #Budget #Other @cityhall https://news.example.org/a"
    found = marks.without_overlaps(networks.get("linkedin").marks(text, None, ("Budget",)))  # type: ignore[misc]
    assert [(m.kind, text[m.start:m.end]) for m in found] == [("tag", "#Budget"), ("link", "https://news.example.org/a")]


def test_threads_marks_one_topic_tag_and_telegram_its_own_hashtags() -> None:
    text = "Roads #Traffic #Budget @city.hall #2024"
    threads = networks.get("threads").marks(text, None, ())  # type: ignore[misc]
    assert [(m.kind, text[m.start:m.end]) for m in threads] == [("tag", "#Traffic"), ("mention", "@city.hall")]
    telegram = networks.get("telegram").marks(text, None, ())  # type: ignore[misc]
    # tdlib: a hashtag needs a letter; "@city" is a mention (a "." ends a handle there).
    assert [(m.kind, text[m.start:m.end]) for m in telegram] == [
        ("tag", "#Traffic"), ("tag", "#Budget"), ("mention", "@city")]
    facebook = networks.get("facebook").marks(text, None, ())  # type: ignore[misc]
    assert [(m.kind, text[m.start:m.end]) for m in facebook] == [("tag", "#Traffic"), ("tag", "#Budget")]


def test_every_built_in_network_says_what_it_marks() -> None:
    assert [n.name for n in networks.networks() if n.marks is None] == []
