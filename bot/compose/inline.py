"""Inline hashtag mode: turn the first natural occurrence of a tag's words into the tag.

"Protesters in Iran ..." + #Iran -> "Protesters in #Iran ...". Only whole words,
only where the result reads as before (space or opening punctuation before, space or
closing punctuation after); a tag with no such occurrence stays for the end of the post.
"""

from __future__ import annotations

import functools

import regex  # type: ignore[import-untyped]

from bot.compose.hashtags import Tag
from bot.compose.stopwords import is_stopword

__all__ = ["place_inline"]

# X links "#tag" only after a space or punctuation that is not '&' or a word character,
# and only when no '#', '@' or "://" follows; these sets keep well inside that rule.
_BEFORE = r"(?<=^|[\s(\[“\"‘'«¿¡—–])"
_AFTER = r"(?=$|[\s.,;:!?)\]”\"’'»…—–])"


@functools.lru_cache(maxsize=1024)
def _pattern(words: tuple[str, ...]) -> regex.Pattern[str]:
    body = r"[\s\-]+".join(regex.escape(w) for w in words)
    return regex.compile(_BEFORE + "(" + body + ")" + _AFTER, regex.IGNORECASE | regex.VERSION1)


def place_inline(title: str, summary: str, tags: list[Tag]) -> tuple[str, str, list[Tag]]:
    """Title and summary with tags placed; the tags that found no place, in order."""
    leftover: list[Tag] = []
    for tag in tags:
        pattern = _pattern(tag.words)
        placed = False
        for which in ("title", "summary"):
            source = title if which == "title" else summary
            m = next((m for m in pattern.finditer(source) if _reads_naturally(source, m.start(), m.end())), None)
            if m is None:
                continue
            new = source[: m.start()] + tag.text + source[m.end() :]
            if which == "title":
                title = new
            else:
                summary = new
            placed = True
            break
        if not placed:
            leftover.append(tag)
    return title, summary, leftover


_PREV_WORD = regex.compile(r"(\p{L}[\p{L}\p{M}'’\-]*) +$")
_NEXT_WORD = regex.compile(r"^ +(\p{L})")


def _reads_naturally(text: str, start: int, end: int) -> bool:
    """Not inside a URL or another tag, and not a piece of a longer name: "Free #Iran
    World Summit" breaks the name apart; "protests in #Iran" does not."""
    if _inside_hashtag_or_url(text, start):
        return False
    prev = _PREV_WORD.search(text[max(0, start - 40) : start])
    nxt = _NEXT_WORD.match(text[end : end + 3])
    prev_is_name = prev is not None and prev.group(1)[:1].isupper() and not is_stopword(prev.group(1))
    return not (prev_is_name or (nxt and nxt.group(1).isupper()))


def _inside_hashtag_or_url(text: str, at: int) -> bool:
    start = text.rfind(" ", 0, at) + 1
    token = text[start : at + 1]
    return "#" in token or "@" in token or "://" in text[start : text.find(" ", at) % (len(text) + 1)]
