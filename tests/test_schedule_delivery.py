"""The delivery loop obeys the schedule (through deliver.wait_reason) on a real store."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.config import Config, FeedConfig, PlatformConfig
from bot.delivery.loop import deliver_platform
from bot.models import Draft, PostResult
from bot.platforms.base import Account
from bot.schedule import parse_window
from bot.store import Store, open_store
from bot.store.base import NewDelivery

PARIS = ZoneInfo("Europe/Paris")


class Recorder:
    name = "twitter"

    def __init__(self) -> None:
        self.sent: list[str] = []

    # *args: the delivery engineer's interface may pass thread progress; this stand-in posts in one go.
    def publish(self, draft: Draft, *args: object, **kwargs: object) -> PostResult:
        self.sent.append(draft.article_key)
        return PostResult(remote_id=str(len(self.sent)))

    def find_existing(self, draft: Draft, *args: object, **kwargs: object) -> PostResult | None:
        return None

    def verify(self) -> Account:
        return Account("1", "@org")

    def quota(self) -> None:
        return None

    def close(self) -> None:
        pass


@pytest.fixture
def sqlite_store(sqlite_url: str) -> Iterator[Store]:
    store = open_store(sqlite_url)
    yield store
    store.close()


def _queue(store: Store, count: int, at: float) -> None:
    rows = [NewDelivery(article_key=f"a{n}", platform="twitter", feed_url="f", article_url=f"https://e.org/{n}",
                        title=f"Story {n}", text=f"Story {n}", link=None, hashtags=(), image_url=None,
                        image_alt=None, thread=(), published_at=at - 1000 + n, due_at=at) for n in range(count)]
    store.record_articles([], rows, at)


def test_gap_window_and_order_through_the_delivery_loop(sqlite_store: Store) -> None:
    pconf = PlatformConfig(name="twitter", timezone="Europe/Paris", min_gap=timedelta(hours=1),
                           windows=(parse_window("Mon-Fri 09:00-18:00"),))
    # Friday's articles are 3 days old on Monday: a max age of 2 days would drop them (bot.delivery.gate).
    config = Config(path=None, feeds=(FeedConfig(url="f", name="f", max_age_days=7),), platforms={"twitter": pconf})
    platform = Recorder()
    now = datetime(2025, 6, 6, 16, 30, tzinfo=PARIS).timestamp()  # a Friday
    _queue(sqlite_store, 3, now)

    report = deliver_platform(config, sqlite_store, platform, "w1", clock=lambda: now)
    assert platform.sent == ["a0"]
    assert report.waiting is not None and report.waiting.startswith("minimum gap of 1h")
    assert "next slot Fri 2025-06-06 17:30" in report.waiting

    later = now + 3600
    report = deliver_platform(config, sqlite_store, platform, "w1", clock=lambda: later)
    assert platform.sent == ["a0", "a1"]
    assert report.waiting is not None and "next slot Mon 2025-06-09 09:00" in report.waiting

    monday = datetime(2025, 6, 9, 9, 0, tzinfo=PARIS).timestamp()
    deliver_platform(config, sqlite_store, platform, "w1", clock=lambda: monday)
    assert platform.sent == ["a0", "a1", "a2"]


def test_daily_cap_is_the_calendar_day(sqlite_store: Store) -> None:
    pconf = PlatformConfig(name="twitter", timezone="Europe/Paris", daily_cap=2)
    config = Config(path=None, feeds=(FeedConfig(url="f", name="f"),), platforms={"twitter": pconf})
    platform = Recorder()
    evening = datetime(2025, 6, 6, 23, 0, tzinfo=PARIS).timestamp()
    _queue(sqlite_store, 4, evening)
    report = deliver_platform(config, sqlite_store, platform, "w1", clock=lambda: evening)
    assert platform.sent == ["a0", "a1"] and report.waiting is not None and "daily cap of 2" in report.waiting
    after_midnight = datetime(2025, 6, 7, 0, 5, tzinfo=PARIS).timestamp()  # not 24 h later: a new day
    deliver_platform(config, sqlite_store, platform, "w1", clock=lambda: after_midnight)
    assert platform.sent == ["a0", "a1", "a2", "a3"]
