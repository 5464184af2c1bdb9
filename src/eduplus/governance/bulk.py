"""Big set-based writes into the embedded SQLite database.

A B-tree index costs every written row a random insert; once an index no longer fits
SQLite's page cache, each of those inserts reads and writes pages from disk, and a
write of millions of rows slows down by an order of magnitude (measured: resolving 2
million people spent 600 s writing, 20 s in Splink). So a big write runs with a large
page cache and, when it writes a good share of a table, without the secondary indexes
it touches; they are rebuilt by sorting, once, before the commit. Everything happens
inside the caller's transaction: a failure rolls the ``DROP INDEX`` back too, and a
unique index rebuilt over a duplicate fails the transaction like the row would have.

PostgreSQL needs none of this (``COPY`` and its own buffer management); there the
context manager does nothing.

One thing happens after the caller's transaction: copying the write-ahead log of a big
commit into the database file, in a second thread (:func:`sqlite_checkpoint_after`).
"""

from __future__ import annotations

import logging
import os
import queue
import re
import shutil
import tempfile
import threading
from collections.abc import (
    Callable,
    Collection,
    Generator,
    Iterable,
    Iterator,
    Mapping,
    Sequence,
)
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from django.conf import settings
from django.db import connection

if TYPE_CHECKING:
    import duckdb

T = TypeVar("T")
logger = logging.getLogger(__name__)

# Page cache while a big write runs (KiB).
BULK_CACHE_KIB = int(os.environ.get("EDUPLUS_SQLITE_BULK_CACHE_MIB", "512")) * 1024
# Rows written below which nothing changes.
BULK_MIN_ROWS = 20_000
# Drop a table's touched indexes when the rows written are at least this share of the
# rows the table will hold: rebuilding sorts the whole table (~5 µs a row here), while
# each indexed row written costs ~15 µs more with the index in place, far more once
# the index outgrows the cache.
REBUILD_MIN_SHARE = float(os.environ.get("EDUPLUS_SQLITE_REBUILD_SHARE", "0.3"))
SORT_THREADS = min(4, os.cpu_count() or 1)
# Page cache while the dropped indexes are rebuilt (KiB). SQLite sorts an index's keys
# in runs of the cache's size, each by a helper thread, then merges them: in runs of
# 2 MiB (sorted within the processor's caches, two at once) the resolution's 18 indexes
# over 2 million persons took 6.7–8.1 s; in one run of 512 MiB, 16.2 s, helper threads
# or not.
SORT_CACHE_KIB = int(os.environ.get("EDUPLUS_SQLITE_SORT_CACHE_KIB", "2048"))


def table_rows(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608
        row = cursor.fetchone()
    return int(row[0]) if row else 0


def _indexes(
    table: str, columns: set[str] | None, in_order: Collection[str] = ()
) -> list[tuple[str, str]]:
    """(name, CREATE statement) of the table's explicit indexes, optionally only those
    over one of ``columns``, and not those led by a column of ``in_order``. Automatic
    indexes (primary keys, UNIQUE columns) stay."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
            "AND tbl_name = %s ORDER BY name",
            [table],
        )
        found = [(str(name), str(sql)) for name, sql in cursor.fetchall()]
    wanted = []
    for name, sql in found:
        listed = re.findall(r'"([^"]+)"', sql.split(" ON ", 1)[1]) if " ON " in sql else []
        indexed = listed[1:]  # after the table's name
        if columns is not None and not set(indexed) & columns:
            continue
        if indexed and indexed[0] in in_order:
            continue
        wanted.append((name, sql))
    return wanted


@contextmanager
def sqlite_bulk(
    writes: Mapping[str, tuple[int, set[str] | None]],
    in_order: Mapping[str, Collection[str]] | None = None,
) -> Iterator[list[str]]:
    """Around a big write inside a transaction, deciding what to drop.

    ``writes`` maps each table to (rows about to be written, the columns an UPDATE
    changes — ``None`` for an INSERT, which touches every index). ``in_order`` names,
    per table, the columns the rows arrive sorted by (or all alike): indexes led by one
    of them take the rows as appends and stay. Yields the names of the indexes dropped
    (see :func:`sqlite_bulk_tables`).
    """
    total = sum(rows for rows, _columns in writes.values())
    if connection.vendor != "sqlite" or total < BULK_MIN_ROWS:
        yield []
        return
    drop: dict[str, set[str] | None] = {}
    for table, (rows, columns) in writes.items():
        if rows < BULK_MIN_ROWS:
            continue
        existing = table_rows(table)
        holds = existing + rows if columns is None else existing
        if holds and rows >= REBUILD_MIN_SHARE * holds:
            drop[table] = columns
    with sqlite_bulk_tables(drop, in_order) as dropped:
        yield dropped


@contextmanager
def sqlite_bulk_tables(
    drop: Mapping[str, set[str] | None], in_order: Mapping[str, Collection[str]] | None = None
) -> Iterator[list[str]]:
    """A big write inside a transaction: a large page cache, and without the indexes of
    each table in ``drop`` (those over the given columns; ``None``: all of them; never
    those led by a column of ``in_order[table]``, whose rows arrive in their order).
    Yields the names of the indexes dropped; they are rebuilt on a clean exit (on an
    exception the caller's rollback restores them). Does nothing off SQLite."""
    if connection.vendor != "sqlite":
        yield []
        return
    saved: list[tuple[str, str]] = []
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        row = cursor.fetchone()
        cache = int(row[0]) if row else -2000
        cursor.execute("PRAGMA cache_spill")  # 0: off; else on, at the cache's size
        row = cursor.fetchone()
        spill = "1" if not row or row[0] else "OFF"
        cursor.execute(f"PRAGMA cache_size = -{BULK_CACHE_KIB}")
        # Helper threads for the sorts of the index rebuilds (SQLite's default is none).
        cursor.execute("PRAGMA threads")
        row = cursor.fetchone()
        threads = int(row[0]) if row else 0
        cursor.execute(f"PRAGMA threads = {SORT_THREADS}")
        for table, columns in drop.items():
            for name, sql in _indexes(table, columns, (in_order or {}).get(table, ())):
                cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
                saved.append((name, sql))
    try:
        yield [name for name, _sql in saved]
        with connection.cursor() as cursor:
            if saved:
                # Small sort runs, while the pages the write made stay in memory up to
                # the bulk cache's size as before: spilling them to the log made each
                # later index read them back from it (3 indexes over 2 million records
                # written in the same transaction: 4.0 s in one run of 512 MiB, 3.6 s
                # in runs of 2 MiB that spilled, 2.3 s in runs of 2 MiB that did not).
                # (In KiB, negative: a number of pages whose lowest byte is 0 reads as
                # OFF, which would let the dirty pages grow without bound.)
                cursor.execute(f"PRAGMA cache_spill = -{BULK_CACHE_KIB}")
                cursor.execute(f"PRAGMA cache_size = -{SORT_CACHE_KIB}")
            for _name, sql in saved:
                cursor.execute(sql)
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {cache}")
            cursor.execute(f"PRAGMA cache_spill = {spill}")
            cursor.execute(f"PRAGMA threads = {threads}")


def _sqlite_outside_transaction(enabled: bool) -> bool:
    """Whether a pragma around a transaction can change now: asked for, on SQLite, and
    outside any transaction (the pragmas that matter cannot change inside one); the
    connection is then open."""
    if not enabled or connection.vendor != "sqlite" or connection.in_atomic_block:
        return False
    connection.ensure_connection()
    return True


@contextmanager
def sqlite_foreign_keys_unchecked(enabled: bool = True) -> Iterator[bool]:
    """Around a transaction that writes many rows whose references the caller checks
    set-based (once per distinct value) instead of SQLite once per row and reference
    (a quarter of the cost of an imported row). Yields whether the checks are off: the
    pragma cannot change inside a transaction, so inside one (as in the tests) they
    stay on. Does nothing off SQLite."""
    if not _sqlite_outside_transaction(enabled):
        yield False
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA foreign_keys = OFF")
    try:
        yield True
    finally:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA foreign_keys = ON")


# ------------------------------------------------------------ deferred checkpoint

_checkpoint_lock = threading.Lock()
_checkpoints: list[threading.Thread] = []


@contextmanager
def sqlite_checkpoint_after(enabled: bool = True) -> Iterator[bool]:
    """Around a big write transaction: its commit does not copy the write-ahead log into
    the database file itself (SQLite's automatic checkpoint, gigabytes after a big
    import, mostly waiting for the disk); a second thread does that right after, on its
    own connection, while the caller goes on (readers see the data from the log
    meanwhile; a checkpoint cut short is finished by the next one: the next big write's,
    or SQLite's automatic one after some later commit). The log cannot restart while a
    write follows at once (the batches of one import), so it grows to their sum until
    then. Yields whether it is deferred: only outside any transaction, on a file
    database in WAL mode."""
    if not _sqlite_outside_transaction(enabled):
        yield False
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        row = cursor.fetchone()
        if not row or str(row[0]).lower() != "wal":
            yield False
            return
        cursor.execute("PRAGMA wal_autocheckpoint")
        row = cursor.fetchone()
        every = int(row[0]) if row else 1000
        cursor.execute("PRAGMA wal_autocheckpoint = 0")
    try:
        yield True
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA wal_autocheckpoint = {every}")
        _checkpoint_later(str(connection.settings_dict["NAME"]))


def _checkpoint_later(path: str) -> None:
    def run() -> None:
        import sqlite3  # the process's SQLite (eduplus/__init__.py)

        with _checkpoint_lock:
            try:
                # mode=rw: a database deleted meanwhile is not created again, empty.
                con = sqlite3.connect(f"file:{path}?mode=rw", uri=True, timeout=20)
                try:
                    con.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                finally:
                    con.close()
            except Exception:  # best effort: a later checkpoint copies what this did not
                logger.warning("checkpoint after a big write failed", exc_info=True)

    # Not a daemon: a command's process waits for it before it exits.
    thread = threading.Thread(target=run, name="eduplus-checkpoint")
    _checkpoints[:] = [t for t in _checkpoints if t.is_alive()]
    _checkpoints.append(thread)
    thread.start()


def checkpoints_wait() -> None:
    """Until the checkpoints :func:`sqlite_checkpoint_after` started have finished."""
    for thread in list(_checkpoints):
        thread.join()


# The places rows name: column, table, key.
PLACES = (("school_id", "schools_school", "id"), ("region_id", "regions_region", "code"))


def places_named(con: Any, table: str) -> dict[str, list[Any]]:
    """The distinct schools and regions (``school_id``, ``region_id``) that the rows of
    DuckDB table ``table`` name."""
    return {
        column: [
            row[0]
            for row in con.execute(
                f"SELECT DISTINCT {column} FROM {table} WHERE {column} IS NOT NULL"  # noqa: S608
            ).fetchall()
        ]
        for column, _table, _key in PLACES
    }


def missing_places(named: Mapping[str, list[Any]]) -> list[Any]:
    """Which of the schools and regions :func:`places_named` found the database no
    longer holds (once per distinct value, in the caller's transaction)."""
    missing: list[Any] = []
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for column, table, key in PLACES:
            values = list(named.get(column, []))
            found: set[Any] = set()
            for start in range(0, len(values), 500):
                chunk = values[start : start + 500]
                marks = ", ".join(["%s"] * len(chunk))
                cursor.execute(
                    f"SELECT {quote(key)} FROM {quote(table)} "  # noqa: S608 - fixed names
                    f"WHERE {quote(key)} IN ({marks})",
                    chunk,
                )
                found.update(row[0] for row in cursor.fetchall())
            missing.extend(v for v in values if v not in found)
    return missing


@contextmanager
def sqlite_big_cache() -> Iterator[None]:
    """A large page cache for a big read (an export joining millions of rows)."""
    with sqlite_bulk_tables({}):
        yield


class Background:
    """``work()`` in a second thread from now on; :meth:`join` waits for it and raises
    its error. For DuckDB work that overlaps a long SQLite step (which releases the
    interpreter): the caller must not use what ``work`` uses until it has joined."""

    def __init__(self, work: Callable[[], Any]) -> None:
        self._error: BaseException | None = None

        def run() -> None:
            try:
                work()
            except BaseException as exc:  # handed to join()
                self._error = exc

        self._thread = threading.Thread(target=run, name="eduplus-background", daemon=True)
        self._thread.start()

    def join(self, *, raise_error: bool = True) -> None:
        self._thread.join()
        if self._error is not None and raise_error:
            raise self._error


class _Failure:
    def __init__(self, error: BaseException) -> None:
        self.error = error


_END = object()


def prefetched(items: Iterable[T], depth: int = 2) -> Generator[T, None, None]:
    """``items``, made in a second thread up to ``depth`` ahead of the caller.

    For a write loop whose items are rows converted from DuckDB to Python (holding the
    interpreter) while SQLite writes the previous ones (releasing it in each step): on
    two cores the conversion mostly hides behind the write. The producer must not touch
    what the caller uses meanwhile (the Django connection). An error in the producer is
    raised in the caller; a caller that stops early stops the producer.
    """
    channel: queue.Queue[Any] = queue.Queue(maxsize=max(1, depth))
    stop = threading.Event()

    def put(item: Any) -> bool:
        while not stop.is_set():
            try:
                channel.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put(item):
                    return
        except BaseException as exc:  # handed to the caller
            put(_Failure(exc))
            return
        put(_END)

    worker = threading.Thread(target=produce, name="eduplus-prefetch", daemon=True)
    worker.start()
    try:
        while True:
            item = channel.get()
            if item is _END:
                return
            if isinstance(item, _Failure):
                raise item.error
            yield item
    finally:
        stop.set()
        worker.join()


# Rows per CSV file handed from DuckDB to SQLite (a progress step; while SQLite reads
# one file DuckDB writes the next).
COPY_CHUNK_ROWS = int(os.environ.get("EDUPLUS_SQLITE_COPY_CHUNK", "250000"))


def sqlite_copy_available() -> bool:
    """Whether this SQLite has the ``vsv`` CSV reader (see ``eduplus/__init__.py``)."""
    if connection.vendor != "sqlite":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pragma_module_list WHERE name = 'vsv'")
        return cursor.fetchone() is not None


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


class CopyError(ValueError):
    """Values :func:`sqlite_copy` cannot carry into SQLite unchanged."""


def sqlite_copy(
    con: duckdb.DuckDBPyConnection,
    select: str,
    table: str,
    columns: Sequence[str],
    *,
    constants: Mapping[str, str] | None = None,
    conflict: str = "",
    progress: Callable[[int, int], None] | None = None,
    chunk_rows: int | None = None,
    rows_of: str | None = None,
) -> int:
    """``INSERT INTO table (columns…) SELECT …`` from a DuckDB query into SQLite, at C
    speed on both sides: DuckDB writes the rows as CSV files of ``chunk_rows`` rows, and
    SQLite reads each through the ``vsv`` virtual table in one ``INSERT … SELECT`` (no
    Python tuple per row: ~3 µs a row against ~10 µs for ``executemany`` with its
    conversion, and the interpreter lock is free meanwhile). DuckDB writes the next file
    while SQLite reads one. Runs in the caller's transaction; returns the rows written.

    ``select`` yields the values of ``columns`` in that order, in the order the rows
    should be written. What arrives is what ``executemany`` would have stored: NULL
    stays NULL, empty text stays empty text, text that looks like a number stays text
    and the column's affinity turns numbers back into numbers; booleans become 0/1,
    dates ISO text. Text loses NUL characters (SQLite's CSV reader ends a value at one;
    no value of the platform means anything by them). Infinite or NaN numbers raise
    :class:`CopyError`. ``constants`` are columns given as SQLite SQL; ``conflict`` an
    upsert clause (``ON CONFLICT …``). ``progress`` is called with (rows written,
    total) after each file.

    ``rows_of``: ``select`` reads every row of this DuckDB table (no WHERE, no ORDER
    BY), whose own order is the order to write: each file then takes its rows by row id
    straight from it, where the rows were otherwise first copied into a temporary table
    (2 million golden records: 0.9 s). Its row ids must run without gaps (a table
    created, not deleted from): a gap makes a file short, which is refused.
    """
    if not sqlite_copy_available():
        raise RuntimeError(
            "This SQLite has no vsv CSV reader: install the locked dependencies "
            "(sqlean.py, see eduplus/__init__.py)."
        )
    if rows_of is not None and conflict:
        # An upsert may skip rows on purpose: a file short of a gap could not be told.
        raise ValueError("rows_of cannot be combined with an upsert")
    constants = dict(constants or {})
    size = max(1, chunk_rows or COPY_CHUNK_ROWS)
    workdir: Path | None = None
    chunks: Generator[tuple[Path, int], None, None] | None = None
    try:
        if rows_of is None:
            con.execute(f"CREATE OR REPLACE TEMP TABLE bulk_copy_rows AS {select}")
            rows_sql, counted = "SELECT * FROM bulk_copy_rows", "bulk_copy_rows"
        else:
            rows_sql, counted = select, rows_of
        described = con.execute(f"DESCRIBE {rows_sql}").fetchall()
        if len(described) != len(columns):
            raise CopyError(f"{len(described)} values for {len(columns)} columns of {table}")
        row = con.execute(f"SELECT count(*) FROM {counted}").fetchone()  # noqa: S608
        total = int(row[0]) if row else 0
        if not total:
            return 0
        # A leading constant column: SQLite's reader drops a byte-order mark at the start
        # of a file, which would otherwise be the first value's own first character.
        fields = ["0"]
        for name, kind, *_rest in described:
            column = '"' + str(name).replace('"', '""') + '"'
            kind = str(kind).upper()
            if kind == "BOOLEAN":
                fields.append(f"CAST({column} AS INTEGER)")
            elif kind == "VARCHAR":
                fields.append(f"replace({column}, chr(0), '')")
            elif kind in ("DOUBLE", "FLOAT", "REAL"):
                bad = con.execute(
                    f"SELECT count(*) FROM ({rows_sql}) WHERE NOT isfinite({column})"  # noqa: S608
                ).fetchone()
                if bad and bad[0]:
                    raise CopyError(f"{bad[0]} values of {table}.{name} are not finite numbers")
                fields.append(column)
            else:
                fields.append(column)
        quote = connection.ops.quote_name
        width = len(columns)
        targets = ", ".join(quote(c) for c in [*columns, *constants])
        values = ", ".join([*(f"c{i + 1}" for i in range(width)), *constants.values()])
        # "WHERE true" keeps SQLite from reading an upsert's ON as a join constraint.
        insert = (
            f"INSERT INTO {quote(table)} ({targets}) SELECT {values} "  # noqa: S608
            f"FROM temp.bulk_copy_file WHERE true {conflict}"
        )
        workdir = Path(tempfile.mkdtemp(prefix="copy-", dir=_copy_dir()))
        folder = workdir

        def files() -> Iterator[tuple[Path, int]]:
            for number, start in enumerate(range(0, total, size)):
                path = folder / f"{number}.csv"
                # rowid: of the temporary table, or of rows_of (select's one table).
                con.execute(
                    f"COPY (SELECT {', '.join(fields)} FROM ({rows_sql} "  # noqa: S608
                    f"WHERE rowid >= {start} AND rowid < {start + size})) "
                    f"TO {_sql_string(str(path))} (FORMAT csv, HEADER false)"
                )
                yield path, min(size, total - start)

        done = 0
        chunks = prefetched(files(), depth=1)
        with connection.cursor() as cursor:
            for path, rows in chunks:
                cursor.execute(
                    "CREATE VIRTUAL TABLE temp.bulk_copy_file USING vsv("
                    f"filename={_sql_string(str(path))}, columns={width + 1}, nulls=on)"
                )
                try:
                    cursor.execute(insert)
                    # Every row of the file arrived (an upsert may skip some on purpose).
                    if not conflict and cursor.rowcount != rows:
                        raise CopyError(f"{cursor.rowcount} of {rows} rows reached {table}")
                finally:
                    cursor.execute("DROP TABLE temp.bulk_copy_file")
                path.unlink()
                done += rows
                if progress is not None:
                    progress(done, total)
        return done
    finally:
        if chunks is not None:
            chunks.close()  # stops DuckDB's writer before the caller uses its connection
        with suppress(Exception):
            con.execute("DROP TABLE IF EXISTS bulk_copy_rows")
        if workdir is not None:
            shutil.rmtree(workdir, ignore_errors=True)


def _copy_dir() -> Path:
    path = Path(getattr(settings, "GOVERNANCE_DIR", settings.VAR_DIR)) / "tmp"
    path.mkdir(parents=True, exist_ok=True)
    return path
