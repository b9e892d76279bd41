"""Each post as its network will show it (issue 22 item 1), built from the draft delivery sends
(bot.delivery.loop.draft_of: the same text, link, image and alt) and the account's settings that decide its shape
(Facebook's photo posts, Telegram's captioned photos, Mastodon's visibility). The page draws these pieces;
nothing here writes a second version of the text: it only marks where the network links it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from bot import networks
from bot.config import Config
from bot.delivery.loop import draft_of
from bot.networks.telegram import utf16_length
from bot.platforms.telegram import MAX_CAPTION
from bot.store.base import NewDelivery


@dataclass(frozen=True)
class Piece:
    kind: str  # "text", "link", "tag", "mention"
    text: str
    href: str = ""
    weight: int | None = None  # what a link counts where the network shortens it (X's t.co: 23)


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


def pieces(network: str, text: str, link: str | None, hashtags: Sequence[str], url_weight: int | None) -> tuple[
        Piece, ...]:
    """The text cut where `network` itself marks a link, a hashtag or a mention: its descriptor says what it
    marks (bot.networks.marks); a network that says nothing has its text drawn plain."""
    try:
        mark = networks.get(network).marks
    except KeyError:
        mark = None
    found = list(mark(text, link, hashtags)) if mark is not None else []
    out, last = [], 0
    for m in found:
        if m.start < last:
            continue  # overlapping marks: the first wins, as every network's parser does
        if m.start > last:
            out.append(Piece("text", text[last:m.start]))
        out.append(Piece(m.kind, text[m.start:m.end], m.href, url_weight if m.kind == "link" else None))
        last = m.end
    if last < len(text):
        out.append(Piece("text", text[last:]))
    return tuple(out)


def _web(url: str | None) -> bool:
    return bool(url) and str(url).lower().startswith(("https://", "http://"))


def build(config: Config, d: NewDelivery, network: str) -> Preview:
    from bot.review import network_rules

    pconf = config.platforms.get(d.platform)
    draft = draft_of(d, network)
    url_weight = network_rules(config, d.platform).url_length if d.platform in config.platforms else None
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
        network=network, shape=shape, pieces=pieces(network, draft.text, draft.link, draft.hashtags, url_weight),
        link=draft.link,
        host=(urlsplit(draft.link).hostname or "") if draft.link else "", title=draft.title,
        description=draft.description, image=image, image_alt=(draft.image.alt if draft.image else None) or "",
        visibility=str(options["visibility"]) if network == "mastodon" and "visibility" in options else None,
        image_on_top=on_top)
