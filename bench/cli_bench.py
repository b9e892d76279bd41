"""How fast the CLI answers when it has little to do: `bot --help` and `bot check` on a bad config (one
with an account of each of the five networks too).

Run from the repo root: PYTHONPATH=. .venv/bin/python bench/cli_bench.py [--runs N]
Prints medians of wall time per command, and each against a bare `python -c pass` measured in the
same run (the interpreter's own start-up is the floor nobody can go under). Budget: 250 ms.
Then which network modules and clients `bot --help` imports (none should be: they are loaded when used).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BUDGET_MS = 250.0


def _time(cmd: list[str], env: dict[str, str], cwd: str, runs: int) -> tuple[float, int]:
    samples = []
    code = 0
    for _ in range(runs):
        start = time.perf_counter()
        result = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, check=False)
        samples.append((time.perf_counter() - start) * 1000)
        code = result.returncode
    return statistics.median(samples), code


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=21)
    args = parser.parse_args()
    root = Path(__file__).resolve().parents[1]
    with tempfile.TemporaryDirectory() as tmp:
        bad = Path(tmp) / "bot.toml"
        bad.write_text('[[feeds]]\nurl = "https://example.org/feed"\ncron = "*/15 * * *"\n'
                       '[platforms.twitter]\nwindows = ["Mon-Fri 08:00-20:00"]\ntemplate = "{title} {link}"\n')
        five = Path(tmp) / "five.toml"
        five.write_text('[[feeds]]\nurl = "https://example.org/feed"\nplatforms = ["twitter", "facebook", '
                        '"mastodon", "bluesky", "telegram"]\n[platforms.twitter]\n[platforms.facebook]\n'
                        '[platforms.mastodon]\nvisibility = "unlisted"\n[platforms.bluesky]\ncard = false\n'
                        '[platforms.telegram]\n[platforms.tg_fa]\nnetwork = "telegram"\nevry = "1h"\n')
        prefixes = ("TWITTER_", "FACEBOOK_", "MASTODON_", "BLUESKY_", "TELEGRAM_", "BOT_")
        env = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
        env.update(PYTHONPATH=str(root), DATABASE_URL=f"sqlite:///{tmp}/s.db")
        py = sys.executable
        cases = {
            "python -c pass (floor)": [py, "-c", "pass"],
            "bot --help": [py, "-m", "bot", "--help"],
            "bot check (bad config)": [py, "-m", "bot", "--config", str(bad), "check"],
            "bot run (bad config)": [py, "-m", "bot", "--config", str(bad), "run"],
            "bot check (5 networks, bad)": [py, "-m", "bot", "--config", str(five), "check"],
        }
        floor = None
        for name, cmd in cases.items():
            median, code = _time(cmd, env, tmp, args.runs)
            floor = floor or median
            verdict = "" if name.startswith("python") else (" ok" if median <= BUDGET_MS else " OVER BUDGET")
            print(f"{name:<28} median {median:6.1f} ms  ({median / floor:4.2f}x floor)  exit {code}"
                  f"  [{args.runs} runs; budget {BUDGET_MS:.0f} ms]{verdict}")
        imported = subprocess.run([py, "-X", "importtime", "-m", "bot", "--help"], env=env, cwd=tmp,
                                  capture_output=True, text=True, check=False).stderr
        modules = [line.rsplit("|", 1)[-1].strip() for line in imported.splitlines() if "|" in line]
        heavy = ("bot.networks", "bot.platforms", "tweepy", "facebook", "mastodon", "atproto", "httpx", "requests")
        loaded = sorted({m for m in modules if m.split(".")[0] in {h.split(".")[0] for h in heavy}
                         and any(m == h or m.startswith(h + ".") for h in heavy)})
        print(f"bot --help imports {len(modules)} modules; network modules and clients among them: "
              f"{', '.join(loaded) or 'none'}")


if __name__ == "__main__":
    main()
