"""Mastodon's text rules: how the server counts a status, and which hashtags it links.

The count is an upper bound of the server's, never below it: Mastodon counts grapheme clusters (by its Ruby's
Unicode version, which we cannot know), we count code points, which are never fewer. Every http(s) URL counts
the instance's `characters_reserved_per_url`; a URL without its scheme is no link on Mastodon and counts as
typed. URLs are found by the server's own regex.
"""

from __future__ import annotations

import functools
from typing import Any

import regex  # type: ignore[import-untyped]

# Tag::Naming (app/models/concerns/tag/naming.rb): Ruby's [[:word:]] is Alphabetic, marks, digits and
# connector punctuation, [[:alpha:]] is Alphabetic; "_", "·", "・" and ZWNJ (Persian) may join words.
_W = r"\p{Alphabetic}\p{M}\p{Nd}\p{Pc}"
_SEP = "_\u00b7\u30fb\u200c"
_NAME = regex.compile(
    rf"(?:[{_W}_][{_W}{_SEP}]*[\p{{Alphabetic}}{_SEP}][{_W}{_SEP}]*[{_W}_])|(?:[{_W}_]*\p{{Alphabetic}}[{_W}_]*)",
    regex.VERSION1)


def count(text: str, reserved_per_url: int = 23) -> int:
    total = len(text)
    for match in _url_regex().finditer(text):
        # The match opens with the character before the URL (group 2), which Mastodon keeps as typed.
        total += reserved_per_url - (match.end() - match.start() - len(match.group(2) or ""))
    return total


@functools.lru_cache(maxsize=1)
def _url_regex() -> Any:
    """Mastodon's own URL regex (app/lib/.../url_regex, as Mastodon.py 2.3.3, pinned, ports it): which text
    the server counts as a URL. twitter-text's differs on a URL glued to other letters ("سلامhttp://a.io")."""
    from mastodon._url_regex import url_regex

    return url_regex


def hashtag_ok(name: str) -> bool:
    """Whether Mastodon links "#name" as one whole hashtag."""
    return bool(_NAME.fullmatch(name.lstrip("#＃")))
