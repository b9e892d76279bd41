"""The Telegram channel module over HTTP against the local Bot API (tests/fakes/telegram.py), which checks
the token, the chat, the bot's rights, the HTML by the documented rules and the limits in UTF-16 units."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from bot.compose.rules import rules_for
from bot.errors import NeedsHumanError, PlatformError, RateLimited, RejectedError, RetryableError
from bot.models import Draft, Image
from bot.networks.telegram import utf16_length
from bot.platforms.telegram import MAX_CAPTION, TelegramPlatform, to_html
from bot.redact import MASK, Redactor
from tests.fakes.feed_server import FeedServer
from tests.fakes.telegram import FakeTelegramServer, ParseError, parse_html
from tests.feedgen import Item, rss
from tests.helpers import bot_env, run_bot

TOKEN = "7351098246:AAHk3-secret-bot-token_Zq9xW2vB8nM4"
LINK = "https://news.example.org/2026/11/budget-vote/"
IMAGE = "https://news.example.org/media/council.jpg"
HOSTILE = ('<script>alert("x")</script> Q&A: Tom &amp; Jerry </b> <a href="javascript:evil()">x</a> '
           "a < b > c &nbsp; 5 &lt; 6 \" ' ")


@pytest.fixture
def tg() -> Iterator[FakeTelegramServer]:
    with FakeTelegramServer(token=TOKEN) as server:
        yield server


def _platform(tg: FakeTelegramServer, chat: str = "@ournews", token: str = TOKEN, **kw: object) -> TelegramPlatform:
    return TelegramPlatform(token, chat, tg.url, name="telegram", **kw)  # type: ignore[arg-type]


def _draft(text: str = f"The council approved the budget\n\n{LINK}\n\n#CityCouncil", **kw: object) -> Draft:
    return Draft(platform="telegram", article_key="k1", text=text, link=LINK, **kw)  # type: ignore[arg-type]


def _sends(tg: FakeTelegramServer) -> list[dict[str, object]]:
    return [r for r in tg.requests if str(r.get("api_method", "")).startswith("send")]


def test_a_plain_message_links_and_previews_the_article(tg: FakeTelegramServer) -> None:
    platform = _platform(tg)
    result = platform.publish(_draft())
    [message] = tg.messages
    assert message["kind"] == "text"
    assert message["text"] == _draft().text  # what readers see is the draft, exactly
    links = [e for e in message["entities"] if e["type"] == "text_link"]
    assert [e["url"] for e in links] == [LINK]
    start = message["text"].index(LINK)
    assert (links[0]["offset"], links[0]["length"]) == (start, len(LINK))
    assert message["link_preview_options"] == {"url": LINK, "prefer_large_media": True}
    assert result.remote_id == str(message["message_id"])
    assert result.url == f"https://t.me/ournews/{message['message_id']}"


def test_numeric_chat_id_works_and_gives_a_private_link(tg: FakeTelegramServer) -> None:
    result = _platform(tg, chat=str(tg.chat_id)).publish(_draft())
    assert len(tg.messages) == 1
    # The fake's channel has a username, which the answer carries: the public link wins.
    assert result.url == f"https://t.me/ournews/{result.remote_id}"


def test_hostile_article_text_arrives_escaped_and_exact(tg: FakeTelegramServer) -> None:
    text = f"{HOSTILE}\n\n{LINK}"
    # The strict parser refuses the raw text: the test would catch a module that forgot to escape.
    with pytest.raises(ParseError):
        parse_html(text)
    _platform(tg).publish(_draft(text))
    [message] = tg.messages
    assert message["text"] == text.strip()
    assert [e["type"] for e in message["entities"]] == ["text_link"]  # no markup came from the article
    assert "&lt;script&gt;" in (message["html"] or "") and "&amp;amp;" in (message["html"] or "")


def test_a_link_with_quotes_and_ampersands_stays_one_attribute(tg: FakeTelegramServer) -> None:
    link = 'https://news.example.org/?q="a"&b=<c>&d=\'e\''
    html = to_html(f"Story {link}", link)
    href = html.split('href="', 1)[1].split('">', 1)[0]
    assert html.count("<a ") == 1 and '"' not in href and "'" not in href and "<" not in href
    platform = _platform(tg)
    platform.publish(Draft(platform="telegram", article_key="k9", text=f"Story {link}", link=link))
    [message] = tg.messages
    assert message["text"] == f"Story {link}"
    assert [e.get("url") for e in message["entities"]] == [link]


def test_photo_with_the_post_as_caption(tg: FakeTelegramServer) -> None:
    result = _platform(tg).publish(_draft(image=Image(IMAGE, "The council chamber")))
    [message] = tg.messages
    assert message["kind"] == "photo" and message["photo"] == IMAGE
    assert message["text"] == _draft().text
    assert [e.get("url") for e in message["entities"]] == [LINK]
    assert result.remote_id == str(message["message_id"])


def test_a_post_too_long_for_a_caption_goes_as_a_message_with_the_preview(tg: FakeTelegramServer) -> None:
    body = "Persian readers follow the budget closely. " * 30
    text = f"{body}\n\n{LINK}"
    assert MAX_CAPTION < utf16_length(text) <= 4096
    _platform(tg).publish(_draft(text, image=Image(IMAGE)))
    [message] = tg.messages
    assert message["kind"] == "text" and message["text"] == text.strip()
    assert message["link_preview_options"] == {"url": LINK, "prefer_large_media": True}
    assert [r["api_method"] for r in _sends(tg)] == ["sendMessage"]  # no caption was tried and refused


def test_the_caption_limit_is_counted_in_utf16_units(tg: FakeTelegramServer) -> None:
    # 600 emoji outside the BMP are 1,200 UTF-16 units: too long for a caption.
    text = "🙂" * 600
    assert len(text) < MAX_CAPTION < utf16_length(text)
    _platform(tg).publish(Draft(platform="telegram", article_key="k2", text=text, image=Image(IMAGE)))
    assert [m["kind"] for m in tg.messages] == ["text"]
    # The fake counts the same way: a caption of 1,025 units is refused there.
    with pytest.raises(RejectedError, match="caption is too long"):
        _platform(tg, photos=True)._call("sendPhoto", {"chat_id": "@ournews", "photo": IMAGE, "caption": "a" * 1025})


def test_an_image_telegram_cannot_fetch_falls_back_to_the_message(tg: FakeTelegramServer,
                                                                   caplog: pytest.LogCaptureFixture) -> None:
    tg.photo_fetch_ok = False
    with caplog.at_level(logging.WARNING):
        _platform(tg).publish(_draft(image=Image(IMAGE)))
    assert [m["kind"] for m in tg.messages] == ["text"]
    assert [r["status"] for r in _sends(tg)] == [400, 200]
    assert "failed to get HTTP URL content" in caplog.text


def test_persian_text_keeps_its_direction_and_counts(tg: FakeTelegramServer) -> None:
    text = f"\u200fشورای شهر بودجه را تصویب کرد؛ «نیم‌فاصله» سالم می‌ماند.\n\n{LINK}\n\n#شورای_شهر"
    _platform(tg).publish(_draft(text, image=Image(IMAGE)))
    [message] = tg.messages
    assert message["kind"] == "photo"
    assert message["text"] == text  # the RLM and the zero-width non-joiner arrive untouched
    assert "\u200c" in message["text"] and message["text"].startswith("\u200f")
    link = next(e for e in message["entities"] if e["type"] == "text_link")
    assert message["text"].encode("utf-16-le")[2 * link["offset"]:2 * (link["offset"] + link["length"])] \
        .decode("utf-16-le") == LINK


def test_429_is_a_rate_limit_with_telegrams_retry_after(tg: FakeTelegramServer) -> None:
    tg.rate_limit(retry_after=37)
    with pytest.raises(RateLimited) as caught:
        _platform(tg).publish(_draft())
    assert caught.value.retry_after == 37.0
    assert tg.messages == []


def test_a_429_holds_the_whole_channel_until_retry_after(tg: FakeTelegramServer) -> None:
    """Flood control is the chat's, not the post's: quota() says nothing is left until retry_after is over,
    so delivery holds every post to the channel (bot.delivery.loop.quota_wait), then "not said" after a message."""
    platform = _platform(tg)
    assert platform.quota() is None  # Telegram says nothing ahead of a 429
    tg.rate_limit(retry_after=37)
    before = time.time()
    with pytest.raises(RateLimited):
        platform.publish(_draft())
    quota = platform.quota()
    assert quota is not None and quota.remaining == 0
    assert quota.reset_at is not None and before + 37 <= quota.reset_at <= time.time() + 37
    platform.publish(_draft())
    assert platform.quota() == replace(quota, remaining=None, reset_at=None)


def test_5xx_and_a_dropped_connection_are_retryable(tg: FakeTelegramServer) -> None:
    platform = _platform(tg)
    tg.fail(502, "Bad Gateway")
    with pytest.raises(RetryableError) as caught:
        platform.publish(_draft())
    assert not isinstance(caught.value, RateLimited) and caught.value.status == 502
    tg.drop_connection()
    with pytest.raises(RetryableError, match="could not be reached"):
        platform.publish(_draft())
    assert tg.messages == []


def test_only_a_connection_that_never_opened_says_nothing_was_sent(tg: FakeTelegramServer) -> None:
    with pytest.raises(RetryableError, match="connection refused") as refused:
        TelegramPlatform(TOKEN, "@ournews", "http://127.0.0.1:9").publish(_draft())
    assert refused.value.not_sent
    for fault in (tg.drop_connection, tg.reset_connection, lambda: tg.fail(502), tg.fail_after_commit):
        fault()
        with pytest.raises(RetryableError) as caught:
            _platform(tg).publish(_draft())
        assert not caught.value.not_sent  # the request went out: the outcome is unknown


def test_an_answer_lost_after_the_post_is_retryable_and_the_post_is_there(tg: FakeTelegramServer) -> None:
    tg.fail_after_commit()
    with pytest.raises(RetryableError):
        _platform(tg).publish(_draft())
    assert len(tg.messages) == 1  # which is why delivery holds it rather than resending


def test_find_existing_never_says_not_there(tg: FakeTelegramServer) -> None:
    platform = _platform(tg)
    with pytest.raises(RejectedError, match="cannot look it up"):
        platform.find_existing(_draft())
    assert platform.find_existing(_draft(), done=["5"]) is None  # one part, already known


def test_a_stalled_api_times_out(tg: FakeTelegramServer) -> None:
    tg.stall(5.0, commit=False)
    platform = TelegramPlatform(TOKEN, "@ournews", tg.url, timeout=(1.0, 0.5))
    started = time.monotonic()
    with pytest.raises(RetryableError, match="timed out"):
        platform.publish(_draft())
    assert time.monotonic() - started < 3.0


@pytest.mark.parametrize("setup, match", [
    ("token", "refused the bot token"),
    ("chat", "chat not found"),
    ("member", "bot is not a member"),
    ("rights", "not enough rights"),
])
def test_credential_and_permission_problems_pause_the_account(tg: FakeTelegramServer, setup: str,
                                                              match: str) -> None:
    chat = "@ournews"
    if setup == "token":
        tg.set_token("7351098246:AAnother-token-after-revoke_00000")
    elif setup == "chat":
        chat = "@someoneelse"
    elif setup == "member":
        tg.bot_status = "left"
    else:
        tg.can_post = False
    with pytest.raises(NeedsHumanError, match=match) as caught:
        _platform(tg, chat=chat).publish(_draft())
    assert caught.value.hint
    assert tg.messages == []


def test_verify_says_who_posts_where(tg: FakeTelegramServer) -> None:
    account = _platform(tg).verify()
    assert account.id == str(tg.chat_id)
    assert account.name == "@our_news_bot in Our News (@ournews)"
    assert tg.messages == []
    tg.bot_status = "member"
    with pytest.raises(NeedsHumanError, match="not an administrator"):
        _platform(tg).verify()
    with pytest.raises(NeedsHumanError, match="chat not found"):
        _platform(tg, chat="-100999").verify()


def test_the_token_is_in_no_error_and_no_log(tg: FakeTelegramServer, caplog: pytest.LogCaptureFixture) -> None:
    """Every failure kind, with every logger on DEBUG (urllib3 logs request lines there)."""
    errors: list[PlatformError] = []
    platform = _platform(tg)
    with caplog.at_level(logging.DEBUG):
        for fault in (lambda: tg.rate_limit(3), lambda: tg.fail(500, "Internal Server Error"),
                      tg.drop_connection, tg.reset_connection, lambda: tg.fail_after_commit(how="error")):
            fault()
            with pytest.raises(PlatformError) as caught:
                platform.publish(_draft())
            errors.append(caught.value)
        tg.photo_fetch_ok = False
        platform.publish(_draft(image=Image(IMAGE)))
        for broken in (_platform(tg, token=TOKEN[:-1] + "X"), _platform(tg, chat="@nobody"),
                       TelegramPlatform(TOKEN, "@ournews", "http://127.0.0.1:9")):
            with pytest.raises(PlatformError) as caught:
                broken.verify()
            errors.append(caught.value)
    secret_part = TOKEN.split(":", 1)[1]
    for exc in errors:
        for text in (str(exc), repr(exc), exc.message, exc.hint or "", repr(exc.__cause__), repr(exc.__context__)):
            assert secret_part not in text, text
        assert exc.__cause__ is None and (exc.__context__ is None or exc.__suppress_context__)
    # What the bot's own loggers wrote: the platform's and urllib3's (which the bot's log setup redacts).
    ours = [r.getMessage() for r in caplog.records if r.name.startswith("bot.")]
    assert ours and not any(secret_part in line for line in ours)
    redactor = Redactor([TOKEN])
    assert not any(secret_part in redactor(r.getMessage()) for r in caplog.records)
    # Even without knowing the token, the shape of a Bot API path is masked.
    assert secret_part not in Redactor()(f"POST {tg.url}/bot{TOKEN}/sendMessage") and MASK in \
        Redactor()(f"/bot{TOKEN}/sendMessage")


def test_telegram_compose_rules() -> None:
    rules = rules_for("telegram")
    assert rules.max_length == 4096 and rules.link_placement == "inline"
    assert rules.count("🙂a") == 3 and rules.count("سلام") == 4
    assert rules.fits("x" * 4096) and not rules.fits("🙂" * 2049)


# --- the whole path: `bot run --once` as a subprocess, a feed over HTTP, the Bot API fake -------------------

FAST_RETRIES = {"BOT_BACKOFF_BASE_SECONDS": "0.2", "BOT_BACKOFF_CAP_SECONDS": "1"}


def _bot(tmp_path: Path, feed_url: str, tg: FakeTelegramServer) -> dict[str, str]:
    config = tmp_path / "bot.toml"
    config.write_text(f'[[feeds]]\nurl = "{feed_url}"\nname = "news"\n\n[platforms.telegram]\n', encoding="utf-8")
    return bot_env(None, None, f"sqlite:///{tmp_path / 'state.db'}", config, {
        **FAST_RETRIES, "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_CHAT_ID": "@ournews", "TELEGRAM_API_URL": tg.url})


def _run(args: list[str], env: dict[str, str], cwd: Path) -> str:
    result = run_bot(args, env, cwd)
    output = result.stdout + result.stderr
    # A held post is for a person to check: `run --once` exits 1 and says so on stderr (cron mails it).
    held = args[:2] == ["run", "--once"] and "bot: telegram: " in result.stderr and "HELD" in result.stderr
    assert result.returncode == (1 if held else 0), output
    assert "Traceback" not in output
    assert TOKEN.split(":", 1)[1] not in output
    return output


def test_run_once_posts_exactly_the_new_articles_once(tmp_path: Path, tg: FakeTelegramServer) -> None:
    with FeedServer() as feeds:
        items = [Item(n) for n in range(1, 4)]
        feeds.set("/feed.xml", rss(items))
        env = _bot(tmp_path, feeds.url_for("/feed.xml"), tg)
        _run(["run", "--once"], env, tmp_path)
        assert tg.messages == []  # first sight is a baseline
        feeds.set("/feed.xml", rss([*items, Item(4), Item(5)]))
        _run(["run", "--once"], env, tmp_path)
        messages = tg.messages
        assert len(messages) == 2
        for message, item in zip(messages, (Item(4), Item(5)), strict=True):
            assert item.title in message["text"] and item.url in message["text"]
            assert any(e.get("url") == item.url for e in message["entities"])
            assert utf16_length(message["text"]) <= 4096
        _run(["run", "--once"], env, tmp_path)
        assert len(tg.messages) == 2
        checked = _run(["check"], env, tmp_path)
        assert "@our_news_bot in Our News (@ournews)" in checked


@pytest.mark.parametrize("how", ["answer lost after the post", "connection dropped before it"])
def test_an_unknown_outcome_is_held_never_resent_until_an_editor_releases_it(
        tmp_path: Path, tg: FakeTelegramServer, how: str) -> None:
    with FeedServer() as feeds:
        feeds.set("/feed.xml", rss([Item(1)]))
        env = _bot(tmp_path, feeds.url_for("/feed.xml"), tg)
        _run(["run", "--once"], env, tmp_path)
        feeds.set("/feed.xml", rss([Item(1), Item(2)]))
        if how == "answer lost after the post":
            tg.fail_after_commit()
        else:
            tg.drop_connection()
        in_channel = 1 if how == "answer lost after the post" else 0
        _run(["run", "--once"], env, tmp_path)
        deadline = time.monotonic() + 20
        while "HELD" not in (status := _run(["status"], env, tmp_path)) and time.monotonic() < deadline:
            time.sleep(0.3)
            _run(["run", "--once"], env, tmp_path)  # the retry, once due, finds it uncertain and holds it
        assert "HELD, not sent again" in status and Item(2).title[:40] in status, status
        assert len(tg.messages) == in_channel and len(_sends(tg)) == 1
        time.sleep(1.2)  # past any backoff: a later run still sends nothing
        _run(["run", "--once"], env, tmp_path)
        assert len(tg.messages) == in_channel and len(_sends(tg)) == 1
        if in_channel:  # the editor sees it in the channel and skips it: a retry then sends nothing
            [post_id] = re.findall(r"HELD, not sent again: #(\d+) ", status)
            assert f"({Item(2).url})" in status
            assert "skipped; it is never sent" in _run(["skip", post_id], env, tmp_path)
            assert "released" not in _run(["retry", "--platform", "telegram"], env, tmp_path)
            _run(["run", "--once"], env, tmp_path)
            assert len(tg.messages) == 1 and len(_sends(tg)) == 1
            assert "HELD" not in _run(["status"], env, tmp_path)
            return
        released = _run(["retry", "--platform", "telegram"], env, tmp_path)
        assert "released 1 held post" in released
        _run(["run", "--once"], env, tmp_path)
        _run(["run", "--once"], env, tmp_path)
        assert [Item(2).title in m["text"] for m in tg.messages] == [True]
        assert "HELD" not in _run(["status"], env, tmp_path)


def test_a_connection_that_never_opened_is_retried_not_held(tmp_path: Path, tg: FakeTelegramServer) -> None:
    with FeedServer() as feeds:
        feeds.set("/feed.xml", rss([Item(1)]))
        env = _bot(tmp_path, feeds.url_for("/feed.xml"), tg)
        _run(["run", "--once"], env, tmp_path)
        feeds.set("/feed.xml", rss([Item(1), Item(2)]))
        down = _run(["run", "--once"], {**env, "TELEGRAM_API_URL": "http://127.0.0.1:9"}, tmp_path)
        assert "connection refused" in down
        status = _run(["status"], env, tmp_path)
        assert "HELD" not in status and "retry at" in status
        time.sleep(1.2)  # past the backoff
        _run(["run", "--once"], env, tmp_path)
        assert [Item(2).title in m["text"] for m in tg.messages] == [True]


def test_flood_control_holds_the_channel_for_retry_after_then_everything_goes_once(tmp_path: Path) -> None:
    """Telegram's natural 429 after a burst (the fake's flood control, core.telegram.org/bots/faq: about 20 a
    minute to one chat; here 3 in 8 s, so that the test waits seconds, not a minute): the post that met it and
    every post behind it wait retry_after, no request reaches the channel meanwhile, then each goes once."""
    with FakeTelegramServer(token=TOKEN, flood_limit=3, flood_window=8.0) as tg, FeedServer() as feeds:
        feeds.set("/feed.xml", rss([Item(1)]))
        env = _bot(tmp_path, feeds.url_for("/feed.xml"), tg)
        _run(["run", "--once"], env, tmp_path)
        feeds.set("/feed.xml", rss([Item(n) for n in range(1, 7)]))  # five new articles at once
        _run(["run", "--once"], env, tmp_path)
        sends = _sends(tg)
        assert [r["status"] for r in sends] == [200, 200, 200, 429] and len(tg.messages) == 3
        _run(["run", "--once"], env, tmp_path)  # within retry_after: the channel is not asked at all
        assert len(_sends(tg)) == 4
        assert "used up until" in _run(["status"], env, tmp_path)
        # retry_after is at most the window (whole seconds) from the 429; the bot adds up to 10% of it
        limited_at = next(float(r["time"]) for r in tg.requests if r["status"] == 429)
        time.sleep(max(0.0, limited_at + 8.0 * 1.1 + 0.2 - time.time()))
        _run(["run", "--once"], env, tmp_path)
        titles = [m["text"].split("\n")[0] for m in tg.messages]
        assert sorted(titles) == sorted(Item(n).title for n in range(2, 7)) and len(titles) == 5
        assert [r["status"] for r in _sends(tg)].count(429) == 1
