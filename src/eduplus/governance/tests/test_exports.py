"""Big exports on SQLite read several key ranges at once, each on a connection of its
own, all in one snapshot of the database (the byte-for-byte comparison with the csv
module for one reader: test_resolution.py)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, connections

from eduplus.governance import exports
from eduplus.governance.models import GoldenRecord, SourceRecord
from eduplus.governance.resolution import resolve
from eduplus.governance.tests.test_resolution import (  # noqa: F401 - fixtures
    schools,
    three_sources,
)
from eduplus.testing.database import (  # noqa: F401 - autouse, module scope: restores after flushes
    shared_database_restored,
)

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("committed_db", "three_sources"),  # regions back first
    pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's own export path"),
]

QUERIES = [
    pytest.param(exports.LINK_COLUMNS, exports._LINKS, id="links"),
    pytest.param(exports.PERSON_COLUMNS, exports._PERSONS, id="persons"),
]


@pytest.fixture
def parallel(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Every export takes the parallel path, in small slices; answers the number of
    readers of each export that took it."""
    monkeypatch.setattr(exports, "SQLITE_CHUNK", 2)
    monkeypatch.setattr(exports, "PARALLEL_MIN_ROWS", 1)
    monkeypatch.setattr(exports, "EXPORT_READERS", 2)  # whatever the machine's cores
    taken: list[int] = []
    write_ranges = exports._write_ranges

    def spy(path: Path, header: list[str], query: Any, readers: list[Any]) -> int:
        taken.append(len(readers))
        return write_ranges(path, header, query, readers)

    monkeypatch.setattr(exports, "_write_ranges", spy)
    return taken


def _other_connection() -> sqlite3.Connection:
    return sqlite3.connect(str(connection.settings_dict["NAME"]), timeout=0, isolation_level=None)


def _awkward_values() -> None:
    """Values the csv module must quote, and the separators SQLite joins with."""
    texts = ["a,b", 'say "hi"', "two\nlines", "cr\rhere", "", "unit\x1fsep", "rec\x1esep"]
    for n, golden in enumerate(GoldenRecord.objects.order_by("person_id")):
        text = texts[n % len(texts)]
        GoldenRecord.objects.filter(pk=golden.pk).update(address=text, class_name=text)
    keys = ['K,1"x', "K\n2"]
    for n, record in enumerate(SourceRecord.objects.filter(link__isnull=False).order_by("-id")):
        if n % 3 == 0:
            SourceRecord.objects.filter(pk=record.pk).update(record_key=keys[n % 2])


@pytest.mark.parametrize("awkward", [False, True], ids=["plain values", "values to quote"])
@pytest.mark.parametrize("readers", [2, 3, 7])
@pytest.mark.parametrize(("header", "query"), QUERIES)
def test_an_export_read_in_ranges_is_the_file_one_reader_writes(
    parallel: list[int],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    readers: int,
    header: list[str],
    query: Any,
    awkward: bool,
) -> None:
    resolve(full=True)
    if awkward:
        _awkward_values()
    monkeypatch.setattr(exports, "EXPORT_READERS", readers)
    ours, reference = tmp_path / "ours.csv", tmp_path / "reference.csv"
    count = exports._write_sqlite(ours, header, query)
    assert parallel == [readers]
    assert count == exports._write(reference, header, query)
    assert ours.read_bytes() == reference.read_bytes()
    assert count >= 5  # with 7 readers, more ranges than persons: some are empty
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]  # no parts left


@pytest.mark.parametrize(("header", "query"), QUERIES)
def test_the_readers_share_one_snapshot_that_no_commit_falls_between(
    parallel: list[int],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    header: list[str],
    query: Any,
) -> None:
    resolve(full=True)
    before = tmp_path / "before.csv"
    exports._write(before, header, query)
    wrapper = connections["default"]
    new_connection = wrapper.get_new_connection
    refused: list[str] = []

    def opened(params: dict[str, Any]) -> Any:
        # While the readers begin one after the other, another connection cannot
        # commit (it would fall between their snapshots).
        other = _other_connection()
        try:
            other.execute("UPDATE people_person SET name = 'X'")
        except sqlite3.OperationalError as exc:
            refused.append(str(exc))
        finally:
            other.close()
        return new_connection(params)

    monkeypatch.setattr(wrapper, "get_new_connection", opened)
    write_ranges = exports._write_ranges

    def commit_first(path: Path, header: list[str], query: Any, readers: list[Any]) -> int:
        # Once every reader has begun, a commit goes through, and no reader sees it.
        other = _other_connection()
        try:
            other.execute("UPDATE people_person SET name = name || '改'")
            other.execute("DELETE FROM governance_recordlink")
        finally:
            other.close()
        return write_ranges(path, header, query, readers)

    monkeypatch.setattr(exports, "_write_ranges", commit_first)
    ours = tmp_path / "ours.csv"
    exports._write_sqlite(ours, header, query)
    assert refused and all("locked" in text for text in refused), refused
    assert ours.read_bytes() == before.read_bytes()
    after = tmp_path / "after.csv"
    exports._write(after, header, query)
    assert after.read_bytes() != before.read_bytes()  # the commit did land


def test_a_failing_range_leaves_no_file_and_raises(
    parallel: list[int],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    resolve(full=True)
    write_range = exports._write_range

    def fail_late(execute: Any, fh: Any, query: Any, low: Any, high: Any, stop: Any) -> int:
        if low is not None:
            raise RuntimeError("disk full")
        return write_range(execute, fh, query, low, high, stop)

    monkeypatch.setattr(exports, "_write_range", fail_late)
    with pytest.raises(RuntimeError, match="disk full"):
        exports.export_links(tmp_path / "links.csv")
    # Neither a truncated export nor its parts.
    assert not [p.name for p in tmp_path.iterdir() if p.suffix or p.name.startswith(".")]


def test_an_export_replaces_the_file_only_once_written_whole(
    tmp_path: Path,
) -> None:
    resolve(full=True)
    out = tmp_path / "persons.csv"
    out.write_text("the export before\n", encoding="utf-8")
    rows = exports.export_persons(out)
    lines = out.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].split(",") == exports.PERSON_COLUMNS and len(lines) == rows + 1
    assert [p.name for p in tmp_path.iterdir() if p.suffix or p.name.startswith(".")] == [
        "persons.csv"
    ]


def test_while_another_connection_writes_a_big_export_reads_on_one_connection(
    parallel: list[int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    resolve(full=True)
    before = tmp_path / "before.csv"
    exports._write(before, exports.PERSON_COLUMNS, exports._PERSONS)
    monkeypatch.setattr(exports, "GATE_WAIT_MS", 50)
    gates: list[list[Any]] = []
    snapshot_readers = exports._snapshot_readers

    def gate(query: Any) -> list[Any]:
        gates.append(snapshot_readers(query))
        return gates[-1]

    monkeypatch.setattr(exports, "_snapshot_readers", gate)
    writer = _other_connection()
    writer.execute("BEGIN IMMEDIATE")  # a long import holds the write lock
    try:
        writer.execute("UPDATE people_person SET name = 'X'")
        rows = exports.export_persons(tmp_path / "persons.csv")
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert gates == [[]]  # it tried, and did not wait for the write to end
    assert parallel == []  # read on one connection
    assert rows == len(before.read_bytes().splitlines()) - 1
    assert (tmp_path / "persons.csv").read_bytes() == before.read_bytes()
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA busy_timeout")
        assert cursor.fetchone()[0] == 20000  # the connection's own wait, back


def test_a_failing_range_stops_the_others_at_their_next_slice(
    parallel: list[int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    resolve(full=True)
    monkeypatch.setattr(exports, "SQLITE_CHUNK", 1)
    slices: list[Any] = []
    write_range = exports._write_range

    def counted(execute: Any, fh: Any, query: Any, low: Any, high: Any, stop: Any) -> int:
        if low is not None:  # the second range fails at once
            raise OSError("disk full")

        def execute_counted(sql: str, params: Any) -> Any:
            stop.wait(5)  # the first range reads on only once the second has failed
            slices.append(params)
            return execute(sql, params)

        return write_range(execute_counted, fh, query, low, high, stop)

    monkeypatch.setattr(exports, "_write_range", counted)
    with pytest.raises(OSError, match="disk full"):
        exports.export_links(tmp_path / "links.csv")
    assert len(slices) <= 1  # the slice under way, not the rest of its range


def test_an_export_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    resolve(full=True)
    out = tmp_path / "persons.csv"
    exports.export_persons(out)
    assert out.stat().st_mode & 0o777 == 0o600


def test_an_export_to_a_pipe_closed_early_ends_quietly_and_is_audited(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from io import StringIO

    from django.core.management import call_command

    from eduplus.core.models import AuditEntry
    from eduplus.governance.cli import export as export_cli

    resolve(full=True)

    def closed_early(path: Any) -> int:
        raise BrokenPipeError(32, "Broken pipe")

    silenced: list[bool] = []
    monkeypatch.setattr(export_cli, "export_persons", closed_early)
    monkeypatch.setattr(export_cli, "_silence_stdout", lambda: silenced.append(True))
    out = StringIO()
    with pytest.raises(SystemExit) as exited:
        call_command("data", "export", "persons", "--out", "/dev/stdout", stdout=out)
    assert exited.value.code == 1 and silenced == [True]
    assert out.getvalue() == ""  # no "exported" line for a read cut short
    entry = AuditEntry.objects.filter(action="governance.export_persons").latest("id")
    assert entry.details == {"via": "cli", "rows": None, "complete": False}
