"""A Telegram channel: its descriptor, credentials and text rules. The client is bot.platforms.telegram
(plain HTTPS calls to the Bot API on the project's own session; that module says why)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.compose.rules import NetworkRules
from bot.config import Secret
from bot.networks import register
from bot.networks.base import AccountContext, Credential, Network

if TYPE_CHECKING:
    from bot.networks.marks import Mark
    from bot.platforms.base import Platform

NAME = "telegram"
DEFAULT_API_URL = "https://api.telegram.org"

def utf16_length(text: str) -> int:
    """How Telegram counts a text's length: UTF-16 code units of the text as readers see it (after entity
    parsing, trimmed); an emoji outside the Basic Multilingual Plane counts 2, a Persian letter 1, and a URL
    counts in full."""
    return len(text.strip().encode("utf-16-le")) // 2


RULES = NetworkRules(
    name=NAME,
    # A message holds 4,096 UTF-16 units as readers see it; a post with the article's image goes as a photo
    # when it fits its caption (1,024), else as this message with the link previewed (bot.platforms.telegram).
    max_length=4096,
    counter=utf16_length,
    url_length=None,
    link_placement="inline",
    # "@name" is linked to that channel or user (tdlib's rule): defused like on X.
    mentions="telegram",
    # A channel post is read whole: a longer summary than on X, short enough to be the caption of the photo.
    default_template="{title}\n\n{summary}\n\n{link}\n\n{hashtags}",
    default_max_hashtags=3,
    default_summary_sentences=3,
    default_summary_max_chars=700,
)


def _build(account: AccountContext) -> Platform:
    from bot.platforms.telegram import TelegramPlatform

    return TelegramPlatform(Secret(account.credentials["BOT_TOKEN"]), account.credentials["CHAT_ID"],
                            account.endpoint, name=account.name, photos=account.settings.image)


def _marks(text: str, link: str | None, hashtags: Sequence[str]) -> list[Mark]:
    """tdlib's entities: web addresses with or without a scheme (taken as twitter-text finds them; the article's
    link is an <a href> anyway), its hashtags and @mentions."""
    from bot.networks import marks

    return marks.without_overlaps([*marks.x_urls(text), *marks.telegram_tags_and_mentions(text)])


NETWORK = register(Network(
    name=NAME,
    title="Telegram channel",
    credentials=(
        Credential("BOT_TOKEN", what="the bot's token from @BotFather"),
        Credential("CHAT_ID", secret=False, what="the channel's @username or numeric id (-100...)"),
    ),
    endpoint="API_URL",
    default_endpoint=DEFAULT_API_URL,
    rules=RULES,
    build=_build,
    # The Bot API cannot read a channel's history and has no idempotency key: an unknown outcome is held.
    unknown_outcome="hold",
    marks=_marks,
))
