"""A row whose `parts` hold only staged entries (bot.platforms.staged: an upload kept for reuse, a Threads container
made and not published) has nothing on the network (issue 24 follow-up): it can be edited, sent back to review and
dropped by the delivery gate like a post never tried; one with a posted part cannot. An edit drops a staged Threads
container (it holds the old text, and a resumed attempt publishes it as it is) and keeps a staged upload (the image
did not change). The real store (SQLite and Postgres), the real review module, web app and Threads client."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from bot import review
from bot.config import Environment, Secret, parse_config
from bot.delivery.gate import DROP, SEND, verdict
from bot.platforms.staged import container_part, media_part, posted
from bot.store import Store
from bot.store.base import QUEUED, RETRY, REVIEW, NewDelivery
from bot.web.app import create_app
from tests.fakes.threads import FakeThreads

NOW = 1_800_000_000.0  # a fixed clock: nothing here reads today's date
FEED = "https://news.example.org/feed"
TOKEN = "staged-desk-token-0123456789abcdef"
MEDIA = media_part("1880000000000000001", NOW + 86_400)  # as X leaves an upload it kept after a rate limit
CONTAINER = container_part("17890000000000001")


def _row(n: int, platform: str = "twitter") -> NewDelivery:
    url = f"https://news.example.org/2026/11/story-{n}/"
    return NewDelivery(article_key=url, platform=platform, feed_url=FEED, article_url=url, title=f"Story {n}",
                       text=f"Story {n} about the council {url}", link=url, hashtags=(), image_url=None,
                       image_alt=None, thread=("2/2 more",), published_at=NOW - 600, due_at=NOW - 60)


def _tried(store: Store, n: int, parts: list[str], platform: str = "twitter") -> int:
    """Post n was queued, tried once, and waits to retry with `parts` kept, its outcome known (a rate limit)."""
    row = _row(n, platform)
    store.record_articles([], [row], NOW - 100)
    (pid,) = [d.id for d in store.deliveries(limit=100) if d.title == f"Story {n}"]
    claimed = store.claim_next(platform, NOW, "w1", 60, article_key=row.article_key)  # past any earlier retry
    assert claimed is not None and claimed.id == pid
    assert store.record_parts(pid, "w1", parts, 60)
    assert store.mark_retry(pid, "w1", "rate limited", NOW + 900)
    d = store.delivery(pid)
    assert d is not None and d.state == RETRY and not d.uncertain and list(d.parts) == parts
    return pid


def _config(text: str = "") -> Any:
    return parse_config(f'[[feeds]]\nurl = "{FEED}"\nname = "news"\n[platforms.twitter]\n{text}', None,
                        Environment(web_token=Secret(TOKEN)))


def test_a_post_with_only_a_staged_upload_is_edited_and_keeps_it(store: Store) -> None:
    pid = _tried(store, 1, [MEDIA])
    assert store.edit_text(pid, "Story 1, corrected", NOW)
    d = store.delivery(pid)
    assert d is not None and d.text == "Story 1, corrected" and d.parts == (MEDIA,), "the image did not change"
    edited = review.edit(_config(), store, pid, "Story 1, corrected again", NOW + 1)
    assert edited.text == "Story 1, corrected again" and edited.parts == (MEDIA,) and edited.edit_version == 2


def test_an_edit_drops_a_staged_container_and_keeps_a_staged_upload(store: Store) -> None:
    pid = _tried(store, 1, [MEDIA, CONTAINER], platform="threads")
    assert store.edit_text(pid, "New words", NOW)
    d = store.delivery(pid)
    assert d is not None and d.text == "New words" and d.parts == (MEDIA,), "the container holds the old text"


def test_a_post_with_only_staged_entries_goes_back_to_review(store: Store) -> None:
    media, box = _tried(store, 1, [MEDIA]), _tried(store, 2, [CONTAINER], platform="threads")
    assert store.unapprove(media, NOW + 3600)
    d = store.delivery(media)
    assert d is not None and d.state == REVIEW and d.parts == (MEDIA,), "kept: the same text goes after approval"
    assert review.unapprove(_config(), store, [box], NOW) == [f"#{box} threads: back in review; it is not sent "
                                                              "until approved"]
    assert store.delivery(box).state == REVIEW  # type: ignore[union-attr]


def test_a_post_with_a_posted_part_is_neither_edited_nor_taken_back(store: Store) -> None:
    pid = _tried(store, 1, ["1880000000000000042"])  # the thread's root is out
    assert not store.edit_text(pid, "New words", NOW) and not store.unapprove(pid, None)
    with pytest.raises(review.ReviewError, match="may already be on twitter"):
        review.edit(_config(), store, pid, "New words", NOW)
    with pytest.raises(review.ReviewError, match="may already be on twitter"):
        review.unapprove(_config(), store, [pid], NOW)
    d = store.delivery(pid)
    assert d is not None and d.state == RETRY and d.text == "Story 1 about the council " + d.link


def test_the_guarded_write_fails_when_the_parts_changed_since_they_were_read(store: Store) -> None:
    """The decision is made on the parts read in the transaction: a write that finds others is refused."""
    pid = _tried(store, 1, [MEDIA])
    real = store._exec  # type: ignore[attr-defined]
    changed: list[bool] = []

    def racing(cur: Any, query: str, params: Any = ()) -> Any:
        # Right before the guarded UPDATE, another writer records a posted part (as a claim would).
        if query.startswith("UPDATE outbox SET text") and not changed:
            changed.append(True)
            real(cur, "UPDATE outbox SET parts = ? WHERE id = ?", ('["1880000000000000042"]', pid))
        return real(cur, query, params)

    store._exec = racing  # type: ignore[attr-defined]
    assert not store.edit_text(pid, "New words", NOW) and changed
    store._exec = real  # type: ignore[attr-defined]
    d = store.delivery(pid)
    assert d is not None and d.text.startswith("Story 1 about")


def test_the_gate_drops_a_post_of_a_removed_feed_unless_a_part_is_out(store: Store) -> None:
    staged_only, out = _tried(store, 1, [MEDIA, CONTAINER]), _tried(store, 2, ["1880000000000000042"])
    removed = parse_config('[[feeds]]\nurl = "https://other.example.org/feed"\n[platforms.twitter]\n', None,
                           Environment())
    known = lambda: {FEED}  # noqa: E731
    d = store.delivery(staged_only)
    assert d is not None and verdict(removed, d, NOW, known).action == DROP
    d = store.delivery(out)
    assert d is not None and verdict(removed, d, NOW, known).action == SEND, "half a thread is finished"


def test_the_desk_offers_edit_and_back_to_review_for_a_staged_only_post(store: Store) -> None:
    staged_only, out = _tried(store, 1, [MEDIA]), _tried(store, 2, ["1880000000000000042"])
    client = create_app(_config("review = true\n"), store, secure_cookies=False, clock=lambda: NOW).test_client()
    page = client.get("/login").get_data(as_text=True)
    csrf = page.split('name="csrf" value="')[1].split('"')[0]
    assert client.post("/login", data={"token": TOKEN, "csrf": csrf}).status_code == 303
    page = client.get("/").get_data(as_text=True)

    def post(pid: int) -> str:
        return page.split(f'id="post-{pid}"')[1].split("</article>")[0]

    assert "<textarea" in post(staged_only) and 'name="unapprove"' in post(staged_only)
    assert "cannot change" not in post(staged_only)
    assert "<textarea" not in post(out) and 'name="unapprove"' not in post(out) and "cannot change" in post(out)
    answer = client.post(f"/api/queue/{staged_only}/unapprove", headers={"Authorization": f"Bearer {TOKEN}"})
    assert answer.status_code == 200 and answer.get_json()["post"]["state"] == REVIEW


def test_skipping_a_staged_only_post_does_not_say_it_may_be_out(store: Store) -> None:
    staged_only, out = _tried(store, 1, [MEDIA]), _tried(store, 2, ["1880000000000000042"])
    assert review.skip(store, [staged_only], NOW) == [f"#{staged_only} twitter: skipped; it is never sent"]
    assert "may have reached twitter" in review.skip(store, [out], NOW)[0]


# --- Threads: an edit after a rate limit publishes the new text, not the container made with the old one ------

THREADS_TOKEN = "THAAJx-threads-long-lived-token-8Hq2"


@pytest.fixture
def th() -> Iterator[FakeThreads]:
    with FakeThreads(token=THREADS_TOKEN) as server:
        yield server


def test_an_edited_threads_post_goes_out_with_the_new_text(store: Store, th: FakeThreads) -> None:
    from bot.config import read_environment
    from bot.delivery.loop import deliver_platform
    from bot.models import Article
    from bot.platforms import build_platform
    from bot.poll import compose_drafts, new_delivery
    from bot.retries import Tuning

    fast = Tuning(lease_seconds=60, backoff_base=10, backoff_cap=100, max_attempts=3, pause_probe_seconds=30,
                  lookup_lag=0)
    env = read_environment({"THREADS_ACCESS_TOKEN": THREADS_TOKEN, "THREADS_API_URL": f"{th.url}/v1.0"})
    config = parse_config(f'[[feeds]]\nurl = "{FEED}"\n[platforms.threads]\n', None, env)
    platform = build_platform(config, "threads", dry_run=False, show=lambda name, draft: None, store=store)
    link = "https://news.example.org/2026/11/budget-vote/"
    article = Article(key="a1", feed_url=FEED, url=link, title="Budget approved")
    [draft] = compose_drafts(config, article, ["threads"])
    store.record_articles([], [new_delivery(article, draft, FEED, NOW - 100)], NOW - 100)
    th.rate_limit()  # the container is made, its publication refused: the outcome is known, nothing is out
    first = deliver_platform(config, store, platform, "w1", clock=lambda: NOW, tuning=fast)
    assert first.posted == [] and th.posts == []
    [row] = store.deliveries()
    assert row.state in (QUEUED, RETRY) and not row.uncertain and posted(row.parts) == [] and row.parts

    edited = review.edit(config, store, row.id, f"The council approved the budget, 12 to 3 {link}", NOW + 10)
    assert edited.parts == ()
    later = deliver_platform(config, store, platform, "w2", clock=lambda: NOW + 86_400, tuning=fast)
    assert [d.id for d, _ in later.posted] == [row.id]
    assert [p["text"] for p in th.posts] == [edited.text], "the container with the old text is never published"
    assert len(th.containers) == 2
