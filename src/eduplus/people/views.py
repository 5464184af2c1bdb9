"""Student and teacher lists and details. Personal data: ID numbers are masked; a
role that needs the full number reveals it explicitly; every read is audited."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST

from eduplus.core.audit import audit_record
from eduplus.core.pagination import PEOPLE_COUNT_CAP, paginate, querystring_without_page
from eduplus.core.permissions import deny, require_action, user_can
from eduplus.core.roles import Action
from eduplus.core.scoping import access_object
from eduplus.people.models import Student, Teacher
from eduplus.people.selectors import student_list, student_teachers, teacher_list
from eduplus.schools.codes import GRADE_NAMES


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None


@require_action(Action.PERSON_VIEW)
def students(request: HttpRequest) -> HttpResponse:
    g = request.GET
    region = g.get("region", "") if g.get("region", "").isdigit() else ""
    qs = student_list(
        request.user,
        q=g.get("q", "")[:32],
        school_id=_int(g.get("school")),
        klass_id=_int(g.get("class")),
        region=region,
        grade=_int(g.get("grade")),
    )
    page = paginate(request, qs, count_cap=PEOPLE_COUNT_CAP)
    ids = [s.pk for s in page.object_list]
    audit_record(
        actor=request.user,
        action="person.list",
        request=request,
        target_type="people.student",
        details={"ids": ids, "page": page.number},
    )
    return render(
        request,
        "people/students.html",
        {
            "page": page,
            "qs": querystring_without_page(request),
            "grades": GRADE_NAMES.items(),
            "filters": {
                "q": g.get("q", ""),
                "grade": g.get("grade", ""),
                "school": g.get("school", ""),
                "class": g.get("class", ""),
                "region": region,
            },
        },
    )


@require_action(Action.PERSON_VIEW)
def student_detail(request: HttpRequest, student_pk: int) -> HttpResponse:
    student = access_object(
        request.user,
        Student.objects.select_related("person", "school", "klass", "region"),
        pk=student_pk,
        request=request,
    )
    audit_record(
        actor=request.user,
        action="person.view",
        request=request,
        target_type="people.student",
        target_id=str(student.pk),
        target_repr=student.person.name,
    )
    return render(
        request,
        "people/student_detail.html",
        {
            "student": student,
            "teachers": student_teachers(student),
            "can_reveal": user_can(request.user, Action.PERSON_VIEW_ID_NUMBER),
        },
    )


@require_POST
@require_action(Action.PERSON_VIEW)
def student_reveal_id(request: HttpRequest, student_pk: int) -> HttpResponse:
    student = access_object(
        request.user, Student.objects.select_related("person"), pk=student_pk, request=request
    )
    if not user_can(request.user, Action.PERSON_VIEW_ID_NUMBER):
        raise deny(request, Action.PERSON_VIEW_ID_NUMBER)
    audit_record(
        actor=request.user,
        action="person.reveal_id_number",
        request=request,
        target_type="people.person",
        target_id=str(student.person_id),
        target_repr=student.person.name,
    )
    return render(request, "people/_id_number.html", {"person": student.person})


@require_action(Action.STAFF_VIEW)
def teachers(request: HttpRequest) -> HttpResponse:
    g = request.GET
    region = g.get("region", "") if g.get("region", "").isdigit() else ""
    qs = teacher_list(
        request.user, q=g.get("q", "")[:32], school_id=_int(g.get("school")), region=region
    )
    page = paginate(request, qs, count_cap=PEOPLE_COUNT_CAP)
    audit_record(
        actor=request.user,
        action="person.list",
        request=request,
        target_type="people.teacher",
        details={"ids": [t.pk for t in page.object_list], "page": page.number},
    )
    return render(
        request,
        "people/teachers.html",
        {
            "page": page,
            "qs": querystring_without_page(request),
            "filters": {"q": g.get("q", ""), "school": g.get("school", ""), "region": region},
        },
    )


@require_action(Action.STAFF_VIEW)
def teacher_detail(request: HttpRequest, teacher_pk: int) -> HttpResponse:
    teacher = access_object(
        request.user,
        Teacher.objects.select_related("person", "school", "region"),
        pk=teacher_pk,
        request=request,
    )
    audit_record(
        actor=request.user,
        action="person.view",
        request=request,
        target_type="people.teacher",
        target_id=str(teacher.pk),
        target_repr=teacher.person.name,
    )
    assignments = teacher.assignments.select_related("klass").order_by("klass__grade")
    return render(
        request, "people/teacher_detail.html", {"teacher": teacher, "assignments": assignments}
    )
