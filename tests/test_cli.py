"""The commands as a user runs them: fast help, one-line config errors, check, schedule, redaction."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from bot import cli
from bot.report.progress import Progress
from bot.store.base import FeedRelease
from tests.fakes.feed_server import FeedServer
from tests.feedgen import Item, rss
from tests.helpers import FB_TOKEN, ROOT, X_KEYS, bot_env, fake_graph, fake_x, run_bot

SECRETS = (*X_KEYS.values(), FB_TOKEN)
HEAVY = ("tweepy", "facebook", "feedparser", "lxml", "trafilatura", "yake", "requests", "psycopg")


def _modules_after(args: list[str], env: dict[str, str], cwd: Path) -> tuple[int, set[str]]:
    code = (
        "import sys, json\n"
        "from bot.cli import main\n"
        "try:\n"
        f"    rc = main({args!r})\n"
        "except SystemExit as e:\n"
        "    rc = e.code\n"
        "print(json.dumps([rc, sorted(sys.modules)]), file=sys.__stderr__)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], env=env, cwd=cwd, capture_output=True, text=True,
                            timeout=60, check=False)
    rc, modules = json.loads(result.stderr.strip().splitlines()[-1])
    return rc, {m.split(".")[0] for m in modules}


def _bad_config(tmp_path: Path) -> Path:
    path = tmp_path / "bot.toml"
    path.write_text('[[feeds]]\nurl = "https://example.org/feed"\n[platforms.twitter]\n'
                    'windows = ["Mon-Fri 20:00-08:00"]\n')
    return path


@pytest.mark.parametrize("args", [["--help"], ["check"], ["run", "--once"], ["schedule"]])
def test_no_heavy_imports_for_help_or_a_bad_config(tmp_path: Path, args: list[str]) -> None:
    env = bot_env(None, None, f"sqlite:///{tmp_path / 's.db'}", _bad_config(tmp_path))
    rc, modules = _modules_after(args, env, tmp_path)
    assert rc == (0 if args == ["--help"] else 2)
    assert not modules & set(HEAVY), modules & set(HEAVY)


@pytest.mark.parametrize("command", ["run", "check", "schedule", "status"])
def test_bad_config_is_exit_2_and_one_line_for_every_command(tmp_path: Path, command: str) -> None:
    env = bot_env(None, None, f"sqlite:///{tmp_path / 's.db'}", _bad_config(tmp_path))
    result = run_bot([command], env, tmp_path)
    assert result.returncode == 2 and result.stdout == ""
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"bot: {tmp_path / 'bot.toml'}:4: platforms.twitter.windows[0]: ")
    assert "split it" in line
    assert not (tmp_path / "s.db").exists(), "nothing ran"


def test_check_verifies_credentials_without_posting(tmp_path: Path) -> None:
    with FeedServer() as feeds, fake_x() as x, fake_graph() as graph:
        feeds.set("/feed.xml", rss([Item(1), Item(2)]))
        config = tmp_path / "bot.toml"
        config.write_text(f'[[feeds]]\nurl = "{feeds.url_for("/feed.xml")}"\nname = "news"\n'
                          '[platforms.twitter]\nwindows = ["Mon-Fri 08:00-20:00"]\ndaily_cap = 5\n'
                          "[platforms.facebook]\n")
        env = bot_env(x.url, graph.url, f"sqlite:///{tmp_path / 's.db'}", config)
        result = run_bot(["check"], env, tmp_path)
        assert result.returncode == 0, result.stdout + result.stderr
        out = result.stdout
        assert "feed news: ok, 2 entries" in out
        assert "twitter: ok, posting as @ourorg (1000)" in out
        assert "facebook: ok, posting as Our Org (1234567890)" in out
        assert "twitter: schedule: windows Mon-Fri 08:00-20:00; time zone UTC; 5/day" in out
        assert out.rstrip().endswith("check: all good")
        assert x.count("GET", "/2/users/me") == 1 and x.tweets == [] and graph.posts == []
        assert feeds.hits("/feed.xml") == 1

        x.fail(401, times=5, endpoint="*")
        bad = run_bot(["check"], env, tmp_path)
        assert bad.returncode == 1 and "twitter: FAILED" in bad.stdout and "check: 1 problem(s)" in bad.stdout
        for secret in SECRETS:
            assert secret not in bad.stdout + bad.stderr


def test_check_without_credentials_says_dry_run(tmp_path: Path) -> None:
    env = bot_env(None, None, f"sqlite:///{tmp_path / 's.db'}", tmp_path / "none.toml")
    del env["BOT_CONFIG"]
    result = run_bot(["check"], env, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "twitter: dry-run: credentials not set (TWITTER_API_KEY" in result.stdout
    assert "facebook: dry-run: credentials not set (FACEBOOK_PAGE_ID, FACEBOOK_PAGE_TOKEN)" in result.stdout


def test_schedule_shows_feed_checks_and_when_queued_posts_go_out(tmp_path: Path) -> None:
    with FeedServer() as feeds, fake_x() as x:
        feeds.set("/feed.xml", rss([Item(1)]))
        config = tmp_path / "bot.toml"
        config.write_text(f'[bot]\ntimezone = "Asia/Tehran"\n[[feeds]]\nurl = "{feeds.url_for("/feed.xml")}"\n'
                          'name = "news"\nevery = "10m"\n[platforms.twitter]\nmin_gap = "2h"\nimage = false\n')
        env = bot_env(x.url, None, f"sqlite:///{tmp_path / 's.db'}", config)
        assert run_bot(["run", "--once"], env, tmp_path).returncode == 0
        feeds.set("/feed.xml", rss([Item(n) for n in (1, 2, 3, 4)]))
        once = run_bot(["run", "--once"], env, tmp_path)
        assert "twitter: waiting: minimum gap of 2h since the last post; next slot" in once.stdout
        assert len(x.tweets) == 1
        result = run_bot(["schedule"], env, tmp_path)
        assert result.returncode == 0, result.stderr
        lines = result.stdout.splitlines()
        assert lines[0] == "feeds (times in Asia/Tehran):"
        assert lines[1].startswith("  news: every 10m; next: ") and lines[1].count("+0330") == 3
        assert lines[2] == "twitter: any time; time zone Asia/Tehran; min gap 2h; bursts of 5, then one every 2m"
        planned = lines[3:]
        assert [Item(n).title[:20] in line for n, line in zip((3, 4), planned, strict=True)] == [True, True]
        assert all("[minimum gap of 2h since the last post]" in line for line in planned)


def test_unexpected_errors_are_redacted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    for key, value in X_KEYS.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("BOT_CONFIG", str(ROOT / "config" / "bot.toml"))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 's.db'}")

    def boom(config: object, args: object) -> int:
        raise RuntimeError(f"token {X_KEYS['TWITTER_ACCESS_TOKEN']} in a bug")

    monkeypatch.setitem(cli._COMMANDS, "check", boom)
    original = sys.stdout, sys.stderr
    try:
        assert cli.main(["check"]) == 1
        print(f"later print {X_KEYS['TWITTER_API_SECRET']}")
    finally:
        sys.stdout, sys.stderr = original
    out = capsys.readouterr()
    assert "RuntimeError: token *** in a bug" in out.err and "Traceback" in out.err
    assert "later print ***" in out.out
    for secret in SECRETS:
        assert secret not in out.out + out.err


def test_secrets_never_show_in_any_output(tmp_path: Path) -> None:
    """Known fake secrets, every command and failure we can provoke, text and JSON logs: search all output."""
    with FeedServer() as feeds, fake_x() as x, fake_graph() as graph:
        feeds.set("/feed.xml", rss([Item(1)]))
        config = tmp_path / "bot.toml"
        config.write_text(f'[[feeds]]\nurl = "{feeds.url_for("/feed.xml")}"\n[platforms.twitter]\nimage = false\n'
                          "[platforms.facebook]\n")
        env = bot_env(x.url, graph.url, f"sqlite:///{tmp_path / 's.db'}", config)
        outputs = [run_bot(["--log-level", "DEBUG", "run", "--once"], env, tmp_path)]
        feeds.set("/feed.xml", rss([Item(1), Item(2), Item(3)]))
        x.fail(401, times=3)
        graph.fail(190, times=3)
        outputs.append(run_bot(["--log-format", "json", "--log-level", "DEBUG", "run", "--once"], env, tmp_path))
        outputs += [run_bot(args, env, tmp_path) for args in (["check"], ["status"], ["schedule"], ["history"])]
        wrong = dict(env, TWITTER_API_URL="http://127.0.0.1:9", FACEBOOK_GRAPH_URL="http://127.0.0.1:9")
        outputs.append(run_bot(["check"], wrong, tmp_path))
        text = "\n".join(o.stdout + o.stderr for o in outputs)
        assert "PAUSED" in text or "paused" in text.lower()
        schedule = outputs[4].stdout
        assert "  PAUSED, nothing goes out until a human fixes it" in schedule, schedule
        for secret in SECRETS:
            assert secret not in text
        json_lines = [line for line in outputs[1].stdout.splitlines() if line.startswith("{")]
        assert json_lines and all(json.loads(line)["level"] for line in json_lines)


def test_json_logs_keep_dry_run_posts_as_json(tmp_path: Path) -> None:
    env = bot_env(None, None, f"sqlite:///{tmp_path / 's.db'}", tmp_path / "none.toml")
    del env["BOT_CONFIG"]
    result = run_bot(["--log-format", "json", "run", "--once"], env, tmp_path)
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert sum(1 for r in records if r["message"].startswith("[dry-run] --- twitter")) == 3
    # Only JSON on stdout: the summary too is a JSON line (a parser of the log stops at a plain line).
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    from bot import networks

    # The built-in defaults post the sample's three articles to every network's default account, dry-run.
    assert [r["summary"]["delivered"] for r in lines if "summary" in r] == [3 * len(networks.names())]


def test_progress_only_in_a_terminal() -> None:
    quiet = io.StringIO()
    with Progress("reading feeds", 3, stream=quiet) as progress:
        progress.step("a: ok")
    assert quiet.getvalue() == ""
    shown = io.StringIO()
    with Progress("reading feeds", 3, stream=shown, enabled=True) as progress:
        progress.step("a: ok")
        progress.step()
    assert "\rreading feeds: 1/3  a: ok" in shown.getvalue() and "reading feeds: 2/3" in shown.getvalue()
    assert shown.getvalue().endswith("\r")


def test_long_commands_show_progress_in_a_terminal_only(tmp_path: Path) -> None:
    import os
    import pty

    env = bot_env(None, None, f"sqlite:///{tmp_path / 's.db'}", tmp_path / "none.toml")
    del env["BOT_CONFIG"]
    for args, label in ((["run", "--once"], "reading feeds: 1/1"), (["preview"], "previewing feeds: 1/1")):
        master, slave = pty.openpty()
        try:
            proc = subprocess.run([sys.executable, "-m", "bot", *args], env=env, cwd=tmp_path, stdout=subprocess.PIPE,
                                  stderr=slave, timeout=60, check=False)
            os.close(slave)
            seen = b""
            while True:
                try:
                    chunk = os.read(master, 4096)
                except OSError:
                    break
                if not chunk:
                    break
                seen += chunk
        finally:
            os.close(master)
        assert proc.returncode == 0
        assert label in seen.decode(), seen
        assert b"\r" not in proc.stdout, "stdout (piped) gets no progress"
    piped = run_bot(["run", "--once"], env, tmp_path)
    assert "reading feeds" not in piped.stdout + piped.stderr


def test_schedule_shows_when_the_shared_schedule_has_a_feed_due(tmp_path: Path) -> None:
    """`bot schedule` shows the due time the workers keep (a worker's grid), not the last look plus a step."""
    import time
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from bot.store import open_store

    url = "https://news.example.org/feed.xml"
    config = tmp_path / "bot.toml"
    config.write_text(f'[bot]\ntimezone = "Europe/Paris"\n[[feeds]]\nurl = "{url}"\nname = "news"\n'
                      'every = "1h"\n[platforms.twitter]\n')
    env = bot_env(None, None, f"sqlite:///{tmp_path / 's.db'}", config)
    due = time.time() + 1234  # not on any grid a look at "now" would give
    store = open_store(f"sqlite:///{tmp_path / 's.db'}")
    try:
        store.register_feeds([url])
        claimed = store.claim_feeds("tester:1:n:m", 10, 60)
        assert [c.url for c in claimed.feeds] == [url]
        assert store.release_feeds("tester:1:n:m", [FeedRelease(url, due)]) == 1
    finally:
        store.close()
    result = run_bot(["schedule"], env, tmp_path)
    assert result.returncode == 0, result.stderr
    shown = [datetime.fromtimestamp(due + k * 3600, ZoneInfo("Europe/Paris")).strftime("%a %Y-%m-%d %H:%M %Z")
             for k in range(3)]
    assert result.stdout.splitlines()[1] == f"  news: every 1h; next: {', '.join(shown)}"
