"""A Mastodon account: its descriptor, credentials and text rules. The client is bot.platforms.mastodon.

The limit is the instance's own: `account_rules` reads it (once per instance and process) so that the text is
composed for that instance; the registered rules are Mastodon's defaults (500 characters, 23 a URL).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

from bot.compose.rules import NetworkRules, for_instance, mastodon_count
from bot.networks import register
from bot.networks.base import AccountContext, Credential, Network, Option

if TYPE_CHECKING:
    from bot.networks.marks import Mark
    from bot.platforms.base import Platform

NAME = "mastodon"
VISIBILITIES = ("public", "unlisted", "private", "direct")


def _hashtag_ok(name: str) -> bool:
    from bot.compose import mastodon

    return mastodon.hashtag_ok(name)


RULES = NetworkRules(
    name=NAME,
    max_length=500,
    counter=mastodon_count,
    hashtag_ok=_hashtag_ok,
    url_length=23,
    link_placement="inline",
    default_template="{title}\n\n{summary}\n\n{link}\n\n{hashtags}",
    default_max_hashtags=3,
    default_summary_sentences=2,
    threads=True,
    mentions="mastodon",
)


def _build(account: AccountContext) -> Platform:
    from bot.platforms.mastodon import MastodonPlatform

    # The token stays a bot.config.Secret: it never shows in a repr.
    return MastodonPlatform(account.credentials["ACCESS_TOKEN"], account.endpoint, name=account.name,
                            visibility=str(account.options.get("visibility", "public")),
                            upload_images=account.settings.image, allow_private=account.allow_private)


@lru_cache(maxsize=32)
def account_rules(endpoint: str) -> NetworkRules:
    """The rules with the instance's own limit and URL weight (its public /api/v2/instance, else v1, else
    the defaults): read once per instance and process."""
    from bot.platforms.mastodon import read_limits

    limits = read_limits(endpoint)
    return for_instance(RULES, limits.max_characters, limits.reserved_per_url)


def _send_key() -> str:
    # Mastodon keeps an Idempotency-Key about an hour per account: any unique string will do.
    import uuid  # here: only a queued post needs one, and every process imports this module (about 1 ms)

    return uuid.uuid4().hex


def _marks(text: str, link: str | None, hashtags: Sequence[str]) -> list[Mark]:
    """The server's own URL, hashtag and mention regexes (a link needs its http(s) scheme there)."""
    from bot.networks import marks

    return marks.mastodon(text, link, hashtags)


NETWORK = register(Network(
    name=NAME,
    title="Mastodon",
    credentials=(Credential("ACCESS_TOKEN", what="an access token with the write:statuses and write:media "
                                                 "scopes (Preferences > Development > New application)"),),
    endpoint="API_URL",
    default_endpoint=None,  # the instance's base URL, e.g. https://mastodon.social: no default
    rules=RULES,
    build=_build,
    options={"visibility": Option(str, "public", VISIBILITIES, "who sees the posts (Mastodon's visibility)")},
    unknown_outcome="lookup",
    idempotency_key=True,
    new_send_key=_send_key,
    account_rules=account_rules,
    marks=_marks,
))
