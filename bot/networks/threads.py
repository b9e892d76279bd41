"""Threads (Meta's Threads API): its descriptor, credentials and text rules. The client is bot.platforms.threads
(plain HTTPS on the project's own session; that module says what of the API was verified, and where)."""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.compose.rules import NetworkRules
from bot.config import Secret
from bot.networks import register
from bot.networks.base import AccountContext, Credential, Network, TokenLife

if TYPE_CHECKING:
    from bot.networks.marks import Mark
    from bot.platforms.base import Platform

NAME = "threads"
DEFAULT_API_URL = "https://graph.threads.net/v1.0"
MAX_LINKS = 5  # more fail at the container step (THREADS_API__LINK_LIMIT_EXCEEDED)
_JOINERS = {"\u200d", "\ufe0f", "\ufe0e", "\u20e3"}  # ZWJ, variation selectors, keycap: parts of an emoji


def _is_emoji(char: str) -> bool:
    code = ord(char)
    return (char in _JOINERS or 0x1F000 <= code <= 0x1FAFF or 0x2600 <= code <= 0x27BF
            or 0x1F1E6 <= code <= 0x1F1FF or unicodedata.category(char) == "So")


def threads_length(text: str) -> int:
    """How Threads counts a post against its 500: one a character, but an emoji (and the joiners that build
    one) counts its UTF-8 bytes (the reference's note on `text`). A link counts as typed."""
    if text.isascii():
        return len(text)  # most posts: no emoji can be there (counted each time a draft is fitted)
    # Each distinct character judged once (Counter counts in C): a 500-character post has few distinct ones.
    return len(text) + sum((len(c.encode("utf-8")) - 1) * n for c, n in Counter(text).items()
                           if ord(c) > 0x7F and _is_emoji(c))


def _hashtag_ok(name: str) -> bool:
    # Threads links one topic tag per post; the others stay text. The template keeps to one (below), and a tag
    # with a space or a period is not a tag at all.
    return bool(name) and not any(c.isspace() or c == "." for c in name)


RULES = NetworkRules(
    name=NAME,
    max_length=500,
    counter=threads_length,
    hashtag_ok=_hashtag_ok,
    url_length=None,
    link_placement="inline",
    # "@name" notifies that profile; Threads does not publish its parser, so X's (which protects the fewest
    # at-signs) guards it: a defused at-sign costs nothing, a missed one notifies a stranger.
    mentions="twitter",
    default_template="{title}\n\n{summary}\n\n{link}\n\n{hashtags}",
    default_max_hashtags=1,  # one topic tag per post
    default_summary_sentences=2,
    threads=False,  # one post per article: the container id is the one thing kept between attempts
)


# Long-lived tokens last 60 days and may be refreshed once a day old (GET /refresh_access_token,
# grant_type=th_refresh_token), which the bot does itself when BOT_SECRET_KEY is set (bot.tokens).
TOKEN_LIFE = TokenLife(days=60, renew_after_days=1,
                       how="make a new long-lived token and set THREADS_ACCESS_TOKEN (README: Threads)")


# The token goes in an `Authorization: Bearer` header, never in a URL the bot builds itself. Meta's reference
# pages show only the `access_token` parameter; Meta's own Postman collection of the Threads API (linked from
# developers.facebook.com/documentation/threads/tools-and-resources/postman-collection, updated 2026-05-06)
# authorises its requests to graph.threads.net with a Bearer token instead, refresh_access_token and debug_token
# included: the server takes either, and tests/fakes/threads.py plays both. debug_token's `input_token` (the
# token inspected) is a parameter by definition (bot.platforms.expiry).


def _build(account: AccountContext) -> Platform:
    from bot.platforms.expiry import threads_ask
    from bot.platforms.threads import ThreadsPlatform
    from bot.tokens import TokenKeeper

    token = Secret(account.credentials["ACCESS_TOKEN"])
    # How long the token has left is what Threads' debug_token says, where it answers (bot.tokens).
    keeper = TokenKeeper(account.name, TOKEN_LIFE, token, account.store, account.secret_key,
                         ask=threads_ask(account.endpoint, account.name))
    return ThreadsPlatform(token, account.endpoint, name=account.name, image=account.settings.image, keeper=keeper)


def _marks(text: str, link: str | None, hashtags: Sequence[str]) -> list[Mark]:
    """Threads does not publish its parser: web addresses (as twitter-text finds them), one topic tag (the first
    #tag it can take; the others stay text) and @profiles (Instagram's names: letters, digits, "_", ".")."""
    import regex  # type: ignore[import-untyped]

    from bot.networks import marks

    urls = marks.x_urls(text)
    tags = [m for m in marks.x_hashtags(text) if _hashtag_ok(text[m.start + 1:m.end])][:1]
    profile = r"(?<![A-Za-z0-9_.@])@([A-Za-z0-9_](?:[A-Za-z0-9_.]{0,28}[A-Za-z0-9_])?)"
    mentions = [marks.Mark(m.start(), m.end(), "mention", f"https://www.threads.net/@{m.group(1)}")
                for m in regex.finditer(profile, text)]
    return marks.without_overlaps([*urls, *tags, *mentions])


NETWORK = register(Network(
    name=NAME,
    title="Threads",
    credentials=(Credential("ACCESS_TOKEN", what="a long-lived Threads user access token with the threads_basic "
                                                 "and threads_content_publish permissions"),),
    endpoint="API_URL",
    default_endpoint=DEFAULT_API_URL,
    rules=RULES,
    build=_build,
    # An attempt cut short is settled by the container kept in the outbox row (its status says whether it was
    # published), else by the account's recent threads.
    unknown_outcome="lookup",
    token_life=TOKEN_LIFE,
    marks=_marks,
))
