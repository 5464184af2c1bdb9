"""DuckDB → SQLite bulk copy (``bulk.sqlite_copy``): what arrives is exactly what
``executemany`` would have stored, for every kind of value an import can carry."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path
from typing import Any

import duckdb
import pytest
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from eduplus.governance import bulk

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "sqlite", reason="the embedded database's path"),
]

COLUMNS = ["k", "t", "i", "r", "d"]


@pytest.fixture
def table(db: Any) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE copy_probe (k integer PRIMARY KEY, t varchar(64) NULL, "
            "i integer NULL, r real NULL, d date NULL, c varchar(8) NOT NULL DEFAULT '')"
        )
    return "copy_probe"


def duck(rows: list[tuple[Any, ...]]) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("CREATE TABLE src (k BIGINT, t VARCHAR, i INTEGER, r DOUBLE, d DATE)")
    if rows:
        con.executemany("INSERT INTO src VALUES (?, ?, ?, ?, ?)", rows)
    return con


def stored(table: str) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT k, t, typeof(t), i, typeof(i), r, typeof(r), d, c FROM {table} ORDER BY k"  # noqa: S608
        )
        return list(cursor.fetchall())


def test_this_process_runs_sqlite_with_the_csv_reader(db: Any) -> None:
    """The interpreter's sqlite3 module is replaced before Django loads its backend, so
    there is one SQLite library in the process, and it has vsv."""
    assert sqlite3.sqlite_version_info >= (3, 50)
    assert type(connection.connection).__module__.startswith("sqlean")
    assert bulk.sqlite_copy_available()


def test_awkward_values_arrive_as_executemany_would_store_them(table: str) -> None:
    rows = [
        (1, None, None, None, None),  # NULL stays NULL
        (2, "", 0, 0.0, dt.date(2012, 3, 5)),  # empty text stays empty text
        (3, 'say "hi", then go', -7, 0.1, dt.date(1999, 12, 31)),
        (4, "line one\nline two\r\nline three", 2**31 - 1, 1e-9, None),
        (5, "tab\there; semi", 1, 0.9999999999999999, None),
        (6, "0012", 12, 123456789.125, None),  # a number-like text stays text
        (7, "  张三 丰  ", None, -2.5e300, None),
        (8, "'single' and \\ back", None, None, None),
        (9, "1e5", None, None, None),
    ]
    written = bulk.sqlite_copy(duck(rows), "SELECT * FROM src ORDER BY k", table, COLUMNS)
    assert written == len(rows)
    got = stored(table)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM copy_probe")
        cursor.executemany(
            "INSERT INTO copy_probe (k, t, i, r, d) VALUES (%s, %s, %s, %s, %s)", rows
        )
    assert got == stored(table)
    assert got[5][1:3] == ("0012", "text") and got[8][1:3] == ("1e5", "text")
    assert got[0][1:3] == (None, "null") and got[1][1:3] == ("", "text")


@hsettings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    texts=st.lists(
        st.one_of(
            st.none(),
            st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")),
        ),
        min_size=1,
        max_size=30,
    )
)
def test_any_text_round_trips(table: str, texts: list[str | None]) -> None:
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM copy_probe")
    rows = [(n, text, None, None, None) for n, text in enumerate(texts)]
    bulk.sqlite_copy(duck(rows), "SELECT * FROM src ORDER BY k", table, COLUMNS, chunk_rows=7)
    assert [row[1] for row in stored(table)] == texts


def test_constants_upserts_chunks_and_progress(table: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO copy_probe (k, t) VALUES (3, 'old')")
    seen: list[tuple[int, int]] = []
    rows = [(k, f"v{k}", k, None, None) for k in range(1, 11)]
    written = bulk.sqlite_copy(
        duck(rows),
        "SELECT * FROM src ORDER BY k",
        table,
        COLUMNS,
        constants={"c": "'const'"},
        conflict="ON CONFLICT (k) DO UPDATE SET t = excluded.t",
        progress=lambda done, total: seen.append((done, total)),
        chunk_rows=4,
    )
    assert written == 10
    assert seen == [(4, 10), (8, 10), (10, 10)]
    got = stored(table)
    assert [row[0] for row in got] == list(range(1, 11))
    assert got[2][1] == "v3"  # updated in place
    assert {row[8] for row in got} - {""} == {"const"}


def test_nothing_to_copy_writes_nothing(table: str) -> None:
    assert bulk.sqlite_copy(duck([]), "SELECT * FROM src", table, COLUMNS) == 0
    assert stored(table) == []


def test_a_failing_copy_leaves_no_rows_no_files_and_the_connections_usable(
    table: str,
) -> None:
    rows = [(k, "x", None, None, None) for k in range(1, 9)] + [(3, "dup", None, None, None)]
    con = duck(rows)
    with pytest.raises(IntegrityError), transaction.atomic():
        bulk.sqlite_copy(con, "SELECT * FROM src ORDER BY rowid", table, COLUMNS, chunk_rows=3)
    assert stored(table) == []  # the caller's transaction took the chunks already written
    tmp = Path(settings.GOVERNANCE_DIR) / "tmp"
    assert not list(tmp.glob("copy-*"))  # the CSV files are gone
    assert con.execute("SELECT count(*) FROM src").fetchone() == (9,)
    assert "bulk_copy_rows" not in {r[0] for r in con.execute("SHOW TABLES").fetchall()}
    # the virtual table is gone too: the next copy works
    assert bulk.sqlite_copy(duck(rows[:2]), "SELECT * FROM src", table, COLUMNS) == 2


def test_a_leading_byte_order_mark_booleans_and_nul_characters(db: Any) -> None:
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE copy_text (t varchar(64) NULL, b bool NULL)")
    con = duckdb.connect()
    con.execute("CREATE TABLE src (t VARCHAR, b BOOLEAN)")
    con.executemany(
        "INSERT INTO src VALUES (?, ?)",
        [("\ufeff张三", True), ("a\x00b", False), ("\ufeff", None)],
    )
    assert bulk.sqlite_copy(con, "SELECT * FROM src", "copy_text", ["t", "b"]) == 3
    with connection.cursor() as cursor:
        cursor.execute("SELECT t, b, typeof(b) FROM copy_text ORDER BY rowid")
        rows = cursor.fetchall()
    # the mark is the value's own first character, kept; NUL (never meant) dropped
    assert rows == [("\ufeff张三", 1, "integer"), ("ab", 0, "integer"), ("\ufeff", None, "null")]


@pytest.mark.parametrize("bad", ["inf", "-inf", "nan"])
def test_numbers_sqlite_cannot_hold_as_written_are_refused(table: str, bad: str) -> None:
    con = duck([(1, "x", 1, 0.5, None)])
    con.execute("INSERT INTO src VALUES (2, 'y', 2, CAST(? AS DOUBLE), NULL)", [bad])
    with pytest.raises(bulk.CopyError, match="not finite"), transaction.atomic():
        bulk.sqlite_copy(con, "SELECT * FROM src", table, COLUMNS)
    assert stored(table) == []


def test_a_select_that_does_not_match_the_columns_is_refused(table: str) -> None:
    with pytest.raises(bulk.CopyError, match="4 values for 5 columns"):
        bulk.sqlite_copy(
            duck([(1, "x", 1, 0.5, None)]), "SELECT k, t, i, r FROM src", table, COLUMNS
        )
    assert stored(table) == []


def test_rows_read_straight_from_their_table_arrive_as_through_a_copy(table: str) -> None:
    """``rows_of``: each file takes its rows by row id from the one table the select
    reads, in that table's order; the values are those of the copied way."""
    rows = [
        (k, f"v{k}" if k % 3 else None, k * 10, k / 3, dt.date(2012, 3, k)) for k in range(1, 12)
    ]
    select = "SELECT k + 100, t, i, r, d FROM src"
    seen: list[tuple[int, int]] = []
    bulk.sqlite_copy(duck(rows), select, table, COLUMNS, chunk_rows=4)
    copied = stored(table)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM copy_probe")
    con = duck(rows)
    written = bulk.sqlite_copy(
        con,
        select,
        table,
        COLUMNS,
        chunk_rows=4,
        rows_of="src",
        progress=lambda done, total: seen.append((done, total)),
    )
    assert written == 11 and seen == [(4, 11), (8, 11), (11, 11)]
    assert stored(table) == copied
    assert "bulk_copy_rows" not in {r[0] for r in con.execute("SHOW TABLES").fetchall()}
    assert con.execute("SELECT count(*) FROM src").fetchone() == (11,)  # left as it was


def test_rows_read_straight_from_a_table_with_gaps_are_refused_not_lost(table: str) -> None:
    con = duck([(k, "x", None, None, None) for k in range(1, 10)])
    con.execute("DELETE FROM src WHERE k = 2")  # its row id stays unused
    with pytest.raises(bulk.CopyError, match="rows reached"), transaction.atomic():
        bulk.sqlite_copy(con, "SELECT * FROM src", table, COLUMNS, chunk_rows=3, rows_of="src")
    assert stored(table) == []


def test_numbers_read_straight_from_their_table_are_checked_too(table: str) -> None:
    con = duck([(1, "x", 1, 0.5, None)])
    con.execute("INSERT INTO src VALUES (2, 'y', 2, CAST('nan' AS DOUBLE), NULL)")
    with pytest.raises(bulk.CopyError, match="not finite"), transaction.atomic():
        bulk.sqlite_copy(con, "SELECT * FROM src", table, COLUMNS, rows_of="src")
    assert stored(table) == []


def test_rows_read_straight_from_a_table_cannot_be_upserted(table: str) -> None:
    with pytest.raises(ValueError, match="upsert"):
        bulk.sqlite_copy(
            duck([(1, "x", None, None, None)]),
            "SELECT * FROM src",
            table,
            COLUMNS,
            rows_of="src",
            conflict="ON CONFLICT (k) DO NOTHING",
        )
    assert stored(table) == []
