"""Fixtures of the data-sharing tests: golden persons built directly (Person with a
golden_id and its GoldenRecord) in both counties of the `world`, and the stewards.

A test module makes its fixture from the builder::

    @pytest.fixture
    def share_world(world):
        return build_share_world(world)
"""

from __future__ import annotations

import datetime as dt
import hashlib
from types import SimpleNamespace
from typing import Any

from django.utils import timezone

from eduplus.accounts.models import RoleAssignment
from eduplus.core import idnumber
from eduplus.governance.models import GoldenRecord, ShareRequest
from eduplus.governance.sharing import share_request_approve, share_request_create
from eduplus.people.models import Person
from eduplus.regions.models import Region
from eduplus.testing import factories as f

STUDENT_FIELDS = [
    "golden_id",
    "name",
    "id_number",
    "birth_date",
    "gender",
    "school_name",
    "region_code",
    "address",
    "guardian_phone",
]


def golden_person(
    *,
    name: str,
    school: Any,
    person_type: str = "student",
    birth_date: dt.date = dt.date(2014, 9, 1),
    sequence: int,
    gender: int = 1,
    phone: str = "",
    **golden: Any,
) -> GoldenRecord:
    """A golden person (G + valid ID number) at ``school``, in the school's region."""
    id_number = idnumber.make(str(school.region_id), birth_date, sequence, gender)
    person = Person.objects.create(
        name=name,
        id_number=id_number,
        gender=gender,
        birth_date=birth_date,
        ethnicity="01",
        phone=phone,
        golden_id=f"G{id_number}",
    )
    return GoldenRecord.objects.create(
        person=person,
        person_type=person_type,
        region_id=school.region_id,
        school=school,
        record_count=2,
        source_count=2,
        **golden,
    )


def share_request_for(officer: Any, region_code: str, **overrides: Any) -> ShareRequest:
    """A pending request of ``officer`` over ``region_code`` (students, the usual fields)."""
    today = timezone.localdate()
    kwargs: dict[str, Any] = {
        "requester": officer,
        "organisation": "测试教育局",
        "dataset": "golden:students",
        "fields": STUDENT_FIELDS,
        "unmasked_fields": ["name", "id_number"],
        "region": Region.objects.get(code=region_code),
        "purpose": "学生资助精准认定，与民政低保名单比对",
        "starts_on": today,
        "ends_on": today + dt.timedelta(days=30),
    }
    kwargs.update(overrides)
    return share_request_create(**kwargs)


def approved(share_request: ShareRequest, steward: Any, **kwargs: Any) -> tuple[ShareRequest, str]:
    return share_request_approve(share_request=share_request, reviewer=steward, **kwargs)


def sha256(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def build_share_world(world: Any) -> SimpleNamespace:
    """The `world` plus golden persons and two stewards.

    County A (410102): students 甲共享学生一, 甲共享学生二 and teacher 甲共享教师;
    county B (410202): student 乙共享学生. A third user holds both the officer and the
    steward roles (for self-review).
    """
    a, b = world.a, world.b
    s1 = golden_person(
        name="甲共享学生一",
        school=a.school,
        sequence=901,
        grade=3,
        class_name="三年级（1）班",
        address="河南省郑州市中原区建设路100号3单元",
        guardian_phone="13812345678",
        aid_status="一档",
        health_result="良好",
    )
    s2 = golden_person(
        name="甲共享学生二",
        school=a.school,
        sequence=902,
        gender=2,
        grade=4,
        address="河南省郑州市中原区桐柏路8号",
        guardian_phone="13987654321",
    )
    t1 = golden_person(
        name="甲共享教师",
        school=a.school,
        person_type="teacher",
        birth_date=dt.date(1985, 6, 1),
        sequence=903,
        phone="13700001111",
        subject="数学",
        title="一级教师",
    )
    sb = golden_person(
        name="乙共享学生",
        school=b.school,
        sequence=904,
        address="河南省开封市龙亭区中山路1号",
        guardian_phone="13600002222",
    )
    steward = f.user_with_role("data_steward", region="41", username="steward-t")
    steward2 = f.user_with_role("data_steward", region="41", username="steward-t2")
    both = f.user_with_role("province_officer", region="41", username="officer-steward")
    RoleAssignment.objects.create(user=both, role="data_steward", region_id="41")
    return SimpleNamespace(
        world=world,
        a=a,
        b=b,
        officer_a=a.users["county_officer"],
        officer_b=b.users["county_officer"],
        city_a=a.users["city_officer"],
        steward=steward,
        steward2=steward2,
        officer_steward=both,
        students_a=[s1, s2],
        teacher_a=t1,
        student_b=sb,
    )


def county_share_request(county: Any) -> ShareRequest:
    """An approved request of a `world` county's officer over the county, made once per
    county and kept on it (for the scope walk's ``share_pk``: seen like the county)."""
    cached = getattr(county, "_share_request", None)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    from eduplus.accounts.models import User

    steward = User.objects.filter(username="walk-steward").first() or f.user_with_role(
        "data_steward", region="41", username="walk-steward"
    )
    sr = share_request_for(
        county.users["county_officer"],
        county.code,
        organisation=f"{county.school.name[:3]}教育局",
    )
    sr, _raw = approved(sr, steward)
    county._share_request = sr
    return sr
