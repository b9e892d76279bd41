"""Refuse XML that tries entity tricks before any parser sees it.

Billion laughs and quadratic blow-up need entity declarations; external entities need a DOCTYPE
with a SYSTEM/PUBLIC entity. Real feeds never declare entities (only old RSS 0.91 files carry
a bare external DOCTYPE, which is harmless because the DTD is never loaded), so a document
whose prolog declares any entity is refused outright, without expanding or fetching anything.
The lxml parser is configured not to resolve entities or load DTDs as a second line.
"""

from __future__ import annotations

import re

from bot.feeds.errors import UnsafeFeedError

_FIRST_ELEMENT = re.compile(r"<[A-Za-z_:]")
_ENTITY_DECL = re.compile(r"<!ENTITY", re.IGNORECASE)


def check_prolog(text: str, feed: str) -> None:
    """Raise UnsafeFeedError if the part before the root element declares entities."""
    m = _FIRST_ELEMENT.search(text)
    prolog = text[: m.start()] if m else text
    if _ENTITY_DECL.search(prolog):
        raise UnsafeFeedError(feed, "document declares XML entities (DOCTYPE with <!ENTITY>); refused unread",
                              hint="feeds never need entity declarations")
    # An internal subset can be split by a fake element start inside a quoted string; a
    # DOCTYPE whose subset is still open at the "root" is refused too.
    doctype = prolog.upper().find("<!DOCTYPE")
    if doctype != -1 and "[" in prolog[doctype:] and "]" not in prolog[doctype:]:
        raise UnsafeFeedError(feed, "document has an unterminated DOCTYPE internal subset; refused unread")
