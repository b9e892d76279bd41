"""Generous bounds on every field of an Article, applied before any text work.

A feed is written by someone else: a 1 MB title or a 10 MB description must cost no more than
a long article does. No real post needs more than these (X takes 280 characters, Facebook
folds a post after about 480), and the composer only reads the start of a body anyway, so a
normal article passes through unchanged. The feed reader clips raw HTML with the same numbers
before it cleans it (bot.feeds.entries), and compose bounds whatever reaches it.
"""

from __future__ import annotations

from dataclasses import replace

from bot.models import Article, Image

__all__ = ["MAX_ALT_CHARS", "MAX_CATEGORIES", "MAX_CATEGORY_CHARS", "MAX_HTML_CHARS", "MAX_LANGUAGE_CHARS",
           "MAX_NAME_CHARS", "MAX_TEXT_CHARS", "MAX_TITLE_CHARS", "bound_article", "clip"]

MAX_TITLE_CHARS = 2_000
MAX_TEXT_CHARS = 200_000  # text and summary, as plain text; the summariser reads the first 12,000
MAX_HTML_CHARS = 1_000_000  # raw HTML of an entry, before cleaning (markup is most of it)
MAX_NAME_CHARS = 300  # author, site
MAX_CATEGORIES = 500  # real WordPress entries carry over 100
MAX_CATEGORY_CHARS = 100
MAX_ALT_CHARS = 1_000  # X's own limit for alt text
MAX_LANGUAGE_CHARS = 35  # the longest language tags in use

_ELLIPSIS = "…"


def clip(text: str, limit: int, ellipsis: str = _ELLIPSIS) -> str:
    """`text` if it is within `limit`, else its start cut at the last space before the limit
    (or at the limit when the end has no space), with `ellipsis`. Linear, one slice."""
    if len(text) <= limit:
        return text
    head = text[: limit - len(ellipsis)]
    space = head.rfind(" ", len(head) // 2)
    return (head[:space] if space > 0 else head).rstrip() + ellipsis


def bound_article(article: Article) -> Article:
    """The article with every field within its bound (the same object when all already are)."""
    title = clip(article.title, MAX_TITLE_CHARS)
    text = clip(article.text, MAX_TEXT_CHARS, "")
    summary = clip(article.summary, MAX_TEXT_CHARS, "")
    categories = tuple(clip(c, MAX_CATEGORY_CHARS) for c in article.categories[:MAX_CATEGORIES])
    author = clip(article.author, MAX_NAME_CHARS) if article.author else article.author
    site = clip(article.site, MAX_NAME_CHARS) if article.site else article.site
    language = article.language[:MAX_LANGUAGE_CHARS] if article.language else article.language
    image = article.image
    if image is not None and image.alt and len(image.alt) > MAX_ALT_CHARS:
        image = Image(url=image.url, alt=clip(image.alt, MAX_ALT_CHARS))
    bounded = (title, text, summary, categories, author, site, language, image)
    if bounded == (article.title, article.text, article.summary, article.categories, article.author,
                   article.site, article.language, article.image):
        return article
    return replace(article, title=title, text=text, summary=summary, categories=categories, author=author,
                   site=site, language=language, image=image)
