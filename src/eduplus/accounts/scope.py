"""From role assignments to a Scope (see core.scoping)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings

from eduplus.core.roles import OFFICER_ROLES, Role
from eduplus.core.scoping import Scope
from eduplus.people.models import Guardianship, Student, Teacher, TeachingAssignment
from eduplus.schools.models import School

if TYPE_CHECKING:
    from eduplus.accounts.models import User


def build_scope(user: User) -> Scope:
    if not user.is_active:
        return Scope()
    regions: set[str] = set()
    schools: set[int] = set()
    classes: set[int] = set()
    persons: set[int] = set()
    org_regions: set[str] = set()
    org_schools: set[int] = set()
    roles: set[str] = set()
    for role, region_id, school_id in user.role_assignments.values_list(
        "role", "region_id", "school_id"
    ):
        roles.add(role)
        if role in OFFICER_ROLES and region_id:
            regions.add(region_id)
        elif role == Role.SCHOOL_ADMIN and school_id:
            schools.add(school_id)
        elif role == Role.TEACHER and school_id:
            org_schools.add(school_id)
            if user.person_id:
                persons.add(user.person_id)
                teacher_ids = Teacher.objects.filter(
                    person_id=user.person_id, school_id=school_id
                ).values_list("id", flat=True)
                classes.update(
                    TeachingAssignment.objects.filter(teacher_id__in=list(teacher_ids)).values_list(
                        "klass_id", flat=True
                    )
                )
        elif role == Role.STUDENT and school_id:
            org_schools.add(school_id)
            if user.person_id:
                persons.add(user.person_id)
        elif role == Role.PARENT and user.person_id:
            children = list(
                Guardianship.objects.filter(guardian_id=user.person_id).values_list(
                    "child_id", flat=True
                )
            )
            persons.update(children)
            org_schools.update(
                Student.objects.filter(person_id__in=children).values_list("school_id", flat=True)
            )
        elif role == Role.SYSTEM_ADMIN:
            # Organisation data of the deployment's province; never people's records.
            org_regions.add(settings.EDUPLUS_PROVINCE)
    # A teaching point (教学点) is run by its central school: whoever holds the school
    # holds its teaching points too.
    if schools or org_schools:
        points = dict(
            School.objects.filter(parent_school_id__in=sorted(schools | org_schools)).values_list(
                "id", "parent_school_id"
            )
        )
        schools |= {p for p, parent in points.items() if parent in schools}
        org_schools |= {p for p, parent in points.items() if parent in org_schools}
    return Scope(
        region_codes=frozenset(regions),
        school_ids=frozenset(schools),
        class_ids=frozenset(classes),
        person_ids=frozenset(persons),
        org_region_codes=frozenset(org_regions),
        org_school_ids=frozenset(org_schools),
        roles=frozenset(roles),
    )
