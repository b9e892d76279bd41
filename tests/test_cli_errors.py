"""Every failure a user or a remote server can cause, in every command: one line, no traceback.

Each row runs the real `bot` command against a local site (tests/fakes/feed_server.py) and checks
the exit code (2 for usage and config, 1 otherwise), that stderr is exactly one line starting
`bot: ` that names what failed and what to do, that no traceback or "a bug" shows anywhere, and that
the failed command left no state behind. A genuine bug still says it is one, with its traceback.
"""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fakes.feed_server import FeedServer
from tests.feedgen import rss
from tests.helpers import bot_env, run_bot

EMPTY_PAGE = "<!doctype html><html><head></head><body></body></html>"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(200)
HUGE = 12 * 1024 * 1024  # over both the page limit (5 MB) and the feed limit (10 MB)


@pytest.fixture(scope="module")
def site() -> Iterator[FeedServer]:
    with FeedServer() as server:
        server.set("/feed.xml", rss([]))
        server.set("/article.html", "<html><body><p>An article about something.</p></body></html>",
                   content_type="text/html; charset=utf-8")
        server.set("/empty.html", EMPTY_PAGE, content_type="text/html; charset=utf-8")
        server.set("/photo.png", PNG, content_type="image/png")
        server.set("/data.json", '{"hello": "world"}', content_type="application/json")
        server.set("/busy", "busy\n", content_type="text/plain", status=503)
        server.huge("/huge", HUGE, content_type="text/html")
        yield server


def _refused_url(path: str = "/story") -> str:
    with socket.socket() as s:  # a port that was free a moment ago: nothing listens there
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}{path}"


@pytest.fixture
def workdir(tmp_path: Path, site: FeedServer) -> Path:
    (tmp_path / "bot.toml").write_text(f'[[feeds]]\nurl = "{site.url_for("/feed.xml")}"\nname = "news"\n'
                                       "[platforms.twitter]\n[platforms.facebook]\n")
    # a config whose feeds fail, each in its own way
    (tmp_path / "failing.toml").write_text(
        f'[[feeds]]\nurl = "{site.url_for("/gone.xml")}"\nname = "gone"\n'
        '[[feeds]]\nurl = "https://nonexistent.invalid/feed/"\nname = "nowhere"\n'
        f'[[feeds]]\nurl = "{site.url_for("/article.html")}"\nname = "page"\n[platforms.twitter]\n')
    (tmp_path / "failing-one.toml").write_text(f'[[feeds]]\nurl = "{site.url_for("/gone.xml")}"\n[platforms.twitter]\n')
    (tmp_path / "folder").mkdir()
    (tmp_path / "a-file").write_text("not a folder")
    return tmp_path


# (id, arguments, environment changes, exit code, fragments the one line must hold)
# {site} is the local server, {tmp} the test's folder, {refused} a URL where nothing listens.
CASES: list[tuple[str, list[str], dict[str, str], int, list[str]]] = [
    # bot post URL: everything a page's server (or its absence) can do
    ("post-404", ["post", "{site}/gone.html"], {}, 1,
     ["page {site}/gone.html: HTTP 404", "check the URL"]),
    ("post-404-dry-run", ["post", "{site}/gone.html", "--dry-run"], {}, 1, ["page {site}/gone.html: HTTP 404"]),
    ("post-503", ["post", "{site}/busy", "--dry-run"], {}, 1, ["HTTP 503", "try again later"]),
    ("post-dns", ["post", "https://nonexistent.invalid/story", "--dry-run"], {}, 1,
     ["page https://nonexistent.invalid/story: connection failed: host name not found (DNS)",
      "check the URL and the network"]),
    ("post-refused", ["post", "{refused}", "--dry-run"], {}, 1,
     ["page {refused}: connection failed: connection refused", "check the URL and the network"]),
    ("post-not-html", ["post", "{site}/photo.png", "--dry-run"], {}, 1,
     ["page {site}/photo.png: not a web page: the server sent image/png", "article's own web page"]),
    ("post-json", ["post", "{site}/data.json", "--dry-run"], {}, 1,
     ["not a web page: the server sent application/json"]),
    ("post-a-feed", ["post", "{site}/feed.xml", "--dry-run"], {}, 1,
     ["page {site}/feed.xml: this is a feed, not an article page", "bot preview --feed URL"]),
    ("post-too-large", ["post", "{site}/huge", "--dry-run"], {}, 1,
     ["page {site}/huge: server announces 12582912 bytes, over the 5242880-byte limit", "not a download"]),
    ("post-no-text", ["post", "{site}/empty.html", "--dry-run"], {}, 1,
     ["page {site}/empty.html: no article text found on the page", "article's own web page"]),
    # `bot post` reads web pages only: a local file is never read from its argument (issue "Safe by default").
    ("post-local-file", ["post", "{tmp}/missing.html", "--dry-run"], {}, 1,
     ["page {tmp}/missing.html: not a web page address", "local files are read only when the config names them"]),
    ("post-folder", ["post", "{tmp}/folder", "--dry-run"], {}, 1, ["page {tmp}/folder: not a web page address"]),
    ("post-no-scheme", ["post", "news.example.invalid/story", "--dry-run"], {}, 1,
     ["page news.example.invalid/story: not a web page address", "write https:// in front"]),
    ("post-invalid-url", ["post", "http://", "--dry-run"], {}, 1, ["page http://: invalid URL", "full address"]),
    ("post-nothing", ["post"], {}, 2, ["give either a URL or --text"]),
    ("post-both", ["post", "{site}/article.html", "--text", "hello"], {}, 2, ["give either a URL or --text"]),
    ("post-text-platform", ["post", "--text", "hello", "--platform", "nope"], {}, 2,
     ["--platform 'nope' is not enabled", "enabled: twitter, facebook"]),
    ("post-text-bad-db", ["post", "--text", "hello"], {"DATABASE_URL": "mysql://db/bot"}, 2,
     ["DATABASE_URL scheme 'mysql' is not supported"]),
    # bot preview: a feed given on the command line, or the configured ones
    ("preview-404", ["preview", "--feed", "{site}/gone.xml"], {}, 1,
     ["feed {site}/gone.xml: HTTP 404", "check the URL"]),
    ("preview-dns", ["preview", "--feed", "https://nonexistent.invalid/feed/"], {}, 1, ["host name not found"]),
    ("preview-refused", ["preview", "--feed", "{refused}"], {}, 1, ["connection refused"]),
    ("preview-html", ["preview", "--feed", "{site}/article.html"], {}, 1,
     ["feed {site}/article.html: got an HTML page, not a feed", "feed URL"]),
    ("preview-json", ["preview", "--feed", "{site}/data.json"], {}, 1,
     ["feed {site}/data.json: JSON document is not a JSON Feed", "RSS, Atom or JSON feed"]),
    ("preview-too-large", ["preview", "--feed", "{site}/huge"], {}, 1, ["over the 10485760-byte limit"]),
    ("preview-missing-file", ["preview", "--feed", "{tmp}/missing.xml"], {}, 1,
     ["feed {tmp}/missing.xml: no such file"]),
    ("preview-platform", ["preview", "--platform", "nope"], {}, 2, ["--platform 'nope' is not enabled"]),
    ("preview-configured-404", ["preview"], {"BOT_CONFIG": "{tmp}/failing-one.toml"}, 1,
     ["feed {site}/gone.xml: HTTP 404"]),
    # the worker and its one pass: the database is the first thing they need
    ("run-bad-scheme", ["run"], {"DATABASE_URL": "mysql://db/bot"}, 2,
     ["DATABASE_URL scheme 'mysql' is not supported"]),
    ("run-once-bad-scheme", ["run", "--once"], {"DATABASE_URL": "nonsense"}, 2,
     ["DATABASE_URL is not a URL: it has no scheme", "sqlite:///bot.db"]),
    ("run-once-no-folder", ["run", "--once"], {"DATABASE_URL": "sqlite:///{tmp}/a-file/sub/bot.db"}, 1,
     ["cannot create the folder '{tmp}/a-file/sub' for the SQLite database", "DATABASE_URL"]),
    ("run-once-backfill", ["run", "--once", "--backfill", "-1"], {}, 2, ["--backfill must be 0 or more"]),
    # commands that read the state
    ("schedule-limit", ["schedule", "--limit", "-1"], {}, 2, ["argument --limit: must be 1 or more, not -1",
                                                            "bot schedule --help"]),
    ("schedule-checks", ["schedule", "--checks", "0"], {}, 2, ["argument --checks: must be 1 or more, not 0"]),
    ("schedule-bad-scheme", ["schedule"], {"DATABASE_URL": "mysql://db/bot"}, 2, ["DATABASE_URL scheme 'mysql'"]),
    ("status-sqlite-form", ["status"], {"DATABASE_URL": "sqlite://bot.db"}, 2,
     ["DATABASE_URL needs three slashes after 'sqlite:'", "sqlite:///bot.db"]),
    ("status-no-folder", ["status"], {"DATABASE_URL": "sqlite:///{tmp}/a-file/bot.db"}, 1,
     ["cannot create the folder '{tmp}/a-file'", "a file of that name is in the way"]),
    ("status-db-is-a-folder", ["status"], {"DATABASE_URL": "sqlite:///{tmp}/folder"}, 1,
     ["cannot open the SQLite database '{tmp}/folder'", "DATABASE_URL"]),
    ("status-postgres-refused", ["status"], {"DATABASE_URL": "postgres://bot@127.0.0.1:1/bot"}, 1,
     ["cannot connect to Postgres", "Connection refused", "check DATABASE_URL"]),
    ("history-limit", ["history", "--limit", "-1"], {}, 2, ["argument --limit: must be 1 or more, not -1"]),
    ("history-limit-word", ["history", "--limit", "ten"], {}, 2, ["argument --limit: 'ten' is not a whole number"]),
    ("history-platform", ["history", "--platform", "nope"], {}, 2,
     ["--platform 'nope' is not a platform the bot knows", "known: twitter, facebook"]),
    ("retry-platform", ["retry", "--platform", "nope"], {}, 2, ["--platform 'nope' is not a platform the bot knows"]),
    ("db-upgrade-bad-scheme", ["db", "upgrade"], {"DATABASE_URL": "mysql://db/bot"}, 2,
     ["DATABASE_URL scheme 'mysql'"]),
    ("db-upgrade-no-folder", ["db", "upgrade"], {"DATABASE_URL": "sqlite:///{tmp}/a-file/bot.db"}, 1,
     ["cannot create the folder"]),
    # usage
    ("no-command", [], {}, 2, ["the following arguments are required: COMMAND", "bot --help"]),
    ("unknown-command", ["pots"], {}, 2, ["invalid choice: 'pots'"]),
    ("db-no-action", ["db"], {}, 2, ["the following arguments are required: ACTION", "bot db --help"]),
    ("bad-log-level", ["--log-level", "LOUD", "status"], {}, 2, ["argument --log-level: invalid choice: 'LOUD'"]),
    ("missing-config", ["--config", "{tmp}/nowhere.toml", "status"], {}, 2,
     ["{tmp}/nowhere.toml: config file not found"]),
]


def _one_line(result: subprocess.CompletedProcess[str], code: int) -> str:
    everything = result.stdout + result.stderr
    assert "Traceback" not in everything and "a bug" not in everything, everything
    assert result.returncode == code, (result.returncode, everything)
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("bot: "), result.stderr
    return lines[0]


@pytest.mark.parametrize(("args", "changes", "code", "fragments"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_failure_is_one_line(workdir: Path, site: FeedServer, args: list[str], changes: dict[str, str],
                                  code: int, fragments: list[str]) -> None:
    values = {"site": site.url, "tmp": str(workdir), "refused": _refused_url()}
    env = bot_env(None, None, f"sqlite:///{workdir / 'state.db'}", workdir / "bot.toml",
                  {k: v.format(**values) for k, v in changes.items()})
    line = _one_line(run_bot([a.format(**values) for a in args], env, workdir, timeout=60), code)
    for fragment in fragments:
        assert fragment.format(**values) in line, line
    assert not (workdir / "state.db").exists(), "a failed command leaves no state"


# Timeouts take the real limits' 10-20 s; this runs the real main with shorter limits instead.
_SHORT_LIMITS = """
import sys
import bot.feeds.fetch as fetch, bot.feeds.page as page
from bot.cli import main
fast = fetch.FetchLimits(connect_timeout=2.0, read_timeout=0.5, total_deadline=3.0)
real = fetch.fetch_feed
def fast_fetch(*args, **kwargs):
    kwargs["limits"] = fast  # whatever limits the caller chose
    return real(*args, **kwargs)
page.fetch_feed = fetch.fetch_feed = fast_fetch
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize(("args", "subject"), [(["post", "--dry-run"], "page"), (["preview", "--feed"], "feed")])
def test_a_server_that_does_not_answer_is_one_line(workdir: Path, site: FeedServer, args: list[str],
                                                   subject: str) -> None:
    site.set("/slow.html", EMPTY_PAGE, content_type="text/html")
    site.stall("/slow.html", 3.0)
    env = bot_env(None, None, f"sqlite:///{workdir / 'state.db'}", workdir / "bot.toml")
    url = site.url_for("/slow.html")
    result = subprocess.run([sys.executable, "-c", _SHORT_LIMITS, *args, url], env=env, cwd=workdir,
                            capture_output=True, text=True, timeout=60, check=False)
    line = _one_line(result, 1)
    assert line == f"bot: {subject} {url}: server sent nothing for 0.5 s (the site is slow or down: try again later)"


def test_check_reports_each_failing_feed_and_platform_on_one_line(workdir: Path, site: FeedServer) -> None:
    env = bot_env(_refused_url(""), None, f"sqlite:///{workdir / 'state.db'}", workdir / "failing.toml")
    result = run_bot(["check"], env, workdir)
    assert result.returncode == 1 and result.stderr == "", result.stderr
    assert "Traceback" not in result.stdout
    failed = [line for line in result.stdout.splitlines() if "FAILED" in line]
    assert failed == [
        f"feed gone: FAILED: feed {site.url_for('/gone.xml')}: HTTP 404 (nothing at this address: check the URL)",
        "feed nowhere: FAILED: feed https://nonexistent.invalid/feed/: connection failed: host name not found (DNS) "
        "(check the URL and the network, or try again later)",
        f"feed page: FAILED: feed {site.url_for('/article.html')}: got an HTML page, not a feed "
        "(point the config at the feed URL)",
        "twitter: FAILED: X could not be reached: connection refused "
        "(check the network, and TWITTER_API_URL if you set it)",
    ]
    assert result.stdout.rstrip().endswith("check: 4 problem(s)")


def test_run_once_logs_each_failing_feed_on_one_line_and_goes_on(workdir: Path, site: FeedServer) -> None:
    env = bot_env(None, None, f"sqlite:///{workdir / 'state.db'}", workdir / "failing.toml")
    result = run_bot(["run", "--once"], env, workdir)
    assert result.returncode == 0 and result.stderr == "", result.stderr  # one pass done; the feeds back off
    assert "Traceback" not in result.stdout
    assert "checked 3 feed(s), 0 post(s) queued, 0 delivered, 3 feed(s) failed" in result.stdout
    warnings = [line for line in result.stdout.splitlines() if " WARNING bot.poll: " in line]
    assert len(warnings) == 3
    assert any("HTTP 404 (nothing at this address: check the URL)" in w for w in warnings), warnings
    assert any("host name not found (DNS) (check the URL and the network" in w for w in warnings), warnings


# A bug (an exception that is no BotError) is not dressed up as a user's mistake.
_BUG = """
import sys
import bot.cli
def broken(config, args):
    raise ZeroDivisionError("a genuine bug")
bot.cli._COMMANDS["status"] = broken
sys.exit(bot.cli.main(["status"]))
"""


def test_a_genuine_bug_still_says_so(workdir: Path) -> None:
    env = bot_env(None, None, f"sqlite:///{workdir / 'state.db'}", workdir / "bot.toml")
    result = subprocess.run([sys.executable, "-c", _BUG], env=env, cwd=workdir, capture_output=True, text=True,
                            timeout=60, check=False)
    assert result.returncode == 1
    assert result.stderr.startswith("bot: unexpected error (a bug; please report it):\nTraceback")
    assert result.stderr.rstrip().endswith("ZeroDivisionError: a genuine bug")
