"""Fetching an article's image for upload: bounded in size and time, images only, never internal.

The image's address is the feed's content: `guard` decides which non-public hosts it may be on
(the feed's own host, what `[bot] allow_private` names), checked at connect time (bot.net).
"""

from __future__ import annotations

import time

from bot.net.policy import Guard
from bot.net.session import GuardedSession
from bot.net.watchdog import cut_at

MAX_IMAGE_BYTES = 5 * 1024 * 1024  # X's limit for images
_TYPES = {"image/jpeg", "image/png", "image/gif", "image/webp"}


def download_image(url: str, guard: Guard, timeout: tuple[float, float] = (5.0, 20.0),
                   deadline: float | None = None) -> tuple[bytes, str]:
    """Return (bytes, media type); raises ValueError when it is not a usable image, and
    bot.net.policy.DestinationRefused when `guard` does not let the bot reach it.

    `deadline` (time.monotonic()) bounds the whole download: requests' read timeout is per read, so a
    server trickling bytes would otherwise hold the post for as long as it likes.
    """
    with GuardedSession(guard) as session, session.get(
            url, stream=True, timeout=timeout, headers={"User-Agent": "bot/0.1"}) as response:
        response.raise_for_status()
        media_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
        if media_type not in _TYPES:
            raise ValueError(f"{url} is not an image X accepts ({media_type or 'no content type'})")
        chunks: list[bytes] = []
        size = 0
        sock = getattr(getattr(response.raw, "connection", None), "sock", None)
        with cut_at(deadline, sock):
            for chunk in response.iter_content(64 * 1024):
                size += len(chunk)
                if deadline is not None and time.monotonic() > deadline:
                    raise ValueError(f"{url} took too long to download")
                if size > MAX_IMAGE_BYTES:
                    raise ValueError(f"{url} is larger than {MAX_IMAGE_BYTES // (1024 * 1024)} MB")
                chunks.append(chunk)
        if deadline is not None and time.monotonic() > deadline:  # the watchdog cut it short
            raise ValueError(f"{url} took too long to download")
    return b"".join(chunks), media_type
