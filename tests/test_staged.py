"""bot.platforms.staged: which entries of an outbox row's parts are posts, and when a staged upload is reused."""

from __future__ import annotations

from bot.platforms.staged import (
    CONTAINER,
    MEDIA,
    MEDIA_MARGIN_SECONDS,
    Staged,
    container,
    container_part,
    media_part,
    posted,
    staged,
    usable_media,
)

NOW = 1_000_000.0  # any instant: nothing here reads the real clock


def test_a_staged_entry_is_never_a_post() -> None:
    parts = [media_part("188", NOW + 86400), container_part("c1")]
    assert posted(parts) == []
    assert staged(parts) == [Staged(MEDIA, "188", NOW + 86400), Staged(CONTAINER, "c1")]
    assert posted(["190", "191"]) == ["190", "191"] and staged(["190", "191"]) == []
    assert container(parts) == "c1" and container(["190"]) is None


def test_an_entry_this_code_did_not_write_whole_is_staged_with_no_known_expiry() -> None:
    # A media entry cut short (no expiry) is still not a post, and is never trusted for reuse.
    assert posted(["media:188"]) == [] and staged(["media:188"]) == [Staged(MEDIA, "188", None)]
    assert usable_media(["media:188"], NOW) is None
    assert usable_media(["media:@99999999999"], NOW) is None  # no id


def test_an_upload_is_reused_only_while_the_margin_is_left() -> None:
    fresh = [media_part("188", NOW + MEDIA_MARGIN_SECONDS + 60)]
    assert usable_media(fresh, NOW) == "188"
    assert usable_media(fresh, NOW + 61) is None, "inside the margin: uploaded again"
    assert usable_media([media_part("188", NOW - 1)], NOW) is None, "expired"
    assert usable_media([container_part("c1"), "190"], NOW) is None, "no upload staged"
