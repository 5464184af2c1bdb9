"""Big writes on SQLite run without the indexes they touch, rebuilt before the commit
(the resolution on that path: test_resolution.py).

The thresholds are lowered so that the small worlds of the tests take the big path.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import nullcontext
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction

from eduplus.governance import bulk
from eduplus.people.models import Person
from eduplus.testing.database import (  # noqa: F401 - autouse, module scope: restores after flushes
    shared_database_restored,
)

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "sqlite", reason="the SQLite bulk path (a no-op elsewhere)"
    ),
]

TABLES = (
    "people_person",
    "people_student",
    "governance_sourcerecord",
    "governance_goldenrecord",
    "governance_valueconflict",
)


def index_sql() -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tbl_name, name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
        )
        return {name: sql for table, name, sql in cursor.fetchall() if table in TABLES}


def test_a_duplicate_written_without_its_unique_index_fails_the_whole_write(
    db: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bulk, "BULK_MIN_ROWS", 1)
    monkeypatch.setattr(bulk, "REBUILD_MIN_SHARE", 0.0)
    before = index_sql()
    count = Person.objects.count()
    with (
        pytest.raises(IntegrityError),
        transaction.atomic(),
        bulk.sqlite_bulk({"people_person": (2, None)}) as dropped,
    ):
        assert "person_id_number_unique" in dropped
        with connection.cursor() as cursor:
            for name in ("甲", "乙"):
                cursor.execute(
                    "INSERT INTO people_person (name, id_number, ethnicity, phone) "
                    "VALUES (%s, '410102201203050017', '', '')",
                    [name],
                )
    assert Person.objects.count() == count  # nothing written
    assert index_sql() == before  # and the dropped indexes are back


def _pragmas() -> tuple[int, ...]:
    with connection.cursor() as cursor:
        values = []
        for name in ("cache_size", "cache_spill", "threads"):
            cursor.execute(f"PRAGMA {name}")
            values.append(int(cursor.fetchone()[0]))
        return tuple(values)


@pytest.mark.parametrize("fails", [False, True], ids=["rebuilt", "rolled back"])
def test_the_rebuild_sorts_in_small_runs_and_gives_the_connection_its_settings_back(
    db: Any, monkeypatch: pytest.MonkeyPatch, fails: bool
) -> None:
    monkeypatch.setattr(bulk, "BULK_MIN_ROWS", 1)
    monkeypatch.setattr(bulk, "REBUILD_MIN_SHARE", 0.0)
    before, indexes = _pragmas(), index_sql()
    during: list[tuple[int, ...]] = []
    real_cursor = connection.cursor

    class Watch:
        """Notes the settings as each index is created again."""

        def __init__(self) -> None:
            self.cursor = real_cursor()

        def __enter__(self) -> Watch:
            return self

        def __exit__(self, *exc: object) -> None:
            self.cursor.close()

        def execute(self, sql: str, params: Any = None) -> Any:
            if sql.startswith("CREATE") and "INDEX" in sql:
                during.append(_pragmas())
            return self.cursor.execute(sql, params)

        def fetchone(self) -> Any:
            return self.cursor.fetchone()

    with (
        pytest.raises(RuntimeError) if fails else nullcontext(),
        transaction.atomic(),
        bulk.sqlite_bulk({"people_person": (2, None)}) as dropped,
    ):
        assert dropped
        monkeypatch.setattr(connection, "cursor", Watch)
        if fails:
            raise RuntimeError("the write failed")
    monkeypatch.undo()
    assert _pragmas() == before
    assert index_sql() == indexes
    if not fails:
        assert during and all(cache == -bulk.SORT_CACHE_KIB for cache, _s, _t in during)
        # dirty pages may stay in memory up to the bulk cache's size (pages of 4 KiB and
        # their headers)
        assert all(spill * 4 >= 0.9 * bulk.BULK_CACHE_KIB for _c, spill, _t in during), during
        assert all(threads == bulk.SORT_THREADS for _c, _s, threads in during)


def test_small_writes_and_updates_keep_their_indexes(db: Any) -> None:
    with transaction.atomic(), bulk.sqlite_bulk({"people_person": (10, None)}) as dropped:
        assert dropped == []
    # an UPDATE drops only the indexes over the columns it changes
    with transaction.atomic():
        assert [n for n, _s in bulk._indexes("governance_recordlink", {"person_id"})] == [
            "reclink_person_idx"
        ]


def test_prefetched_gives_every_item_in_order_and_raises_the_producers_error() -> None:
    assert list(bulk.prefetched(iter(range(1000)), depth=3)) == list(range(1000))
    assert list(bulk.prefetched([])) == []

    def broken() -> Iterator[int]:
        yield 1
        raise ValueError("第 2 块读不出来")

    got: list[int] = []
    with pytest.raises(ValueError, match="第 2 块"):
        for item in bulk.prefetched(broken()):
            got.append(item)
    assert got == [1]


def test_prefetched_stops_its_producer_when_the_caller_stops() -> None:
    made: list[int] = []

    def endless() -> Iterator[int]:
        n = 0
        while True:
            made.append(n)
            yield n
            n += 1

    for item in bulk.prefetched(endless(), depth=2):
        if item == 5:
            break
    assert not any(t.name == "eduplus-prefetch" for t in threading.enumerate())
    assert len(made) <= 5 + 1 + 2 + 1  # at most depth ahead, plus one in hand


def test_indexes_led_by_a_column_written_in_order_stay(
    db: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bulk, "BULK_MIN_ROWS", 1)
    monkeypatch.setattr(bulk, "REBUILD_MIN_SHARE", 0.0)
    before = index_sql()
    led_by_person = {n for n, sql in before.items() if '"people_student" ("person_id"' in sql}
    assert led_by_person  # the enrolment's person index and the one-active rule
    with (
        transaction.atomic(),
        bulk.sqlite_bulk(
            {"people_student": (5, None)}, {"people_student": {"person_id"}}
        ) as dropped,
    ):
        assert "student_school_idx" in dropped and "student_region_idx" in dropped
        assert not led_by_person & set(dropped)
    assert index_sql() == before


# ------------------------------------------------------------ deferred checkpoint


def _main_file_rows(table: str) -> int | None:
    """Rows of ``table`` in the database file itself, ignoring the write-ahead log
    (``None``: the table is not in the file yet)."""
    import sqlite3  # the process's SQLite (eduplus/__init__.py)

    path = str(connection.settings_dict["NAME"])
    con = sqlite3.connect(f"file:{path}?immutable=1", uri=True)
    try:
        return int(con.execute(f"SELECT count(*) FROM {table}").fetchone()[0])  # noqa: S608
    except sqlite3.OperationalError:
        return None
    finally:
        con.close()


@pytest.mark.django_db(transaction=True)
def test_a_big_commit_leaves_the_checkpoint_to_a_second_thread(committed_db: Any) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_autocheckpoint")
        every = cursor.fetchone()[0]
        cursor.execute("CREATE TABLE bulk_ckpt (v TEXT)")
    try:
        bulk._checkpoint_lock.acquire()  # the checkpoint waits until the test looks
        try:
            with bulk.sqlite_checkpoint_after() as deferred, transaction.atomic():
                assert deferred
                with connection.cursor() as cursor:
                    cursor.execute("PRAGMA wal_autocheckpoint")
                    assert cursor.fetchone()[0] == 0
                    cursor.execute(
                        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
                        "WHERE i < 10000) INSERT INTO bulk_ckpt SELECT printf('%0500d', i) FROM n"
                    )
            # Committed and visible, but the commit did not copy it into the file.
            with connection.cursor() as cursor:
                cursor.execute("SELECT count(*) FROM bulk_ckpt")
                assert cursor.fetchone()[0] == 10000
                cursor.execute("PRAGMA wal_autocheckpoint")
                assert cursor.fetchone()[0] == every  # restored
            assert not _main_file_rows("bulk_ckpt")
        finally:
            bulk._checkpoint_lock.release()
        bulk.checkpoints_wait()
        assert _main_file_rows("bulk_ckpt") == 10000
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE bulk_ckpt")


def test_no_checkpoint_is_deferred_inside_a_transaction(db: Any) -> None:
    with bulk.sqlite_checkpoint_after() as deferred:
        assert not deferred  # the test's transaction commits nothing here
