"""Issue 21 item 10: an account with no credentials keeps its real posts queued, shows each once, and sends them
once the credentials are set, exactly once and under the gates of that moment. The bundled sample's posts
are still only shown and recorded done. Each test drives the real `bot` command (or Bot) on real SQLite,
with the fake X server once the credentials come."""

from __future__ import annotations

import json
import re
import sqlite3
import time
from pathlib import Path

from bot.config import SAMPLE_FEED
from tests.fakes.feed_server import FeedServer
from tests.feedgen import Item, rss
from tests.helpers import X_KEYS, bot_env, fake_x, run_bot

WAITING = ("twitter: {n} post(s) wait for credentials (TWITTER_API_KEY, TWITTER_API_SECRET, TWITTER_ACCESS_TOKEN, "
           "TWITTER_ACCESS_TOKEN_SECRET unset); they go out once set")


def _states(db: Path) -> dict[str, str]:
    """Each outbox row's title and state."""
    with sqlite3.connect(db) as conn:
        return dict(conn.execute("SELECT title, state FROM outbox WHERE platform = 'twitter'").fetchall())


def _stories(text: str) -> set[int]:
    return {int(n) for n in re.findall(r"Story number (\d+)", text)}


def _config(tmp_path: Path, feed_url: str, extra: str = "") -> Path:
    config = tmp_path / "bot.toml"
    config.write_text(f'[[feeds]]\nurl = "{feed_url}"\nname = "news"\nbackfill = 2\n'
                      f'[[feeds]]\nurl = "{SAMPLE_FEED}"\nname = "sample"\nbackfill = 1\nmax_age_days = 36500\n'
                      f"[platforms.twitter]\n{extra}")
    return config


def test_posts_wait_for_credentials_shown_once_then_sent_once(tmp_path: Path) -> None:
    with FeedServer() as feeds, fake_x() as x:
        feeds.set("/feed.xml", rss([Item(1), Item(2), Item(3)]))
        config = _config(tmp_path, feeds.url_for("/feed.xml"))
        db = tmp_path / "s.db"
        bare = bot_env(None, None, f"sqlite:///{db}", config)

        first = run_bot(["run", "--once"], bare, tmp_path)
        assert first.returncode == 0, first.stdout + first.stderr
        # Shown as a dry run shows them: the two backfilled stories and the sample's newest item.
        assert first.stdout.count("[dry-run] --- twitter") == 3, first.stdout
        assert _stories(first.stdout) == {2, 3}
        assert first.stdout.count(WAITING.format(n=2)) == 1, first.stdout
        assert "not sent later" not in first.stdout + first.stderr
        states = _states(db)
        # The real posts wait; the sample's is recorded shown (it can never be sent: bot.sandbox).
        assert sorted(states.values()) == ["dry_run", "queued", "queued"], states

        again = run_bot(["run", "--once"], bare, tmp_path)  # nothing new: only the line
        assert "[dry-run]" not in again.stdout and again.stdout.count(WAITING.format(n=2)) == 1, again.stdout

        feeds.set("/feed.xml", rss([Item(1), Item(2), Item(3), Item(4)]))
        third = run_bot(["run", "--once"], bare, tmp_path)  # the new story alone is shown
        assert third.stdout.count("[dry-run] --- twitter") == 1 and _stories(third.stdout) == {4}, third.stdout
        assert WAITING.format(n=3) in third.stdout

        status = run_bot(["status"], bare, tmp_path).stdout
        assert "waiting for credentials (TWITTER_API_KEY" in status and "queued 3" in status, status
        assert "next post" not in status  # nothing is due to go while they wait
        listed = json.loads(run_bot(["status", "--json"], bare, tmp_path).stdout)["platforms"][0]
        assert listed["waiting_for_credentials"] == list(X_KEYS)
        plan = run_bot(["schedule"], bare, tmp_path).stdout
        assert "waiting for credentials (TWITTER_API_KEY" in plan, plan
        assert x.tweets == []

        # The credentials come: every waiting post goes out once, the sample's never.
        real = bot_env(x.url, None, f"sqlite:///{db}", config)
        sent = run_bot(["run", "--once"], real, tmp_path)
        assert sent.returncode == 0, sent.stdout + sent.stderr
        assert "3 delivered" in sent.stdout and "wait for credentials" not in sent.stdout, sent.stdout
        assert _stories(" ".join(t["text"] for t in x.tweets)) == {2, 3, 4} and len(x.tweets) == 3
        assert not any(v in sent.stdout + sent.stderr for v in X_KEYS.values())
        after = run_bot(["run", "--once"], real, tmp_path)
        assert "0 delivered" in after.stdout and len(x.tweets) == 3, after.stdout
        assert sorted(_states(db).values()) == ["dry_run", "posted", "posted", "posted"]


def test_waiting_posts_meet_the_gates_of_the_moment_they_go(tmp_path: Path) -> None:
    """One post waited past its feed's max_age_days: dropped, never sent; with review switched on meanwhile,
    the other waits for an editor instead of going out."""
    with FeedServer() as feeds, fake_x() as x:
        feeds.set("/feed.xml", rss([Item(1), Item(2), Item(3)]))
        config = _config(tmp_path, feeds.url_for("/feed.xml"))
        db = tmp_path / "s.db"
        assert run_bot(["run", "--once"], bot_env(None, None, f"sqlite:///{db}", config), tmp_path).returncode == 0
        # Story 2 waited three days (its article and its queueing moved back together: young when queued).
        with sqlite3.connect(db) as conn:
            moved = conn.execute("UPDATE outbox SET published_at = published_at - 259200, created_at = created_at - "
                                 "259200 WHERE title LIKE 'Story number 2 %'").rowcount
        assert moved == 1

        real = bot_env(x.url, None, f"sqlite:///{db}", config)
        sent = run_bot(["run", "--once"], real, tmp_path)
        assert _stories(" ".join(t["text"] for t in x.tweets)) == {3}, sent.stdout
        states = {k: v for k, v in _states(db).items() if k.startswith("Story")}
        assert sorted(states.values()) == ["posted", "skipped"], states

        # Review on for the account, then a new story while the credentials are unset again: it waits for them,
        # and when they come it goes to review, not out.
        _config(tmp_path, feeds.url_for("/feed.xml"), "review = true\n")
        feeds.set("/feed.xml", rss([Item(1), Item(2), Item(3), Item(4)]))
        bare = run_bot(["run", "--once"], bot_env(None, None, f"sqlite:///{db}", config), tmp_path)
        assert "[dry-run]" not in bare.stdout  # queued held for review: nothing is due to be shown yet
        run_bot(["run", "--once"], real, tmp_path)
        assert len(x.tweets) == 1 and _states(db)["Story number 4 about the city council"] == "review"


def test_a_worker_given_credentials_by_a_reload_sends_each_waiting_post_once(tmp_path: Path, db_url: str) -> None:
    """The Bot a worker keeps: its accounts are re-judged at each delivery round, so a config reload that brings
    an account's credentials (the environment a restart gives it) sends what waited, once."""
    from bot.app import Bot
    from bot.config import load_config
    from bot.platforms.dryrun import AwaitingCredentials

    with FeedServer() as feeds, fake_x() as x:
        feeds.set("/feed.xml", rss([Item(1), Item(2), Item(3)]))
        path = _config(tmp_path, feeds.url_for("/feed.xml"))
        base = {"DATABASE_URL": db_url, "BOT_LOOKUP_LAG_SECONDS": "0.5"}  # SQLite and Postgres
        shown: list[str] = []
        bot = Bot(load_config(str(path), environ=base), show=lambda name, draft: shown.append(draft.text))
        try:
            assert isinstance(bot.platforms["twitter"], AwaitingCredentials)
            bot.poll(force=True)
            for _ in range(2):  # a second round shows nothing again and sends nothing
                reports = bot.deliver()
                assert _stories(" ".join(shown)) == {2, 3} and len(shown) == 3  # and the sample's one
                assert len(reports["twitter"].posted) in (0, 1)  # the sample's, once
            assert bot.awaiting_lines() == [WAITING.format(n=2)]

            bot.config = load_config(str(path), environ={**base, **X_KEYS, "TWITTER_API_URL": x.url})
            started = time.monotonic()
            reports = bot.deliver()
            assert len(reports["twitter"].posted) == 2 and time.monotonic() - started < 30
            assert bot.deliver()["twitter"].posted == [] and len(x.tweets) == 2
            assert bot.awaiting_lines() == []
        finally:
            bot.close()


def test_a_worker_without_credentials_leaves_the_posts_to_one_that_has_them(tmp_path: Path) -> None:
    """A fleet deployed half-way: a worker without the credentials shows each new post once and says how many
    wait (again only when the number changes), while `bot run --once` with them sends each once; the worker
    records nothing of them meanwhile."""
    import signal
    import subprocess
    import sys
    import threading

    with FeedServer() as feeds, fake_x() as x:
        feeds.set("/feed.xml", rss([Item(1), Item(2), Item(3)]))
        config = tmp_path / "bot.toml"
        config.write_text(f'[[feeds]]\nurl = "{feeds.url_for("/feed.xml")}"\nname = "news"\nbackfill = 2\n'
                          'every = "10s"\n[platforms.twitter]\n')
        db = tmp_path / "s.db"
        bare = bot_env(None, None, f"sqlite:///{db}", config)
        assert run_bot(["db", "upgrade"], bare, tmp_path).returncode == 0
        worker = subprocess.Popen([sys.executable, "-m", "bot", "run"], env=bare, cwd=tmp_path,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        out: list[str] = []
        assert worker.stdout is not None
        reader = threading.Thread(target=lambda: out.extend(worker.stdout or ()), daemon=True)
        reader.start()

        def wait_for(text: str, timeout: float = 90) -> None:
            deadline = time.monotonic() + timeout
            while text not in "".join(out):
                assert time.monotonic() < deadline and worker.poll() is None, "".join(out)
                time.sleep(0.2)

        try:
            wait_for(WAITING.format(n=2))
            sent = run_bot(["run", "--once"], bot_env(x.url, None, f"sqlite:///{db}", config), tmp_path)
            assert "2 delivered" in sent.stdout, sent.stdout + sent.stderr
            feeds.set("/feed.xml", rss([Item(1), Item(2), Item(3), Item(4)]))
            wait_for(WAITING.format(n=1))  # the worker's next look queued story 4: shown, and waiting
        finally:
            worker.send_signal(signal.SIGTERM)
            code = worker.wait(timeout=60)
        reader.join(10)
        text = "".join(out)
        assert code == 0, text
        assert text.count("[dry-run] --- twitter") == 3 and _stories(text) == {2, 3, 4}, text
        assert text.count("wait for credentials") == 2, text  # said when the number changed, not every round
        assert _stories(" ".join(t["text"] for t in x.tweets)) == {2, 3} and len(x.tweets) == 2
        assert _states(db) == {"Story number 2 about the city council": "posted",
                               "Story number 3 about the city council": "posted",
                               "Story number 4 about the city council": "queued"}


def test_an_account_only_the_bundled_sample_reaches_waits_for_nothing(tmp_path: Path) -> None:
    """The README's first run (config/bot.toml, the sample, no credentials): the sample is only ever shown, so
    `bot status` does not tell a newcomer its accounts wait for credentials; a real feed's account does."""
    sample = tmp_path / "sample.toml"
    sample.write_text(f'[[feeds]]\nurl = "{SAMPLE_FEED.as_uri()}"\nname = "sample"\n[platforms.twitter]\n',
                      encoding="utf-8")
    env = bot_env(None, None, f"sqlite:///{tmp_path / 's.db'}", sample)
    assert run_bot(["run", "--once"], env, tmp_path).returncode == 0
    status = run_bot(["status"], env, tmp_path)
    assert status.returncode == 0 and "twitter: active" in status.stdout, status.stdout + status.stderr
    assert "waiting for credentials" not in status.stdout, status.stdout
    real = bot_env(None, None, f"sqlite:///{tmp_path / 's.db'}", _config(tmp_path, "https://news.example.org/feed"))
    assert "waiting for credentials (TWITTER_API_KEY" in run_bot(["status"], real, tmp_path).stdout
