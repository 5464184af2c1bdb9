"""Demo accounts: one per role, anchored in the showcase regions of the seeded province.

``DEMO_ACCOUNTS`` lists (username, password, role, anchor); the anchor names where the
role applies: a region key of :class:`eduplus.demo.anchors.Anchors` (province, city,
county, county2), ``school`` (a primary school in the demo county), ``class`` (a class
of that school: the teacher's and the student's), ``child`` (the demo student, for the
parent), or ``""`` for the three administrators.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

from django.db import transaction
from django.utils import timezone

from eduplus.accounts.models import RoleAssignment, User
from eduplus.accounts.services import account_create, role_assign
from eduplus.core.roles import Role
from eduplus.demo.anchors import Anchors
from eduplus.people.models import Guardianship, Person, Student, TeachingAssignment
from eduplus.regions.models import Agency, Region
from eduplus.schools.models import School

DEMO_PASSWORD = "Eduplus@2026"  # noqa: S105 - the published password of the demo accounts


class DemoAccount(NamedTuple):
    username: str
    password: str
    role: str
    anchor: str


DEMO_ACCOUNTS: list[DemoAccount] = [
    DemoAccount("province", DEMO_PASSWORD, Role.PROVINCE_OFFICER, "province"),
    DemoAccount("city", DEMO_PASSWORD, Role.CITY_OFFICER, "city"),
    DemoAccount("county", DEMO_PASSWORD, Role.COUNTY_OFFICER, "county"),
    DemoAccount("county2", DEMO_PASSWORD, Role.COUNTY_OFFICER, "county2"),
    DemoAccount("school", DEMO_PASSWORD, Role.SCHOOL_ADMIN, "school"),
    DemoAccount("teacher", DEMO_PASSWORD, Role.TEACHER, "class"),
    DemoAccount("student", DEMO_PASSWORD, Role.STUDENT, "class"),
    DemoAccount("parent", DEMO_PASSWORD, Role.PARENT, "child"),
    DemoAccount("steward", DEMO_PASSWORD, Role.DATA_STEWARD, "province"),
    DemoAccount("sysadmin", DEMO_PASSWORD, Role.SYSTEM_ADMIN, ""),
    DemoAccount("secadmin", DEMO_PASSWORD, Role.SECURITY_ADMIN, ""),
    DemoAccount("auditor", DEMO_PASSWORD, Role.AUDIT_ADMIN, ""),
]
DEMO_USERNAMES = frozenset(a.username for a in DEMO_ACCOUNTS)

ROLE_ENGLISH: dict[str, str] = {
    Role.PROVINCE_OFFICER: "provincial officer",
    Role.CITY_OFFICER: "city officer",
    Role.COUNTY_OFFICER: "county officer",
    Role.SCHOOL_ADMIN: "school administrator",
    Role.TEACHER: "teacher",
    Role.STUDENT: "student",
    Role.PARENT: "parent",
    Role.SYSTEM_ADMIN: "system administrator",
    Role.SECURITY_ADMIN: "security administrator",
    Role.AUDIT_ADMIN: "audit administrator",
    Role.DATA_STEWARD: "data steward",
}
ADMIN_NOTES: dict[str, str] = {
    Role.SYSTEM_ADMIN: "账号管理；组织数据，不含个人信息",
    Role.SECURITY_ADMIN: "账号解锁、密码策略",
    Role.AUDIT_ADMIN: "审计日志",
}


@dataclass
class DemoCast:
    """The roster people the school-level demo accounts are."""

    school: School
    klass_id: int
    teacher: Person
    student: Person
    parent: Person


def find_cast(county: str) -> DemoCast | None:
    """A primary school of ``county``, the head teacher of its first class of grade 3 or
    above, that class's first student and that student's guardian."""
    for school in School.objects.filter(region_id=county, school_type="211").order_by("code"):
        heads = (
            TeachingAssignment.objects.filter(
                klass__school=school, klass__grade__gte=3, is_head_teacher=True
            )
            .select_related("teacher__person")
            .order_by("klass__grade", "klass__number", "id")
        )
        for head in heads[:10]:
            for student in Student.objects.filter(klass_id=head.klass_id).order_by("id")[:20]:
                guardian = (
                    Guardianship.objects.filter(child_id=student.person_id)
                    .select_related("guardian")
                    .order_by("id")
                    .first()
                )
                if guardian is not None:
                    return DemoCast(
                        school=school,
                        klass_id=head.klass_id,
                        teacher=head.teacher.person,
                        student=student.person,
                        parent=guardian.guardian,
                    )
    return None


def create_demo_accounts(
    anchors: Anchors, *, say: Callable[[str], None] | None = None
) -> list[User]:
    """Create the demo accounts (skipping a username that is already taken)."""
    cast = find_cast(anchors.county)
    regions = {
        "province": anchors.province,
        "city": anchors.city,
        "county": anchors.county,
        "county2": anchors.county2,
    }
    created: list[User] = []
    now = timezone.now()
    with transaction.atomic():
        for account in DEMO_ACCOUNTS:
            if User.objects.filter(username=account.username).exists():
                if say:
                    say(f"  账号 {account.username} 已存在，跳过")
                continue
            region = school = person = None
            display = ""
            if account.anchor in regions:
                region = Region.objects.get(code=regions[account.anchor])
                agency = Agency.objects.filter(region=region).first()
                display = f"{agency.name if agency else region.display_name}（演示）"
            elif account.anchor in ("school", "class", "child"):
                if cast is None:
                    if say:
                        say(f"  演示县没有可用的小学，跳过账号 {account.username}")
                    continue
                if account.role != Role.PARENT:
                    school = cast.school
                if account.role == Role.TEACHER:
                    person = cast.teacher
                elif account.role == Role.STUDENT:
                    person = cast.student
                elif account.role == Role.PARENT:
                    person = cast.parent
                display = person.name if person else f"{cast.school.name}管理员"
            else:
                display = f"{Role(account.role).label}（演示）"
            user = account_create(
                username=account.username,
                display_name=display,
                password=account.password,
                person=person,
                validate=False,
                must_change_password=False,
            )
            role_assign(user=user, role=account.role, region=region, school=school)
            User.objects.filter(pk=user.pk).update(
                must_change_password=False, password_changed_at=now
            )
            created.append(user)
    return created


@dataclass
class LoginRow:
    username: str
    password: str
    role_zh: str
    role_en: str
    anchor: str
    exists: bool


def demo_login_rows() -> list[LoginRow]:
    """The demo accounts as seeded: role and anchor read back from the database."""
    users = {u.username: u for u in User.objects.filter(username__in=DEMO_USERNAMES)}
    rows: list[LoginRow] = []
    for account in DEMO_ACCOUNTS:
        user = users.get(account.username)
        anchor = ""
        if user is not None:
            ra = (
                RoleAssignment.objects.filter(user=user, role=account.role)
                .select_related("region", "school")
                .first()
            )
            if ra is not None and ra.region is not None:
                anchor = f"{ra.region.display_name} ({ra.region.code})"
            elif ra is not None and ra.school is not None:
                anchor = ra.school.name
            if account.role in (Role.TEACHER, Role.STUDENT, Role.PARENT) and user.person_id:
                who = user.display_name
                if account.role == Role.PARENT:
                    child = (
                        Guardianship.objects.filter(guardian_id=user.person_id)
                        .select_related("child")
                        .first()
                    )
                    anchor = f"{who}，{child.child.name}的家长" if child else who
                else:
                    anchor = f"{anchor} · {who}"
            if account.role in ADMIN_NOTES:
                anchor = ADMIN_NOTES[account.role]
        rows.append(
            LoginRow(
                username=account.username,
                password=account.password,
                role_zh=str(Role(account.role).label),
                role_en=ROLE_ENGLISH[account.role],
                anchor=anchor,
                exists=user is not None,
            )
        )
    return rows
