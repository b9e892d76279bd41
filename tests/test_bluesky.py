"""Bluesky through the real atproto SDK against a local PDS (tests/fakes/bluesky.py): records, facets, cards,
sessions kept sealed across processes, the unknown outcome read back by its record key, limits and faults."""

from __future__ import annotations

import struct
import subprocess
import sys
import textwrap
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.errors import NeedsHumanError, RateLimited, RejectedError, RetryableError
from bot.models import Draft, Image
from bot.networks.bluesky import new_tid
from bot.platforms.bluesky import BlueskyPlatform, facets, langs
from bot.store import Store, open_store
from tests.fakes.bluesky import CREATE_RECORD, GET_RECORD, MAX_IMAGE_BYTES, UPLOAD_BLOB, FakeBluesky
from tests.fakes.feed_server import FeedServer

HANDLE = "news.example.com"
PASSWORD = "abcd-efgh-ijkl-mnop"
LINK = "https://news.example.org/2026/story?id=7"


def _png(extra: int = 0) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    raw = b"\x00\xff\x00\x00" * 1
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"tEXt", b"c\x00" + b"x" * extra) + chunk(b"IEND", b""))


@pytest.fixture
def pds() -> Iterator[FakeBluesky]:
    with FakeBluesky(HANDLE, PASSWORD) as server:
        yield server


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    s = open_store(f"sqlite:///{tmp_path / 'bot.db'}")
    s.migrate()
    yield s
    s.close()


def _platform(pds: FakeBluesky, store: Store | None = None, **kwargs: object) -> BlueskyPlatform:
    return BlueskyPlatform(HANDLE, PASSWORD, pds.url, store=store, **kwargs)  # type: ignore[arg-type]


def _draft(text: str = f"A headline\n\n{LINK}\n\n#Iran #News", **kwargs: object) -> Draft:
    values: dict[str, object] = {"platform": "bluesky", "article_key": "k1", "text": text, "link": LINK,
                                 "send_key": new_tid(), "language": "en", "title": "A headline",
                                 "description": "What happened, in one sentence."}
    values.update(kwargs)
    return Draft(**values)  # type: ignore[arg-type]


def _slice(text: str, facet: dict) -> str:  # type: ignore[type-arg]
    index = facet["index"]
    return text.encode("utf-8")[index["byteStart"]:index["byteEnd"]].decode("utf-8")


# --- text, facets, langs --------------------------------------------------------------------------------

def test_post_is_a_record_under_its_send_key_with_exact_facets_after_persian_and_emoji(pds: FakeBluesky) -> None:
    text = f"👩🏽‍💻 اعتراض‌ها در تهران ادامه دارد 抗议\n\n{LINK}\n\n#آزادی #FreeIran"
    draft = _draft(text, language="fa")
    result = _platform(pds).publish(draft)

    [record] = pds.records
    assert record["rkey"] == draft.send_key
    assert result.remote_id == f"at://{pds.did}/app.bsky.feed.post/{draft.send_key}"
    assert result.url == f"https://bsky.app/profile/{pds.did}/post/{draft.send_key}"
    value = record["value"]
    assert value["text"] == text and value["langs"] == ["fa"]
    link, tag1, tag2 = value["facets"]
    encoded = text.encode("utf-8")
    start = encoded.index(LINK.encode())
    assert link["index"] == {"byteStart": start, "byteEnd": start + len(LINK), "$type": link["index"]["$type"]}
    assert start != text.index(LINK)  # bytes, not characters: the Persian and the emoji are multi-byte
    assert link["features"] == [{"uri": LINK, "$type": "app.bsky.richtext.facet#link"}]
    assert _slice(text, tag1) == "#آزادی" and tag1["features"][0]["tag"] == "آزادی"
    assert _slice(text, tag2) == "#FreeIran" and tag2["features"][0]["tag"] == "FreeIran"
    assert tag1["index"]["byteStart"] == encoded.index("#آزادی".encode())


def test_mentions_never_become_facets_and_digits_are_no_hashtag(pds: FakeBluesky) -> None:
    text = f"Interview with @someone.bsky.social on #2026 and #Elections2026.\n\n{LINK}"
    _platform(pds).publish(_draft(text))
    value = pds.records[0]["value"]
    kinds = [f["features"][0]["$type"] for f in value["facets"]]
    assert "app.bsky.richtext.facet#mention" not in kinds
    assert [_slice(text, f) for f in value["facets"]] == ["#Elections2026", LINK]  # trailing "." left out


def test_langs_is_the_articles_never_a_default_en(pds: FakeBluesky) -> None:
    _platform(pds).publish(_draft(language=None, send_key=new_tid()))
    _platform(pds).publish(_draft(language="pt_br", send_key=new_tid()))
    first, second = (r["value"] for r in pds.records)
    assert "langs" not in first
    assert second["langs"] == ["pt-BR"]
    assert langs("fa-IR") == ["fa-IR"] and langs("not a language") is None


def test_text_over_300_graphemes_or_3000_bytes_is_refused_before_any_call(pds: FakeBluesky) -> None:
    platform = _platform(pds)
    with pytest.raises(RejectedError, match="graphemes"):
        platform.publish(_draft("ا" * 301, link=None))
    # 250 graphemes that are 3,750 bytes: within the count, over the byte limit.
    with pytest.raises(RejectedError, match="3000"):
        platform.publish(_draft("👩🏽‍💻" * 250, link=None))
    assert pds.count("POST", "/xrpc/com.atproto.repo.createRecord") == 0
    # The fake refuses them too, when a client does send them.
    assert pds.records == []


def test_the_fake_enforces_the_lexicon(pds: FakeBluesky) -> None:
    """What the PDS refuses is refused here too: a key that is no TID, a link facet whose uri is not a URI. A
    facet's byte range is not checked against the text (app.bsky.richtext.facet#byteSlice: two integers >= 0):
    the PDS stores it as sent and apps skip it, so the bot's own facets must be right (tests below)."""
    from atproto_client import Client, models
    from atproto_client.exceptions import BadRequestError

    client = Client(base_url=pds.url)
    client.login(HANDLE, PASSWORD, fetch_bsky_profile=False)
    past = models.AppBskyRichtextFacet.Main(features=[models.AppBskyRichtextFacet.Tag(tag="x")],
                                            index=models.AppBskyRichtextFacet.ByteSlice(byte_start=2, byte_end=99))
    record = models.AppBskyFeedPost.Record(created_at="2026-01-01T00:00:00Z", text="é #x", facets=[past])
    client.app.bsky.feed.post.create(pds.did, record, rkey=new_tid())
    assert len(pds.records) == 1  # accepted, as the lexicon accepts it
    spaced = models.AppBskyRichtextFacet.Main(
        features=[models.AppBskyRichtextFacet.Link(uri="https://example.org/a b")],
        index=models.AppBskyRichtextFacet.ByteSlice(byte_start=0, byte_end=1))
    with pytest.raises(BadRequestError, match="must be a uri"):
        client.app.bsky.feed.post.create(pds.did, models.AppBskyFeedPost.Record(
            created_at="2026-01-01T00:00:00Z", text="a", facets=[spaced]), rkey=new_tid())
    ok = models.AppBskyFeedPost.Record(created_at="2026-01-01T00:00:00Z", text="hello")
    with pytest.raises(BadRequestError, match="Invalid TID"):
        client.app.bsky.feed.post.create(pds.did, ok, rkey="my-post-1")
    with pytest.raises(BadRequestError, match="300 graphemes"):
        client.app.bsky.feed.post.create(pds.did, models.AppBskyFeedPost.Record(
            created_at="2026-01-01T00:00:00Z", text="a" * 301), rkey=new_tid())
    assert [r["value"]["text"] for r in pds.records] == ["é #x"]  # only the one the lexicon accepts


def test_facets_helper_links_every_occurrence_and_never_a_tag_inside_the_link() -> None:
    link = "https://example.org/a#frag"
    text = f"{link} #tag {link}"
    found = facets(text, link)
    assert [(f.index.byte_start, f.index.byte_end) for f in found] == [(0, 26), (27, 31), (32, 58)]


# --- card, image ------------------------------------------------------------------------------------------

def test_link_card_by_default_with_the_image_as_thumb(pds: FakeBluesky) -> None:
    with FeedServer() as site:
        site.set("/photo.png", _png(), content_type="image/png")
        draft = _draft(image=Image(site.url_for("/photo.png"), "The council chamber"),
                       feed_url=site.url_for("/feed.xml"))
        _platform(pds).publish(draft)
    value = pds.records[0]["value"]
    external = value["embed"]["external"]
    assert value["embed"]["$type"] == "app.bsky.embed.external"
    assert (external["uri"], external["title"], external["description"]) == (
        LINK, "A headline", "What happened, in one sentence.")
    [(cid, blob)] = pds.blobs.items()
    assert external["thumb"]["ref"]["$link"] == cid and blob["mimeType"] == "image/png"
    assert blob["declared"] == "image/png"  # the upload said what it is, not the SDK's */*


def test_image_post_with_alt_text_when_card_is_off(pds: FakeBluesky) -> None:
    with FeedServer() as site:
        site.set("/photo.png", _png(), content_type="image/png")
        draft = _draft(image=Image(site.url_for("/photo.png"), "The council chamber"),
                       feed_url=site.url_for("/feed.xml"))
        _platform(pds, card=False, image=True).publish(draft)
    embed = pds.records[0]["value"]["embed"]
    assert embed["$type"] == "app.bsky.embed.images"
    [image] = embed["images"]
    assert image["alt"] == "The council chamber"
    assert image["image"]["ref"]["$link"] in pds.blobs


def test_an_image_over_the_blob_limit_is_left_out_and_the_card_still_goes(pds: FakeBluesky) -> None:
    with FeedServer() as site:
        site.set("/big.png", _png(extra=MAX_IMAGE_BYTES), content_type="image/png")
        draft = _draft(image=Image(site.url_for("/big.png"), None), feed_url=site.url_for("/feed.xml"))
        _platform(pds).publish(draft)
    external = pds.records[0]["value"]["embed"]["external"]
    assert "thumb" not in external and external["uri"] == LINK
    assert pds.count("POST", "/xrpc/com.atproto.repo.uploadBlob") == 0


def test_no_card_and_no_image_is_text_with_the_link_facet(pds: FakeBluesky) -> None:
    _platform(pds, card=False, image=False).publish(_draft(image=Image("https://news.example.org/p.png", "x")))
    value = pds.records[0]["value"]
    assert "embed" not in value and value["facets"][0]["features"][0]["uri"] == LINK


# --- sessions ---------------------------------------------------------------------------------------------

def test_one_login_serves_many_posts_and_the_next_platform_instance(pds: FakeBluesky, sqlite_store: Store) -> None:
    first = _platform(pds, sqlite_store)
    for _ in range(3):
        first.publish(_draft(send_key=new_tid()))
    first.close()
    second = _platform(pds, sqlite_store)
    second.publish(_draft(send_key=new_tid()))
    assert second.verify().name == f"@{HANDLE}"
    assert len(pds.records) == 4
    assert pds.logins == 1


def test_the_stored_session_is_sealed_not_a_secret_in_the_database(pds: FakeBluesky, tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'bot.db'}")
    store.migrate()
    _platform(pds, store).verify()
    sealed = store.load_session("bluesky")
    store.close()
    assert sealed and sealed.startswith("v1:")
    raw = (tmp_path / "bot.db").read_bytes()
    assert PASSWORD.encode() not in raw
    assert b"eyJ" not in raw  # no JWT (base64 of '{"') anywhere in the file


def test_session_reused_across_processes_one_login(pds: FakeBluesky, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'bot.db'}"
    script = textwrap.dedent(f"""
        from bot.models import Draft
        from bot.networks.bluesky import new_tid
        from bot.platforms.bluesky import BlueskyPlatform
        from bot.store import open_store
        store = open_store({db!r}); store.migrate()
        p = BlueskyPlatform({HANDLE!r}, {PASSWORD!r}, {pds.url!r}, store=store)
        p.publish(Draft(platform="bluesky", article_key="k", text="hello", send_key=new_tid()))
        p.close(); store.close()
    """)
    for _ in range(2):
        done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60,
                              cwd=Path(__file__).resolve().parents[1])
        assert done.returncode == 0, done.stderr
        assert done.stdout == ""  # no library prints
    assert len(pds.records) == 2
    assert pds.logins == 1


def test_postgres_keeps_the_session_too(pds: FakeBluesky, pg_url: str) -> None:
    for _ in range(2):
        store = open_store(pg_url)
        store.migrate()
        _platform(pds, store).publish(_draft(send_key=new_tid()))
        store.close()
    assert pds.logins == 1 and len(pds.records) == 2


def test_an_access_token_near_expiry_is_refreshed_and_the_new_session_kept(sqlite_store: Store) -> None:
    # Ten minutes of life: inside the SDK's 15-minute margin, so it refreshes before its next call.
    with FakeBluesky(HANDLE, PASSWORD, access_lifetime=600) as pds:
        _platform(pds, sqlite_store).verify()  # logs in, then refreshes the short-lived token at once
        assert (pds.logins, pds.refreshes) == (1, 1)
        pds.access_lifetime = 2 * 3600.0  # from now on tokens live as long as the real ones
        before = sqlite_store.load_session("bluesky")
        _platform(pds, sqlite_store).publish(_draft())  # a new process: the stored token is near expiry
        assert (pds.logins, pds.refreshes) == (1, 2)
        assert sqlite_store.load_session("bluesky") != before  # the rotated refresh token is kept
        _platform(pds, sqlite_store).publish(_draft(send_key=new_tid()))
        assert (pds.logins, pds.refreshes) == (1, 2)  # the kept one is fresh: nothing to do
        assert len(pds.records) == 2


def test_a_token_the_server_calls_expired_is_refreshed_and_the_post_made_once(pds: FakeBluesky,
                                                                               sqlite_store: Store) -> None:
    platform = _platform(pds, sqlite_store)
    platform.verify()
    pds.expire_access_tokens()  # its exp claim still looks fine to the SDK
    platform.publish(_draft())
    assert pds.refreshes == 1 and pds.logins == 1 and len(pds.records) == 1


def test_a_revoked_session_is_dropped_and_replaced_by_one_login(pds: FakeBluesky, sqlite_store: Store) -> None:
    _platform(pds, sqlite_store).verify()
    pds.revoke_sessions()
    _platform(pds, sqlite_store).publish(_draft())
    assert pds.logins == 2 and len(pds.records) == 1


def test_a_session_sealed_with_another_password_is_dropped(pds: FakeBluesky, sqlite_store: Store) -> None:
    _platform(pds, sqlite_store).verify()
    pds.set_app_password("wxyz-wxyz-wxyz-wxyz")
    BlueskyPlatform(HANDLE, "wxyz-wxyz-wxyz-wxyz", pds.url, store=sqlite_store).publish(_draft())
    assert pds.logins == 2 and len(pds.records) == 1
    sqlite_store.save_session("bluesky", "v1:garbage", 0.0)
    BlueskyPlatform(HANDLE, "wxyz-wxyz-wxyz-wxyz", pds.url, store=sqlite_store).verify()
    assert pds.logins == 3


def test_a_wrong_app_password_pauses_without_saying_it(pds: FakeBluesky) -> None:
    with pytest.raises(NeedsHumanError) as caught:
        BlueskyPlatform(HANDLE, "wrong-pass-word-here", pds.url).publish(_draft())
    assert "wrong-pass-word-here" not in str(caught.value)
    assert "APP_PASSWORD" in str(caught.value)
    assert pds.records == []


def test_a_login_rate_limit_is_a_rate_limit_with_its_reset(pds: FakeBluesky) -> None:
    pds.rate_limit(reset_in=240, endpoint="POST /xrpc/com.atproto.server.createSession")
    with pytest.raises(RateLimited) as caught:
        _platform(pds).verify()
    assert caught.value.retry_after is not None and 200 < caught.value.retry_after <= 241


def test_calls_go_to_the_service_then_to_the_pds_its_did_document_names(pds: FakeBluesky) -> None:
    # The same server under two names: the account's SERVICE_URL ("localhost") logs it in, and the DID
    # document hands it to its PDS (127.0.0.1), where every later call goes, as bsky.social does.
    service = f"http://localhost:{pds.port}"
    platform = BlueskyPlatform(HANDLE, PASSWORD, service)
    platform.publish(_draft())
    platform.verify()
    hosts = [(r["path"].rsplit(".", 1)[-1], r["host"]) for r in pds.requests]
    assert hosts[0] == ("createSession", f"localhost:{pds.port}")
    assert hosts[1:] and all(host == f"127.0.0.1:{pds.port}" for _, host in hosts[1:])
    assert len(pds.records) == 1


# --- exactly once, limits, faults --------------------------------------------------------------------------

def test_an_answer_lost_after_the_record_was_made_is_read_back_not_posted_again(pds: FakeBluesky) -> None:
    platform = _platform(pds)
    draft = _draft()
    pds.fail_after_commit(how="drop")
    with pytest.raises(RetryableError):
        platform.publish(draft)
    found = platform.find_existing(draft)
    assert found is not None and found.remote_id.endswith(f"/{draft.send_key}")
    assert len(pds.records) == 1
    assert platform.find_existing(_draft()) is None  # another key: nothing there


def test_a_resend_of_an_existing_key_is_refused_by_the_pds_so_lookups_decide(pds: FakeBluesky) -> None:
    platform = _platform(pds)
    draft = _draft()
    platform.publish(draft)
    with pytest.raises(RetryableError, match="500"):
        platform.publish(draft)
    assert len(pds.records) == 1


def test_a_stalled_answer_times_out_and_is_read_back(pds: FakeBluesky) -> None:
    platform = _platform(pds, timeout=(2.0, 1.0))
    draft = _draft()
    pds.stall(3.0, commit=True)
    with pytest.raises(RetryableError, match="in time"):
        platform.publish(draft)
    assert platform.find_existing(draft) is not None and len(pds.records) == 1


def test_429_is_a_rate_limit_with_the_reset(pds: FakeBluesky) -> None:
    pds.rate_limit(reset_in=900)
    with pytest.raises(RateLimited) as caught:
        _platform(pds).publish(_draft())
    assert caught.value.retry_after is not None and 850 < caught.value.retry_after <= 901
    assert pds.records == []


def test_quota_from_the_ratelimit_headers_of_the_write(pds: FakeBluesky) -> None:
    pds.set_write_budget(3 * 2, reset_in=1200)
    platform = _platform(pds)
    platform.publish(_draft())
    quota = platform.quota()
    assert quota is not None and quota.remaining == 1 and quota.reset_at is not None
    platform.publish(_draft())
    assert platform.quota().remaining == 0  # type: ignore[union-attr]
    with pytest.raises(RateLimited):
        platform.publish(_draft())
    assert len(pds.records) == 2


def test_5xx_is_retryable(pds: FakeBluesky) -> None:
    pds.fail(502, "UpstreamFailure")
    with pytest.raises(RetryableError):
        _platform(pds).publish(_draft())
    pds.fail(503, "NotEnoughResources", endpoint=GET_RECORD)
    with pytest.raises(RetryableError):
        _platform(pds).find_existing(_draft())
    assert pds.records == []


def test_an_invalid_record_is_rejected_for_good(pds: FakeBluesky) -> None:
    pds.fail(400, "InvalidRecord", "Invalid app.bsky.feed.post record")
    with pytest.raises(RejectedError) as caught:
        _platform(pds).publish(_draft())
    assert not isinstance(caught.value, RetryableError)


def test_a_draft_without_a_record_key_is_never_sent(pds: FakeBluesky) -> None:
    with pytest.raises(RejectedError, match="record key"):
        _platform(pds).publish(_draft(send_key=None))
    assert pds.count("POST", CREATE_RECORD.split(" ", 1)[1]) == 0


def test_verify_says_who_it_posts_as(pds: FakeBluesky) -> None:
    account = _platform(pds).verify()
    assert account.id == pds.did and account.name == f"@{HANDLE}"


def test_image_upload_failure_posts_without_the_image(pds: FakeBluesky) -> None:
    pds.fail(500, endpoint=UPLOAD_BLOB)
    with FeedServer() as site:
        site.set("/photo.png", _png(), content_type="image/png")
        _platform(pds).publish(_draft(image=Image(site.url_for("/photo.png"), None),
                                      feed_url=site.url_for("/feed.xml")))
    assert "thumb" not in pds.records[0]["value"]["embed"]["external"]


# --- end to end: `bot run --once` from cron, a Bluesky account ------------------------------------------

@pytest.mark.slow
def test_bot_run_once_posts_exactly_the_new_articles_once_with_one_login(tmp_path: Path) -> None:
    from tests.feedgen import rss_entries
    from tests.helpers import bot_env, run_bot

    def feed(entries: list[tuple[str | None, str, str, int]]) -> str:
        return rss_entries(entries).replace("<channel><title>Example</title>",
                                            "<channel><title>Example</title><language>fa</language>")

    old = ("fa-1", "https://example.org/fa/1", "خبر قدیمی فارسی", 90)
    with FeedServer() as feeds, FakeBluesky(HANDLE, PASSWORD) as pds:
        feeds.set("/fa.xml", feed([old]))
        config = tmp_path / "bot.toml"
        config.write_text(f'[[feeds]]\nurl = "{feeds.url_for("/fa.xml")}"\nname = "fa"\n'
                          '[platforms.bluesky]\nimage = false\n', encoding="utf-8")
        env = bot_env(None, None, f"sqlite:///{tmp_path / 'state.db'}", config,
                      extra={"BLUESKY_HANDLE": HANDLE, "BLUESKY_APP_PASSWORD": PASSWORD,
                             "BLUESKY_SERVICE_URL": pds.url})
        first = run_bot(["run", "--once"], env, tmp_path)
        assert first.returncode == 0, first.stderr + first.stdout
        assert pds.records == [] and pds.logins == 0  # the baseline posts nothing, and needs no login

        new = [("fa-3", "https://example.org/fa/3", "شورا بودجه را تصویب کرد", 4),
               ("fa-2", "https://example.org/fa/2", "گزارش تازه از تهران", 6), old]
        feeds.set("/fa.xml", feed(new))
        second = run_bot(["run", "--once"], env, tmp_path)
        assert second.returncode == 0, second.stderr + second.stdout
        values = [r["value"] for r in pds.records]
        assert [v["text"].split("\n")[0] for v in values] == ["گزارش تازه از تهران", "شورا بودجه را تصویب کرد"]
        for value, link in zip(values, ["https://example.org/fa/2", "https://example.org/fa/3"], strict=True):
            assert value["langs"] == ["fa"]
            assert value["embed"]["external"]["uri"] == link
            [facet] = [f for f in value["facets"] if f["features"][0]["$type"].endswith("#link")]
            # Written as the app shows links (scheme dropped), the whole address in the facet.
            assert _slice(value["text"], facet) == link.removeprefix("https://")
            assert facet["features"][0]["uri"] == link

        third = run_bot(["run", "--once"], env, tmp_path)  # nothing new: nothing posted
        feeds.set("/fa.xml", feed([("fa-4", "https://example.org/fa/4", "خبر چهارم", 1), *new]))
        fourth = run_bot(["run", "--once"], env, tmp_path)  # a new process: the kept session, no login
        assert third.returncode == 0 and fourth.returncode == 0, fourth.stderr
        assert len(pds.records) == 3 and pds.logins == 1
        assert len({r["rkey"] for r in pds.records}) == 3

        check = run_bot(["check"], env, tmp_path)
        assert f"bluesky: ok, posting as @{HANDLE}" in check.stdout, check.stdout + check.stderr
        for result in (first, second, third, fourth, check):
            output = result.stdout + result.stderr
            assert PASSWORD not in output and "eyJ" not in output  # neither the password nor a session JWT
            assert "HTTP Request" not in output  # httpx's request log stays quiet


# --- through the descriptor and the delivery loop ---------------------------------------------------------

def test_delivery_reads_back_a_lost_answer_and_never_posts_twice(store: Store, pds: FakeBluesky) -> None:
    from bot.config import parse_config, read_environment
    from bot.delivery.loop import deliver_platform
    from bot.models import Article
    from bot.platforms import build_platform
    from bot.poll import compose_drafts, new_delivery
    from bot.retries import Tuning
    from bot.store.base import POSTED

    fast = Tuning(lease_seconds=60, backoff_base=10, backoff_cap=100, max_attempts=3, pause_probe_seconds=30)
    env = read_environment({"BSKY_FA_HANDLE": HANDLE, "BSKY_FA_APP_PASSWORD": PASSWORD,
                            "BSKY_FA_SERVICE_URL": pds.url})
    config = parse_config('[[feeds]]\nurl = "https://example.org/feed"\n[platforms.bsky_fa]\nnetwork = "bluesky"\n'
                          "card = false\nimage = false\n", None, env)
    platform = build_platform(config, "bsky_fa", dry_run=False, show=lambda name, draft: None, store=store)
    assert isinstance(platform, BlueskyPlatform) and platform.card is False
    article = Article(key="a1", feed_url="https://example.org/feed", url="https://example.org/fa/1",
                      title="شورا بودجه را تصویب کرد", language="fa")
    [draft] = compose_drafts(config, article, ["bsky_fa"])
    store.record_articles([], [new_delivery(article, draft, article.feed_url, 1000.0)], 1000.0)
    [row] = store.deliveries()
    assert row.send_key == draft.send_key and row.send_key is not None and row.language == "fa"

    pds.fail_after_commit(how="drop")  # the record is made; the answer never arrives
    first = deliver_platform(config, store, platform, "w1", clock=lambda: 2000.0, tuning=fast)
    assert first.posted == [] and len(pds.records) == 1
    [row] = store.deliveries()
    assert row.uncertain and row.state != POSTED

    again = deliver_platform(config, store, platform, "w2", clock=lambda: 10**9, tuning=fast)
    assert [d.article_key for d, _ in again.posted] == ["a1"]
    [row] = store.deliveries()
    assert row.state == POSTED and row.remote_id == pds.records[0]["uri"]
    assert len(pds.records) == 1 and pds.records[0]["rkey"] == draft.send_key
    assert pds.count("GET", "/xrpc/com.atproto.repo.getRecord") == 1
    assert pds.logins == 1
    assert pds.records[0]["value"]["langs"] == ["fa"]


def test_delivery_pauses_the_account_when_the_app_password_is_refused(store: Store, pds: FakeBluesky) -> None:
    from bot.config import parse_config, read_environment
    from bot.delivery.loop import deliver_platform
    from bot.models import Article
    from bot.platforms import build_platform
    from bot.poll import compose_drafts, new_delivery
    from bot.retries import Tuning

    fast = Tuning(lease_seconds=60, backoff_base=10, backoff_cap=100, max_attempts=3, pause_probe_seconds=30)
    env = read_environment({"BLUESKY_HANDLE": HANDLE, "BLUESKY_APP_PASSWORD": "revoked-pass-word-0000",
                            "BLUESKY_SERVICE_URL": pds.url})
    config = parse_config('[[feeds]]\nurl = "https://example.org/feed"\n[platforms.bluesky]\n',
                          None, env)
    platform = build_platform(config, "bluesky", dry_run=False, show=lambda name, draft: None, store=store)
    article = Article(key="a1", feed_url="https://example.org/feed", url="https://example.org/1", title="Story")
    [draft] = compose_drafts(config, article, ["bluesky"])
    store.record_articles([], [new_delivery(article, draft, article.feed_url, 1000.0)], 1000.0)
    report = deliver_platform(config, store, platform, "w1", clock=lambda: 2000.0, tuning=fast)
    assert report.waiting and report.waiting.startswith("PAUSED")
    assert "revoked-pass-word-0000" not in report.waiting
    assert store.platform_state("bluesky").paused_reason and pds.records == []
    assert store.deliveries()[0].state != "failed"  # the post waits for the fix


def test_compose_keeps_a_bluesky_post_within_300_graphemes_and_3000_bytes() -> None:
    from bot.compose import compose
    from bot.compose.rules import graphemes, rules_for
    from bot.compose.spec import ComposeSpec
    from bot.models import Article

    # 15-byte graphemes: 250 of them are within the count and over the byte limit.
    title = " ".join(["👩🏽‍💻"] * 250)
    article = Article(key="k", feed_url="", url=LINK, title=title, text="Body text here. " * 10, language="fa")
    draft = compose(article, ComposeSpec(platform="bluesky"))
    assert draft.link == LINK and rules_for("bluesky").shown_link(LINK) in draft.text
    assert len(draft.text.encode("utf-8")) <= 3000 and graphemes(draft.text) <= 300
    assert draft.language == "fa" and draft.title
    assert not rules_for("bluesky").fits(" ".join(["👩🏽‍💻"] * 250))
    # "@name" is left as written (no mention facet is ever sent, so it notifies no one)
    mention = compose(Article(key="m", feed_url="", url=LINK, title="Talk with @someone.bsky.social"),
                      ComposeSpec(platform="bluesky"))
    assert "@someone.bsky.social" in mention.text
