"""Big writes on SQLite run without the indexes they touch, rebuilt before the commit.

The thresholds are lowered so that the small worlds of the tests take the big path.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction

from eduplus.governance import bulk
from eduplus.governance.resolution import resolve
from eduplus.governance.tests.test_resolution import (  # noqa: F401  (fixtures)
    person_of,
    schools,
    three_sources,
)
from eduplus.people.models import Person

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
    marks = ", ".join(["%s"] * len(TABLES))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
            f"AND tbl_name IN ({marks})",
            list(TABLES),
        )
        return dict(cursor.fetchall())


@pytest.fixture
def big_path(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """Every write takes the big path; records the indexes each one dropped."""
    monkeypatch.setattr(bulk, "BULK_MIN_ROWS", 1)
    monkeypatch.setattr(bulk, "REBUILD_MIN_SHARE", 0.0)
    dropped: list[list[str]] = []
    real = bulk.sqlite_bulk

    def recording(writes: Any) -> Any:
        manager = real(writes)

        class Wrapper:
            def __enter__(self) -> list[str]:
                names = manager.__enter__()
                dropped.append(list(names))
                return names

            def __exit__(self, *exc: Any) -> Any:
                return manager.__exit__(*exc)

        return Wrapper()

    monkeypatch.setattr("eduplus.governance.golden.sqlite_bulk", recording)
    return dropped


def test_resolution_on_the_big_path_gives_the_same_people_and_keeps_every_index(
    three_sources: dict[str, Any], big_path: list[list[str]]
) -> None:
    before = index_sql()
    run = resolve()
    assert run.status == "done" and run.persons_created == 5
    # the indexes were really dropped during the write, and all are back, unchanged
    assert any(name.startswith("people_person_name") for name in big_path[0])
    assert "srcrec_person_idx" in big_path[0]
    assert index_sql() == before
    x = three_sources["xueji"]
    assert person_of(x, 2) == person_of(x, 3)  # same answers as the normal path
    assert person_of(x, 1).golden_id.startswith("G")


def test_a_duplicate_written_without_its_unique_index_fails_the_whole_write(
    db: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bulk, "BULK_MIN_ROWS", 1)
    monkeypatch.setattr(bulk, "REBUILD_MIN_SHARE", 0.0)
    before = index_sql()
    count = Person.objects.count()
    with pytest.raises(IntegrityError), transaction.atomic():
        with bulk.sqlite_bulk({"people_person": (2, None)}) as dropped:
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


def test_small_writes_and_updates_keep_their_indexes(db: Any) -> None:
    with transaction.atomic(), bulk.sqlite_bulk({"people_person": (10, None)}) as dropped:
        assert dropped == []
    # an UPDATE drops only the indexes over the columns it changes
    with transaction.atomic():
        assert [n for n, _s in bulk._indexes("governance_sourcerecord", {"person_id"})] == [
            "srcrec_person_idx"
        ]
