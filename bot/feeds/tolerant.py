"""Tolerant reader on feedparser, for documents lxml cannot read as XML.

feedparser falls back to a forgiving SGML parser and recovers entries after an error (a raw
"&", a truncated CDATA), which a strict or fast parser silently drops. It is slow, so it only
runs when the fast reader fails, and its output is mapped onto the same RawEntry shape so both
readers give the same identities for the same entries.
"""

from __future__ import annotations

from typing import Any

from bot.feeds.entries import FeedMeta, RawEntry, absolute, is_photo_url
from bot.models import Image

_IMAGE_EXT = (".jpg", ".jpeg", ".png", ".webp", ".gif", ".avif")


def _is_image(d: Any) -> bool:
    medium, mime, url = d.get("medium"), d.get("type"), d.get("url") or d.get("href") or ""
    if medium:
        return bool(medium == "image")
    if mime:
        return str(mime).startswith("image/")
    return str(url).lower().split("?")[0].endswith(_IMAGE_EXT)


def _width(d: Any) -> int:
    try:
        return int(d.get("width") or 0)
    except ValueError:
        return 0


def _entry(fe: Any, base: str) -> RawEntry:
    e = RawEntry()
    e.guid = (fe.get("id") or "").strip() or None
    e.link = absolute(fe.get("link"), base)
    source = fe.get("source") or {}
    e.source = " ".join(str(source.get("title") or "").split()) or None if isinstance(source, dict) else None
    orig = fe.get("feedburner_origlink")  # FeedBurner's proxy feeds: the article's own address
    e.orig_link = orig if isinstance(orig, str) and orig.startswith(("http://", "https://")) else None
    e.title = fe.get("title_detail", {}).get("value") or fe.get("title") or ""
    if fe.get("title_detail", {}).get("type") == "text/plain":
        import html

        e.title = html.escape(e.title, quote=False)
    # dict.get: FeedParserDict.get maps a missing "published" to "updated" with a warning.
    published, created, updated = (dict.get(fe, k) for k in ("published", "created", "updated"))
    if published:
        e.dates.append(published)
    if updated:
        # feedparser files dc:date under "updated"; the lxml reader treats it as published.
        e.dates.append(updated)
        e.updated.append(updated)
    if created:
        e.dates.append(created)
    # A podcast's itunes:keywords arrive as tags too: a directory's search words, not the episode's categories.
    e.categories = [t.get("term") or t.get("label") or "" for t in fe.get("tags", [])
                    if "itunes" not in (t.get("scheme") or "")]
    e.author = (fe.get("author") or "").strip() or None
    contents = fe.get("content") or []
    if contents:
        best = max(contents, key=lambda c: len(c.get("value") or ""))
        e.content = best.get("value") or None
        e.base = best.get("base") or base
    summary = fe.get("summary_detail") or {}
    e.summary = summary.get("value") or None
    if e.summary and e.content and e.summary == e.content:
        e.summary = None
    if e.base is None:
        e.base = summary.get("base") or base
    found: list[tuple[int, int, int, Image]] = []
    for rank, key in ((0, "media_content"), (1, "media_thumbnail")):
        for d in fe.get(key, []) or []:
            if rank == 1 or _is_image(d):
                url = absolute(d.get("url"), base)
                if url and is_photo_url(url):
                    found.append((rank, -_width(d), len(found), Image(url)))
    for link in fe.get("links", []):
        if link.get("rel") == "enclosure" and _is_image(link):
            url = absolute(link.get("href"), base)
            if url and is_photo_url(url):
                found.append((2, 0, len(found), Image(url)))
    e.images = [img for *_, img in sorted(found, key=lambda t: (t[0], t[1], t[2]))]
    return e


def read_with_feedparser(data: bytes, feed_url: str) -> tuple[FeedMeta, list[RawEntry], bool]:
    """UTF-8 bytes -> (meta, entries, bozo). The caller has already refused entity tricks."""
    import feedparser  # lazy: heavy import, rarely needed

    parsed = feedparser.parse(
        data,
        response_headers={"content-type": "application/xml; charset=utf-8", "content-location": feed_url},
        sanitize_html=True, resolve_relative_uris=True,
    )
    f = parsed.get("feed", {})
    title = f.get("title_detail", {}).get("value") or f.get("title") or ""
    if f.get("title_detail", {}).get("type") == "text/plain":
        import html

        title = html.escape(title, quote=False)
    from bot.feeds.entries import _plain_title

    directory = tuple(t.get("term") or "" for t in f.get("tags", []) if "itunes" in (t.get("scheme") or ""))
    owners = (f.get("author_detail", {}).get("name") or f.get("author"), f.get("publisher"))
    meta = FeedMeta(title=_plain_title(title), site_url=absolute(f.get("link"), feed_url),
                    language=(f.get("language") or "").strip() or None, directory_categories=directory,
                    owners=tuple(" ".join(o.split()) for o in owners if isinstance(o, str) and o.strip()))
    return meta, [_entry(fe, feed_url) for fe in parsed.get("entries", [])], bool(parsed.get("bozo"))
