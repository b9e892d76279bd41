"""JSON Feed 1.0 and 1.1 (https://jsonfeed.org/version/1.1)."""

from __future__ import annotations

import html
import json
import re
from dataclasses import replace
from typing import Any

from bot.feeds.entries import FeedMeta, RawEntry, absolute, is_photo_url, within_bound
from bot.feeds.errors import NotAFeedError
from bot.models import Image


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def read_json(text: str, feed: str) -> tuple[FeedMeta, list[RawEntry]]:
    try:
        doc = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise NotAFeedError(feed, f"invalid JSON: {str(exc)[:80]}") from None
    if not isinstance(doc, dict):
        raise NotAFeedError(feed, "JSON document is not an object, so not a JSON Feed")
    version = _str(doc.get("version")) or ""
    if "jsonfeed.org" not in version and not isinstance(doc.get("items"), list):
        raise NotAFeedError(feed, "JSON document is not a JSON Feed (no version, no items)")
    home = _str(doc.get("home_page_url"))
    base = home or _str(doc.get("feed_url")) or feed
    meta = FeedMeta(title=" ".join((_str(doc.get("title")) or "").split()),
                    site_url=absolute(home, feed), language=_str(doc.get("language")))
    raws: list[RawEntry] = []
    items, left_out = within_bound(doc.get("items") or []) if isinstance(doc.get("items"), list) else ([], 0)
    meta = replace(meta, left_out=left_out)
    for item in items:
        if not isinstance(item, dict):
            continue
        e = RawEntry(base=base)
        ident = item.get("id")
        # The spec says id is a string, but numbers occur; keep them, as text.
        e.guid = (str(ident).strip() or None) if isinstance(ident, str | int) and ident is not True else None
        e.link = absolute(_str(item.get("url")) or _str(item.get("external_url")), base)
        title = _entities_only(_str(item.get("title")) or "")
        e.title, e.title_is_text = title, True  # JSON Feed titles are plain text
        content_html = _str(item.get("content_html"))
        content_text = _str(item.get("content_text"))
        e.content = content_html or (html.escape(content_text, quote=False) if content_text else None)
        summary = _str(item.get("summary"))
        e.summary = html.escape(summary, quote=False) if summary else None
        for key in ("date_published",):
            if _str(item.get(key)):
                e.dates.append(item[key])
        if _str(item.get("date_modified")):
            e.updated.append(item["date_modified"])
        tags = item.get("tags")
        if isinstance(tags, list):
            e.categories = [t for t in tags if isinstance(t, str)]
        authors = item.get("authors") if isinstance(item.get("authors"), list) else [item.get("author")]
        for a in authors or []:
            if isinstance(a, dict) and _str(a.get("name")):
                e.author = a["name"].strip()
                break
        for key in ("image", "banner_image"):
            url = absolute(_str(item.get(key)), base)
            if url and is_photo_url(url):
                e.images.append(Image(url))
        attachments = item.get("attachments")
        for att in attachments if isinstance(attachments, list) else []:
            if isinstance(att, dict) and str(att.get("mime_type", "")).startswith("image/"):
                url = absolute(_str(att.get("url")), base)
                if url and is_photo_url(url):
                    e.images.append(Image(url, _str(att.get("title"))))
        raws.append(e)
    return meta, raws


_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z][a-zA-Z0-9]{1,31});")


def _entities_only(title: str) -> str:
    """A JSON Feed title is plain text: "<b>" in it is two words of the title. But publishers write
    "&#8216;" there too, which no one means literally: character references are decoded, nothing else."""
    return _ENTITY.sub(lambda m: html.unescape(m.group()), title) if "&" in title else title
