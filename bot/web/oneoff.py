"""A one-off post from the page or the API (issue 22 item 6): bot.runs.one_off, the path `bot post` takes,
then either shown (the rows are not written) or queued (written, due now: the worker sends them under each
account's schedule; the page holds no network credentials, so it never sends itself), and put in the audit
trail."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.config import Config
from bot.errors import ConfigError
from bot.runs import one_off
from bot.store.base import AuditEntry, NewDelivery, Store


class OneOffError(Exception):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message, self.status = message, status


@dataclass
class Made:
    rows: list[NewDelivery]
    done: set[str]  # accounts that had it posted or queued before: nothing new for them
    queued: list[int] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)


def make(config: Config, store: Store, url: str | None, text: str | None, wanted: list[str], now: float,
         queue_it: bool, editor: str, via: str) -> Made:
    from bot.feeds.errors import FeedError

    if (url is None) == (text is None):
        raise OneOffError("give an article's URL or a text, not both and not neither")
    unknown = [w for w in wanted if w not in config.platforms]
    if unknown:
        raise OneOffError(f"{unknown[0][:40]!r} is not an enabled account")
    if url is not None and not url.lower().startswith(("https://", "http://")):
        raise OneOffError(f"{url[:80]!r} is not a web address (https://...)")
    try:
        accounts = one_off.accounts(config, url, wanted)
        # sending=False: the page holds no network credentials (the worker does, and checks them when it sends).
        article, drafts = one_off.drafts(config, url, text, accounts, sending=False)
    except ConfigError as exc:
        raise OneOffError(exc.message) from None
    except FeedError as exc:
        raise OneOffError(f"the page could not be read: {exc}", 502) from None
    article, rows, done = one_off.rows(store, article, drafts, url, now)
    made = Made(rows, done)
    if not queue_it:
        return made
    one_off.record(store, article, rows, url, now)
    for d in store.deliveries(article_key=article.key, limit=len(rows) + 1):
        if d.platform in done:
            made.lines.append(f"{d.platform}: already posted or queued earlier; not queued again")
            continue
        made.queued.append(d.id)
        made.lines.append(f"#{d.id} {d.platform}: queued; it goes out under the schedule")
    store.record_audit([AuditEntry(now, editor, via, "post", i, None, line)
                        for i, line in zip(made.queued, [x for x in made.lines if x.startswith("#")], strict=True)])
    return made
