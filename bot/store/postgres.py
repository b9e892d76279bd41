"""Postgres backend, for hosted workers and for several workers sharing the work.

A row lock on the platform's row serialises claims (one post in flight per platform); the
outbox's unique (article, platform) key makes concurrent polls of the same feed queue each
post once; an advisory lock serialises migrations when several processes start at once.

Every wait is bounded, so a stuck database gives one line and an exit instead of a hung run: a lock
held by another session (lock_timeout), a statement (statement_timeout), a session of ours left idle
inside a transaction, and TCP keepalives on both ends: the server notices a worker whose host vanished
and releases its locks; we notice a server that is gone.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from bot.errors import StoreError
from bot.redact import userinfo_secrets
from bot.store.sql import SqlStore

_MIGRATION_LOCK = 0x0B07_5EED
LOCK_TIMEOUT = 15.0  # seconds; a claim holds its lock for milliseconds, a big poll's insert for a second or so
CONNECT_TIMEOUT = 10
# TCP keepalives, on both ends: a peer silent for 10 s is probed every 5 s and dropped after 3 unanswered probes.
_KEEPALIVES = {"idle": 10, "interval": 5, "count": 3}
# libpq's side, unless DATABASE_URL says otherwise; tcp_user_timeout also drops a server that stopped
# acknowledging what we sent (keepalives only probe an idle connection).
_CLIENT = {"keepalives": "1", **{f"keepalives_{k}": str(v) for k, v in _KEEPALIVES.items()},
           "tcp_user_timeout": "30000", "connect_timeout": str(CONNECT_TIMEOUT)}


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
    skip_locked = " FOR UPDATE SKIP LOCKED"
    # clock_timestamp(), not now(): now() is the transaction's start, and a claim may wait for a lock.
    now_expression = "CAST(EXTRACT(EPOCH FROM clock_timestamp()) AS DOUBLE PRECISION)"

    def __init__(self, url: str, *, secrets: Iterable[str] = (), lock_timeout: float | None = None,
                 reading: bool = False) -> None:
        # `reading` needs nothing here: a Postgres store is reached over a connection, not a file.
        # libpq may quote the connection string back in an error: its password is redacted like any secret.
        super().__init__([*secrets, *userinfo_secrets(url, lone_user=False)])
        self._url = normalise_url(url)
        self._lock_timeout = lock_timeout or LOCK_TIMEOUT
        self._lock = threading.RLock()
        self._conn = self._connect()

    def _connect(self) -> Any:
        import psycopg
        from psycopg.conninfo import conninfo_to_dict, make_conninfo

        lock_ms = int(self._lock_timeout * 1000)
        # A statement includes its lock waits: twice the lock timeout lets the clearer lock message win.
        session = {"lock_timeout": lock_ms, "statement_timeout": 2 * lock_ms,
                   "idle_in_transaction_session_timeout": 2 * lock_ms,
                   **{f"tcp_keepalives_{k}": v for k, v in _KEEPALIVES.items()}}
        try:
            conninfo = make_conninfo("", **{**_CLIENT, **conninfo_to_dict(self._url)})
            conn = psycopg.connect(conninfo, autocommit=True)
        except psycopg.Error as exc:
            raise StoreError(f"cannot connect to Postgres: {self._redact(_first_line(exc))}",
                             hint="check DATABASE_URL and that the server is running") from None
        try:
            # SET, not the `options` parameter: DATABASE_URL may carry options of its own (a search_path).
            conn.execute("SELECT " + ", ".join(f"set_config('{name}', %s, false)" for name in session),
                         [str(v) for v in session.values()])
        except psycopg.Error as exc:
            conn.close()
            raise StoreError(f"cannot set up the Postgres session: {_first_line(exc)}") from None
        return conn

    def _sql(self, query: str) -> str:
        return query.replace("%", "%%").replace("?", "%s")

    @contextmanager
    def _transaction(self) -> Iterator[Any]:
        with self._lock, self._errors_converted(), self._live().transaction(), self._conn.cursor() as cur:
            yield cur

    @contextmanager
    def _reading(self) -> Iterator[Any]:
        # One SELECT is atomic on its own: in autocommit it needs no BEGIN and COMMIT, two round trips of
        # three (a cycle reads every feed's state, a thousand reads).
        with self._lock, self._errors_converted(), self._live().cursor() as cur:
            yield cur

    def _live(self) -> Any:
        # A hosted Postgres restarts, fails over or drops idle connections: reconnect instead of failing
        # every later call. What was in flight was rolled back by the server, so it is safe to go on.
        if self._conn.closed or self._conn.broken:
            self._conn = self._connect()
        return self._conn

    @contextmanager
    def _errors_converted(self) -> Iterator[None]:
        import psycopg

        try:
            yield
        except psycopg.errors.LockNotAvailable:
            raise StoreError(f"Postgres: waited {self._lock_timeout:g} s for a lock held by another session",
                             hint="another worker, or a session left open, holds it: see pg_stat_activity; "
                             "BOT_DB_LOCK_TIMEOUT_SECONDS sets the wait") from None
        except psycopg.errors.QueryCanceled as exc:
            why = (f"a statement ran longer than {2 * self._lock_timeout:g} s" if "statement timeout" in str(exc)
                   else _first_line(exc))
            raise StoreError(f"Postgres: {why}", hint="check the database's load and locks") from None
        except (psycopg.errors.UndefinedTable, psycopg.errors.InvalidSchemaName) as exc:
            raise StoreError(f"Postgres: the bot's tables are gone: {_first_line(exc)}",
                             hint="check DATABASE_URL; `bot db upgrade` creates them") from None
        except psycopg.OperationalError as exc:
            raise StoreError(f"Postgres failed: {self._redact(_first_line(exc))}",
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
