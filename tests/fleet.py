"""Many real `bot` processes against the local fakes: start, kill, wait, and read what arrived where."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from tests.feedgen import Item


def start_bot(args: list[str], env: Mapping[str, str], cwd: Path, log: Path,
              prefix: Sequence[str] = ()) -> subprocess.Popen[bytes]:
    """`python -m bot ...` in the background, stdout and stderr appended to `log`; `prefix` is a wrapper
    command that runs it (e.g. tests/tools/clock-ahead +400s, whose faketime forks: kill_group kills both)."""
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


def masto_links(masto: Any) -> list[str]:
    """The article link of every status that is not a reply on the fake Mastodon, oldest first."""
    return [(s["links"] or [s["text"]])[0] for s in masto.statuses if s["in_reply_to_id"] is None]


def bsky_links(pds: Any) -> list[str]:
    """The article link of every post record on the fake PDS (its card, else its link facet), oldest first."""
    def link(value: dict[str, Any]) -> str:
        external = (value.get("embed") or {}).get("external")
        if external:
            return str(external["uri"])
        uris = [f["uri"] for facet in value.get("facets") or [] for f in facet["features"] if "uri" in f]
        return str(uris[0]) if uris else str(value["text"])
    return [link(r["value"]) for r in pds.records]


def tg_links(tg: Any) -> list[str]:
    """The article link of every message in the fake channel (its preview, else its first link), oldest first."""
    def link(m: dict[str, Any]) -> str:
        preview = (m.get("link_preview_options") or {}).get("url")
        urls = [e["url"] for e in m["entities"] if e.get("url")]
        return str(preview or (urls[0] if urls else m["text"]))
    return [link(m) for m in tg.messages]


def threads_links(th: Any) -> list[str]:
    """The article link of every post on the fake Threads profile (its preview, else its first link)."""
    def link(post: dict[str, Any]) -> str:
        found = re.findall(r"https?://\S+", str(post["text"]))
        return str(post["link_attachment_url"] or (found[0] if found else post["text"]))
    return [link(p) for p in th.posts]


def linkedin_links(li: Any) -> list[str]:
    """The article of every post on the fake LinkedIn Page."""
    return [str(((p["body"].get("content") or {}).get("article") or {}).get("source") or p["text"]) for p in li.posts]


# The article links each network's fake holds, by network name.
LINKS: dict[str, Callable[[Any], list[str]]] = {
    "twitter": x_links, "facebook": fb_links, "mastodon": masto_links, "bluesky": bsky_links, "telegram": tg_links,
    "threads": threads_links, "linkedin": linkedin_links}
ALL_NETWORKS = ("twitter", "facebook", "mastodon", "bluesky", "telegram")
# Threads and LinkedIn (issue 23): the e2e, crash and outage tests run them beside the five above.
NEWER_NETWORKS = ("threads", "linkedin")


def duplicates(links: list[str]) -> dict[str, int]:
    return {link: n for link, n in Counter(links).items() if n > 1}


def refused_as_duplicate(*servers: Any) -> int:
    """Posts the fakes saw a second time (X's 403, Graph's #506, the PDS's 500 for an existing record key, a
    Mastodon Idempotency-Key replayed): a bot that never sends twice causes none. Other refusals do not count:
    a run killed between a request's headers and its body leaves a cut-short request, which the fakes log as
    "truncated" and never process, as a real server would."""
    return sum(1 for server in servers for r in server.requests if r["method"] == "POST" and r.get("duplicate"))


def sent_twice(*servers: Any) -> list[tuple[str, str, Any]]:
    """The requests refused_as_duplicate counts, for an assertion's message."""
    return [(r["method"], r["path"], r.get("refused") or r["status"]) for server in servers for r in server.requests
            if r["method"] == "POST" and r.get("duplicate")]


def telegram_sends(tg: Any) -> int:
    """sendMessage/sendPhoto requests the fake Telegram processed (a truncated one never reached it)."""
    return sum(1 for r in tg.requests if r.get("api_method", "").startswith("send") and r["outcome"] != "truncated")


def expected_links(items: list[Item]) -> list[str]:
    return [i.url for i in sorted(items, key=lambda i: i.published)]


def config_file(tmp_path: Path, feed_url: str, extra_platform: str = "", every: str = "10s",
                networks: Sequence[str] = ("twitter", "facebook")) -> Path:
    # These tests send bursts of up to 300 new articles in one look on purpose: above the flood guard's
    # default of 20, which would hold them for an editor (tests/test_hostile_publication.py), and without the
    # pacing of a backlog (burst_gap; tests/test_paced_backfill.py), which would spread them over hours.
    path = tmp_path / "bot.toml"
    path.write_text(f'[[feeds]]\nurl = "{feed_url}"\nname = "news"\nevery = "{every}"\n'
                    "flood_limit = 1000\n"
                    + "".join(f'[platforms.{name}]\nburst_gap = "0s"\n{extra_platform}\n' for name in networks),
                    encoding="utf-8")
    return path


@contextlib.contextmanager
def fleet_fakes(networks: Sequence[str] = ALL_NETWORKS) -> Iterator[dict[str, Any]]:
    """One fake server per network, by name, with the default credentials of tests.helpers."""
    from tests.helpers import fake_bsky, fake_graph, fake_linkedin, fake_masto, fake_tg, fake_threads, fake_x

    makers = {"twitter": fake_x, "facebook": fake_graph, "mastodon": fake_masto, "bluesky": fake_bsky,
              "telegram": fake_tg, "threads": fake_threads, "linkedin": fake_linkedin}
    with contextlib.ExitStack() as stack:
        yield {name: stack.enter_context(makers[name]()) for name in networks}


def fleet_env(servers: Mapping[str, Any], database_url: str, config: Path,
              extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """bot_env with each network's default account pointed at its fake."""
    from tests.helpers import account_env, bot_env

    accounts: dict[str, str] = {}
    for name, server in servers.items():
        accounts.update(account_env(name, name, server.url))
    return bot_env(None, None, database_url, config, {**accounts, **(extra or {})})


HELD_LINE = re.compile(r"HELD, not sent again: #(\d+) .*? \((\S+)\): ")


def settle_held(env: Mapping[str, str], cwd: Path, channel_links: Callable[[], list[str]],
                account: str = "telegram") -> int:
    """What an editor does with posts held because their outcome is unknown (Telegram): look in the channel;
    a post that is there is skipped (never sent again), then `bot retry` releases the rest to be sent once.
    Returns how many were held."""
    from tests.helpers import run_bot

    status = run_bot(["status"], env, cwd)
    assert status.returncode == 0, status.stdout + status.stderr
    held = {int(i): link for i, link in HELD_LINE.findall(status.stdout)}
    in_channel = set(channel_links())
    there = [i for i, link in held.items() if link in in_channel]
    if there:
        skipped = run_bot(["skip", *map(str, there)], env, cwd)
        assert skipped.returncode == 0, skipped.stdout + skipped.stderr
    if len(there) < len(held):
        released = run_bot(["retry", "--platform", account], env, cwd)
        assert released.returncode == 0 and "released" in released.stdout, released.stdout + released.stderr
    return len(held)
