"""An edit is checked by the account's own rules, the ones compose uses (issue 21, item 8): a Mastodon
instance's own limit (read from the instance, here a fake one of 300 characters) and Bluesky's 3,000 bytes
beside its 300 graphemes. Through the real `bot edit` command, on the real store."""

from __future__ import annotations

import time
from pathlib import Path

from bot.store import open_store
from bot.store.base import NewDelivery
from tests.fakes.mastodon import FakeMastodonServer
from tests.helpers import bot_env, run_bot

NOW = time.time()


def _queued(db: str, platform: str) -> int:
    store = open_store(db)
    try:
        store.record_articles([], [NewDelivery(
            article_key=f"https://news.example.org/{platform}", platform=platform,
            feed_url="https://news.example.org/feed", article_url=f"https://news.example.org/{platform}",
            title="Story", text="Story #Council", link=None, hashtags=(), image_url=None, image_alt=None,
            thread=(), published_at=NOW - 100, due_at=NOW - 10, review_until=NOW + 3600)], NOW)
        return next(d.id for d in store.deliveries(limit=10) if d.platform == platform)
    finally:
        store.close()


def test_edits_are_checked_by_the_instance_limit_and_by_bluesky_bytes(tmp_path: Path) -> None:
    config = tmp_path / "bot.toml"
    config.write_text('[[feeds]]\nurl = "https://news.example.org/feed"\n'
                      "[platforms.mastodon]\nreview = true\n[platforms.bluesky]\nreview = true\n")
    db = f"sqlite:///{tmp_path / 'e.db'}"
    with FakeMastodonServer("MASTO-TOKEN", max_characters=300, reserved_per_url=23) as instance:
        env = bot_env(None, None, db, config, {"MASTODON_ACCESS_TOKEN": "MASTO-TOKEN",
                                                "MASTODON_API_URL": instance.url})
        assert run_bot(["db", "upgrade"], env, tmp_path).returncode == 0
        masto, sky = _queued(db, "mastodon"), _queued(db, "bluesky")
        too_long = run_bot(["edit", str(masto), "--text", "word " * 80], env, tmp_path)
        assert too_long.returncode == 2, too_long.stderr
        assert "it counts 400, the limit is 300" in too_long.stderr
        fits = run_bot(["edit", str(masto), "--text", "word " * 59 + "end"], env, tmp_path)
        assert fits.returncode == 0 and "/300" in fits.stdout, fits.stderr
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"  # one grapheme, 25 bytes
    heavy = run_bot(["edit", str(sky), "--text", family * 298], env, tmp_path)
    assert heavy.returncode == 2, heavy.stderr
    assert "it takes 7450 bytes of UTF-8, the limit is 3000" in heavy.stderr
    light = run_bot(["edit", str(sky), "--text", family * 100], env, tmp_path)
    assert light.returncode == 0, light.stderr
