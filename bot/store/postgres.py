"""Postgres backend, for hosted workers and for several workers sharing the work.

Row locks with SKIP LOCKED let each worker take a different post; an advisory lock
serialises migrations when several processes start at once.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from bot.errors import StoreError
from bot.store.sql import SqlStore

_MIGRATION_LOCK = 0x0B07_5EED


def normalise_url(url: str) -> str:
    """Heroku hands out postgres://; libpq wants postgresql:// (both work, but be explicit)."""
    return "postgresql://" + url.split("://", 1)[1] if url.startswith("postgres://") else url


class PostgresStore(SqlStore):
    real_type = "DOUBLE PRECISION"
    serial_type = "BIGSERIAL PRIMARY KEY"
    lock_clause = " FOR UPDATE SKIP LOCKED"

    def __init__(self, url: str) -> None:
        import psycopg

        try:
            self._conn = psycopg.connect(normalise_url(url), autocommit=True, connect_timeout=10)
        except psycopg.Error as exc:
            raise StoreError(f"cannot connect to Postgres: {_first_line(exc)}",
                             hint="check DATABASE_URL and that the server is running") from None
        self._lock = threading.RLock()

    def _sql(self, query: str) -> str:
        return query.replace("%", "%%").replace("?", "%s")

    @contextmanager
    def _transaction(self) -> Iterator[Any]:
        with self._lock, self._conn.transaction(), self._conn.cursor() as cur:
            yield cur

    def _lock_for_migration(self, cur: Any) -> None:
        cur.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))

    def _run_script(self, cur: Any, script: str) -> None:
        cur.execute(script)

    def close(self) -> None:
        with self._lock:
            self._conn.close()


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
