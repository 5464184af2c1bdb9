"""Set-based writes: ``executemany`` on SQLite, ``COPY`` on PostgreSQL.

Rows are plain tuples in the column order given with each table; primary keys are
assigned by the caller, so nothing is read back.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.core.management.color import no_style
from django.db import OperationalError, connection, models


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[str, ...]

    @classmethod
    def of(cls, model: type[models.Model], columns: Sequence[str]) -> Table:
        # Validate the column names against the model so a schema change fails loudly.
        known = {f.column for f in model._meta.concrete_fields}
        unknown = [c for c in columns if c not in known]
        if unknown:
            raise ValueError(f"{model._meta.db_table} has no columns {unknown}")
        return cls(model._meta.db_table, tuple(columns))


@dataclass
class WriteStats:
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def total(self) -> int:
        return sum(self.rows.values())


def quote(name: str) -> str:
    return connection.ops.quote_name(name)


class BulkWriter:
    """Buffers rows per table and writes them in large batches, parents first.

    (A writer thread overlapping generation and writing was measured and dropped: the
    thread needs the GIL to bind every row, so it mostly waits for the generator.)
    """

    def __init__(self, tables: Sequence[Table], *, batch_rows: int) -> None:
        self.tables = list(tables)  # FK order: a table's parents come before it
        self.batch_rows = batch_rows
        self.buffers: dict[str, list[tuple[Any, ...]]] = {t.name: [] for t in self.tables}
        self.stats = WriteStats()
        self.vendor = connection.vendor
        connection.ensure_connection()
        self.raw: Any = connection.connection  # the DB-API connection
        self._sql = {t.name: self._statement(t) for t in self.tables}

    def add(self, table: Table, rows: Iterable[tuple[Any, ...]]) -> None:
        buf = self.buffers[table.name]
        buf.extend(rows)
        if len(buf) >= self.batch_rows:
            self.flush()

    def buffer(self, table: Table) -> list[tuple[Any, ...]]:
        """The live buffer, for hot loops that append directly (call ``maybe_flush``)."""
        return self.buffers[table.name]

    def maybe_flush(self) -> None:
        if any(len(b) >= self.batch_rows for b in self.buffers.values()):
            self.flush()

    def flush(self) -> None:
        for table in self.tables:
            buf = self.buffers[table.name]
            if buf:
                self.write(table, buf)
                buf.clear()

    def _statement(self, table: Table) -> str:
        cols = ", ".join(quote(c) for c in table.columns)
        if self.vendor == "postgresql":
            return f"COPY {quote(table.name)} ({cols}) FROM STDIN"
        marks = ", ".join("?" if self.vendor == "sqlite" else "%s" for _ in table.columns)
        return f"INSERT INTO {quote(table.name)} ({cols}) VALUES ({marks})"  # noqa: S608

    def write(self, table: Table, rows: Sequence[tuple[Any, ...]]) -> None:
        started = time.perf_counter()
        sql = self._sql[table.name]
        if self.vendor == "postgresql":
            with self.raw.cursor() as cursor, cursor.copy(sql) as copy:
                write_row = copy.write_row
                for row in rows:
                    write_row(row)
        elif self.vendor == "sqlite":
            self.raw.executemany(sql, rows)
        else:  # any other backend: the DB-API cursor, still one statement per batch
            cursor = self.raw.cursor()
            try:
                cursor.executemany(sql, rows)
            finally:
                cursor.close()
        self.stats.rows[table.name] = self.stats.rows.get(table.name, 0) + len(rows)
        self.stats.seconds += time.perf_counter() - started


def id_base(model: type[models.Model]) -> int:
    """The highest id the table has used (its rows, and on SQLite/PostgreSQL its sequence)."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {quote(table)}")  # noqa: S608
        base = int(cursor.fetchone()[0])
        if connection.vendor == "sqlite":
            cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
            row = cursor.fetchone()
            if row and row[0]:
                base = max(base, int(row[0]))
        elif connection.vendor == "postgresql":
            cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
            seq = cursor.fetchone()[0]
            if seq:
                cursor.execute(f"SELECT last_value, is_called FROM {seq}")  # noqa: S608
                last, called = cursor.fetchone()
                if called:
                    base = max(base, int(last))
    return base


def reset_sequences(models_: Sequence[type[models.Model]]) -> None:
    """After explicit ids: move PostgreSQL sequences past them (SQLite needs nothing)."""
    statements = connection.ops.sequence_reset_sql(no_style(), list(models_))
    if statements:
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)


def secondary_indexes(tables: Sequence[str]) -> list[tuple[str, str]]:
    """(name, CREATE statement) of the droppable indexes of ``tables``.

    Indexes that back a constraint declared inline (SQLite autoindexes, PostgreSQL
    primary keys and UNIQUE constraints) are left alone.
    """
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            marks = ", ".join("%s" for _ in tables)
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "  # noqa: S608
                f"AND tbl_name IN ({marks}) ORDER BY name",
                list(tables),
            )
            return [(n, s) for n, s in cursor.fetchall()]
        if connection.vendor == "postgresql":
            cursor.execute(
                """
                SELECT i.indexname, i.indexdef FROM pg_indexes i
                WHERE i.schemaname = current_schema() AND i.tablename = ANY(%s)
                  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)
                ORDER BY i.indexname
                """,
                [list(tables)],
            )
            return [(n, s) for n, s in cursor.fetchall()]
    return []


class DroppedIndexes:
    """Drop secondary indexes for a bulk load and rebuild them afterwards (same statements)."""

    def __init__(self, tables: Sequence[str], *, enabled: bool) -> None:
        self.saved = secondary_indexes(tables) if enabled else []

    def drop(self) -> None:
        with connection.cursor() as cursor:
            for name, _sql in self.saved:
                cursor.execute(f"DROP INDEX {quote(name)}")

    def rebuild(self, report: Callable[[str, float], None] | None = None) -> None:
        with connection.cursor() as cursor:
            if self.saved and connection.vendor == "postgresql":
                # CREATE INDEX refuses a table with pending deferred FK checks: run them.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            for name, sql in self.saved:
                started = time.perf_counter()
                cursor.execute(sql)
                if report:
                    report(name, time.perf_counter() - started)


@contextmanager
def bulk_load_settings(*, cache_mib: int) -> Iterator[None]:
    """SQLite only, for a big load in one transaction; previous settings are restored.

    - A bigger page cache: fewer spills of the big transaction, bigger in-memory sorts
      for the index builds.
    - The rollback journal instead of WAL while the load runs, when this is the only
      connection: a WAL transaction of gigabytes makes every uncached page read probe
      the whole WAL index, so inserts slow down as the load grows. With other
      connections open (a running server) the switch is refused and WAL stays.
    """
    if connection.vendor != "sqlite" or cache_mib <= 0:
        yield
        return
    saved: dict[str, Any] = {}
    switched = False
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        saved["cache_size"] = cursor.fetchone()[0]
        cursor.execute(f"PRAGMA cache_size = {-1024 * int(cache_mib)}")
        if not connection.in_atomic_block:
            cursor.execute("PRAGMA journal_mode")
            if cursor.fetchone()[0] == "wal":
                cursor.execute("PRAGMA busy_timeout")
                busy_timeout = int(cursor.fetchone()[0])
                try:
                    cursor.execute("PRAGMA busy_timeout = 100")  # others connected: give up
                    cursor.execute("PRAGMA journal_mode = TRUNCATE")
                    switched = cursor.fetchone()[0] == "truncate"
                except OperationalError:
                    switched = False
                finally:
                    cursor.execute(f"PRAGMA busy_timeout = {busy_timeout}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for name, value in saved.items():
                cursor.execute(f"PRAGMA {name} = {int(value)}")
            if switched:
                cursor.execute("PRAGMA journal_mode = WAL")
