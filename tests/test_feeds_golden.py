"""Every shared sample feed is read without a crash, and what is extracted per entry is pinned
in tests/golden/feeds/<file>.json (regenerate with BOT_UPDATE_GOLDEN=1, then read the diff)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from bot.feeds.parse import parse_feed
from tests.test_feeds_support import GOLDEN, feed_url_for, sample_files, snapshot

FILES = sample_files()
UPDATE = os.environ.get("BOT_UPDATE_GOLDEN") == "1"


def test_shared_feeds_are_present() -> None:
    assert len(FILES) >= 29, "tests/data/feeds not found"


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_golden(path: Path) -> None:
    parsed = parse_feed(path.read_bytes(), feed_url_for(path))
    got = snapshot(parsed)
    golden = GOLDEN / (path.name + ".json")
    if UPDATE or not golden.exists():
        golden.write_text(json.dumps(got, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        if not UPDATE:
            pytest.fail(f"golden {golden.name} was missing and has been written: review and commit it")
    assert got == json.loads(golden.read_text(encoding="utf-8"))
