"""SQLite backend: the default, a single file, safe for several processes on one machine.

WAL lets readers go on while one writer works; BEGIN IMMEDIATE takes the write lock up
front so two workers claiming the next post are serialised by SQLite itself.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from bot.errors import ConfigError, StoreError
from bot.store.sql import SqlStore


def path_from_url(url: str) -> str:
    """sqlite:///relative.db, sqlite:////absolute.db, sqlite:///:memory:"""
    rest = url.split(":", 1)[1]
    if not rest.startswith("///"):
        raise ConfigError("DATABASE_URL is not a SQLite URL (three slashes after 'sqlite:')",
                          hint="use sqlite:///bot.db, or sqlite:////srv/bot/bot.db for an absolute path")
    return rest[3:] or "bot.db"


LOCK_TIMEOUT = 60.0  # seconds a writer waits for another process's write lock


class SqliteStore(SqlStore):
    def __init__(self, url: str, *, secrets: Iterable[str] = (), lock_timeout: float | None = None) -> None:
        super().__init__(secrets)
        path = path_from_url(url)
        wait = lock_timeout or LOCK_TIMEOUT
        if path != ":memory:":
            folder = Path(path).parent
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                why = "a file of that name is in the way" if isinstance(exc, FileExistsError) else exc.strerror
                raise StoreError(f"cannot create the folder {str(folder)!r} for the SQLite database: {why or exc}",
                                 hint="check the path in DATABASE_URL and that the folder can be created") from None
        try:
            if path != ":memory:":
                _create_private(path)
            self._conn = sqlite3.connect(path, timeout=wait, isolation_level=None, check_same_thread=False)
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.execute(f"PRAGMA busy_timeout={int(wait * 1000)}")
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the SQLite database {path!r}: {exc}",
                             hint="check DATABASE_URL and that the folder is writable") from None
        # One connection shared by the worker's threads; sqlite3 objects are not safe to interleave.
        self._lock = threading.RLock()

    @contextmanager
    def _transaction(self) -> Iterator[Any]:
        with self._lock, self._errors_converted():
            cur = self._conn.cursor()
            cur.execute("BEGIN IMMEDIATE")
            try:
                yield cur
            except BaseException:
                cur.execute("ROLLBACK")
                raise
            else:
                cur.execute("COMMIT")
            finally:
                cur.close()

    @contextmanager
    def _reading(self) -> Iterator[Any]:
        # One SELECT is atomic on its own: taking the write lock for it (BEGIN IMMEDIATE) would only
        # make readers in other processes wait for writers.
        with self._lock, self._errors_converted():
            cur = self._conn.cursor()
            try:
                yield cur
            finally:
                cur.close()

    @contextmanager
    def _errors_converted(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.OperationalError as exc:  # locked for longer than the busy timeout, disk full, ...
            raise StoreError(f"the SQLite database failed: {exc}",
                             hint="several machines cannot share one SQLite file: use Postgres (DATABASE_URL)"
                             if "locked" in str(exc) else None) from None

    def _run_script(self, cur: Any, script: str) -> None:
        # executescript() would COMMIT our transaction; run the statements one by one instead.
        for statement in script.split(";"):
            if statement.strip():
                cur.execute(statement)

    def close(self) -> None:
        with self._lock:
            self._conn.close()


def _create_private(path: str) -> None:
    """A new database file is readable by its owner only (0600): it holds the queue and error texts. SQLite
    gives its -wal and -shm files the database file's mode. An existing file keeps the mode it has."""
    # It exists already, or cannot be made: then sqlite3.connect says why.
    with suppress(OSError):
        os.close(os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600))
