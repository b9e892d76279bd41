"""The editors' desk (issue 22) through the real Flask app on the real store (SQLite and Postgres): safe edits
(item 3), over the page's forms and the JSON API alike. The browser's side is tests/test_web_browser.py."""

from __future__ import annotations

from typing import Any

import pytest

from bot import review
from bot.config import Environment, Secret, parse_config
from bot.store import Store
from bot.store.base import QUEUED, RETRY, REVIEW, SENDING, SKIPPED, NewDelivery
from bot.web.app import create_app

TOKEN = "desk-token-0123456789abcdef-XYZ"
BEARER = {"Authorization": f"Bearer {TOKEN}"}
NOW = 1_767_000_000.0  # 2025-12-29 09:20 UTC: a fixed clock, the page's time is an input
CONFIG = """[bot]
timezone = "Europe/Paris"
[[feeds]]
url = "https://news.example.org/feed"
[platforms.twitter]
review = true
[platforms.mastodon]
review = true
"""


def desk_config(toml: str = CONFIG) -> Any:
    return parse_config(toml, None, Environment(web_token=Secret(TOKEN)))


def held(store: Store, n: int, platform: str = "twitter", text: str | None = None, **extra: Any) -> int:
    """Queue post n of the sample feed on `platform`, held for review; its id."""
    url = f"https://news.example.org/{n}"
    fields: dict[str, Any] = {"image_url": None, "image_alt": None, **extra}
    store.record_articles([], [NewDelivery(
        article_key=url, platform=platform, feed_url="https://news.example.org/feed", article_url=url,
        title=f"Council news {n}", text=text or f"Council news {n} #Council", link=url, hashtags=("Council",),
        thread=(), published_at=NOW - 1000 + n, due_at=NOW - 100 + n, review_until=NOW + 3600, **fields)],
        NOW - 100)
    (d,) = [d for d in store.deliveries(limit=1000) if d.article_url == url and d.platform == platform]
    return d.id


def desk_client(store: Store, now: float = NOW, config: Any = None) -> Any:
    client = create_app(config or desk_config(), store, secure_cookies=False, clock=lambda: now).test_client()
    page = client.get("/login").get_data(as_text=True)
    assert client.post("/login", data={"token": TOKEN, "csrf": csrf_of(page)}).status_code == 303
    return client


def csrf_of(page: str) -> str:
    return page.split('name="csrf" value="')[1].split('"')[0]


def state(store: Store, pid: int) -> str:
    d = store.delivery(pid)
    assert d is not None
    return d.state


def retrying(store: Store, pid: int, error: str, at: float, uncertain: bool = False) -> None:
    """Post `pid` was tried by a worker and waits to retry at `at` (as bot.delivery.loop leaves it)."""
    assert store.approve(pid, NOW - 50)
    d = store.delivery(pid)
    assert d is not None
    claimed = store.claim_next(d.platform, NOW, "w1", 60)
    assert claimed is not None and claimed.id == pid
    assert store.mark_retry(pid, "w1", error, at, uncertain=uncertain)


# --- a too-long edit: the error beside the post, the typed text kept -------------------------------------


def test_a_too_long_edit_is_refused_beside_its_post_with_the_typed_text_kept(store: Store) -> None:
    first, pid = held(store, 1), held(store, 2)
    client = desk_client(store)
    csrf = csrf_of(client.get("/").get_data(as_text=True))
    typed = "Le conseil a voté <b>le budget</b>\n" + "x" * 300
    answer = client.post(f"/queue/{pid}/edit", data={"csrf": csrf, "text": typed, "version": "0"})
    assert answer.status_code == 400
    page = answer.get_data(as_text=True)
    post = page.split(f'id="post-{pid}"')[1].split("</article>")[0]
    assert "not saved: the new text is too long for twitter: it counts 335, the limit is 280" in post
    assert 'id="error-' in post and "autofocus" in post and "<details class=\"edit\" open>" in post
    assert "Le conseil a voté &lt;b&gt;le budget&lt;/b&gt;\n" + "x" * 300 + "</textarea>" in post
    other = page.split(f'id="post-{first}"')[1].split("</article>")[0]
    assert "not saved" not in other and "<details class=\"edit\" open>" not in other
    assert store.delivery(pid).text == "Council news 2 #Council"  # type: ignore[union-attr]


def test_an_action_s_outcome_is_shown_beside_its_post(store: Store) -> None:
    pid = held(store, 1)
    client = desk_client(store)
    csrf = csrf_of(client.get("/").get_data(as_text=True))
    assert client.post(f"/queue/{pid}/approve", data={"csrf": csrf}).headers["Location"] == f"/#post-{pid}"
    post = client.get("/").get_data(as_text=True).split(f'id="post-{pid}"')[1].split("</article>")[0]
    assert 'id="notes"' in post and "approved; it goes out under the schedule" in post


# --- skip asks first ----------------------------------------------------------------------------------------


def test_skip_sits_behind_a_confirmation_and_approve_does_not(store: Store) -> None:
    pid = held(store, 1)
    post = desk_client(store).get("/").get_data(as_text=True).split(f'id="post-{pid}"')[1].split("</article>")[0]
    confirm = post.split('<details class="confirm">')[1].split("</details>")[0]
    assert 'name="skip"' in confirm and "never sent" in confirm
    assert 'name="skip"' not in post.replace(confirm, ""), "no one-click skip"
    assert 'name="approve"' in post.split('<details class="confirm">')[0]


# --- un-approve, while nothing of it may have left ----------------------------------------------------------


def test_an_approved_post_goes_back_to_review_by_form_and_by_api(store: Store) -> None:
    one, two = held(store, 1), held(store, 2)
    client = desk_client(store)
    assert store.approve(one, NOW) and store.approve(two, NOW)
    csrf = csrf_of(client.get("/").get_data(as_text=True))
    assert client.post(f"/queue/{one}/unapprove", data={"csrf": csrf}).status_code == 303
    assert state(store, one) == REVIEW
    d = store.delivery(one)
    assert d is not None and d.review_until == NOW + 72 * 3600 and d.approved_at is None
    answer = client.post(f"/api/queue/{two}/unapprove", headers=BEARER)
    assert answer.status_code == 200 and answer.get_json()["post"]["state"] == REVIEW
    assert store.claim_next("twitter", NOW + 10, "w1", 60) is None, "nothing held is claimed"
    again = client.post(f"/api/queue/{two}/unapprove", headers=BEARER).get_json()
    assert again["message"].endswith("already waiting for review")


def test_a_post_being_sent_or_possibly_sent_cannot_go_back_to_review_nor_be_edited(store: Store) -> None:
    sending, maybe = held(store, 1), held(store, 2)
    assert store.approve(sending, NOW)
    assert store.claim_next("twitter", NOW, "w1", 60) is not None
    assert state(store, sending) == SENDING
    client = desk_client(store)
    for action, body in (("unapprove", None), ("edit", {"text": "new words"}), ("retry", None)):
        refused = client.post(f"/api/queue/{sending}/{action}", headers=BEARER, json=body)
        assert refused.status_code == 409 and "being sent to twitter right now" in refused.get_json()["error"]
    store.mark_retry(sending, "w1", "timeout", NOW + 60, uncertain=True)
    for pid in (sending,):
        refused = client.post(f"/api/queue/{pid}/unapprove", headers=BEARER)
        assert refused.status_code == 409 and "may already be on twitter" in refused.get_json()["error"]
        assert client.post(f"/api/queue/{pid}/edit", headers=BEARER, json={"text": "x"}).status_code == 409
    assert state(store, sending) == RETRY and state(store, maybe) == REVIEW
    page = client.get("/").get_data(as_text=True).split(f'id="post-{sending}"')[1].split("</article>")[0]
    assert 'name="unapprove"' not in page and "<textarea" not in page and "cannot change" in page


def test_the_worker_and_the_editor_race_for_a_post_and_only_one_wins(store: Store) -> None:
    pid = held(store, 1)
    assert store.approve(pid, NOW)
    d = store.delivery(pid)
    assert d is not None
    assert store.claim_next("twitter", NOW, "w1", 60) is not None  # the worker came first
    assert not store.unapprove(pid, None), "the guarded write refuses a post in flight"
    with pytest.raises(review.ReviewError, match="being sent"):
        review.unapprove(desk_config(), store, [pid], NOW)


# --- retry now ----------------------------------------------------------------------------------------------


def test_retry_now_brings_a_waiting_post_forward_and_the_page_says_why_it_waited(store: Store) -> None:
    pid = held(store, 1)
    error = "Facebook error 368: temporarily blocked for policies violations"
    retrying(store, pid, error, NOW + 3600)
    client = desk_client(store)
    page = client.get("/").get_data(as_text=True).split(f'id="post-{pid}"')[1].split("</article>")[0]
    assert error in page and 'name="retry"' in page
    answer = client.post(f"/api/queue/{pid}/retry", headers=BEARER)
    assert answer.status_code == 200, answer.get_json()
    assert store.delivery(pid).due_at == NOW  # type: ignore[union-attr]
    assert client.post(f"/api/queue/{held(store, 2)}/retry", headers=BEARER).status_code == 409


# --- approve several at once --------------------------------------------------------------------------------


def test_several_posts_are_approved_at_once_by_form_and_by_api(store: Store) -> None:
    ids = [held(store, n) for n in range(1, 6)]
    client = desk_client(store)
    csrf = csrf_of(client.get("/").get_data(as_text=True))
    assert client.post("/queue/approve", data={"csrf": csrf, "ids": [str(ids[0]), str(ids[1])]}).status_code == 303
    assert [state(store, i) for i in ids] == [QUEUED, QUEUED, REVIEW, REVIEW, REVIEW]
    assert "approved" in client.get("/").get_data(as_text=True).split('id="notes"')[1]
    store.skip(ids[4], NOW)
    refused = client.post("/api/queue/approve", headers=BEARER, json={"ids": [ids[2], ids[4]]})
    assert refused.status_code == 409 and "skipped" in refused.get_json()["error"]
    assert state(store, ids[2]) == REVIEW, "one refused id changes nothing"
    done = client.post("/api/queue/approve", headers=BEARER, json={"ids": [ids[2], ids[3]]})
    assert done.status_code == 200 and len(done.get_json()["lines"]) == 2
    assert [state(store, i) for i in ids] == [QUEUED, QUEUED, QUEUED, QUEUED, SKIPPED]
    bads: list[dict[str, Any]] = [{"ids": []}, {"ids": ["1x"]}, {"ids": [True]}, {"ids": 3}, {"ids": [2**63]}, {}]
    for bad in bads:
        assert client.post("/api/queue/approve", headers=BEARER, json=bad).status_code == 400, bad
    assert client.post("/api/queue/edit", headers=BEARER, json={"ids": [ids[0]]}).status_code == 404


# --- the live counter's server side -------------------------------------------------------------------------


def test_the_count_api_counts_as_each_account_s_network_counts(store: Store) -> None:
    client = desk_client(store)
    texts = ["a" * 281, "see https://example.org/" + "p" * 80 + " now", "日本語のテキスト", "🧑‍🚀" * 3]
    answer = client.post("/api/count", headers=BEARER, json={"platform": "twitter", "texts": texts})
    rules = review.network_rules(desk_config(), "twitter")
    assert [c["length"] for c in answer.get_json()["counts"]] == [rules.count(t) for t in texts]
    assert [c["over"] for c in answer.get_json()["counts"]] == [True, False, False, False]
    masto = client.post("/api/count", headers=BEARER, json={"platform": "mastodon", "texts": texts}).get_json()
    assert [c["limit"] for c in masto["counts"]] == [500] * 4 and masto["counts"][1]["length"] == 4 + 23 + 4
    for bad in ({"platform": "myspace", "texts": []}, {"platform": "twitter", "texts": [1]}, {"texts": ["a"]}):
        assert client.post("/api/count", headers=BEARER, json=bad).status_code == 400
    assert client.post("/api/count", json={"platform": "twitter", "texts": ["a"]}).status_code == 401, \
        "a browser session needs its CSRF header"


# --- the week at a glance (item 2) --------------------------------------------------------------------------

CAPPED = """[bot]
timezone = "Europe/Paris"
[[feeds]]
url = "https://news.example.org/feed"
[platforms.twitter]
review = true
[platforms.mastodon]
daily_cap = 1
[platforms.telegram]
review = true
"""


def capped_desk(store: Store) -> tuple[Any, dict[str, int]]:
    """Two held X posts, a Persian Telegram post held, a Mastodon post already out today (its daily cap of 1
    is used), one that waits for tomorrow on that cap, and an X post retrying after the network's answer."""
    config = desk_config(CAPPED)
    ids = {"x1": held(store, 1), "x2": held(store, 2),
           "fa": held(store, 3, "telegram", text="شورای شهر بودجه را تصویب کرد https://news.example.org/3"),
           "sent": held(store, 4, "mastodon"), "capped": held(store, 5, "mastodon"), "retry": held(store, 6)}
    for key in ("sent", "capped"):
        assert store.approve(ids[key], NOW - 90)
    claimed = store.claim_next("mastodon", NOW - 80, "w1", 60)
    assert claimed is not None and claimed.id == ids["sent"]
    assert store.mark_posted(ids["sent"], "w1", "109", "https://masto.example/@news/109", NOW - 70)
    retrying(store, ids["retry"], "X error 503: Service Unavailable", NOW + 1800)
    return config, ids


def test_the_glance_counts_each_account_s_posts_by_state_and_the_api_agrees(store: Store) -> None:
    config, _ids = capped_desk(store)
    client = desk_client(store, config=config)
    page = client.get("/").get_data(as_text=True)
    glance = page.split('id="glance"')[1].split("</section>")[0]
    row = glance.split('<tr data-account="twitter">')[1].split("</tr>")[0]
    assert 'aria-label="2 review on twitter"' in row and 'aria-label="1 retry on twitter"' in row
    masto = glance.split('<tr data-account="mastodon">')[1].split("</tr>")[0]
    assert 'aria-label="1 queued on mastodon"' in masto and "review on mastodon" not in masto
    overview = client.get("/api/overview", headers=BEARER).get_json()
    assert overview["counts"]["twitter"] == {"review": 2, "expired": 0, "queued": 0, "retry": 1, "sending": 0,
                                             "failed": 0}
    assert overview["counts"]["telegram"]["review"] == 1 and overview["timezone"] == "Europe/Paris"


def test_the_timeline_says_when_each_post_goes_out_and_why_it_waits(store: Store) -> None:
    config, ids = capped_desk(store)
    client = desk_client(store, config=config)
    timeline = {t["id"]: t for t in client.get("/api/overview", headers=BEARER).get_json()["timeline"]}
    capped = timeline[ids["capped"]]
    # NOW is Monday 29 Dec 10:20 in Paris: the cap frees the next post at midnight, Paris time.
    assert capped["at"] == "2025-12-30T00:00:00+01:00" and capped["why"] == "daily cap of 1 reached"
    retry = timeline[ids["retry"]]
    assert retry["at"] == "2025-12-29T10:50:00+01:00"
    assert retry["why"] == "retry after the network answered: X error 503: Service Unavailable"
    assert timeline[ids["x1"]]["at"] is None and timeline[ids["x1"]]["why"] == "waiting for an editor's review"
    order = [t["id"] for t in client.get("/api/overview", headers=BEARER).get_json()["timeline"]]
    assert order.index(ids["retry"]) < order.index(ids["capped"]) < order.index(ids["x1"])
    page = client.get("/").get_data(as_text=True).split('id="timeline"')[1].split("</section>")[0]
    assert "<strong>Tue 30 Dec</strong>" in page and '<time datetime="2025-12-30T00:00:00+01:00">00:00</time>' in page
    assert "daily cap of 1 reached" in page and "<strong>waiting on a person</strong>" in page


def test_filters_by_account_network_and_state_narrow_the_page_and_the_api(store: Store) -> None:
    config, ids = capped_desk(store)
    client = desk_client(store, config=config)

    def posts(query: str) -> set[int]:
        page = client.get("/" + query).get_data(as_text=True)
        return {int(part.split('"')[0]) for part in page.split('<article class="post')[1:]
                for part in [part.split('data-id="')[1]]}

    assert posts("") == {ids[k] for k in ("x1", "x2", "fa", "capped", "retry")}
    assert posts("?account=telegram") == {ids["fa"]}
    assert posts("?network=mastodon") == {ids["capped"]}
    assert posts("?state=review") == {ids["x1"], ids["x2"], ids["fa"]}
    assert posts("?account=twitter&state=retry") == {ids["retry"]}
    assert posts("?account=nope&state=<script>") == posts(""), "unknown values are ignored, not an error"
    assert 'selected>telegram<' in client.get("/?account=telegram").get_data(as_text=True)
    overview = client.get("/api/overview?state=review", headers=BEARER).get_json()
    assert {t["id"] for t in overview["timeline"]} == {ids["x1"], ids["x2"], ids["fa"]}


# --- alerts that are current (item 4) -----------------------------------------------------------------------


def _alerts(client: Any) -> list[dict[str, Any]]:
    answer = client.get("/api/alerts", headers=BEARER)
    assert answer.status_code == 200
    alerts: list[dict[str, Any]] = answer.get_json()
    return alerts


def test_alerts_are_computed_from_the_state_acknowledged_and_gone_with_their_cause(store: Store) -> None:
    one, two = held(store, 1), held(store, 2)
    store.raise_alert("review:twitter", "bot: 5 post(s) wait for review on twitter (stale)", NOW - 900)
    client = desk_client(store)
    (alert,) = [a for a in _alerts(client) if a["key"] == "review:twitter"]
    assert alert["text"].startswith("2 post(s) wait for review on twitter") and alert["acknowledged_by"] is None
    page = client.get("/").get_data(as_text=True)
    assert "5 post(s)" not in page and 'id="alertline">1 alert<' in page
    store.approve(one, NOW)
    (alert,) = [a for a in _alerts(client) if a["key"] == "review:twitter"]
    assert alert["text"].startswith("1 post(s) wait"), "it follows the state"
    csrf = csrf_of(page)
    assert client.post(f"/alerts/{alert['id']}/ack", data={"csrf": csrf}).status_code == 303
    (seen,) = [a for a in _alerts(client) if a["key"] == "review:twitter"]
    assert seen["acknowledged_by"] == "shared token"
    page = client.get("/").get_data(as_text=True)
    assert 'id="alertline"' not in page and "acknowledged by shared token" in page.split('id="acknowledged"')[1]
    three = held(store, 3)  # it changed: it is news again
    (again,) = [a for a in _alerts(client) if a["key"] == "review:twitter"]
    assert again["acknowledged_by"] is None and again["id"] != alert["id"]
    assert client.post(f"/api/alerts/{alert['id']}/ack", headers=BEARER).status_code == 404, "that one is over"
    assert client.post(f"/api/alerts/{again['id']}/ack", headers=BEARER).get_json()["ok"] is True
    store.approve(two, NOW)
    store.approve(three, NOW)
    assert [a for a in _alerts(client) if a["key"] == "review:twitter"] == [], "gone when its cause is gone"


def test_a_paused_account_is_an_alert_until_it_is_resumed(store: Store) -> None:
    from dataclasses import replace

    client = desk_client(store)
    state_ = store.platform_state("mastodon")
    store.save_platform_state(replace(state_, paused_reason="401: the access token was revoked"))
    (paused,) = [a for a in _alerts(client) if a["key"] == "paused:mastodon"]
    assert "mastodon is PAUSED" in paused["text"] and "token was revoked" in paused["text"]
    store.save_platform_state(replace(state_, paused_reason=None))
    assert not [a for a in _alerts(client) if a["key"] == "paused:mastodon"]


# --- each post as its network shows it (item 1) ------------------------------------------------------------

NETWORKS = """[[feeds]]
url = "https://news.example.org/feed"
[platforms.twitter]
review = true
[platforms.facebook]
review = true
photo_posts = true
[platforms.mastodon]
review = true
visibility = "unlisted"
[platforms.bluesky]
review = true
[platforms.telegram]
review = true
"""


def _preview(page: str, pid: int) -> str:
    return page.split(f'id="post-{pid}"')[1].split('<div class="meta length">')[0]


def test_each_post_is_drawn_as_its_network_shows_it_from_the_draft_that_is_sent(store: Store) -> None:
    import html

    image = {"image_url": "https://news.example.org/council.jpg", "image_alt": "The council chamber, full"}
    text = "Budget passed @mayor #Council https://news.example.org/7 <b>"
    ids = {net: held(store, 7, net, text=text, **image) for net in ("twitter", "facebook", "mastodon", "bluesky")}
    ids["telegram"] = held(store, 7, "telegram", text="شورای شهر بودجه را تصویب کرد https://news.example.org/7",
                           **image)
    ids["plain"] = held(store, 8, "telegram", text="No picture here https://news.example.org/8")
    page = desk_client(store, config=desk_config(NETWORKS)).get("/").get_data(as_text=True)
    x = _preview(page, ids["twitter"])
    assert 'data-network="twitter"' in x and "post with its link card" in x
    assert '<a href="https://news.example.org/7" class="link" dir="ltr" rel="noopener noreferrer" data-weight="23"' in x
    assert '<span class="tag">#Council</span>' in x and '<a href="https://x.com/mayor" class="mention"' in x
    # Each network marks what it links itself (bot.networks.marks): a mention on Mastodon, none on Bluesky,
    # whose only marks are the facets the bot sends.
    assert '<span class="mention">@mayor</span>' in _preview(page, ids["mastodon"])
    assert "mention" not in _preview(page, ids["bluesky"]) and "mention" not in _preview(page, ids["facebook"])
    assert 'alt="The council chamber, full"' in x and '<span class="host meta">news.example.org</span>' in x
    shown = x.split('<div class="text"')[1].split("</div>")[0]
    assert html.unescape(re_tags(shown.split(">", 1)[1])) == text, "the text is the draft's, every character"
    fb = _preview(page, ids["facebook"])
    assert "photo post (the link in its caption)" in fb and '<img class="photo"' in fb and 'class="card"' not in fb
    assert 'visibility <span class="visibility">unlisted</span>' in _preview(page, ids["mastodon"])
    assert 'alt="The council chamber, full"' in _preview(page, ids["bluesky"])
    fa = _preview(page, ids["telegram"])
    assert "captioned photo" in fa and 'dir="rtl"' in fa and 'class="link" dir="ltr"' in fa
    assert "message with its link preview" in _preview(page, ids["plain"])


def re_tags(fragment: str) -> str:
    import re

    return re.sub(r"<[^>]+>", "", fragment)


# --- who did what (item 5) ------------------------------------------------------------------------------------


def _sign_in(store: Store, token: str) -> Any:
    client = create_app(desk_config(), store, secure_cookies=False, clock=lambda: NOW).test_client()
    page = client.get("/login").get_data(as_text=True)
    assert client.post("/login", data={"token": token, "csrf": csrf_of(page)}).status_code == 303
    return client


def test_named_editors_sign_in_with_their_own_token_kept_only_as_a_hash(store: Store) -> None:
    from bot.web import editors

    token = editors.add(store, "alice", NOW)
    assert token.startswith("be_") and len(token) > 50
    row = store.editor("alice")
    assert row is not None and token.split("_", 2)[2] not in row.token_hash and row.token_hash.startswith("scrypt$")
    with pytest.raises(editors.EditorError, match="already an editor named 'alice'"):
        editors.add(store, "alice", NOW)
    with pytest.raises(editors.EditorError, match="not an editor name"):
        editors.add(store, "a b<script>", NOW)
    assert editors.verify(store, token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    assert editors.verify(store, "be_0000000000_" + token.split("_", 2)[2]) is None
    pid = held(store, 1)
    alice = _sign_in(store, token)
    page = alice.get("/").get_data(as_text=True)
    assert "signed in as alice" in page
    assert alice.post(f"/queue/{pid}/approve", data={"csrf": csrf_of(page)}).status_code == 303
    api = alice.post(f"/api/queue/{held(store, 2)}/approve", headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 200
    shared = desk_client(store)  # BOT_WEB_TOKEN keeps working beside them
    assert shared.post(f"/api/queue/{held(store, 3)}/skip", headers=BEARER).status_code == 200
    trail = [(e.editor, e.via, e.action) for e in reversed(store.audit())]
    assert trail == [("alice", "page", "approve"), ("alice", "api", "approve"), ("shared token", "api", "skip")]


def test_revoking_an_editor_signs_only_them_out(store: Store) -> None:
    from bot.web import editors

    alice_token, bob_token = editors.add(store, "alice", NOW), editors.add(store, "bob", NOW)
    alice, bob = _sign_in(store, alice_token), _sign_in(store, bob_token)
    assert editors.revoke(store, "alice", NOW + 10)
    assert alice.get("/").headers["Location"] == "/login", "her open session ends at once"
    assert alice.get("/api/queue").status_code == 401
    assert alice.get("/api/queue", headers={"Authorization": f"Bearer {alice_token}"}).status_code == 401
    page = alice.get("/login").get_data(as_text=True)
    assert alice.post("/login", data={"token": alice_token, "csrf": csrf_of(page)}).status_code == 401
    assert bob.get("/").status_code == 200 and "signed in as bob" in bob.get("/").get_data(as_text=True)
    assert not editors.revoke(store, "alice", NOW + 20)


def test_the_audit_trail_keeps_who_did_what_with_an_edit_s_before_and_after(store: Store) -> None:
    from bot.web import editors

    token = editors.add(store, "alice", NOW)
    alice = _sign_in(store, token)
    one, two, three = held(store, 1), held(store, 2), held(store, 3)
    bearer = {"Authorization": f"Bearer {token}"}
    assert alice.post(f"/api/queue/{one}/edit", headers=bearer, json={"text": "Budget: yes"}).status_code == 200
    assert alice.post(f"/api/queue/{one}/edit", headers=bearer, json={"text": "x" * 300}).status_code == 400
    assert alice.post("/api/queue/approve", headers=bearer, json={"ids": [one, two]}).status_code == 200
    assert alice.post(f"/api/queue/{two}/unapprove", headers=bearer).status_code == 200
    assert alice.post(f"/api/queue/{three}/skip", headers=bearer).status_code == 200
    trail = alice.get(f"/api/audit?post={one}", headers=bearer).get_json()
    assert [t["action"] for t in trail] == ["approve", "edit"], "a refused edit changed nothing: not recorded"
    edit = trail[1]
    assert (edit["editor"], edit["via"], edit["before"], edit["after"]) == (
        "alice", "api", "Council news 1 #Council", "Budget: yes")
    assert edit["at"] == "2025-12-29T10:20:00+01:00"
    everything = alice.get("/api/audit", headers=bearer).get_json()
    assert [t["action"] for t in everything] == ["skip", "unapprove", "approve", "approve", "edit"]
    page = alice.get("/").get_data(as_text=True).split('id="audit"')[1]
    assert "alice" in page and "before:</span> Council news 1 #Council" in page
    assert alice.get("/api/audit?post=x1", headers=bearer).status_code == 400


def test_bot_editors_and_bot_history_audit_on_the_command_line(tmp_path: Any) -> None:
    import json

    from bot.store import open_store
    from tests.helpers import bot_env, run_bot

    config = tmp_path / "bot.toml"
    config.write_text(CONFIG)
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    env = bot_env(None, None, db, config, {"BOT_WEB_TOKEN": TOKEN})
    added = run_bot(["editors", "add", "alice"], env, tmp_path)
    assert added.returncode == 0, added.stderr
    token = added.stdout.strip()
    assert token.startswith("be_") and "shown once" in added.stderr and token not in added.stderr
    again = run_bot(["editors", "add", "alice"], env, tmp_path)
    assert again.returncode == 2 and "already an editor named 'alice'" in again.stderr
    listed = run_bot(["editors", "list"], env, tmp_path)
    assert listed.stdout.startswith("alice  added ") and "active" in listed.stdout and token not in listed.stdout
    store = open_store(db)
    try:
        pid = held(store, 1)
        assert token.split("_", 2)[2] not in repr(store.editors())
    finally:
        store.close()
    assert run_bot(["edit", str(pid), "--text", "Le budget est voté"], env, tmp_path).returncode == 0
    assert run_bot(["approve", str(pid)], env, tmp_path).returncode == 0
    shown = run_bot(["history", "--audit"], env, tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert "(cli) approve: #1 twitter: approved" in shown.stdout
    assert "    before: 'Council news 1 #Council'\n    after:  'Le budget est voté'" in shown.stdout
    as_json = json.loads(run_bot(["history", "--audit", "--json"], env, tmp_path).stdout)
    assert [e["action"] for e in as_json] == ["approve", "edit", "editor-add"]  # newest first
    assert as_json[0]["editor"].startswith("cli")
    revoked = run_bot(["editors", "revoke", "alice"], env, tmp_path)
    assert revoked.returncode == 0 and "revoked" in revoked.stdout
    assert run_bot(["editors", "revoke", "alice"], env, tmp_path).returncode == 2


def test_a_long_queue_draws_the_first_posts_in_full_and_counts_them_all(store: Store) -> None:
    from bot.web.app import CARDS

    ids = [held(store, n) for n in range(1, CARDS + 6)]
    client = desk_client(store)
    page = client.get("/?state=review").get_data(as_text=True)
    assert page.count('<article class="post') == CARDS
    assert f"showing {CARDS} of {len(ids)} posts" in page and 'href="/?state=review&amp;all=1#account-twitter"' in page
    assert f'aria-label="{len(ids)} review on twitter"' in page, "the counts cover every post"
    assert page.count('<li data-id=') == len(ids), "so does the timeline (under its own limit of 100)"
    everything = client.get("/?state=review&all=1").get_data(as_text=True)
    assert everything.count('<article class="post') == len(ids) and "showing" not in everything


# --- a one-off post from the page (item 6) ------------------------------------------------------------------


def test_a_one_off_text_is_previewed_per_network_then_queued_by_the_bot_post_path(store: Store) -> None:
    client = desk_client(store)
    csrf = csrf_of(client.get("/post").get_data(as_text=True))
    text = "Road closed on Main St today https://news.example.org/roads #Traffic"
    shown = client.post("/post", data={"csrf": csrf, "text": text, "do": "preview"})
    assert shown.status_code == 200
    page = shown.get_data(as_text=True)
    assert 'id="oneoff-twitter"' in page and 'id="oneoff-mastodon"' in page
    assert 'data-network="mastodon"' in page and '<span class="tag">#Traffic</span>' in page
    assert store.deliveries(limit=10) == [], "a preview writes nothing"
    queued = client.post("/post", data={"csrf": csrf, "text": text, "platform": ["mastodon"], "do": "queue"})
    assert queued.status_code == 303
    (row,) = store.deliveries(limit=10)
    assert (row.platform, row.text, row.state) == ("mastodon", text, "queued")
    (entry,) = store.audit()
    assert (entry.action, entry.editor, entry.via, entry.delivery_id) == ("post", "shared token", "page", row.id)
    again = client.post("/api/post", headers=BEARER, json={"text": text, "platforms": ["mastodon"], "queue": True})
    assert again.status_code == 200 and again.get_json()["queued"] == []
    assert "already posted or queued earlier" in again.get_json()["message"]
    assert len(store.deliveries(limit=10)) == 1, "the same text is never queued twice"


def test_a_one_off_that_no_account_takes_is_refused_with_the_typed_text_kept(store: Store) -> None:
    client = desk_client(store)
    csrf = csrf_of(client.get("/post").get_data(as_text=True))
    text = "Le conseil " + "x" * 300
    refused = client.post("/post", data={"csrf": csrf, "text": text, "do": "queue"})
    assert refused.status_code == 400
    page = refused.get_data(as_text=True)
    assert "too long for twitter" in page and f">{text}</textarea>" in page and 'id="post-error"' in page
    assert store.deliveries(limit=10) == [], "all or nothing: no account got it"
    for bad in ({"text": "a", "url": "https://x.org/"}, {}, {"url": "javascript:alert(1)"},
                {"text": "a", "platforms": ["myspace"]}, {"text": 3}):
        assert client.post("/api/post", headers=BEARER, json=bad).status_code == 400, bad


# --- a token's days on the page (issue 23) -------------------------------------------------------------


def test_the_page_shows_each_expiring_tokens_days_as_bot_status_does(store: Store) -> None:
    from bot import tokens

    config = desk_config(CONFIG + "[platforms.threads]\n")
    record = tokens.TokenRecord(fingerprint="f", seen_at=NOW - 20 * tokens.DAY, expires_at=NOW + 40 * tokens.DAY,
                                said=True, said_by="Threads")
    store.save_session(tokens.row_key("threads"), record.dump(), NOW)
    page = desk_client(store, config=config).get("/").get_data(as_text=True)
    line = "token: 40 days left (until 2026-02-07, as Threads says)"
    assert tokens.account_line(store, "threads", "threads", NOW) == line
    threads = page.split('id="account-threads"')[1].split("</section>")[0]
    assert line in threads, threads[:400]
    twitter = page.split('id="account-twitter"')[1].split("</section>")[0]
    assert "token:" not in twitter, "X's tokens do not expire: no line"
