"""Feeds: fetch (conditional GET, limits) and read (RSS, Atom, RDF, JSON Feed) -> Article.

Importing this package stays cheap (the CLI must start fast): lxml, feedparser, requests and
trafilatura are imported by the submodules that need them, and the names below are loaded on
first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.feeds.errors import FeedError, FetchError, ParseError

if TYPE_CHECKING:
    from bot.feeds.backoff import next_backoff
    from bot.feeds.fetch import FetchLimits, FetchResult, fetch_feed, fetch_many
    from bot.feeds.filters import FeedFilter
    from bot.feeds.identity import canonical_url
    from bot.feeds.order import oldest_first
    from bot.feeds.page import fetch_article
    from bot.feeds.parse import FeedEntry, ParsedFeed, parse_feed

_LAZY = {
    "parse_feed": "bot.feeds.parse", "ParsedFeed": "bot.feeds.parse", "FeedEntry": "bot.feeds.parse",
    "fetch_feed": "bot.feeds.fetch", "fetch_many": "bot.feeds.fetch", "FetchLimits": "bot.feeds.fetch",
    "FetchResult": "bot.feeds.fetch", "fetch_article": "bot.feeds.page",
    "canonical_url": "bot.feeds.identity", "FeedFilter": "bot.feeds.filters",
    "next_backoff": "bot.feeds.backoff", "oldest_first": "bot.feeds.order",
}

__all__ = ["FeedEntry", "FeedError", "FeedFilter", "FetchError", "FetchLimits", "FetchResult",
           "ParseError", "ParsedFeed", "canonical_url", "fetch_article", "fetch_feed", "fetch_many",
           "next_backoff", "oldest_first", "parse_feed"]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'bot.feeds' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
