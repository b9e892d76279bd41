"""Issue 26, deploying as people do: the lock file installs the bot in a clean venv (as the Dockerfile and a
Heroku buildpack do), the container's entrypoint commands run, compose.yaml wires the worker after migrations.
No container engine runs here, so the image itself is not built (README says so)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.helpers import ROOT


@pytest.mark.slow
def test_the_lock_file_installs_the_bot_non_editable_and_the_entrypoint_runs(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md", "requirements.txt"):
        shutil.copy(ROOT / name, src / name)
    shutil.copytree(ROOT / "bot", src / "bot", ignore=shutil.ignore_patterns("__pycache__"))
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    # The Dockerfile's step, verbatim: every dependency pinned, the bot itself last and non-editable.
    install = subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "--no-cache-dir", "-r", "requirements.txt"],
                             cwd=src, capture_output=True, text=True, timeout=900, check=False)
    assert install.returncode == 0, install.stderr[-3000:]
    freeze = subprocess.run([str(venv / "bin" / "pip"), "freeze"], capture_output=True, text=True, check=True).stdout
    assert "-e " not in freeze, "installed non-editable"
    pinned = {line.split("==")[0].lower() for line in (ROOT / "requirements.txt").read_text().splitlines()
              if "==" in line}
    assert {line.split("==")[0].lower() for line in freeze.splitlines() if "==" in line} - {"bot"} == pinned, \
        "pip chose nothing beyond the lock file"

    app = tmp_path / "app"
    shutil.copytree(ROOT / "config", app / "config")  # what the Dockerfile copies to /app
    shutil.copytree(ROOT / "bot" / "data", app / "bot" / "data")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "DATABASE_"))}
    env.update(PATH=f"{venv / 'bin'}:{env.get('PATH', '')}", DATABASE_URL=f"sqlite:///{app / 'bot.db'}")
    entry = str(ROOT / "deploy" / "entrypoint.sh")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["sh", entry, *args], cwd=app, env=env, capture_output=True, text=True, timeout=300,
                              check=False)

    migrate = run("migrate")
    assert migrate.returncode == 0 and "database schema at version" in migrate.stdout, migrate.stderr
    health = run("healthcheck")
    assert health.returncode == 0, health.stderr
    once = run("run", "--once")
    assert once.returncode == 0 and "[dry-run] --- twitter" in once.stdout, once.stdout + once.stderr


def test_compose_runs_migrations_before_the_worker_and_the_page() -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    services = compose["services"]
    assert set(services) == {"db", "migrate", "worker", "web"}
    assert services["migrate"]["command"] == ["migrate"]
    assert services["migrate"]["depends_on"]["db"]["condition"] == "service_healthy"
    for name in ("worker", "web"):
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        assert services[name]["env_file"] == ".env" and "DATABASE_URL" in services[name]["environment"]
    assert all(p.startswith("127.0.0.1:") for p in services["web"]["ports"]), "the page only behind a proxy"
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "USER bot" in dockerfile and "HEALTHCHECK" in dockerfile and "-r requirements.txt" in dockerfile
    assert "pip install -e" not in dockerfile


def test_compose_yaml_is_valid_against_the_compose_schema() -> None:
    """What `docker compose config` would check first, with no engine here: the file against the Compose
    Specification's own schema (tests/data/compose-spec/, vendored with its licence)."""
    import json

    import jsonschema

    schema = json.loads((ROOT / "tests" / "data" / "compose-spec" / "compose-spec.json").read_text(encoding="utf-8"))
    validator = jsonschema.Draft7Validator(schema)
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(compose)]
    assert errors == []
    # The schema does catch what Compose refuses: a misspelt condition, a key no service has, a port as a table.
    broken = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    broken["services"]["worker"]["depends_on"]["migrate"]["condition"] = "service_completed"
    broken["services"]["web"]["env-file"] = ".env"
    broken["services"]["web"]["ports"] = {"8080": 8080}
    found = sorted("/".join(map(str, e.absolute_path)) for e in validator.iter_errors(broken))
    assert found == ["services/web", "services/web/ports", "services/worker/depends_on"], found
