import dataclasses
import datetime as dt
import hashlib
import io

import pytest
from django.contrib.auth import password_validation
from django.core.management import CommandError, call_command
from django.db import connection

from eduplus.accounts.models import User
from eduplus.core import idnumber
from eduplus.core.models import AuditEntry
from eduplus.demo.accounts import DEMO_ACCOUNTS, DEMO_PASSWORD, ROLE_ENGLISH
from eduplus.demo.anchors import demo_anchors
from eduplus.demo.people import PEOPLE_TABLES
from eduplus.demo.scales import SCALES
from eduplus.demo.services import (
    SeedRefused,
    plan_province,
    seed_province,
    seed_reset,
)
from eduplus.demo.writer import secondary_indexes
from eduplus.people.models import Guardianship, Person, Student, Teacher, TeachingAssignment
from eduplus.regions.models import Agency, Region
from eduplus.schools.codes import TYPE_GRADES, SchoolType
from eduplus.schools.models import School, SchoolClass
from eduplus.schools.validators import school_code_problem
from eduplus.testing import factories as f

TINY = SCALES["tiny"]


def seed_tiny(**kwargs):
    opts = {"scale": TINY, "seed": 7, "province": "41", "stdout": io.StringIO()}
    opts.update(kwargs)
    return seed_province(**opts)


@pytest.fixture
def seeded(db):
    return seed_tiny()


def digest() -> str:
    h = hashlib.sha256()
    for code, name in School.objects.order_by("code").values_list("code", "name"):
        h.update(f"{code}|{name}\n".encode())
    people = Person.objects.exclude(id_number=None).order_by("id_number")
    for name, number in people.values_list("name", "id_number")[::7]:
        h.update(f"{name}|{number}\n".encode())
    return h.hexdigest()


# The data ------------------------------------------------------------------------------


def test_every_id_number_is_valid_and_matches_the_person_and_school(seeded):
    rows = Student.objects.values_list(
        "person__id_number",
        "person__birth_date",
        "person__gender",
        "region_id",
        "student_number",
        "grade",
        "school__school_type",
    )
    assert len(rows) > 1000
    for number, birth, gender, region, student_number, grade, school_type in rows:
        parsed = idnumber.parse(number)  # check character, date, length
        assert parsed.value == number
        assert idnumber.check_char(number[:17]) == number[17]
        assert parsed.county_code.startswith(region)  # county schools: equal
        if len(region) == 6:
            assert parsed.county_code == region
        assert parsed.birth_date == birth
        assert parsed.gender == gender
        assert student_number == "G" + number
        if school_type != "111" and grade:
            # Grade g is 5 + g years old on 2026-09-01 (grade 1: six).
            age = 2026 - birth.year - ((birth.month, birth.day) > (9, 1))
            assert age == 5 + grade, (grade, birth)
    for number, birth, gender, region in Teacher.objects.values_list(
        "person__id_number", "person__birth_date", "person__gender", "region_id"
    ):
        parsed = idnumber.parse(number)
        assert parsed.county_code.startswith(region)
        assert (parsed.birth_date, parsed.gender) == (birth, gender)
    for number, birth, gender in Person.objects.filter(wards__isnull=False).values_list(
        "id_number", "birth_date", "gender"
    ):
        parsed = idnumber.parse(number)
        assert (parsed.birth_date, parsed.gender) == (birth, gender)
    numbers = list(Person.objects.exclude(id_number=None).values_list("id_number", flat=True))
    assert len(numbers) == len(set(numbers))


def test_grade_one_is_six_or_seven_years_old():
    from eduplus.demo.plan import birth_window

    lo, hi = birth_window("211", 1, 2026)
    assert dt.date.fromordinal(lo) == dt.date(2019, 9, 2)
    assert dt.date.fromordinal(hi) == dt.date(2020, 9, 1)
    lo, hi = birth_window("111", 0, 2026)  # 小班
    assert dt.date.fromordinal(hi) == dt.date(2023, 9, 1)


def test_school_codes_are_valid_unique_and_match_type_and_province(seeded):
    schools = list(School.objects.all())
    assert len({s.code for s in schools}) == len(schools)
    for school in schools:
        assert school_code_problem(school.code) is None
        assert school.code[:2] == school.school_type[:2]
        assert school.code[2:4] == "41"
        school.full_clean()  # model validation, including clean()
    types = {s.school_type for s in schools}
    assert types == set(SchoolType.values)


def test_teaching_points_hang_under_a_primary_school_of_the_same_county(seeded):
    points = School.objects.filter(school_type="218").select_related("parent_school")
    assert points.exists()
    for point in points:
        assert point.parent_school is not None
        assert point.parent_school.region_id == point.region_id
        assert point.parent_school.school_type in ("211", "312")
        assert point.urban_rural == "220"
        assert point.name.endswith("村教学点")


def test_classes_follow_the_type_grade_ranges(seeded):
    for school_type, grade in SchoolClass.objects.values_list("school__school_type", "grade"):
        lo, hi = TYPE_GRADES[school_type]
        assert lo <= grade <= hi


def test_agencies_one_per_region_of_the_province(seeded):
    assert Agency.objects.get(region_id="41").name == "河南省教育厅"
    assert Agency.objects.get(region_id="4101").name == "郑州市教育局"
    assert Agency.objects.get(region_id="410102").name == "中原区教育局"
    counties = Region.objects.filter(level=3, code__startswith="41").count()
    assert Agency.objects.filter(region__level=3).count() == counties
    assert not Agency.objects.filter(region__name="省直辖县级行政区划").exists()


def test_headcounts_equal_the_rosters(seeded):
    for school in School.objects.all():
        assert school.student_count == Student.objects.filter(school=school).count()
        assert school.teacher_count == Teacher.objects.filter(school=school).count()
        assert school.class_count == SchoolClass.objects.filter(school=school).count()


@pytest.mark.django_db
def test_small_scale_covers_every_county_and_the_showcase_counties():
    plan = plan_province(scale="small", seed=2026, province="41")
    counties = set(
        Region.objects.filter(level=3, code__startswith="41").values_list("code", flat=True)
    )
    seeded_counties = {s.region_id for s in plan.schools if len(s.region_id) == 6}
    assert seeded_counties == counties
    per_county = {c: sum(1 for s in plan.schools if s.region_id == c) for c in counties}
    assert per_county["410102"] >= 15 and per_county["410105"] >= 15
    assert 600 <= len(plan.schools) <= 900
    assert 30_000 <= plan.students <= 60_000
    assert {s.school_type for s in plan.schools} == set(SchoolType.values)
    assert any(s.name == "中原区实验小学" for s in plan.schools)


# Demo accounts -------------------------------------------------------------------------


def test_demo_accounts_have_their_roles_and_log_in(seeded, client):
    assert len({a.username for a in DEMO_ACCOUNTS}) == 12
    for account in DEMO_ACCOUNTS:
        user = User.objects.get(username=account.username)
        assert user.role_codes() == {account.role}
        assert not user.must_change_password
        assert user.password_changed_at is not None
        # The policy holds (checked as for a new account: the history validator would
        # refuse the current password itself).
        fresh = User(username=user.username, display_name=user.display_name)
        password_validation.validate_password(account.password, fresh)
        client.logout()
        response = client.post("/login/", {"username": account.username, "password": DEMO_PASSWORD})
        assert response.status_code == 302, account.username
    admins = {"sysadmin", "secadmin", "auditor"}
    assert len({User.objects.get(username=u).pk for u in admins}) == 3
    anchors = {
        u: User.objects.get(username=u).role_assignments.get().region_id
        for u in ("province", "city", "county", "county2")
    }
    assert anchors == {"province": "41", "city": "4101", "county": "410102", "county2": "410105"}


def test_demo_teacher_student_and_parent_are_linked(seeded):
    teacher = User.objects.get(username="teacher")
    student = User.objects.get(username="student")
    parent = User.objects.get(username="parent")
    school_admin = User.objects.get(username="school")
    school = school_admin.role_assignments.get().school
    assert school.region_id == "410102" and school.school_type == "211"
    enrolment = Student.objects.get(person=student.person)
    assert enrolment.school == school and enrolment.grade >= 3
    assert TeachingAssignment.objects.filter(
        teacher__person=teacher.person, klass=enrolment.klass
    ).exists()
    # The teacher's scope holds the student's class; the student is visible to them.
    assert enrolment.klass_id in teacher.get_scope().class_ids
    assert Student.objects.visible_to(teacher).filter(pk=enrolment.pk).exists()
    # The parent sees their child and nobody else's.
    assert Guardianship.objects.filter(guardian=parent.person, child=student.person).exists()
    visible = Student.objects.visible_to(parent)
    assert list(visible.values_list("pk", flat=True)) == [enrolment.pk]
    assert Person.objects.visible_to(parent).filter(pk=student.person_id).exists()


def test_demo_logins_prints_every_account_with_both_role_names(seeded):
    out = io.StringIO()
    call_command("demo_logins", stdout=out)
    text = out.getvalue()
    for account in DEMO_ACCOUNTS:
        assert account.username in text
        assert ROLE_ENGLISH[account.role] in text
    assert DEMO_PASSWORD in text
    assert "省级教育管理者" in text and "中原区" in text and "金水区" in text
    assert "中原区" in text and "小学" in text


# Determinism, --if-empty, refusal, reset ----------------------------------------------


@pytest.mark.django_db
def test_same_seed_gives_the_same_province_and_another_seed_does_not():
    seed_tiny(seed=11)
    first = digest()
    seed_tiny(seed=11, reset=True)
    assert digest() == first
    seed_tiny(seed=12, reset=True)
    assert digest() != first


@pytest.mark.django_db
def test_if_empty_seeds_once_then_does_nothing():
    out = io.StringIO()
    call_command("seed", "--scale", "tiny", "--if-empty", "--seed", "3", stdout=out)
    counts = (School.objects.count(), Person.objects.count(), User.objects.count())
    assert counts[0] > 0
    out = io.StringIO()
    call_command("seed", "--scale", "tiny", "--if-empty", "--seed", "3", stdout=out)
    assert "跳过" in out.getvalue()
    assert (School.objects.count(), Person.objects.count(), User.objects.count()) == counts


@pytest.mark.django_db
def test_seed_refuses_a_database_with_schools():
    f.SchoolFactory()
    with pytest.raises(CommandError, match="--reset") as exc:
        call_command("seed", "--scale", "tiny", stdout=io.StringIO())
    assert exc.value.returncode == 1
    with pytest.raises(SeedRefused):
        seed_tiny()
    assert School.objects.count() == 1


@pytest.mark.django_db
def test_reset_keeps_the_audit_log_and_the_deployments_own_administrators():
    own_admin = f.user_with_role("system_admin", username="ops-admin")
    seed_tiny()
    audit_before = AuditEntry.objects.count()
    assert audit_before > 0
    seed_reset(stdout=io.StringIO())
    assert not School.objects.exists() and not Person.objects.exists()
    assert not Agency.objects.exists()
    assert list(User.objects.values_list("username", flat=True)) == [own_admin.username]
    assert AuditEntry.objects.count() == audit_before + 1  # kept, plus the reset itself
    call_command("seed", "--scale", "tiny", "--reset", stdout=io.StringIO())
    assert User.objects.filter(username="teacher").exists()


@pytest.mark.django_db
def test_dropped_indexes_are_rebuilt():
    tables = [t.name for t in PEOPLE_TABLES]
    before = secondary_indexes(tables)
    assert before
    report = seed_tiny(scale=dataclasses.replace(TINY, drop_indexes=True), accounts=False)
    assert secondary_indexes(tables) == before
    assert [p.name for p in report.phases][:3] == ["schools", "people", "indexes"]
    assert Student.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("province", ["11", "46"])
def test_any_province_can_be_seeded(province):
    anchors = demo_anchors(province)
    seed_tiny(province=province)
    in_province = School.objects.filter(region__code__startswith=province)
    assert in_province.count() == School.objects.count()
    assert School.objects.filter(region_id__in=anchors.showcase).count() >= 2 * 12
    assert User.objects.get(username="county").role_assignments.get().region_id == anchors.county
    sample = Student.objects.select_related("person")[:200]
    assert all(s.person.id_number.startswith(province) for s in sample)


@pytest.mark.django_db
def test_pks_are_assigned_past_existing_rows_and_sequences_follow():
    f.PersonFactory()  # a person already there (no school): seed must not collide
    seed_tiny(accounts=False)
    person = Person.objects.create(name="后来者")
    assert person.pk > max(Student.objects.values_list("person_id", flat=True))
    if connection.vendor == "sqlite":
        assert School.objects.count() > 0
