"""Mastodon's text rules: how the server counts a status, and which hashtags it links.

The count is an upper bound of the server's, never below it: Mastodon counts grapheme clusters (by its Ruby's
Unicode version, which we cannot know), we count code points, which are never fewer. Every http(s) URL counts
the instance's `characters_reserved_per_url`; a URL without its scheme is no link on Mastodon and counts as
typed.
"""

from __future__ import annotations

import regex  # type: ignore[import-untyped]

# Tag::Naming (app/models/concerns/tag/naming.rb): Ruby's [[:word:]] is Alphabetic, marks, digits and
# connector punctuation, [[:alpha:]] is Alphabetic; "_", "·", "・" and ZWNJ (Persian) may join words.
_W = r"\p{Alphabetic}\p{M}\p{Nd}\p{Pc}"
_SEP = "_\u00b7\u30fb\u200c"
_NAME = regex.compile(
    rf"(?:[{_W}_][{_W}{_SEP}]*[\p{{Alphabetic}}{_SEP}][{_W}{_SEP}]*[{_W}_])|(?:[{_W}_]*\p{{Alphabetic}}[{_W}_]*)",
    regex.VERSION1)


def count(text: str, reserved_per_url: int = 23) -> int:
    from bot.compose import xtext

    total = len(text)
    for url, start, end in xtext.extract_urls(text):
        if url[:8].lower() == "https://" or url[:7].lower() == "http://":
            total += reserved_per_url - (end - start)
    return total


def hashtag_ok(name: str) -> bool:
    """Whether Mastodon links "#name" as one whole hashtag."""
    return bool(_NAME.fullmatch(name.lstrip("#＃")))
