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
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import connection

from eduplus.governance.bulk import sqlite_big_cache, sqlite_copy_available

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
_UNIT, _RECORD = "\x1f", "\x1e"
_SPECIAL = (",", '"', "\n", "\r")


def _write_sqlite(path: Path, header: list[str], query: _Query) -> int:
    """SQLite: the same file as :func:`_write`. SQLite joins each slice of SQLITE_CHUNK
    rows (read in keyset order) into one text, values and rows separated by control
    characters, which Python turns into CSV with two replacements when no value needs
    quoting, and otherwise through the csv module. Reading every value into Python was
    two thirds of the time (2 million persons: 18 s)."""
    keys = [f"k{i}" for i in range(len(query.keys))]
    width = len(query.fields)
    # One concat_ws per row: chaining || copied the growing text once per value
    # (2 million persons: 11.5 s of SQLite's time against 6.7 s). concat_ws skips
    # NULLs, so each value is coalesced to '' to keep its place.
    values = ", ".join(f"coalesce({f}, '')" for f in query.fields)
    joined = f"concat_ws(char(31), {values})"
    inner = ", ".join(f"{k} AS {name}" for k, name in zip(query.keys, keys, strict=True))
    after = f"WHERE ({', '.join(query.keys)}) > ({', '.join(['%s'] * len(keys))}) "
    rows_sql = (
        f"SELECT {', '.join(query.fields)} FROM {query.source} {{where}}"  # noqa: S608
        f"ORDER BY {', '.join(query.keys)} LIMIT {SQLITE_CHUNK}"
    )
    # The keys beside max(pos) are those of the slice's last row (SQLite gives a bare
    # column the value of the row where the query's one max() was found). The lines are
    # joined in the order the sorted subquery gives them: an ORDER BY inside
    # group_concat sorted every slice once more (3.6 million links: 5.5 s → 3.8 s).
    # The tests compare the file byte for byte with the csv module's.
    slice_sql = (
        f"SELECT count(*), max(pos), {', '.join(keys)}, "  # noqa: S608 - fixed SQL
        f"group_concat(line, char(30)) FROM ("
        f"SELECT {inner}, {query.position} AS pos, {joined} AS line "
        f"FROM {query.source} {{where}}"
        f"ORDER BY {', '.join(query.keys)} LIMIT {SQLITE_CHUNK})"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    last: list[Any] = []
    with (
        path.open("w", encoding="utf-8-sig", newline="") as fh,
        sqlite_big_cache(),
        _read_snapshot(),
        connection.cursor() as cursor,
    ):
        writer = csv.writer(fh)
        writer.writerow(header)
        while True:
            where = after if last else ""
            cursor.execute(slice_sql.format(where=where), last)
            row = cursor.fetchone()
            if not row or not row[0]:
                break
            rows, text = int(row[0]), str(row[-1])
            plain = (
                text.count(_UNIT) == rows * (width - 1)
                and text.count(_RECORD) == rows - 1
                and not any(c in text for c in _SPECIAL)
            )
            if plain:
                fh.write(text.replace(_UNIT, ",").replace(_RECORD, "\r\n"))
                fh.write("\r\n")
            else:
                cursor.execute(rows_sql.format(where=where), last)
                writer.writerows(cursor.fetchall())
            count += rows
            last = list(row[2:-1])
    return count


@contextmanager
def _read_snapshot() -> Iterator[None]:
    """Every slice of one export reads the same state of the database: one read
    transaction around them (deferred: it takes no write lock; inside a caller's
    transaction, that one)."""
    if connection.in_atomic_block:
        yield
        return
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("BEGIN DEFERRED")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("COMMIT")


def _export(path: Path, header: list[str], query: _Query) -> int:
    # SQLite joins the slices with concat_ws and group_concat, concat_ws from SQLite 3.44
    # on: the platform's own (eduplus/__init__.py), which also has the bulk copy's reader.
    if connection.vendor == "sqlite" and sqlite_copy_available():
        return _write_sqlite(path, header, query)
    return _write(path, header, query)


def export_links(path: str | Path) -> int:
    """Write the links file; returns the number of records written."""
    return _export(Path(path), LINK_COLUMNS, _LINKS)


def export_persons(path: str | Path) -> int:
    """Write the golden persons file; returns the number of persons written."""
    return _export(Path(path), PERSON_COLUMNS, _PERSONS)
