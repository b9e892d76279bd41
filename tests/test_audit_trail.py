"""Every change an editor makes writes one audit row per post it changed (issue 22 item 5): who, what, through
what, and before/after (the state it left and reached; an edit's text). From the CLI (`bot approve --all`,
`bot retry`, `bot retry --feed`, `bot editors add/revoke`) and from the page and the API alike."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Any

from bot.store import Store, open_store
from bot.store.base import FAILED, HELD, QUEUED, REVIEW, NewDelivery
from tests.fakes.feed_server import FeedServer
from tests.feedgen import Item, rss
from tests.helpers import bot_env, run_bot
from tests.test_web_desk import BEARER, CONFIG, NOW, TOKEN, desk_client, held, retrying

# The CLI runs on the real clock: a post held until the year 36812 has not expired, and one held until 1970 has,
# whatever today is.
FOREVER, LONG_AGO = 2.0**40, 1.0


def _row(n: int, platform: str = "twitter", review_until: float | None = FOREVER) -> NewDelivery:
    url = f"https://news.example.org/{n}"
    return NewDelivery(article_key=url, platform=platform, feed_url="https://news.example.org/feed", article_url=url,
                       title=f"Story {n}", text=f"Story {n} #Council", link=url, hashtags=("Council",), image_url=None,
                       image_alt=None, thread=(), published_at=100.0 + n, due_at=200.0 + n, review_until=review_until)


def _ids(store: Store, *rows: NewDelivery) -> list[int]:
    store.record_articles([], list(rows), 300.0)
    by_key = {(d.article_url, d.platform): d.id for d in store.deliveries(limit=1000)}
    return [by_key[(r.article_url, r.platform)] for r in rows]


def _cli(tmp_path: Path, toml: str = CONFIG) -> tuple[dict[str, str], str]:
    config = tmp_path / "bot.toml"
    config.write_text(toml)
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    open_store(db).close()  # migrated
    return bot_env(None, None, db, config, {"BOT_WEB_TOKEN": TOKEN}), db


def _trail(db: str) -> list[tuple[str, str, str, int | None, str]]:
    store = open_store(db)
    try:
        return [(e.editor, e.via, e.action, e.delivery_id, e.note) for e in reversed(store.audit(1000))]
    finally:
        store.close()


def test_bot_approve_all_writes_one_row_per_post_it_released(tmp_path: Path) -> None:
    env, db = _cli(tmp_path)
    store = open_store(db)
    try:
        one, two, expired, other = _ids(store, _row(1), _row(2), _row(3, review_until=LONG_AGO),
                                        _row(4, platform="mastodon"))
    finally:
        store.close()
    done = run_bot(["approve", "--all", "--platform", "twitter"], env, tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("approved 2 post(s) on twitter") and f"#{expired}" in done.stdout
    me = f"cli:{getpass.getuser()}"
    assert _trail(db) == [(me, "cli", "approve", pid, f"#{pid} twitter: approved (approve --all) [review -> queued]")
                          for pid in (one, two)], "the expired post and the other account's are not in it"
    again = run_bot(["approve", "--all"], env, tmp_path)
    assert again.stdout.startswith("approved 1 post(s)")
    assert [t[3] for t in _trail(db)] == [one, two, other], "only what this run changed"
    store = open_store(db)
    try:
        assert {d.id: d.state for d in store.deliveries(limit=10)} == {
            one: QUEUED, two: QUEUED, expired: REVIEW, other: QUEUED}
    finally:
        store.close()


def test_bot_retry_writes_one_row_per_post_it_queued_again_or_released(tmp_path: Path) -> None:
    env, db = _cli(tmp_path, CONFIG.replace("review = true", "review = false"))
    store = open_store(db)
    try:
        failed, maybe, waiting = _ids(store, *(_row(n, review_until=None) for n in (1, 2, 3)))
        for pid, mark in ((failed, store.mark_failed), (maybe, store.mark_held)):
            claimed = store.claim_next("twitter", 400.0, "w1", 60)
            assert claimed is not None and claimed.id == pid
            assert mark(pid, "w1", "X error 403: duplicate content" if pid == failed else "timeout")
        assert {d.id: d.state for d in store.deliveries(limit=10)} == {failed: FAILED, maybe: HELD, waiting: QUEUED}
    finally:
        store.close()
    done = run_bot(["retry"], env, tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "requeued 1 failed post(s); released 1 held post(s), each sent once more without a " \
                                  "lookup"
    me = f"cli:{getpass.getuser()}"
    assert _trail(db) == [
        (me, "cli", "retry", failed, f"#{failed} twitter: queued again [failed -> queued]"),
        (me, "cli", "retry", maybe, f"#{maybe} twitter: released, sent once more without a lookup [held -> queued]")]
    assert run_bot(["retry"], env, tmp_path).stdout.strip() == "requeued 0 failed post(s)"
    assert len(_trail(db)) == 2, "nothing changed: nothing recorded"


def test_bot_editors_add_and_revoke_are_in_the_trail(tmp_path: Path) -> None:
    env, db = _cli(tmp_path)
    assert run_bot(["editors", "add", "alice"], env, tmp_path).returncode == 0
    assert run_bot(["editors", "revoke", "alice"], env, tmp_path).returncode == 0
    assert run_bot(["editors", "revoke", "alice"], env, tmp_path).returncode == 2  # nothing to revoke: no row
    me = f"cli:{getpass.getuser()}"
    assert _trail(db) == [(me, "cli", "editor-add", None, "editor 'alice' added"),
                          (me, "cli", "editor-revoke", None, "editor 'alice' revoked: signed out everywhere")]
    assert "be_" not in repr(_trail(db)), "never the token"


def test_releasing_a_flooded_feed_is_in_the_trail(tmp_path: Path) -> None:
    with FeedServer() as feeds:
        feeds.set("/feed.xml", rss([Item(1)]))
        env, db = _cli(tmp_path, f'[[feeds]]\nurl = "{feeds.url_for("/feed.xml")}"\nname = "news"\nflood_limit = 2\n'
                                 "[platforms.twitter]\nimage = false\n")
        assert run_bot(["run", "--once"], env, tmp_path).returncode == 0  # the baseline
        feeds.set("/feed.xml", rss([Item(n) for n in range(1, 6)]))
        assert "PAUSED by a flood of 4" in run_bot(["run", "--once"], env, tmp_path).stdout
        released = run_bot(["retry", "--feed", "news", "--backfill", "1"], env, tmp_path)
        assert released.returncode == 0, released.stderr
    ((editor, via, action, post, note),) = _trail(db)
    assert (editor, via, action, post) == (f"cli:{getpass.getuser()}", "cli", "release", None)
    assert note == "feed news: released: 1 post(s) queued, the rest of its 4 new article(s) recorded as seen"


def test_each_page_and_api_action_writes_one_row_per_post_with_its_before_and_after(store: Store) -> None:
    one, two, three, four = (held(store, n) for n in range(1, 5))
    retrying(store, four, "X error 503", NOW + 600)  # tried by a worker: not an editor's change
    client = desk_client(store)
    page = client.get("/").get_data(as_text=True)
    csrf = page.split('name="csrf" value="')[1].split('"')[0]
    assert client.post("/queue/approve", data={"csrf": csrf, "ids": [str(one), str(two)]}).status_code == 303
    assert client.post(f"/api/queue/{two}/unapprove", headers=BEARER).status_code == 200
    assert client.post(f"/api/queue/{three}/edit", headers=BEARER, json={"text": "New words"}).status_code == 200
    assert client.post(f"/queue/{three}/skip", data={"csrf": csrf}).status_code == 303
    assert client.post(f"/api/queue/{four}/retry", headers=BEARER).status_code == 200
    assert client.post(f"/api/queue/{one}/approve", headers=BEARER).status_code == 200  # again: no change
    rows: list[Any] = [(e.via, e.action, e.delivery_id, e.note.rsplit(" [", 1)[-1] if "[" in e.note else "",
                        e.before_text, e.after_text) for e in reversed(store.audit(100))]
    assert rows == [
        ("page", "approve", one, "review -> queued]", None, None),
        ("page", "approve", two, "review -> queued]", None, None),
        ("api", "unapprove", two, "queued -> review]", None, None),
        ("api", "edit", three, "", "Council news 3 #Council", "New words"),
        ("page", "skip", three, "review -> skipped]", None, None),
        ("api", "retry", four, "", None, None),  # still waiting to retry, due now: its state is the same
        ("api", "approve", one, "", None, None),
    ]
    assert {e.editor for e in store.audit(100)} == {"shared token"}
