"""A Facebook Page: its descriptor, credentials and text rules. The client is bot.platforms.facebook."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.compose.rules import NetworkRules
from bot.config import Secret
from bot.networks import register
from bot.networks.base import AccountContext, Credential, Network

if TYPE_CHECKING:
    from bot.networks.marks import Mark
    from bot.platforms.base import Platform

NAME = "facebook"
DEFAULT_GRAPH_URL = "https://graph.facebook.com"


@dataclass(frozen=True)
class FacebookCredentials:
    page_id: str
    page_token: Secret


RULES = NetworkRules(
    name=NAME,
    aliases=("fb",),
    max_length=63206,
    counter=len,
    url_length=None,
    link_placement="beside",
    # "@name" is plain text on a Page; "@[id]" tags a Page (the Graph API's mention syntax).
    mentions="facebook",
    default_template="{title}\n\n{summary}\n\n{hashtags}",
    default_max_hashtags=3,
    default_summary_sentences=3,
    # A Page post is read in the feed: past ~500 characters Facebook folds it.
    default_summary_max_chars=480,
)


def _build(account: AccountContext) -> Platform:
    from bot.platforms.facebook import FacebookPlatform

    credentials = FacebookCredentials(page_id=account.credentials["PAGE_ID"],
                                      page_token=Secret(account.credentials["PAGE_TOKEN"]))
    return FacebookPlatform(credentials, account.endpoint, photo_posts=account.settings.photo_posts,
                            name=account.name)


def _marks(text: str, link: str | None, hashtags: Sequence[str]) -> list[Mark]:
    """Facebook does not publish its parser: a Page post links web addresses, with or without their scheme, and
    #hashtags, taken here as twitter-text finds them; "@name" is plain text (only "@[id]" tags a Page)."""
    from bot.networks import marks

    return marks.without_overlaps([*marks.x_urls(text), *marks.x_hashtags(text)])


NETWORK = register(Network(
    name=NAME,
    title="Facebook Page",
    credentials=(
        Credential("PAGE_ID", secret=False, what="the Page's numeric id"),
        Credential("PAGE_TOKEN", what="a Page access token"),
    ),
    endpoint="GRAPH_URL",
    default_endpoint=DEFAULT_GRAPH_URL,
    rules=RULES,
    build=_build,
    unknown_outcome="lookup",
    marks=_marks,
))
