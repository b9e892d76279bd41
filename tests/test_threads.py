"""The Threads module over HTTP against the local Threads API (tests/fakes/threads.py), which checks the token,
the container's fields and states, the 500-character and 5-link rules and the 250-a-day publishing limit."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.compose.rules import rules_for
from bot.errors import NeedsHumanError, RateLimited, RejectedError, RetryableError
from bot.models import Draft, Image
from bot.networks.threads import threads_length
from bot.platforms.threads import CONTAINER, ThreadsPlatform
from bot.store.base import Store
from tests.fakes.feed_server import FeedServer
from tests.fakes.threads import FakeThreads, threads_len
from tests.feedgen import Item, rss
from tests.helpers import bot_env, run_bot

TOKEN = "THAAJx-threads-long-lived-token-8Hq2"
LINK = "https://news.example.org/2026/11/budget-vote/"
IMAGE = "https://news.example.org/media/council.jpg"
TEXT = f"The council approved the budget\n\n{LINK}\n\n#CityCouncil"


@pytest.fixture
def th() -> Iterator[FakeThreads]:
    with FakeThreads(token=TOKEN) as server:
        yield server


def _platform(th: FakeThreads, token: str = TOKEN, **kw: object) -> ThreadsPlatform:
    waits: list[float] = []
    platform = ThreadsPlatform(token, f"{th.url}/v1.0", name="threads", sleep=waits.append, **kw)  # type: ignore[arg-type]
    platform.waited = waits  # type: ignore[attr-defined]
    return platform


def _draft(text: str = TEXT, **kw: object) -> Draft:
    return Draft(platform="threads", article_key="k1", text=text, link=LINK, **kw)  # type: ignore[arg-type]


def _calls(th: FakeThreads) -> list[str]:
    return [f"{r['method']} {r['path'].removeprefix('/v1.0')}" for r in th.requests]


def test_a_text_post_is_a_container_then_its_publication_with_the_link_previewed(th: FakeThreads) -> None:
    kept: list[list[str]] = []
    result = _platform(th).publish(_draft(), on_part=kept.append)
    [post] = th.posts
    assert post["text"] == TEXT and post["link_attachment_url"] == LINK and post["media_type"] == "TEXT_POST"
    assert result.remote_id == post["id"] and result.url == post["permalink"]
    # The container's id was kept before it was published: a crash from then on resumes that container.
    assert kept == [[CONTAINER + post["container"]]]
    assert _calls(th) == ["GET /me/threads_publishing_limit", "POST /me/threads", f"GET /{post['container']}",
                          "POST /me/threads_publish", f"GET /{post['id']}"]
    publish = next(r for r in th.requests if r["path"].endswith("threads_publish"))
    assert publish["params"] == {"creation_id": post["container"]}


def test_an_image_post_waits_for_its_container_then_publishes(th: FakeThreads) -> None:
    platform = _platform(th)
    platform.publish(_draft(image=Image(IMAGE, alt="The council chamber")))
    [post] = th.posts
    assert post["media_type"] == "IMAGE" and post["image_url"] == IMAGE and post["link_attachment_url"] is None
    assert LINK in post["text"]  # the link stays in the text: a preview is for text posts only
    assert platform.waited == [1.0]  # type: ignore[attr-defined]  # one IN_PROGRESS read, then FINISHED


def test_a_container_still_in_progress_is_kept_and_the_next_attempt_publishes_that_one(th: FakeThreads) -> None:
    th.image_reads_in_progress = 10
    platform = _platform(th)
    kept: list[list[str]] = []
    draft = _draft(image=Image(IMAGE))
    with pytest.raises(RetryableError, match="still preparing"):
        platform.publish(draft, on_part=kept.append)
    assert th.posts == [] and len(th.containers) == 1
    th.image_reads_in_progress = 0
    result = platform.publish(draft, kept[-1])
    assert [p["id"] for p in th.posts] == [result.remote_id] and len(th.containers) == 1


def test_a_crash_between_the_two_steps_publishes_the_kept_container_not_a_new_one(th: FakeThreads) -> None:
    class Killed(Exception):
        pass

    kept: list[list[str]] = []

    def record_then_die(parts: list[str]) -> None:
        kept.append(parts)
        raise Killed()  # the process dies right after the row is written

    with pytest.raises(Killed):
        _platform(th).publish(_draft(), on_part=record_then_die)
    assert th.posts == []
    result = _platform(th).publish(_draft(), kept[-1])
    assert len(th.containers) == 1 and [p["container"] for p in th.posts] == [kept[-1][0][len(CONTAINER):]]
    assert result.remote_id == th.posts[0]["id"]


def test_a_lost_answer_to_the_publication_finds_the_post_and_never_publishes_again(th: FakeThreads) -> None:
    kept: list[list[str]] = []
    th.fail_after_commit(how="drop")
    with pytest.raises(RetryableError):
        _platform(th).publish(_draft(), on_part=kept.append)
    assert len(th.posts) == 1
    result = _platform(th).publish(_draft(), kept[-1])
    assert result.remote_id == th.posts[0]["id"] and len(th.posts) == 1
    assert th.count("POST", "*/threads_publish") == 1  # the resumed container was PUBLISHED: looked up
    assert not any(r.get("duplicate") for r in th.requests)


def test_a_published_container_not_listed_yet_is_never_published_again(th: FakeThreads) -> None:
    kept: list[list[str]] = []
    th.fail_after_commit(how="error")
    th.list_lag = 60.0
    with pytest.raises(RetryableError):
        _platform(th).publish(_draft(), on_part=kept.append)
    with pytest.raises(RetryableError, match="not listed"):
        _platform(th).publish(_draft(), kept[-1])
    assert len(th.posts) == 1 and th.count("POST", "*/threads_publish") == 1


def test_an_expired_container_made_no_post_so_a_new_one_goes(th: FakeThreads) -> None:
    kept: list[list[str]] = []
    th.drop_connection()  # the publication never arrived
    with pytest.raises(RetryableError):
        _platform(th).publish(_draft(), on_part=kept.append)
    th.expire(kept[-1][0][len(CONTAINER):])
    _platform(th).publish(_draft(), kept[-1])
    assert len(th.posts) == 1 and len(th.containers) == 2


def test_the_publishing_limit_stops_the_bot_before_threads_must(th: FakeThreads) -> None:
    th.used_today(249)
    platform = _platform(th)
    platform.publish(_draft())
    quota = platform.quota()
    assert quota is not None and quota.remaining == 0 and "250 posts in 24 hours" in quota.what
    with pytest.raises(RateLimited) as caught:
        platform.publish(_draft(text="Another story https://news.example.org/2"))
    assert caught.value.not_sent and caught.value.retry_after
    assert len(th.posts) == 1 and len(th.containers) == 1  # no container made past the limit
    assert platform.quota().reset_at is not None  # type: ignore[union-attr]


def test_the_fake_enforces_the_daily_limit_itself(th: FakeThreads) -> None:
    th.used_today(250)
    platform = _platform(th)
    container = platform._create(_draft(), False)
    with pytest.raises(RateLimited):
        platform._publish_when_ready(container, "FINISHED")
    assert th.posts == []


def test_500_characters_as_threads_counts_emoji_are_their_utf8_bytes(th: FakeThreads) -> None:
    assert threads_length("👍") == 4 and threads_length("سلام") == 4 == threads_len("سلام")
    fits = "x" * (500 - 4) + "👍"
    _platform(th).publish(_draft(text=fits))
    over = "x" * (500 - 3) + "👍"
    with pytest.raises(RejectedError, match="501 characters"):
        _platform(th).publish(_draft(text=over))
    assert len(th.posts) == 1 and len(th.containers) == 1  # refused before any container


def test_more_than_five_links_are_refused_before_and_by_the_fake(th: FakeThreads) -> None:
    six = " ".join(f"https://e.org/{n}" for n in range(5)) + f" {LINK}"
    with pytest.raises(RejectedError, match="6 links"):
        _platform(th).publish(_draft(text=six))
    assert th.containers == {}
    with pytest.raises(RejectedError, match="LINK_LIMIT_EXCEEDED"):  # the fake is as strict on its own
        _platform(th)._create(_draft(text=six), False)


def test_a_wrong_token_pauses_the_account_and_is_never_said(th: FakeThreads, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = "THAAJx-revoked-token-0000"
    with pytest.raises(NeedsHumanError) as caught:
        _platform(th, token=wrong).publish(_draft())
    assert "THREADS_ACCESS_TOKEN" in str(caught.value)
    assert wrong not in str(caught.value) and wrong not in caplog.text and TOKEN not in caplog.text
    assert all("access_token" not in str(r["query"]) for r in th.requests)  # the token is in a header only


@pytest.mark.parametrize("code", [4, 17, 32, 613])
def test_graph_rate_limit_codes_are_rate_limits(th: FakeThreads, code: int) -> None:
    th.rate_limit(code=code)
    with pytest.raises(RateLimited):
        _platform(th).publish(_draft())
    assert th.posts == []


def test_5xx_and_dropped_connections_are_retryable(th: FakeThreads) -> None:
    th.fail(status=500, endpoint="POST /*/threads")
    with pytest.raises(RetryableError) as caught:
        _platform(th).publish(_draft())
    assert not isinstance(caught.value, RateLimited)
    th.reset_connection(endpoint="POST /*/threads")
    with pytest.raises(RetryableError):
        _platform(th).publish(_draft())
    assert th.posts == []


def test_find_existing_matches_the_link_among_recent_threads(th: FakeThreads) -> None:
    platform = _platform(th)
    assert platform.find_existing(_draft()) is None
    posted = platform.publish(_draft())
    other = Draft(platform="threads", article_key="k2", text="Other https://news.example.org/other",
                  link="https://news.example.org/other")
    assert platform.find_existing(other) is None
    found = platform.find_existing(_draft(text="changed text, same link"))
    assert found is not None and found.remote_id == posted.remote_id


def test_verify_names_the_profile_and_its_daily_usage(th: FakeThreads) -> None:
    th.used_today(7)
    account = _platform(th).verify()
    assert account.name == "@ournews" and account.id == th.user_id
    assert account.limits == "7 of 250 posts published through the API in the last 24 hours"


def test_threads_compose_rules_keep_a_post_within_500() -> None:
    from bot.compose import compose
    from bot.compose.spec import ComposeSpec
    from bot.models import Article

    rules = rules_for("threads")
    assert rules.max_length == 500 and rules.default_max_hashtags == 1 and rules.link_placement == "inline"
    article = Article(key="a", feed_url="https://e.org/feed", url=LINK, title="🎉 " * 80 + "Budget",
                      summary="The council approved it. " * 40, categories=("Budget",))
    draft = compose(article, ComposeSpec(platform="threads"))
    assert threads_length(draft.text) <= 500 and LINK in draft.text


# --- the delivery loop and `bot run --once` -------------------------------------------------------------------

def test_delivery_resumes_the_kept_container_after_a_lost_answer(store: Store, th: FakeThreads) -> None:
    from bot.config import parse_config, read_environment
    from bot.delivery.loop import deliver_platform
    from bot.models import Article
    from bot.platforms import build_platform
    from bot.poll import compose_drafts, new_delivery
    from bot.retries import Tuning
    from bot.store.base import POSTED

    fast = Tuning(lease_seconds=60, backoff_base=10, backoff_cap=100, max_attempts=3, pause_probe_seconds=30,
                  lookup_lag=0)
    env = read_environment({"THREADS_ACCESS_TOKEN": TOKEN, "THREADS_API_URL": f"{th.url}/v1.0"})
    config = parse_config('[[feeds]]\nurl = "https://example.org/feed"\n[platforms.threads]\n', None, env)
    platform = build_platform(config, "threads", dry_run=False, show=lambda name, draft: None, store=store)
    assert isinstance(platform, ThreadsPlatform)
    article = Article(key="a1", feed_url="https://example.org/feed", url=LINK, title="Budget approved")
    [draft] = compose_drafts(config, article, ["threads"])
    store.record_articles([], [new_delivery(article, draft, article.feed_url, 1000.0)], 1000.0)
    th.fail_after_commit(how="drop")
    first = deliver_platform(config, store, platform, "w1", clock=lambda: 2000.0, tuning=fast)
    assert first.posted == [] and len(th.posts) == 1
    [row] = store.deliveries()
    assert row.uncertain and row.parts == (CONTAINER + th.posts[0]["container"],)
    again = deliver_platform(config, store, platform, "w2", clock=lambda: 10**9, tuning=fast)
    assert [d.article_key for d, _ in again.posted] == ["a1"]
    [row] = store.deliveries()
    assert row.state == POSTED and row.remote_id == th.posts[0]["id"]
    assert len(th.posts) == 1 and th.count("POST", "*/threads_publish") == 1


def test_run_once_posts_exactly_the_new_articles_once(tmp_path: Path, th: FakeThreads) -> None:
    with FeedServer() as feeds:
        items = [Item(n) for n in range(1, 3)]
        feeds.set("/feed.xml", rss(items))
        config = tmp_path / "bot.toml"
        config.write_text(f'[[feeds]]\nurl = "{feeds.url_for("/feed.xml")}"\nname = "news"\n\n[platforms.threads]\n',
                          encoding="utf-8")
        env = bot_env(None, None, f"sqlite:///{tmp_path / 'state.db'}", config, {
            "THREADS_ACCESS_TOKEN": TOKEN, "THREADS_API_URL": f"{th.url}/v1.0"})

        def run(args: list[str]) -> str:
            result = run_bot(args, env, tmp_path)
            output = result.stdout + result.stderr
            assert result.returncode == 0 and "Traceback" not in output and TOKEN not in output, output
            return output

        run(["run", "--once"])
        assert th.posts == []  # first sight is a baseline
        feeds.set("/feed.xml", rss([*items, Item(3), Item(4)]))
        run(["run", "--once"])
        run(["run", "--once"])
        posts = th.posts
        assert [p["link_attachment_url"] for p in posts] == [Item(3).url, Item(4).url]
        assert all(threads_length(p["text"]) <= 500 and Item(3).title[:20] in posts[0]["text"] for p in posts)
        assert "@ournews" in run(["check"])


def test_an_image_meta_could_not_fetch_goes_as_text_and_a_resumed_error_makes_a_new_container(
        th: FakeThreads) -> None:
    th.image_fetch_ok = False
    kept: list[list[str]] = []
    _platform(th).publish(_draft(image=Image(IMAGE)), on_part=kept.append)
    [post] = th.posts
    assert post["media_type"] == "TEXT_POST" and post["link_attachment_url"] == LINK
    assert [p[0] for p in kept] == [CONTAINER + c for c in th.containers]  # each container kept before use
    # A later attempt of a post whose kept container is in ERROR: it made no post, so a new one goes.
    image_container = next(c for c, v in th.containers.items() if v["media_type"] == "IMAGE")
    other = Draft(platform="threads", article_key="k2", text="Other https://news.example.org/o",
                  link="https://news.example.org/o")
    result = _platform(th).publish(other, [CONTAINER + image_container])
    assert [p["id"] for p in th.posts][-1] == result.remote_id and len(th.posts) == 2 and len(th.containers) == 3


# --- how long the token has left: debug_token, and the token endpoints' parameters ----------------------------

def _get(th: FakeThreads, path: str, params: dict[str, str], bearer: str | None = TOKEN) -> tuple[int, Any]:
    import requests

    headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
    answer = requests.get(f"{th.url}/v1.0/{path}", params=params, headers=headers, timeout=10)
    return answer.status_code, answer.json()


def test_the_fake_debugs_a_token_as_meta_documents_it(th: FakeThreads) -> None:
    """developers.facebook.com/documentation/threads/reference/debug (updated 2025-06-04): GET /debug_token with
    access_token (a tester's token of the app, here as the Bearer header Meta's Postman collection sends) and
    input_token, both required; the answer's times are Unix seconds."""
    th.issued_ago(10 * 86400)
    status, body = _get(th, "debug_token", {"input_token": TOKEN})
    data = body["data"]
    assert status == 200 and data["is_valid"] is True and data["expires_at"] - data["issued_at"] == 60 * 86400
    assert _get(th, "debug_token", {"input_token": TOKEN, "access_token": TOKEN}, bearer=None)[0] == 200
    assert _get(th, "debug_token", {"input_token": TOKEN}, bearer="THAA-not-ours-0000")[1]["error"]["code"] == 190
    status, body = _get(th, "debug_token", {})
    assert status == 400 and "input_token is required" in body["error"]["message"]
    status, body = _get(th, "debug_token", {"input_token": TOKEN, "fields": "expires_at"})
    assert status == 400 and "Unsupported parameter: fields" in body["error"]["message"]
    status, body = _get(th, "refresh_access_token", {"grant_type": "th_refresh_token", "expires": "1"})
    assert status == 400 and "Unsupported parameter: expires" in body["error"]["message"] and th.refreshes == 0
    assert _get(th, "debug_token", {"input_token": "THAA-unknown-1111"})[1]["data"]["is_valid"] is False


def test_threads_ask_says_when_the_token_ends_or_why_not(th: FakeThreads) -> None:
    from bot.platforms.expiry import threads_ask

    th.issued_ago(10 * 86400)
    ends = threads_ask(f"{th.url}/v1.0", "threads")(TOKEN)
    assert ends == (float(int(th.issued_at(TOKEN)) + 60 * 86400), "Threads")
    th.set_token("THAA-a-new-token-2222")  # the old one is unknown to the app now: not valid
    with pytest.raises(RejectedError):
        threads_ask(f"{th.url}/v1.0", "threads")(TOKEN)
    th.tester = False
    with pytest.raises(RejectedError, match="Threads tester") as caught:
        threads_ask(f"{th.url}/v1.0", "threads")("THAA-a-new-token-2222")
    assert "THAA-a-new-token-2222" not in str(caught.value)
