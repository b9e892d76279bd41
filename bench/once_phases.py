"""Where a `bot run --once` over unchanged feeds spends its CPU, phase by phase, and what each phase imports.

    .venv/bin/python bench/once_phases.py [--feeds 100] [--runs 5]

The pass of bench/once_ab.py (--feeds WordPress feeds served locally, answering 304 to their ETag, SQLite), taken
apart: each run is a fresh process that goes through the steps `bot run --once` takes (import the CLI, import
and read the config, import the app, open the bot, poll every feed, deliver, close) and reports the CPU seconds
of each and the modules each imported first. Prints each phase's median over the runs, and the modules of the
last run: a phase that grows, or starts importing a parser or a network's client, shows here before the A/B
ratio moves (bench/once_ab.py times the whole process).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from feeds_bench import BenchServer  # noqa: E402
from poll_bench import config_text  # noqa: E402

# Runs in the measured process: the steps of `bot run --once` (bot.cli.main, bot.runs.once), timed one by one.
CHILD = r"""
import json, sys, time
T, seen, out = time.process_time(), set(sys.modules), []
def mark(name):
    global T, seen
    now = time.process_time()
    new = sorted(set(sys.modules) - seen)
    seen = set(sys.modules)
    out.append({"phase": name, "cpu": now - T, "modules": new})
    T = time.process_time()
out.append({"phase": "interpreter start", "cpu": T, "modules": []})
import bot.cli; mark("import bot.cli")
import gc; gc.disable()  # as bot.cli.main: the collector paused while starting, the dataclasses' code cached
from bot import dataclass_code; dataclass_code.install(); mark("dataclass code cache")
from bot.config import load_config; mark("import bot.config")
config = load_config(sys.argv[1]); mark("load_config")
from bot.logs import setup_logging; setup_logging("WARNING", "text", config.secrets()); mark("logging")
import bot.app, bot.runs.once; mark("import bot.app, bot.runs.once")
gc.freeze(); gc.enable()
bot_ = bot.app.Bot(config); mark("Bot() (store opened, platforms built)")
reports = bot_.poll(force=True); mark("poll")
assert {r.status for r in reports} == {"not-modified"}, reports
bot_.deliver(wait_paced=True); mark("deliver")
bot_.close(); mark("close")
print(json.dumps(out))
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--feeds", type=int, default=100)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    with BenchServer(args.feeds) as server, tempfile.TemporaryDirectory(prefix="once-phases-") as tmp:
        work = Path(tmp)
        config = work / "bot.toml"
        config.write_text(config_text(server.base, args.feeds), encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TWITTER_", "FACEBOOK_", "BOT_", "X_"))}
        env.pop("PYTHONDONTWRITEBYTECODE", None)  # compiled modules cached, as installed for a user
        env.update(PYTHONPATH=str(ROOT), DATABASE_URL=f"sqlite:///{work}/bot.db", PYTHONPYCACHEPREFIX=str(work / "pyc"))
        first = subprocess.run([sys.executable, "-m", "bot", "--config", str(config), "run", "--once"], env=env,
                               cwd=work, capture_output=True, text=True)
        if first.returncode != 0:
            raise SystemExit(f"bench: the first pass failed: {first.stderr[-600:]}")
        runs = []
        for _ in range(args.runs):
            done = subprocess.run([sys.executable, "-c", CHILD, str(config)], env=env, cwd=work, capture_output=True,
                                  text=True, check=True)
            runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    print(f"`bot run --once` over {args.feeds} unchanged feeds (304), SQLite, phase by phase: CPU ms, median of "
          f"{args.runs} processes; modules first imported in the phase (last run)")
    total = 0.0
    for i, phase in enumerate(runs[-1]):
        cpu = statistics.median(run[i]["cpu"] for run in runs) * 1000
        total += cpu
        names = phase["modules"]
        shown = " ".join(names[:12]) + (f" ... (+{len(names) - 12})" if len(names) > 12 else "")
        print(f"{cpu:7.1f} ms  {phase['phase']:40} {len(names):3d} modules  {shown}")
    print(f"{total:7.1f} ms  in all")


if __name__ == "__main__":
    main()
