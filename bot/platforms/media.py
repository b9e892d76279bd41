"""Fetching an article's image for upload: bounded in size and time, images only."""

from __future__ import annotations

import time

import requests

MAX_IMAGE_BYTES = 5 * 1024 * 1024  # X's limit for images
_TYPES = {"image/jpeg", "image/png", "image/gif", "image/webp"}


def download_image(url: str, timeout: tuple[float, float] = (5.0, 20.0),
                   deadline: float | None = None) -> tuple[bytes, str]:
    """Return (bytes, media type); raises ValueError when it is not a usable image.

    `deadline` (time.monotonic()) bounds the whole download: requests' read timeout is per read, so a
    server trickling bytes would otherwise hold the post for as long as it likes.
    """
    with requests.get(url, stream=True, timeout=timeout, headers={"User-Agent": "bot/0.1"}) as response:
        response.raise_for_status()
        media_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
        if media_type not in _TYPES:
            raise ValueError(f"{url} is not an image X accepts ({media_type or 'no content type'})")
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_content(64 * 1024):
            size += len(chunk)
            if deadline is not None and time.monotonic() > deadline:
                raise ValueError(f"{url} took too long to download")
            if size > MAX_IMAGE_BYTES:
                raise ValueError(f"{url} is larger than {MAX_IMAGE_BYTES // (1024 * 1024)} MB")
            chunks.append(chunk)
    return b"".join(chunks), media_type
