"""A small hand-made set of source records whose quality figures are known by heart.

Two finished batches and one still running, built directly with the ORM:

xueji (学籍, finished now), rows 2–9 of the file:
  r1 张伟  valid ID, everything right, school A (county 410102); resolved to 张伟
  r2 李娜  valid ID; birth date and gender disagree with it, 民族 99, no guardian phone
  r3 王芳  no ID number
  r4 刘洋  ID with a wrong check digit (suspicious)
  r5 陈静  school B (county 410202); resolved to a person named 陈晶
  r6 陈静  the same ID number again (duplicate in the batch), school B
  r7 孙丽  unknown school code: no school, no county (the batch's region, 41)
  r8 —     rejected (not counted anywhere)
zizhu (资助, finished 400 days ago — stale):
  z1 张伟  no guardian phone
  z2 李娜
running batch: one record, not counted until the batch is done.

Expected (checked, failed) per shipped rule, all regions together: see ``EXPECTED``.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from eduplus.core import idnumber
from eduplus.governance.models import ImportBatch, RecordLink, SourceRecord, SourceSystem
from eduplus.testing import factories as f

_sha = itertools.count(1)

ID_ZHANG = idnumber.make("410102", dt.date(2012, 3, 5), 7, 1)
ID_LI = idnumber.make("410102", dt.date(2011, 8, 20), 9, 2)
ID_WANG = idnumber.make("410202", dt.date(2013, 6, 1), 11, 2)
ID_SUN = idnumber.make("410102", dt.date(2012, 1, 9), 13, 2)
ID_BAD = ID_ZHANG[:17] + ("0" if ID_ZHANG[17] != "0" else "1")

# rule code → (checked, failed) over every region
EXPECTED: dict[str, tuple[int, int]] = {
    "name-complete": (9, 0),
    "id-complete": (9, 1),
    "birth-complete": (9, 0),
    "school-complete": (9, 0),
    "phone-complete": (9, 2),
    "id-valid": (8, 1),
    "school-known": (9, 1),
    "ethnicity-known": (6, 1),
    "id-unique": (8, 2),
    "birth-consistent": (7, 1),
    "gender-consistent": (7, 1),
    "name-agrees": (2, 1),
    "batch-fresh": (9, 2),
}
# County B (r5, r6 of xueji): Σ weight·checked = 2·23 + 1 (name-agrees) = 47; failed
# weight = 2·2 (id-unique) + 1 (name-agrees) = 5 → 42 / 47.
COUNTY_B_SCORE = 100.0 * 42 / 47


@dataclass
class QualityWorld:
    school_a: Any
    school_b: Any
    xueji: ImportBatch
    zizhu: ImportBatch
    running: ImportBatch
    records: dict[str, SourceRecord]
    person_zhang: Any
    person_chen: Any


def make_batch(
    source: str,
    rows: list[dict[str, Any]],
    *,
    status: str = "done",
    finished_at: dt.datetime | None = None,
    region: str = "41",
) -> tuple[ImportBatch, list[SourceRecord]]:
    src = SourceSystem.objects.get(code=source)
    accepted = sum(1 for r in rows if r.get("status", "accepted") != "rejected")
    batch = ImportBatch.objects.create(
        source=src,
        file_name=f"{source}-{next(_sha)}.csv",
        file_sha256=f"{next(_sha):064d}",
        region=f.region(region),
        status=status,
        rows_read=len(rows) if status == "done" else 0,
        rows_accepted=accepted if status == "done" else 0,
        rows_rejected=len(rows) - accepted if status == "done" else 0,
        rows_suspicious=sum(1 for r in rows if r.get("status") == "suspicious"),
        mapping={"姓名": "name", "身份证件号": "id_number", "学校标识码": "school"},
        finished_at=finished_at or (timezone.now() if status == "done" else None),
    )
    people = [row.pop("person", None) for row in rows]
    records = SourceRecord.objects.bulk_create(
        SourceRecord(
            batch=batch,
            source=src,
            row_number=i + 2,
            record_key=str(i + 1),
            status=row.pop("status", "accepted"),
            person_type=src.person_type,
            raw={},
            id_valid=bool(row.get("id_number")) and idnumber.is_valid(row["id_number"]),
            **row,
        )
        for i, row in enumerate(rows)
    )
    RecordLink.objects.bulk_create(
        RecordLink(record=record, person=person)
        for record, person in zip(records, people, strict=True)
        if person is not None
    )
    return batch, records


def _at(school: Any) -> dict[str, Any]:
    return {"school": school, "school_code": school.code, "region": school.region}


def build_quality_world() -> QualityWorld:
    school_a = f.SchoolFactory(name="质检第一小学", region=f.region("410102"))
    school_b = f.SchoolFactory(name="质检第二小学", region=f.region("410202"))
    zhang = f.PersonFactory(name="张伟", id_number=ID_ZHANG)
    chen = f.PersonFactory(name="陈晶", id_number=ID_WANG)
    xueji, xr = make_batch(
        "xueji",
        [
            dict(name="张伟", id_number=ID_ZHANG, birth_date=dt.date(2012, 3, 5), gender=1,
                 ethnicity="01", guardian_phone="13800000001", person=zhang, **_at(school_a)),
            dict(name="李娜", id_number=ID_LI, birth_date=dt.date(2011, 8, 21), gender=1,
                 ethnicity="99", guardian_phone="", **_at(school_a)),
            dict(name="王芳", id_number="", birth_date=dt.date(2013, 6, 1), gender=2,
                 ethnicity="", guardian_phone="13800000003", **_at(school_a)),
            dict(name="刘洋", id_number=ID_BAD, birth_date=dt.date(2010, 2, 2), gender=1,
                 ethnicity="01", guardian_phone="13800000004", status="suspicious",
                 **_at(school_a)),
            dict(name="陈静", id_number=ID_WANG, birth_date=dt.date(2013, 6, 1), gender=2,
                 ethnicity="03", guardian_phone="13800000005", person=chen, **_at(school_b)),
            dict(name="陈静", id_number=ID_WANG, birth_date=dt.date(2013, 6, 1), gender=2,
                 ethnicity="03", guardian_phone="13800000006", **_at(school_b)),
            dict(name="孙丽", id_number=ID_SUN, birth_date=dt.date(2012, 1, 9), gender=2,
                 ethnicity="01", guardian_phone="13800000007", school_code="4100000000"),
            dict(name="", id_number="", status="rejected", reasons=["姓名为空"], **_at(school_a)),
        ],
    )  # fmt: skip
    zizhu, zr = make_batch(
        "zizhu",
        [
            dict(name="张伟", id_number=ID_ZHANG, birth_date=dt.date(2012, 3, 5), gender=1,
                 guardian_phone="", aid_status="建档立卡", **_at(school_a)),
            dict(name="李娜", id_number=ID_LI, birth_date=dt.date(2011, 8, 20), gender=2,
                 guardian_phone="13900000002", **_at(school_a)),
        ],
        finished_at=timezone.now() - dt.timedelta(days=400),
    )  # fmt: skip
    running, _ = make_batch(
        "tizhi",
        [dict(name="", id_number="", **_at(school_a))],
        status="running",
    )
    names = [f"r{i}" for i in range(1, 9)] + ["z1", "z2"]
    records = dict(zip(names, [*xr, *zr], strict=True))
    return QualityWorld(school_a, school_b, xueji, zizhu, running, records, zhang, chen)
