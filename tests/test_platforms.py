"""The real tweepy and facebook-sdk clients, through our platform classes, against local fakes."""

from __future__ import annotations

import json
import struct
import time
import zlib
from collections.abc import Iterator

import pytest

from bot.config import Secret
from bot.errors import DuplicateError, NeedsHumanError, RateLimited, RejectedError, RetryableError
from bot.models import Draft, Image
from bot.networks.facebook import FacebookCredentials
from bot.networks.twitter import TwitterCredentials
from bot.platforms.facebook import FacebookPlatform
from bot.platforms.twitter import TwitterPlatform
from tests.fakes.feed_server import FeedServer
from tests.helpers import FB_PAGE_ID, FB_TOKEN, X_KEYS, fake_graph, fake_x

LINK = "https://news.example.org/2026/11/story/"


def _png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\x00" + b"\xff\x00\x00" * 4 for _ in range(4))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 4, 4, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def _twitter_creds(**override: str) -> TwitterCredentials:
    values = dict(X_KEYS, **override)
    return TwitterCredentials(*(Secret(values[k]) for k in (
        "TWITTER_API_KEY", "TWITTER_API_SECRET", "TWITTER_ACCESS_TOKEN", "TWITTER_ACCESS_TOKEN_SECRET")))


@pytest.fixture
def x() -> Iterator[object]:
    with fake_x() as server:
        yield server


@pytest.fixture
def graph() -> Iterator[object]:
    with fake_graph() as server:
        yield server


def _draft(text: str = f"A headline for the story {LINK} #CityCouncil", **kw: object) -> Draft:
    return Draft(platform="twitter", article_key="k1", text=text, link=LINK, **kw)  # type: ignore[arg-type]


def test_x_publish_and_find_existing(x) -> None:  # type: ignore[no-untyped-def]
    platform = TwitterPlatform(_twitter_creds(), x.url)
    result = platform.publish(_draft())
    assert [t["text"] for t in x.tweets] == [_draft().text]
    assert result.remote_id == x.tweets[0]["id"] and result.url and result.remote_id in result.url
    found = platform.find_existing(_draft())
    assert found is not None and found.remote_id == result.remote_id
    assert platform.find_existing(Draft(platform="twitter", article_key="k2", text="other",
                                        link="https://other.example/")) is None
    assert platform.verify().name == "@ourorg"


def test_x_thread_replies_to_the_first_post(x) -> None:  # type: ignore[no-untyped-def]
    platform = TwitterPlatform(_twitter_creds(), x.url)
    platform.publish(_draft(thread=("2/3 more of the story", "3/3 the end")))
    tweets = x.tweets
    assert [t["reply_to"] for t in tweets] == [None, tweets[0]["id"], tweets[1]["id"]]


def test_x_errors_are_classified(x) -> None:  # type: ignore[no-untyped-def]
    platform = TwitterPlatform(_twitter_creds(), x.url)
    with pytest.raises(RejectedError, match="too long"):
        platform.publish(_draft("word " * 70))
    platform.publish(_draft())
    with pytest.raises(DuplicateError):
        platform.publish(_draft())
    x.fail(503)
    with pytest.raises(RetryableError):
        platform.publish(_draft("second text"))
    x.rate_limit(reset_in_seconds=120)
    with pytest.raises(RateLimited) as limited:
        platform.publish(_draft("third text"))
    assert limited.value.retry_after is not None and 60 < limited.value.retry_after <= 125
    bad = TwitterPlatform(_twitter_creds(TWITTER_API_SECRET="wrong-secret"), x.url)
    with pytest.raises(NeedsHumanError):
        bad.publish(_draft("fourth"))
    assert len(x.tweets) == 1


def test_x_stall_times_out_instead_of_hanging(x, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import bot.platforms.http as http

    monkeypatch.setattr(http, "DEFAULT_TIMEOUT", (1.0, 1.0))
    platform = TwitterPlatform(_twitter_creds(), x.url)
    for adapter in platform.client.session.adapters.values():
        if isinstance(adapter, http.RedirectingAdapter):
            adapter.timeout = (1.0, 1.0)
    x.stall(5, commit=False)
    started = time.monotonic()
    with pytest.raises(RetryableError):
        platform.publish(_draft())
    assert time.monotonic() - started < 4


def test_x_image_is_uploaded_with_alt_text(x) -> None:  # type: ignore[no-untyped-def]
    with FeedServer() as site:
        site.set("/photo.png", _png(), content_type="image/png")
        platform = TwitterPlatform(_twitter_creds(), x.url)
        # The image is on the host of the feed the draft came from (elsewhere private: test_hostile_fetch).
        platform.publish(_draft(image=Image(site.url_for("/photo.png"), "The council chamber"),
                                feed_url=site.url_for("/feed.xml")))
    tweet = x.tweets[0]
    assert len(tweet["media_ids"]) == 1
    upload = x.uploads[0]
    assert upload["data"] == _png() and upload["finalized"] and upload["alt_text"] == "The council chamber"
    assert tweet["media_ids"] == [upload["id"]]


def test_x_broken_image_never_blocks_the_post(x) -> None:  # type: ignore[no-untyped-def]
    with FeedServer() as site:
        platform = TwitterPlatform(_twitter_creds(), x.url)
        platform.publish(_draft(image=Image(site.url_for("/missing.jpg"), None), feed_url=site.url_for("/feed.xml")))
        assert site.hits("/missing.jpg") == 1  # asked for, answered 404
    assert len(x.tweets) == 1 and x.tweets[0]["media_ids"] == []


def _fb(graph, **kw: object) -> FacebookPlatform:  # type: ignore[no-untyped-def]
    return FacebookPlatform(FacebookCredentials(FB_PAGE_ID, Secret(FB_TOKEN)), graph.url, **kw)  # type: ignore[arg-type]


def test_facebook_link_post_and_lookup(graph) -> None:  # type: ignore[no-untyped-def]
    platform = _fb(graph)
    draft = Draft(platform="facebook", article_key="k1", text="Title\n\nSummary.", link=LINK)
    result = platform.publish(draft)
    assert graph.posts[0]["message"] == "Title\n\nSummary." and graph.posts[0]["link"] == LINK
    assert result.remote_id.startswith(FB_PAGE_ID + "_")
    assert platform.find_existing(draft) == result
    assert platform.verify().id == FB_PAGE_ID
    assert all(r.get("version") in (None, "v25.0") for r in graph.requests)


def test_facebook_photo_post_when_configured(graph) -> None:  # type: ignore[no-untyped-def]
    platform = _fb(graph, photo_posts=True)
    draft = Draft(platform="facebook", article_key="k1", text="Title", link=LINK,
                  image=Image("https://news.example.org/p.jpg", "alt"))
    platform.publish(draft)
    post = graph.posts[0]
    assert post["kind"] == "photo" and LINK in (post.get("caption") or "")


@pytest.mark.parametrize(("code", "error"), [
    (2, RetryableError), (1, RetryableError), (4, RateLimited), (32, RateLimited), (80001, RateLimited),
    (190, NeedsHumanError), (10, NeedsHumanError), (200, NeedsHumanError), (506, DuplicateError),
    (100, RejectedError),
])
def test_facebook_errors_are_classified(graph, code: int, error: type[Exception]) -> None:  # type: ignore[no-untyped-def]
    graph.fail(code)
    with pytest.raises(error) as raised:
        _fb(graph).publish(Draft(platform="facebook", article_key="k", text="t", link=LINK))
    assert FB_TOKEN not in str(raised.value)


def test_facebook_non_json_answer_is_retryable(graph) -> None:  # type: ignore[no-untyped-def]
    graph.fail_non_json(502)
    with pytest.raises(RetryableError):
        _fb(graph).publish(Draft(platform="facebook", article_key="k", text="t", link=LINK))


def test_facebook_rate_limit_honours_regain_access(graph) -> None:  # type: ignore[no-untyped-def]
    usage = json.dumps({FB_PAGE_ID: [{"type": "pages", "call_count": 100, "estimated_time_to_regain_access": 7}]})
    graph.fail(32, headers={"X-Business-Use-Case-Usage": usage})
    with pytest.raises(RateLimited) as raised:
        _fb(graph).publish(Draft(platform="facebook", article_key="k", text="t", link=LINK))
    assert raised.value.retry_after == 7 * 60


def test_facebook_expired_token(graph) -> None:  # type: ignore[no-untyped-def]
    graph.expire_token()
    with pytest.raises(NeedsHumanError) as raised:
        _fb(graph).publish(Draft(platform="facebook", article_key="k", text="t", link=LINK))
    assert raised.value.code == 190 and FB_TOKEN not in str(raised.value)


def test_x_quota_is_the_tightest_reported_limit() -> None:
    from bot.platforms.twitter import post_quota

    headers = {"x-rate-limit-remaining": "299", "x-rate-limit-reset": "1000",
               "x-user-limit-24hour-remaining": "0", "x-user-limit-24hour-reset": "5000",
               "x-app-limit-24hour-remaining": "40", "x-app-limit-24hour-reset": "6000"}
    quota = post_quota(headers)
    assert quota is not None and (quota.remaining, quota.reset_at) == (0, 5000.0) and "24-hour" in quota.what
    assert post_quota({}) is None


def test_x_quota_comes_from_the_post_answer(x) -> None:  # type: ignore[no-untyped-def]
    platform = TwitterPlatform(_twitter_creds(), x.url)
    assert platform.quota() is None
    platform.publish(_draft())
    quota = platform.quota()
    assert quota is not None and quota.remaining == 100_000 - 1


def test_facebook_usage_near_the_ceiling_pauses_before_graph_refuses() -> None:
    from bot.platforms.facebook import usage_quota

    assert usage_quota({}, 0.0) is None
    low = usage_quota({"X-App-Usage": json.dumps({"call_count": 12, "total_time": 3})}, 0.0)
    assert low is not None and low.remaining is None
    high = usage_quota({"X-App-Usage": json.dumps({"call_count": 97, "total_time": 3})}, 0.0)
    assert high is not None and high.remaining == 0 and high.reset_at == 300.0
    buc = json.dumps({FB_PAGE_ID: [{"call_count": 100, "estimated_time_to_regain_access": 7}]})
    throttled = usage_quota({"X-Business-Use-Case-Usage": buc}, 0.0)
    assert throttled is not None and throttled.reset_at == 7 * 60


def test_facebook_photo_post_is_found_by_the_link_in_its_caption(graph) -> None:  # type: ignore[no-untyped-def]
    platform = _fb(graph, photo_posts=True)
    draft = Draft(platform="facebook", article_key="k1", text="Title", link=LINK,
                  image=Image("https://news.example.org/p.jpg", "alt"))
    made = platform.publish(draft)
    found = platform.find_existing(draft)
    assert found is not None and found.remote_id == made.remote_id
    assert graph.requests[-1]["query"]["fields"] == "id,message,attachments{unshimmed_url}"
    assert graph.requests[-1]["status"] == 200


def test_facebook_link_post_is_found_by_its_attachment_not_its_text(graph) -> None:  # type: ignore[no-untyped-def]
    """A link post whose text the Page's editors changed since is still found: by its attachment's unshimmed_url
    (the Post's own `link` field is gone since Graph v3.3 and answers #12; the attachment's `url` is Facebook's
    l.facebook.com redirect, never the link itself)."""
    platform = _fb(graph)
    posted = graph.add_post(message="Edited by hand on facebook.com", link=LINK)
    graph.add_post(message="Another article", link="https://news.example.org/other/")
    found = platform.find_existing(Draft(platform="facebook", article_key="k1", text="Title\n\nSummary.", link=LINK))
    assert found is not None and found.remote_id == posted["id"]
    assert platform.find_existing(Draft(platform="facebook", article_key="k2", text="Title",
                                        link="https://news.example.org/never-posted/")) is None
    assert [r["status"] for r in graph.requests] == [200, 200]


def test_x_finds_the_next_reply_of_a_thread(x) -> None:  # type: ignore[no-untyped-def]
    platform = TwitterPlatform(_twitter_creds(), x.url)
    draft = _draft(thread=("2/2 the end",))
    root = platform.publish(draft)
    reply = platform.find_existing(draft, [root.remote_id])
    assert reply is not None and reply.remote_id == x.tweets[1]["id"]
    assert platform.find_existing(draft, [reply.remote_id]) is None
    # with every part done, publish posts nothing and answers the root
    assert platform.publish(draft, [root.remote_id, reply.remote_id]) == root and len(x.tweets) == 2


def test_x_thread_reports_progress_after_each_part_but_the_last(x) -> None:  # type: ignore[no-untyped-def]
    platform = TwitterPlatform(_twitter_creds(), x.url)
    seen: list[list[str]] = []
    platform.publish(_draft(thread=("2/3", "3/3")), on_part=seen.append)
    ids = [t["id"] for t in x.tweets]
    assert seen == [ids[:1], ids[:2]]
