"""Identity resolution: one golden person per real person, across sources and batches."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest
from django.db import connection
from django.db.models import F

from eduplus.core import idnumber
from eduplus.governance import bulk
from eduplus.governance.importing import batch_rollback
from eduplus.governance.models import (
    GoldenRecord,
    ImportBatch,
    MatchReview,
    RecordLink,
    ReviewStatus,
    SourceRecord,
    SourceSystem,
    ValueConflict,
)
from eduplus.governance.resolution import resolve
from eduplus.governance.tests import test_bulk
from eduplus.people.models import Person, Student
from eduplus.testing import factories as f

pytestmark = pytest.mark.django_db

_file = itertools.count(1)

ID_ZHANG = idnumber.make("410102", dt.date(2012, 3, 5), 7, 1)
ID_LI = idnumber.make("410102", dt.date(2011, 8, 20), 9, 2)
ID_OTHER_ZHANG = idnumber.make("410202", dt.date(2011, 1, 1), 3, 1)
ID_WANG = idnumber.make("410102", dt.date(2013, 6, 1), 11, 2)


def _typo(value: str) -> str:
    """One digit changed: the check digit then fails."""
    digit = "1" if value[8] != "1" else "2"
    return value[:8] + digit + value[9:]


def batch(source: str, rows: list[dict[str, Any]]) -> ImportBatch:
    src = SourceSystem.objects.get(code=source)
    b = ImportBatch.objects.create(
        source=src,
        file_name=f"{source}.csv",
        file_sha256=f"{next(_file):064d}",
        region=f.region("41"),
        status="done",
        rows_read=len(rows),
        rows_accepted=len(rows),
    )
    SourceRecord.objects.bulk_create(
        SourceRecord(
            batch=b,
            source=src,
            row_number=i + 2,
            record_key=str(i + 1),
            status="accepted",
            person_type=src.person_type,
            raw={},
            id_valid=bool(row.get("id_number")) and idnumber.is_valid(row["id_number"]),
            region=row["school"].region,
            school_code=row["school"].code,
            **{k: v for k, v in row.items() if k != "school"},
        )
        for i, row in enumerate(rows)
    )
    return b


@pytest.fixture
def schools() -> tuple[Any, Any]:
    return f.SchoolFactory(), f.SchoolFactory(region=f.region("410202"))


@pytest.fixture
def three_sources(schools: tuple[Any, Any]) -> dict[str, Any]:
    a, b = schools
    xueji = batch(
        "xueji",
        [
            dict(
                name="张伟",
                id_number=ID_ZHANG,
                birth_date=dt.date(2012, 3, 5),
                gender=1,
                school=a,
                school_id=a.pk,
                grade=6,
                address="学籍地址",
            ),
            dict(
                name="李娜",
                id_number=ID_LI,
                birth_date=dt.date(2011, 8, 20),
                gender=2,
                school=a,
                school_id=a.pk,
                grade=6,
            ),
            # transferred: the same child at a second school, same ID number
            dict(
                name="李娜",
                id_number=ID_LI,
                birth_date=dt.date(2011, 8, 20),
                gender=2,
                school=b,
                school_id=b.pk,
                grade=6,
            ),
            dict(
                name="王芳",
                id_number="",
                birth_date=dt.date(2013, 6, 1),
                gender=2,
                school=a,
                school_id=a.pk,
                grade=5,
            ),
            dict(
                name="刘洋",
                id_number=_typo(ID_ZHANG)[:17] + "0",
                birth_date=dt.date(2010, 2, 2),
                gender=1,
                school=a,
                school_id=a.pk,
                grade=6,
            ),
            # same name as the first child, another person entirely
            dict(
                name="张伟",
                id_number=ID_OTHER_ZHANG,
                birth_date=dt.date(2011, 1, 1),
                gender=1,
                school=b,
                school_id=b.pk,
                grade=6,
            ),
        ],
    )
    zizhu = batch(
        "zizhu",
        [
            # homophone and a wrong ID digit
            dict(
                name="章伟",
                id_number=_typo(ID_ZHANG),
                birth_date=dt.date(2012, 3, 5),
                gender=1,
                school=a,
                school_id=a.pk,
                address="资助核实地址",
                aid_status="建档立卡",
                guardian_phone="13800000001",
            ),
        ],
    )
    tizhi = batch(
        "tizhi",
        [
            # no ID, day and month swapped
            dict(
                name="张伟",
                id_number="",
                birth_date=dt.date(2012, 5, 3),
                gender=1,
                school=a,
                school_id=a.pk,
                health_result="良好",
            ),
            dict(
                name="王芳",
                id_number="",
                birth_date=dt.date(2013, 6, 1),
                gender=2,
                school=a,
                school_id=a.pk,
                health_result="优秀",
            ),
        ],
    )
    return {"xueji": xueji, "zizhu": zizhu, "tizhi": tizhi, "schools": schools}


def person_of(batch: ImportBatch, row: int) -> Person:
    record = SourceRecord.objects.select_related("link__person").get(
        batch=batch, row_number=row + 1
    )
    assert record.linked_person_id is not None
    return record.link.person


def linked(record: SourceRecord) -> int | None:
    return RecordLink.objects.filter(record=record).values_list("person_id", flat=True).first()


def test_one_golden_person_per_real_person(three_sources: dict[str, Any]) -> None:
    run = resolve()
    x, z, t = three_sources["xueji"], three_sources["zizhu"], three_sources["tizhi"]
    assert run.status == "done"
    zhang = person_of(x, 1)
    assert person_of(z, 1) == zhang  # homophone + wrong ID digit
    assert person_of(t, 1) == zhang  # no ID + swapped day and month
    assert person_of(x, 2) == person_of(x, 3)  # transfer
    assert person_of(x, 4) == person_of(t, 2)  # no ID anywhere: name + birth + school
    other = person_of(x, 6)
    assert other != zhang
    assert Person.objects.filter(record_links__isnull=False).distinct().count() == 5
    assert run.persons_created == 5


def test_identifiers_follow_the_national_style(three_sources: dict[str, Any]) -> None:
    resolve()
    x = three_sources["xueji"]
    assert person_of(x, 1).golden_id == "G" + ID_ZHANG
    assert person_of(x, 4).golden_id.startswith("J")  # no ID at all
    assert person_of(x, 5).golden_id.startswith("L")  # an invalid ID only
    assert person_of(x, 1).id_number == ID_ZHANG
    assert person_of(x, 5).id_number is None


def test_authoritative_source_wins_and_conflicts_are_listed(three_sources: dict[str, Any]) -> None:
    resolve()
    x, z = three_sources["xueji"], three_sources["zizhu"]
    zhang = person_of(x, 1)
    golden = GoldenRecord.objects.get(person=zhang)
    # 姓名 from 学籍 (authoritative) although 资助 says 章伟; 住址 from 资助.
    assert zhang.name == "张伟"
    assert golden.address == "资助核实地址"
    assert golden.aid_status == "建档立卡"
    assert golden.health_result == "良好"
    assert golden.src_name == SourceRecord.objects.get(batch=x, row_number=2).pk
    assert golden.src_address == SourceRecord.objects.get(batch=z, row_number=2).pk
    conflict = ValueConflict.objects.get(person=zhang, item="name")
    assert conflict.chosen_value == "张伟"
    assert {v["value"] for v in conflict.values} == {"张伟", "章伟"}
    assert golden.record_count == 3 and golden.source_count == 3


def test_new_people_are_enrolled_at_their_golden_school(three_sources: dict[str, Any]) -> None:
    resolve()
    a, _b = three_sources["schools"]
    zhang = person_of(three_sources["xueji"], 1)
    enrolment = Student.objects.get(person=zhang, status="enrolled")
    assert enrolment.school == a and enrolment.grade == 6


def test_incremental_batch_links_to_existing_people(three_sources: dict[str, Any]) -> None:
    resolve()
    before = Person.objects.count()
    a, _b = three_sources["schools"]
    wang_before = person_of(three_sources["xueji"], 4)
    later = batch(
        "zizhu",
        [
            dict(
                name="王芳",
                id_number=ID_WANG,
                birth_date=dt.date(2013, 6, 1),
                gender=2,
                school=a,
                school_id=a.pk,
                aid_status="营养餐",
            ),
        ],
    )
    run = resolve()
    assert run.mode == "incremental" and run.new_records == 1
    assert Person.objects.count() == before
    wang = person_of(later, 1)
    assert wang == wang_before
    wang.refresh_from_db()
    # The temporary J identifier is promoted once a valid ID number is known.
    assert wang.golden_id == "G" + ID_WANG


def test_rerun_changes_nothing(three_sources: dict[str, Any]) -> None:
    resolve()
    links = dict(RecordLink.objects.values_list("record_id", "person_id"))
    assert len(links) == SourceRecord.objects.exclude(status="rejected").count()
    run = resolve()
    assert run.new_records == 0
    assert dict(RecordLink.objects.values_list("record_id", "person_id")) == links
    full = resolve(full=True)
    assert full.persons_created == 0
    assert dict(RecordLink.objects.values_list("record_id", "person_id")) == links


def test_steward_split_survives_later_runs(three_sources: dict[str, Any]) -> None:
    resolve()
    x, t = three_sources["xueji"], three_sources["tizhi"]
    left = SourceRecord.objects.get(batch=x, row_number=2)
    right = SourceRecord.objects.get(batch=t, row_number=2)
    MatchReview.objects.create(left=left, right=right, probability=0.99, status=ReviewStatus.SPLIT)
    resolve(full=True)
    assert linked(left) is not None and linked(right) is not None
    assert linked(left) != linked(right)
    resolve(full=True)
    assert linked(left) != linked(right)


def test_steward_merge_survives_later_runs(three_sources: dict[str, Any]) -> None:
    resolve()
    x = three_sources["xueji"]
    liu = SourceRecord.objects.get(batch=x, row_number=6)  # 刘洋
    wang = SourceRecord.objects.get(batch=x, row_number=5)  # 王芳
    lo, hi = sorted([liu, wang], key=lambda r: r.pk)
    MatchReview.objects.create(left=lo, right=hi, probability=0.6, status=ReviewStatus.MERGED)
    resolve(full=True)
    assert linked(liu) is not None
    assert linked(liu) == linked(wang)


# ------------------------------------------------------------- the big-write path


@pytest.fixture
def big_path(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """Every write takes the big path; records the indexes each one dropped."""
    monkeypatch.setattr(bulk, "BULK_MIN_ROWS", 1)
    monkeypatch.setattr(bulk, "REBUILD_MIN_SHARE", 0.0)
    dropped: list[list[str]] = []
    real = bulk.sqlite_bulk

    def recording(writes: Any, in_order: Any = None) -> Any:
        manager = real(writes, in_order)

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


@pytest.mark.skipif(
    connection.vendor != "sqlite", reason="the SQLite bulk path (a no-op elsewhere)"
)
def test_resolution_on_the_big_path_gives_the_same_people_and_keeps_every_index(
    three_sources: dict[str, Any], big_path: list[list[str]]
) -> None:
    before = test_bulk.index_sql()
    run = resolve()
    assert run.status == "done" and run.persons_created == 5
    # the indexes were really dropped during the write, and all are back, unchanged
    assert any(name.startswith("people_person_name") for name in big_path[0])
    assert "reclink_person_idx" in big_path[0]
    assert test_bulk.index_sql() == before
    x = three_sources["xueji"]
    assert person_of(x, 2) == person_of(x, 3)  # same answers as the normal path
    assert person_of(x, 1).golden_id.startswith("G")


def test_exports_hold_one_row_per_linked_record_and_per_person(
    three_sources: dict[str, Any], tmp_path: Any
) -> None:
    import csv
    from io import StringIO

    from django.core.management import call_command

    xueji = three_sources["xueji"]
    SourceRecord.objects.filter(batch=xueji, row_number=5).update(
        status="rejected", reasons=["身份证件号校验位错误"]
    )
    resolve(full=True)
    links_path, persons_path = tmp_path / "links.csv", tmp_path / "persons.csv"
    call_command("data", "export", "links", "--out", str(links_path), stdout=StringIO())
    call_command("data", "export", "persons", "--out", str(persons_path), stdout=StringIO())

    assert links_path.read_bytes().startswith(b"\xef\xbb\xbf")  # Excel reads UTF-8 with a BOM
    with links_path.open(encoding="utf-8-sig", newline="") as fh:
        links = list(csv.reader(fh))
    assert links[0] == ["source", "record_key", "person_id"]
    expected = [
        [r.source.code, r.record_key, r.link.person.golden_id]
        for r in SourceRecord.objects.filter(link__isnull=False)
        .select_related("source", "link__person")
        .order_by("batch_id", "row_number")
    ]
    assert links[1:] == expected and len(expected) >= 8
    assert ["xueji", "4"] not in [row[:2] for row in links]  # the rejected row (row 5)

    with persons_path.open(encoding="utf-8-sig", newline="") as fh:
        persons = list(csv.DictReader(fh))
    assert sorted(p["person_id"] for p in persons) == sorted(
        Person.objects.filter(golden__isnull=False).values_list("golden_id", flat=True)
    )
    zhang = next(p for p in persons if p["person_id"] == "G" + ID_ZHANG)
    assert zhang["name"] == "张伟" and zhang["birth_date"] == "2012-03-05"


@pytest.mark.parametrize(
    "setting",
    [("NARROW_KEY_LIMITS", (0, 0)), ("SPLIT_SINGLES", False), ("SOURCE_MASK_MAX", 0)],
    ids=["hugeint ranking", "single-record persons aggregated too", "sources counted"],
)
def test_golden_values_are_the_same_by_either_way_of_computing_them(
    three_sources: dict[str, Any], monkeypatch: pytest.MonkeyPatch, setting: tuple[str, Any]
) -> None:
    from eduplus.governance import resolution
    from eduplus.governance.models import PROVENANCE_ITEMS, GoldenRecord, ValueConflict

    def snapshot() -> tuple[list[Any], list[Any], list[Any]]:
        golden = list(
            GoldenRecord.objects.order_by("person_id").values_list(
                "person_id",
                "person_type",
                "region_id",
                "school_id",
                "grade",
                "address",
                "aid_status",
                "record_count",
                "source_count",
                *(f"src_{item}" for item in PROVENANCE_ITEMS),
            )
        )
        people = list(
            Person.objects.order_by("pk").values_list(
                "pk", "name", "golden_id", "id_number", "gender", "birth_date", "ethnicity", "phone"
            )
        )
        conflicts = sorted(ValueConflict.objects.values_list("person_id", "item", "chosen_value"))
        return golden, conflicts, people

    resolve(full=True)
    usual = snapshot()
    assert usual[1], "the fixture's sources disagree somewhere"
    assert {row[7] for row in usual[0]} > {1}, "persons of one record and of several"
    monkeypatch.setattr(resolution, *setting)
    # The second run must find every value again (a value a run does not give keeps
    # what the person has, which would hide one it lost).
    Person.objects.update(name="", id_number=None, gender=None, birth_date=None, ethnicity="")
    resolve(full=True)
    assert snapshot() == usual


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite joins the rows itself")
@pytest.mark.parametrize("awkward", [False, True], ids=["plain values", "values to quote"])
@pytest.mark.parametrize("shuffled", [False, True], ids=["stored in order", "out of order"])
def test_exports_joined_by_sqlite_are_the_bytes_the_csv_module_writes(
    three_sources: dict[str, Any],
    tmp_path: Any,
    monkeypatch: pytest.MonkeyPatch,
    awkward: bool,
    shuffled: bool,
) -> None:
    from eduplus.governance import exports
    from eduplus.governance.models import GoldenRecord

    resolve(full=True)
    if awkward:
        texts = ["a,b", 'say "hi"', "two\nlines", "cr\rhere", "", "unit\x1fsep", "rec\x1esep"]
        for n, golden in enumerate(GoldenRecord.objects.order_by("person_id")):
            text = texts[n % len(texts)]
            GoldenRecord.objects.filter(pk=golden.pk).update(address=text, class_name=text)
        first = GoldenRecord.objects.order_by("person_id")[0].person_id
        Person.objects.filter(pk=first).update(birth_date=None, name='王,"五"')
        record = SourceRecord.objects.filter(link__isnull=False).order_by("batch_id", "row_number")
        SourceRecord.objects.filter(pk=record[0].pk).update(record_key='K,1"x')
    if shuffled:
        # Records stored out of their row order: each slice is read through the index
        # in key order, and its lines must be joined in that order, not the table's.
        for batch_id in SourceRecord.objects.values_list("batch_id", flat=True).distinct():
            rows = SourceRecord.objects.filter(batch_id=batch_id)
            top = max(rows.values_list("row_number", flat=True)) + 1
            far = 10 * top  # out of the way first: the pair stays unique throughout
            rows.update(row_number=F("row_number") + far)
            rows.update(row_number=far + top - F("row_number"))  # reversed: top - n
    monkeypatch.setattr(exports, "SQLITE_CHUNK", 3)  # slices across batches
    for header, query in (
        (exports.LINK_COLUMNS, exports._LINKS),
        (exports.PERSON_COLUMNS, exports._PERSONS),
    ):
        ours, reference = tmp_path / "ours.csv", tmp_path / "reference.csv"
        assert exports._write_sqlite(ours, header, query) == exports._write(
            reference, header, query
        )
        assert ours.read_bytes() == reference.read_bytes()
        assert len(ours.read_bytes().splitlines()) > 4


@pytest.mark.parametrize("share", [0.0, 1e9], ids=["one scan", "lookups by key"])
def test_a_person_already_holding_the_id_number_takes_the_records_by_scan_or_by_key(
    three_sources: dict[str, Any], monkeypatch: pytest.MonkeyPatch, share: float
) -> None:
    from eduplus.governance import golden

    monkeypatch.setattr(golden, "LOOKUP_MAX_SHARE", share)
    for _ in range(3):
        f.PersonFactory()  # others in the people table
    known = f.PersonFactory(name="张伟", id_number=ID_ZHANG)
    run = resolve()
    assert person_of(three_sources["xueji"], 1) == known
    assert person_of(three_sources["zizhu"], 1) == known
    assert run.persons_created == 4  # the other four real persons


@pytest.mark.parametrize("share", [0.0, 1e9], ids=["one scan", "lookups by key"])
def test_existing_people_are_read_the_same_by_scan_or_by_key(
    db: Any, monkeypatch: pytest.MonkeyPatch, share: float
) -> None:
    import duckdb

    from eduplus.governance import golden

    monkeypatch.setattr(golden, "LOOKUP_MAX_SHARE", share)
    people = [f.PersonFactory() for _ in range(6)]
    f.PersonFactory(id_number=None)
    con = duckdb.connect()
    con.execute("CREATE TABLE golden (person_id BIGINT, is_new_person BOOLEAN, v_id_number TEXT)")
    con.executemany(
        "INSERT INTO golden VALUES (?, ?, ?)",
        [
            (people[0].pk, False, people[1].id_number),  # another person's number
            (people[2].pk, False, people[2].id_number),  # its own
            (999999, True, "110101201001010011"),
            (999998, True, None),
        ],
    )
    golden._existing_people(con)
    assert sorted(con.execute("SELECT * FROM existing").fetchall()) == sorted(
        (p.pk, p.golden_id, p.id_number) for p in (people[0], people[2])
    )
    golden._taken_id_numbers(con)
    assert sorted(con.execute("SELECT * FROM taken").fetchall()) == sorted(
        (p.id_number, p.pk) for p in (people[1], people[2])
    )
    # The number another person holds is dropped from the run's person; its own stays.
    assert sorted(con.execute("SELECT person_id, v_id_number FROM golden").fetchall()) == [
        (people[0].pk, None),
        (people[2].pk, people[2].id_number),
        (999998, None),
        (999999, "110101201001010011"),
    ]


# ------------------------------------------------------------------ links, kept apart


def test_a_run_links_records_without_rewriting_them(three_sources: dict[str, Any]) -> None:
    def rows() -> list[tuple[Any, ...]]:
        return list(SourceRecord.objects.order_by("pk").values_list())

    before = rows()
    resolve()
    assert rows() == before  # the records are as imported; the links live beside them
    usable = SourceRecord.objects.exclude(status="rejected")
    assert RecordLink.objects.count() == usable.count()
    assert set(RecordLink.objects.values_list("record_id", flat=True)) == set(
        usable.values_list("pk", flat=True)
    )
    assert all(
        0.0 <= (p or 0.0) <= 1.0
        for p in RecordLink.objects.values_list("match_probability", flat=True)
    )


def test_rolling_back_a_resolved_batch_takes_its_links_and_keeps_the_others(
    three_sources: dict[str, Any],
) -> None:
    resolve()
    zizhu = three_sources["zizhu"]
    others = set(
        RecordLink.objects.exclude(record__batch=zizhu).values_list("record_id", "person_id")
    )
    assert RecordLink.objects.filter(record__batch=zizhu).exists()
    batch_rollback(batch=zizhu, actor=None)
    assert not SourceRecord.objects.filter(batch=zizhu).exists()
    assert set(RecordLink.objects.values_list("record_id", "person_id")) == others
    run = resolve()  # nothing new to link; the others keep their persons
    assert run.status == "done"
    assert set(RecordLink.objects.values_list("record_id", "person_id")) == others
