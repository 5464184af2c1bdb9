"""Shared fixtures: a two-county world, one account per role in each county.

County A is 中原区 (410102, 郑州市), county B is 龙亭区 (410202, 开封市): different
cities, so every officer level has an "other region" to be kept out of.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pytest

from eduplus.testing import factories as f


@dataclass
class County:
    code: str
    school: Any
    teaching_point: Any
    klass: Any
    other_class: Any
    student: Any
    other_student: Any  # same school, a class the teacher does not teach
    teacher: Any
    child: Any  # the parent's child (== student)
    users: dict[str, Any] = field(default_factory=dict)


def build_county(code: str, tag: str) -> County:
    school = f.SchoolFactory(name=f"{tag}哨兵实验小学", region=f.region(code))
    tp = f.SchoolFactory(name=f"{tag}哨兵村教学点", region=f.region(code), school_type="218",
                         urban_rural="220", parent_school=school)
    klass = f.SchoolClassFactory(school=school, grade=3, number=1, entry_year=2023)
    other_class = f.SchoolClassFactory(school=school, grade=4, number=2, entry_year=2022)
    student = f.StudentFactory(
        klass=klass,
        person=f.PersonFactory(name=f"{tag}哨兵学生", id_number=None, birth_date=dt.date(2016, 4, 1)),
    )
    student.person.id_number = f.idnumber.make(code, student.person.birth_date, student.pk, 1)
    student.person.save()
    other_student = f.StudentFactory(
        klass=other_class, person=f.PersonFactory(name=f"{tag}哨兵同校生", id_number=None)
    )
    teacher = f.TeacherFactory(school=school, person=f.PersonFactory(name=f"{tag}哨兵教师"))
    f.TeachingAssignmentFactory(teacher=teacher, klass=klass, is_head_teacher=True)
    parent_person = f.PersonFactory(name=f"{tag}哨兵家长", id_number=None)
    f.GuardianshipFactory(guardian=parent_person, child=student.person)
    county = County(code=code, school=school, teaching_point=tp, klass=klass,
                    other_class=other_class, student=student, other_student=other_student,
                    teacher=teacher, child=student)
    p = tag.lower()
    county.users = {
        "province_officer": None,
        "city_officer": f.user_with_role("city_officer", region=code[:4], username=f"{p}-city"),
        "county_officer": f.user_with_role("county_officer", region=code, username=f"{p}-county"),
        "school_admin": f.user_with_role("school_admin", school=school, username=f"{p}-school"),
        "teacher": f.user_with_role("teacher", school=school, person=teacher.person,
                                    username=f"{p}-teacher"),
        "student": f.user_with_role("student", school=school, person=student.person,
                                    username=f"{p}-student"),
        "parent": f.user_with_role("parent", person=parent_person, username=f"{p}-parent"),
    }
    return county


@dataclass
class World:
    a: County
    b: County
    province_officer: Any
    other_province_officer: Any
    system_admin: Any
    security_admin: Any
    data_steward: Any
    audit_admin: Any


@pytest.fixture
def world(db: Any) -> World:
    from eduplus.schools.services import school_headcounts_refresh

    a = build_county("410102", "甲")
    b = build_county("410202", "乙")
    w = World(
        a=a,
        b=b,
        province_officer=f.user_with_role("province_officer", region="41", username="prov"),
        other_province_officer=f.user_with_role("province_officer", region="42",
                                                username="prov-hubei"),
        system_admin=f.user_with_role("system_admin", username="sysadmin"),
        security_admin=f.user_with_role("security_admin", username="secadmin"),
        audit_admin=f.user_with_role("audit_admin", username="auditor"),
        data_steward=f.user_with_role("data_steward", region="41", username="steward"),
    )
    school_headcounts_refresh()
    return w


@pytest.fixture
def login(client: Any):  # type: ignore[no-untyped-def]
    """Log a user in through the real login form; returns the client."""

    def _login(user: Any, password: str = f.DEMO_PASSWORD) -> Any:
        response = client.post("/login/", {"username": user.username, "password": password})
        assert response.status_code == 302, response.content.decode()[:500]
        return client

    return _login
