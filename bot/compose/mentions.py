"""Keep article text from mentioning accounts.

The bot sends no automated mentions, but a headline such as "Thanks to @cityhall" would
notify that account on X. A zero-width space after the at-sign keeps the text as typed to
the eye while no network's mention parser sees a handle; URLs (medium.com/@name) are left alone, unless
Mastodon would read a mention in them.
"""

from __future__ import annotations

import regex  # type: ignore[import-untyped]

# twitter-text's rule: an at-sign (ASCII or fullwidth) not preceded by a word character or
# another at-sign, followed by a handle character.
_MENTION = regex.compile(r"(?<![\p{L}\p{N}_!#$%&*@＠])([@＠])(?=[A-Za-z0-9_])")
ZWSP = "\u200b"
# Mastodon finds mentions in the whole text, links included: only "/" "=" or a word character before the at-sign
# keeps it out (medium.com/@name, ?by=@name). Inside a URL, what it would take for a mention is defused too.
_MENTION_IN_URL = regex.compile(r"(?<![=/\w])([@＠])(?=\w)")


def defuse_mentions(text: str) -> str:
    if "@" not in text and "＠" not in text:
        return text
    from bot.compose import xtext

    out: list[str] = []
    last = 0
    for _url, start, end in xtext.extract_urls(text):
        out.append(_MENTION.sub(r"\1" + ZWSP, text[last:start]))
        out.append(_MENTION_IN_URL.sub(r"\1" + ZWSP, text[start:end]))
        last = end
    out.append(_MENTION.sub(r"\1" + ZWSP, text[last:]))
    return "".join(out)
