"""HTML or messy feed text -> clean plain text, paragraphs separated by a blank line.

Built on the standard library's tolerant HTMLParser rather than lxml: feed HTML is
often broken (unclosed tags, bare '&', cut-off CDATA) and HTMLParser never raises on
it, keeps going, and decodes entities the way browsers do (also '&amp' without ';').
"""

from __future__ import annotations

import html
import re
import unicodedata
from html.parser import HTMLParser

from bot.feeds.mojibake import repair

__all__ = ["clean_html", "clean_text", "looks_like_html"]

# Elements whose whole content is not article text.
_DROP = frozenset(
    {
        "script", "style", "noscript", "template", "iframe", "object", "embed", "svg", "math",
        "form", "button", "select", "textarea", "head", "title", "figcaption", "nav", "audio", "video",
        "canvas", "map",
    }
)  # fmt: skip
_VOID = frozenset(
    {"area", "base", "br", "col", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr"}
)
# Elements that start a new paragraph.
_BLOCK = frozenset(
    {
        "p", "div", "section", "article", "aside", "header", "footer", "main", "blockquote", "pre",
        "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "dl", "dt", "dd", "table", "tr", "thead",
        "tbody", "tfoot", "caption", "figure", "hr", "address", "details", "summary", "center",
    }
)  # fmt: skip
# A table cell is not a paragraph, but its text must not glue onto the next cell's.
_CELL = frozenset({"td", "th"})

_PARA = "\x00"  # paragraph-break marker while collecting; can never come from the input

# Invisible characters that only hint at line breaking or are encoding debris. ZWJ and
# ZWNJ are NOT here: they change how Persian, Arabic and emoji sequences render.
_INVISIBLE = re.compile("[\u00ad\u200b\u2060\ufeff\ufffe\u180e]")
# C0/C1 controls except tab and newline (normalised below), plus bidi embedding controls
# that arrive unbalanced from feeds; the isolate/mark characters (LRM, RLM) are kept.
_CONTROLS = re.compile("[\x01-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e]")
_SPACES = re.compile(r"[^\S\n]+")  # any whitespace except newline, including NBSP and ideographic space
_BREAKS = re.compile(r" *\n *")
_MANY_BREAKS = re.compile(r"\n{3,}")
_HTML_WS = re.compile(r"[ \t\n\r\f]+")
# What is left after one decoding pass of double-escaped feed HTML ("&lt;p&gt;", "&amp;amp;").
_RESIDUE = re.compile(
    r"</?(?:p|br|div|span|a|b|i|u|s|em|strong|img|h[1-6]|ul|ol|li|blockquote|figure|figcaption|script|style"
    r"|iframe|table|tr|td|th|font|small|sup|sub|hr|pre|code|cite|q|abbr|section|article)\b[^<>]*>"
    r"|&(?:amp|lt|gt|quot|apos|nbsp|#\d{1,7}|#[xX][0-9A-Fa-f]{1,6});",
    re.IGNORECASE,
)
_REAL_TAG = re.compile(r"</?(?:p|br|div|span|a|b|i|em|strong|code|pre|li|ul|ol|h[1-6]|blockquote|img|table)\b[^<>]*>",
                       re.IGNORECASE)
_UNCLOSED_TAIL = re.compile(r"<[A-Za-z/!?][^<>]*$")
_TAGLIKE = re.compile(r"<[A-Za-z/!?][^>]*>|&(?:#\d+|#[xX][0-9A-Fa-f]+|[A-Za-z][A-Za-z0-9]{1,31});?")


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._drop_depth = 0
        self._drop_stack: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _DROP:
            if tag not in _VOID:
                self._drop_stack.append(tag)
            return
        if self._drop_stack:
            return
        if tag == "br":
            self.parts.append("\n")
        elif tag in _BLOCK:
            self.parts.append(_PARA)
        elif tag in _CELL:
            self.parts.append(" ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        # <br/>, <img/>, <p/>: no content to drop, only the break matters.
        if self._drop_stack or tag in _DROP:
            return
        if tag == "br":
            self.parts.append("\n")
        elif tag in _BLOCK:
            self.parts.append(_PARA)

    def handle_endtag(self, tag: str) -> None:
        if self._drop_stack:
            # Close the dropped element even if inner tags were left unclosed.
            if tag in self._drop_stack:
                while self._drop_stack and self._drop_stack.pop() != tag:
                    pass
            return
        if tag in _BLOCK:
            self.parts.append(_PARA)
        elif tag in _CELL:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self._drop_stack:
            # Newlines in HTML source are just spaces; only <br> and blocks break lines.
            self.parts.append(_HTML_WS.sub(" ", data))


def looks_like_html(text: str) -> bool:
    """True when the text still carries tags or entities (cheap pre-check before cleaning)."""
    return ("<" in text or "&" in text) and _TAGLIKE.search(text) is not None


def clean_text(text: str) -> str:
    """Normalise plain text: NFC, invisible debris removed, whitespace collapsed.

    Paragraphs (blank-line separated) stay separated by exactly one blank line; a
    single newline inside a paragraph (a <br>) is kept. Quotes and dashes are left
    exactly as typed.
    """
    # Double-encoded text is repaired first: the second byte of "Ã\xa0" (à), "Â\xad" (a soft hyphen) or
    # "Ã\x9f" (ß) is exactly what the lines below strip or fold, and the repair cannot undo that afterwards.
    text = unicodedata.normalize("NFC", repair(text))
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n").replace("\u2029", "\n\n")
    text = _INVISIBLE.sub("", text)
    text = _CONTROLS.sub("", text)
    text = _SPACES.sub(" ", text)
    text = _BREAKS.sub("\n", text)
    text = _MANY_BREAKS.sub("\n\n", text)
    return text.strip()


def clean_html(html_text: str) -> str:
    """HTML fragment (or plain text with entities) -> plain text.

    Tags dropped; script, style, forms, media and figure captions dropped with their
    content (a caption describes a photo, it is not the article); entities decoded;
    block elements become paragraph breaks ("\\n\\n"), <br> a single newline.
    """
    text = _clean_once(html_text)
    if ("<" in text or "&" in text) and _RESIDUE.search(text) and not _REAL_TAG.search(html_text):
        # The feed escaped its HTML twice: what we decoded is still markup, never post it. Where the text had
        # markup of its own ("<code>&lt;i&gt;</code>"), what it escaped is what it quotes: text.
        text = _clean_once(text)
    return text


def _clean_once(html_text: str) -> str:
    if not html_text:
        return ""
    if "<" not in html_text:
        # Entities only (a feed title, a JSON Feed summary): no parser needed.
        return clean_text(html.unescape(html_text)) if "&" in html_text else clean_text(html_text)
    # A tag cut off by truncation ("... <a href='x") would come out as text.
    html_text = _UNCLOSED_TAIL.sub("", html_text)
    parser = _TextCollector()
    try:
        parser.feed(html_text)
        parser.close()
    except AssertionError:  # pragma: no cover - HTMLParser asserts on a few pathological inputs
        pass
    raw = "".join(parser.parts)
    # Paragraph markers around whitespace-only stretches collapse into one break.
    paragraphs = (clean_text(p) for p in raw.split(_PARA))
    return "\n\n".join(p for p in paragraphs if p)
