"""bot.compose.xtext against twitter-text's official conformance vectors (tests/data/conformance/twitter-text)."""

from __future__ import annotations

from functools import cache
from typing import Any

import pytest
import yaml

from bot.compose.xtext import (
    MAX_WEIGHTED_LENGTH,
    URL_LENGTH,
    extract_hashtags,
    extract_urls,
    is_linkable_hashtag,
    is_valid_tweet,
    parse_tweet,
    weighted_length,
)
from tests.helpers import data_dir

_CONFORMANCE = data_dir() / "conformance" / "twitter-text"


def _fix_surrogates(value: Any) -> Any:
    """PyYAML leaves "\\ud83d\\ude00" escapes as two lone surrogates; join them into one code point."""
    if isinstance(value, str):
        return value.encode("utf-16", "surrogatepass").decode("utf-16")
    if isinstance(value, list):
        return [_fix_surrogates(v) for v in value]
    if isinstance(value, dict):
        return {k: _fix_surrogates(v) for k, v in value.items()}
    return value


@cache
def _load(name: str) -> dict[str, list[dict[str, Any]]]:
    with open(_CONFORMANCE / name, encoding="utf-8") as f:
        tests: dict[str, list[dict[str, Any]]] = _fix_surrogates(yaml.safe_load(f)["tests"])
    return tests


def _cases(name: str, section: str, xfail: dict[str, str] | None = None) -> list[Any]:
    cases = _load(name)[section]
    assert cases, f"{name}:{section} is empty"
    params = []
    for case in cases:
        marks = []
        if xfail and case["description"] in xfail:
            marks.append(pytest.mark.xfail(strict=True, reason=xfail[case["description"]]))
        params.append(pytest.param(case, id=case["description"][:80], marks=marks))
    return params


def _utf16_len(s: str) -> int:
    return len(s.encode("utf-16-le")) // 2


# --- validate.yml: weighted length (config v3) ---------------------------------------------------------

_WEIGHTED_SECTIONS = ("WeightedTweetsWithDiscountedEmojiCounterTest", "UnicodeDirectionalMarkerCounterTest")


@pytest.mark.parametrize(
    "case", [c for section in _WEIGHTED_SECTIONS for c in _cases("validate.yml", section)]
)
def test_weighted_length_conformance(case: dict[str, Any]) -> None:
    text, expected = case["text"], case["expected"]
    assert weighted_length(text) == expected["weightedLength"]
    assert is_valid_tweet(text) is expected["valid"]

    parsed = parse_tweet(text)
    assert parsed.weighted_length == expected["weightedLength"]
    assert parsed.valid is expected["valid"]
    assert parsed.permillage == expected["permillage"]
    assert expected["displayRangeStart"] == 0 and expected["validRangeStart"] == 0
    assert parsed.display_range_end == expected["displayRangeEnd"]
    assert parsed.valid_range_end == expected["validRangeEnd"]
    # The display range is the whole text in UTF-16 code units, independent of the parser.
    assert _utf16_len(text) - 1 == expected["displayRangeEnd"]


# --- extract.yml: hashtags -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "case", _cases("extract.yml", "hashtags") + _cases("extract.yml", "hashtags_from_astral")
)
def test_extract_hashtags_conformance(case: dict[str, Any]) -> None:
    assert extract_hashtags(case["text"]) == case["expected"]


@pytest.mark.parametrize("case", _cases("extract.yml", "hashtags_with_indices"))
def test_extract_hashtags_with_indices_values(case: dict[str, Any]) -> None:
    assert extract_hashtags(case["text"]) == [e["hashtag"] for e in case["expected"]]


def test_every_extracted_hashtag_is_linkable() -> None:
    for section in ("hashtags", "hashtags_from_astral", "hashtags_with_indices"):
        for case in _load("extract.yml")[section]:
            for tag in extract_hashtags(case["text"]):
                assert is_linkable_hashtag(tag), (section, case["description"], tag)


@pytest.mark.parametrize(
    ("tag", "linkable"),
    [
        ("FreeIran", True),
        ("IranProtests", True),
        ("آزادی", True),
        ("زن_زندگی_آزادی", True),
        ("می‌خواهم", True),  # ZWNJ inside a Persian word
        ("mañana", True),
        ("2024Elections", True),
        ("1", False),  # digits only
        ("2024", False),
        ("_", False),
        ("", False),
        ("Free Iran", False),  # space ends the hashtag
        ("Free-Iran", False),  # punctuation ends it
        ("Iran's", False),
        ("foo.com", False),
        ("#FreeIran", False),  # would be written "##FreeIran"
        ("Free#Iran", False),
        ("http://x.com", False),
        ("日本語。", False),
    ],
)
def test_is_linkable_hashtag(tag: str, linkable: bool) -> None:
    assert is_linkable_hashtag(tag) is linkable


# --- extract.yml: URLs -----------------------------------------------------------------------------------


@pytest.mark.parametrize("case", _cases("extract.yml", "urls"))
def test_extract_urls_conformance(case: dict[str, Any]) -> None:
    assert [url for url, _, _ in extract_urls(case["text"])] == case["expected"]


@pytest.mark.parametrize(
    "case",
    _cases("extract.yml", "urls_with_indices") + _cases("extract.yml", "urls_with_directional_markers"),
)
def test_extract_urls_with_indices_conformance(case: dict[str, Any]) -> None:
    # twitter-text's indices are UTF-16 code units; ours are code points. Convert ours for the comparison.
    text = case["text"]
    got = [
        {"url": url, "indices": [_utf16_len(text[:start]), _utf16_len(text[:end])]}
        for url, start, end in extract_urls(text)
    ]
    assert got == case["expected"]


@pytest.mark.parametrize("case", _cases("extract.yml", "tco_urls_with_params"))
def test_extract_tco_urls_with_params(case: dict[str, Any]) -> None:
    assert [url for url, _, _ in extract_urls(case["text"])] == case["expected"]


def test_url_indices_slice_the_text() -> None:
    text = "Read https://example.org/news/2024/a-long-slug?x=1 — و همچنین iran.example.com/x."
    urls = extract_urls(text)
    assert [u for u, _, _ in urls] == ["https://example.org/news/2024/a-long-slug?x=1", "iran.example.com/x"]
    for url, start, end in urls:
        assert text[start:end] == url


# --- a few cases specific to the bot's texts -------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", 0),
        ("abc", 3),
        ("سلام دنیا", 9),  # Persian/Arabic letters are in the cheap 0-4351 range
        ("日本語", 6),
        ("한국어", 6),
        ("“quoted” – dash…", 17),  # U+2026 (…) is outside the cheap punctuation ranges: 2
        ("©", 1),  # text-style symbol: an ordinary character
        ("©\ufe0f", 2),  # emoji-style: one emoji
        ("❤️", 2),
        ("❤", 2),
        ("😷\ufe0f", 4),  # twemoji counts a stray VS16 after an emoji-style emoji on its own
        ("🇮🇷", 2),
        ("🇮🇷🇫🇷", 4),
        ("🏳️‍🌈", 2),
        ("🧑🏽‍🤝‍🧑🏻", 2),
        ("🫨🫎", 4),  # Unicode 15 emoji
        ("#️⃣", 2),
        ("A\u0301", 1),  # NFC composes to one code point
        ("https://example.org/" + "x" * 200, URL_LENGTH),
        ("see example.com.", 4 + URL_LENGTH + 1),
    ],
)
def test_weighted_length_examples(text: str, expected: int) -> None:
    assert weighted_length(text) == expected


def test_is_valid_tweet_limits() -> None:
    assert not is_valid_tweet("")
    assert not is_valid_tweet(" \n\t ")
    assert is_valid_tweet("x" * MAX_WEIGHTED_LENGTH)
    assert not is_valid_tweet("x" * (MAX_WEIGHTED_LENGTH + 1))
    assert is_valid_tweet("語" * (MAX_WEIGHTED_LENGTH // 2))
    assert not is_valid_tweet("語" * (MAX_WEIGHTED_LENGTH // 2) + "x")
    assert not is_valid_tweet("ok\ufeff")
    assert is_valid_tweet("\u202bمتن\u202c")  # directional marks are allowed


def test_parse_tweet_valid_range_marks_the_overflow() -> None:
    parsed = parse_tweet("x" * 300)
    assert (parsed.weighted_length, parsed.valid, parsed.valid_range_end) == (300, False, 279)
    assert parsed.display_range_end == 299


def test_weighted_length_is_fast() -> None:
    # compose runs many length checks per article; a generous bound that still catches a runaway regex.
    import timeit

    text = ("خبر فوری: " + "Lorem ipsum dolor sit amet, consectetur adipiscing elit. " * 5)[:250]
    text += " https://example.org/2024/05/news-slug #FreeIran 🇮🇷"
    n = 200
    per_call = timeit.timeit(lambda: weighted_length(text), number=n) / n
    assert per_call < 1e-3, per_call
