"""Delivery in one process: the real platform clients against the local fakes, the real store (SQLite and
Postgres), and a clock the test controls. Each test puts one of the issue's guarantees under a fault."""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from bot.config import Config, FeedConfig, PlatformConfig, Secret
from bot.delivery.loop import deliver_platform
from bot.errors import ConfigError, RateLimited, RetryableError
from bot.networks.facebook import FacebookCredentials
from bot.networks.twitter import TwitterCredentials
from bot.platforms.facebook import FacebookPlatform
from bot.platforms.twitter import TwitterPlatform
from bot.retries import Tuning, backoff, retry_delay
from bot.store import Store, open_store
from bot.store.base import FAILED, POSTED, QUEUED, RETRY, NewDelivery
from tests.helpers import FB_PAGE_ID, FB_TOKEN, X_KEYS, fake_graph, fake_x

# lookup_lag=0: these fakes show a post to a lookup the instant it exists (tests/test_crash.py plays a lag).
FAST = Tuning(lease_seconds=60, backoff_base=10, backoff_cap=100, max_attempts=3, pause_probe_seconds=30,
              lookup_lag=0)


class Clock:
    """Starts at the real time: the fakes' reset headers are real epoch seconds."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def _config(**overrides: Any) -> Config:
    platforms = {name: replace(PlatformConfig(name), **overrides.get(name, {})) for name in ("twitter", "facebook")}
    return Config(path=None, feeds=(FeedConfig(url="https://news.example.org/feed", name="news"),),
                  platforms=platforms)


def _row(n: int, platform: str, thread: tuple[str, ...] = (), now: float = 0.0) -> NewDelivery:
    link = f"https://news.example.org/2026/11/story-{n}/"
    text = f"Story {n} about the council {link}" if platform == "twitter" else f"Story {n} about the council"
    return NewDelivery(article_key=f"a{n}", platform=platform, feed_url="f", article_url=link, title=f"Story {n}",
                       text=text, link=link, hashtags=(), image_url=None, image_alt=None, thread=thread,
                       published_at=1000.0 + n, due_at=now)


def _x(server: Any) -> TwitterPlatform:
    creds = TwitterCredentials(*(Secret(X_KEYS[k]) for k in (
        "TWITTER_API_KEY", "TWITTER_API_SECRET", "TWITTER_ACCESS_TOKEN", "TWITTER_ACCESS_TOKEN_SECRET")))
    return TwitterPlatform(creds, server.url)


def _fb(server: Any, token: str = FB_TOKEN) -> FacebookPlatform:
    return FacebookPlatform(FacebookCredentials(FB_PAGE_ID, Secret(token)), server.url)


@pytest.fixture
def x() -> Iterator[Any]:
    with fake_x() as server:
        yield server


@pytest.fixture
def graph() -> Iterator[Any]:
    with fake_graph() as server:
        yield server


def _posts(server: Any) -> int:
    return int(server.count("POST", "/2/tweets") if hasattr(server, "tweets") else server.count("POST", "*/feed"))


def test_dropped_answer_after_x_posted_is_looked_up_not_reposted(store: Store, x: Any) -> None:
    clock = Clock()
    store.record_articles([], [_row(1, "twitter")], clock.now)
    x.fail_after_commit(how="drop")  # X records the tweet, the client sees a dropped connection
    report = deliver_platform(_config(), store, _x(x), "w", clock=clock, tuning=FAST)
    assert report.posted == [] and isinstance(report.waiting, str)
    row = store.deliveries()[0]
    assert row.state == RETRY and row.uncertain and len(x.tweets) == 1
    clock.now = row.due_at
    report = deliver_platform(_config(), store, _x(x), "w", clock=clock, tuning=FAST)
    assert [r.remote_id for _, r in report.posted] == [x.tweets[0]["id"]]
    assert len(x.tweets) == 1 and x.count("POST", "/2/tweets") == 1, "found by its link, not posted again"
    assert x.count("GET", "/2/users/*/tweets") == 1
    settled = store.deliveries()[0]
    assert (settled.state, settled.remote_id, settled.uncertain) == (POSTED, x.tweets[0]["id"], False)
    assert settled.remote_url == f"https://x.com/i/web/status/{x.tweets[0]['id']}"


def test_graph_code_2_after_the_post_was_made_is_looked_up(store: Store, graph: Any) -> None:
    clock = Clock()
    store.record_articles([], [_row(1, "facebook")], clock.now)
    graph.fail_after_commit(how="error")  # the post exists, the answer is code 2
    deliver_platform(_config(), store, _fb(graph), "w", clock=clock, tuning=FAST)
    clock.now = store.deliveries()[0].due_at
    deliver_platform(_config(), store, _fb(graph), "w", clock=clock, tuning=FAST)
    assert len(graph.posts) == 1 and graph.count("POST", "*/feed") == 1
    assert store.deliveries()[0].remote_id == graph.posts[0]["id"]


def test_x_timeout_leaves_the_post_uncertain_and_it_is_found(store: Store, x: Any) -> None:
    clock = Clock()
    store.record_articles([], [_row(1, "twitter")], clock.now)
    platform = _x(x)
    for adapter in platform.client.session.adapters.values():
        if hasattr(adapter, "timeout"):
            adapter.timeout = (1.0, 0.5)
    x.stall(2.0, commit=True)  # X posts it, then answers too late
    deliver_platform(_config(), store, platform, "w", clock=clock, tuning=FAST)
    assert store.deliveries()[0].uncertain
    clock.now = store.deliveries()[0].due_at
    deliver_platform(_config(), store, platform, "w", clock=clock, tuning=FAST)
    assert len(x.tweets) == 1 and store.deliveries()[0].state == POSTED


def test_duplicate_refusal_is_looked_up_and_recorded(store: Store, x: Any) -> None:
    clock = Clock()
    store.record_articles([], [_row(1, "twitter")], clock.now)
    existing = x.add_tweet(_row(1, "twitter").text)  # posted before, by a run whose record was lost
    report = deliver_platform(_config(), store, _x(x), "w", clock=clock, tuning=FAST)
    assert [r.remote_id for _, r in report.posted] == [existing["id"]]
    assert len(x.tweets) == 1


def test_duplicate_that_cannot_be_found_fails_for_good(store: Store, x: Any) -> None:
    clock = Clock()
    store.record_articles([], [_row(1, "twitter")], clock.now)
    x.fail(403, body={"title": "Forbidden", "status": 403, "type": "about:blank",
                      "detail": "You are not allowed to create a Tweet with duplicate content."})
    report = deliver_platform(_config(), store, _x(x), "w", clock=clock, tuning=FAST)
    assert len(report.failed) == 1 and "duplicate" in report.failed[0][1]
    assert store.deliveries()[0].state == FAILED
    clock.now += 10_000
    deliver_platform(_config(), store, _x(x), "w", clock=clock, tuning=FAST)
    assert x.count("POST", "/2/tweets") == 1, "a duplicate answer is never retried blindly"


def test_a_thread_part_the_account_already_has_ends_the_thread_without_a_second_post(store: Store, x: Any) -> None:
    """Two articles share a paragraph word for word: X refuses the second article's copy of that part as a
    duplicate (issue 24). Its thread ends with the parts already out, posted; nothing is sent twice or lost."""
    clock = Clock()
    shared = "3/3 The council publishes its minutes within a week."
    store.record_articles([], [_row(1, "twitter", thread=("2/3 The budget passed.", shared))], clock.now)
    deliver_platform(_config(), store, _x(x), "w", clock=clock, tuning=FAST)
    store.record_articles([], [_row(2, "twitter", thread=("2/3 The library opens on Sundays.", shared))], clock.now)
    report = deliver_platform(_config(), store, _x(x), "w", clock=clock, tuning=FAST)
    [(row, result)] = report.posted
    root = next(t for t in x.tweets if t["text"].startswith("Story 2 "))
    assert row.article_key == "a2" and result.remote_id == root["id"]
    second = next(d for d in store.deliveries() if d.article_key == "a2")
    assert second.state == POSTED and second.remote_id == root["id"]
    texts = [t["text"] for t in x.tweets]
    assert texts.count(shared) == 1 and "2/3 The library opens on Sundays." in texts, texts
    refused = [r for r in x.requests if r["method"] == "POST" and r.get("duplicate")]
    assert len(refused) == 1, "the shared part was tried once, refused, and never again"
    clock.now += 10_000
    deliver_platform(_config(), store, _x(x), "w", clock=clock, tuning=FAST)
    assert x.count("POST", "/2/tweets") == 6, "3 + 3 requests, none after"


def test_crash_mid_thread_resumes_after_the_last_part_posted(store: Store, x: Any) -> None:
    clock = Clock()
    store.record_articles([], [_row(1, "twitter", thread=("2/3 more", "3/3 end"))], clock.now)
    # the root goes out and is recorded; the first reply is made but its answer is lost
    x.stall(0.01, endpoint="POST /2/tweets")  # root: a normal answer (the work is done, then a tiny wait)
    x.fail_after_commit(how="drop")  # first reply: made, answer lost
    platform = _x(x)
    deliver_platform(_config(), store, platform, "w", clock=clock, tuning=FAST)
    row = store.deliveries()[0]
    assert row.state == RETRY and row.uncertain and row.parts == (x.tweets[0]["id"],)
    assert len(x.tweets) == 2
    clock.now = row.due_at
    deliver_platform(_config(), store, platform, "w", clock=clock, tuning=FAST)
    tweets = x.tweets
    assert [t["text"] for t in tweets][1:] == ["2/3 more", "3/3 end"], "nothing posted twice, nothing missing"
    assert [t["reply_to"] for t in tweets] == [None, tweets[0]["id"], tweets[1]["id"]]
    assert store.deliveries()[0].remote_id == tweets[0]["id"]


def test_platform_quota_headers_stop_posting_before_a_429(store: Store) -> None:
    clock = Clock()
    with fake_x(daily_user_limit=2) as x:
        store.record_articles([], [_row(n, "twitter") for n in (1, 2, 3)], clock.now)
        report = deliver_platform(_config(), store, _x(x), "w", clock=clock, tuning=FAST)
        assert len(report.posted) == 2 and report.waiting and "limit is used up" in report.waiting
        assert x.count("POST", "/2/tweets") == 2, "the third was not even tried"
        state = store.platform_state("twitter")
        assert state.quota_remaining == 0 and state.quota_reset_at and state.quota_reset_at > clock.now
        # a new process (a new client with no memory) honours it too: it is in the store
        again = deliver_platform(_config(), store, _x(x), "w2", clock=clock, tuning=FAST)
        assert again.posted == [] and x.count("POST", "/2/tweets") == 2


def test_429_is_retried_after_the_reset_time_and_costs_no_attempt(store: Store, x: Any) -> None:
    clock = Clock()
    store.record_articles([], [_row(1, "twitter"), _row(2, "twitter")], clock.now)
    x.rate_limit(reset_in_seconds=600)
    report = deliver_platform(_config(), store, _x(x), "w", clock=clock, tuning=FAST)
    assert report.posted == [] and isinstance(report.waiting, str)
    head = store.deliveries(states=(RETRY,))[0]
    assert head.attempts == 0 and not head.uncertain, "a 429 is an answer: nothing was posted"
    assert head.due_at >= clock.now + 590  # X's reset (whole seconds of real time) is the earliest retry
    clock.now = head.due_at - 1
    deliver_platform(_config(), store, _x(x), "w", clock=clock, tuning=FAST)
    assert x.count("POST", "/2/tweets") == 1, "nothing goes before the reset, not even the next post"
    clock.now = head.due_at
    report = deliver_platform(_config(), store, _x(x), "w", clock=clock, tuning=FAST)
    assert [d.article_key for d, _ in report.posted] == ["a1", "a2"]


def test_retries_back_off_then_fail_with_the_reason(store: Store, x: Any) -> None:
    clock = Clock()
    store.record_articles([], [_row(1, "twitter")], clock.now)
    x.fail(503, times=10)
    delays = []
    for _ in range(FAST.max_attempts):
        before = clock.now
        deliver_platform(_config(), store, _x(x), "w", clock=clock, tuning=FAST)
        row = store.deliveries()[0]
        if row.state != RETRY:
            break
        delays.append(row.due_at - before)
        clock.now = row.due_at
    row = store.deliveries()[0]
    assert row.state == FAILED and "gave up after 3 attempts" in (row.last_error or "")
    assert 5 <= delays[0] <= 10 and 10 <= delays[1] <= 20, delays


def test_needs_human_pauses_one_platform_and_the_queue_waits(store: Store, x: Any, graph: Any) -> None:
    clock = Clock()
    store.record_articles([], [_row(1, "twitter"), _row(1, "facebook"), _row(2, "facebook")], clock.now)
    graph.expire_token()
    fb = deliver_platform(_config(), store, _fb(graph), "w", clock=clock, tuning=FAST)
    tw = deliver_platform(_config(), store, _x(x), "w", clock=clock, tuning=FAST)
    assert fb.waiting and "190" in str(fb.waiting) and len(tw.posted) == 1
    assert store.platform_state("facebook").paused_reason
    assert store.queue_counts()[("facebook", QUEUED)] == 2
    # still paused and not probed again before the probe interval
    clock.now += 5
    assert "PAUSED" in str(deliver_platform(_config(), store, _fb(graph), "w", clock=clock, tuning=FAST).waiting)
    graph.set_token(FB_TOKEN)  # a human renewed the token
    clock.now += FAST.pause_probe_seconds
    fb = deliver_platform(_config(), store, _fb(graph), "w", clock=clock, tuning=FAST)
    assert [d.article_key for d, _ in fb.posted] == ["a1", "a2"]
    assert store.platform_state("facebook").paused_reason is None


def test_rejected_content_fails_with_the_platform_message(store: Store, x: Any) -> None:
    clock = Clock()
    row = replace(_row(1, "twitter"), text="word " * 70)
    store.record_articles([], [row, _row(2, "twitter")], clock.now)
    report = deliver_platform(_config(), store, _x(x), "w", clock=clock, tuning=FAST)
    assert "too long" in report.failed[0][1] and [d.article_key for d, _ in report.posted] == ["a2"]


def test_a_lost_lease_never_overwrites_the_new_owner(db_url: str, x: Any) -> None:
    clock = Clock()
    first, second = open_store(db_url), open_store(db_url)
    first.record_articles([], [_row(1, "twitter")], clock.now)
    mine = first.claim_next("twitter", clock.now, "dead", 0.3)
    assert mine is not None
    time.sleep(0.4)  # the lease ran out (database clock); another worker takes the post over and settles it
    report = deliver_platform(_config(), second, _x(x), "alive", clock=clock, tuning=FAST)
    assert len(report.posted) == 1
    assert not first.mark_failed(mine.id, "dead", "late answer")
    assert first.deliveries()[0].state == POSTED
    first.close()
    second.close()


def test_tuning_from_env_and_delays() -> None:
    tuning = Tuning.from_env({"BOT_LEASE_SECONDS": "2.5", "BOT_MAX_ATTEMPTS": "4", "BOT_TEST_PAUSE_AFTER_SEND": "0.1"})
    assert (tuning.lease_seconds, tuning.max_attempts, tuning.pause_after_send) == (2.5, 4, 0.1)
    # production: a dead worker's post is taken over within 30 s (a live one renews its lease)
    assert Tuning.from_env({}) == Tuning() and 10 <= Tuning().lease_seconds <= 30
    with pytest.raises(ConfigError, match="BOT_LEASE_SECONDS"):
        Tuning.from_env({"BOT_LEASE_SECONDS": "soon"})
    rng = random.Random(1)
    assert [round(backoff(n, Tuning(), rng)) // 1 >= 15 * 2 ** (n - 1) for n in (1, 2, 3)] == [True] * 3
    assert backoff(30, Tuning(), rng) <= Tuning().backoff_cap
    limited = RateLimited("429", platform="twitter", retry_after=120.0)
    assert all(120 <= retry_delay(limited, 1, Tuning(), rng) <= 125 for _ in range(50))
    assert 15 <= retry_delay(RetryableError("503", platform="twitter"), 1, Tuning(), rng) <= 30


class _Recorder:
    """A platform that only counts what it is asked to do."""

    name = "twitter"

    def __init__(self) -> None:
        self.published: list[str] = []

    def publish(self, draft: Any, done: Any = (), on_part: Any = None) -> Any:
        from bot.models import PostResult

        self.published.append(draft.article_key)
        return PostResult(remote_id=f"r{len(self.published)}", url=None)

    def find_existing(self, draft: Any, done: Any = ()) -> Any:
        return None

    def quota(self) -> Any:
        return None

    def verify(self) -> Any:
        return None

    def close(self) -> None:
        pass


def test_a_claim_whose_lease_is_nearly_spent_is_renewed_before_sending(store: Store) -> None:
    from bot.delivery.loop import Sender

    clock = Clock()
    store.record_articles([], [_row(1, "twitter")], clock.now)
    claimed = store.claim_next("twitter", clock.now, "slow", 1.0)
    assert claimed is not None
    time.sleep(0.8)  # a wait for the database lock ate most of the lease
    platform = _Recorder()
    assert Sender(store, platform, claimed, "slow", clock, replace(FAST, lease_seconds=1.0)).send() is not None
    assert platform.published == ["a1"]
    assert store.deliveries()[0].state == POSTED


def test_a_claim_taken_over_meanwhile_sends_nothing(store: Store) -> None:
    from bot.delivery.loop import Sender

    clock = Clock()
    store.record_articles([], [_row(1, "twitter")], clock.now)
    claimed = store.claim_next("twitter", clock.now, "slow", 0.3)
    assert claimed is not None
    time.sleep(0.4)  # frozen past its lease (a stopped process, a long pause)
    assert store.claim_next("twitter", clock.now, "fast", 10) is not None  # the lease ran out: taken over
    platform = _Recorder()
    assert Sender(store, platform, claimed, "slow", clock, replace(FAST, lease_seconds=10)).send() is None
    assert platform.published == [], "the slow worker must not send what another worker now owns"


# --- an image uploaded before its post (issue 24) ---------------------------------------------------------------
# The upload is kept with the outbox row (a staged part: bot.platforms.staged) before the post is sent, so an
# attempt cut short after it (a 503, a lost answer, a kill) leaves no unused upload: the next one posts with it.


@pytest.fixture
def site() -> Iterator[Any]:
    from tests.fakes.feed_server import FeedServer
    from tests.parts import png

    with FeedServer() as server:
        server.set("/images/story.png", png(), content_type="image/png")
        yield server


def _illustrated(store: Store, site: Any, clock: Clock, thread: tuple[str, ...] = ()) -> Config:
    """One X row with the site's image (its feed is the site, so the image's host is trusted), and its config."""
    feed = site.url_for("/feed.xml")
    row = replace(_row(1, "twitter", thread), feed_url=feed, image_url=site.url_for("/images/story.png"),
                  image_alt="The council chamber")
    store.record_articles([], [row], clock.now)
    return Config(path=None, feeds=(FeedConfig(url=feed, name="news"),),
                  platforms={"twitter": PlatformConfig("twitter")})


def _x_at(server: Any, ahead: float) -> TwitterPlatform:
    """An X client whose clock is `ahead` seconds past the real one (an attempt that comes back that much later)."""
    platform = _x(server)
    platform._clock = lambda: time.time() + ahead
    return platform


def test_x_an_image_uploaded_before_a_503_is_kept_with_the_row_and_carried_by_the_retry(store: Store, x: Any,
                                                                                       site: Any) -> None:
    from bot.platforms.staged import posted, staged
    from tests.parts import media_faults, orphans, thread_faults, x_media, x_posts

    clock = Clock()
    config = _illustrated(store, site, clock, thread=("2/2 The budget passed.",))
    x.fail(503)  # POST /2/tweets, after the upload
    deliver_platform(config, store, _x(x), "w1", clock=clock, tuning=FAST)
    row = store.deliveries()[0]
    [upload] = x.uploads
    assert row.state == RETRY and x.tweets == []
    [kept] = staged(row.parts)
    assert posted(row.parts) == [] and kept.id == upload["id"], "kept with the row, and not taken for a post"
    assert kept.expires_at is not None and 86000 < kept.expires_at - time.time() <= 86400, "X's expires_after_secs"
    clock.now = row.due_at
    deliver_platform(config, store, _x(x), "w1", clock=clock, tuning=FAST)
    row = store.deliveries()[0]
    uploads, carried = x_media(x)
    assert row.state == POSTED and len(uploads) == 1
    assert media_faults(uploads, carried, [str(row.remote_id)]) == [] and orphans(uploads, carried) == []
    assert thread_faults([row], x_posts(x)) == []


def test_x_a_root_found_after_a_lost_answer_replaces_the_staged_upload(store: Store, x: Any, site: Any) -> None:
    from tests.parts import media_faults, orphans, thread_faults, x_media, x_posts

    clock = Clock()
    config = _illustrated(store, site, clock, thread=("2/2 The budget passed.",))
    x.fail_after_commit(how="drop")  # the root is made with its image; its answer is lost
    deliver_platform(config, store, _x(x), "w1", clock=clock, tuning=FAST)
    assert store.deliveries()[0].uncertain and len(x.tweets) == 1
    clock.now = store.deliveries()[0].due_at
    deliver_platform(config, store, _x(x), "w2", clock=clock, tuning=FAST)
    row = store.deliveries()[0]
    uploads, carried = x_media(x)
    assert row.state == POSTED and row.remote_id == x.tweets[0]["id"], "found, recorded in place of the upload"
    assert len(uploads) == 1 and media_faults(uploads, carried, [row.remote_id]) == []
    assert orphans(uploads, carried) == [] and thread_faults([row], x_posts(x)) == []
    assert not any(r.get("duplicate") for r in x.requests), "the root was never sent again"


def test_x_a_kill_between_the_upload_and_the_post_resumes_with_the_same_media(store: Store, x: Any,
                                                                              site: Any) -> None:
    from tests.parts import media_faults, orphans, x_media

    clock = Clock()
    config = _illustrated(store, site, clock)
    x.drop_connection()  # POST /2/tweets never arrives: as if the process died after keeping the upload
    deliver_platform(config, store, _x(x), "w1", clock=clock, tuning=FAST)
    assert store.deliveries()[0].uncertain and x.tweets == [] and len(x.uploads) == 1
    clock.now = store.deliveries()[0].due_at
    deliver_platform(config, store, _x(x), "w2", clock=clock, tuning=FAST)  # looks it up, then posts
    row = store.deliveries()[0]
    uploads, carried = x_media(x)
    assert row.state == POSTED and len(uploads) == 1 and orphans(uploads, carried) == []
    assert media_faults(uploads, carried, [str(row.remote_id)]) == []


def test_x_a_lost_lease_right_after_the_upload_stops_the_post_and_the_upload_is_reused(x: Any, site: Any) -> None:
    from bot.delivery.loop import LeaseLost
    from bot.models import Draft, Image

    draft = Draft(platform="twitter", article_key="a1", text="Story 1 https://news.example.org/1/",
                  link="https://news.example.org/1/", image=Image(site.url_for("/images/story.png"), "A map"),
                  feed_url=site.url_for("/feed.xml"))
    kept: list[list[str]] = []

    def lost(parts: list[str]) -> None:
        kept.append(parts)
        raise LeaseLost()  # recorded, then the lease is gone: not an image failure to post without

    with pytest.raises(LeaseLost):
        _x(x).publish(draft, (), lost)
    assert x.tweets == [] and len(kept) == 1
    result = _x(x).publish(draft, kept[0])
    assert [t["media_ids"] for t in x.tweets] == [[x.uploads[0]["id"]]] and len(x.uploads) == 1
    assert result.remote_id == x.tweets[0]["id"]


def test_x_an_upload_past_its_life_is_uploaded_again(store: Store, x: Any, site: Any) -> None:
    from bot.platforms.staged import MEDIA_MARGIN_SECONDS

    clock = Clock()
    config = _illustrated(store, site, clock)
    x.fail(503)
    deliver_platform(config, store, _x(x), "w1", clock=clock, tuning=FAST)
    clock.now = store.deliveries()[0].due_at
    # The next attempt comes a day later (an outage, a paused account): less than the margin is left.
    deliver_platform(config, store, _x_at(x, 86400 - MEDIA_MARGIN_SECONDS + 60), "w1", clock=clock, tuning=FAST)
    _, second = x.uploads
    [tweet] = x.tweets
    assert tweet["media_ids"] == [second["id"]] and store.deliveries()[0].state == POSTED
    assert not any(r["path"] == "/2/tweets" and r["status"] == 400 for r in x.requests), "never tried the old one"


def test_x_an_upload_x_no_longer_has_is_uploaded_again_and_posted_once(store: Store, x: Any, site: Any) -> None:
    clock = Clock()
    config = _illustrated(store, site, clock)
    x.fail(503)
    deliver_platform(config, store, _x(x), "w1", clock=clock, tuning=FAST)
    x.expire_media(x.uploads[0]["id"])  # gone sooner than X said
    clock.now = store.deliveries()[0].due_at
    deliver_platform(config, store, _x(x), "w1", clock=clock, tuning=FAST)
    _, second = x.uploads
    [tweet] = x.tweets
    assert tweet["media_ids"] == [second["id"]] and store.deliveries()[0].state == POSTED
    refused = [r for r in x.requests if r["path"] == "/2/tweets" and r["status"] == 400]
    assert len(refused) == 1, "X refused the old media id (400 'Your media IDs are invalid.'), as it does"
