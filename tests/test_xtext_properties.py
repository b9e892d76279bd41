"""Property tests for bot.compose.xtext (hypothesis)."""

from __future__ import annotations

import re
import unicodedata

import regex
from hypothesis import given
from hypothesis import strategies as st

from bot.compose.xtext import (
    _EMOJI_HINT,
    MAX_WEIGHTED_LENGTH,
    URL_LENGTH,
    _entities,
    _parse_stepwise,
    extract_hashtags,
    extract_urls,
    is_linkable_hashtag,
    is_valid_tweet,
    parse_tweet,
    weighted_length,
)

# Text that exercises the interesting paths: ASCII with URL punctuation, Persian (with ZWNJ), CJK,
# combining marks, emoji pieces (ZWJ, VS16, skin tones, regional indicators, keycaps) and anything else.
_PIECES = [
    *"ab.:/-_#@ 1",
    "com", "ir", "co", "http://", "https://", "www.",
    *"سلامآزادی\u200c", *"日本語", *"e\u0301\u0308",
    "😷", "👨", "\u200d", "\ufe0f", "\ufe0e", "🏽", "🇮", "🇷", "\u20e3", "❤", "©", "🏴",
]
texts = st.lists(st.sampled_from(_PIECES) | st.characters(), max_size=40).map("".join)
# Words with no space inside (a space-separated piece can't merge with its neighbours).
words = texts.map(lambda t: re.sub(r"\s", "", t))

_SPACE_FREE = st.text(alphabet=st.characters(blacklist_categories=("Z", "Cc", "Cs")), max_size=30)


@given(texts, texts)
def test_pieces_separated_by_a_space_add_up(a: str, b: str) -> None:
    # Appending arbitrary text can shorten a count ("xxxxxxxx.c" + "om" becomes one 23-character URL), but
    # text after a space never merges with what precedes it: lengths add up, so growth is monotone.
    total = weighted_length(a + " " + b)
    assert total == weighted_length(a) + 1 + weighted_length(b)
    assert total >= weighted_length(a)


@given(texts)
def test_nfc_equivalent_strings_count_the_same(text: str) -> None:
    expected = weighted_length(text)
    for form in ("NFC", "NFD"):
        assert weighted_length(unicodedata.normalize(form, text)) == expected


_LABEL = st.from_regex(r"[a-z0-9](?:[a-z0-9\-]{0,18}[a-z0-9])?", fullmatch=True)
_TLD = st.sampled_from(["com", "org", "net", "ir", "io", "news", "co.uk", "de", "fr"])
_PATH = st.from_regex(r"(?:/[A-Za-z0-9_\-]{1,20}){0,4}/?", fullmatch=True)


@given(st.lists(_LABEL, min_size=1, max_size=3), _TLD, _PATH, st.booleans(), words, words)
def test_a_url_always_counts_23(
    labels: list[str], tld: str, path: str, with_protocol: bool, before: str, after: str
) -> None:
    url = ("https://" if with_protocol else "") + ".".join(labels) + "." + tld + path
    text = f"{before} {url} {after}"
    assert any(found == url for found, _, _ in extract_urls(text))
    assert weighted_length(text) == weighted_length(before) + 1 + URL_LENGTH + 1 + weighted_length(after)


@given(texts)
def test_parse_tweet_agrees_with_weighted_length_and_is_valid_tweet(text: str) -> None:
    parsed = parse_tweet(text)
    assert parsed.weighted_length == weighted_length(text)
    assert parsed.permillage == parsed.weighted_length * 1000 // MAX_WEIGHTED_LENGTH
    assert parsed.valid is is_valid_tweet(text)


@given(st.lists(texts, max_size=12).map(" ".join))
def test_parse_tweet_shortcut_matches_the_full_walk(text: str) -> None:
    # parse_tweet skips the character walk when everything fits; the walk must agree with it.
    norm = unicodedata.normalize("NFC", text)
    assert parse_tweet(text) == _parse_stepwise(text, norm, _entities(norm))


@given(st.integers(min_value=0, max_value=400), st.sampled_from(["x", "語", "😷", "🇮🇷", "\u200d"]))
def test_is_valid_tweet_at_the_limit(n: int, unit: str) -> None:
    text = unit * n
    assert is_valid_tweet(text) is (n > 0 and weighted_length(text) <= MAX_WEIGHTED_LENGTH)


@given(texts)
def test_url_indices_slice_the_text(text: str) -> None:
    last_end = 0
    for url, start, end in extract_urls(text):
        assert text[start:end] == url
        assert start >= last_end
        last_end = end


@given(texts)
def test_extracted_hashtags_are_linkable(text: str) -> None:
    for tag in extract_hashtags(text):
        assert is_linkable_hashtag(tag), tag


@given(_SPACE_FREE)
def test_linkable_hashtags_round_trip(tag: str) -> None:
    if is_linkable_hashtag(tag):
        assert extract_hashtags(f"Read this #{tag} now") == [tag]


def test_emoji_hint_covers_every_emoji_code_point() -> None:
    # weighted_length skips the emoji regex when no hint character is present: the hint must cover every
    # pictograph, emoji, regional indicator and the keycap mark (other components never stand alone).
    everything = "".join(chr(c) for c in range(0x80, 0x110000) if not 0xD800 <= c <= 0xDFFF)
    emoji = regex.findall(r"[\p{Emoji}\p{Extended_Pictographic}\p{Regional_Indicator}\u20e3]", everything)
    assert len(emoji) > 1000
    assert [hex(ord(c)) for c in emoji if not _EMOJI_HINT.match(c)] == []
