"""Reads of people, scoped to a user. Callers audit the personal data they show."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet

from eduplus.core.scoping import region_subtree_q, scope_for
from eduplus.people.models import Guardianship, Student, Teacher, TeachingAssignment
from eduplus.schools.models import SchoolClass


def student_list(
    user: Any,
    *,
    q: str = "",
    school_id: int | None = None,
    klass_id: int | None = None,
    region: str = "",
    grade: int | None = None,
) -> QuerySet[Student]:
    qs = Student.objects.visible_to(user).select_related("person", "school", "klass", "region")
    if q.strip():
        text = q.strip()
        qs = qs.filter(Q(person__name__startswith=text) | Q(student_number=text))
    if school_id:
        qs = qs.filter(school_id=school_id)
    if klass_id:
        qs = qs.filter(klass_id=klass_id)
    if region:
        qs = qs.filter(region_subtree_q("region_id", region))
    if grade is not None:
        qs = qs.filter(grade=grade)
    return qs.order_by("id")


def teacher_list(
    user: Any, *, q: str = "", school_id: int | None = None, region: str = ""
) -> QuerySet[Teacher]:
    qs = Teacher.objects.visible_to(user).select_related("person", "school", "region")
    if q.strip():
        qs = qs.filter(person__name__startswith=q.strip())
    if school_id:
        qs = qs.filter(school_id=school_id)
    if region:
        qs = qs.filter(region_subtree_q("region_id", region))
    return qs.order_by("id")


def teacher_classes(user: Any) -> list[SchoolClass]:
    """The classes a teacher teaches, with their student counts."""
    scope = scope_for(user)
    if not scope.class_ids:
        return []
    return list(
        SchoolClass.objects.filter(id__in=sorted(scope.class_ids))
        .select_related("school")
        .annotate(student_total=Count("students"))
        .order_by("school_id", "grade", "number")
    )


def children_of(user: Any) -> list[Student]:
    """A parent's children's current enrolments."""
    person_id = getattr(user, "person_id", None)
    if not person_id:
        return []
    child_ids = Guardianship.objects.filter(guardian_id=person_id).values_list(
        "child_id", flat=True
    )
    return list(student_list(user).filter(person_id__in=list(child_ids)))


def student_teachers(student: Student) -> QuerySet[TeachingAssignment]:
    if not student.klass_id:
        return TeachingAssignment.objects.none()
    return TeachingAssignment.objects.filter(klass_id=student.klass_id).select_related(
        "teacher__person"
    )
