"""Review before posting (issue 12): held posts, approve/skip/edit through the store, the CLI and the JSON API,
on SQLite and Postgres, with editors and a worker racing each other."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot import review
from bot.config import Environment, Secret, parse_config
from bot.store import Store, open_store
from bot.store.base import QUEUED, REVIEW, SENDING, SKIPPED, NewDelivery
from bot.web.app import create_app
from tests.fakes.feed_server import FeedServer
from tests.feedgen import Item, rss
from tests.helpers import bot_env, fake_x, run_bot

NOW = time.time()
TOKEN = "editor-token-0123456789abcdef"


def _row(n: int, platform: str = "twitter", held: float | None = NOW + 3600, text: str | None = None,
         published: float | None = None) -> NewDelivery:
    return NewDelivery(
        article_key=f"https://news.example.org/{n}", platform=platform, feed_url="https://news.example.org/feed",
        article_url=f"https://news.example.org/{n}", title=f"Story {n}", text=text or f"Story {n} #Council",
        link=f"https://news.example.org/{n}", hashtags=("Council",), image_url=None, image_alt=None, thread=(),
        published_at=NOW - 1000 + n if published is None else published, due_at=NOW - 10, review_until=held)


def _queue(store: Store, *rows: NewDelivery) -> list[int]:
    store.record_articles([], list(rows), NOW)
    by_key = {d.article_key: d.id for d in store.deliveries(limit=1000)}
    return [by_key[r.article_key] for r in rows]


def _config(text: str = "[platforms.twitter]\nreview = true\n[platforms.facebook]\n",
            env: Environment | None = None) -> Any:
    return parse_config('[[feeds]]\nurl = "https://news.example.org/feed"\n' + text, None, env)


# --- store ---------------------------------------------------------------------------------------


def test_held_post_is_not_claimed_until_approved_and_keeps_its_place(store: Store) -> None:
    held, later = _queue(store, _row(1), _row(2, held=None))
    claimed = store.claim_next("twitter", NOW, "w1", 20)
    assert claimed is not None and claimed.id == later, "a held post never goes out, nor holds up others"
    store.mark_posted(later, "w1", "r2", None, NOW)
    assert store.claim_next("twitter", NOW, "w1", 20) is None
    assert store.approve(held, NOW) and not store.approve(held, NOW), "approving twice is harmless"
    again = store.claim_next("twitter", NOW, "w1", 20)
    assert again is not None and again.id == held and again.approved_at == pytest.approx(NOW)


def test_skip_is_final_and_the_article_is_not_queued_again(store: Store) -> None:
    (pid,) = _queue(store, _row(1))
    assert store.skip(pid, NOW)
    assert store.claim_next("twitter", NOW, "w1", 20) is None
    assert store.record_articles([], [_row(1, held=None)], NOW + 5) == 0, "the skipped row keeps its key"
    d = store.delivery(pid)
    assert d is not None and d.state == SKIPPED and d.skipped_at == pytest.approx(NOW)
    assert not store.approve(pid, NOW) and not store.edit_text(pid, "new", NOW)


def test_edit_bumps_the_version_and_is_refused_in_flight_or_uncertain(store: Store) -> None:
    pid, other = _queue(store, _row(1, held=None), _row(2, held=None))
    assert store.edit_text(pid, "first edit", NOW) and store.edit_text(pid, "second edit", NOW + 1)
    d = store.delivery(pid)
    assert d is not None and (d.text, d.edit_version, d.edited_at) == ("second edit", 2, pytest.approx(NOW + 1))
    assert not store.edit_text(pid, "stale", NOW, expected_version=1), "an edit of an older version is refused"
    claimed = store.claim_next("twitter", NOW, "w1", 20)
    assert claimed is not None and claimed.id == pid and claimed.text == "second edit"
    assert not store.edit_text(pid, "too late", NOW), "in flight: nothing may change"
    assert store.mark_retry(pid, "w1", "timeout", NOW - 1, uncertain=True)
    assert not store.edit_text(pid, "too late", NOW), "may be on the network with the old text"
    assert store.edit_text(other, "still fine", NOW)


def test_approve_all_leaves_expired_posts_held(store: Store) -> None:
    fresh, stale, elsewhere = _queue(store, _row(1), _row(2, held=NOW - 60), _row(3, platform="facebook"))
    assert store.approve_all(NOW, "twitter") == 1
    states = {d.id: d.state for d in store.deliveries(limit=10)}
    assert states == {fresh: QUEUED, stale: REVIEW, elsewhere: REVIEW}
    lines = review.approve_all(store, NOW)
    assert lines[0] == "approved 1 post(s)" and f"#{stale}" in lines[1] and "expired" in lines[1]
    assert "had been held past" in review.approve(store, [stale], NOW)[0], "a fresh approval of that post"


def test_review_actions_say_what_cannot_be_done(store: Store) -> None:
    config = _config()
    pid, sent = _queue(store, _row(1), _row(2, held=None))
    claimed = store.claim_next("twitter", NOW, "w1", 20)
    assert claimed is not None and claimed.id == sent
    with pytest.raises(review.ReviewError, match="being sent to twitter right now") as busy:
        review.edit(config, store, sent, "x", NOW)
    assert busy.value.status == 409
    store.mark_posted(sent, "w1", "r1", "https://x.com/i/status/r1", NOW)
    for action in (lambda: review.approve(store, [pid, sent], NOW), lambda: review.skip(store, [sent], NOW),
                   lambda: review.edit(config, store, sent, "x", NOW)):
        with pytest.raises(review.ReviewError, match=r"already sent to twitter \(https://x.com/i/status/r1\)") as e:
            action()
        assert e.value.status == 409
    assert store.delivery(pid).state == REVIEW, "one bad id in a list changes nothing"  # type: ignore[union-attr]
    with pytest.raises(review.ReviewError, match="no post #999") as missing:
        review.skip(store, [999], NOW)
    assert missing.value.status == 404
    with pytest.raises(review.ReviewError, match="it counts 281, the limit is 280; nothing was changed") as long:
        review.edit(config, store, pid, "a" * 281, NOW)
    assert long.value.status == 400 and store.delivery(pid).text == "Story 1 #Council"  # type: ignore[union-attr]
    assert review.edit(config, store, pid, "a" * 280, NOW).edit_version == 1


def test_feed_review_wins_over_its_platform() -> None:
    config = parse_config('[[feeds]]\nurl = "https://a.example/feed"\nreview = false\n'
                          '[[feeds]]\nurl = "https://b.example/feed"\nreview_expires = "12h"\n'
                          '[[feeds]]\nurl = "https://c.example/feed"\nreview = true\n'
                          '[platforms.twitter]\nreview = true\n[platforms.facebook]\n', None)
    a, b, c = config.feeds
    assert review.hold_until(config, a, "twitter", NOW) is None
    assert review.hold_until(config, b, "twitter", NOW) == NOW + 12 * 3600
    assert review.hold_until(config, b, "facebook", NOW) is None
    assert review.hold_until(config, c, "facebook", NOW) == NOW + 3 * 86400, "default 3d"


def test_review_expires_is_read_as_a_duration() -> None:
    from bot.errors import ConfigError

    with pytest.raises(ConfigError, match=r"platforms\.twitter\.review_expires: 'soon' is not a duration"):
        parse_config('[[feeds]]\nurl = "https://a.example/feed"\n[platforms.twitter]\nreview_expires = "soon"\n',
                     None)


# --- concurrency ----------------------------------------------------------------------------------


def _race(*jobs: Any) -> list[Any]:
    barrier = threading.Barrier(len(jobs))
    results: list[Any] = [None] * len(jobs)

    def run(i: int, job: Any) -> None:
        barrier.wait()
        try:
            results[i] = job()
        except review.ReviewError as exc:
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i, j)) for i, j in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


def test_two_editors_approving_and_editing_the_same_post_at_once(db_url: str) -> None:
    config = _config()
    stores = [open_store(db_url), open_store(db_url)]
    try:
        for n in range(8):
            (pid,) = _queue(stores[0], _row(100 + n))
            one, two = _race(lambda pid=pid, n=n: review.edit(config, stores[0], pid, f"editor one {n}", NOW),
                             lambda pid=pid, n=n: review.edit(config, stores[1], pid, f"editor two {n}", NOW))
            wins = [r for r in (one, two) if not isinstance(r, Exception)]
            final = stores[0].delivery(pid)
            assert final is not None and final.edit_version == len(wins) >= 1
            assert final.text == max(wins, key=lambda d: d.edit_version).text, "no edit is lost unseen"
            for loser in (r for r in (one, two) if isinstance(r, Exception)):
                assert loser.status == 409 and "changed meanwhile" in loser.message
            a, b = _race(lambda pid=pid: review.approve(stores[0], [pid], NOW),
                         lambda pid=pid: review.approve(stores[1], [pid], NOW))
            assert sorted(x[0].split(": ", 1)[1].split(";")[0] for x in (a, b)) == ["already approved", "approved"]
            assert stores[0].delivery(pid).state == QUEUED  # type: ignore[union-attr]
            stores[0].skip(pid, NOW)
    finally:
        for s in stores:
            s.close()


def test_a_worker_claiming_while_an_editor_edits_sends_one_version(db_url: str) -> None:
    """The claim and the edit are serialised by the platform's claim lock: what the worker got is exactly what
    the store holds afterwards (text and version), whichever came first."""
    config = _config()
    worker, editor = open_store(db_url), open_store(db_url)
    try:
        outcomes = set()
        for n in range(12):
            (pid,) = _queue(worker, _row(200 + n, held=None))
            claimed, edited = _race(lambda: worker.claim_next("twitter", NOW, "w1", 20),
                                    lambda pid=pid, n=n: review.edit(config, editor, pid, f"edited {n}", NOW))
            stored = worker.delivery(pid)
            assert claimed is not None and stored is not None and stored.state == SENDING
            assert (claimed.text, claimed.edit_version) == (stored.text, stored.edit_version)
            if isinstance(edited, Exception):
                assert "right now" in edited.message and stored.edit_version == 0
                outcomes.add("claim first")
            else:
                assert claimed.text == f"edited {n}" and stored.edit_version == 1
                outcomes.add("edit first")
            worker.mark_posted(pid, "w1", f"r{n}", None, NOW)
        assert outcomes, outcomes
    finally:
        worker.close()
        editor.close()


# --- the CLI, end to end ----------------------------------------------------------------------------


@pytest.fixture
def site(tmp_path: Path, db_url: str) -> Iterator[dict[str, Any]]:
    with FeedServer() as feeds, fake_x() as x:
        feeds.set("/feed.xml", rss([Item(1), Item(2), Item(3)]))
        config = tmp_path / "bot.toml"
        config.write_text(f'[[feeds]]\nurl = "{feeds.url_for("/feed.xml")}"\nname = "news"\nbackfill = 3\n'
                          "[platforms.twitter]\nreview = true\nimage = false\n")
        yield {"env": bot_env(x.url, None, db_url, config), "x": x, "feeds": feeds, "cwd": tmp_path}


def _bot(site: dict[str, Any], *args: str) -> Any:
    return run_bot(list(args), site["env"], site["cwd"])


def test_cli_review_edit_approve_skip_then_send(site: dict[str, Any]) -> None:
    x = site["x"]
    first = _bot(site, "run", "--once")
    assert first.returncode == 0, first.stderr
    assert x.tweets == [], "held for review: nothing goes out"
    listed = _bot(site, "queue", "--json")
    assert listed.returncode == 0, listed.stderr
    items = json.loads(listed.stdout)
    assert [i["title"] for i in items] == [Item(n).title for n in (1, 2, 3)], "oldest first"
    assert {i["state"] for i in items} == {"review"} and all(i["not_before"] is None for i in items)
    assert {"id", "platform", "state", "article_url", "title", "text", "link", "image", "not_before"} <= set(items[0])
    one, two, three = (i["id"] for i in items)

    long = _bot(site, "edit", str(one), "--text", "x" * 300)
    assert long.returncode == 2 and long.stdout == ""
    assert long.stderr.strip() == ("bot: the new text is too long for twitter: it counts 300, the limit is 280; "
                                   "nothing was changed")
    edited_text = "Edited by the desk:\nthe council approved the library budget #Library"
    edit = _bot(site, "edit", str(one), "--text", edited_text)
    assert edit.returncode == 0 and "text replaced (edit 1" in edit.stdout, edit.stderr
    assert _bot(site, "approve", str(one)).returncode == 0
    again = _bot(site, "approve", str(one))
    assert again.returncode == 0 and "already approved" in again.stdout
    assert _bot(site, "skip", str(two)).returncode == 0
    unknown = _bot(site, "approve", "9999")
    assert unknown.returncode == 2 and unknown.stderr.strip().splitlines() == [
        "bot: no post #9999 in the queue (see `bot queue`)"]

    sent = _bot(site, "run", "--once")
    assert sent.returncode == 0, sent.stderr
    assert [t["text"] for t in x.tweets] == [edited_text], "exactly the edited text, and only the approved post"
    history = _bot(site, "history").stdout
    assert "[text edit 1," in history and "skipped by an editor" in history
    late = _bot(site, "edit", str(one), "--text", "after the fact")
    assert late.returncode == 2 and "already sent to twitter" in late.stderr
    queue_now = json.loads(_bot(site, "queue", "--json").stdout)
    assert [(i["id"], i["state"]) for i in queue_now] == [(three, "review")]
    site["feeds"].set("/feed.xml", rss([Item(1), Item(2), Item(3), Item(4)]))
    assert _bot(site, "run", "--once").returncode == 0
    titles = [i["title"] for i in json.loads(_bot(site, "queue", "--json").stdout)]
    assert titles == [Item(3).title, Item(4).title], "the skipped article is not queued again"
    approved_all = _bot(site, "approve", "--all", "--platform", "twitter")
    assert approved_all.returncode == 0 and "approved 2 post(s) on twitter" in approved_all.stdout


# --- the JSON API and the page (Flask's test client, the real store) --------------------------------


def _app(store: Store, token: str | None = TOKEN, secure: bool = False) -> Any:
    env = Environment(web_token=Secret(token) if token else None)
    app = create_app(_config(env=env), store, secure_cookies=secure)
    return app.test_client()


def test_api_queue_approve_skip_edit_with_errors(store: Store) -> None:
    pid, other = _queue(store, _row(1), _row(2))
    client = _app(store)
    assert client.get("/api/queue").status_code == 401
    assert client.get("/api/queue", headers={"Authorization": "Bearer wrong"}).status_code == 401
    auth = {"Authorization": f"Bearer {TOKEN}"}
    listed = client.get("/api/queue", headers=auth)
    assert listed.status_code == 200 and [i["id"] for i in listed.get_json()] == [pid, other]
    too_long = client.post(f"/api/queue/{pid}/edit", headers=auth, json={"text": "y" * 281})
    assert too_long.status_code == 400 and "counts 281, the limit is 280" in too_long.get_json()["error"]
    assert client.post(f"/api/queue/{pid}/edit", headers=auth, data="nope").status_code == 400
    done = client.post(f"/api/queue/{pid}/edit", headers=auth, json={"text": "Better words #Council"})
    assert done.status_code == 200 and done.get_json()["post"]["edit_version"] == 1
    stale = client.post(f"/api/queue/{pid}/edit", headers=auth, json={"text": "old view", "version": 0})
    assert stale.status_code == 409 and "edited by someone else" in stale.get_json()["error"]
    assert client.post(f"/api/queue/{pid}/approve", headers=auth).get_json()["post"]["state"] == "queued"
    assert client.post(f"/api/queue/{other}/skip", headers=auth).status_code == 200
    assert client.post(f"/api/queue/{other}/approve", headers=auth).status_code == 409
    assert client.post("/api/queue/4242/skip", headers=auth).get_json() == {
        "error": "no post #4242 in the queue (see `bot queue`)"}
    assert client.post("/api/queue/4242/skip", headers=auth).status_code == 404
    assert store.delivery(pid).text == "Better words #Council"  # type: ignore[union-attr]


def test_page_login_cookie_csrf_and_forms(store: Store) -> None:
    (pid,) = _queue(store, _row(1, text="خبر عاجل: المجلس وافق على الميزانية #المجلس"))
    client = _app(store, secure=True)
    assert client.get("/").headers["Location"] == "/login"
    page = client.get("/login").get_data(as_text=True)
    assert TOKEN not in page
    csrf = page.split('name="csrf" value="')[1].split('"')[0]
    assert client.post("/login", data={"token": "wrong", "csrf": csrf}).status_code == 401
    assert client.post("/login", data={"token": TOKEN}).status_code == 400, "the login form needs its CSRF token"
    ok = client.post("/login", data={"token": TOKEN, "csrf": csrf})
    assert ok.status_code == 303
    cookie = ok.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Secure" in cookie
    index = client.get("/").get_data(as_text=True)
    assert TOKEN not in index and f'id="post-{pid}"' in index and 'dir="rtl"' in index
    assert '<span class="tag">#المجلس</span>' in index and "/280" in index
    csrf = index.split('name="csrf" value="')[1].split('"')[0]
    assert csrf != page.split('name="csrf" value="')[1].split('"')[0], "a new session token on login"
    forged = client.post(f"/queue/{pid}/approve", data={})
    assert forged.status_code == 400 and store.delivery(pid).state == REVIEW  # type: ignore[union-attr]
    cross = client.post(f"/queue/{pid}/approve", data={"csrf": csrf}, headers={"Origin": "https://evil.example"})
    assert cross.status_code == 400 and store.delivery(pid).state == REVIEW  # type: ignore[union-attr]
    refused = client.post(f"/queue/{pid}/edit", data={"csrf": csrf, "text": "z" * 300, "version": "0"})
    assert refused.status_code == 400 and "nothing was changed" in refused.get_data(as_text=True)
    client.post(f"/queue/{pid}/edit", data={"csrf": csrf, "text": "Line one\r\nLine two", "version": "0"})
    assert store.delivery(pid).text == "Line one\nLine two"  # type: ignore[union-attr]
    assert client.post(f"/queue/{pid}/approve", data={"csrf": csrf}).status_code == 303
    assert store.delivery(pid).state == QUEUED  # type: ignore[union-attr]
    api = client.post(f"/api/queue/{pid}/skip")
    assert api.status_code == 401, "a cookie alone is not enough for the API: it needs the CSRF header"
    assert client.post(f"/api/queue/{pid}/skip", headers={"X-CSRF-Token": csrf}).status_code == 200


def test_web_refuses_to_start_without_a_token_off_loopback(tmp_path: Path) -> None:
    env = bot_env(None, None, f"sqlite:///{tmp_path / 's.db'}", tmp_path / "none.toml")
    del env["BOT_CONFIG"]
    result = run_bot(["web", "--host", "0.0.0.0", "--port", "1"], env, tmp_path)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        "bot: BOT_WEB_TOKEN is not set: refusing to serve the editors' page on 0.0.0.0 (set BOT_WEB_TOKEN to a "
        "long random value, or bind to 127.0.0.1)"]



def test_an_edit_while_the_worker_sends_changes_nothing_and_history_shows_the_version_sent(
        site: dict[str, Any], db_url: str) -> None:
    x = site["x"]
    assert _bot(site, "run", "--once").returncode == 0
    first = json.loads(_bot(site, "queue", "--json").stdout)[0]
    assert _bot(site, "edit", str(first["id"]), "--text", "Version one #Council").returncode == 0
    assert _bot(site, "approve", str(first["id"])).returncode == 0
    x.stall(4.0)  # the post reaches X and the answer takes 4 s: the row is in flight meanwhile
    worker = subprocess.Popen([sys.executable, "-m", "bot", "run", "--once"], env=site["env"], cwd=site["cwd"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        watcher = open_store(db_url)
        try:
            deadline = time.monotonic() + 30
            while watcher.delivery(first["id"]).state != SENDING:  # type: ignore[union-attr]
                assert time.monotonic() < deadline and worker.poll() is None, "the worker never sent it"
                time.sleep(0.05)
        finally:
            watcher.close()
        late = _bot(site, "edit", str(first["id"]), "--text", "Version two, too late")
        assert late.returncode == 2
        assert late.stderr.strip() == f"bot: post #{first['id']} is being sent to twitter right now: cannot edit it"
    finally:
        worker.communicate(timeout=60)
    assert [t["text"] for t in x.tweets] == ["Version one #Council"]
    history = _bot(site, "history").stdout
    assert "[text edit 1," in history and "Version two" not in history


def test_without_a_token_nobody_gets_in_without_the_sign_in_link(store: Store) -> None:
    """Issue 21: a loopback Host is no credential (a proxy sends one): tests/test_web_access.py has the rest."""
    (pid,) = _queue(store, _row(1))
    client = _app(store, token=None)
    assert client.get("/").headers["Location"] == "/login"
    assert client.post(f"/api/queue/{pid}/approve", json={}).status_code == 401
    assert store.delivery(pid).state == REVIEW  # type: ignore[union-attr]
