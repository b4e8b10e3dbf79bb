"""Database connections behind one small interface: SQLite (stdlib) and PostgreSQL (psycopg).

The SQL the store needs is a handful of inserts, one update and a few selects; it is written
once with ``?`` placeholders and only the DDL types and the placeholder style differ by
dialect, so no query builder is needed.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import sqlite3
import stat
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

log = logging.getLogger(__name__)


class StoreError(Exception):
    """The record database cannot be used."""


class StoreNotFound(StoreError):
    """The record database does not exist (and was not to be created)."""


class StoreLocked(StoreError):
    """Another engine holds the record database."""


_ENGINE_LOCK = 0x12329  # PostgreSQL advisory lock id held by the engine that owns the records


class Backend(Protocol):
    dialect: str

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int: ...
    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None: ...
    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]: ...
    def transaction(self) -> contextlib.AbstractContextManager[None]: ...
    def lock(self) -> None: ...
    def close(self) -> None: ...


def _owner_only(path: str) -> None:
    """Create the database file readable by its owner only (SQLite gives its WAL and shared
    memory files the same mode); an existing file open to others is narrowed, with a warning."""
    if path == ":memory:" or path.startswith("file:"):
        return
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
        return
    except FileExistsError:
        pass
    mode = stat.S_IMODE(os.stat(path).st_mode)
    if mode & 0o077:
        log.warning("record database %s was readable by others (mode %o): now 0600", path, mode)
        os.chmod(path, 0o600)
        for suffix in ("-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                os.chmod(path + suffix, 0o600)


class SqliteBackend:
    """One SQLite connection in WAL mode with ``synchronous=FULL``.

    WAL lets reports read while the engine writes. FULL fsyncs the WAL at every commit, so a
    committed batch survives a killed process and also a power cut or OS crash (NORMAL would
    survive the former only); batching makes that one fsync per batch, not per row.
    """

    dialect = "sqlite"

    def __init__(self, path: str, *, create: bool = True) -> None:
        self.path = path
        if not create and not Path(path).is_file():
            raise StoreNotFound(f"no record database at {path}")
        if create:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            _owner_only(path)
        try:
            self.conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False,
                                        timeout=10.0)
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=FULL")
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"cannot open record database {path}: {exc}") from None

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        return self.conn.execute(sql, params).rowcount

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        self.conn.executemany(sql, rows)

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self.conn.execute(sql, params).fetchall()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    def integrity_check(self) -> str:
        return self.conn.execute("PRAGMA integrity_check").fetchone()[0]

    def lock(self) -> None:
        """Hold an exclusive lock on ``<path>.lock`` until closed (or the process dies: the
        kernel drops it); ``StoreLocked`` naming the holder's pid when another one has it."""
        lock_path = Path(f"{self.path}.lock")
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise StoreLocked(f"{self.path} is in use by another engine (pid {holder})") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._lock_fd = fd

    def close(self) -> None:
        self.conn.close()
        fd, self._lock_fd = getattr(self, "_lock_fd", None), None
        if fd is not None:
            os.close(fd)


class PostgresBackend:
    """One psycopg (version 3) connection; ``?`` placeholders become ``%s``."""

    dialect = "postgresql"

    def __init__(self, url: str, *, create: bool = True) -> None:
        try:
            import psycopg
        except ImportError:
            raise StoreError("PostgreSQL records need the psycopg package "
                             "(pip install 'psycopg[binary]')") from None
        self._connect = lambda: psycopg.connect(url, autocommit=True, connect_timeout=5)
        try:
            self.conn = self._connect()
        except psycopg.OperationalError as exc:
            raise StoreNotFound(f"cannot connect to {_redact(url)}: {exc}") from None

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        return self.conn.execute(sql.replace("?", "%s"), params).rowcount

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        with self.conn.cursor() as cursor:
            cursor.executemany(sql.replace("?", "%s"), rows)

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self.conn.execute(sql.replace("?", "%s"), params).fetchall()

    def transaction(self) -> contextlib.AbstractContextManager[None]:
        if self.conn.broken:  # the server went away: the writer's retry reconnects here
            self.conn = self._connect()
        return self.conn.transaction()

    def lock(self) -> None:
        """Hold a session advisory lock on a connection of its own (the writer's may be
        replaced) until closed; ``StoreLocked`` naming the holder when another one has it."""
        conn = self._connect()
        if not conn.execute("SELECT pg_try_advisory_lock(%s)", (_ENGINE_LOCK,)).fetchone()[0]:
            row = conn.execute("SELECT pid FROM pg_locks WHERE locktype = 'advisory' "
                               "AND objid = %s AND granted", (_ENGINE_LOCK,)).fetchone()
            conn.close()
            holder = f"backend pid {row[0]}" if row else "unknown"
            raise StoreLocked(f"the database is in use by another engine ({holder})")
        self._lock_conn = conn

    def close(self) -> None:
        self.conn.close()
        conn, self._lock_conn = getattr(self, "_lock_conn", None), None
        if conn is not None:
            conn.close()


def _redact(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        return url.replace(f":{parts.password}@", ":***@")
    return url


def sqlite_path(url: str) -> str | None:
    """The file of a ``sqlite:///relative.db`` or ``sqlite:////absolute.db`` URL (or a plain
    path); None when ``url`` names another database."""
    if url.startswith("sqlite:///"):
        return url[len("sqlite:///"):]
    if "://" in url:
        return None
    return url


def connect(url: str, *, create: bool = True) -> SqliteBackend | PostgresBackend:
    path = sqlite_path(url)
    if path is not None:
        if not path:
            raise StoreError(f"no file name in {url!r}")
        return SqliteBackend(path, create=create)
    scheme = url.split("://", 1)[0]
    if scheme in ("postgresql", "postgres"):
        return PostgresBackend(url, create=create)
    raise StoreError(f"unsupported record database URL {_redact(url)!r}; "
                     "use sqlite:///path.db or postgresql://...")
