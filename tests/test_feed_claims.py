"""The shared feed schedule in the store (bot.sharing's claims), on SQLite and Postgres: each due feed goes to one
claimer, a worker takes at most its share, a claim dies with its holder's lease, only the holder releases."""

from __future__ import annotations

import subprocess
import sys
import threading
from datetime import timedelta

from bot.config import FeedConfig
from bot.delivery.loop import process_gone, worker_id
from bot.schedule import next_feed_due
from bot.store import Store, open_store
from bot.store.base import FeedRelease, FeedState

LEASE = 20.0


def _urls(n: int) -> list[str]:
    return [f"https://site{i}.example.org/feed" for i in range(n)]


def test_a_due_feed_goes_to_one_claimer_and_comes_back_when_due(store: Store) -> None:
    store.register_feeds(_urls(3))
    first = store.claim_feeds("a", 10, LEASE)
    assert sorted(c.url for c in first.feeds) == _urls(3) and all(c.due is None for c in first.feeds)
    assert store.claim_feeds("b", 10, LEASE).feeds == (), "claimed feeds are nobody else's"
    now = first.now
    released = store.release_feeds("a", [FeedRelease(_urls(3)[0], now - 1), FeedRelease(_urls(3)[1], now + 600),
                                         FeedRelease(_urls(3)[2], now + 600)])
    assert released == 3
    again = store.claim_feeds("b", 10, LEASE)
    assert [(c.url, c.due) for c in again.feeds] == [(_urls(3)[0], now - 1)], "only the one due again"
    schedules = {s.url: s for s in store.feed_schedules()}
    assert schedules[_urls(3)[1]].polled_by == "a" and schedules[_urls(3)[1]].next_due == now + 600
    assert schedules[_urls(3)[0]].claim_owner == "b"


def test_a_worker_takes_its_share_and_no_more_than_its_capacity(store: Store) -> None:
    store.register_feeds(_urls(12))
    for owner in ("b", "c"):  # two other live workers (their heartbeat is a claim round)
        assert store.claim_feeds(owner, 0, LEASE).feeds == ()
    assert len(store.claim_feeds("a", 100, LEASE).feeds) == 4, "12 due feeds, 3 live workers"
    assert len(store.claim_feeds("b", 2, LEASE).feeds) == 2, "capacity bounds the share"
    assert sorted(store.live_workers()) == ["a", "b", "c"]


def test_a_lapsed_claim_goes_to_the_next_claimer_and_its_release_is_refused(store: Store) -> None:
    store.register_feeds(_urls(1))
    assert len(store.claim_feeds("dead", 5, 0.05).feeds) == 1
    import time

    time.sleep(0.2)  # the holder stopped renewing: its lease lapses
    taken = store.claim_feeds("live", 5, LEASE)
    assert [c.url for c in taken.feeds] == _urls(1)
    assert store.release_feeds("dead", [FeedRelease(_urls(1)[0], taken.now + 5)]) == 0, "not the holder any more"
    (schedule,) = store.feed_schedules()
    assert schedule.claim_owner == "live" and schedule.next_due is None
    assert "dead" not in store.live_workers()


def test_a_claim_round_renews_the_holders_claims(store: Store) -> None:
    store.register_feeds(_urls(1))
    first = store.claim_feeds("a", 5, 1.0)
    (before,) = store.feed_schedules()
    assert before.claim_until is not None and before.claim_until <= first.now + 1.0
    store.claim_feeds("a", 0, LEASE)  # a heartbeat while the poll runs
    (after,) = store.feed_schedules()
    assert after.claim_until is not None and after.claim_until >= first.now + LEASE - 1
    assert store.claim_feeds("b", 5, LEASE).feeds == () and "a" in store.claim_feeds("b", 0, LEASE).holders


def test_a_dead_holder_on_this_machine_is_known_and_dropped(store: Store) -> None:
    child = subprocess.run([sys.executable, "-c", "from bot.delivery.loop import worker_id; print(worker_id())"],
                           capture_output=True, text=True, check=True)
    dead = child.stdout.strip()  # the owner id of a process that has ended
    assert process_gone(dead) and not process_gone(worker_id())
    store.register_feeds(_urls(2))
    assert len(store.claim_feeds(dead, 5, LEASE).feeds) == 2
    seen = store.claim_feeds("me", 5, LEASE)
    assert seen.feeds == () and dead in seen.holders
    assert store.drop_claims(dead) == 2
    assert len(store.claim_feeds("me", 5, LEASE).feeds) == 2 and dead not in store.live_workers()


def test_the_304_states_are_written_with_the_release(store: Store) -> None:
    url = _urls(1)[0]
    store.register_feeds([url])
    claimed = store.claim_feeds("a", 5, LEASE)
    state = FeedState(url=url, etag='"e1"', baseline_done=True, last_checked_at=claimed.now)
    store.release_feeds("a", [FeedRelease(url, claimed.now + 60, state)])
    assert store.feed_state(url) == state
    (schedule,) = store.feed_schedules()
    assert schedule.next_due == claimed.now + 60 and schedule.claim_owner is None


def test_registering_again_keeps_the_schedule(store: Store) -> None:
    url = _urls(1)[0]
    store.register_feeds([url])
    claimed = store.claim_feeds("a", 5, LEASE)
    store.release_feeds("a", [FeedRelease(url, claimed.now + 60)])
    store.register_feeds([url, *_urls(2)])
    assert {s.url: s.next_due for s in store.feed_schedules()} == {url: claimed.now + 60, _urls(2)[1]: None}
    store.reschedule_feed(url, claimed.now + 5)
    store.reschedule_feed(_urls(2)[1], claimed.now + 5)
    assert {s.url: s.next_due for s in store.feed_schedules()} == {url: claimed.now + 5, _urls(2)[1]: None}, \
        "a feed not polled yet stays due at once"


def test_concurrent_claimers_never_share_a_feed(db_url: str) -> None:
    """Three stores (three connections, as three workers have) claiming 60 feeds at once."""
    stores = [open_store(db_url) for _ in range(3)]
    try:
        stores[0].register_feeds(_urls(60))
        got: dict[int, list[str]] = {i: [] for i in range(3)}
        sizes: list[int] = []
        barrier = threading.Barrier(3)

        def claim(i: int) -> None:
            barrier.wait()
            for _ in range(30):
                taken = [c.url for c in stores[i].claim_feeds(f"w{i}", 4, LEASE).feeds]
                got[i] += taken
                sizes.append(len(taken))

        threads = [threading.Thread(target=claim, args=(i,)) for i in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        every = [u for urls in got.values() for u in urls]
        assert sorted(every) == sorted(_urls(60)), "each feed claimed exactly once"
        assert len(every) == len(set(every)) == 60
        assert max(sizes) <= 4, "never more than the capacity at a time"
    finally:
        for s in stores:
            s.close()


def test_next_due_keeps_the_interval_grid_and_the_cron_times() -> None:
    every = FeedConfig(url="u", name="n", every=timedelta(seconds=60))
    assert next_feed_due(every, "UTC", now=1000.0, due=None) == 1060.0
    assert next_feed_due(every, "UTC", now=1003.0, due=1000.0) == 1060.0, "a late look keeps the grid"
    assert next_feed_due(every, "UTC", now=1250.0, due=1000.0) == 1300.0, "a stall: one catch-up, not five"
    assert next_feed_due(every, "UTC", now=1003.0, due=1000.0, not_before=1500.0) == 1540.0, "a backoff"
    cron = FeedConfig(url="u", name="n", every=None, cron="*/5 * * * *")
    assert next_feed_due(cron, "UTC", now=600.0, due=600.0) == 900.0, "the fire time just served is not served twice"
    assert next_feed_due(cron, "UTC", now=601.5, due=None) == 900.0
    assert next_feed_due(cron, "UTC", now=610.0, due=600.0, not_before=1300.0) == 1500.0


def test_status_shows_who_polled_each_feed_and_which_are_overdue(db_url: str) -> None:
    from bot.config import Environment, parse_config
    from bot.report.status import status_lines

    urls = _urls(3)
    text = "".join(f'[[feeds]]\nurl = "{u}"\nname = "site{i}"\nevery = "1m"\n' for i, u in enumerate(urls))
    config = parse_config(text, None, Environment(database_url=db_url))
    store = open_store(db_url)
    try:
        me = worker_id()
        store.register_feeds(urls)
        claimed = store.claim_feeds(me, 3, LEASE)
        store.release_feeds(me, [FeedRelease(urls[0], claimed.now + 60), FeedRelease(urls[1], claimed.now - 300)])
        lines = list(status_lines(config, store, claimed.now))
    finally:
        store.close()
    text = "\n".join(lines)
    host, pid = me.split(":")[:2]
    assert "feeds: 3, shared by 1 live worker(s)" in text, text
    assert "site0: last polled " in text and f"by {host} pid {pid}; next due" in text, text
    assert any(line.startswith("  site1: OVERDUE by 30") for line in lines), text
    assert f"site2: never read yet; being polled now by {host} pid {pid}" in text, text
    assert "1 feed(s) overdue" in text, text
