"""Bluesky: its descriptor, credentials, text rules and record keys. The client is bot.platforms.bluesky (atproto)."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.compose.rules import NetworkRules, graphemes
from bot.networks import register
from bot.networks.base import AccountContext, Credential, Network, Option

if TYPE_CHECKING:
    from bot.networks.marks import Mark
    from bot.platforms.base import Platform

NAME = "bluesky"
DEFAULT_SERVICE_URL = "https://bsky.social"

def short_link(url: str) -> str:
    """A link as Bluesky's own app writes it in a post: the host and the start of the path, the full address
    in the link facet (social-app's toShortUrl: a path over 15 characters keeps 13 and "..."). A 300-character
    aggregator link would otherwise fill the post and leave no room for the title."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return url
    path = ("" if parts.path == "/" else parts.path) + (f"?{parts.query}" if parts.query else "") + (
        f"#{parts.fragment}" if parts.fragment else "")
    return f"{parts.netloc}{path[:13]}..." if len(path) > 15 else f"{parts.netloc}{path}"


RULES = NetworkRules(
    name=NAME,
    max_length=300,  # graphemes (app.bsky.feed.post text: maxGraphemes 300, maxLength 3000 bytes)
    max_bytes=3000,
    counter=graphemes,
    url_length=None,  # a link counts as typed: Bluesky does not shorten it
    link_placement="inline",
    default_template="{title}\n\n{link}\n\n{hashtags}",
    default_max_hashtags=2,
    default_summary_sentences=1,
    # One record per post here; "@name" is text unless a mention facet says otherwise, and none is ever sent.
    threads=False,
    mentions=None,
    link_text=short_link,
)

_TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"
_tid_lock = threading.Lock()
_last_micros = 0
# A random clock id per process: two workers queueing in the same microsecond still choose different keys.
# From os.urandom, as secrets.randbelow would draw it: importing secrets (hmac, hashlib, OpenSSL) cost every
# process, a pass over unchanged feeds included, 2-3 ms. Two bytes modulo 1024 are uniform (1024 divides 65536).
_CLOCK_ID = int.from_bytes(os.urandom(2), "big") % 1024


def new_tid() -> str:
    """A record key as the post lexicon requires it: a TID (13 base32-sortable characters of 53 bits of
    microseconds since 1970 and a 10-bit clock id), increasing within this process."""
    global _last_micros
    with _tid_lock:
        micros = max(time.time_ns() // 1000, _last_micros + 1)
        _last_micros = micros
    value = (micros << 10) | _CLOCK_ID
    return "".join(_TID_ALPHABET[(value >> (5 * i)) & 31] for i in range(12, -1, -1))


def _build(account: AccountContext) -> Platform:
    from bot.platforms.bluesky import BlueskyPlatform

    c = account.credentials
    return BlueskyPlatform(c["HANDLE"], c["APP_PASSWORD"], account.endpoint, name=account.name,
                           store=account.store, card=bool(account.options.get("card", True)),
                           image=account.settings.image, allow_private=account.allow_private)


def _marks(text: str, link: str | None, hashtags: Sequence[str]) -> list[Mark]:
    """Only the facets the bot sends (Bluesky draws nothing else as a link): the article's link and the tags."""
    from bot.networks import marks

    return marks.bluesky(text, link, hashtags)


NETWORK = register(Network(
    name=NAME,
    title="Bluesky",
    credentials=(
        Credential("HANDLE", secret=False, what="the account's handle (news.example.com)"),
        Credential("APP_PASSWORD", what="an app password (Settings > Privacy and security > App passwords)"),
    ),
    endpoint="SERVICE_URL",
    default_endpoint=DEFAULT_SERVICE_URL,
    rules=RULES,
    build=_build,
    options={"card": Option(bool, True, what="a link card (title, description, image) under the post; "
                                             "false with image = true: the image itself, with its alt text")},
    unknown_outcome="read_back",
    new_send_key=new_tid,
    marks=_marks,
))
