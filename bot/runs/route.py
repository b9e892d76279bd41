"""Which accounts a one-off `bot post URL` goes to, when `--platform` does not say.

Accounts are split by feed (an English feed to @news, a Persian one to @news_fa): an article belongs to the
accounts of the configured feed whose site it is on, never to all of them (that sent an English article to the
Persian accounts too). A feed's site is its host and the folder it lives in (`https://example.org/fa/feed/` is
`example.org/fa/`); the deepest folder the URL is in wins. When no feed's site holds the URL and the accounts
are split, guessing could post to the wrong audience: the caller asks for `--platform` instead.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from bot.config import Config, FeedConfig
from bot.errors import ConfigError
from bot.poll import feed_platforms

# Trailing path parts that name the feed itself, not the site's folder: /feed/, /rss, /atom/, /index.xml.
_FEED_PART = re.compile(r"(feeds?|rss2?|atom|rdf|index\.(xml|rss|atom)|.*\.(xml|rss|atom|json))", re.IGNORECASE)


def _host(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower().rstrip(".")
    return host.removeprefix("www.")


def site_of(feed_url: str) -> tuple[str, str] | None:
    """(host, folder) of a feed's site; None for a feed read from a file."""
    if not feed_url.lower().startswith(("http://", "https://")):
        return None
    parts = [p for p in urlsplit(feed_url).path.split("/") if p]
    while parts and _FEED_PART.fullmatch(parts[-1]):
        parts.pop()
    return _host(feed_url), "/" + "".join(p + "/" for p in parts)


def feeds_for(config: Config, url: str) -> list[FeedConfig]:
    """The configured feeds whose site holds `url`, the deepest folder first (all of equal depth)."""
    host, path = _host(url), urlsplit(url).path or "/"
    best: list[FeedConfig] = []
    depth = -1
    for feed in config.feeds:
        site = site_of(feed.url)
        if site is None or site[0] != host or not (path + "/").startswith(site[1]):
            continue
        if len(site[1]) > depth:
            best, depth = [feed], len(site[1])
        elif len(site[1]) == depth:
            best.append(feed)
    return best


def split_by_feed(config: Config) -> bool:
    """True when some feed reaches only some of the enabled accounts."""
    everyone = set(config.platforms)
    return any(set(feed_platforms(config, f)) != everyone for f in config.feeds)


def accounts_for(config: Config, url: str) -> list[str]:
    feeds = feeds_for(config, url)
    if feeds:
        chosen = {name for f in feeds for name in feed_platforms(config, f)}
        return [name for name in config.platforms if name in chosen]
    if split_by_feed(config):
        sites = ", ".join(f"{f.name} ({s[0]}{s[1]})" for f in config.feeds if (s := site_of(f.url)))
        raise ConfigError(f"{url} is on none of the configured feeds' sites ({sites or 'none is a web address'}), "
                          "and the accounts are split by feed: which accounts should post it?",
                          hint=f"add --platform NAME (enabled: {', '.join(config.platforms)})")
    return list(config.platforms)
