"""No secret kept or shown (issue 14): what an operator, a log reader or a database reader must never see.

- a feed URL's credentials (user:pass@) are sent to the feed server and appear nowhere else: not in
  `run` (text or JSON logs), `check`, `status`, `schedule`, `preview`, nor in any column of SQLite or Postgres;
- a malformed DATABASE_URL is named by its wrong part, never echoed;
- a token that an API echoes in its error body is stored redacted, so `status`/`history` run without the
  secrets (an operator's shell) show none;
- the SQLite file is created readable by its owner only;
- `.env` comes from the working directory, never from a folder above the installed package;
- feed content (a guid, a title) cannot forge or colour a text log line.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import stat
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from tests.fakes.feed_server import FeedServer
from tests.helpers import FB_TOKEN, ROOT, X_KEYS, bot_env, fake_graph, fake_x, run_bot

FEED_USER = "reader"
FEED_PASSWORD = "feed-pw/9876"  # sent decoded; written %2F-encoded in the URL
FEED_PASSWORD_IN_URL = "feed-pw%2F9876"
PASSWORD_FORMS = (FEED_PASSWORD, FEED_PASSWORD_IN_URL, f"{FEED_USER}:{FEED_PASSWORD_IN_URL}")


def _feed(items: list[tuple[str, str, str]], now: datetime | None = None) -> str:
    """RSS with (guid, title, relative link) items, dated minutes before now (newest first)."""
    now = now or datetime.now(UTC)
    body = "".join(
        f"<item><title>{escape(title)}</title><link>{escape(link)}</link>"
        f'<guid isPermaLink="false">{escape(guid)}</guid>'
        f"<pubDate>{format_datetime(now - timedelta(minutes=index + 1))}</pubDate>"
        f"<description>The council met and approved the budget for {escape(guid)}.</description></item>"
        for index, (guid, title, link) in enumerate(items)
    )
    return ('<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Private</title>'
            f"<link>https://news.example.org/</link><description>d</description>{body}</channel></rss>")


def _story(n: int) -> tuple[str, str, str]:
    return f"story-{n}", f"Story {n} about the council", f"/news/story-{n}/"


def _database_text(db_url: str) -> Iterator[str]:
    """Every text value of every table, SQLite or Postgres."""
    if db_url.startswith("sqlite:"):
        conn = sqlite3.connect(db_url.removeprefix("sqlite:///"))
        try:
            tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
            for table in tables:
                for row in conn.execute(f"SELECT * FROM {table}"):
                    yield from (str(v) for v in row if isinstance(v, str))
        finally:
            conn.close()
        return
    import psycopg

    with psycopg.connect(db_url) as conn:
        tables = [r[0] for r in conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()")]
        assert {"feeds", "seen", "outbox", "platforms"} <= set(tables), tables
        for table in tables:
            for row in conn.execute(f"SELECT * FROM {table}"):
                yield from (str(v) for v in row if isinstance(v, str))


def _assert_hidden(text: str, secrets: tuple[str, ...], where: str) -> None:
    for secret in secrets:
        assert secret not in text, f"{secret!r} shown in {where}:\n{text}"


def test_feed_url_credentials_reach_the_feed_server_and_nowhere_else(tmp_path: Path, db_url: str) -> None:
    with FeedServer() as feeds, fake_x() as x, fake_graph() as graph:
        feeds.set("/private/feed.xml", _feed([_story(2), _story(1)]))
        feeds.require_auth("/private/feed.xml", FEED_USER, FEED_PASSWORD)
        feed_url = feeds.url_for("/private/feed.xml").replace("://", f"://{FEED_USER}:{FEED_PASSWORD_IN_URL}@")
        shown = feed_url.replace(f"{FEED_USER}:{FEED_PASSWORD_IN_URL}@", "***@")
        config = tmp_path / "bot.toml"
        config.write_text(f'[[feeds]]\nurl = "{feed_url}"\nbackfill = 1\n'
                          "[platforms.twitter]\nimage = false\n[platforms.facebook]\n")
        env = bot_env(x.url, graph.url, db_url, config)

        outputs = {"run (text, debug)": run_bot(["--log-level", "DEBUG", "run", "--once"], env, tmp_path)}
        assert outputs["run (text, debug)"].returncode == 0, outputs["run (text, debug)"].stderr
        assert len(x.tweets) == 1, "the credentials went with the request: the feed was read"
        # A relative link resolves against the feed's address without its credentials: posts are public.
        assert f"{feeds.url}/news/story-2/" in x.tweets[0]["text"]

        # The feed moves (301, same host, also protected): the new address is stored without the credentials,
        # and they still go along with the requests to it.
        feeds.set("/private/moved.xml", _feed([_story(3), _story(2), _story(1)]))
        feeds.require_auth("/private/moved.xml", FEED_USER, FEED_PASSWORD)
        feeds.redirect("/private/feed.xml", "/private/moved.xml", 301)
        outputs["run (json)"] = run_bot(["--log-format", "json", "run", "--once"], env, tmp_path)
        assert outputs["run (json)"].returncode == 0, outputs["run (json)"].stderr
        feeds.set("/private/moved.xml", _feed([_story(4), _story(3), _story(2), _story(1)]))
        outputs["run (moved)"] = run_bot(["run", "--once"], env, tmp_path)
        assert [t["text"].split("\n")[0] for t in x.tweets][-2:] == ["Story 3 about the council",
                                                                     "Story 4 about the council"]
        assert feeds.hits("/private/feed.xml") == 2, "the moved address was used, with the credentials"

        # Then it fails: the error is logged, stored and reported with the feed named without its credentials.
        feeds.fail("/private/moved.xml", 500, times=5)
        outputs["run (failing)"] = run_bot(["run", "--once"], env, tmp_path)
        moved = shown.replace("feed.xml", "moved.xml")
        assert f"WARNING bot.poll: feed {shown}: feed {moved}: HTTP 500" in outputs["run (failing)"].stdout
        for command in (["check"], ["status"], ["schedule"], ["preview"], ["history"]):
            outputs[" ".join(command)] = run_bot(command, env, tmp_path)
        assert f"feed {shown}: failing (1x): feed {moved}: HTTP 500" in outputs["status"].stdout, \
            outputs["status"].stdout
        assert f"  {shown}: every 15m" in outputs["schedule"].stdout, outputs["schedule"].stdout
        assert f"feed {shown}: FAILED" in outputs["check"].stdout, outputs["check"].stdout
        for name, result in outputs.items():
            _assert_hidden(result.stdout + result.stderr, PASSWORD_FORMS, name)
        json_lines = [line for line in outputs["run (json)"].stdout.splitlines() if line.startswith("{")]
        assert json_lines and all(json.loads(line) for line in json_lines)

        stored = list(_database_text(db_url))
        assert shown in stored, "the feed's state is kept under its URL without credentials"
        _assert_hidden("\n".join(stored), PASSWORD_FORMS, "the database")
        _assert_hidden("\n".join(t["text"] for t in x.tweets) + json.dumps(graph.posts), PASSWORD_FORMS, "posts")


def test_preview_of_a_feed_url_with_credentials(tmp_path: Path) -> None:
    with FeedServer() as feeds:
        feeds.set("/private/feed.xml", _feed([_story(1)]))
        feeds.require_auth("/private/feed.xml", FEED_USER, FEED_PASSWORD)
        feed_url = feeds.url_for("/private/feed.xml").replace("://", f"://{FEED_USER}:{FEED_PASSWORD_IN_URL}@")
        env = bot_env(None, None, f"sqlite:///{tmp_path / 's.db'}", tmp_path / "none.toml")
        del env["BOT_CONFIG"]
        good = run_bot(["preview", "--feed", feed_url, "--json"], env, tmp_path)
        assert good.returncode == 0, good.stderr
        assert json.loads(good.stdout)[0]["article_url"] == f"{feeds.url}/news/story-1/"
        bad = run_bot(["preview", "--feed", feed_url.replace("feed.xml", "gone.xml")], env, tmp_path)
        assert bad.returncode == 1 and "***@127.0.0.1" in bad.stderr and "HTTP 404" in bad.stderr
        for name, result in (("preview", good), ("preview of a missing feed", bad)):
            _assert_hidden(result.stdout + result.stderr, PASSWORD_FORMS, name)


@pytest.mark.parametrize("url", [
    "https://reader:s3cr3t-pw@[::1/feed.xml",  # a bad bracket
    "https://reader:s3cr3t-pw@example.org:80x/feed.xml",  # a bad port
    "https://reader:s3cr3t/pw@example.org/feed.xml",  # an unencoded / makes "reader" the host, "s3cr3t" the port
    "ftp://reader:s3cr3t-pw@example.org/feed.xml",  # a wrong scheme
])
def test_config_errors_about_a_feed_url_hide_its_credentials(tmp_path: Path, url: str) -> None:
    config = tmp_path / "bot.toml"
    config.write_text(f'[[feeds]]\nurl = "{url}"\n[platforms.twitter]\n')
    result = run_bot(["check"], bot_env(None, None, f"sqlite:///{tmp_path / 's.db'}", config), tmp_path)
    assert result.returncode == 2, result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"bot: {config}:2: feeds[0].url: ") and "is not a feed URL" in line
    _assert_hidden(line, ("s3cr3t",), "the config error")


def test_two_feeds_that_differ_only_by_credentials_are_one_feed(tmp_path: Path) -> None:
    config = tmp_path / "bot.toml"
    config.write_text('[[feeds]]\nurl = "https://a:one-pass@example.org/feed"\n'
                      '[[feeds]]\nurl = "https://b:two-pass@example.org/feed"\n[platforms.twitter]\n')
    result = run_bot(["check"], bot_env(None, None, f"sqlite:///{tmp_path / 's.db'}", config), tmp_path)
    assert result.returncode == 2 and "feeds[1].url: the same feed as feeds[0]" in result.stderr
    _assert_hidden(result.stderr, ("one-pass", "two-pass"), "the config error")


DB_PASSWORD = "hunter2-db-secret"


@pytest.mark.parametrize(("url", "named"), [
    (f"postgres:/bot:{DB_PASSWORD}@127.0.0.1:5432/test", "needs '//' after 'postgres:'"),
    (f"postgres:bot:{DB_PASSWORD}@127.0.0.1:5432/test", "needs '//' after 'postgres:'"),
    (f"sqlite:/{DB_PASSWORD}.db", "needs three slashes after 'sqlite:'"),
    (f"host=127.0.0.1 user=bot password={DB_PASSWORD} dbname=test", "is a list of key=value settings"),
    (f"postgres://bot:{DB_PASSWORD}@[::1:5432/test", "unmatched '[' or ']'"),
    (f"postgres://bot:{DB_PASSWORD}]@127.0.0.1:5432/test", "unmatched '[' or ']'"),
    (f"postgres://bot:{DB_PASSWORD}#1@127.0.0.1:5432/test", "contains '#'"),
    (f"postgres://bot:{DB_PASSWORD}%1@127.0.0.1:5432/test", "a '%' that is not followed by two hex digits"),
    (f"postgres://bot:{DB_PASSWORD}@x@127.0.0.1:5432/test", "more than one '@'"),
    (f"postgres://bot:{DB_PASSWORD}/x@127.0.0.1:5432/test", "'@' after the host"),
    (f"postgres://bot:{DB_PASSWORD}?x@127.0.0.1:5432/test", "'@' after the host"),
    (f"postgres://bot:{DB_PASSWORD}@127.0.0.1:5432x/test", "port that is not a number"),
    (f"mysql://bot:{DB_PASSWORD}@127.0.0.1/test", "scheme 'mysql' is not supported"),
])
@pytest.mark.parametrize("command", ["status", "run"])
def test_a_malformed_database_url_is_named_never_echoed(tmp_path: Path, url: str, named: str,
                                                       command: str) -> None:
    config = tmp_path / "bot.toml"
    config.write_text(f'[[feeds]]\nurl = "{tmp_path / "feed.xml"}"\n[platforms.twitter]\n')
    (tmp_path / "feed.xml").write_text(_feed([_story(1)]))
    result = run_bot([command, *(["--once"] if command == "run" else [])],
                     bot_env(None, None, url, config), tmp_path)
    assert result.returncode == 2 and result.stdout == "", result.stdout + result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("bot: DATABASE_URL ") and named in line, line
    _assert_hidden(line, (DB_PASSWORD, "hunter2"), "the DATABASE_URL error")


GRAPH_TOKEN_ECHO = (f"Invalid OAuth access token - Cannot parse access token {FB_TOKEN} "
                    "(sent as Authorization: Bearer AAAAAAAAAAAAAAAAAAAAAMLheAAAAAAA0uSe1d)")
X_TOKEN_ECHO = (f"Could not authenticate you: oauth_token=\"{X_KEYS['TWITTER_ACCESS_TOKEN']}\", "
                f"oauth_consumer_key=\"{X_KEYS['TWITTER_API_KEY']}\"; retry with access_token=tok-12345678")
ECHOED = (FB_TOKEN, X_KEYS["TWITTER_ACCESS_TOKEN"], X_KEYS["TWITTER_API_KEY"], "AAAAMLhe", "tok-12345678")


def test_tokens_echoed_in_error_bodies_are_stored_redacted(tmp_path: Path, db_url: str) -> None:
    with FeedServer() as feeds, fake_x() as x, fake_graph() as graph:
        feeds.set("/feed.xml", _feed([_story(2), _story(1)]))
        config = tmp_path / "bot.toml"
        config.write_text(f'[[feeds]]\nurl = "{feeds.url_for("/feed.xml")}"\nbackfill = 1\n'
                          "[platforms.twitter]\nimage = false\n[platforms.facebook]\n")
        env = bot_env(x.url, graph.url, db_url, config)
        x.fail(400, body={"errors": [{"code": 32, "message": X_TOKEN_ECHO}]})
        graph.fail(190, message=GRAPH_TOKEN_ECHO, times=5, endpoint="*")
        run = run_bot(["run", "--once"], env, tmp_path)
        # A refused post and a paused account: exit 1, one "bot: " line each on stderr (for cron's mail),
        # and those lines are redacted like every other output (checked below).
        assert run.returncode == 1, run.stderr
        assert [line.split(":")[1].strip() for line in run.stderr.splitlines() if line.startswith("bot: ")] == \
            ["twitter", "facebook"], run.stderr
        assert x.tweets == [] and graph.posts == []

        # An operator's shell: the same database, none of the secrets in the environment to redact with.
        operator = bot_env(None, None, db_url, config)
        status = run_bot(["status"], operator, tmp_path)
        history = run_bot(["history"], operator, tmp_path)
        assert "facebook: PAUSED, needs a human: Facebook refused the token (code 190): Invalid OAuth access " \
               "token - Cannot parse access token ***" in status.stdout, status.stdout
        assert "X rejected the post (400): Could not authenticate you: oauth_token=\"***\"" in history.stdout, \
            history.stdout
        for name, result in (("run", run), ("status", status), ("history", history)):
            _assert_hidden(result.stdout + result.stderr, ECHOED, name)
        _assert_hidden("\n".join(_database_text(db_url)), ECHOED, "the database")


def test_the_sqlite_file_is_created_readable_by_its_owner_only(tmp_path: Path) -> None:
    config = tmp_path / "bot.toml"
    config.write_text(f'[[feeds]]\nurl = "{tmp_path / "feed.xml"}"\n[platforms.twitter]\n')
    (tmp_path / "feed.xml").write_text(_feed([_story(1)]))
    old = os.umask(0o022)  # the usual umask, which left the file world-readable
    try:
        result = run_bot(["run", "--once"], bot_env(None, None, f"sqlite:///{tmp_path / 'state.db'}", config),
                         tmp_path)
    finally:
        os.umask(old)
    assert result.returncode == 0, result.stderr
    for path in tmp_path.glob("state.db*"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, (path.name, oct(path.stat().st_mode))


def _dotenv_env(tmp_path: Path) -> dict[str, str]:
    config = tmp_path / "bot.toml"
    config.write_text(f'[[feeds]]\nurl = "{tmp_path / "feed.xml"}"\n[platforms.twitter]\n')
    (tmp_path / "feed.xml").write_text(_feed([_story(1)]))
    env = bot_env(None, None, "unused", config)
    del env["DATABASE_URL"]
    return env


def test_dotenv_is_read_from_the_working_directory(tmp_path: Path) -> None:
    env = _dotenv_env(tmp_path)
    (tmp_path / ".env").write_text(f"DATABASE_URL=sqlite:///{tmp_path / 'from-dotenv.db'}\n")
    result = run_bot(["status"], env, tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "from-dotenv.db").exists() and not (tmp_path / "bot.db").exists()


def test_dotenv_above_the_installed_package_is_not_read(tmp_path: Path) -> None:
    stray = ROOT / ".env"  # a parent folder of bot/: python-dotenv's own search would find it
    if stray.exists():
        pytest.skip(f"{stray} exists; not touching it")
    env = _dotenv_env(tmp_path)
    stray.write_text(f"DATABASE_URL=sqlite:///{tmp_path / 'stray.db'}\n")
    try:
        result = run_bot(["status"], env, tmp_path)
    finally:
        stray.unlink()
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / "stray.db").exists() and (tmp_path / "bot.db").exists()


FORGED = "2026-01-01 00:00:00 ERROR   bot.delivery.loop: twitter PAUSED, needs a human: forged"


def test_feed_content_cannot_forge_a_text_log_line(tmp_path: Path) -> None:
    with FeedServer() as feeds, fake_x() as x:
        guid = f"story-1\n{FORGED}\r\x1b[2J\x9b31m"
        feeds.set("/feed.xml", _feed([(guid, "Story 1 \x1b[31m about the council", "/news/story-1/")]))
        config = tmp_path / "bot.toml"
        config.write_text(f'[[feeds]]\nurl = "{feeds.url_for("/feed.xml")}"\nbackfill = 1\n'
                          "[platforms.twitter]\nimage = false\n")
        env = bot_env(x.url, None, f"sqlite:///{tmp_path / 's.db'}", config)
        text = run_bot(["run", "--once"], env, tmp_path)
        assert text.returncode == 0, text.stderr
        assert len(x.tweets) == 1
        posted = [line for line in text.stdout.splitlines() if "twitter: posted" in line]
        assert posted == [posted[0]] and "story-1\\n2026-01-01 00:00:00 ERROR" in posted[0], text.stdout
        assert not any(line.startswith("2026-01-01") for line in text.stdout.splitlines()), text.stdout
        assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f]", text.stdout), repr(text.stdout)

        # JSON lines are safe by encoding: one record per line, the guid intact inside it.
        x.reset_limits()
        env = dict(env, DATABASE_URL=f"sqlite:///{tmp_path / 'j.db'}")
        as_json = run_bot(["--log-format", "json", "run", "--once"], env, tmp_path)
        assert as_json.returncode == 0, as_json.stderr
        records = [json.loads(line) for line in as_json.stdout.splitlines() if line.startswith("{")]
        assert any(f"story-1\n{FORGED}\r\x1b[2J" in r["message"] for r in records), records
        assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f]", as_json.stdout), repr(as_json.stdout)


def test_display_url_hides_user_info_and_leaves_other_urls_as_they_are() -> None:
    from bot.redact import display_url, reattach_userinfo, strip_userinfo

    assert display_url("https://reader:pw@example.org/feed") == "https://***@example.org/feed"
    assert display_url("https://TOKEN@example.org:8443/feed?x=1") == "https://***@example.org:8443/feed?x=1"
    assert display_url("https://u:p@ss@example.org/f") == "https://***@example.org/f", "the last @ ends it"
    for plain in ("https://example.org/feed", "https://medium.com/@someone/feed", "/srv/feeds/a@b.xml",
                  "https://example.org/?mail=a@b.org"):
        assert display_url(plain) == plain and strip_userinfo(plain) == plain
    assert strip_userinfo("https://u:p@example.org/feed") == "https://example.org/feed"
    # The stored address a feed moved to gets the configured credentials back on the same host only.
    configured = "https://u:p@example.org/feed"
    assert reattach_userinfo("https://***@example.org/new", configured) == "https://u:p@example.org/new"
    assert reattach_userinfo("https://example.org/new", configured) == "https://u:p@example.org/new"
    assert reattach_userinfo("https://elsewhere.org/new", configured) == "https://elsewhere.org/new"
    assert reattach_userinfo("http://example.org/new", configured) == "http://example.org/new"


def test_redaction_hides_credential_shapes_and_leaves_article_text_alone() -> None:
    """Redaction runs over everything printed, post previews included: it must not garble ordinary text."""
    from bot.redact import Redactor

    redact = Redactor([FB_TOKEN])
    hidden = {
        f"Malformed access token {FB_TOKEN}.": "Malformed access token ***.",
        "GET /me?access_token=EAAB123&fields=id": "GET /me?access_token=***&fields=id",
        "Authorization: Bearer AAAAAAAAAAAAAAAAAAAAAMLheAAAAAAA0%2BuSe": "Authorization: Bearer ***",
        'OAuth oauth_token="1000-at", oauth_signature="x%2Fy"': 'OAuth oauth_token="***", oauth_signature="***"',
        "fetching https://reader:pw@example.org/feed failed": "fetching https://***@example.org/feed failed",
        "host=db password=s3cret dbname=bot": "host=db password=*** dbname=bot",
    }
    for text, expected in hidden.items():
        assert redact(text) == expected
    for ordinary in ("Basic information about OAuth 2.0 for beginners", "Bearer bonds are back",
                     "See https://medium.com/@someone/story and mail press@example.org"):
        assert redact(ordinary) == ordinary
