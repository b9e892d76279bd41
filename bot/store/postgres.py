"""Postgres backend, for hosted workers and for several workers sharing the work.

A row lock on the platform's row serialises claims (one post in flight per platform); the
outbox's unique (article, platform) key makes concurrent polls of the same feed queue each
post once; an advisory lock serialises migrations when several processes start at once.
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
    """Heroku hands out postgres://, SQLAlchemy users write postgresql+psycopg://; libpq wants postgresql://."""
    scheme, sep, rest = url.partition("://")
    if sep and scheme.split("+", 1)[0].lower() in ("postgres", "postgresql"):
        return "postgresql://" + rest
    return url


class PostgresStore(SqlStore):
    real_type = "DOUBLE PRECISION"
    serial_type = "BIGSERIAL PRIMARY KEY"
    max_function = "GREATEST"
    min_function = "LEAST"
    # clock_timestamp(), not now(): now() is the transaction's start, and a claim may wait for a lock.
    now_expression = "CAST(EXTRACT(EPOCH FROM clock_timestamp()) AS DOUBLE PRECISION)"

    def __init__(self, url: str) -> None:
        self._url = normalise_url(url)
        self._lock = threading.RLock()
        self._conn = self._connect()

    def _connect(self) -> Any:
        import psycopg

        try:
            return psycopg.connect(self._url, autocommit=True, connect_timeout=10)
        except psycopg.Error as exc:
            raise StoreError(f"cannot connect to Postgres: {_first_line(exc)}",
                             hint="check DATABASE_URL and that the server is running") from None

    def _sql(self, query: str) -> str:
        return query.replace("%", "%%").replace("?", "%s")

    @contextmanager
    def _transaction(self) -> Iterator[Any]:
        import psycopg

        with self._lock:
            # A hosted Postgres restarts, fails over or drops idle connections: reconnect instead of failing
            # every later call. What was in flight was rolled back by the server, so it is safe to go on.
            if self._conn.closed or self._conn.broken:
                self._conn = self._connect()
            try:
                with self._conn.transaction(), self._conn.cursor() as cur:
                    yield cur
            except psycopg.OperationalError as exc:
                raise StoreError(f"Postgres failed: {_first_line(exc)}",
                                 hint="the next call reconnects; check the database if this repeats") from None

    def _lock_platform(self, cur: Any, platform: str) -> bool:
        # The platform's row is the claim lock. It is waited for, not skipped (SKIP LOCKED): a claim holds
        # it for milliseconds, and a worker that skipped would take "locked" for "nothing to do" and
        # leave the queue idle until its next round while the other worker only looked and found a post
        # in flight.
        cur.execute("INSERT INTO platforms (platform) VALUES (%s) ON CONFLICT (platform) DO NOTHING", (platform,))
        cur.execute("SELECT platform FROM platforms WHERE platform = %s FOR UPDATE", (platform,))
        return bool(cur.fetchall())

    def _lock_for_migration(self, cur: Any) -> None:
        cur.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))

    def _run_script(self, cur: Any, script: str) -> None:
        cur.execute(script)

    def close(self) -> None:
        with self._lock:
            self._conn.close()


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
