"""The hosted worker: config reloads (in process), and signals for real (`bot run` as a subprocess)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.app import Bot
from bot.config import load_config
from bot.worker import Worker
from tests.fakes.feed_server import FeedServer
from tests.feedgen import Item, rss
from tests.helpers import bot_env, fake_x, run_bot


def _write(path: Path, feeds: list[str], extra: str = "") -> None:
    text = "".join(f'[[feeds]]\nurl = "{url}"\nname = "f{n}"\nevery = "1h"\n' for n, url in enumerate(feeds))
    path.write_text(text + "[platforms.twitter]\n" + extra, encoding="utf-8")
    # the stamp is (mtime_ns, size): make each write visible even within one clock tick
    os.utime(path, ns=(time.time_ns(), time.time_ns() + len(text) * 1000))


@pytest.fixture
def worker(tmp_path: Path) -> Iterator[Worker]:
    (tmp_path / "a.xml").write_text(rss([Item(1)]))
    (tmp_path / "b.xml").write_text(rss([Item(2)]))
    path = tmp_path / "bot.toml"
    _write(path, ["a.xml"])
    config = load_config(str(path), environ={"DATABASE_URL": f"sqlite:///{tmp_path / 's.db'}"})
    bot = Bot(config, dry_run=True)
    w = Worker(bot, dry_run=True)
    w.build_scheduler()
    yield w
    bot.close()


def _feed_jobs(w: Worker) -> set[str]:
    """The feeds the worker polls; each has its row in the shared schedule once the worker's loop has written
    what the config asks for."""
    assert w.sharing is not None
    w.sharing._write_expected()
    assert set(w._feeds) <= {s.url for s in w.bot.store.feed_schedules()}
    return {url.rsplit("/", 1)[-1] for url in w._feeds}


def _poll_round(w: Worker) -> None:
    """One round of the worker's feed loop: claim what is due, poll it, release it."""
    assert w.sharing is not None
    before = w.sharing.polled
    w.sharing.round()
    deadline = time.monotonic() + 10
    while w.sharing.polled == before and time.monotonic() < deadline:
        time.sleep(0.02)
    w.sharing.flush()


def _due_in(w: Worker, name: str) -> float:
    (due,) = [s.next_due for s in w.bot.store.feed_schedules() if s.url.endswith(name)]
    assert due is not None
    return due - w.bot.store.lease_clock()


def test_reload_adds_and_removes_feed_jobs_and_platforms(worker: Worker, tmp_path: Path) -> None:
    assert _feed_jobs(worker) == {"a.xml"}
    _write(tmp_path / "bot.toml", ["b.xml"], "[platforms.facebook]\n")
    assert worker.reload("test")
    assert _feed_jobs(worker) == {"b.xml"}
    assert set(worker.bot.platforms) == {"twitter", "facebook"}
    assert [f.name for f in worker.bot.config.feeds] == ["f0"]


def test_invalid_edit_keeps_the_last_good_config(worker: Worker, tmp_path: Path,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    before = worker.bot.config
    (tmp_path / "bot.toml").write_text('[[feeds]]\nurl = "a.xml"\nevry = "1m"\n')
    assert not worker.reload("test")
    assert worker.bot.config is before and _feed_jobs(worker) == {"a.xml"}
    assert any("REJECTED" in r.getMessage() and "did you mean 'every'" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("text", [
    '[[feeds]]\nurl = "a.xml"\n',  # caught half-written: the platform tables not there yet
    '[[feeds]]\nurl = "a.xml"\n[platforms.twitter]\nenabled = false\n',
    '[[feeds]]\nurl = "a.xml"\nplatforms = ["facebook"]\n[platforms.twitter]\n[platforms.facebook]\n'
    'enabled = false\n',  # a platform is on, but no feed reaches it
])
def test_an_edit_that_cannot_post_is_rejected(worker: Worker, tmp_path: Path, caplog: pytest.LogCaptureFixture,
                                              text: str) -> None:
    before = worker.bot.config
    (tmp_path / "bot.toml").write_text(text)
    assert not worker.reload("test")
    assert worker.bot.config is before and set(worker.bot.platforms) == {"twitter"} and _feed_jobs(worker) == {"a.xml"}
    (line,) = [r.getMessage() for r in caplog.records if "REJECTED" in r.getMessage()]
    assert "nothing would ever be posted" in line and "bot.toml" in line and "\n" not in line


def test_changed_interval_is_rescheduled(worker: Worker, tmp_path: Path) -> None:
    _poll_round(worker)
    assert 3590 < _due_in(worker, "a.xml") <= 3600, "polled, next due in its hour"
    (tmp_path / "bot.toml").write_text('[[feeds]]\nurl = "a.xml"\nevery = "5m"\n[platforms.twitter]\n')
    assert worker.reload("test")
    assert _feed_jobs(worker) == {"a.xml"}
    assert 290 < _due_in(worker, "a.xml") <= 300


def test_file_change_is_picked_up_once_it_holds_still(worker: Worker, tmp_path: Path) -> None:
    _write(tmp_path / "bot.toml", ["a.xml", "b.xml"])
    worker.maybe_reload()  # changed, but maybe still being written: wait one check
    assert len(worker.bot.config.feeds) == 1
    worker.maybe_reload()
    assert len(worker.bot.config.feeds) == 2
    worker.maybe_reload()  # nothing new: no reload
    assert len(worker.bot.config.feeds) == 2


# --- the real process ---------------------------------------------------------------------------


class Proc:
    """`bot run` in the background, its output collected line by line."""

    def __init__(self, args: list[str], env: dict[str, str], cwd: Path) -> None:
        self.popen = subprocess.Popen([sys.executable, "-m", "bot", *args], env=env, cwd=cwd, text=True,
                                      stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.popen.stdout is not None
        for line in self.popen.stdout:
            self.lines.append(line.rstrip("\n"))

    def wait_for(self, pattern: str, timeout: float = 20) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in list(self.lines):
                if re.search(pattern, line):
                    return line
            if self.popen.poll() is not None:
                self._reader.join(2)
                break
            time.sleep(0.05)
        for line in self.lines:
            if re.search(pattern, line):
                return line
        raise AssertionError(f"{pattern!r} not seen; output:\n" + "\n".join(self.lines))

    def signal(self, signum: int) -> None:
        self.popen.send_signal(signum)

    def finish(self, timeout: float) -> tuple[int, float]:
        start = time.monotonic()
        code = self.popen.wait(timeout)
        self._reader.join(5)
        return code, time.monotonic() - start

    def kill(self) -> None:
        if self.popen.poll() is None:
            self.popen.kill()
            self.popen.wait()


@pytest.fixture
def feeds() -> Iterator[FeedServer]:
    with FeedServer() as server:
        yield server


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_idle_worker_stops_cleanly_on_signal(tmp_path: Path, feeds: FeedServer, signum: int) -> None:
    feeds.set("/feed.xml", rss([Item(1)]))
    config = tmp_path / "bot.toml"
    config.write_text(f'[[feeds]]\nurl = "{feeds.url_for("/feed.xml")}"\n[platforms.twitter]\n')
    proc = Proc(["run"], bot_env(None, None, f"sqlite:///{tmp_path / 's.db'}", config), tmp_path)
    try:
        proc.wait_for("worker started")
        proc.wait_for("first sight")
        proc.signal(signum)
        code, took = proc.finish(15)
        assert code == 0 and took < 5
        proc.wait_for("worker stopped")
    finally:
        proc.kill()


def test_sighup_and_file_edits_reload_and_bad_edits_are_refused(tmp_path: Path, feeds: FeedServer) -> None:
    feeds.set("/a.xml", rss([Item(1)]))
    feeds.set("/b.xml", rss([Item(2)]))
    config = tmp_path / "bot.toml"
    good = f'[[feeds]]\nurl = "{feeds.url_for("/a.xml")}"\n[platforms.twitter]\n'
    config.write_text(good)
    proc = Proc(["run"], bot_env(None, None, f"sqlite:///{tmp_path / 's.db'}", config), tmp_path)
    try:
        proc.wait_for("worker started")
        config.write_text(good + 'daily_cpa = 3\n')
        proc.signal(signal.SIGHUP)
        line = proc.wait_for("REJECTED")
        assert "bot.toml:4: platforms.twitter.daily_cpa: unknown key (did you mean 'daily_cap'?)" in line
        config.write_text(good + f'[[feeds]]\nurl = "{feeds.url_for("/b.xml")}"\n')  # no signal: the file changed
        proc.wait_for(r"config reloaded \(file changed\): 2 feed\(s\)", timeout=15)
        deadline = time.monotonic() + 10
        while feeds.hits("/b.xml") == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert feeds.hits("/b.xml") == 1, "the new feed is read at once"
        proc.signal(signal.SIGTERM)
        assert proc.finish(15)[0] == 0
    finally:
        proc.kill()


def test_sigterm_mid_delivery_finishes_the_post_in_flight_and_loses_nothing(tmp_path: Path,
                                                                           feeds: FeedServer) -> None:
    with fake_x() as x:
        items = [Item(1)]
        feeds.set("/feed.xml", rss(items))
        config = tmp_path / "bot.toml"
        config.write_text(f'[[feeds]]\nurl = "{feeds.url_for("/feed.xml")}"\n[platforms.twitter]\nimage = false\n')
        env = bot_env(x.url, None, f"sqlite:///{tmp_path / 's.db'}", config)
        assert run_bot(["run", "--once"], env, tmp_path).returncode == 0  # baseline
        feeds.set("/feed.xml", rss([*items, Item(2), Item(3), Item(4)]))
        x.stall(2.0, times=1)  # the first post takes 2 s to be answered
        proc = Proc(["run"], env, tmp_path)
        try:
            deadline = time.monotonic() + 20
            while x.count("POST", "/2/tweets") == 0 and time.monotonic() < deadline:
                time.sleep(0.02)
            assert x.count("POST", "/2/tweets") == 1
            proc.signal(signal.SIGTERM)
            code, took = proc.finish(25)
            assert code == 0 and took < 20
        finally:
            proc.kill()
        assert len(x.tweets) == 1, "the post in flight was finished, nothing else was started"
        again = run_bot(["run", "--once"], env, tmp_path)
        assert again.returncode == 0, again.stdout + again.stderr
        texts = [t["text"] for t in x.tweets]
        assert len(texts) == 3 and len(set(texts)) == 3
        for n, text in zip((2, 3, 4), texts, strict=True):
            assert Item(n).title in text, "publication order"
