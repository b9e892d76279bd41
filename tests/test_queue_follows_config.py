"""The queue follows the config an editor saves (issue 21 item 4): a queued post goes out only if the config in
force when it goes out still sends it; otherwise it goes back to review or is dropped, and `bot queue` says why
before it happens. The real X client against the local fake, the real store (SQLite and Postgres)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot import review
from bot.config import Config, Environment, parse_config
from bot.delivery.loop import deliver_platform
from bot.store import Store
from bot.store.base import POSTED, QUEUED, RETRY, REVIEW, SKIPPED, FeedState, NewDelivery
from tests.helpers import fake_x
from tests.test_delivery import FAST, _x

FEED = "https://news.example.org/feed"
OTHER = "https://other.example.org/feed"
T0 = 1_800_000_000.0  # the clock is an input: no test here reads today's date
DAY = 86_400.0


@pytest.fixture
def x() -> Iterator[Any]:
    with fake_x() as server:
        yield server


def _config(text: str) -> Config:
    return parse_config(text, None, Environment())


def _feeds(*blocks: str) -> str:
    return "".join(blocks)


NEWS = f'[[feeds]]\nurl = "{FEED}"\nname = "news"\n'
OTHER_FEED = f'[[feeds]]\nurl = "{OTHER}"\nname = "other"\n'
TWITTER = "[platforms.twitter]\n"


def _row(n: int, published: float, feed: str = FEED, **kw: Any) -> NewDelivery:
    link = f"https://news.example.org/2026/11/story-{n}/"
    return NewDelivery(article_key=f"a{n}", platform="twitter", feed_url=feed, article_url=link, title=f"Story {n}",
                       text=f"Story {n} about the council {link}", link=link, hashtags=(), image_url=None,
                       image_alt=None, thread=(), published_at=published, due_at=published, **kw)


def _queue(store: Store, rows: list[NewDelivery], now: float) -> None:
    """As a poll of the feed leaves them: the feed read (its state stored) and its posts queued."""
    for url in {r.feed_url for r in rows}:
        if url in (FEED, OTHER):
            store.save_feed_state(FeedState(url=url, baseline_done=True))
    store.record_articles([], rows, now)


def _deliver(config: Config, store: Store, x: Any, now: float) -> Any:
    return deliver_platform(config, store, _x(x), "w", clock=lambda: now, tuning=FAST)


def _why(config: Config, store: Store, now: float) -> dict[str, str | None]:
    return {i.delivery.title: i.wait_reason for i in review.queue(config, store, now)}


def test_review_switched_on_holds_the_posts_queued_before(store: Store, x: Any) -> None:
    _queue(store, [_row(1, T0 - 60), _row(2, T0 - 30)], T0)
    after = _config(NEWS + TWITTER + "review = true\n")
    shown = _why(after, store, T0 + 10)
    assert all("not sent until approved: review was switched on" in (w or "") for w in shown.values()), shown

    report = _deliver(after, store, x, T0 + 10)
    assert x.tweets == [] and report.posted == [], "review is on now: nothing goes out unreviewed"
    rows = store.deliveries()
    assert {r.state for r in rows} == {REVIEW} and all(r.review_until == T0 + 10 + 3 * DAY for r in rows)
    assert all(r.attempts == 0 for r in rows), "withholding a post uses up none of its attempts"
    assert [w for _, w in report.withheld] == ["back to review: review was switched on after it was queued: it "
                                               "waits for an editor"] * 2
    first = min(r.id for r in rows)
    review.approve(store, [first], T0 + 20)
    report = _deliver(after, store, x, T0 + 30)
    assert len(x.tweets) == 1 and [d.id for d, _ in report.posted] == [first], "an approved post goes"


def test_a_removed_feed_drops_its_queued_posts_and_a_one_off_post_still_goes(store: Store, x: Any) -> None:
    one_off = _row(3, T0 - 10, feed="https://news.example.org/2026/11/story-3/")  # `bot post URL`: no feed's
    _queue(store, [_row(1, T0 - 60), _row(2, T0 - 30), one_off], T0)
    after = _config(OTHER_FEED + TWITTER)
    shown = _why(after, store, T0 + 10)
    assert shown["Story 1"] == "not sent, dropped when it comes up: its feed is no longer in the config"
    assert shown["Story 3"] is None

    report = _deliver(after, store, x, T0 + 10)
    assert [t["text"] for t in x.tweets] == [one_off.text]
    by_title = {r.title: r for r in store.deliveries()}
    assert by_title["Story 1"].state == by_title["Story 2"].state == SKIPPED
    assert by_title["Story 1"].last_error == "its feed is no longer in the config"
    assert by_title["Story 3"].state == POSTED and len(report.withheld) == 2


def test_a_feed_no_longer_routed_to_the_account_drops_its_posts(store: Store, x: Any) -> None:
    _queue(store, [_row(1, T0 - 60)], T0)
    after = _config(NEWS + 'platforms = ["facebook"]\n' + TWITTER + "[platforms.facebook]\n")
    report = _deliver(after, store, x, T0 + 10)
    assert x.tweets == [] and [w for _, w in report.withheld] == ["dropped, never sent: feed news no longer posts "
                                                                  "to twitter"]
    assert store.deliveries()[0].state == SKIPPED


def test_an_account_that_comes_back_drops_what_aged_and_paces_the_rest(store: Store, x: Any) -> None:
    _queue(store, [_row(n, T0 - 600 + n) for n in range(1, 4)], T0)  # queued; then the account is turned off
    off = _config(NEWS + "[platforms.twitter]\nenabled = false\n[platforms.facebook]\n")
    listed = [i for i in review.queue(off, store, T0 + DAY) if i.delivery.platform == "twitter"]
    assert len(listed) == 3, "its rows are not hidden"
    assert all("account twitter is not in the config" in (i.wait_reason or "") for i in listed)

    back = T0 + 3 * DAY  # three days later the account is turned on again; meanwhile eight fresh posts queued
    _queue(store, [_row(n, back - 3600 + n) for n in range(10, 18)], back - 3000)
    on = _config(NEWS + TWITTER)
    assert "dropped when it comes up: its article is 3.0 days old" in (_why(on, store, back)["Story 1"] or "")
    report = _deliver(on, store, x, back)
    states = {r.title: r.state for r in store.deliveries(limit=100)}
    assert [states[f"Story {n}"] for n in range(1, 4)] == [SKIPPED] * 3, "older than max_age_days: not sent"
    assert len(x.tweets) == 5, "the fresh ones go out at the pace of a backlog: a burst of 5, not 8 at once"
    assert report.waiting is not None and report.waiting.startswith("paced: a backlog goes out 5 at once, then one "
                                                                    "every 2m")
    assert [states[f"Story {n}"] for n in range(15, 18)] == [QUEUED] * 3
    _deliver(on, store, x, back + 120)
    assert len(x.tweets) == 6, "one more a gap later"


def test_an_approved_post_goes_whatever_its_age(store: Store, x: Any) -> None:
    _queue(store, [_row(1, T0 - 60, review_until=T0 + 30 * DAY)], T0)
    config = _config(NEWS + TWITTER + "review = true\n")
    (row,) = store.deliveries()
    review.approve(store, [row.id], T0 + 5 * DAY)
    _deliver(config, store, x, T0 + 5 * DAY)
    assert len(x.tweets) == 1, "an editor chose it: max_age_days does not override that"


def test_a_removed_feed_with_credentials_in_its_url_drops_its_posts_too(store: Store, x: Any) -> None:
    """The outbox names a feed without its credentials (`***`), as the store keeps every URL: still its feed."""
    secret_feed = "https://reader:s3cret@news.example.org/private/feed"
    store.save_feed_state(FeedState(url=secret_feed, baseline_done=True))
    store.record_articles([], [_row(1, T0 - 60, feed=secret_feed)], T0)
    kept = _config(f'[[feeds]]\nurl = "{secret_feed}"\nname = "private"\n' + TWITTER)
    assert _why(kept, store, T0 + 10) == {"Story 1": None}, "configured: it goes"
    report = _deliver(_config(OTHER_FEED + TWITTER), store, x, T0 + 10)
    assert x.tweets == [] and [w for _, w in report.withheld] == ["dropped, never sent: its feed is no longer in "
                                                                  "the config"]


def test_the_real_commands_show_and_drop_a_removed_feeds_post(tmp_path: Path) -> None:
    """`bot queue` says what will happen to the post of a feed the editor removed, and `bot run --once` drops it
    (saying so) instead of posting it."""
    from tests.fakes.feed_server import FeedServer
    from tests.feedgen import Item, rss
    from tests.helpers import bot_env, run_bot

    with FeedServer() as feeds, fake_x() as x:
        feeds.set("/a.xml", rss([Item(1)]))
        feeds.set("/b.xml", rss([Item(2, site="https://other.example.org")]))
        feed_a = f'[[feeds]]\nurl = "{feeds.url_for("/a.xml")}"\nname = "a"\nbackfill = 1\n'
        feed_b = f'[[feeds]]\nurl = "{feeds.url_for("/b.xml")}"\nname = "b"\n'
        config = tmp_path / "bot.toml"
        config.write_text(feed_a + feed_b + "[platforms.twitter]\nimage = false\ndaily_cap = 0\n")
        env = bot_env(x.url, None, f"sqlite:///{tmp_path / 's.db'}", config)
        first = run_bot(["run", "--once"], env, tmp_path)  # queued, not sent: the cap is 0
        assert first.returncode == 0 and x.tweets == [], first.stdout + first.stderr

        config.write_text(feed_b + "[platforms.twitter]\nimage = false\n")  # the editor removes feed a
        queue = run_bot(["queue"], env, tmp_path)
        assert "not sent, dropped when it comes up: its feed is no longer in the config" in queue.stdout, queue.stdout
        run = run_bot(["run", "--once"], env, tmp_path)
        assert run.returncode == 0 and x.tweets == [], run.stdout + run.stderr
        assert "dropped, never sent: its feed is no longer in the config" in run.stdout


def test_a_post_tried_during_an_outage_is_never_dropped_for_age(store: Store, x: Any) -> None:
    # Its article was fresh when it was first tried; the network was down for days: delay never loses a post.
    _queue(store, [_row(1, T0 - 60)], T0)
    config = _config(NEWS + TWITTER)
    x.fail(503, times=1)
    _deliver(config, store, x, T0)
    assert len(x.tweets) == 0 and store.deliveries()[0].state == RETRY
    _deliver(config, store, x, T0 + 4 * DAY)
    assert len(x.tweets) == 1 and store.deliveries()[0].state == POSTED
