"""Keep article text and links from mentioning accounts, by each network's own rule.

The bot sends no automated mentions, but a headline such as "Thanks to @cityhall" notifies that account on
X, and networks disagree on what a mention is, so each network gets a guard that follows its own parser:

- X (twitter-text's `validMentionOrList`): an at-sign (`@` or `＠`) followed by an ASCII handle character,
  unless an ASCII letter, digit, `_`, `!#$%&*` or another at-sign stands before it. A non-ASCII letter before
  it does not protect it (`日本の@cityhall`, `Café@press` are mentions), and `RT@user` / `RT:@user` is one
  even though a letter stands before it. Mentions inside a URL X links are not mentions.
- Mastodon (`Account::MENTION_RE`, found in the whole text, links included): `@` followed by a username
  character unless a word character (any script), `=` or `/` stands before it; so `!@u`, `#@u`, `&@u`,
  `＠@u`, `²@u` notify, and so does `…/story#@user@host` inside a link.
- Telegram (tdlib's `match_mentions`): `@` not after a letter, number or `_`, then 2-32 handle characters;
  mentions inside a URL are dropped.
- Facebook: plain `@name` is text; a Page is tagged by `@[id]` in the message.
- Bluesky has none here: a mention is a facet, and the bot never sends one (bot.platforms.bluesky).

A guard errs towards defusing: an at-sign any of these rules might read as a mention is defused even where
that network's extra exemptions (a following `@` or accent on X, a too-short Telegram handle) would spare it,
since a defused at-sign costs nothing and a missed one notifies a stranger. Outside links, a zero-width space
after the at-sign keeps the text as typed to the eye while no parser sees a handle. Inside a link the at-sign
is percent-encoded (`%40`), which servers read as the same character, so the link still leads where it did.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import regex  # type: ignore[import-untyped]

__all__ = ["RULES", "ZWSP", "defuse_link", "defuse_mentions", "guard"]

ZWSP = "\u200b"
_ENCODED = {"@": "%40", "＠": "%EF%BC%A0"}


@dataclass(frozen=True)
class MentionRule:
    # Matches the at-sign (group "at") that would begin a mention at that position of the whole text.
    at: str
    # The network drops a mention that lies inside a URL it links (X, Telegram): an at-sign inside a link whose
    # part before it is plainly URL characters stays as it is (medium.com/@name keeps its look there).
    urls_exempt: bool


# The networks' handles are ASCII, but a case-insensitive parser matches "[a-z]" to look-alikes too (the Kelvin
# sign K, the long s ſ, as Mastodon's /i regex does): any word character after the at-sign is treated as a handle.
_HANDLE = r"[\p{L}\p{M}\p{N}_]"
RULES: dict[str, MentionRule] = {
    "twitter": MentionRule(
        # Protected only by an ASCII word character that is not the end of a standalone "RT", or by !#$%&*@＠.
        at=r"(?:(?<![A-Za-z0-9_!#$%&*@＠])|(?<=(?:^|[^A-Za-z0-9_+~.\-])[Rr][Tt]:?))(?P<at>[@＠])(?=" + _HANDLE + ")",
        urls_exempt=True,
    ),
    # Ruby's [[:word:]]: letters, marks, decimal digits, connector punctuation. Only the ASCII at-sign counts.
    "mastodon": MentionRule(at=r"(?<![=/\p{L}\p{M}\p{Nd}\p{Pc}])(?P<at>@)(?=" + _HANDLE + ")", urls_exempt=False),
    # tdlib's is_word_character: letters, numbers of any kind (² too), "_". One handle character is enough here.
    "telegram": MentionRule(at=r"(?<![\p{L}\p{N}_])(?P<at>@)(?=" + _HANDLE + ")", urls_exempt=True),
    "facebook": MentionRule(at=r"(?P<at>@)(?=\[\s*\d)", urls_exempt=False),
}

# Characters twitter-text and tdlib certainly keep inside a link's path: an at-sign after only these is inside
# the URL the network links, so it is no mention there.
_PLAIN_URL = regex.compile(r"https?://[A-Za-z0-9.\-]+(?::\d+)?/[A-Za-z0-9/._~\-%]*", regex.IGNORECASE)


@cache
def _pattern(network: str) -> regex.Pattern[str]:
    return regex.compile(RULES[network].at)


def _after_space(text: str, start: int) -> bool:
    """A link that starts the text or follows a space: one the network certainly links from its first letter
    (after a quote mark or a letter, twitter-text may start it elsewhere or not at all)."""
    return start == 0 or text[start - 1].isspace()


def _plainly_in_url(url_head: str) -> bool:
    return bool(_PLAIN_URL.fullmatch(url_head))


def defuse_mentions(text: str, network: str = "twitter") -> str:
    """`text` with every at-sign `network` would read as a mention defused: links keep leading where they did."""
    if "@" not in text and "＠" not in text:
        return text
    from bot.compose import xtext

    rule = RULES[network]
    spans = [(start, end) for _url, start, end in xtext.extract_urls(text)]
    out: list[str] = []
    last = 0
    for m in _pattern(network).finditer(text):
        pos = m.start("at")
        span = next(((s, e) for s, e in spans if s <= pos < e), None)
        if span is None:
            out.append(text[last:pos + 1] + ZWSP)
        elif rule.urls_exempt and _after_space(text, span[0]) and _plainly_in_url(text[span[0]:pos]):
            continue
        else:
            out.append(text[last:pos] + _ENCODED[m.group("at")])
        last = pos + 1
    out.append(text[last:])
    return "".join(out)


def defuse_link(url: str, network: str) -> str:
    """A link the post carries, whole: every at-sign `network` would read as a mention percent-encoded.

    The whole string is a link here, whether or not X's URL rules would recognise it as one."""
    if "@" not in url and "＠" not in url:
        return url
    rule = RULES[network]
    out: list[str] = []
    last = 0
    for m in _pattern(network).finditer(url):
        pos = m.start("at")
        if rule.urls_exempt and _plainly_in_url(url[:pos]):
            continue
        out.append(url[last:pos] + _ENCODED[m.group("at")])
        last = pos + 1
    out.append(url[last:])
    return "".join(out)


def guard(network: str | None) -> tuple[Callable[[str], str], Callable[[str], str]]:
    """(text guard, link guard) for a network's mention rule (NetworkRules.mentions); None: no mentions."""
    if network is None:
        return _unchanged, _unchanged
    if network not in RULES:
        raise ValueError(f"no mention rule {network!r}; known: {', '.join(sorted(RULES))}")
    return (lambda text: defuse_mentions(text, network)), (lambda url: defuse_link(url, network))


def _unchanged(text: str) -> str:
    return text
