"""The same contract on SQLite and Postgres: what 'exactly once' rests on."""

from __future__ import annotations

import os
import threading
import time

import pytest

from bot.store import Store, open_store
from bot.store.base import DRY_RUN, FAILED, POSTED, QUEUED, RETRY, SENDING, FeedState, NewDelivery, SeenArticle
from bot.store.migrations import MIGRATIONS


def _delivery(key: str, platform: str = "twitter", published: float = 1000.0, due: float = 0.0) -> NewDelivery:
    return NewDelivery(article_key=key, platform=platform, feed_url="f", article_url=f"https://ex.org/{key}",
                       title=f"Title {key}", text=f"Text {key}", link=f"https://ex.org/{key}", hashtags=("A", "B"),
                       image_url=None, image_alt=None, thread=("two",), published_at=published, due_at=due)


def _seen(key: str, article_key: str | None = None) -> SeenArticle:
    return SeenArticle(key=key, article_key=article_key or key, feed_url="f", url=f"https://ex.org/{key}",
                       title="t", published_at=None)


def test_migrate_is_idempotent(db_url: str) -> None:
    first = open_store(db_url)
    second = open_store(db_url)
    assert first.migrate() == second.migrate() == len(MIGRATIONS)
    first.close()
    second.close()


def test_feed_state_round_trip(store: Store) -> None:
    assert store.feed_state("u") is None
    state = FeedState(url="u", etag='"abc"', last_modified="Mon", baseline_done=True, failures=2,
                      next_attempt_at=5.5, last_error="boom")
    store.save_feed_state(state)
    assert store.feed_state("u") == state
    store.save_feed_state(FeedState(url="u", etag='"def"'))
    assert store.feed_state("u") == FeedState(url="u", etag='"def"')


def test_record_articles_is_once_per_article_and_platform(store: Store) -> None:
    assert store.record_articles([_seen("a"), _seen("a-alias", "a")], [_delivery("a"), _delivery("a", "facebook")],
                                 10.0) == 2
    # the same article again (another worker, a re-poll after a crash) queues nothing more
    assert store.record_articles([_seen("a")], [_delivery("a"), _delivery("a", "facebook")], 11.0) == 0
    assert store.known_keys(["a", "a-alias", "b"]) == {"a", "a-alias"}
    assert store.queue_counts() == {("twitter", QUEUED): 1, ("facebook", QUEUED): 1}
    row = store.deliveries(platform="twitter")[0]
    assert (row.hashtags, row.thread, row.text) == (("A", "B"), ("two",), "Text a")


def test_claim_order_lease_and_settle(store: Store) -> None:
    store.record_articles([], [_delivery("new", published=300.0), _delivery("old", published=100.0)], 1.0)
    first = store.claim_next("twitter", now=10.0, owner="w1", lease_seconds=60)
    assert first is not None and first.article_key == "old" and first.state == SENDING and not first.uncertain
    # one post in flight per platform: nobody else gets the next one until this one is settled
    assert store.claim_next("twitter", now=10.0, owner="w2", lease_seconds=60) is None
    assert store.mark_posted(first.id, "w1", "123", "https://x.com/i/web/status/123", 11.0)
    second = store.claim_next("twitter", now=12.0, owner="w2", lease_seconds=60)
    assert second is not None and second.article_key == "new"
    assert store.claim_next("twitter", now=12.0, owner="w3", lease_seconds=60) is None
    # a worker whose lease was taken over cannot overwrite the outcome
    assert not store.mark_failed(first.id, "someone-else", "late")
    assert not store.mark_failed(first.id, "w1", "settled twice")
    posted = store.deliveries(states=(POSTED,))
    assert [(d.article_key, d.remote_id, d.last_error) for d in posted] == [("old", "123", None)]
    assert store.count_posted_since("twitter", 0.0) == 1
    assert store.last_posted_at("twitter") == 11.0


def test_platforms_are_independent(store: Store) -> None:
    store.record_articles([], [_delivery("a"), _delivery("a", "facebook")], 1.0)
    assert store.claim_next("twitter", now=2.0, owner="w1", lease_seconds=60) is not None
    assert store.claim_next("facebook", now=2.0, owner="w2", lease_seconds=60) is not None


def test_expired_lease_comes_back_uncertain(store: Store) -> None:
    store.record_articles([], [_delivery("a")], 1.0)
    claimed = store.claim_next("twitter", now=10.0, owner="dead", lease_seconds=0.5)
    assert claimed is not None
    assert store.claim_next("twitter", now=10.0, owner="w2", lease_seconds=5) is None
    time.sleep(0.6)  # leases run on the database's clock
    again = store.claim_next("twitter", now=10.0, owner="w2", lease_seconds=5)
    assert again is not None and again.id == claimed.id and again.uncertain and again.attempts == 2


def test_retry_waits_and_keeps_publication_order(store: Store) -> None:
    store.record_articles([], [_delivery("first", published=1.0), _delivery("second", published=2.0)], 1.0)
    d = store.claim_next("twitter", now=10.0, owner="w", lease_seconds=60)
    assert d is not None and d.article_key == "first"
    store.mark_retry(d.id, "w", "503", due_at=100.0)
    # the head of the queue is waiting: the next one does not jump ahead of it
    assert store.claim_next("twitter", now=50.0, owner="w", lease_seconds=60) is None
    again = store.claim_next("twitter", now=100.0, owner="w", lease_seconds=60)
    assert again is not None and again.article_key == "first" and again.state == SENDING
    assert store.deliveries(states=(SENDING,))[0].last_error == "503"


def test_rate_limit_retry_does_not_use_an_attempt(store: Store) -> None:
    store.record_articles([], [_delivery("a")], 1.0)
    d = store.claim_next("twitter", now=10.0, owner="w", lease_seconds=60)
    assert d is not None
    store.mark_retry(d.id, "w", "429", due_at=20.0, count_attempt=False)
    row = store.deliveries(states=(RETRY,))[0]
    assert row.attempts == 0 and row.due_at == 20.0


def test_failed_and_requeue(store: Store) -> None:
    store.record_articles([], [_delivery("a"), _delivery("b", "facebook")], 1.0)
    for platform in ("twitter", "facebook"):
        d = store.claim_next(platform, now=2.0, owner="w", lease_seconds=60)
        assert d is not None
        store.mark_failed(d.id, "w", "rejected")
    assert store.requeue_failed(3.0, platform="facebook") == 1
    assert store.queue_counts() == {("twitter", FAILED): 1, ("facebook", QUEUED): 1}


def test_release_gives_the_row_back_unchanged(store: Store) -> None:
    store.record_articles([], [_delivery("a")], 1.0)
    d = store.claim_next("twitter", now=2.0, owner="w", lease_seconds=60)
    assert d is not None
    store.release(d.id, "w")
    row = store.deliveries()[0]
    assert (row.state, row.attempts, row.lease_owner) == (QUEUED, 0, None)


def test_dry_run_rows_are_not_counted_as_posts(store: Store) -> None:
    store.record_articles([], [_delivery("a")], 1.0)
    d = store.claim_next("twitter", now=2.0, owner="w", lease_seconds=60)
    assert d is not None
    store.mark_posted(d.id, "w", "dry-run-1", None, 3.0, state=DRY_RUN)
    assert store.count_posted_since("twitter", 0.0) == 0


def test_forget_keeps_identities_of_posts_in_flight(store: Store) -> None:
    store.record_articles([_seen("old"), _seen("pending")], [_delivery("pending")], now=1.0)
    store.record_articles([_seen("recent")], [], now=500.0)
    assert store.forget_older_than(100.0) == 1
    assert store.known_keys(["old", "pending", "recent"]) == {"pending", "recent"}


def test_platform_state_round_trip(store: Store) -> None:
    assert store.platform_state("facebook").paused_reason is None
    from bot.store.base import PlatformState

    store.save_platform_state(PlatformState("facebook", paused_reason="190", paused_at=5.0))
    assert store.platform_state("facebook").paused_reason == "190"


def test_concurrent_claims_never_hand_out_a_row_twice(db_url: str) -> None:
    setup = open_store(db_url)
    setup.record_articles([], [_delivery(f"a{i}", published=float(i)) for i in range(60)], 1.0)
    setup.close()
    claimed: list[int] = []
    lock = threading.Lock()

    def worker(name: str) -> None:
        s = open_store(db_url)
        while (d := s.claim_next("twitter", now=2.0, owner=name, lease_seconds=600)) is not None:
            with lock:
                claimed.append(d.id)
            s.mark_posted(d.id, name, f"r{d.id}", None, 3.0)
        s.close()

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(claimed) == sorted(set(claimed)) and len(claimed) == 60


@pytest.mark.parametrize("url", ["mysql://x", "nonsense"])
def test_unknown_database_scheme_is_a_clear_error(url: str) -> None:
    from bot.errors import ConfigError

    with pytest.raises(ConfigError, match="not supported"):  # a setting to fix: exit code 2, like the config
        open_store(url)


def test_uncertainty_survives_retries_until_settled(store: Store) -> None:
    store.record_articles([], [_delivery("a")], 1.0)
    d = store.claim_next("twitter", now=2.0, owner="w", lease_seconds=60)
    assert d is not None and not d.uncertain
    assert store.mark_retry(d.id, "w", "timeout", due_at=3.0, uncertain=True)
    d = store.claim_next("twitter", now=3.0, owner="w", lease_seconds=60)
    assert d is not None and d.uncertain
    # a later, unambiguous failure (a 429) does not make the earlier attempt certain
    assert store.mark_retry(d.id, "w", "429", due_at=4.0, count_attempt=False, uncertain=False)
    d = store.claim_next("twitter", now=4.0, owner="w", lease_seconds=60)
    assert d is not None and d.uncertain
    assert store.mark_posted(d.id, "w", "1", None, 5.0)
    assert not store.deliveries()[0].uncertain


def test_thread_parts_are_recorded_and_renew_the_lease(store: Store) -> None:
    store.record_articles([], [_delivery("a")], 1.0)
    d = store.claim_next("twitter", now=2.0, owner="w", lease_seconds=0.5)
    assert d is not None and d.parts == ()
    assert store.record_parts(d.id, "w", ["root"], lease_seconds=1.5)
    time.sleep(0.7)
    assert store.claim_next("twitter", now=10.0, owner="other", lease_seconds=5) is None, "lease renewed"
    assert not store.record_parts(d.id, "other", ["root", "x"], lease_seconds=30)
    time.sleep(1.0)
    again = store.claim_next("twitter", now=10.0, owner="other", lease_seconds=5)
    assert again is not None and again.parts == ("root",) and again.uncertain


def test_leases_are_set_and_compared_on_the_database_clock(store: Store) -> None:
    store.record_articles([], [_delivery("a")], 1.0)
    now = time.time()
    # A host whose clock is 400 s behind claims; one 400 s ahead looks: both must see the same live lease.
    claimed = store.claim_next("twitter", now=now - 400, owner="slow-clock", lease_seconds=60)
    assert claimed is not None and claimed.lease_until is not None
    assert abs(claimed.lease_until - (store.lease_clock() + 60)) < 5, "the lease runs 60 s on the database clock"
    assert store.claim_next("twitter", now=now + 400, owner="fast-clock", lease_seconds=60) is None
    held = store.blocking("twitter")
    assert held is not None and (held.id, held.lease_owner) == (claimed.id, "slow-clock")
    if "FAKETIME" not in os.environ:  # under clock-ahead this process is a year ahead of the Postgres server
        assert abs(store.lease_clock() - time.time()) < 5


def test_renewal_and_expiry_touch_only_the_holders_row(store: Store) -> None:
    store.record_articles([], [_delivery("a"), _delivery("b", published=2000.0)], 1.0)
    d = store.claim_next("twitter", now=2.0, owner="w", lease_seconds=0.5)
    assert d is not None
    assert not store.renew_lease(d.id, "intruder", 60) and not store.expire_lease(d.id, "intruder")
    assert store.renew_lease(d.id, "w", 60)
    time.sleep(0.6)
    assert store.blocking("twitter") is not None, "renewed: still live after the first lease"
    assert store.expire_lease(d.id, "w", grace=2.0)  # its holder is gone: ended 2 s from now, left uncertain
    assert store.blocking("twitter") is not None
    assert store.expire_lease(d.id, "w", grace=60.0)  # a second worker that sees it gone never extends it
    time.sleep(2.1)
    assert store.blocking("twitter") is None
    again = store.claim_next("twitter", now=2.0, owner="w2", lease_seconds=60)
    assert again is not None and again.id == d.id and again.uncertain
    assert store.mark_posted(again.id, "w2", "1", None, 3.0)
    # settled: a stale heartbeat of either owner extends nothing, not even when the owner claims again
    assert not store.renew_lease(d.id, "w2", 60) and not store.renew_lease(d.id, "w", 60)
    nxt = store.claim_next("twitter", now=3.0, owner="w2", lease_seconds=60)
    assert nxt is not None and nxt.article_key == "b"
    assert not store.renew_lease(d.id, "w2", 60), "the settled row stays settled"


def test_upgrade_from_schema_version_1_keeps_the_outbox(db_url: str) -> None:
    from bot.store.sql import SqlStore

    old = open_store(db_url, migrate=False)
    assert isinstance(old, SqlStore)
    with old._transaction() as cur:  # a database as version 1 left it
        old._exec(cur, "CREATE TABLE schema_version (version INTEGER NOT NULL)")
        old._exec(cur, "INSERT INTO schema_version (version) VALUES (1)")
        old._run_script(cur, MIGRATIONS[0].format(real=old.real_type, serial=old.serial_type))
        old._exec(cur, "INSERT INTO outbox (article_key, platform, feed_url, article_url, title, text, hashtags, "
                       "thread, created_at, state, due_at) VALUES ('a', 'twitter', 'f', 'u', 't', 'x', '[]', '[]', "
                       "1.0, 'queued', 1.0)")
    old.close()
    upgraded = open_store(db_url)
    row = upgraded.deliveries()[0]
    # "a" is an opaque id: migration 3 scopes it by the row's feed
    assert (row.article_key, row.uncertain, row.parts) == ("feed:f a", False, ())
    assert upgraded.migrate() == len(MIGRATIONS)
    upgraded.close()


@pytest.mark.parametrize(("url", "expected"), [
    ("postgres://u:p@db.example:5432/d", "postgresql://u:p@db.example:5432/d"),
    ("postgresql+psycopg://u@h/d", "postgresql://u@h/d"),
    ("postgresql://u@h/d?sslmode=require", "postgresql://u@h/d?sslmode=require"),
])
def test_heroku_style_postgres_urls(url: str, expected: str) -> None:
    from bot.store.postgres import normalise_url

    assert normalise_url(url) == expected


def test_heroku_postgres_scheme_opens_postgres(pg_url: str) -> None:
    store = open_store(pg_url.replace("postgresql://", "postgres://", 1))
    assert type(store).__name__ == "PostgresStore"
    store.close()


def test_postgres_reconnects_after_the_connection_is_lost(pg_url: str) -> None:
    import psycopg

    from bot.errors import StoreError

    store = open_store(pg_url)
    store.record_articles([], [_delivery("a")], 1.0)
    pid = store._conn.info.backend_pid  # type: ignore[attr-defined]
    with psycopg.connect(pg_url, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
    with pytest.raises(StoreError, match="Postgres failed"):
        store.queue_counts()  # the call that meets the dead connection says so, as a StoreError
    assert store.queue_counts() == {("twitter", QUEUED): 1}, "the next one reconnects"
    store.close()
