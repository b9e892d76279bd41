"""Each post as its network will show it (issue 22 item 1), built from the draft delivery sends
(bot.deliver.draft_of: the same text, link, image and alt) and the account's settings that decide its shape
(Facebook's photo posts, Telegram's captioned photos, Mastodon's visibility). The page draws these pieces;
nothing here writes a second version of the text: it only marks where the network links it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from bot.compose.xtext import extract_urls
from bot.config import Config
from bot.deliver import draft_of
from bot.networks.telegram import utf16_length
from bot.platforms.telegram import MAX_CAPTION
from bot.store.base import NewDelivery

# Hashtags and @mentions as the networks link them (a word boundary before; twitter-text's letters).
_TAG_OR_MENTION = re.compile(r"(?<![\w&/@#])([#＃][^\W\d_][\w]*|[#＃]\d+[^\W\d][\w]*|@\w+(?:@[\w.-]+\w)?)")


@dataclass(frozen=True)
class Piece:
    kind: str  # "text", "link", "tag", "mention"
    text: str
    href: str = ""


@dataclass(frozen=True)
class Preview:
    network: str
    shape: str  # what the network posts: "post with a link card", "photo post", "captioned photo", ...
    pieces: tuple[Piece, ...]
    link: str | None
    host: str
    title: str
    description: str
    image: str | None
    image_alt: str
    visibility: str | None  # Mastodon's
    image_on_top: bool  # a photo post or captioned photo: the picture is the post, the text its caption


def _pieces(text: str) -> tuple[Piece, ...]:
    spans: list[tuple[int, int, Piece]] = []
    for url, start, end in extract_urls(text):
        href = url if "://" in url else f"https://{url}"
        spans.append((start, end, Piece("link", url, href)))
    taken = [(s, e) for s, e, _ in spans]
    for match in _TAG_OR_MENTION.finditer(text):
        if any(s <= match.start() < e for s, e in taken):
            continue  # inside a link: the link wins, as on every network
        word = match.group(1)
        spans.append((match.start(), match.end(), Piece("tag" if word[0] in "#＃" else "mention", word)))
    out, last = [], 0
    for start, end, piece in sorted(spans, key=lambda s: s[0]):
        if start < last:
            continue
        if start > last:
            out.append(Piece("text", text[last:start]))
        out.append(piece)
        last = end
    if last < len(text):
        out.append(Piece("text", text[last:]))
    return tuple(out)


def _web(url: str | None) -> bool:
    return bool(url) and str(url).lower().startswith(("https://", "http://"))


def build(config: Config, d: NewDelivery, network: str) -> Preview:
    pconf = config.platforms.get(d.platform)
    draft = draft_of(d, network)
    options = dict(pconf.options) if pconf is not None else {}
    image = draft.image.url if draft.image and _web(draft.image.url) else None
    photo_setting = bool(pconf and pconf.image)
    if network == "facebook" and pconf is not None and pconf.photo_posts and image:
        shape, on_top = "photo post (the link in its caption)", True
    elif network == "telegram" and photo_setting and image and utf16_length(draft.text) <= MAX_CAPTION:
        shape, on_top = "captioned photo", True
    elif network == "telegram":
        shape, on_top = "message with its link preview", False
    elif network == "mastodon":
        shape, on_top = "status with its link card", False
    else:
        shape, on_top = "post with its link card", False
    return Preview(
        network=network, shape=shape, pieces=_pieces(draft.text), link=draft.link,
        host=(urlsplit(draft.link).hostname or "") if draft.link else "", title=draft.title,
        description=draft.description, image=image, image_alt=(draft.image.alt if draft.image else None) or "",
        visibility=str(options["visibility"]) if network == "mastodon" and "visibility" in options else None,
        image_on_top=on_top)
