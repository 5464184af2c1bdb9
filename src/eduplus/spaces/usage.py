"""Space usage rates (空间应用率), counted set-based.

* teachers: active teachers / teachers (在岗教师), per school;
* students: active students of grade 3 and up / enrolled students of grade 3 and up.

"Active" means at least one statement (not voided) in the period: a month or a school
year (September to August). Numerators and denominators are one ``GROUP BY`` each over
the teacher and student tables, with the active people as an ``IN (SELECT …)`` over the
statements' ``(period, person)`` index — the same SQL on SQLite and PostgreSQL. Region
levels group by a prefix of the denormalised region code (GB/T 2260 codes nest).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import Substr
from django.utils import timezone
from django.utils.translation import gettext as _

from eduplus.core.scoping import region_subtree_q
from eduplus.people.models import Student, StudentStatus, Teacher
from eduplus.regions.models import Region, RegionLevel
from eduplus.schools.models import School
from eduplus.spaces.models import Statement

MIN_GRADE = 3


@dataclass(frozen=True)
class Period:
    kind: str  # "month" or "year"
    value: str  # "2026-10" or "2026" (the school year starting September 2026)

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        return cls("month", f"{year:04d}-{month:02d}")

    @classmethod
    def school_year(cls, year: int) -> Period:
        return cls("year", f"{year:04d}")

    @classmethod
    def parse(cls, text: str | None) -> Period | None:
        text = (text or "").strip()
        if re.fullmatch(r"20\d\d-(0[1-9]|1[0-2])", text):
            return cls("month", text)
        if re.fullmatch(r"20\d\d", text):
            return cls("year", text)
        return None

    @classmethod
    def current(cls) -> Period:
        today = timezone.localdate()
        return cls.school_year(today.year if today.month >= 9 else today.year - 1)

    @property
    def label(self) -> str:
        if self.kind == "month":
            year, month = self.value.split("-")
            return _("%(y)s年%(m)d月") % {"y": year, "m": int(month)}
        start = int(self.value)
        return _("%(a)d—%(b)d学年") % {"a": start, "b": start + 1}

    @property
    def start(self) -> dt.date:
        if self.kind == "month":
            y, m = (int(p) for p in self.value.split("-"))
            return dt.date(y, m, 1)
        return dt.date(int(self.value), 9, 1)

    def lookup(self) -> dict[str, Any]:
        return {"month": self.value} if self.kind == "month" else {"school_year": int(self.value)}


def recent_periods(today: dt.date | None = None, months: int = 12, years: int = 3) -> list[Period]:
    today = today or timezone.localdate()
    current = today.year if today.month >= 9 else today.year - 1
    out = [Period.school_year(current - i) for i in range(years)]
    y, m = today.year, today.month
    for _i in range(months):
        out.append(Period.month(y, m))
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    return out


@dataclass
class UsageRow:
    code: str  # region code, or the school's 学校标识码
    name: str
    teachers: int = 0
    teachers_active: int = 0
    students: int = 0
    students_active: int = 0
    school_id: int | None = None
    region_code: str = ""

    @staticmethod
    def _rate(part: int, whole: int) -> float | None:
        return round(100.0 * part / whole, 1) if whole else None

    @property
    def teacher_rate(self) -> float | None:
        return self._rate(self.teachers_active, self.teachers)

    @property
    def student_rate(self) -> float | None:
        return self._rate(self.students_active, self.students)


def active_people(period: Period) -> QuerySet[Any]:
    """Person ids with at least one counted statement in the period (a subquery)."""
    return (
        Statement.objects.counted()
        .filter(person__isnull=False, **period.lookup())
        .values("person_id")
    )


def _teachers(user: Any = None) -> QuerySet[Teacher]:
    qs = Teacher.objects.visible_to(user) if user is not None else Teacher.objects.all()
    return qs.filter(active=True)


def _students(user: Any = None) -> QuerySet[Student]:
    qs = Student.objects.visible_to(user) if user is not None else Student.objects.all()
    return qs.filter(status=StudentStatus.ENROLLED, grade__gte=MIN_GRADE)


def _grouped(qs: QuerySet[Any], key: Any, period: Period) -> dict[Any, tuple[int, int]]:
    active = active_people(period)
    if isinstance(key, str):
        key = F(key)
    rows = (
        qs.order_by()
        .values(k=key)
        .annotate(total=Count("id"), active=Count("id", filter=Q(person_id__in=active)))
        .values_list("k", "total", "active")
    )
    return {k: (total, act) for k, total, act in rows}


def _narrow(qs: QuerySet[Any], region: str) -> QuerySet[Any]:
    return qs.filter(region_subtree_q("region_id", region)) if region else qs


def school_counts(
    period: Period, *, region: str = "", user: Any = None, school_ids: list[int] | None = None
) -> list[UsageRow]:
    """One row per school with teachers or grade-3+ students (GROUP BY school)."""
    teachers, students = _narrow(_teachers(user), region), _narrow(_students(user), region)
    if school_ids is not None:
        teachers = teachers.filter(school_id__in=school_ids)
        students = students.filter(school_id__in=school_ids)
    t = _grouped(teachers, "school_id", period)
    s = _grouped(students, "school_id", period)
    ids = sorted(set(t) | set(s))
    rows = []
    for pk, code, name, region_id in (
        School.objects.filter(id__in=ids)
        .order_by("code")
        .values_list("id", "code", "name", "region_id")
    ):
        rows.append(
            UsageRow(
                code=code,
                name=name,
                teachers=t.get(pk, (0, 0))[0],
                teachers_active=t.get(pk, (0, 0))[1],
                students=s.get(pk, (0, 0))[0],
                students_active=s.get(pk, (0, 0))[1],
                school_id=pk,
                region_code=region_id,
            )
        )
    return rows


def child_region_rows(user: Any, region: Region, period: Period) -> list[UsageRow]:
    """The region's children (cities, counties) with their counts, rolled up by prefix."""
    width = {RegionLevel.PROVINCE: 4, RegionLevel.CITY: 6}[RegionLevel(region.level)]
    key = Substr("region_id", 1, width)
    t = _grouped(_narrow(_teachers(user), region.code), key, period)
    s = _grouped(_narrow(_students(user), region.code), key, period)
    names = {
        r.code: r.display_name
        for r in Region.objects.filter(parent=region).select_related("parent")
    }
    rows = []
    for code in sorted(set(t) | set(s) | set(names)):
        rows.append(
            UsageRow(
                code=code,
                name=names.get(code) or _("%(r)s直属学校") % {"r": region.display_name},
                teachers=t.get(code, (0, 0))[0],
                teachers_active=t.get(code, (0, 0))[1],
                students=s.get(code, (0, 0))[0],
                students_active=s.get(code, (0, 0))[1],
                region_code=code,
            )
        )
    return rows


def region_total(user: Any, region: Region, period: Period) -> UsageRow:
    t = _grouped(
        _narrow(_teachers(user), region.code), Substr("region_id", 1, 0 + len(region.code)), period
    )
    s = _grouped(
        _narrow(_students(user), region.code), Substr("region_id", 1, len(region.code)), period
    )
    tt, ss = t.get(region.code, (0, 0)), s.get(region.code, (0, 0))
    return UsageRow(
        code=region.code,
        name=region.display_name,
        teachers=tt[0],
        teachers_active=tt[1],
        students=ss[0],
        students_active=ss[1],
        region_code=region.code,
    )


def total_of(rows: list[UsageRow], code: str = "", name: str = "") -> UsageRow:
    total = UsageRow(code=code, name=name)
    for r in rows:
        total.teachers += r.teachers
        total.teachers_active += r.teachers_active
        total.students += r.students
        total.students_active += r.students_active
    return total
