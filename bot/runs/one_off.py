"""A one-off post (`bot post` and the editors' page, issue 22 item 6): the drafts of a URL's article or of a
given text, and their outbox rows, one path for both, so the page queues exactly what `bot post` would."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime

from bot.config import Config
from bot.models import Article, Draft
from bot.store.base import NewDelivery, Store


def accounts(config: Config, url: str | None, wanted: Sequence[str]) -> list[str]:
    """The accounts a one-off goes to: those asked for, else for a URL those of the feed whose site it is on
    (bot.runs.route), else every account."""
    if wanted:
        return [name for name in config.platforms if name in wanted]
    if url is not None:
        from bot.runs.route import accounts_for

        return accounts_for(config, url)
    return list(config.platforms)


def drafts(config: Config, url: str | None, text: str | None, platforms: Sequence[str],
           sending: bool) -> tuple[Article, list[Draft]]:
    """The article and one draft per account. Raises ConfigError (a text no account takes: nothing is sent
    anywhere) or bot.feeds.errors.FeedError (the page could not be read)."""
    if text is not None:
        from bot.runs.given_text import text_drafts

        # All or nothing: every account's own check passes before the first one is sent.
        made = text_drafts(config, text, platforms, sending=sending)
        return Article(key=made[0].article_key, feed_url="cli", url="", title=text[:80]), made
    assert url is not None
    from bot.feeds.page import PAGE_LIMITS, fetch_article
    from bot.poll import compose_drafts, feed_guard

    # The page's own host is the typed choice; anything else it leads to is judged like feed content.
    article = fetch_article(url, limits=replace(PAGE_LIMITS, total_deadline=config.fetch_deadline),
                            guard=feed_guard(config, url))
    return article, compose_drafts(config, article, list(platforms))


def rows(store: Store, article: Article, made: Sequence[Draft], url: str | None,
         now: float) -> tuple[Article, list[NewDelivery], set[str]]:
    """The outbox rows of the drafts, under the identity the article is known by already (its feed's guid:
    the outbox's unique key then stops a second post from the feed or from here), and the accounts that had
    it posted or queued before. The row's source is the page (its host is the editor's choice, for its image
    too), "cli" for a given text."""
    from bot.poll import identities, new_delivery

    known = sorted(store.article_keys_for(identities(article)))
    article = replace(article, key=known[0] if known else article.key,
                      published=article.published or datetime.fromtimestamp(now, UTC))
    done = {d.platform for d in store.deliveries(article_key=article.key, limit=len(made) + 1)}
    source = url if url is not None else "cli"
    return article, [new_delivery(article, replace(d, article_key=article.key), source, now) for d in made], done


def record(store: Store, article: Article, new: Sequence[NewDelivery], url: str | None, now: float) -> None:
    from bot.poll import seen_rows

    store.record_articles(seen_rows(article, url if url is not None else "cli"), list(new), now)
