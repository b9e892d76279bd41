"""The parsed form of a feed, shared by the lxml, JSON and feedparser readers.

Readers fill `RawEntry` objects; `build_feed` turns them into `FeedEntry` values with their
identity. Turning an entry's HTML into plain text is the expensive part of reading a feed
(pure-Python HTML cleaning), and most entries of a polled feed are already known, so it is
deferred: `FeedEntry.article()` does it for the entries that are actually new, while
`ParsedFeed.articles` gives every entry as an Article for callers that want them all.
"""

from __future__ import annotations

import html
import logging
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import cached_property
from typing import TypeVar

from bot.bounds import (
    MAX_ALT_CHARS,
    MAX_CATEGORIES,
    MAX_CATEGORY_CHARS,
    MAX_HTML_CHARS,
    MAX_NAME_CHARS,
    MAX_TITLE_CHARS,
    clip,
)
from bot.feeds import identity
from bot.feeds.dates import parse_date
from bot.feeds.epigraph import without_epigraph
from bot.feeds.evidence import (
    each_category,
    is_topic,
    not_topics,
    outlets,
    preambles,
    repeated_paragraphs,
    series_names,
    title_labels,
    without_preamble,
    without_repeated,
)
from bot.feeds.kinds import is_ad_label
from bot.feeds.mojibake import repair
from bot.models import Article, Image
from bot.net.weburl import BadLink, browser_url

log = logging.getLogger(__name__)

# More items than a feed can mean: a daily podcast's whole archive is a few thousand; 325,000 empty items in
# 10 MB took 836 MB and 28 s to read (issue 21). Beyond this the items are counted, not kept.
MAX_ENTRIES = 5_000
_T = TypeVar("_T")


def within_bound(items: Sequence[_T]) -> tuple[list[_T], int]:
    """The items a feed can mean, and how many more there were (counted, not kept): all of them up to
    MAX_ENTRIES, else the first and the last half of that. A feed's new items are at one end, the top of a
    newest-first feed or the bottom of an oldest-first one, so both ends are read and only the middle is left."""
    if len(items) <= MAX_ENTRIES:
        return list(items), 0
    half = MAX_ENTRIES // 2
    return [*items[:half], *items[len(items) - half:]], len(items) - 2 * half


def clean_html(html: str) -> str:
    """Entities decoded, tags and scripts dropped, paragraphs separated by a blank line."""
    from bot.compose import clean_html as _clean  # pure, stdlib-only; imported late to keep cycles out

    return _clean(html)


@dataclass(slots=True)
class RawEntry:
    """What a reader found in one entry; strings as in the document, URLs already absolute."""

    guid: str | None = None
    link: str | None = None
    title: str = ""
    title_is_text: bool = False  # JSON Feed titles are plain text: "<i>" there is literal, not markup
    dates: list[str] = field(default_factory=list)  # published candidates, most trusted first
    updated: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    author: str | None = None
    content: str | None = None  # HTML
    summary: str | None = None  # HTML
    base: str | None = None  # for relative URLs inside content/summary
    images: list[Image] = field(default_factory=list)  # media:*, enclosures: best first
    # feedburner:origLink: the address to post, where <link> is FeedBurner's redirect. Identity stays with
    # <link> (the key a feed's articles were recorded under must not change), the post carries this one.
    orig_link: str | None = None
    # RSS <source>: the channel an aggregator took the item from (Google News: the outlet's name).
    source: str | None = None


@dataclass(frozen=True)
class FeedMeta:
    title: str = ""
    site_url: str | None = None
    language: str | None = None
    # A podcast directory's categories for the whole feed (itunes:category): never a topic of one episode.
    directory_categories: tuple[str, ...] = ()
    left_out: int = 0  # items beyond MAX_ENTRIES the reader counted and did not read (within_bound)
    # Who publishes the feed, by its own account (itunes:author and owner, managingEditor, dc:publisher...):
    # a name that is never a topic of its items.
    owners: tuple[str, ...] = ()


_IMG = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
_ATTR = re.compile(r"""([\w:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""")
_FIGCAPTION = re.compile(r"<figcaption\b[^>]*>(.*?)</figcaption>", re.IGNORECASE | re.DOTALL)
# Not the article's picture: counters, avatars, smileys, share buttons. Plain substring tests
# on the lower-cased URL: this runs for every media element of every entry.
_NOT_A_PHOTO = ("gravatar.com", "/smilies/", "/smiley", "wp-smiley", "emoji", "feeds.feedburner.com",
                "feedsportal", "stats.wordpress.com", "pixel", "/share", "doubleclick", "/beacon",
                "/comments/")
_EXCERPT_CHARS = 1200
# Alt texts that are only a file name ("IMG_0642", "20140328-131858.jpg") say nothing.
_FILENAME_ALT = re.compile(r"^(?:[\w.-]+\.(?:jpe?g|png|gif|webp|avif)|(?:img|dsc|dscn|pxl|image)[_-]?[\d_-]+)$",
                           re.IGNORECASE)


def useful_alt(alt: str | None) -> str | None:
    if not alt:
        return None
    alt = " ".join(alt.split())
    return alt if alt and not _FILENAME_ALT.match(alt) else None


def is_photo_url(url: str) -> bool:
    if not url.startswith(("http://", "https://")):
        return False
    low = url.lower()
    # GIFs in feeds are nearly always spacers and counters, never the article's photo.
    return not any(t in low for t in _NOT_A_PHOTO) and not low.split("?", 1)[0].endswith(".gif")


def absolute(url: str | None, base: str | None) -> str | None:
    if not url:
        return None
    url = url.strip()
    if not url:
        return None
    try:
        # As a browser reads it: what the card shows is what a click opens (bot.net.weburl).
        return browser_url(url, base)
    except BadLink as exc:
        log.warning("link %r left out: a browser would not open it as written (%s)", url[:200], exc)
        return None


def first_html_image(html: str | None, base: str | None) -> Image | None:
    """The first real photo in an HTML fragment, with its alt text or figure caption."""
    if not html or "<img" not in html.lower():
        return None
    for m in _IMG.finditer(html):
        attrs = {a.lower(): (v1 if v1 is not None else v2 if v2 is not None else v3)
                 for a, v1, v2, v3 in _ATTR.findall(m.group(0))}
        if attrs.get("width") == "1" or attrs.get("height") == "1":
            continue
        cls = attrs.get("class", "")
        if "smiley" in cls or "emoji" in cls:
            continue
        src = absolute(attrs.get("src") or attrs.get("data-src"), base)
        if not src or not is_photo_url(src):
            continue
        alt = useful_alt(clip(clean_html((attrs.get("alt") or "")[: 4 * MAX_ALT_CHARS]), MAX_ALT_CHARS))
        if alt is None:
            cap = _FIGCAPTION.search(html, m.end(), m.end() + 3000)
            if cap and "<img" not in html[m.end():cap.start()].lower():
                alt = useful_alt(clip(clean_html(cap.group(1)[: 4 * MAX_ALT_CHARS]), MAX_ALT_CHARS))
        return Image(url=src, alt=alt)
    return None


def _first_date(candidates: list[str]) -> datetime | None:
    for value in candidates:
        dt = parse_date(value)
        if dt is not None:
            return dt
    return None


@dataclass(frozen=True)
class FeedEntry:
    """One entry with its identity settled; `article()` renders the text on demand."""

    key: str
    aliases: tuple[str, ...]
    feed_url: str
    url: str
    title: str
    published: datetime | None
    updated: datetime | None
    categories: tuple[str, ...]
    author: str | None
    content_html: str | None
    summary_html: str | None
    base: str | None
    media_image: Image | None
    site: str | None = None
    language: str | None = None
    # No usable guid, and a link other entries of the feed share: known by its content instead.
    link_shared: bool = False
    # Sentences that open many of this feed's items alike (bot.feeds.evidence.preambles): not this article's.
    preamble: frozenset[str] = frozenset()
    own_names: tuple[str, ...] = ()  # FeedMeta.owners and the label of its titles (Article.own_names)
    # Paragraphs that several items of the feed carry word for word (bot.feeds.evidence.repeated_paragraphs).
    repeated: frozenset[str] = frozenset()
    # The link a reader clicks: `url` (the canonical form identity uses) with the article's own #fragment.
    link: str = ""

    def scoped(self, feed_id: str) -> FeedEntry:
        """This entry with its identities as the store keys them (`identity.scoped`)."""
        key = identity.scoped(self.key, feed_id)
        aliases = tuple(identity.scoped(a, feed_id) for a in self.aliases)
        if key == self.key and aliases == self.aliases:
            return self  # all global, as in most feeds: spare the copy (it costs more than the test)
        return replace(self, key=key, aliases=aliases)

    @property
    def excerpt_only(self) -> bool:
        """True when the feed gives only a teaser: the page must be fetched for the text."""
        return not self.content_html and len(self.summary_html or "") < _EXCERPT_CHARS

    def image(self) -> Image | None:
        return (self.media_image or first_html_image(self.content_html, self.base)
                or first_html_image(self.summary_html, self.base))

    def _own_text(self, fragment: str | None) -> str:
        if not fragment:
            return ""
        cleaned = clean_html(without_epigraph(fragment[:MAX_HTML_CHARS]))
        return without_preamble(without_repeated(cleaned, self.repeated), self.preamble)

    def article(self) -> Article:
        # Cleaning is linear but slow (pure Python): a 10 MB description is clipped first.
        # clean_html repairs double-encoded text itself, before it strips what such text hides (bot.compose.clean).
        # A preamble many items open with (bot.feeds.evidence) is taken off each text once.
        # An epigraph a post opens with (bot.feeds.epigraph) is someone else's words, never its summary.
        # A paragraph several items carry word for word is the feed's boilerplate (bot.feeds.evidence).
        summary = self._own_text(self.summary_html)
        text = self._own_text(self.content_html) if self.content_html else summary
        return Article(
            key=self.key, feed_url=self.feed_url, url=self.link or self.url, title=self.title, text=text,
            summary=summary, published=self.published, categories=self.categories,
            image=self.image(), author=self.author, site=self.site, language=self.language,
            aliases=self.aliases, own_names=self.own_names,
        )


@dataclass(frozen=True)
class ParsedFeed:
    title: str
    site_url: str | None
    language: str | None
    feed_url: str
    entries: tuple[FeedEntry, ...]
    reader: str = "lxml"  # which reader produced it: lxml, json, feedparser
    left_out: int = 0  # items beyond MAX_ENTRIES, counted and not kept (within_bound)

    @cached_property
    def articles(self) -> list[Article]:
        """Every entry as an Article, in feed order (renders all texts: prefer `entries`
        and `FeedEntry.article()` when only the new ones are needed)."""
        return [e.article() for e in self.entries]


def _dedupe(values: list[str]) -> tuple[str, ...]:
    seen: set[str] = set()
    out: list[str] = []
    for v in values:
        v = clip(repair(" ".join(v[: 4 * MAX_CATEGORY_CHARS].split())), MAX_CATEGORY_CHARS)
        if v and v.casefold() not in seen:
            seen.add(v.casefold())
            out.append(v)
            if len(out) >= MAX_CATEGORIES:
                break
    return tuple(out)


_TAG = re.compile(r"</?[A-Za-z][^<>]*>")


def _plain_title(raw: str, is_text: bool = False) -> str:
    """A title as plain text. Titles are one line of inline markup at most, so a tag strip and
    an unescape do (the full cleaner is ~50x slower and titles are read for every entry); a
    second unescape handles feeds that escape their references twice. A title that is already text
    (JSON Feed) keeps its "<" and "&" as written. Double-encoded characters are repaired."""
    if is_text:
        raw = unicodedata.normalize("NFC", raw)
    elif "<" in raw or "&" in raw:
        raw = html.unescape(_TAG.sub("", raw))
        if "&" in raw:
            # Escaped twice ("&amp;#8217;"): the references left are decoded, but a tag that the first round
            # made is what the title quotes ("&amp;lt;pre&amp;gt;": "<pre>"), text, not markup.
            raw = html.unescape(raw)
        raw = unicodedata.normalize("NFC", raw)
    # Repaired before the white space is folded: "mÃ\xa0gia" is "màgia", while "mÃ gia" would stay two words.
    return " ".join(repair(raw).split())


def build_feed(meta: FeedMeta, raws: list[RawEntry], feed_url: str, reader: str) -> ParsedFeed:
    # The lxml and JSON readers bound the items before reading them (meta.left_out); feedparser's are bounded here.
    raws, more = within_bound(raws)
    usable = identity.unshared([r.guid for r in raws])
    # Compared canonical: "/?utm_source=rss" and "/?utm_source=mail" are the same home page.
    canonical = [identity.canonical_url(r.link) if r.link else "" for r in raws]
    links_ok = identity.unshared(canonical)
    keys: list[str] = []
    alias_sets: list[tuple[str, ...]] = []
    titles: list[str] = []
    shared: list[bool] = []
    for raw, guid_ok, canon, link_ok in zip(raws, usable, canonical, links_ok, strict=True):
        guid = raw.guid if guid_ok else None
        link = raw.link if link_ok else None
        shared.append(not guid and bool(canon) and not link_ok)
        title = _plain_title(raw.title, raw.title_is_text)
        titles.append(title)
        # The hash fallback hashes plain text, not HTML, so the lxml and feedparser readers
        # (which sanitise HTML differently) agree on it.
        body = "" if guid or link else clean_html(raw.content or raw.summary or "")
        key = identity.article_key(guid, link, title, body)
        keys.append(key)
        alias_sets.append(identity.article_aliases(key, guid, raw.link))
    alias_sets = identity.drop_shared_aliases(alias_sets, keys)
    language = meta.language or None
    # Which categories are topics is judged over the whole feed (bot.feeds.evidence); an advertising label
    # stays whatever it is, so that such an item is still recognised and skipped (bot.feeds.kinds).
    categories = [each_category(r.categories) for r in raws]
    not_topic = not_topics(categories, meta.directory_categories,
                           names=[*meta.owners, *(r.author for r in raws if r.author)])
    # An aggregator's item is another outlet's headline: its description lists other outlets' headlines (never
    # a summary of this one), and the outlet is the article's site (never a tag of it).
    outlet_of = outlets(titles, [r.source for r in raws])
    preamble = preambles([r.content or r.summary or "" for r in raws])
    repeated = repeated_paragraphs([r.content or r.summary or "" for r in raws])
    own_names = (*meta.owners, *title_labels(titles), *series_names(titles, categories))
    entries = tuple(
        FeedEntry(
            key=key, aliases=aliases, feed_url=feed_url,
            url=canon, link=identity.reader_link(raw.orig_link or raw.link) if raw.link or raw.orig_link else "",
            # Atom entries often carry only <updated>: it is the best publication date there is.
            title=clip(title, MAX_TITLE_CHARS), published=_first_date(raw.dates) or _first_date(raw.updated),
            updated=_first_date(raw.updated),
            categories=_dedupe([c for c in cats if is_ad_label(c) or is_topic(c, not_topic)]),
            author=clip(repair(raw.author), MAX_NAME_CHARS) if raw.author else None,
            content_html=None if outlet else raw.content or None, summary_html=None if outlet else raw.summary or None,
            base=raw.base, media_image=raw.images[0] if raw.images else None, site=outlet or meta.title or None,
            language=language, link_shared=link_shared, preamble=preamble, own_names=own_names,
            repeated=repeated,
        )
        for raw, cats, canon, key, aliases, title, link_shared, outlet
        in zip(raws, categories, canonical, keys, alias_sets, titles, shared, outlet_of, strict=True)
    )
    return ParsedFeed(title=meta.title, site_url=meta.site_url, language=language,
                      feed_url=feed_url, entries=entries, reader=reader, left_out=meta.left_out + more)
