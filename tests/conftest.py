"""Fixtures shared by the suite: a fresh store on every backend.

Postgres tests run against the server named by BOT_TEST_DATABASE_URL (default: the local
one, database `test`). Each test gets its own schema, dropped afterwards. Where no server
answers they skip with the reason, unless BOT_REQUIRE_POSTGRES=1 (set by CI) makes that a failure.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from bot.store import Store, open_store

ROOT = Path(__file__).resolve().parents[1]
PG_URL = os.environ.get("BOT_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")


def _postgres_or_skip() -> None:
    import psycopg

    try:
        psycopg.connect(PG_URL, connect_timeout=3).close()
    except psycopg.Error as exc:
        reason = f"Postgres not reachable at {PG_URL}: {str(exc).strip().splitlines()[0]}"
        if os.environ.get("BOT_REQUIRE_POSTGRES") == "1":
            pytest.fail(reason + " (BOT_REQUIRE_POSTGRES=1)")
        pytest.skip(reason)


# The files whose tests SIGKILL fleets of `bot run` processes and time how long posting stalls: they run one after
# another on one xdist worker, never two at once (with --dist loadgroup; pyproject.toml).
KILL_TESTS = ("test_crash.py", "test_kill_production.py")


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int | None:
    """Under clock-ahead (libfaketime: FAKETIME is set) the suite runs in one process. The year-ahead run is about
    dates, and its kill and worker tests measure stalls and deadlines: under faketime, with two workers' load on
    two cores, they measured the load (a 33 s stall, a worker that posted nothing in 90 s), not the code."""
    return 0 if os.environ.get("FAKETIME") else None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The tests marked slow run first (xdist hands tests out in this order, one per worker in turn): started last,
    one of them would run alone at the end while the other cores sit idle."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)
    for item in items:
        if item.path.name in KILL_TESTS and item.get_closest_marker("slow"):
            item.add_marker(pytest.mark.xdist_group("kills"))


@pytest.fixture(autouse=True)
def _fakes_must_not_break() -> Iterator[None]:
    """An exception inside a fake server fails the test that ran it: the fake answered 500, which the bot
    takes for an outage and retries, so the test might otherwise pass on a broken fake (issue 24)."""
    from tests.fakes._base import take_unexpected_errors

    take_unexpected_errors()  # raised before this test began (a fake another test left running): not ours
    yield
    errors = take_unexpected_errors()
    if errors:
        pytest.fail(f"{len(errors)} exception(s) inside a fake server: " + "; ".join(errors), pytrace=False)


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A Postgres URL whose search_path is a fresh schema of this test's own."""
    _postgres_or_skip()
    import psycopg

    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in PG_URL else "?"
    yield f"{PG_URL}{sep}options={quote(f'-csearch_path={schema}')}"
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'bot.db'}"


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'bot.db'}"
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    s = open_store(db_url)
    yield s
    s.close()
