"""Space usage rates against a hand count, the facts written for monitoring, the CLI."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from eduplus.monitoring.models import IndicatorValue, SchoolFacts
from eduplus.regions.models import Region
from eduplus.spaces import services
from eduplus.spaces.models import LrsClient, Statement
from eduplus.spaces.usage import Period, child_region_rows, recent_periods, school_counts
from eduplus.testing import factories as f

OCT = timezone.make_aware(dt.datetime(2026, 10, 12, 9, 0))
MAY = timezone.make_aware(dt.datetime(2026, 5, 20, 9, 0))


def act(user, moment=OCT):  # type: ignore[no-untyped-def]
    return services.statement_record(
        user=user, verb="viewed", object_id="https://eduplus.example.cn/x", timestamp=moment
    )


@pytest.fixture
def small_world(world):  # type: ignore[no-untyped-def]
    """County A: 2 teachers (1 active in October), students of grade 3 (active), grade 4
    (inactive) and grade 2 (active, but not counted: below grade 3)."""
    a = world.a
    second = f.TeacherFactory(school=a.school, person=f.PersonFactory(name="甲第二教师"))
    second_user = f.user_with_role("teacher", school=a.school, person=second.person)
    young_class = f.SchoolClassFactory(school=a.school, grade=2, number=5, entry_year=2024)
    young = f.StudentFactory(klass=young_class, person=f.PersonFactory(name="甲二年级生"))
    young_user = f.user_with_role("student", school=a.school, person=young.person)
    act(a.users["teacher"])
    act(a.users["student"])
    act(a.users["student"])  # twice: still one active student
    act(young_user)
    act(second_user, MAY)  # active in the previous school year only
    # County B: its teacher active, nobody else.
    act(world.b.users["teacher"])
    return world


@pytest.mark.django_db
def test_school_counts_equal_a_hand_count(small_world):
    a = small_world.a
    october = {r.school_id: r for r in school_counts(Period.month(2026, 10))}
    row = october[a.school.pk]
    assert (row.teachers_active, row.teachers) == (1, 2)
    assert (row.students_active, row.students) == (1, 2)  # grade 3 active, grade 4 not
    assert row.teacher_rate == 50.0 and row.student_rate == 50.0
    year = {r.school_id: r for r in school_counts(Period.school_year(2026))}
    assert (year[a.school.pk].teachers_active, year[a.school.pk].students_active) == (1, 1)
    earlier = {r.school_id: r for r in school_counts(Period.school_year(2025))}
    assert (earlier[a.school.pk].teachers_active, earlier[a.school.pk].students_active) == (1, 0)
    b_row = october[small_world.b.school.pk]
    assert (b_row.teachers_active, b_row.teachers, b_row.students_active) == (1, 1, 0)


@pytest.mark.django_db
def test_region_rollup_and_scope(small_world):
    officer = small_world.province_officer
    henan = Region.objects.get(code="41")
    cities = {r.code: r for r in child_region_rows(officer, henan, Period.month(2026, 10))}
    assert (cities["4101"].teachers_active, cities["4101"].teachers) == (1, 2)
    assert (cities["4101"].students_active, cities["4101"].students) == (1, 2)
    assert (cities["4102"].teachers_active, cities["4102"].teachers) == (1, 1)
    # A county officer's counts never include another county's people.
    county_a = small_world.a.users["county_officer"]
    rows = school_counts(Period.month(2026, 10), user=county_a)
    assert {r.school_id for r in rows} == {small_world.a.school.pk}


@pytest.mark.django_db
def test_voided_statements_do_not_count(small_world):
    Statement.objects.filter(user=small_world.a.users["teacher"]).update(voided=True)
    row = {r.school_id: r for r in school_counts(Period.month(2026, 10))}[small_world.a.school.pk]
    assert row.teachers_active == 0


@pytest.mark.django_db
def test_usage_facts_feed_the_monitoring_indicators(small_world):
    report = services.usage_facts_write(year=2026)
    assert report.rejected == 0, report.errors
    facts = SchoolFacts.objects.get(school=small_world.a.school, year=2026)
    assert (facts.teachers_space_active, facts.teachers_total) == (1, 2)
    assert (facts.students_g3_space_active, facts.students_g3_total) == (1, 2)
    values = {
        v.indicator.code: v
        for v in IndicatorValue.objects.filter(
            year=2026, school=small_world.a.school
        ).select_related("indicator")
    }
    row = {r.school_id: r for r in school_counts(Period.school_year(2026))}[small_world.a.school.pk]
    assert values["teacher_space"].value == pytest.approx(row.teacher_rate)
    assert values["student_space"].value == pytest.approx(row.student_rate)
    county = IndicatorValue.objects.get(
        indicator__code="teacher_space", year=2026, level=3, area="410102"
    )
    assert (county.numerator, county.denominator) == (1, 2)


@pytest.mark.django_db
def test_cli(small_world):
    out = StringIO()
    call_command("spaces", "lrs-client", "create", "--name", "作业应用", "--region", "410102",
                 stdout=out)  # fmt: skip
    text = out.getvalue()
    client = LrsClient.objects.get(name="作业应用")
    secret = text.split("secret: ")[1].split()[0]
    assert secret not in client.secret_hash
    assert services.lrs_client_authenticate(client.key, secret) == client
    out = StringIO()
    call_command("spaces", "usage", "--year", "2026", "--region", "410102", stdout=out)
    assert SchoolFacts.objects.filter(year=2026, school=small_world.a.school).exists()
    assert not SchoolFacts.objects.filter(year=2026, school=small_world.b.school).exists()


def test_periods():
    assert Period.parse("2026-10") == Period("month", "2026-10")
    assert Period.parse("2026") == Period("year", "2026")
    assert Period.parse("2026-13") is None and Period.parse("x") is None
    periods = recent_periods(dt.date(2026, 11, 23))
    assert periods[0] == Period.school_year(2026)
    assert Period.month(2026, 11) in periods and Period.month(2025, 12) in periods
    assert services.period_columns(timezone.make_aware(dt.datetime(2026, 8, 31, 23, 0))) == (
        "2026-08",
        2025,
    )
