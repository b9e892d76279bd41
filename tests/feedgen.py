"""Small RSS 2.0 feeds written for tests, WordPress-style (content:encoded, categories, guid)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from xml.sax.saxutils import escape

# Entries are dated relative to now (the bot's default max age is 2 days, with the real clock): an item's
# minutes after BASE keep the order of the numbers, and even item 1,000 is still in the past.
BASE = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(days=1)


def rfc822_ago(**delta: float) -> str:
    """A pubDate this long before now, for hand-written items."""
    return format_datetime(datetime.now(UTC) - timedelta(**delta))


@dataclass
class Item:
    number: int
    site: str = "https://news.example.org"
    categories: list[str] = field(default_factory=lambda: ["World"])

    @property
    def url(self) -> str:
        return f"{self.site}/2026/11/story-{self.number}/"

    @property
    def title(self) -> str:
        return f"Story number {self.number} about the city council"

    @property
    def published(self) -> datetime:
        return BASE + timedelta(minutes=self.number)

    def xml(self) -> str:
        body = (f"<p>The council met on day {self.number} and approved the new library budget. "
                f"Residents spoke for two hours about opening times.</p><p>A second paragraph {self.number}.</p>")
        cats = "".join(f"<category><![CDATA[{escape(c)}]]></category>" for c in self.categories)
        return (
            f"<item><title>{escape(self.title)}</title><link>{self.url}</link>"
            f"<guid isPermaLink=\"false\">{self.site}/?p={1000 + self.number}</guid>"
            f"<pubDate>{format_datetime(self.published)}</pubDate>{cats}"
            f"<description><![CDATA[The council met on day {self.number}.]]></description>"
            f"<content:encoded><![CDATA[{body}]]></content:encoded></item>"
        )


def rss(items: list[Item], title: str = "Example News") -> str:
    # Newest first, as sites publish them.
    ordered = sorted(items, key=lambda i: i.number, reverse=True)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">'
        f"<channel><title>{escape(title)}</title><link>https://news.example.org/</link>"
        "<description>Local news</description><language>en-US</language>"
        + "".join(i.xml() for i in ordered)
        + "</channel></rss>"
    )


# (guid or None, link, title, minutes before now): guids here are never permalinks
Entry = tuple[str | None, str, str, int]


def rss_entries(entries: Sequence[Entry], now: datetime | None = None) -> str:
    """A feed whose entries are given by their identity, dated relative to `now` (default: now),
    each with its full text (so nothing fetches the article's page)."""
    now = now or datetime.now(UTC)
    items = "".join(
        "<item>" + (f'<guid isPermaLink="false">{escape(guid)}</guid>' if guid else "")
        + f"<link>{escape(link)}</link><title>{escape(title)}</title>"
        f"<pubDate>{format_datetime(now - timedelta(minutes=ago))}</pubDate>"
        f"<content:encoded>{escape(title)}: what happened, in two sentences. And why it matters.</content:encoded>"
        "</item>"
        for guid, link, title, ago in entries)
    return ('<?xml version="1.0"?><rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">'
            f"<channel><title>Example</title>{items}</channel></rss>")
