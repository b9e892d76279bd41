"""Many real `bot` processes against the local fakes: start, kill, wait, and read what arrived where."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from tests.feedgen import Item


def start_bot(args: list[str], env: Mapping[str, str], cwd: Path, log: Path,
              prefix: Sequence[str] = ()) -> subprocess.Popen[bytes]:
    """`python -m bot ...` in the background, stdout and stderr appended to `log`; `prefix` is a wrapper
    command that runs it (e.g. shared/tools/clock-ahead +400s, whose faketime forks: kill_group kills both)."""
    with log.open("ab") as out:
        # Unbuffered: a SIGKILLed process must not take its last log lines with it.
        return subprocess.Popen([*prefix, sys.executable, "-m", "bot", *args], env={**env, "PYTHONUNBUFFERED": "1"},
                                cwd=cwd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def kill_group(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL a process started by start_bot together with whatever it started, and reap it."""
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def wait_until(condition: Callable[[], bool], timeout: float, step: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return condition()


def x_links(x: Any) -> list[str]:
    """The article link of every root tweet on the fake X, oldest first."""
    return [u["expanded_url"] for t in x.tweets if t["reply_to"] is None for u in t["urls"]]


def fb_links(graph: Any) -> list[str]:
    return [p["link"] for p in graph.posts]


def duplicates(links: list[str]) -> dict[str, int]:
    return {link: n for link, n in Counter(links).items() if n > 1}


def refused_as_duplicate(x: Any, graph: Any) -> int:
    """Posts the fakes turned away as duplicates (X's 403, Graph's #506): a bot that never sends twice causes
    none. Other refusals do not count: a run killed between a request's headers and its body leaves a cut-short
    request, which the fakes log as "truncated" and never process, as a real server would."""
    return sum(1 for r in [*x.requests, *graph.requests] if r["method"] == "POST" and r.get("duplicate"))


def expected_links(items: list[Item]) -> list[str]:
    return [i.url for i in sorted(items, key=lambda i: i.published)]


def config_file(tmp_path: Path, feed_url: str, extra_platform: str = "", every: str = "10s") -> Path:
    # These tests send bursts of up to 300 new articles in one look on purpose: above the flood guard's
    # default of 20, which would hold them for an editor (tests/test_hostile_publication.py).
    path = tmp_path / "bot.toml"
    path.write_text(f'[[feeds]]\nurl = "{feed_url}"\nname = "news"\nevery = "{every}"\n'
                    "flood_limit = 1000\n"
                    f"[platforms.twitter]\n{extra_platform}\n[platforms.facebook]\n{extra_platform}\n",
                    encoding="utf-8")
    return path
