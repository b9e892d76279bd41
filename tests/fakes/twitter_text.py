"""X's tweet length and URL detection, as the fake X server judges them: the fake's own implementation.

Written from twitter-text's published JavaScript (github.com/twitter/twitter-text, commit 30e2430:
js/src/parseTweet.js, js/src/extractUrlsWithIndices.js, js/src/regexp/*.js, js/src/lib/idna.js) and config v3
(config/v3.json), with the TLD list that repository ships (conformance/tld_lib.yml, vendored beside the
conformance vectors in tests/data/conformance/twitter-text). It never imports the bot: the fake must not
share a counting bug with the code it judges (issue 24). tests/test_fakes.py runs it over the official
conformance vectors.

Rules (config v3): the text is NFC-normalised; every URL weighs 23; every emoji sequence weighs 2
(defaultWeight 200 / scale 100); other code points weigh 1 in the ranges U+0000-10FF, U+2000-200D,
U+2010-201F, U+2032-2037 and 2 elsewhere; at most 280; U+FFFE, U+FEFF and U+FFFF make a tweet invalid.

Emoji: twitter-text delegates to twemoji-parser; here an emoji sequence follows UTS #51's grammar (flags,
keycaps, tag sequences, emoji-presentation characters with an optional skin tone, text-style emoji made emoji
by U+FE0F or a skin tone, these joined by ZWJ), on the ``regex`` module's Unicode data. Like twemoji, a U+FE0F
after a character that is already emoji-style is not part of the sequence and weighs 2 on its own. Unlike it,
any ZWJ chain of emoji counts as one (twemoji knows only the RGI sequences of its Unicode version; a chain no
keyboard offers, such as two families joined, it counts piece by piece).
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import regex  # type: ignore[import-untyped,unused-ignore]
import yaml  # type: ignore[import-untyped,unused-ignore]

MAX_WEIGHTED_LENGTH = 280
TRANSFORMED_URL_LENGTH = 23
_SCALE = 100
_DEFAULT_WEIGHT = 200
_RANGES = ((0, 4351, 100), (8192, 8205, 100), (8208, 8223, 100), (8242, 8247, 100))  # config/v3.json
_MAX_URL_LENGTH = 4096  # extractUrlsWithIndices.js
_MAX_TCO_SLUG_LENGTH = 40
_MAX_LABEL_LENGTH = 63  # lib/idna.js
_DEFAULT_PROTOCOL = "https://"

TLD_FILE = Path(__file__).resolve().parents[1] / "data" / "conformance" / "twitter-text" / "tld_lib.yml"

# js/src/regexp: directionalMarkersGroup, invalidCharsGroup, spaces, punct, latinAccentChars,
# cyrillicLettersAndMarks
_DIRECTIONAL = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_INVALID = "\ufffe\ufeff\uffff"
_SPACES = "\u0009-\u000d\u0020\u0085\u00a0\u1680\u180e\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_PUNCT = "".join("\\" + c for c in "!'#%&()*+,\\-./:;<=>?@[]^_{|}~\"$`")
_LATIN = ("\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u00ff\u0100-\u024f\u0253\u0254\u0256\u0257\u0259\u025b\u0263"
          "\u0268\u026f\u0272\u0289\u028b\u02bb\u0300-\u036f\u1e00-\u1eff")
_CYRILLIC = "\u0400-\u04ff"


@cache
def _tlds() -> tuple[list[str], list[str]]:
    with open(TLD_FILE, encoding="utf-8") as f:
        data: dict[str, list[Any]] = yaml.safe_load(f)
    # longest first, so that an alternation never settles for a prefix ("co" before "com")
    generic = sorted((str(t) for t in data["generic"]), key=lambda t: (-len(t), t))
    country = sorted((str(t) for t in data["country"]), key=lambda t: (-len(t), t))
    return generic, country


@cache
def _patterns() -> tuple[Any, Any, Any]:
    generic, country = _tlds()
    domain_char = f"[^{_PUNCT}{_SPACES}{_INVALID}{_DIRECTIONAL}\\x00-\\x1f\\x7f]"  # invalidDomainChars
    subdomain = f"(?:(?:{domain_char}(?:[_-]|{domain_char})*)?{domain_char}\\.)"
    domain_name = f"(?:(?:{domain_char}(?:-|{domain_char})*)?{domain_char}\\.)"
    gtld = "(?:(?:" + "|".join(regex.escape(t) for t in generic) + ")(?=[^0-9a-z@+-]|$))"
    cctld = "(?:(?:" + "|".join(regex.escape(t) for t in country) + ")(?=[^0-9a-z@+-]|$))"
    punycode = "(?:xn--[\\-0-9a-z]+)"
    domain = f"(?:{subdomain}*{domain_name}(?:{gtld}|{cctld}|{punycode}))"
    path_char = f"[a-z{_CYRILLIC}0-9!*';:=+,.$/%#\\[\\]\\-\u2013_~@|&{_LATIN}]"  # validGeneralUrlPathChars
    parens = f"\\((?:{path_char}+|(?:{path_char}*\\({path_char}+\\){path_char}*))\\)"
    path_end = f"(?:[+\\-a-z{_CYRILLIC}0-9=_#/{_LATIN}]|(?:{parens}))"
    path = f"(?:(?:{path_char}*(?:{parens}{path_char}*)*{path_end})|(?:@{path_char}+/))"
    query_char = "[a-z0-9!?*'@();:&=+$/%#\\[\\]\\-_.,~|]"
    query_end = "[a-z0-9\\-_&=#/]"
    before = f"(?:[^A-Za-z0-9@\uff20$#\uff03{_INVALID}]|[{_DIRECTIONAL}]|^)"
    url = (f"(?P<before>{before})(?P<url>(?P<protocol>https?://)?(?P<domain>{domain})(?::[0-9]+)?"
           f"(?P<path>/{path}*)?(?:\\?{query_char}*{query_end})?)")
    ascii_domain = f"(?:(?:[\\-a-z0-9{_LATIN}]+)\\.)+(?:{gtld}|{cctld}|{punycode})"
    tco = f"^https?://t\\.co/([a-z0-9]+)(?:\\?{query_char}*{query_end})?"
    flags = regex.IGNORECASE | regex.VERSION0
    return regex.compile(url, flags), regex.compile(ascii_domain, flags), regex.compile(tco, flags)


def _utf16(s: str) -> int:
    return len(s.encode("utf-16-le")) // 2


def _to_ascii_ok(domain: str, ascii_domain: Any) -> bool:
    """lib/idna.js toAscii: a punycode domain must be ASCII; every label, punycode-encoded, is 1-63 long."""
    if domain[:4] == "xn--" and not ascii_domain.search(domain):
        return False
    for label in domain.split("."):
        try:
            encoded = label if label.isascii() else "xn--" + label.encode("punycode").decode("ascii")
        except UnicodeError:
            return False
        if not 1 <= len(encoded) <= _MAX_LABEL_LENGTH:
            return False
    return True


def extract_urls(text: str) -> list[tuple[str, int, int]]:
    """URLs X links in ``text`` as (url, start, end), code point offsets (extractUrlsWithIndices)."""
    if "." not in text:
        return []
    url_re, ascii_domain, tco = _patterns()
    found: list[tuple[str, int, int]] = []
    for m in url_re.finditer(text):
        url, protocol, domain = m.group("url"), m.group("protocol"), m.group("domain")
        start, end = m.start("url"), m.end("url")
        if not _to_ascii_ok(domain, ascii_domain):
            continue
        if len(protocol or _DEFAULT_PROTOCOL) + _utf16(url) > _MAX_URL_LENGTH:
            continue
        if not protocol:
            if regex.search(r"[-_./]$", m.group("before")):
                continue
            last: list[Any] | None = None
            for a in ascii_domain.finditer(domain):
                last = [a.group(0), start + a.start(), start + a.end()]
                found.append((last[0], last[1], last[2]))
            if last is None:
                continue
            if m.group("path"):
                found[-1] = (url.replace(domain, last[0], 1), last[1], end)
            continue
        t = tco.search(url)
        if t is not None:
            if len(t.group(1)) > _MAX_TCO_SLUG_LENGTH:
                continue
            url = t.group(0)
            end = start + len(url)
        found.append((url, start, end))
    return found


_EMOJI = regex.compile(
    r"""
      [\U0001F1E6-\U0001F1FF]{2}                              # flag: two regional indicators
    | [#*0-9]\ufe0f?\u20e3                                    # keycap
    | \U0001F3F4[\U000E0020-\U000E007E]+\U000E007F            # tag sequence (subdivision flags)
    | (?&element)(?:\u200d(?:(?&element)|\p{Extended_Pictographic}))*  # ZWJ sequence (flags never join one)
    (?(DEFINE)
      (?P<element>
          (?![\U0001F1E6-\U0001F1FF])\p{Emoji_Presentation}[\U0001F3FB-\U0001F3FF]?  # emoji-style, skin tone
        | (?![#*0-9])\p{Emoji}(?:\ufe0f|[\U0001F3FB-\U0001F3FF])                     # text-style made emoji
      )
    )
    """,
    regex.VERBOSE | regex.VERSION1,
)


def _weight(char: str) -> int:
    cp = ord(char)
    for start, end, weight in _RANGES:
        if start <= cp <= end:
            return weight
    return _DEFAULT_WEIGHT


@dataclass(frozen=True)
class ParsedTweet:
    """parseTweet's answer: ranges are inclusive UTF-16 indices, as twitter-text gives them."""

    weighted_length: int
    valid: bool
    permillage: int
    valid_range_end: int
    display_range_end: int


def parse_tweet(text: str) -> ParsedTweet:
    normalized = unicodedata.normalize("NFC", text)
    urls = {start: end for _, start, end in extract_urls(normalized)}
    emoji = {m.start(): m.end() for m in _EMOJI.finditer(normalized)}
    total = 0
    valid = True
    last_unit = -1  # UTF-16 index of the last unit handled so far
    valid_end = 0
    i = 0
    while i < len(normalized):
        if i in urls:
            stop, add = urls[i], TRANSFORMED_URL_LENGTH * _SCALE
        elif i in emoji:
            stop, add = emoji[i], _DEFAULT_WEIGHT
        else:
            stop, add = i + 1, _weight(normalized[i])
        total += add
        last_unit += _utf16(normalized[i:stop])
        # parseTweet tests the last UTF-16 unit of each item: an invalid character inside a URL or
        # an emoji is not seen (neither can hold one)
        if valid and normalized[stop - 1] in _INVALID:
            valid = False
        if valid and total <= MAX_WEIGHTED_LENGTH * _SCALE:
            valid_end = last_unit
        i = stop
    weighted = total // _SCALE
    offset = _utf16(text) - _utf16(normalized)
    return ParsedTweet(
        weighted_length=weighted,
        valid=valid and 0 < weighted <= MAX_WEIGHTED_LENGTH,
        permillage=math.floor(weighted / MAX_WEIGHTED_LENGTH * 1000),  # JS float arithmetic, floored
        valid_range_end=valid_end + offset,
        display_range_end=max(0, _utf16(text) - 1),
    )


def weighted_length(text: str) -> int:
    return parse_tweet(text).weighted_length
