"""X (Twitter): its descriptor, credentials and text rules. The client is bot.platforms.twitter (tweepy)."""

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

NAME = "twitter"
DEFAULT_API_URL = "https://api.twitter.com"


@dataclass(frozen=True)
class TwitterCredentials:
    """OAuth 1.0a user context: the app's key and secret, the account's access token and secret."""

    api_key: Secret
    api_secret: Secret
    access_token: Secret
    access_token_secret: Secret


def _weighted_length(text: str) -> int:
    """X's weighted length (twitter-text config v3)."""
    from bot.compose import xtext  # here, so that loading the registry stays light for the CLI

    return xtext.weighted_length(text)


RULES = NetworkRules(
    name=NAME,
    aliases=("x",),
    max_length=280,
    counter=_weighted_length,
    url_length=23,
    link_placement="inline",
    default_template="{title}\n\n{link}\n\n{hashtags}",
    default_max_hashtags=2,
    default_summary_sentences=1,
    threads=True,
    mentions="twitter",
)


def _build(account: AccountContext) -> Platform:
    from bot.platforms.twitter import TwitterPlatform

    c = account.credentials
    credentials = TwitterCredentials(*(Secret(c[k]) for k in
                                       ("API_KEY", "API_SECRET", "ACCESS_TOKEN", "ACCESS_TOKEN_SECRET")))
    return TwitterPlatform(credentials, account.endpoint, upload_images=account.settings.image,
                           allow_private=account.allow_private, name=account.name)


def _marks(text: str, link: str | None, hashtags: Sequence[str]) -> list[Mark]:
    """twitter-text's links (with or without a scheme: each weighs 23 as t.co), hashtags, cashtags, mentions."""
    from bot.networks import marks

    return marks.twitter(text, link, hashtags)


NETWORK = register(Network(
    name=NAME,
    title="X (Twitter)",
    credentials=(
        Credential("API_KEY", what="the app's API key (consumer key)"),
        Credential("API_SECRET", what="the app's API key secret"),
        Credential("ACCESS_TOKEN", what="the account's access token"),
        Credential("ACCESS_TOKEN_SECRET", what="the account's access token secret"),
    ),
    endpoint="API_URL",
    default_endpoint=DEFAULT_API_URL,
    rules=RULES,
    build=_build,
    unknown_outcome="lookup",
    marks=_marks,
))
