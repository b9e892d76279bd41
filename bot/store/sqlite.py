"""SQLite backend: the default, a single file, safe for several processes on one machine.

WAL lets readers go on while one writer works; BEGIN IMMEDIATE takes the write lock up
front so two workers claiming the next post are serialised by SQLite itself.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import urllib.parse
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


# A command that only reads (status, history) waits this long for a lock, not a worker's minute:
# in WAL mode readers never wait for writers, so a lock that outlasts it is held on purpose.
READER_BUSY_SECONDS = 5.0
LOCK_TIMEOUT = 60.0  # seconds a writer waits for another process's write lock


class SqliteStore(SqlStore):
    def __init__(self, url: str, *, secrets: Iterable[str] = (), lock_timeout: float | None = None,
                 reading: bool = False) -> None:
        """`reading`: for commands that only read. A file or folder that is not writable is then
        opened read-only (and not migrated) instead of refused."""
        super().__init__(secrets)
        path = path_from_url(url)
        self._path = path
        busy = (lock_timeout or READER_BUSY_SECONDS) if reading else (lock_timeout or LOCK_TIMEOUT)
        # Only an existing file is opened read-only: one that is not there yet is created as usual, or
        # refused saying why (a folder that cannot be made, a file in its way).
        self.read_only = reading and path != ":memory:" and Path(path).is_file() and not _writable(Path(path))
        if path != ":memory:" and not self.read_only:
            folder = Path(path).parent
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                why = "a file of that name is in the way" if isinstance(exc, FileExistsError) else exc.strerror
                raise StoreError(f"cannot create the folder {str(folder)!r} for the SQLite database: {why or exc}",
                                 hint="check the path in DATABASE_URL and that the folder can be created") from None
        try:
            if self.read_only:
                self._conn = _connect_read_only(Path(path), busy)
            else:
                if path != ":memory:":
                    _create_private(path)
                self._conn = sqlite3.connect(path, timeout=busy, isolation_level=None, check_same_thread=False)
                self._conn.execute("PRAGMA journal_mode=WAL")
                self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.execute(f"PRAGMA busy_timeout={int(busy * 1000)}")
        except (sqlite3.Error, OSError) as exc:
            unwritable = path != ":memory:" and not self.read_only and not _writable(Path(path))
            raise _store_error(f"cannot open the SQLite database {path!r}", exc, unwritable) from None
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
            raise _store_error("the SQLite database failed", exc) from None

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


def _store_error(what: str, exc: BaseException, unwritable: bool = False) -> StoreError:
    """One message per cause: a lock is not a permission problem, and the fixes differ."""
    text = str(exc)
    if "locked" in text:
        return StoreError(f"{what}: it is locked by another process ({text})",
                          hint="a worker or `bot db upgrade` may be holding it: try again in a moment; if it stays "
                               "locked, stop stuck bot processes (several machines cannot share one SQLite file: "
                               "use Postgres)")
    if "readonly" in text or unwritable:
        return StoreError(f"{what}: the file or its folder is not writable ({text})",
                          hint="`bot status` and `bot history` can still read it; everything else needs write "
                               "access, or a DATABASE_URL that is writable")
    return StoreError(f"{what}: {text}", hint="check DATABASE_URL and that the file and its folder are writable")


def _writable(path: Path) -> bool:
    """Whether this process can write the database and the journal files beside it. Tried, not
    guessed from permission bits: root passes those, but not a read-only mount or an immutable file."""
    import tempfile  # here: with shutil, bz2 and lzma it is a few milliseconds of every start otherwise

    try:
        if path.exists():
            os.close(os.open(path, os.O_RDWR))
        with tempfile.TemporaryFile(dir=path.parent or "."):
            pass
    except OSError:
        return False
    return True


def _connect_read_only(path: Path, busy: float) -> sqlite3.Connection:
    if not path.is_file():
        raise sqlite3.OperationalError(f"{path} does not exist, and its folder is not writable to create it")
    uri = "file:" + urllib.parse.quote(str(path.resolve()))
    try:
        conn = sqlite3.connect(uri + "?mode=ro", uri=True, timeout=busy, isolation_level=None,
                               check_same_thread=False)
        conn.execute("SELECT 1 FROM sqlite_master LIMIT 1")
        return conn
    except sqlite3.OperationalError as exc:
        if "unable to open" not in str(exc):
            raise
    # A folder that is not writable cannot take the WAL's shared-memory file: read the file as it is
    # (nothing can be writing it, for the same reason).
    return sqlite3.connect(uri + "?mode=ro&immutable=1", uri=True, timeout=busy, isolation_level=None,
                           check_same_thread=False)
