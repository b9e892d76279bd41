"""fetch_article: one web page -> Article, for `bot post URL` and for excerpt-only feeds.

The main text, title, date and og:image come from trafilatura (the maintained reference for
main-content extraction); it is imported only here, on first use, because it is heavy.

A page's address comes from a feed or from the command line, never from the config: only http(s)
is fetched (no local files), and the `Guard` decides which non-public hosts may be reached.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from datetime import datetime
from typing import Any

from bot.feeds.dates import parse_date
from bot.feeds.entries import absolute, is_photo_url
from bot.feeds.errors import FeedError, FetchError, NotAPageError
from bot.feeds.fetch import FetchLimits, fetch_feed
from bot.feeds.identity import article_aliases, canonical_url
from bot.feeds.parse import looks_like_feed
from bot.models import Article, Image
from bot.net.policy import Guard, is_web_url

PAGE_LIMITS = FetchLimits(total_deadline=30.0, max_bytes=5 * 1024 * 1024)
_HEAD_END = re.compile(rb"</head\s*>", re.IGNORECASE)
# Leading bytes to skip before a page's first "<": a UTF-8 byte order mark and white space.
_LEAD = b"\xef\xbb\xbf \t\r\n"


def _head_meta(html: bytes, base: str) -> dict[str, str]:
    """og:/twitter: meta tags and rel=canonical from the page head (trafilatura does not give
    the image's alt text or the canonical link)."""
    from lxml import html as lxml_html

    end = _HEAD_END.search(html)
    head = html[: end.end()] if end else html[:200_000]
    try:
        doc = lxml_html.fromstring(head + b"<body></body></html>" if end else head, base_url=base)
    except Exception:  # lxml raises several types on junk; metadata is optional
        return {}
    out: dict[str, str] = {}
    for meta in doc.iter("meta"):
        name = (meta.get("property") or meta.get("name") or "").strip().lower()
        content = (meta.get("content") or "").strip()
        if name and content and name not in out:
            out[name] = content
    for link in doc.iter("link"):
        if (link.get("rel") or "").lower() == "canonical" and link.get("href"):
            out.setdefault("canonical", link.get("href") or "")
    return out


# Format characters that are part of the words they sit in: ZERO WIDTH NON-JOINER (Persian "سه‌شنبه", Tuesday,
# is misspelled without it), ZERO WIDTH JOINER (emoji sequences, Indic conjuncts), and the directional marks.
_TEXT_FORMAT_CHARS = frozenset("\u200c\u200d\u200e\u200f\u061c")


@functools.cache
def _keep_text_format_chars() -> None:
    """trafilatura drops every character that is not printable (str.isprintable) from the text it extracts,
    which takes ZWNJ out of every Persian page. Its filter is one small function that the line cleaning looks up
    at call time; this wraps it to keep the characters above (tests/test_feeds_page.py proves it still works).
    A trafilatura without that function extracts as before."""
    from trafilatura import utils

    original = getattr(utils, "return_printables_and_spaces", None)
    if original is None:
        return

    @functools.lru_cache(maxsize=2**14)
    def keep(char: str) -> str:
        return char if char in _TEXT_FORMAT_CHARS else str(original(char))

    utils.return_printables_and_spaces = keep


def extract_article(html: bytes, url: str, feed_url: str = "") -> Article:
    """Pure part of fetch_article: HTML bytes of a page at `url` -> Article."""
    import trafilatura

    _keep_text_format_chars()

    meta = _head_meta(html, url)
    doc: Any = trafilatura.bare_extraction(
        html, url=url, with_metadata=True, include_comments=False, include_tables=False,
        favor_precision=True,
    )
    text = (getattr(doc, "text", None) or "").strip()
    title = (getattr(doc, "title", None) or meta.get("og:title") or "").strip()
    image_url = absolute(meta.get("og:image") or meta.get("og:image:url") or meta.get("twitter:image")
                         or getattr(doc, "image", None), url)
    image = None
    if image_url and is_photo_url(image_url):
        alt = meta.get("og:image:alt") or meta.get("twitter:image:alt")
        image = Image(image_url, alt or None)
    canonical = absolute(meta.get("canonical") or meta.get("og:url"), url) or url
    key = canonical_url(canonical)
    published: datetime | None = parse_date(meta.get("article:published_time")) or parse_date(
        getattr(doc, "date", None))
    categories = tuple(c for c in (getattr(doc, "categories", None) or []) + (getattr(doc, "tags", None) or [])
                       if isinstance(c, str) and c.strip())
    summary = (meta.get("og:description") or meta.get("description") or getattr(doc, "description", None)
               or "").strip()
    if not (text or title or summary):
        raise NotAPageError(url, "no article text found on the page")
    aliases = article_aliases(key, None, url) + tuple(a for a in article_aliases(key, None, canonical)
                                                      if a != key)
    return Article(
        key=key, feed_url=feed_url or url, url=key, title=" ".join(title.split()), text=text,
        summary=" ".join(summary.split()), published=published, categories=tuple(dict.fromkeys(categories)),
        image=image, author=getattr(doc, "author", None) or None,
        site=getattr(doc, "sitename", None) or meta.get("og:site_name") or None,
        language=getattr(doc, "language", None) or None, aliases=tuple(dict.fromkeys(aliases)),
    )


def fetch_article(url: str, limits: FetchLimits = PAGE_LIMITS, guard: Guard | None = None) -> Article:
    """Fetch a page and extract its article. Raises FeedError subclasses naming the page.

    `guard` None trusts the page's own host (`bot post URL`: the person typing chose it)."""
    try:
        if not is_web_url(url):
            raise FetchError(url, "not a web page address", retryable=False,
                             hint="write https:// in front of a web address; local files are read only when "
                                  "the config names them")
        result = fetch_feed(url, etag=None, last_modified=None, limits=limits,
                            guard=guard if guard is not None else Guard().trusting(url))
        body = result.body or b""
        kind = (result.content_type or "").split(";", 1)[0].strip().lower()
        # An image, a PDF or a JSON answer is no article page (and trafilatura would only log noise
        # about it); markup under a loose label is given a chance.
        if "html" not in kind and (kind.endswith(("rss+xml", "atom+xml", "feed+json"))
                                   or looks_like_feed(body[:2048].decode("latin-1"))):
            raise NotAPageError(url, "this is a feed, not an article page",
                                hint="give one article's address; `bot preview --feed URL` shows a feed's posts")
        if not ("html" in kind or body.lstrip(_LEAD).startswith(b"<")):
            raise NotAPageError(url, f"not a web page: the server sent {kind}" if kind
                                else "not a web page: no HTML in it")
        return extract_article(body, result.final_url, feed_url="")
    except FeedError as exc:
        exc.name_as("page")
        raise


def complete_from_page(article: Article, guard: Guard | None = None,
                       limits: FetchLimits = PAGE_LIMITS) -> Article:
    """For excerpt-only feeds: fill text (and a missing image) from the article's page, keeping
    the feed's identity, title, date and categories.

    The page's address is the feed's content: `guard` None trusts only the host of the feed it
    came from (`article.feed_url`); pass the configured feed's guard (`bot.poll.feed_guard`)."""
    page = fetch_article(article.url, limits=limits,
                         guard=guard if guard is not None else Guard().trusting(article.feed_url))
    return dataclasses.replace(
        article,
        text=page.text if len(page.text) > len(article.text) else article.text,
        image=article.image or page.image,
        summary=article.summary or page.summary,
    )
