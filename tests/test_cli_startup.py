"""bot.cli.main pauses the cyclic garbage collector while a command starts (issue 25: its collections walked the
start-up's modules and classes again and again) and gives it back running: to the command, and to a caller that
runs main() in its own process, whatever happens."""

from __future__ import annotations

import argparse
import gc
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bot import cli


def test_the_command_runs_with_the_collector_on_and_start_up_frozen(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[bool, int]] = []

    def command(config: Any, args: argparse.Namespace) -> int:
        seen.append((gc.isenabled(), gc.get_freeze_count()))
        return 0

    monkeypatch.setitem(cli._COMMANDS, "schedule", command)
    config = tmp_path / "bot.toml"
    config.write_text('[[feeds]]\nurl = "https://news.example.org/feed/"\n[platforms.twitter]\n', encoding="utf-8")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/bot.db")
    assert gc.isenabled()
    original = sys.stdout, sys.stderr  # main() wraps them to redact secrets
    try:
        assert cli.main(["--config", str(config), "schedule"]) == 0
    finally:
        sys.stdout, sys.stderr = original
    [(enabled, frozen)] = seen
    assert enabled and frozen > 1000  # the modules and classes of start-up, set aside
    assert gc.isenabled() and gc.get_freeze_count() == 0  # this process's objects are its own again


def test_the_collector_comes_back_after_a_usage_error_and_stays_off_if_it_was(tmp_path: Path) -> None:
    with pytest.raises(SystemExit):
        cli.main(["--no-such-option"])
    assert gc.isenabled() and gc.get_freeze_count() == 0
    gc.disable()
    try:
        with pytest.raises(SystemExit):
            cli.main(["--no-such-option"])
        assert not gc.isenabled() and gc.get_freeze_count() == 0  # a caller's choice is kept
    finally:
        gc.enable()


def test_help_is_wrapped_to_the_terminal_without_shutil(tmp_path: Path) -> None:
    from tests.helpers import run_bot

    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    narrow = run_bot(["preview", "--help"], {**env, "COLUMNS": "50"}, tmp_path)
    wide = run_bot(["preview", "--help"], {**env, "COLUMNS": "200"}, tmp_path)
    assert narrow.returncode == wide.returncode == 0
    assert max(map(len, narrow.stdout.splitlines())) <= 48 < max(map(len, wide.stdout.splitlines()))
    # `bot --help` names its twenty commands, one formatter per argument: none of them imported shutil
    code = ("import sys; from bot.cli import main\ntry: main(['--help'])\nexcept SystemExit: pass\n"
            "sys.stderr.write(str('shutil' in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], env=env, cwd=tmp_path, capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.stderr == "False"
