"""parse_feed: bytes of RSS, Atom, RDF or JSON Feed -> ParsedFeed.

Well-formed XML goes through the fast lxml reader. A document lxml refuses is first repaired
for the two faults real feeds have most (a raw "&", an HTML entity such as &aacute; that XML
does not define); if it is still broken, lxml's recovering parser and feedparser both read it
and the one that recovers more entries wins, so no entry feedparser finds is lost.
"""

from __future__ import annotations

import html.entities
import re

from bot.feeds.encoding import decode_document
from bot.feeds.entries import FeedEntry, ParsedFeed, build_feed
from bot.feeds.errors import FeedError, NotAFeedError
from bot.feeds.safety import check_prolog

__all__ = ["FeedEntry", "FeedError", "ParsedFeed", "parse_feed"]

_BARE_AMP = re.compile(r"&(?!#\d{1,7};|#[xX][0-9A-Fa-f]{1,6};|[A-Za-z][A-Za-z0-9]{0,31};)")
_NAMED = re.compile(r"&([A-Za-z][A-Za-z0-9]{0,31});")
_HTML_START = re.compile(r"(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html[\s>])", re.IGNORECASE | re.DOTALL)
_UTF8_DECL = re.compile(rb"""<\?xml[^>]*encoding\s*=\s*["']utf-?8["']""", re.IGNORECASE)
_HAS_ENTRIES = re.compile(r"<(?:[A-Za-z_][\w.-]*:)?(?:item|entry)[\s>/]")
_XML_ENTITIES = frozenset({"amp", "lt", "gt", "quot", "apos"})


def _named(m: re.Match[str]) -> str:
    name = m.group(1)
    if name in _XML_ENTITIES:
        return m.group(0)
    cp = html.entities.name2codepoint.get(name)
    return f"&#{cp};" if cp is not None else f"&amp;{name};"


def repair(text: str) -> str:
    """Escape raw ampersands and turn HTML named entities into character references."""
    return _NAMED.sub(_named, _BARE_AMP.sub("&amp;", text))


def parse_feed(body: bytes, feed_url: str, content_type: str | None = None) -> ParsedFeed:
    """Read a feed document. `feed_url` is where it came from (relative links resolve against
    it unless the document says otherwise); pass FetchResult.final_url after redirects.
    Raises a FeedError subclass naming the feed when nothing can be read."""
    if not body or body.isspace():
        raise NotAFeedError(feed_url, "empty document")
    decoded = decode_document(body, feed_url, content_type)
    text = decoded.text
    if text.startswith("{"):
        from bot.feeds.jsonfeed import read_json

        meta, raws = read_json(text, feed_url)
        return build_feed(meta, raws, feed_url, "json")
    if not text.startswith("<"):
        raise NotAFeedError(feed_url, "neither XML nor JSON (does not start with '<' or '{')")
    if _HTML_START.match(text):
        raise NotAFeedError(feed_url, "got an HTML page, not a feed", hint="point the config at the feed URL")
    check_prolog(text, feed_url)

    from lxml import etree

    from bot.feeds.xmlreader import parse_tree, read_tree

    # UTF-8 bodies go to lxml as they came (its declaration, if any, says UTF-8), saving a
    # re-encode; anything else is handed over re-encoded, its declaration stripped.
    data = _utf8_body(body, text) if decoded.encoding == "utf-8" else text.encode("utf-8")
    try:
        root = parse_tree(data, feed_url)
    except etree.LxmlError as exc:
        return _read_broken(text, feed_url, str(exc))
    meta, raws = read_tree(root, feed_url)
    if _needs_site_base(feed_url, meta.site_url):
        assert meta.site_url is not None
        meta, raws = read_tree(parse_tree(data, meta.site_url), feed_url)
    if not raws and _HAS_ENTRIES.search(text):
        # Items the fast reader could not place (a dialect it does not know): the full parser reads them, rather
        # than a first sight recording nothing and every later article posting as if it were new.
        from bot.feeds.tolerant import read_with_feedparser

        meta_fp, raws_fp, _bozo = read_with_feedparser(data, feed_url)
        if raws_fp:
            return build_feed(meta_fp, raws_fp, feed_url, "feedparser")
    return build_feed(meta, raws, feed_url, "lxml")


def _needs_site_base(feed_url: str, site_url: str | None) -> bool:
    """A feed read from a file has no web address of its own: its relative links belong to the
    site the channel names, never to the folder the file happens to be in."""
    return not feed_url.startswith(("http://", "https://")) and bool(site_url) and \
        str(site_url).startswith(("http://", "https://"))


def _utf8_body(body: bytes, text: str) -> bytes:
    if body.startswith(b"\xef\xbb\xbf"):
        body = body[3:]
    if body[:1].isspace():
        body = body.lstrip()
    # A BOM or HTTP charset said UTF-8 but the declaration names another encoding: lxml would
    # believe the declaration, so hand it the decoded text instead.
    if body.startswith(b"<?xml") and b"encoding" in body[:200] and not _UTF8_DECL.match(body):
        return text.encode("utf-8")
    return body


def _read_broken(text: str, feed_url: str, first_error: str) -> ParsedFeed:
    from lxml import etree

    from bot.feeds.tolerant import read_with_feedparser
    from bot.feeds.xmlreader import parse_tree, read_tree

    fixed = repair(text)
    data = fixed.encode("utf-8")
    try:
        root = parse_tree(data, feed_url)
    except etree.LxmlError:
        pass
    else:
        meta, raws = read_tree(root, feed_url)
        return build_feed(meta, raws, feed_url, "lxml-repaired")

    recovered: ParsedFeed | None = None
    try:
        root = parse_tree(data, feed_url, recover=True)
        if root is not None:
            meta, raws = read_tree(root, feed_url)
            recovered = build_feed(meta, raws, feed_url, "lxml-recover")
    except (etree.LxmlError, NotAFeedError):
        recovered = None
    meta, raws, _bozo = read_with_feedparser(data, feed_url)
    tolerant = build_feed(meta, raws, feed_url, "feedparser")
    # feedparser is the reference for what a tolerant reader recovers; lxml's recovery only
    # wins when it finds more entries (it keeps junk such as a cut "<![CD" as text).
    if recovered is not None and len(recovered.entries) > len(tolerant.entries):
        return recovered
    if tolerant.entries or tolerant.title or (recovered is None and looks_like_feed(text)):
        return tolerant
    if recovered is not None:
        return recovered
    raise NotAFeedError(feed_url, f"not well-formed XML and no feed recovered: {first_error[:120]}")


def looks_like_feed(text: str) -> bool:
    """An RSS, Atom or RDF root element near the start (a cheap guess, before any parsing)."""
    head = text[:2048].lower()
    return "<rss" in head or "<feed" in head or "<rdf:rdf" in head
