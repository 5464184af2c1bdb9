"""Rows for people: persons, students, teachers, teaching assignments, guardianships.

The hot loop of ``eduplus seed``: plain tuples appended to the writer's buffers, random
numbers from one ``random.Random`` per school (so a school's roster depends only on the
seed and its code), ID numbers from per-(county, birth date, gender) counters.
"""

from __future__ import annotations

import datetime as dt
import random
from array import array
from dataclasses import dataclass
from typing import Any

from eduplus.core.idnumber import CHECK_CHARS, WEIGHTS
from eduplus.demo.names import NameMaker
from eduplus.demo.plan import HIGHER_TYPES, SCHOOL_YEAR_START, SchoolPlan
from eduplus.demo.writer import BulkWriter, Table
from eduplus.people.models import Guardianship, Person, Student, Teacher, TeachingAssignment

PERSON = Table.of(Person, ("id", "name", "id_number", "gender", "birth_date", "ethnicity", "phone"))
STUDENT = Table.of(
    Student,
    ("id", "grade", "student_number", "status", "klass_id", "person_id", "region_id", "school_id"),
)
TEACHER = Table.of(
    Teacher, ("id", "subject", "title", "active", "person_id", "region_id", "school_id")
)
ASSIGNMENT = Table.of(
    TeachingAssignment, ("id", "subject", "is_head_teacher", "klass_id", "teacher_id")
)
GUARDIANSHIP = Table.of(Guardianship, ("id", "relation", "child_id", "guardian_id"))
PEOPLE_TABLES = (PERSON, STUDENT, TEACHER, ASSIGNMENT, GUARDIANSHIP)

_BASE_ORDINAL = dt.date(1940, 1, 1).toordinal()
_SPAN_DAYS = dt.date(2030, 1, 1).toordinal() - _BASE_ORDINAL
_SEQ_SUM = [
    sum(int(d) * w for d, w in zip(f"{s:03d}", WEIGHTS[14:17], strict=True)) for s in range(1000)
]
# Sequence numbers per (county, birth date): odd for men (001…999), even for women (002…998).
_CAPACITY = {1: 500, 2: 499}


class IdNumbers:
    """Synthetic 公民身份号码 that never collide: the 3-digit sequence comes from a counter
    per (county, birth date, gender); numbers already in the database are skipped."""

    def __init__(self, taken: set[str]) -> None:
        self.taken = taken
        self.counters: dict[str, array[int]] = {}
        self.county_sum: dict[str, int] = {}
        self.dates: dict[int, tuple[str, str, int]] = {}

    def _date(self, ordinal: int) -> tuple[str, str, int]:
        cached = self.dates.get(ordinal)
        if cached is None:
            d = dt.date.fromordinal(ordinal)
            ymd = f"{d:%Y%m%d}"
            weighted = sum(int(c) * w for c, w in zip(ymd, WEIGHTS[6:14], strict=True))
            cached = (d.isoformat(), ymd, weighted)
            self.dates[ordinal] = cached
        return cached

    def make(self, county: str, ordinal: int, gender: int) -> tuple[str, str]:
        """(ID number, ISO birth date); the date moves on a day if that one is full."""
        counters = self.counters.get(county)
        if counters is None:
            counters = array("H", bytes(2 * 2 * _SPAN_DAYS))
            self.counters[county] = counters
            self.county_sum[county] = sum(
                int(c) * w for c, w in zip(county, WEIGHTS[:6], strict=True)
            )
        capacity = _CAPACITY[gender]
        while True:
            slot = (ordinal - _BASE_ORDINAL) * 2 + gender - 1
            k = counters[slot]
            if k < capacity:
                counters[slot] = k + 1
                # The k-th number of the day, spread over the range by a bijection
                # (137 is prime to both capacities) so numbers do not all end in 001.
                csum = self.county_sum[county]
                k = (ordinal * 37 + csum * 11 + k * 137) % capacity
                seq = 2 * k + (1 if gender == 1 else 2)
                iso, ymd, weighted = self._date(ordinal)
                total = csum + weighted + _SEQ_SUM[seq]
                number = f"{county}{ymd}{seq:03d}{CHECK_CHARS[total % 11]}"
                if self.taken and number in self.taken:
                    continue
                return number, iso
            ordinal += 1


FEMALE_SHARE = {"111": 0.97, "211": 0.75, "218": 0.55, "514": 0.75}
K12_TITLES = ("未定级", "三级教师", "二级教师", "一级教师", "高级教师", "正高级教师")
HIGHER_TITLES = ("助教", "讲师", "副教授", "教授")


def _title(age: int, higher: bool, r: float) -> str:
    if higher:
        if age < 30:
            return HIGHER_TITLES[0 if r < 0.6 else 1]
        if age < 40:
            return HIGHER_TITLES[1 if r < 0.7 else 2]
        return HIGHER_TITLES[2 if r < 0.6 else 3]
    if age < 26:
        return K12_TITLES[0 if r < 0.5 else 2]
    if age < 33:
        return K12_TITLES[2 if r < 0.6 else (1 if r < 0.7 else 3)]
    if age < 45:
        return K12_TITLES[3 if r < 0.6 else (2 if r < 0.75 else 4)]
    return K12_TITLES[4 if r < 0.5 else (3 if r < 0.95 else 5)]


def _ethnicity(r: float) -> str:
    # GB/T 3304: 01 汉族, 03 回族, 11 满族, 02 蒙古族.
    if r < 0.985:
        return "01"
    if r < 0.995:
        return "03"
    return "11" if r < 0.998 else "02"


@dataclass
class Counters:
    person: int
    student: int
    teacher: int
    assignment: int
    guardianship: int


class PeopleGenerator:
    def __init__(
        self,
        *,
        seed: int,
        province: str,
        writer: BulkWriter,
        ids: IdNumbers,
        names: NameMaker,
        next_ids: Counters,
    ) -> None:
        self.seed = seed
        self.province = province
        self.writer = writer
        self.ids = ids
        self.names = names
        self.next = next_ids
        self.year_start = SCHOOL_YEAR_START.toordinal()

    def school(self, school: SchoolPlan) -> None:
        rng = random.Random(f"eduplus-demo:{self.seed}:{self.province}:{school.code}")
        rnd = rng.random
        bits = rng.getrandbits
        names = self.names
        surnames = names.surnames
        n_surnames = len(surnames)
        child_pool = {1: names.pools[(True, 1)], 2: names.pools[(True, 2)]}
        adult_pool = {1: names.pools[(False, 1)], 2: names.pools[(False, 2)]}
        make_id = self.ids.make
        w = self.writer
        persons = w.buffer(PERSON)
        students = w.buffer(STUDENT)
        teachers = w.buffer(TEACHER)
        assignments = w.buffer(ASSIGNMENT)
        guardianships = w.buffer(GUARDIANSHIP)
        nx = self.next
        region = school.region_id
        school_id = school.id
        counties = school.id_counties
        single_county = counties[0] if len(counties) == 1 else None
        higher = school.school_type in HIGHER_TYPES

        # Teachers: subjects in proportion to what the classes need.
        demand: dict[str, int] = {}
        for c in school.classes:
            for s in c.subjects:
                demand[s] = demand.get(s, 0) + 1
        demand = demand or {"语文": 1}  # (every planned school has classes)
        subjects = sorted(demand, key=lambda s: (-demand[s], s))
        n_teachers = school.teachers
        if n_teachers >= len(subjects):
            extra = n_teachers - len(subjects)
            total = sum(demand.values())
            shares = [1 + int(extra * demand[s] / total) for s in subjects]
            leftover = n_teachers - sum(shares)
            for i in range(leftover):
                shares[i % len(shares)] += 1
        else:
            shares = [1] * n_teachers + [0] * (len(subjects) - n_teachers)
        female_share = FEMALE_SHARE.get(school.school_type, 0.5 if higher else 0.62)
        pools: dict[str, list[int]] = {s: [] for s in subjects}
        all_teachers: list[int] = []
        year_start = self.year_start
        for subject, share in zip(subjects, shares, strict=True):
            for _ in range(share):
                gender = 2 if rnd() < female_share else 1
                age = 23 + int(rnd() * 37)
                ordinal = year_start - age * 365 - int(rnd() * 365)
                county = single_county or counties[int(rnd() * len(counties))]
                number, iso = make_id(county, ordinal, gender)
                pid = nx.person
                nx.person += 1
                name = surnames[int(rnd() * n_surnames)] + adult_pool[gender][bits(12)]
                persons.append((pid, name, number, gender, iso, _ethnicity(rnd()), ""))
                tid = nx.teacher
                nx.teacher += 1
                teachers.append(
                    (tid, subject, _title(age, higher, rnd()), True, pid, region, school_id)
                )
                pools[subject].append(tid)
                all_teachers.append(tid)
        cursor = dict.fromkeys(subjects, 0)
        any_cursor = 0

        for c in school.classes:
            # Teaching assignments: one teacher per subject, the first one is 班主任.
            for i, subject in enumerate(c.subjects):
                pool = pools.get(subject) or []
                if pool:
                    tid = pool[cursor[subject] % len(pool)]
                    cursor[subject] += 1
                else:
                    tid = all_teachers[any_cursor % len(all_teachers)]
                    any_cursor += 1
                assignments.append((nx.assignment, subject, i == 0, c.id, tid))
                nx.assignment += 1
            # Students, and a guardian for the first one and a sample of the others.
            lo = c.born_from
            span = c.born_to - c.born_from + 1
            with_guardian: set[int] = set()
            if c.guardians:
                with_guardian.add(0)
                with_guardian.update(rng.sample(range(1, c.size), c.guardians - 1))
            grade = c.grade
            klass = c.id
            for i in range(c.size):
                gender = 1 if rnd() < 0.515 else 2
                county = single_county or counties[int(rnd() * len(counties))]
                born = lo + int(rnd() * span)
                number, iso = make_id(county, born, gender)
                surname = surnames[int(rnd() * n_surnames)]
                pid = nx.person
                nx.person += 1
                persons.append(
                    (pid, surname + child_pool[gender][bits(12)], number, gender, iso,
                     _ethnicity(rnd()), "")
                )  # fmt: skip
                students.append(
                    (nx.student, grade, "G" + number, "enrolled", klass, pid, region, school_id)
                )
                nx.student += 1
                if i in with_guardian:
                    father = rnd() < 0.55
                    g_gender = 1 if father else 2
                    age_gap = 22 + int(rnd() * 16)
                    g_born = born - age_gap * 365 - int(rnd() * 365)
                    g_number, g_iso = make_id(county, g_born, g_gender)
                    g_surname = surname if father else surnames[int(rnd() * n_surnames)]
                    gid = nx.person
                    nx.person += 1
                    persons.append(
                        (gid, g_surname + adult_pool[g_gender][bits(12)], g_number, g_gender,
                         g_iso, _ethnicity(rnd()), "")
                    )  # fmt: skip
                    guardianships.append((nx.guardianship, "父亲" if father else "母亲", pid, gid))
                    nx.guardianship += 1
        w.maybe_flush()


def rows_of(plan_schools: list[SchoolPlan]) -> dict[str, Any]:
    """Expected row counts of the people phase (for progress and the report)."""
    students = sum(s.students for s in plan_schools)
    guardians = sum(c.guardians for s in plan_schools for c in s.classes)
    teachers = sum(s.teachers for s in plan_schools)
    assignments = sum(len(c.subjects) for s in plan_schools for c in s.classes)
    return {
        "persons": students + guardians + teachers,
        "students": students,
        "teachers": teachers,
        "assignments": assignments,
        "guardianships": guardians,
    }
