"""`bot demo`: start the stand-ins and a feed server, run the bot once for real against them, show what each
network received; with --web, then serve the editors' page on the demo's database until Ctrl-C.

The bot runs as a child process with an environment of its own: the demo's accounts point at the stand-ins,
and no credential, database or config of the caller's environment (or .env) is passed on, so nothing of the
caller's reaches, or is written by, the demo."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path

from bot.config import SAMPLE_FEED
from bot.demo.server import Answer, LocalServer
from bot.demo.standins import STAND_INS, StandIn

FEED_PATH = "/feed.xml"


def _feed_server() -> LocalServer:
    sample = SAMPLE_FEED.read_bytes()

    def answer(method: str, path: str, query: dict[str, str], body: bytes, headers: dict[str, str]) -> Answer:
        if method == "GET" and path == FEED_PATH:
            return 200, "application/rss+xml; charset=utf-8", sample, {}
        return 404, "text/plain", b"not found", {}

    return LocalServer(answer)


def demo_config(feed_url: str, accounts: Mapping[str, StandIn]) -> str:
    """One feed (the sample, served over HTTP: the sandbox keeps only its file in dry-run), each of its articles
    posted at once (backfill, no age limit), and one account per stand-in, with the stand-in's settings."""
    lines = ["[bot]", 'timezone = "UTC"', "", "[[feeds]]", f'url = "{feed_url}"', 'name = "sample (served locally)"',
             "backfill = 3", "max_age_days = 36500"]
    for name, stand_in in accounts.items():
        lines += ["", f"[platforms.{name}]", *stand_in.settings]
    return "\n".join(lines) + "\n"


def child_env(base: Mapping[str, str], work: Path, accounts: Mapping[str, StandIn]) -> dict[str, str]:
    """The bot's environment: the caller's, less every account's variables, BOT_* and DATABASE_URL; plus the
    demo's database, config and accounts."""
    from bot import networks

    prefixes = (*(f"{n.upper()}_" for n in networks.names()), "BOT_", "DATABASE_URL")
    env = {k: v for k, v in base.items() if not k.startswith(prefixes)}
    env.update(DATABASE_URL=f"sqlite:///{work / 'demo.db'}", BOT_CONFIG=str(work / "bot.toml"),
               BOT_LOOKUP_LAG_SECONDS="0")
    for name, stand_in in accounts.items():
        env.update(stand_in.env(name))
    # The child finds this very package, wherever it is installed or checked out.
    package_root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, base.get("PYTHONPATH", "")) if p)
    return env


def _bot(args: list[str], env: Mapping[str, str], cwd: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "bot", *args], env=dict(env), cwd=cwd)


def report(stand_ins: Mapping[str, StandIn]) -> list[str]:
    from bot import networks

    lines = ["", "What each network received (local stand-ins, nothing left this machine):"]
    for name, stand_in in stand_ins.items():
        title = networks.get(stand_in.network).title
        lines.append(f"  {title if name == stand_in.network else f'{title} ({name})'}: {len(stand_in.received)} "
                     "post(s)")
        for text in stand_in.received:
            shown = text.replace("\n", " / ")
            lines.append(f"    - {shown[:150]}{'...' if len(shown) > 150 else ''}")
    return lines


def run_demo(directory: str | None, web: bool, port: int) -> int:
    from bot import networks

    work = Path(directory) if directory else Path(tempfile.mkdtemp(prefix="bot-demo-"))
    work.mkdir(parents=True, exist_ok=True)
    missing = [n for n in networks.names() if n not in STAND_INS]
    stand_ins = {n: STAND_INS[n]() for n in networks.names() if n in STAND_INS}
    feed = _feed_server()
    try:
        (work / "bot.toml").write_text(demo_config(feed.url + FEED_PATH, stand_ins), encoding="utf-8")
        env = child_env(os.environ, work, stand_ins)
        print(f"bot demo: the sample feed at {feed.url}{FEED_PATH}; stand-ins of "
              f"{', '.join(networks.get(s.network).title for s in stand_ins.values())} on 127.0.0.1; "
              f"config and database in {work}", flush=True)
        if missing:
            print(f"bot demo: no stand-in yet for {', '.join(missing)}: left out", flush=True)
        code = _bot(["run", "--once"], env, work).wait()
        print("\n".join(report(stand_ins)), flush=True)
        if code != 0:
            print(f"bot demo: the bot exited {code}", file=sys.stderr)
            return code
        if any(not s.received for s in stand_ins.values()):
            print("bot demo: a network received nothing (see above)", file=sys.stderr)
            return 1
        print(f"\nTry: BOT_CONFIG={work / 'bot.toml'} DATABASE_URL=sqlite:///{work / 'demo.db'} bot history")
        if web:
            print(f"bot demo: the editors' page on this demo's database, on port {port}; Ctrl-C ends the demo",
                  flush=True)
            page = _bot(["web", "--port", str(port)], env, work)
            try:
                page.wait()
            except KeyboardInterrupt:
                page.terminate()
                page.wait(timeout=30)
        return 0
    finally:
        feed.close()
        for stand_in in stand_ins.values():
            stand_in.close()
