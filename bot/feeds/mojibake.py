"""Repair text that was encoded twice (UTF-8 read as Latin-1 or Windows-1252: "fÃ¼r", "itâ€™s").

ftfy is the well-kept library for exactly this; it only undoes an encoding mix-up when the
result is clearly better, so correct text passes unchanged. It costs milliseconds on a long
text, so a cheap test runs first: every such mix-up leaves a Latin-1 lead byte (Â..ô)
followed by a continuation byte read as a Latin-1 or Windows-1252 character. A no-break space
(C2 A0) read that way is "Â" and a no-break space, and HTML whitespace folding often turns the
latter into a plain one ("oh my!Â In this post", rss.com's WordPress feed): "Â" before a space
right after a non-space is suspect too (ftfy leaves "ROMÂ NIA" alone).
"""

from __future__ import annotations

import re

__all__ = ["repair"]

_SUSPECT = re.compile(
    "[\u00c2-\u00f4][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc"
    "\u2013\u2014\u2018-\u201a\u201c-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122]"
    "|(?<=\\S)\u00c2 "
)


def repair(text: str) -> str:
    """`text` with double-encoded sequences decoded; anything else is left exactly as it is."""
    if not text or not _SUSPECT.search(text):
        return text
    import ftfy  # lazy: ~200 ms to import, needed only by feeds that have the problem

    return str(ftfy.fix_encoding(text))
