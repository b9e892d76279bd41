"""Plain values passed between modules: feed -> Article -> compose -> Draft -> deliver -> Delivery.

No I/O here, and nothing that imports a third-party client.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Image:
    """An image that belongs to an article, as an absolute URL, with its alt text or caption."""

    url: str
    alt: str | None = None


@dataclass(frozen=True)
class Article:
    """One entry of a feed (or one fetched page), already cleaned to plain text.

    `key` is the identity used to decide "new or not"; `aliases` are other identities
    of the same article (an old guid, the canonical URL) so a site that changes its
    guids does not get its articles posted again.
    """

    key: str
    feed_url: str
    url: str
    title: str
    text: str = ""
    summary: str = ""
    published: datetime | None = None
    categories: tuple[str, ...] = ()
    image: Image | None = None
    author: str | None = None
    site: str | None = None
    language: str | None = None
    aliases: tuple[str, ...] = ()
    # The feed's own names, never a tag of its articles: who publishes it by its own account (a podcast's
    # itunes:author, a managingEditor) and the label most of its titles open with ("Episode 212: ...").
    own_names: tuple[str, ...] = ()


@dataclass(frozen=True)
class Draft:
    """The exact thing a platform will publish for one article."""

    platform: str  # the account it goes to ("x_fa"; "twitter" for the default account of X)
    article_key: str
    text: str
    link: str | None = None
    hashtags: tuple[str, ...] = ()
    image: Image | None = None
    # Further posts of an opt-in X thread, each already valid on its own.
    thread: tuple[str, ...] = field(default=())
    # The configured feed the article came from ("" when none): an image on that feed's own host
    # may be fetched even when the host is private (bot.net.policy); any other private one is not.
    feed_url: str = ""
    # The network whose rules the text was written for (bot.networks); None: `platform` is that network's name.
    network: str | None = None
    # The outbox row's send key (bot.networks.Network.new_send_key), the same for every attempt: Mastodon
    # sends it as Idempotency-Key, Bluesky uses it as the record key. None when the network needs none.
    send_key: str | None = None
    # The article's language as an ISO 639-1 code ("fa", never "fa-IR"; 639-3 when a language has no
    # 639-1 code); None when the feed did not say. Mastodon and Bluesky label the post with it.
    language: str | None = None
    # The article's title and a short description, for a link card the network cannot build itself (Bluesky).
    title: str = ""
    description: str = ""

    @property
    def rules_name(self) -> str:
        """The network whose compose rules apply (bot.compose.rules_for)."""
        return self.network or self.platform


@dataclass(frozen=True)
class PostResult:
    """What a platform answered for a published post."""

    remote_id: str
    url: str | None = None
