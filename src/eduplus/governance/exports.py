"""Exports for stewards and for checking from outside (CSV, UTF-8 with BOM for Excel).

- links: one row per usable source record → ``source, record_key, person_id``
  (person_id is the golden identifier, G/L/J…; rejected rows have no person and are
  not exported).
- persons: one row per golden person with its golden values.

On SQLite the rows reach Python joined into one text per slice; elsewhere they go
through Python's csv module one by one. Both write the same bytes (tested).
"""

from __future__ import annotations

import csv
import itertools
import os
import shutil
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from django.db import OperationalError, connection

from eduplus.governance.bulk import (
    BULK_CACHE_KIB,
    sqlite_big_cache,
    sqlite_copy_available,
)

LINK_COLUMNS = ["source", "record_key", "person_id"]
PERSON_COLUMNS = [
    "person_id",
    "name",
    "gender",
    "birth_date",
    "id_number",
    "ethnicity",
    "person_type",
    "school_code",
    "school_name",
    "region_code",
    "grade",
    "class_name",
    "address",
    "guardian_phone",
    "aid_status",
    "health_result",
    "subject",
    "title",
    "records",
    "sources",
]


@dataclass(frozen=True)
class _Query:
    """An export's rows: ``fields`` (SQL expressions) FROM ``source``, in the order of
    ``keys`` (unique together and indexed, so that the rows can be read in keyset
    slices); ``position`` is one integer that grows with that order."""

    fields: list[str]
    source: str
    keys: list[str]
    position: str
    # The table of ``source`` whose key index splits an export into ranges (with the
    # alias the keys use).
    driver: str

    def sql(self) -> str:
        return (
            f"SELECT {', '.join(self.fields)} FROM {self.source} "  # noqa: S608 - fixed SQL
            f"ORDER BY {', '.join(self.keys)}"
        )


_LINKS = _Query(
    ["s.code", "r.record_key", "p.golden_id"],
    "governance_sourcerecord r "
    "JOIN governance_sourcesystem s ON s.id = r.source_id "
    "JOIN governance_recordlink l ON l.record_id = r.id "
    "JOIN people_person p ON p.id = l.person_id",
    ["r.batch_id", "r.row_number"],
    "r.batch_id * 4294967296 + r.row_number",  # row numbers stay below 2^32
    "governance_sourcerecord r",
)
_PERSONS = _Query(
    [
        "p.golden_id",
        "p.name",
        "p.gender",
        # The date as stored (ISO text): no conversion to a date object and back.
        "p.birth_date || ''",
        "p.id_number",
        "p.ethnicity",
        "g.person_type",
        "sc.code",
        "sc.name",
        "g.region_id",
        "g.grade",
        "g.class_name",
        "g.address",
        "g.guardian_phone",
        "g.aid_status",
        "g.health_result",
        "g.subject",
        "g.title",
        "g.record_count",
        "g.source_count",
    ],
    "governance_goldenrecord g "
    "JOIN people_person p ON p.id = g.person_id "
    "LEFT JOIN schools_school sc ON sc.id = g.school_id",
    # In the golden table's own order: sequential reads, where the order of the golden
    # identifier made every row a random lookup (2 million people: 125 s).
    ["g.person_id"],
    "g.person_id",
    "governance_goldenrecord g",
)


def _write(path: Path, header: list[str], query: _Query) -> int:
    """The rows through Python's csv module (PostgreSQL; on SQLite, the reference that
    :func:`_write_sqlite` is tested against)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with (
        path.open("w", encoding="utf-8-sig", newline="") as fh,
        sqlite_big_cache(),
        connection.cursor() as cursor,
    ):
        writer = csv.writer(fh)
        writer.writerow(header)
        cursor.execute(query.sql())
        while True:
            rows = cursor.fetchmany(50_000)
            if not rows:
                break
            writer.writerows(rows)  # the csv module writes None as an empty cell
            count += len(rows)
    return count


# Rows SQLite joins into one text per round trip.
SQLITE_CHUNK = 50_000
# Between the values of a row and between rows in SQLite's text (the ASCII unit and
# record separators, which no value holds; a slice where one does is written the slow
# way).
# The text comes as bytes (UTF-8: no byte of a multibyte character is ASCII), which
# Python counts and replaces without decoding and encoding it again.
_UNIT, _RECORD = b"\x1f", b"\x1e"
_SPECIAL = (b",", b'"', b"\n", b"\r")


def _write_sqlite(path: Path, header: list[str], query: _Query) -> int:
    """SQLite: the same file as :func:`_write`. SQLite joins each slice of SQLITE_CHUNK
    rows (read in keyset order) into one text, values and rows separated by control
    characters, which Python turns into CSV with two replacements when no value needs
    quoting, and otherwise through the csv module. Reading every value into Python was
    two thirds of the time (2 million persons: 18 s).

    A big export outside a transaction is read in EXPORT_READERS key ranges at once,
    each on a connection of its own (SQLite releases the interpreter while it reads),
    all in one snapshot of the database; the ranges after the first are written to
    files of their own and appended in order."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with sqlite_big_cache(), _read_snapshot(query) as readers:
        if readers is None:
            with path.open("w", encoding="utf-8-sig", newline="") as fh:
                csv.writer(fh).writerow(header)
                with connection.cursor() as cursor:
                    return _write_range(_django_execute(cursor), fh, query, None, None)
        return _write_ranges(path, header, query, readers)


# Big exports read this many key ranges at once on SQLite (one per core, up to four).
EXPORT_READERS = max(
    1, int(os.environ.get("EDUPLUS_EXPORT_READERS", "0")) or min(4, os.cpu_count() or 1)
)
# ... from this many rows of the driving table on.
PARALLEL_MIN_ROWS = 100_000
# How much of the database file each reader maps (SQLite caps it at its own limit).
EXPORT_MMAP_BYTES = 1 << 40

_Execute = Callable[[str, Sequence[Any]], Any]


def _django_execute(cursor: Any) -> _Execute:
    def execute(sql: str, params: Sequence[Any]) -> Any:
        cursor.execute(sql.replace("?", "%s"), params)
        return cursor

    return execute


def _write_range(
    execute: _Execute,
    fh: TextIO,
    query: _Query,
    low: Sequence[Any] | None,
    high: Sequence[Any] | None,
    stop: threading.Event | None = None,
) -> int:
    """The rows whose keys lie in [``low``, ``high``) (``None``: unbounded) into ``fh``,
    slice by slice; answers their number. SQL placeholders are ``?``. Gives up between
    two slices once ``stop`` is set (another range failed)."""
    keys = [f"k{i}" for i in range(len(query.keys))]
    width = len(query.fields)
    # One concat_ws per row: chaining || copied the growing text once per value
    # (2 million persons: 11.5 s of SQLite's time against 6.7 s). concat_ws skips
    # NULLs, so each value is coalesced to '' to keep its place.
    values = ", ".join(f"coalesce({f}, '')" for f in query.fields)
    joined = f"concat_ws(char(31), {values})"
    inner = ", ".join(f"{k} AS {name}" for k, name in zip(query.keys, keys, strict=True))
    row_value = f"({', '.join(query.keys)})"
    marks = f"({', '.join(['?'] * len(keys))})"
    writer = csv.writer(fh)
    count = 0
    last: list[Any] = []
    while True:
        if stop is not None and stop.is_set():
            raise _Stopped
        conditions, params = [], []
        if last:
            conditions.append(f"{row_value} > {marks}")
            params += last
        elif low is not None:
            conditions.append(f"{row_value} >= {marks}")
            params += list(low)
        if high is not None:
            conditions.append(f"{row_value} < {marks}")
            params += list(high)
        where = f"WHERE {' AND '.join(conditions)} " if conditions else ""
        # The keys beside max(pos) are those of the slice's last row (SQLite gives a
        # bare column the value of the row where the query's one max() was found). The
        # lines are joined in the order the sorted subquery gives them: an ORDER BY
        # inside group_concat sorted every slice once more (3.6 million links: 5.5 s →
        # 3.8 s). The tests compare the file byte for byte with the csv module's.
        slice_sql = (
            f"SELECT count(*), max(pos), {', '.join(keys)}, "  # noqa: S608 - fixed SQL
            f"CAST(group_concat(line, char(30)) AS BLOB) FROM ("
            f"SELECT {inner}, {query.position} AS pos, {joined} AS line "
            f"FROM {query.source} {where}"
            f"ORDER BY {', '.join(query.keys)} LIMIT {SQLITE_CHUNK})"
        )
        row = execute(slice_sql, params).fetchone()
        if not row or not row[0]:
            break
        rows, text = int(row[0]), bytes(row[-1])
        plain = (
            text.count(_UNIT) == rows * (width - 1)
            and text.count(_RECORD) == rows - 1
            and not any(c in text for c in _SPECIAL)
        )
        if plain:
            fh.flush()  # the header and any line the csv module wrote go first
            fh.buffer.write(text.replace(_UNIT, b",").replace(_RECORD, b"\r\n"))
            fh.buffer.write(b"\r\n")
        else:
            rows_sql = (
                f"SELECT {', '.join(query.fields)} FROM {query.source} {where}"  # noqa: S608
                f"ORDER BY {', '.join(query.keys)} LIMIT {SQLITE_CHUNK}"
            )
            writer.writerows(execute(rows_sql, params).fetchall())
        count += rows
        last = list(row[2:-1])
    return count


class _Stopped(Exception):
    """A range gave up because another failed."""


def _private_open(path: Path, encoding: str) -> TextIO:
    """``path`` opened for writing, readable by its owner only (an export holds
    personal data: ID numbers, minors' birth dates)."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    return open(descriptor, "w", encoding=encoding, newline="")


def _write_ranges(path: Path, header: list[str], query: _Query, readers: list[Any]) -> int:
    """The export in ``len(readers)`` key ranges, one per connection and thread, each
    into a file of its own, then appended to the first in order."""
    bounds = _split_keys(readers[0], query, len(readers))
    ranges = list(itertools.pairwise([None, *bounds, None]))
    parts = [path] + [path.with_name(f".{path.name}.part{i}") for i in range(1, len(ranges))]

    stop = threading.Event()  # one range failed (or the caller was interrupted)

    def run(index: int) -> int:
        low, high = ranges[index]
        cursor = readers[index].cursor()
        try:
            encoding = "utf-8-sig" if index == 0 else "utf-8"
            with _private_open(parts[index], encoding) as fh:
                if index == 0:
                    csv.writer(fh).writerow(header)
                return _write_range(cursor.execute, fh, query, low, high, stop)
        except BaseException:
            stop.set()
            raise
        finally:
            cursor.close()

    try:
        with ThreadPoolExecutor(len(ranges), thread_name_prefix="eduplus-export") as pool:
            futures = [pool.submit(run, index) for index in range(len(ranges))]
            try:
                wait(futures)
            finally:
                stop.set()  # interrupted while waiting: the ranges stop at their next slice
        # The first real failure, not a range that gave up because of it.
        for future in futures:
            error = future.exception()
            if error is not None and not isinstance(error, _Stopped):
                raise error
        counts = [future.result() for future in futures]
        with path.open("ab") as out:
            for part in parts[1:]:
                with part.open("rb") as fh:
                    shutil.copyfileobj(fh, out, 4 << 20)
    finally:
        for part in parts[1:]:
            part.unlink(missing_ok=True)
    return sum(counts)


def _split_keys(reader: Any, query: _Query, ranges: int) -> list[tuple[Any, ...]]:
    """The keys where each range after the first begins: evenly spaced rows of the
    query's driving table, read through its key index (duplicates dropped)."""
    keys = ", ".join(query.keys)
    total = int(reader.execute(f"SELECT count(*) FROM {query.driver}").fetchone()[0])  # noqa: S608
    bounds: list[tuple[Any, ...]] = []
    for i in range(1, ranges):
        row = reader.execute(
            f"SELECT {keys} FROM {query.driver} ORDER BY {keys} LIMIT 1 OFFSET ?",  # noqa: S608
            [total * i // ranges],
        ).fetchone()
        if row is not None and (not bounds or tuple(row) > bounds[-1]):
            bounds.append(tuple(row))
    return bounds


@contextmanager
def _read_snapshot(query: _Query) -> Iterator[list[Any] | None]:
    """Every slice of one export reads the same state of the database.

    Inside a caller's transaction: that one, on the caller's connection (yields
    ``None``). Else, for a big export, EXPORT_READERS connections of their own in one
    snapshot (:func:`_snapshot_readers`); yields them. Else, or while another connection
    holds the write lock, one deferred read transaction on this connection (``None``):
    it takes no write lock."""
    if connection.in_atomic_block:
        yield None
        return
    connection.ensure_connection()
    readers: list[Any] = []
    if EXPORT_READERS > 1 and _has_rows(query.driver, PARALLEL_MIN_ROWS):
        readers = _snapshot_readers(query)
    if readers:
        try:
            yield readers
        finally:
            for reader in readers:
                reader.close()  # ends its read transaction
        return
    with connection.cursor() as cursor:
        cursor.execute("BEGIN DEFERRED")
    try:
        yield None
    finally:
        with connection.cursor() as cursor:
            cursor.execute("COMMIT")


# How long a big export waits for another connection's write to end before it reads on
# one connection instead (milliseconds).
GATE_WAIT_MS = 2000


def _snapshot_readers(query: _Query) -> list[Any]:
    """EXPORT_READERS new connections, each in a read transaction begun while this
    connection holds the write lock, so that no commit falls between them: one snapshot.
    None (an empty list) when another connection keeps the write lock for more than
    GATE_WAIT_MS (a long import): the export then reads on one connection."""
    # Not waiting for the write-ahead log to be copied into the file first, though a
    # reader reads the pages still in the log the slow way (through the cache): after a
    # resolution, waiting for that copy cost the links export more than it saved (3.6
    # million links: 6.3 s against 4.2 s).
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA busy_timeout")
        busy_timeout = int(cursor.fetchone()[0])
        cursor.execute(f"PRAGMA busy_timeout = {GATE_WAIT_MS}")
        try:
            try:
                cursor.execute("BEGIN IMMEDIATE")
            except OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise  # not another connection's write: a real fault
                return []
            readers: list[Any] = []
            try:
                for _ in range(EXPORT_READERS):
                    reader = connection.get_new_connection(connection.get_connection_params())
                    readers.append(reader)
                    reader.isolation_level = None  # transactions as written below
                    reader.execute(f"PRAGMA cache_size = -{BULK_CACHE_KIB // EXPORT_READERS}")
                    # Pages read from the file's mapping, not copied into the cache:
                    # copying takes a lock the whole process shares, under which readers
                    # in threads of one process took turns (measured: two readers in two
                    # threads no faster than one).
                    reader.execute(f"PRAGMA mmap_size = {EXPORT_MMAP_BYTES}")
                    reader.execute("BEGIN DEFERRED")
                    # The read transaction, and with it the snapshot, starts here.
                    reader.execute(f"SELECT 1 FROM {query.driver} LIMIT 1").fetchall()  # noqa: S608
            except BaseException:
                for reader in readers:
                    reader.close()
                raise
            finally:
                cursor.execute("ROLLBACK")
        finally:
            cursor.execute(f"PRAGMA busy_timeout = {busy_timeout}")
    return readers


def _has_rows(table: str, rows: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM (SELECT 1 FROM {table} LIMIT %s)", [rows])  # noqa: S608
        return int(cursor.fetchone()[0]) >= rows


def _export(path: Path, header: list[str], query: _Query) -> int:
    """The export into ``path``, whole or not at all: written beside it under another
    name, readable by its owner only, and put in its place at the end (a failed export
    leaves no truncated file). A target that is not a regular file (a pipe, a terminal)
    is written directly."""
    path.parent.mkdir(parents=True, exist_ok=True)
    direct = path.exists() and not path.is_file()
    partial = path if direct else path.with_name(f".{path.name}.partial")
    try:
        if not direct:
            _private_open(partial, "utf-8").close()  # the writers below keep its mode
        # SQLite joins the slices with concat_ws and group_concat, concat_ws from SQLite
        # 3.44 on: the platform's own (eduplus/__init__.py), which also has the bulk
        # copy's reader.
        if connection.vendor == "sqlite" and sqlite_copy_available():
            count = _write_sqlite(partial, header, query)
        else:
            count = _write(partial, header, query)
        if not direct:
            os.replace(partial, path)
    finally:
        if not direct:
            partial.unlink(missing_ok=True)
    return count


def export_links(path: str | Path) -> int:
    """Write the links file; returns the number of records written."""
    return _export(Path(path), LINK_COLUMNS, _LINKS)


def export_persons(path: str | Path) -> int:
    """Write the golden persons file; returns the number of persons written."""
    return _export(Path(path), PERSON_COLUMNS, _PERSONS)
