"""The LinkedIn page module over HTTP against the local Posts and Images APIs (tests/fakes/linkedin.py), which
checks the token, the LinkedIn-Version header, the author, the article content and the commentary's little text
(refusing any reserved character left unescaped)."""

from __future__ import annotations

import json
import logging
import re
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.compose.rules import rules_for
from bot.errors import NeedsHumanError, RateLimited, RejectedError, RetryableError
from bot.models import Draft, Image
from bot.networks.linkedin import DEFAULT_VERSION, RESERVED, little_length, to_little
from bot.platforms.linkedin import LinkedInPlatform
from bot.store.base import Store
from tests.fakes.feed_server import FeedServer
from tests.fakes.linkedin import ACTIVE_VERSIONS, CLIENT_ID, CLIENT_SECRET, FakeLinkedIn, LittleError, parse_little
from tests.feedgen import Item, rss
from tests.helpers import ROOT, bot_env, run_bot

TOKEN = "AQVx-linkedin-admin-token-7Yt3"
ORG = "5515715"
LINK = "https://news.example.org/2026/11/budget-vote/"
GOLDEN = ROOT / "tests" / "golden" / "linkedin" / "little.json"


@pytest.fixture
def li() -> Iterator[FakeLinkedIn]:
    with FakeLinkedIn(token=TOKEN, organization_id=ORG) as server:
        yield server


def _platform(li: FakeLinkedIn, token: str = TOKEN, **kw: Any) -> LinkedInPlatform:
    return LinkedInPlatform(token, ORG, li.url, name="linkedin", **kw)


def _draft(text: str = "The council approved the budget (at last) #Budget", **kw: Any) -> Draft:
    kw.setdefault("hashtags", ("Budget",))
    return Draft(platform="linkedin", article_key="k1", text=text, link=LINK, title="Budget approved",
                 description="The council voted 7 to 2.", **kw)


def _png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b""))


# --- little text: golden and hand-written expectations ------------------------------------------------------

def _golden() -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = json.loads(GOLDEN.read_text(encoding="utf-8"))
    return cases


@pytest.mark.parametrize("case", _golden(), ids=lambda c: c["why"])
def test_commentary_golden(case: dict[str, Any]) -> None:
    assert to_little(case["text"], case["hashtags"]) == case["commentary"]
    # LinkedIn's grammar (the fake's parser) reads it back as the text readers should see, tags and all.
    text, tags = parse_little(case["commentary"])
    assert text == case["text"]
    assert tags == re.findall(r"\{hashtag\|\\#\|([^}]*)\}", case["commentary"])


@pytest.mark.parametrize("char", sorted(RESERVED))
def test_each_reserved_character_is_escaped_and_refused_bare(char: str) -> None:
    assert to_little(f"a{char}b") == f"a\\{char}b"
    with pytest.raises(LittleError):
        parse_little(f"a{char}b" if char != "#" else "a #_b")  # "#word" alone is a hashtag element


def test_a_hashtag_is_written_in_linkedins_template() -> None:
    assert to_little("News #Budget", ["Budget"]) == "News {hashtag|\\#|Budget}"
    assert to_little("News #Budget", []) == "News \\#Budget"
    assert little_length("a #b") == len("a {hashtag|\\#|b}")  # counted the longest it can be


@given(st.text(alphabet=st.sampled_from(sorted(RESERVED) + list("ab #\n؟é🎉")), max_size=40),
       st.lists(st.sampled_from(["a", "ab", "b"]), max_size=2))
def test_any_text_reads_back_exactly(text: str, tags: list[str]) -> None:
    shown, _ = parse_little(to_little(text, tags))
    assert shown == text


# --- posting ------------------------------------------------------------------------------------------------

def test_an_article_post_as_the_organization_with_the_version_header(li: FakeLinkedIn) -> None:
    result = _platform(li).publish(_draft())
    [post] = li.posts
    body = post["body"]
    assert body["author"] == f"urn:li:organization:{ORG}" and body["lifecycleState"] == "PUBLISHED"
    assert body["commentary"] == "The council approved the budget \\(at last\\) {hashtag|\\#|Budget}"
    assert post["text"] == _draft().text and post["hashtags"] == ["Budget"]
    assert body["content"] == {"article": {"source": LINK, "title": "Budget approved",
                                           "description": "The council voted 7 to 2."}}
    assert post["version"] == DEFAULT_VERSION
    assert result.remote_id == post["id"] and result.url == f"https://www.linkedin.com/feed/update/{post['id']}/"


def test_the_thumbnail_goes_through_the_images_api(li: FakeLinkedIn) -> None:
    with FeedServer() as site:
        site.set("/photo.png", _png(), content_type="image/png")
        draft = _draft(image=Image(site.url_for("/photo.png"), "The chamber"), feed_url=site.url_for("/feed.xml"))
        _platform(li).publish(draft)
    [post] = li.posts
    [(urn, image)] = li.images.items()
    assert post["body"]["content"]["article"]["thumbnail"] == urn
    assert image["status"] == "AVAILABLE" and image["bytes"] == len(_png()) and image["content_type"] == "image/png"


def test_an_image_that_cannot_be_had_posts_without_a_thumbnail(li: FakeLinkedIn) -> None:
    with FeedServer() as site:
        site.set("/photo.png", b"not an image", content_type="text/html")
        draft = _draft(image=Image(site.url_for("/photo.png")), feed_url=site.url_for("/feed.xml"))
        _platform(li).publish(draft)
    [post] = li.posts
    assert "thumbnail" not in post["body"]["content"]["article"] and li.images == {}


def test_the_fake_refuses_commentary_left_unescaped(li: FakeLinkedIn) -> None:
    platform = _platform(li)
    answer = platform.rest.call("POST", "rest/posts", headers={
        "Authorization": f"Bearer {TOKEN}", "LinkedIn-Version": DEFAULT_VERSION, "X-Restli-Protocol-Version": "2.0.0"},
        json_body={"author": f"urn:li:organization:{ORG}", "commentary": "Budget (at last)", "visibility": "PUBLIC",
                   "distribution": {"feedDistribution": "MAIN_FEED"}, "lifecycleState": "PUBLISHED"})
    assert answer.status == 422 and "reserved character '('" in answer.body["message"]
    assert li.posts == []


def test_a_retired_version_pauses_with_what_to_set(li: FakeLinkedIn) -> None:
    li.retire(DEFAULT_VERSION)
    with pytest.raises(NeedsHumanError) as caught:
        _platform(li).publish(_draft())
    said = str(caught.value)
    assert DEFAULT_VERSION in said and 'version = "YYYYMM" under [platforms.linkedin]' in said
    assert li.posts == []
    _platform(li, version="202607").publish(_draft())  # the setting is what is sent
    assert [p["version"] for p in li.posts] == ["202607"]


def test_the_default_version_is_live_and_a_sunset_or_unreleased_one_answers_426(li: FakeLinkedIn) -> None:
    """LinkedIn's pages, read 2026-12-08: "August 2026 - Version 202608 (Latest)" (learn.microsoft.com/linkedin/
    marketing/integrations/recent-changes); each version is supported a year from its release ("Versioning");
    202511 was sunset on 2026-11-16 ("Migrations"). The fake plays that table whatever today's date is."""
    assert DEFAULT_VERSION == "202608" == max(ACTIVE_VERSIONS)
    _platform(li).publish(_draft())
    assert [p["version"] for p in li.posts] == ["202608"]
    for version in ("202511", "202510", "202612"):  # sunset, sunset, never released
        with pytest.raises(NeedsHumanError, match=f"no longer serves API version {version}"):
            _platform(li, version=version).publish(_draft())
    answers = [r["status"] for r in li.requests if r["path"] == "/rest/posts"]
    assert answers == [201, 426, 426, 426] and len(li.posts) == 1


def test_a_refused_token_pauses_and_is_never_said(li: FakeLinkedIn, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = "AQVx-expired-token-0000"
    with pytest.raises(NeedsHumanError) as caught:
        _platform(li, token=wrong).publish(_draft())
    assert "LINKEDIN_ACCESS_TOKEN" in str(caught.value)
    assert wrong not in str(caught.value) and wrong not in caplog.text and TOKEN not in caplog.text


def test_429_waits_the_retry_after_and_5xx_is_retryable(li: FakeLinkedIn) -> None:
    li.rate_limit(retry_after=30)
    with pytest.raises(RateLimited) as caught:
        _platform(li).publish(_draft())
    assert caught.value.retry_after == 30.0
    li.fail(status=503)
    with pytest.raises(RetryableError):
        _platform(li).publish(_draft())
    assert li.posts == []


def test_a_wrong_organization_or_a_long_commentary_is_refused(li: FakeLinkedIn) -> None:
    with pytest.raises(NeedsHumanError, match="admin of the Page"):
        LinkedInPlatform(TOKEN, "999", li.url).publish(_draft())
    with pytest.raises(RejectedError, match="3000"):
        _platform(li).publish(_draft(text="(" * 1600))  # 1,600 characters, 3,200 escaped
    assert li.posts == []


def test_a_lost_answer_is_found_among_the_pages_posts(li: FakeLinkedIn) -> None:
    li.fail_after_commit(how="drop")
    platform = _platform(li)
    with pytest.raises(RetryableError):
        platform.publish(_draft())
    found = platform.find_existing(_draft())
    assert found is not None and found.remote_id == li.posts[0]["id"]
    other = Draft(platform="linkedin", article_key="k2", text="Other", link="https://news.example.org/other")
    assert platform.find_existing(other) is None


def test_verify_checks_token_version_and_page(li: FakeLinkedIn) -> None:
    account = _platform(li).verify()
    assert account.id == f"urn:li:organization:{ORG}" and account.limits == f"LinkedIn-Version {DEFAULT_VERSION}"
    li.retire(DEFAULT_VERSION)
    with pytest.raises(NeedsHumanError, match="no longer serves"):
        _platform(li).verify()


def test_compose_keeps_the_commentary_within_3000_as_sent() -> None:
    from bot.compose import compose
    from bot.compose.spec import ComposeSpec
    from bot.models import Article

    rules = rules_for("linkedin")
    assert rules.link_placement == "beside" and rules.max_length == 3000
    article = Article(key="a", feed_url="https://e.org/feed", url=LINK, title="(Budget) <vote> " * 30,
                      summary="The *council* approved it (7_2). " * 120, categories=("Budget",))
    draft = compose(article, ComposeSpec(platform="linkedin"))
    assert len(to_little(draft.text, draft.hashtags)) <= 3000 and draft.link == LINK and LINK not in draft.text


# --- the delivery loop and `bot run --once` -------------------------------------------------------------------

def _config(li: FakeLinkedIn, extra: str = "") -> Any:
    from bot.config import parse_config, read_environment

    env = read_environment({"LINKEDIN_ACCESS_TOKEN": TOKEN, "LINKEDIN_ORGANIZATION_ID": ORG,
                            "LINKEDIN_API_URL": li.url})
    return parse_config(f'[[feeds]]\nurl = "https://example.org/feed"\n[platforms.linkedin]\n{extra}', None, env)


def _queue(store: Store, config: Any) -> None:
    from bot.models import Article
    from bot.poll import compose_drafts, new_delivery

    article = Article(key="a1", feed_url="https://example.org/feed", url=LINK, title="Budget approved (7-2)")
    [draft] = compose_drafts(config, article, ["linkedin"])
    store.record_articles([], [new_delivery(article, draft, article.feed_url, 1000.0)], 1000.0)


def test_delivery_finds_a_lost_post_and_never_posts_twice(store: Store, li: FakeLinkedIn) -> None:
    from bot.delivery.loop import deliver_platform
    from bot.platforms import build_platform
    from bot.retries import Tuning
    from bot.store.base import POSTED

    fast = Tuning(lease_seconds=60, backoff_base=10, backoff_cap=100, max_attempts=3, pause_probe_seconds=30,
                  lookup_lag=0)
    config = _config(li)
    platform = build_platform(config, "linkedin", dry_run=False, show=lambda name, draft: None, store=store)
    assert isinstance(platform, LinkedInPlatform)
    _queue(store, config)
    li.fail_after_commit(how="error")
    first = deliver_platform(config, store, platform, "w1", clock=lambda: 2000.0, tuning=fast)
    assert first.posted == [] and len(li.posts) == 1 and store.deliveries()[0].uncertain
    again = deliver_platform(config, store, platform, "w2", clock=lambda: 10**9, tuning=fast)
    assert [d.article_key for d, _ in again.posted] == ["a1"]
    [row] = store.deliveries()
    assert row.state == POSTED and row.remote_id == li.posts[0]["id"] and len(li.posts) == 1
    assert li.count("POST", "/rest/posts") == 1


def test_delivery_pauses_on_a_retired_version_and_says_what_to_set(store: Store, li: FakeLinkedIn) -> None:
    from bot.delivery.loop import deliver_platform
    from bot.platforms import build_platform
    from bot.retries import Tuning

    fast = Tuning(lease_seconds=60, backoff_base=10, backoff_cap=100, max_attempts=3, pause_probe_seconds=30)
    config = _config(li, 'version = "202401"\n')
    platform = build_platform(config, "linkedin", dry_run=False, show=lambda name, draft: None, store=store)
    _queue(store, config)
    report = deliver_platform(config, store, platform, "w1", clock=lambda: 2000.0, tuning=fast)
    assert report.waiting and report.waiting.startswith("PAUSED") and "202401" in report.waiting
    assert 'version = "YYYYMM"' in (store.platform_state("linkedin").paused_reason or "")
    assert li.posts == [] and store.deliveries()[0].state != "failed"  # the post waits for the fix


def test_run_once_posts_exactly_the_new_articles_once(tmp_path: Path, li: FakeLinkedIn) -> None:
    with FeedServer() as feeds:
        items = [Item(n) for n in range(1, 3)]
        feeds.set("/feed.xml", rss(items))
        config = tmp_path / "bot.toml"
        config.write_text(f'[[feeds]]\nurl = "{feeds.url_for("/feed.xml")}"\nname = "news"\n\n[platforms.linkedin]\n',
                          encoding="utf-8")
        env = bot_env(None, None, f"sqlite:///{tmp_path / 'state.db'}", config, {
            "LINKEDIN_ACCESS_TOKEN": TOKEN, "LINKEDIN_ORGANIZATION_ID": ORG, "LINKEDIN_API_URL": li.url})

        def run(args: list[str]) -> str:
            result = run_bot(args, env, tmp_path)
            output = result.stdout + result.stderr
            assert result.returncode == 0 and "Traceback" not in output and TOKEN not in output, output
            return output

        run(["run", "--once"])
        assert li.posts == []  # first sight is a baseline
        feeds.set("/feed.xml", rss([*items, Item(3), Item(4)]))
        run(["run", "--once"])
        run(["run", "--once"])
        sources = [p["body"]["content"]["article"]["source"] for p in li.posts]
        assert sources == [Item(3).url, Item(4).url]
        assert Item(3).title in li.posts[0]["text"]
        assert f"urn:li:organization:{ORG}" in run(["check"])


# --- how long the token has left: LinkedIn's token introspection ----------------------------------------------

def _introspect(li: FakeLinkedIn, form: dict[str, str], **headers: str) -> Any:
    import requests

    return requests.post(f"{li.url}/oauth/v2/introspectToken", data=form, headers=headers, timeout=10)


def test_the_fake_introspects_as_documented(li: FakeLinkedIn) -> None:
    """learn.microsoft.com/linkedin/shared/authentication/token-introspection: POST, form-encoded, client_id,
    client_secret and token all required; the answer's expires_at is Unix seconds."""
    whole = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "token": TOKEN}
    li.issued_ago(20 * 86400)
    answer = _introspect(li, whole)
    body = answer.json()
    assert answer.status_code == 200 and body["active"] is True and body["status"] == "active"
    assert body["expires_at"] - body["created_at"] == 60 * 86400 and body["auth_type"] == "3L"
    assert _introspect(li, {k: v for k, v in whole.items() if k != "client_secret"}).json()["error"] == \
        "invalid_request"
    assert _introspect(li, {**whole, "token_type_hint": "access_token"}).status_code == 400  # not LinkedIn's
    assert _introspect(li, {**whole, "client_secret": "guess"}).status_code == 401
    li.set_token("AQVx-a-newer-token-0001")
    assert _introspect(li, whole).json() == {"active": False, "status": "revoked", "client_id": CLIENT_ID}
    assert li.posts == []


def test_linkedin_ask_reads_the_end_of_the_token_and_never_quotes_a_secret(li: FakeLinkedIn) -> None:
    from bot.platforms.expiry import linkedin_ask

    li.issued_ago(20 * 86400)
    ends = linkedin_ask(li.url, "linkedin", CLIENT_ID, CLIENT_SECRET)(TOKEN)
    created = [r for r in li.requests if r["path"] == "/oauth/v2/introspectToken"]
    assert ends is not None and ends[1] == "LinkedIn" and len(created) == 1
    assert 39.99 < (ends[0] - created[0]["time"]) / 86400 < 40.01  # 60 days from a token made 20 days ago
    with pytest.raises(RejectedError) as caught:
        linkedin_ask(li.url, "linkedin", CLIENT_ID, "wrong-secret-1234")(TOKEN)
    assert "Client authentication failed" in str(caught.value) and "wrong-secret-1234" not in str(caught.value)
    li.set_token("AQVx-a-newer-token-0002")
    with pytest.raises(RejectedError, match="LinkedIn says the token is revoked"):
        linkedin_ask(li.url, "linkedin", CLIENT_ID, CLIENT_SECRET)(TOKEN)
