"""What a network itself turns into a link, a hashtag or a mention in a post's text: the marks the editors'
page draws (bot.web.preview), per network, as the network's own parser finds them.

Each network's descriptor names its function (`Network.marks`); the rules are its own:
- X: twitter-text (URLs with or without a scheme, each counting 23 as t.co; hashtags, cashtags, mentions
  and lists), by the code that counts the post (bot.compose.xtext);
- Mastodon: the server's own regexes (its URL regex as Mastodon.py ports it, Tag::HASHTAG_RE,
  Account::MENTION_RE) with twitter-text's removal of overlapping entities, as its TextFormatter does;
- Bluesky: exactly the facets the bot sends (bot.platforms.bluesky.facets): nothing else is a link there;
- the others in their modules (Facebook, Telegram, Threads, LinkedIn), each saying what it is based on.

A mark is (start, end) in code points of the text, its kind and, for a link, where it leads.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Literal

import regex  # type: ignore[import-untyped]

MarkKind = Literal["link", "tag", "mention"]


@dataclass(frozen=True)
class Mark:
    start: int
    end: int
    kind: MarkKind
    href: str = ""


def without_overlaps(marks: Iterable[Mark]) -> list[Mark]:
    """twitter-text's remove_overlapping_entities (Mastodon's formatter uses it too): by start, an entity that
    begins inside the one kept before it is dropped."""
    kept: list[Mark] = []
    for mark in sorted(marks, key=lambda m: m.start):
        if kept and mark.start < kept[-1].end:
            continue
        kept.append(mark)
    return kept


def web_href(url: str) -> str:
    """Where a link written without its scheme ("example.com/a") leads: X, Telegram and Facebook open it
    over https."""
    return url if "://" in url else f"https://{url}"


# --- X (twitter-text) ---------------------------------------------------------------------------------

# Regex.validCashtag: "$" and 1-6 letters (a "." or "_" and 1-2 more), after a space or at the start.
_CASHTAG = regex.compile(r"(?:^|(?<=\s))(\$[a-z]{1,6}(?:[._][a-z]{1,2})?)"
                         r"(?=$|\s|[!\"#$%&'()*+,./:;<=>?@\[\]^_`{|}~\\-])", regex.IGNORECASE)
# After the at-sign (where bot.compose.mentions' rule for X finds one): a screen name of 1-20, or a list.
_SCREEN_NAME = regex.compile(r"([A-Za-z0-9_]{1,20})(/[A-Za-z][A-Za-z0-9_\-]{0,24})?")
# Regex.endMentionMatch: what may not follow a mention ("@user@", "@useré", "@user://").
_END_MENTION = regex.compile(r"[@＠\p{Latin}]|://")


@cache
def _x_at() -> regex.Pattern[str]:
    from bot.compose.mentions import RULES

    return regex.compile(RULES["twitter"].at)


def x_urls(text: str) -> list[Mark]:
    from bot.compose.xtext import extract_urls

    return [Mark(start, end, "link", web_href(url)) for url, start, end in extract_urls(text)]


def x_hashtags(text: str) -> list[Mark]:
    """Hashtags as X links them, with their places: the tags bot.compose.xtext.extract_hashtags finds (the same
    words, in order, so one rule decides), each found in turn where it stands whole outside a link."""
    from bot.compose.xtext import extract_hashtags

    out, pos = [], 0
    urls = x_urls(text)
    for tag in extract_hashtags(text):
        whole = regex.compile(r"(?<![&\p{L}\p{M}\p{Nd}_\u200c\u200d])[#＃]" + regex.escape(tag)
                              + r"(?![\p{L}\p{M}\p{Nd}_\u200c\u200d#＃]|://)")
        for found in whole.finditer(text, pos):
            if not any(u.start <= found.start() < u.end for u in urls):
                out.append(Mark(found.start(), found.end(), "tag"))
                pos = found.end()
                break
    return out


def x_mentions(text: str) -> list[Mark]:
    """twitter-text's mentions and lists (extractMentionsOrListsWithIndices)."""
    out = []
    for at in _x_at().finditer(text):
        name = _SCREEN_NAME.match(text, at.end("at"))
        if name is None or _END_MENTION.match(text, name.end()):
            continue
        out.append(Mark(at.start("at"), name.end(), "mention", f"https://x.com/{name.group(1)}"))
    return out


def x_cashtags(text: str) -> list[Mark]:
    return [Mark(m.start(1), m.end(1), "tag") for m in _CASHTAG.finditer(text)]


def twitter(text: str, link: str | None, hashtags: Sequence[str]) -> list[Mark]:
    return without_overlaps([*x_urls(text), *x_hashtags(text), *x_mentions(text), *x_cashtags(text)])


# --- Mastodon -------------------------------------------------------------------------------------------

# Account::MENTION_RE: not after a word character (any script), "=" or "/"; a username, and maybe its domain.
_M_MENTION = regex.compile(r"(?<![=/\p{L}\p{M}\p{Nd}\p{Pc}])@([a-z0-9_]+(?:[.-]+[a-z0-9_]+)*)"
                           r"(?:@[\p{L}\p{M}\p{Nd}\p{Pc}]+(?:[.-]+[\p{L}\p{M}\p{Nd}\p{Pc}]+)*)?", regex.IGNORECASE)


@cache
def _m_hashtag() -> regex.Pattern[str]:
    # Tag::HASHTAG_RE = (?:^|[^/)\w])#(HASHTAG_NAME_PAT), Ruby's \w being ASCII; the name is Tag::Naming's, as
    # bot.compose.mastodon checks a tag with.
    from bot.compose.mastodon import _NAME

    return regex.compile(r"(?:^|(?<=[^/)A-Za-z0-9_]))#(?:" + _NAME.pattern + ")", regex.VERSION1 | regex.IGNORECASE)


def mastodon(text: str, link: str | None, hashtags: Sequence[str]) -> list[Mark]:
    from bot.compose.mastodon import _url_regex

    found = [Mark(m.start(3), m.end(3), "link", m.group(3)) for m in _url_regex().finditer(text)]
    found += [Mark(m.start(), m.end(), "tag") for m in _m_hashtag().finditer(text)]
    found += [Mark(m.start(), m.end(), "mention") for m in _M_MENTION.finditer(text)]
    return without_overlaps(found)


# --- Telegram (tdlib's entity parser, which the Bot API and the apps use) -----------------------------------

# match_hashtags: '(?<=^|[^\d_\pL\x{200c}])#([\d_\pL\x{200c}]{1,256})(?![\d_\pL\x{200c}]*#)', at least one letter.
_T_HASHTAG = regex.compile(r"(?<![\p{Nd}_\p{L}\u200c])#(?=[\p{Nd}_\u200c]*\p{L})[\p{Nd}_\p{L}\u200c]{1,256}"
                           r"(?![\p{Nd}_\p{L}\u200c]*#)")
# match_mentions: "@" not after a letter, number or "_", then 2-32 handle characters.
_T_MENTION = regex.compile(r"(?<![\p{L}\p{N}_])@([A-Za-z0-9_]{2,32})(?![A-Za-z0-9_])")


def telegram_tags_and_mentions(text: str) -> list[Mark]:
    return ([Mark(m.start(), m.end(), "tag") for m in _T_HASHTAG.finditer(text)]
            + [Mark(m.start(), m.end(), "mention", f"https://t.me/{m.group(1)}") for m in _T_MENTION.finditer(text)])


# --- Bluesky ----------------------------------------------------------------------------------------------


def bluesky(text: str, link: str | None, hashtags: Sequence[str]) -> list[Mark]:
    """The facets the bot sends with this text, their UTF-8 byte offsets turned into the text's places."""
    from atproto_client import models

    from bot.platforms.bluesky import facets

    starts = [0]
    for char in text:
        starts.append(starts[-1] + len(char.encode("utf-8")))
    place = {byte: i for i, byte in enumerate(starts)}
    out = []
    for facet in facets(text, link):
        start, end = place.get(facet.index.byte_start), place.get(facet.index.byte_end)
        if start is None or end is None:
            continue  # not on a character's edge: Bluesky would not draw it either
        feature = facet.features[0]
        if isinstance(feature, models.AppBskyRichtextFacet.Link):
            out.append(Mark(start, end, "link", feature.uri))
        elif isinstance(feature, models.AppBskyRichtextFacet.Tag):
            out.append(Mark(start, end, "tag"))
    return out
