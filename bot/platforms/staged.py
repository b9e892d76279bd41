"""What an outbox row's `parts` hold: the posts made so far (root first), or something staged for the root.

`parts` is written through a publish's `on_part` (bot.platforms.base.PartsCallback) so that an attempt cut
short resumes where it stopped. Most entries are post ids. Before the root exists, a network may keep there
the one thing it made for it, so the next attempt reuses it instead of making another:
- "container:ID": a Threads container made, not known to be published (bot.platforms.threads);
- "media:ID@EXPIRES": an image uploaded (X, Mastodon), not yet carried by a post, usable until EXPIRES (epoch
  seconds, as the uploading host read its clock from the server's answer).
A staged entry is never a post: every reader (the delivery loop's count of parts against the thread, the
lookup of the next part, the platforms) asks this module which entries are which, never the strings. Once
the root is posted (or found on the platform after an unknown outcome) the staged entry is replaced by it.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

CONTAINER = "container:"
MEDIA = "media:"
_KINDS = (CONTAINER, MEDIA)
# A staged upload is reused only while this much of its life is left: the post that carries it goes seconds
# later, and the host that reuses it may not be the one that uploaded it (clocks a few minutes apart).
MEDIA_MARGIN_SECONDS = 3600.0


@dataclass(frozen=True)
class Staged:
    kind: str  # CONTAINER or MEDIA
    id: str
    expires_at: float | None = None  # media: None when unknown (an entry not written by this code)


def is_staged(part: str) -> bool:
    return part.startswith(_KINDS)


def posted(parts: Sequence[str]) -> list[str]:
    """The ids of the posts made, root first: every entry but a staged one."""
    return [p for p in parts if not is_staged(p)]


def staged(parts: Sequence[str]) -> list[Staged]:
    """The staged entries, in order."""
    found: list[Staged] = []
    for part in parts:
        if part.startswith(CONTAINER):
            found.append(Staged(CONTAINER, part[len(CONTAINER):]))
        elif part.startswith(MEDIA):
            media_id, _, expires = part[len(MEDIA):].partition("@")
            found.append(Staged(MEDIA, media_id, float(expires) if expires.isdigit() else None))
    return found


def after_edit(parts: Sequence[str]) -> list[str]:
    """What stays of a row's parts (none of them posted) once an editor changes its text: a staged upload (the
    image did not change), never a staged container, which holds the old text (a resumed attempt publishes a
    ready container as it is: bot.platforms.threads)."""
    return [p for p in parts if not p.startswith(CONTAINER)]


def container(parts: Sequence[str]) -> str | None:
    """The staged container's id, if any."""
    return next((s.id for s in staged(parts) if s.kind == CONTAINER), None)


def container_part(container_id: str) -> str:
    return CONTAINER + container_id


def media_part(media_id: str, expires_at: float) -> str:
    return f"{MEDIA}{media_id}@{int(expires_at)}"


def usable_media(parts: Sequence[str], now: float | None = None,
                 margin: float = MEDIA_MARGIN_SECONDS) -> str | None:
    """The staged upload's id while it has `margin` seconds of life left; None when there is none, or it
    expires (or may have: an unknown expiry) too soon to be trusted, so the image is uploaded again."""
    at = time.time() if now is None else now
    for s in staged(parts):
        if s.kind == MEDIA and s.id and s.expires_at is not None and s.expires_at - at > margin:
            return s.id
    return None
