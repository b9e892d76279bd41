"""Issue 26: a newcomer's first hour. A dry run that changes nothing, pipes and machines, reports that tell the
truth, one clock, one-off posts routed by site, a paced backfill. Each drives the real `bot` command."""

from __future__ import annotations

import json
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.feed_server import FeedServer
from tests.feedgen import Item, rss
from tests.helpers import X_KEYS, bot_env, fake_x, run_bot


def _rows(db: Path) -> dict[str, int]:
    with sqlite3.connect(db) as conn:
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("seen", "outbox", "feeds")}


def _stories(text: str) -> set[int]:
    return {int(n) for n in re.findall(r"Story number (\d+)", text)}


def test_a_dry_run_records_nothing_and_the_real_run_posts_what_it_showed(tmp_path: Path) -> None:
    with FeedServer() as feeds, fake_x() as x:
        feeds.set("/feed.xml", rss([Item(1), Item(2), Item(3)]))
        config = tmp_path / "bot.toml"
        config.write_text(f'[[feeds]]\nurl = "{feeds.url_for("/feed.xml")}"\nname = "news"\nbackfill = 2\n'
                          "[platforms.twitter]\n")
        db = tmp_path / "s.db"
        env = bot_env(x.url, None, f"sqlite:///{db}", config)

        for _ in range(2):  # twice: the first dry run left nothing that changes the second
            dry = run_bot(["run", "--once", "--dry-run"], env, tmp_path)
            assert dry.returncode == 0, dry.stdout + dry.stderr
            assert dry.stdout.count("[dry-run] --- twitter") == 2
            assert "2 post(s) shown" in dry.stdout and "delivered" not in dry.stdout
            assert _rows(db) == {"seen": 0, "outbox": 0, "feeds": 0}
        assert x.tweets == []

        real = run_bot(["run", "--once"], env, tmp_path)
        assert real.returncode == 0, real.stdout + real.stderr
        assert "2 delivered" in real.stdout
        assert _stories(dry.stdout) == {2, 3}
        assert _stories(" ".join(t["text"] for t in x.tweets)) == {2, 3}

        # A new article: the dry run shows it, the real run after it posts it.
        feeds.set("/feed.xml", rss([Item(1), Item(2), Item(3), Item(4)]))
        before = _rows(db)
        dry = run_bot(["run", "--once", "--dry-run"], env, tmp_path)
        assert dry.stdout.count("[dry-run] --- twitter") == 1 and "Story number 4" in dry.stdout
        assert _rows(db) == before
        real = run_bot(["run", "--once"], env, tmp_path)
        assert "1 delivered" in real.stdout and len(x.tweets) == 3


def test_a_dry_run_under_json_logs_prints_only_json(tmp_path: Path) -> None:
    with FeedServer() as feeds:
        feeds.set("/feed.xml", rss([Item(1), Item(2)]))
        config = tmp_path / "bot.toml"
        config.write_text(f'[[feeds]]\nurl = "{feeds.url_for("/feed.xml")}"\nname = "news"\nbackfill = 2\n'
                          "[platforms.twitter]\n")
        env = bot_env(None, None, f"sqlite:///{tmp_path / 's.db'}", config)
        for args in (["run", "--once", "--dry-run"], ["run", "--once"]):
            result = run_bot(["--log-format", "json", *args], env, tmp_path)
            assert result.returncode == 0, result.stderr
            lines = [json.loads(line) for line in result.stdout.splitlines()]
            (summary,) = [r["summary"] for r in lines if "summary" in r]
            assert summary["feeds"] == 1 and summary["dry_run"] == (args[-1] == "--dry-run")


OFFSET = re.compile(r"T\d\d:\d\d:\d\d\+0[12]:00$")  # Europe/Paris, whatever the date: CET or CEST


def _paris(tmp_path: Path, feed_url: str, extra: str = "") -> Path:
    config = tmp_path / "bot.toml"
    config.write_text(f'[bot]\ntimezone = "Europe/Paris"\n[[feeds]]\nurl = "{feed_url}"\nname = "news"\nbackfill = 3\n'
                      f"[platforms.twitter]\n{extra}")
    return config


def _closed_pipe(args: list[str], env: dict[str, str], cwd: Path) -> tuple[int, str]:
    """`bot ARGS | head -0`: the reader is gone before the bot writes."""
    process = subprocess.Popen([sys.executable, "-m", "bot", *args], env=env, cwd=cwd, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()
    err = process.stderr.read().decode()
    return process.wait(timeout=60), err


def test_reports_end_quietly_on_a_closed_pipe_and_speak_json(tmp_path: Path) -> None:
    with FeedServer() as feeds:
        feeds.set("/feed.xml", rss([Item(n) for n in range(1, 4)]))
        env = bot_env(None, None, f"sqlite:///{tmp_path / 's.db'}", _paris(tmp_path, feeds.url_for("/feed.xml")))
        # Three posts in the history: an account without credentials keeps real posts queued, so they are sent.
        with fake_x() as x:
            env.update(X_KEYS, TWITTER_API_URL=x.url)
            assert run_bot(["run", "--once"], env, tmp_path).returncode == 0
        for args in (["history"], ["queue"], ["status"], ["schedule"], ["history", "--json"]):
            code, err = _closed_pipe(args, env, tmp_path)
            assert err == "" and code in (0, 141), (args, code, err)
        # `bot history | head -1` as a shell runs it.
        piped = subprocess.run(f"{sys.executable} -m bot history | head -1", shell=True, env=env, cwd=tmp_path,
                               capture_output=True, text=True, timeout=60, check=False)
        assert piped.stderr == "" and len(piped.stdout.splitlines()) == 1

        history = json.loads(run_bot(["history", "--json"], env, tmp_path).stdout)
        assert len(history) == 3 and all(OFFSET.search(h["at"]) for h in history), history
        status = json.loads(run_bot(["status", "--json"], env, tmp_path).stdout)
        assert status["timezone"] == "Europe/Paris" and status["platforms"][0]["name"] == "twitter"
        assert OFFSET.search(status["feeds"][0]["last_read_at"])
        plan = json.loads(run_bot(["schedule", "--json"], env, tmp_path).stdout)
        assert plan["feeds"][0]["next"] and all(OFFSET.search(t) for t in plan["feeds"][0]["next"])


def test_every_time_a_person_reads_is_in_the_configured_zone(tmp_path: Path) -> None:
    with FeedServer() as feeds:
        feeds.set("/feed.xml", rss([Item(n) for n in range(1, 3)]))
        config = _paris(tmp_path, feeds.url_for("/feed.xml"), "review = true\n")
        env = bot_env(None, None, f"sqlite:///{tmp_path / 's.db'}", config)
        assert run_bot(["run", "--once"], env, tmp_path).returncode == 0
        zone = re.compile(r"\b(CET|CEST)\b")
        for args in (["queue"], ["status"], ["schedule"]):
            out = run_bot(args, env, tmp_path).stdout
            assert " UTC" not in out and zone.search(out), (args, out)
        queue = json.loads(run_bot(["queue", "--json"], env, tmp_path).stdout)
        assert queue and all(OFFSET.search(q["review_until"]) for q in queue)


def test_reports_tell_the_truth(tmp_path: Path) -> None:
    with FeedServer() as feeds, fake_x() as x:
        feeds.set("/feed.xml", rss([Item(n) for n in range(1, 3)]))
        config = _paris(tmp_path, feeds.url_for("/feed.xml"), "review = true\n")
        env = bot_env(x.url, None, f"sqlite:///{tmp_path / 's.db'}", config)
        assert run_bot(["run", "--once"], env, tmp_path).returncode == 0
        # Posts waiting for review are in the plan, with why they wait: not "queue empty".
        plan = run_bot(["schedule"], env, tmp_path).stdout
        assert "queue empty" not in plan and plan.count("waiting for an editor's review") == 2, plan
        # After cron's run --once, status says the feed was read, not that nothing runs.
        status = run_bot(["status"], env, tmp_path).stdout
        assert "not polled by a worker yet" not in status and "by `bot run --once`" in status, status

        # A post waiting for its retry is not "due now".
        assert run_bot(["approve", "--all"], env, tmp_path).returncode == 0
        x.fail(503, times=20)
        run_bot(["run", "--once"], env, tmp_path)
        status = run_bot(["status"], env, tmp_path).stdout
        assert "next post: due now" not in status and "retry of 'Story number" in status, status



@pytest.mark.parametrize(("status", "said"), [(401, "bot: twitter: PAUSED"), (400, "FAILED")])
def test_run_once_exits_1_with_a_line_for_cron_when_a_person_must_act(tmp_path: Path, status: int, said: str) -> None:
    """A paused account, a refused post: exit 1 and one stderr line each (cron mails what a job writes)."""
    with FeedServer() as feeds, fake_x() as x:
        feeds.set("/feed.xml", rss([Item(1)]))
        env = bot_env(x.url, None, f"sqlite:///{tmp_path / 's.db'}", _paris(tmp_path, feeds.url_for("/feed.xml")))
        x.fail(status, times=20)
        x.fail(status, times=20, endpoint="GET /2/users/me")
        run = run_bot(["run", "--once"], env, tmp_path)
        assert run.returncode == 1, run.stdout + run.stderr
        assert said in run.stderr and run.stderr.startswith("bot: "), run.stderr
        assert "bot: " not in run.stdout


def test_the_scheduler_library_says_nothing_at_info(tmp_path: Path) -> None:
    with FeedServer() as feeds:
        feeds.set("/feed.xml", rss([Item(1)]))
        env = bot_env(None, None, f"sqlite:///{tmp_path / 's.db'}", _paris(tmp_path, feeds.url_for("/feed.xml")))
        worker = subprocess.Popen([sys.executable, "-m", "bot", "run"], env=env, cwd=tmp_path, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True)
        time.sleep(4)
        worker.send_signal(signal.SIGTERM)
        out, _ = worker.communicate(timeout=60)
        assert "first sight" in out, out  # it did run
        assert "apscheduler" not in out and "Adding job" not in out, out


def _article_page(image: str) -> str:
    return ("<html><head><title>Library opens on Sundays</title>"
            f'<meta property="og:image" content="{image}"></head><body><article><h1>Library opens on Sundays</h1>'
            + "<p>The city library opens on Sundays from next month, the council said on Tuesday.</p>" * 8
            + "</article></body></html>")


def test_post_url_goes_to_the_accounts_of_the_feed_whose_site_it_is_on(tmp_path: Path) -> None:
    from tests.helpers import account_env
    from tests.test_hostile_fetch import _png

    with FeedServer() as site, fake_x() as x, fake_x() as x_fa:
        site.set("/en/feed/", rss([Item(1)]))
        site.set("/fa/feed/", rss([Item(2)]))
        site.set("/en/2026/library.html", _article_page(site.url_for("/en/photo.png")),
                 content_type="text/html; charset=utf-8")
        site.set("/en/photo.png", _png(), content_type="image/png")
        config = tmp_path / "bot.toml"
        config.write_text(f'[[feeds]]\nurl = "{site.url_for("/en/feed/")}"\nname = "en"\nplatforms = ["twitter"]\n'
                          f'[[feeds]]\nurl = "{site.url_for("/fa/feed/")}"\nname = "fa"\nplatforms = ["x_fa"]\n'
                          '[platforms.twitter]\n[platforms.x_fa]\nnetwork = "twitter"\n')
        env = bot_env(x.url, None, f"sqlite:///{tmp_path / 's.db'}", config,
                      extra=account_env("x_fa", "twitter", x_fa.url))
        post = run_bot(["post", site.url_for("/en/2026/library.html")], env, tmp_path)
        assert post.returncode == 0, post.stdout + post.stderr
        assert len(x.tweets) == 1 and x_fa.tweets == [], "the English article went to the English account only"
        # The page's own host (private here, 127.0.0.1) is the editor's choice: its image is kept.
        assert len(x.uploads) == 1 and x.tweets[0]["media_ids"] == [x.uploads[0]["id"]], post.stdout

        # A page on no configured feed's site, with accounts split by feed: ask, do not guess.
        elsewhere = site.url_for("/en/2026/library.html").replace("127.0.0.1", "localhost")
        asked = run_bot(["post", elsewhere], env, tmp_path)
        assert asked.returncode == 2 and "--platform" in asked.stderr, asked.stderr
        assert len(asked.stderr.strip().splitlines()) == 1 and len(x.tweets) == 1 and x_fa.tweets == []


# --- item 9: the example and the README are current ------------------------------------------------


def _example_keys() -> tuple[dict[str, Any], set[str]]:
    """The example as TOML, and every key it names: set, commented out (`# key = ...`) or a table's
    (`[feeds.templates]`)."""
    import tomllib

    from tests.helpers import ROOT

    text = (ROOT / "config" / "example.toml").read_text(encoding="utf-8")
    return tomllib.loads(text), set(re.findall(r"(?m)^#?\s*([a-z_]+)\s*=", text)) | set(
        re.findall(r"(?m)^\[[a-z_.]+\.([a-z_]+)\]$", text))


def test_the_example_loads_and_names_every_key_the_loader_accepts() -> None:
    from bot import config as loader
    from bot import networks
    from bot.config import load_config
    from tests.helpers import ROOT

    config = load_config(str(ROOT / "config" / "example.toml"), environ={})
    raw, named = _example_keys()
    for table, keys in (("bot", loader._BOT_KEYS), ("feeds", loader._FEED_KEYS),
                        ("platforms", loader._PLATFORM_KEYS)):
        assert set(keys) <= named, f"config/example.toml lacks {table}: {sorted(set(keys) - named)}"
    # Every network has an account in the example, and its own keys are set in that account's table.
    on = {p.network: p for p in config.platforms.values()}
    assert set(networks.names()) <= set(on), f"no account for {sorted(set(networks.names()) - set(on))}"
    for network in networks.networks():
        for key in network.options:
            assert key in raw["platforms"][on[network.name].name], f"{network.name}'s own key {key} not shown"
    # The account of another name on a network, and a feed routed to it.
    assert any(p.name != p.network for p in config.platforms.values())
    assert {name for feed in config.feeds for name in feed.platforms} == set(config.platforms)


def test_the_package_description_names_every_network() -> None:
    import tomllib

    from bot import networks
    from tests.helpers import ROOT

    description = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["description"]
    for network in networks.networks():
        word = network.title.split()[0]  # "X (Twitter)" -> X, "Telegram channel" -> Telegram
        assert re.search(rf"\b{re.escape(word)}\b", description), f"pyproject.toml's description lacks {word}"


def test_the_readme_first_command_prints_the_networks_the_readme_says(tmp_path: Path) -> None:
    """README: the first command prints the posts for the two accounts config/bot.toml names, X and a Facebook
    Page (it once said "each network" and printed two)."""
    from tests.helpers import ROOT

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    said = readme.split("The first command", 1)[1].split("\n\n", 1)[0]
    assert "for the two accounts that config names, on X and a Facebook Page" in " ".join(said.split())
    env = bot_env(None, None, f"sqlite:///{tmp_path / 's.db'}", ROOT / "config" / "bot.toml")
    run = run_bot(["run", "--once"], env, ROOT)
    assert run.returncode == 0, run.stderr
    assert set(re.findall(r"\[dry-run\] --- (\w+)", run.stdout)) == {"twitter", "facebook"}, run.stdout


# --- a dry-run worker (`bot run --dry-run`, no --once) changes nothing either ------------------------------


class _Lines:
    """A process's merged output, read on a thread, so a test can wait for a line with a timeout."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        import threading

        self.text = ""
        assert process.stdout is not None
        stream = process.stdout

        def read() -> None:
            for line in stream:
                self.text += line

        self.thread = threading.Thread(target=read, daemon=True)
        self.thread.start()

    def wait_for(self, predicate: Callable[[str], bool], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not predicate(self.text):
            assert time.monotonic() < deadline, self.text
            time.sleep(0.2)


@pytest.mark.slow
def test_a_dry_run_worker_shows_each_post_once_and_records_nothing(tmp_path: Path) -> None:
    with FeedServer() as feeds, fake_x() as x:
        feeds.set("/feed.xml", rss([Item(1), Item(2), Item(3)]))
        config = tmp_path / "bot.toml"
        config.write_text(f'[[feeds]]\nurl = "{feeds.url_for("/feed.xml")}"\nname = "news"\nbackfill = 2\n'
                          'every = "10s"\n[platforms.twitter]\n')
        db = tmp_path / "s.db"
        env = bot_env(x.url, None, f"sqlite:///{db}", config)
        assert run_bot(["db", "upgrade"], env, tmp_path).returncode == 0
        worker = subprocess.Popen([sys.executable, "-m", "bot", "run", "--dry-run"], env=env, cwd=tmp_path,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            out = _Lines(worker)
            out.wait_for(lambda text: _stories(text) == {2, 3}, 120)
            feeds.set("/feed.xml", rss([Item(1), Item(2), Item(3), Item(4)]))
            out.wait_for(lambda text: 4 in _stories(text), 120)  # the next look, 10 s later, finds the new one
            out.wait_for(lambda text: text.count("new post(s) shown") >= 3, 120)  # and a look after that
        finally:
            worker.send_signal(signal.SIGTERM)
            assert worker.wait(timeout=60) == 0, out.text
        out.thread.join(10)
        assert out.text.count("[dry-run] --- twitter") == 3, out.text  # each post once, however many looks
        assert _rows(db) == {"seen": 0, "outbox": 0, "feeds": 0}
        assert x.tweets == [] and feeds.hits("/feed.xml") >= 3

        real = run_bot(["run", "--once"], env, tmp_path)  # what the dry worker showed is still to be posted
        assert real.returncode == 0 and "2 delivered" in real.stdout, real.stdout + real.stderr
        assert _stories(" ".join(t["text"] for t in x.tweets)) == {3, 4}


# --- bot demo: the whole path against local stand-ins ---------------------------------------------------


def test_bot_demo_posts_the_sample_to_a_stand_in_of_every_network(tmp_path: Path) -> None:
    """`bot demo`, as a newcomer runs it: the sample goes, for real, to every network's stand-in, what each
    received is printed, and the caller's own credentials and database are left alone."""
    from bot import networks
    from bot.demo.standins import STAND_INS

    caller_db = tmp_path / "callers.db"
    env = bot_env(None, None, f"sqlite:///{caller_db}", tmp_path / "no-such.toml")
    del env["BOT_CONFIG"]
    env.update(TWITTER_API_KEY="callers-own-key-1234", TWITTER_API_URL="http://127.0.0.1:9/never")
    work = tmp_path / "demo"
    demo = run_bot(["demo", "--dir", str(work)], env, tmp_path, timeout=300)
    assert demo.returncode == 0, demo.stdout + demo.stderr

    expected = list(networks.names())
    assert set(expected) <= set(STAND_INS), f"bot demo has no stand-in for {sorted(set(expected) - set(STAND_INS))}"
    for name in expected:
        assert f"  {networks.get(name).title}: 3 post(s)" in demo.stdout, demo.stdout
    assert demo.stdout.count("    - MEK: Free Iran World Summit 2021") == len(expected)
    assert "[dry-run]" not in demo.stdout and f"{3 * len(expected)} delivered" in demo.stdout

    # Posted for real: every row settled with the stand-in's id, in the demo's own database only.
    with sqlite3.connect(work / "demo.db") as conn:
        rows = conn.execute("SELECT platform, state, remote_id FROM outbox").fetchall()
    assert sorted({r[0] for r in rows}) == sorted(expected) and len(rows) == 3 * len(expected)
    assert all(state == "posted" and remote and not remote.startswith("dry") for _, state, remote in rows), rows
    assert not caller_db.exists()
    assert "callers-own-key" not in (work / "bot.toml").read_text() + demo.stdout + demo.stderr


def test_bot_demo_serves_the_editors_page_until_interrupted(tmp_path: Path) -> None:
    """`bot demo --web`: the editors' page on the demo's database, signed in with the link it prints, shows
    every account's posts; Ctrl-C ends it all."""
    import http.cookiejar
    import socket
    import urllib.request

    from bot import networks

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = bot_env(None, None, f"sqlite:///{tmp_path / 'callers.db'}", tmp_path / "no-such.toml")
    del env["BOT_CONFIG"]
    demo = subprocess.Popen([sys.executable, "-m", "bot", "demo", "--dir", str(tmp_path / "demo"), "--web",
                             "--port", str(port)], env=env, cwd=tmp_path, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    out = _Lines(demo)
    try:
        sign_in = re.compile(rf"http://127\.0\.0\.1:{port}/login\?token=[\w-]+")
        out.wait_for(lambda text: bool(sign_in.search(text)), 240)
        match = sign_in.search(out.text)
        assert match is not None
        browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        with browser.open(match[0], timeout=30) as signed_in:
            assert signed_in.status == 200
        with browser.open(f"http://127.0.0.1:{port}/", timeout=30) as index:
            page = index.read().decode()
        for name in networks.names():
            assert f'data-account="{name}"' in page, name
    finally:
        demo.send_signal(signal.SIGINT)
        code = demo.wait(timeout=60)
    assert code == 0, out.text
