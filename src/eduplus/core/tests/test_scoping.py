import pytest

from eduplus.core.models import AuditEntry
from eduplus.core.scoping import (
    Scope,
    ScopeFields,
    access_object,
    minimal_prefixes,
    region_subtree_upper_bound,
)
from eduplus.people.models import Student
from eduplus.regions.models import Region
from eduplus.schools.models import School


def test_subtree_bounds_are_prefix_ranges():
    assert region_subtree_upper_bound("41") == "42"
    assert region_subtree_upper_bound("4199") == "419:"
    for code in ("41", "4101", "410102", "419001"):
        assert "41" <= code < region_subtree_upper_bound("41")
    assert region_subtree_upper_bound("41") <= "42"
    assert minimal_prefixes({"41", "4101", "410102", "42"}) == {"41", "42"}


def test_an_empty_scope_grants_nothing():
    assert Scope().is_empty
    q = Scope().q_for(ScopeFields(region="region_id"))
    assert "pk__in" in str(q)


@pytest.mark.django_db
def test_region_visibility_by_officer_level(world):
    a, b = world.a, world.b
    county_schools = set(School.objects.visible_to(a.users["county_officer"]))
    assert county_schools == {a.school, a.teaching_point}
    assert set(School.objects.visible_to(world.province_officer)) >= {a.school, b.school}
    assert not School.objects.visible_to(world.other_province_officer).exists()
    assert Region.objects.visible_to(a.users["city_officer"]).filter(code="4101").exists()
    assert not Region.objects.visible_to(a.users["city_officer"]).filter(code="4102").exists()


@pytest.mark.django_db
def test_people_visibility_by_school_role(world):
    a = world.a
    assert set(Student.objects.visible_to(a.users["school_admin"])) == {a.student, a.other_student}
    assert set(Student.objects.visible_to(a.users["teacher"])) == {a.student}
    assert set(Student.objects.visible_to(a.users["student"])) == {a.student}
    assert set(Student.objects.visible_to(a.users["parent"])) == {a.student}
    # The system administrator sees organisations, never people (三员: no data access).
    assert School.objects.visible_to(world.system_admin).filter(pk=a.school.pk).exists()
    assert not Student.objects.visible_to(world.system_admin).exists()
    assert not Student.objects.visible_to(world.audit_admin).exists()
    assert not Student.objects.visible_to(None).exists()


@pytest.mark.django_db
def test_access_object_answers_404_alike_and_audits_only_the_forbidden(world, rf):
    from django.http import Http404

    user = world.a.users["county_officer"]
    request = rf.get("/")
    request.user = user
    before = AuditEntry.objects.filter(action="permission.denied").count()
    with pytest.raises(Http404):
        access_object(user, School, pk=world.b.school.pk, request=request)
    with pytest.raises(Http404):
        access_object(user, School, pk=987654321, request=request)
    with pytest.raises(Http404):
        access_object(user, School, pk="not-a-number", request=request)
    assert AuditEntry.objects.filter(action="permission.denied").count() == before + 1
    assert access_object(user, School, pk=world.a.school.pk) == world.a.school
