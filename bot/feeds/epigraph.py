"""An epigraph: a quotation a post opens with, before its own first paragraph, often with its source under it.

It is someone else's words chosen to set a mood (a poet's line, a motto, a passage of a book), not what the post
says: never its lead nor its summary. Told by the markup alone, in any language: a `<blockquote>` that comes
before any paragraph of the post's own text (a figure and its caption may come first), and the one paragraph
right after it when that paragraph only names the source (it holds a `<cite>`, or is a short line of a name).
"""

from __future__ import annotations

import re

__all__ = ["without_epigraph"]

# What may stand before an epigraph: wrappers, a figure with its caption, an image, empty paragraphs.
_OPENING = re.compile(
    r"\A(?:\s+|<(?:div|article|section|header|span)\b[^>]*>|<figure\b.*?</figure>|<img\b[^>]*>|<p\b[^>]*>\s*</p>"
    r"|<br\s*/?>)*", re.IGNORECASE | re.DOTALL)
_BLOCKQUOTE = re.compile(r"<blockquote\b[^>]*>.*?</blockquote>", re.IGNORECASE | re.DOTALL)
# The source line under it: "<p class="source">René Char, <cite>Recherche de la base et du sommet</cite>.</p>".
_SOURCE = re.compile(r"(?:\s+|</div>)*<p\b[^>]*>(?P<inner>.*?)</p>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]+>")
MAX_SOURCE_CHARS = 160
# After the epigraph, the post must still say something of its own; otherwise the quotation is the post.
MIN_REST_CHARS = 40


def without_epigraph(html: str) -> str:
    """`html` without the epigraph it opens with (and its source line); as it is when there is none."""
    start = _OPENING.match(html)
    at = start.end() if start else 0
    quote = _BLOCKQUOTE.match(html, at)
    if quote is None:
        return html
    end = quote.end()
    source = _SOURCE.match(html, end)
    if source is not None:
        inner = source.group("inner")
        plain = _TAG.sub("", inner).strip()
        if "<cite" in inner.lower() or (plain and len(plain) <= MAX_SOURCE_CHARS and plain[:1] in "—–-~"):
            end = source.end()
    rest = html[:at] + html[end:]
    if len(_TAG.sub("", rest).strip()) < MIN_REST_CHARS:
        return html
    return rest
