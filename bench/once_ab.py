"""`bot run --once` as whole processes over unchanged feeds: a tree against another, and feed2toot alike.

Used by `bench/poll_ab.py --once` (see its docstring); this module holds the pass itself.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from feeds_bench import BenchServer  # noqa: E402
from poll_bench import config_text  # noqa: E402


def _timed(command: list[str], **kwargs: object) -> tuple[subprocess.CompletedProcess[str], float, float]:
    """Runs `command`; returns its result, wall seconds and CPU seconds (user + system, its children's too).
    On a shared machine the CPU time moves less than the wall time when others load it."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, **kwargs)  # type: ignore[call-overload]
    took = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return done, took, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _env(tree: Path, db: str, pycache: str) -> dict[str, str]:
    """The tree's own bot package first on the path; no credentials, no BOT_ settings of the caller's shell."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TWITTER_", "FACEBOOK_", "BOT_", "X_",
                                                                     "MASTODON_", "BLUESKY_", "TELEGRAM_"))}
    # As installed for a user: compiled modules are cached (pip writes them; so does a first run). This shell may
    # forbid writing them, and the tree is shared: they are written under a directory of the bench's own.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.update(PYTHONPATH=str(tree), DATABASE_URL=db, PYTHONPYCACHEPREFIX=pycache)
    return env


def bot_pass(tree: Path, work: Path, base: str, n: int) -> Callable[[], tuple[float, float]]:
    """Writes `tree`'s config and database in `work`, runs the first pass (the baseline, untimed) and returns
    a function that times one more whole pass."""
    config = work / "bot.toml"
    config.write_text(config_text(base, n), encoding="utf-8")
    env = _env(tree, f"sqlite:///{work}/bot.db", str(work / "pycache"))
    where = subprocess.run([sys.executable, "-c", "import bot; print(bot.__file__)"], env=env, cwd=work,
                           check=True, capture_output=True, text=True).stdout.strip()
    assert Path(where).resolve().is_relative_to(tree.resolve()), f"{tree}: imported {where}"
    command = [sys.executable, "-m", "bot", "--config", str(config), "run", "--once"]

    def once() -> tuple[float, float]:
        done, took, cpu = _timed(command, env=env, cwd=work)
        if done.returncode != 0 or "checked" not in done.stdout:
            raise SystemExit(f"bench: {tree}: run --once exited {done.returncode}: {done.stderr[-600:]}")
        return took, cpu

    once()
    return once


def feed2toot_pass(exe: str, work: Path, base: str, n: int) -> Callable[[], tuple[float, float]]:
    """feed2toot over the same feeds: its cache populated first (its own first sight), then timed passes."""
    (work / "feeds.txt").write_text("".join(f"{base}/feed/{i}\n" for i in range(n)), encoding="utf-8")
    (work / "feed2toot.ini").write_text(
        "[mastodon]\ninstance_url=http://127.0.0.1:9\nuser_credentials=user.txt\nclient_credentials=client.txt\n"
        f"[cache]\ncachefile={work}/cache.db\ncache_limit=100000\n[lock]\nlock_file={work}/f2t.lock\nlock_timeout=3600\n"
        f"[rss]\nuri_list={work}/feeds.txt\ntoot={{title}} {{link}}\n", encoding="utf-8")
    command = [exe, "-c", str(work / "feed2toot.ini")]

    def once(*extra: str) -> tuple[float, float]:
        done, took, cpu = _timed([*command, *extra], cwd=work, env=_env(work, "", str(work / "pycache")))
        if done.returncode != 0:
            raise SystemExit(f"bench: feed2toot exited {done.returncode}: {done.stderr[-600:]}")
        return took, cpu

    once("--populate-cache")
    return once


def compare_once(baseline: Path, current: Path, args: argparse.Namespace) -> None:
    n = args.feeds
    print(f"workload: `bot run --once` as a whole process, {n} unchanged WordPress feeds x 20 items (304 to their "
          f"ETag), SQLite, {os.cpu_count()} cores; baseline {args.baseline} vs "
          + (f"commit {args.current}" if args.current else "this checkout")
          + (", feed2toot alike (whole feeds: it sends no ETag)" if args.feed2toot else ""))
    with BenchServer(n) as server, tempfile.TemporaryDirectory(prefix="once-ab-") as tmp:
        passes: dict[str, Callable[[], tuple[float, float]]] = {}
        for label, tree in (("baseline", baseline), ("current", current)):
            (Path(tmp) / label).mkdir()
            passes[label] = bot_pass(tree, Path(tmp) / label, server.base, n)
        if args.feed2toot:
            (Path(tmp) / "feed2toot").mkdir()
            passes["feed2toot"] = feed2toot_pass(args.feed2toot, Path(tmp) / "feed2toot", server.base, n)
        times: dict[str, list[float]] = {label: [] for label in passes}
        cpus: dict[str, list[float]] = {label: [] for label in passes}
        for _ in range(args.runs):  # interleaved, so that the machine's drift falls on all of them
            for label, once in passes.items():
                took, cpu = once()
                times[label].append(took)
                cpus[label].append(cpu)
    medians = {label: statistics.median(t) for label, t in times.items()}
    cpu_medians = {label: statistics.median(t) for label, t in cpus.items()}
    for label, t in times.items():
        print(f"{label:9}: median {medians[label]:.3f} s wall over {len(t)} runs (min {min(t):.3f}, max {max(t):.3f}),"
              f" CPU median {cpu_medians[label]:.3f} s")
    for what, m in (("wall", medians), ("CPU", cpu_medians)):
        line = (f"run --once median {what}: baseline {args.baseline} {m['baseline']:.3f} s, this checkout "
                f"{m['current']:.3f} s, ratio {m['current'] / m['baseline']:.2f}x")
        if "feed2toot" in m:
            line += (f"; feed2toot {m['feed2toot']:.3f} s: baseline {m['feed2toot'] / m['baseline']:.1f}x faster "
                     f"than feed2toot, this checkout {m['feed2toot'] / m['current']:.1f}x")
        print(line)
