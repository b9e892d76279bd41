"""Fast reader for well-formed RSS 0.9x/1.0/2.0 and Atom 0.3/1.0 documents, on lxml.

It walks each entry's children once and dispatches on the (namespace family, local name) of
each; the namespaces that real feeds use for the same thing (RSS 2.0 with the userland default
namespace, Media RSS over http and https) are folded into one family.
"""

from __future__ import annotations

import base64
import binascii
import html
import re
import threading
from collections.abc import Callable
from dataclasses import replace
from itertools import islice
from typing import Any

from lxml import etree

from bot.feeds.entries import MAX_ENTRIES, FeedMeta, RawEntry, absolute, is_photo_url, useful_alt, within_bound
from bot.feeds.errors import NotAFeedError
from bot.models import Image

_FAMILIES = {
    "": "rss",
    "http://backend.userland.com/rss2": "rss",
    "http://backend.userland.com/rss": "rss",
    "http://purl.org/rss/1.0/": "rss",
    "http://my.netscape.com/rdf/simple/0.9/": "rss",
    "http://channel.netscape.com/rdf/simple/0.9/": "rss",
    "http://www.w3.org/2005/Atom": "atom",
    "http://purl.org/atom/ns#": "atom",
    "http://search.yahoo.com/mrss/": "media",
    "https://search.yahoo.com/mrss/": "media",
    "http://search.yahoo.com/mrss": "media",
    "http://video.search.yahoo.com/mrss": "media",
    "http://purl.org/rss/1.0/modules/content/": "content",
    "http://purl.org/dc/elements/1.1/": "dc",
    "http://purl.org/dc/terms/": "dc",
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#": "rdf",
    "http://www.w3.org/1999/xhtml": "xhtml",
    # FeedBurner's proxy feeds (Blogger's default): feedburner:origLink is the article's own address.
    "http://rssnamespace.org/feedburner/ext/1.0": "feedburner",
    # Podcast directories' own elements: Apple's (which every podcast feed uses) and Google Play's.
    "http://www.itunes.com/dtds/podcast-1.0.dtd": "itunes",
    "http://www.google.com/schemas/play-podcasts/1.0": "itunes",
}
_RDF_ABOUT = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}about"
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_tag_cache: dict[str, tuple[str, str]] = {}
_local = threading.local()
_IMAGE_EXT = (".jpg", ".jpeg", ".png", ".webp", ".gif", ".avif")


def _parser(recover: bool) -> Any:
    """One parser per thread and mode (lxml parsers must not be shared between threads)."""
    name = "recover" if recover else "strict"
    p = getattr(_local, name, None)
    if p is None:
        p = etree.XMLParser(
            resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
            huge_tree=False, remove_pis=True, recover=recover, collect_ids=False,
        )
        setattr(_local, name, p)
    return p


def parse_tree(data: bytes, base_url: str, *, recover: bool = False) -> Any:
    """UTF-8 bytes without XML declaration -> root element (raises etree.XMLSyntaxError)."""
    return etree.fromstring(data, _parser(recover), base_url=base_url)


def _split(tag: Any) -> tuple[str, str]:
    if not isinstance(tag, str):
        return ("", "")  # comment or processing instruction
    hit = _tag_cache.get(tag)
    if hit is None:
        if tag[0] == "{":
            ns, _, local = tag[1:].partition("}")
        else:
            ns, local = "", tag
        hit = (_FAMILIES.get(ns, "other:" + ns), local)
        if len(_tag_cache) < 4096:  # a hostile feed must not grow it without bound
            _tag_cache[tag] = hit
    return hit


def _inner(el: Any) -> str:
    """Text of an element; child elements (unescaped HTML, XHTML) serialised as markup."""
    if len(el) == 0:
        return el.text or ""
    parts = [html.escape(el.text or "", quote=False)]
    for child in el:
        parts.append(etree.tostring(child, encoding="unicode", with_tail=True))
    return "".join(parts)


def _atom_text(el: Any) -> str:
    """An Atom text construct as HTML (plain text is escaped so cleaning keeps it literal)."""
    kind = (el.get("type") or "text").lower()
    mode = (el.get("mode") or "").lower()  # Atom 0.3
    if mode == "base64":
        try:
            return base64.b64decode(el.text or "").decode("utf-8", "replace")
        except (binascii.Error, ValueError):
            return ""
    if kind in ("xhtml", "application/xhtml+xml") or mode == "xml":
        div = el[0] if len(el) == 1 and _split(el[0].tag)[1] == "div" else el
        return _inner(div)
    if kind in ("html", "text/html") or mode == "escaped":
        return (el.text or "") if len(el) == 0 else _inner(el)
    return html.escape(el.text or "", quote=False) if len(el) == 0 else _inner(el)


def _int(value: str | None) -> int:
    try:
        return int(value or 0)
    except ValueError:
        return 0


class _Images:
    """Collects image candidates; the best is the largest of the most trusted kind."""

    def __init__(self) -> None:
        self.found: list[tuple[int, int, int, Image]] = []
        # A media:description (YouTube's video text) stands in for a missing summary.
        self.description: str | None = None

    def add(self, rank: int, url: str | None, base: str | None, alt: str | None, width: int = 0) -> None:
        absu = absolute(url, base)
        if absu and is_photo_url(absu):
            self.found.append((rank, -width, len(self.found), Image(absu, useful_alt(alt))))

    def best(self) -> list[Image]:
        return [img for *_, img in sorted(self.found, key=lambda t: (t[0], t[1], t[2]))]


def _media_alt(el: Any) -> str | None:
    for child in el:
        fam, local = _split(child.tag)
        if fam == "media" and local in ("description", "title", "text") and child.text:
            text = child.text
            if "<" in text or "&" in text:
                from bot.feeds.entries import clean_html

                text = clean_html(text)
            return " ".join(text.split()) or None
    return None


def _looks_image(medium: str | None, mime: str | None, url: str | None) -> bool:
    if medium:
        return medium == "image"
    if mime:
        return mime.startswith("image/")
    return url is not None and url.lower().split("?")[0].endswith(_IMAGE_EXT)


def _media(el: Any, local: str, images: _Images, group_alt: str | None = None) -> None:
    if local == "description":
        images.description = images.description or el.text
        return
    if local == "group":
        alt = None
        for child in el:
            fam, sub = _split(child.tag)
            if fam == "media" and sub == "title" and child.text:
                alt = " ".join(child.text.split())
            elif fam == "media" and sub == "description" and child.text:
                images.description = images.description or child.text
        for child in el:
            fam, sub = _split(child.tag)
            if fam == "media" and sub in ("content", "thumbnail"):
                _media(child, sub, images, alt)
        return
    url = el.get("url")
    if local == "content" and _looks_image(el.get("medium"), el.get("type"), url):
        images.add(0, url, el.base, _media_alt(el) or group_alt, _int(el.get("width")))
        # Thumbnails nested in a media:content describe it.
        for child in el:
            fam, sub = _split(child.tag)
            if fam == "media" and sub == "thumbnail":
                images.add(1, child.get("url"), child.base, _media_alt(el) or group_alt, _int(child.get("width")))
    elif local == "content":
        for child in el:
            fam, sub = _split(child.tag)
            if fam == "media" and sub == "thumbnail":
                images.add(1, child.get("url"), child.base, group_alt, _int(child.get("width")))
    elif local == "thumbnail":
        images.add(1, url, el.base, group_alt, _int(el.get("width")))


def _rss_entry(item: Any) -> RawEntry:
    e = RawEntry(base=item.base)
    images = _Images()
    about = item.get(_RDF_ABOUT)
    perma_guid: str | None = None
    orig_link: str | None = None
    episode_summary = ""
    cache = _tag_cache
    for child in item:
        # Inlined cache lookup: this loop runs for every element of every item.
        fam, local = cache.get(child.tag) or _split(child.tag)
        if fam == "rss":
            if local == "title":
                e.title = _inner(child)
            elif local == "link":
                if e.link is None:
                    e.link = absolute(child.text, child.base)
            elif local == "guid":
                e.guid = (child.text or "").strip() or None
                if e.guid and (child.get("isPermaLink") or "true").lower() != "false":
                    perma_guid = absolute(e.guid, child.base)
            elif local == "description":
                e.summary = _inner(child)
            elif local == "pubDate":
                e.dates.insert(0, child.text or "")
            elif local == "category":
                if child.text:
                    e.categories.append(child.text)
            elif local == "author":
                e.author = e.author or (child.text or "").strip() or None
            elif local == "source":
                e.source = " ".join((child.text or "").split()) or None
            elif local == "enclosure" and _looks_image(None, child.get("type"), child.get("url")):
                images.add(2, child.get("url"), child.base, None, _int(child.get("width")))
        elif fam == "content" and local == "encoded":
            if child.text and len(child.text) > len(e.content or ""):
                e.content = child.text
                e.base = child.base
        elif fam == "dc":
            if local in ("date", "created", "issued"):
                e.dates.append(child.text or "")
            elif local == "modified":
                e.updated.append(child.text or "")
            elif local == "subject" and child.text:
                e.categories.append(child.text)
            elif local == "creator":
                e.author = e.author or (child.text or "").strip() or None
        elif fam == "media":
            _media(child, local, images)
        elif fam == "itunes" and local == "author":
            e.author = e.author or (child.text or "").strip() or None
        elif fam == "feedburner":
            orig_link = orig_link or _orig_link(child, local)
        elif fam == "itunes" and local in ("subtitle", "summary") and (child.text or "").strip():
            if len(child.text) > len(episode_summary):
                episode_summary = child.text.strip()
        elif fam == "atom":
            if local == "link" and e.link is None and (child.get("rel") or "alternate") == "alternate":
                e.link = absolute(child.get("href"), child.base)
            elif local in ("published", "issued"):
                e.dates.append(child.text or "")
            elif local in ("updated", "modified"):
                e.updated.append(child.text or "")
    e.orig_link = orig_link
    if episode_summary and _show_notes(e.summary) and _show_notes(e.content):
        # A podcast whose description is its show notes (lists of links and sponsors): the episode's own
        # summary is what a post should say.
        e.summary, e.content = html.escape(episode_summary, quote=False), None
    if e.link is None:
        e.link = perma_guid or absolute(about, item.base)
    if e.guid is None and about:
        e.guid = about.strip() or None
    _finish(e, images)
    return e


def _show_notes(fragment: str | None) -> bool:
    """Empty, or HTML made of lists (three or more items) rather than paragraphs of prose."""
    if not fragment or not fragment.strip():
        return True
    low = fragment.lower()
    return low.count("<li") >= 3 and low.count("<li") > low.count("<p")


def _orig_link(el: Any, local: str) -> str | None:
    """feedburner:origLink, when it is a web address: the address posted instead of the feedproxy redirect in
    <link> (identity stays with <link>: bot.feeds.entries.RawEntry.orig_link)."""
    if local != "origLink":
        return None
    url = absolute(el.text, el.base)
    return url if url and url.startswith(("http://", "https://")) else None


def _finish(e: RawEntry, images: _Images) -> None:
    e.images = images.best()
    if not e.summary and not e.content and images.description:
        e.summary = html.escape(images.description, quote=False).replace("\n", "<br>")


def _atom_entry(entry: Any) -> RawEntry:
    e = RawEntry(base=entry.base)
    images = _Images()
    created: list[str] = []
    link_rank = 99
    orig_link: str | None = None
    for child in entry:
        fam, local = _split(child.tag)
        if fam == "atom":
            if local == "title":
                e.title = _atom_text(child)
            elif local == "id":
                e.guid = (child.text or "").strip() or None
            elif local == "link":
                rel = child.get("rel") or "alternate"
                mime = (child.get("type") or "text/html").lower()
                if rel == "alternate":
                    rank = 0 if "html" in mime else 1
                    if rank < link_rank:
                        link_rank = rank
                        e.link = absolute(child.get("href"), child.base)
                elif rel == "enclosure" and _looks_image(None, mime, child.get("href")):
                    images.add(2, child.get("href"), child.base, child.get("title"))
            elif local in ("published", "issued"):
                e.dates.append(child.text or "")
            elif local == "created":  # Atom 0.3: creation, trusted less than issued
                created.append(child.text or "")
            elif local in ("updated", "modified"):
                e.updated.append(child.text or "")
            elif local == "content":
                if child.get("src") is None:
                    text = _atom_text(child)
                    if len(text) > len(e.content or ""):
                        e.content, e.base = text, child.base
            elif local == "summary":
                e.summary = _atom_text(child)
            elif local == "category":
                label = child.get("label") or child.get("term")
                if label:
                    e.categories.append(label)
            elif local == "author" and e.author is None:
                for sub in child:
                    if _split(sub.tag)[1] == "name" and (sub.text or "").strip():
                        e.author = sub.text.strip()
        elif fam == "media":
            _media(child, local, images)
        elif fam == "dc":
            if local in ("date", "created", "issued"):
                e.dates.append(child.text or "")
            elif local == "subject" and child.text:
                e.categories.append(child.text)
        elif fam == "content" and local == "encoded" and child.text and len(child.text) > len(e.content or ""):
            e.content, e.base = child.text, child.base
        elif fam == "feedburner":
            orig_link = orig_link or _orig_link(child, local)
    e.dates.extend(created)
    e.orig_link = orig_link
    _finish(e, images)
    return e


def _channel_meta(channel: Any, root: Any, atom: bool) -> FeedMeta:
    title = ""
    site: str | None = None
    directory: list[str] = []
    owners: list[str] = []
    language = root.get(_XML_LANG) or channel.get(_XML_LANG)
    for child in channel:
        fam, local = _split(child.tag)
        if local == "title" and fam in ("rss", "atom"):
            title = _atom_text(child) if atom else _inner(child)
        elif local == "link" and fam == "rss" and site is None:
            site = absolute(child.text, child.base)
        elif local == "link" and fam == "atom" and site is None:
            if (child.get("rel") or "alternate") == "alternate":
                site = absolute(child.get("href"), child.base)
        elif local == "language" and fam in ("rss", "dc") and (child.text or "").strip():
            language = child.text.strip()
        elif local == "category" and fam == "itunes":
            directory += [(el.get("text") or "").strip() for el in child.iter() if _split(el.tag)[1] == "category"]
        elif (fam, local) in _OWNER_FIELDS:
            owners.append(_owner_name(child))
    from bot.feeds.entries import _plain_title

    return FeedMeta(title=_plain_title(title), site_url=site, language=language or None,
                    directory_categories=tuple(d for d in directory if d), owners=tuple(o for o in owners if o))


# Who publishes the feed, by its own account: the show's or site's author, its owner, its editor, its publisher.
_OWNER_FIELDS = {("itunes", "author"), ("itunes", "owner"), ("rss", "managingEditor"), ("dc", "creator"),
                 ("dc", "publisher"), ("atom", "author")}
# "editor@example.org (Jane Doe)": RSS 2.0's managingEditor is an address, the name in brackets.
_NAME_IN_BRACKETS = re.compile(r"\(([^()]+)\)\s*$")


def _owner_name(element: Any) -> str:
    """The name an owner element gives: its text, or its `name` child (itunes:owner, atom:author)."""
    for el in element:
        if _split(el.tag)[1] == "name":
            return " ".join((el.text or "").split())
    text = " ".join((element.text or "").split())
    bracketed = _NAME_IN_BRACKETS.search(text)
    if bracketed:
        return bracketed.group(1).strip()
    return "" if "@" in text else text


EntryReader = Callable[[Any], RawEntry]


def _unqualify_rss(root: Any) -> None:
    """An RSS root in a namespace of its own (`<rss xmlns="https://cyber.harvard.edu/rss/rss.html">`) puts every
    unprefixed element below it in that namespace: they are RSS's own, so they are read without it. Without this
    such a feed yields no entry at all, silently (feedparser reads them all)."""
    tag = root.tag
    if not (isinstance(tag, str) and tag.startswith("{") and tag.endswith("}rss")):
        return
    prefix = tag[: tag.index("}") + 1]
    if prefix[1:-1] in _FAMILIES:
        return
    for el in root.iter():
        if isinstance(el.tag, str) and el.tag.startswith(prefix):
            el.tag = el.tag[len(prefix):]


def _children(parent: Any, wanted: tuple[str, str]) -> tuple[list[Any], int]:
    """`parent`'s children of the kind `wanted`, bounded as bot.feeds.entries.within_bound says, and how many
    were left out. Beyond the bound only the kept ones are held: the others pass by one at a time (a list of
    325,000 element proxies was a third of reading such a feed)."""
    total = len(parent) if len(parent) <= MAX_ENTRIES else sum(1 for c in parent if _split(c.tag) == wanted)
    if total <= MAX_ENTRIES:  # every feed but a monster: its children are few (len() counts them in C)
        return [c for c in parent if _split(c.tag) == wanted], 0
    half = MAX_ENTRIES // 2
    head = list(islice((c for c in parent if _split(c.tag) == wanted), half))
    tail = list(islice((c for c in parent.iterchildren(reversed=True) if _split(c.tag) == wanted), half))
    return [*head, *reversed(tail)], total - 2 * half


def read_tree(root: Any, feed: str) -> tuple[FeedMeta, list[RawEntry]]:
    _unqualify_rss(root)
    fam, local = _split(root.tag)
    if local == "rss" or (fam == "rdf" and local == "RDF"):
        channel = None
        for child in root:
            if _split(child.tag) == ("rss", "channel"):
                channel = child
                break
        container = channel if channel is not None else root
        items, left_out = _children(container, ("rss", "item"))
        if fam == "rdf" or not items:
            more, more_left_out = _children(root, ("rss", "item"))
            items, left_out = within_bound([*items, *more])
            left_out += more_left_out
        meta = _channel_meta(channel if channel is not None else root, root, atom=False)
        return replace(meta, left_out=left_out), [_rss_entry(i) for i in items]
    if fam == "atom" and local == "feed":
        entries, left_out = _children(root, ("atom", "entry"))
        return replace(_channel_meta(root, root, atom=True), left_out=left_out), [_atom_entry(x) for x in entries]
    if local.lower() == "html":
        raise NotAFeedError(feed, "got an HTML page, not a feed", hint="point the config at the feed URL")
    raise NotAFeedError(feed, f"unknown document type <{local}>; expected rss, rdf:RDF or feed")
