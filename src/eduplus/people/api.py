"""People API: ID numbers are always masked here; full numbers are a page action."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema

from eduplus.core.api import paged, require
from eduplus.core.audit import audit_record
from eduplus.core.idnumber import mask
from eduplus.core.roles import Action
from eduplus.core.scoping import access_object
from eduplus.people.models import Student, Teacher
from eduplus.people.selectors import student_list, teacher_list

router = Router(tags=["people"])


class StudentOut(Schema):
    id: int
    name: str
    gender: int | None
    birth_year: int | None
    id_number_masked: str
    school_id: int
    school_name: str
    class_name: str | None
    grade: int
    region_code: str

    @staticmethod
    def resolve_name(obj: Student) -> str:
        return obj.person.name

    @staticmethod
    def resolve_gender(obj: Student) -> int | None:
        return obj.person.gender

    @staticmethod
    def resolve_birth_year(obj: Student) -> int | None:
        birth: dt.date | None = obj.person.birth_date
        return birth.year if birth else None

    @staticmethod
    def resolve_id_number_masked(obj: Student) -> str:
        return mask(obj.person.id_number)

    @staticmethod
    def resolve_school_name(obj: Student) -> str:
        return obj.school.name

    @staticmethod
    def resolve_class_name(obj: Student) -> str | None:
        return obj.klass.name if obj.klass else None

    @staticmethod
    def resolve_region_code(obj: Student) -> str:
        return str(obj.region_id)


class StudentPage(Schema):
    count: int
    page: int
    size: int
    items: list[StudentOut]


class TeacherOut(Schema):
    id: int
    name: str
    school_id: int
    school_name: str
    subject: str
    title: str
    region_code: str

    @staticmethod
    def resolve_name(obj: Teacher) -> str:
        return obj.person.name

    @staticmethod
    def resolve_school_name(obj: Teacher) -> str:
        return obj.school.name

    @staticmethod
    def resolve_region_code(obj: Teacher) -> str:
        return str(obj.region_id)


class TeacherPage(Schema):
    count: int
    page: int
    size: int
    items: list[TeacherOut]


class PeopleQuery(Schema):
    q: str = ""
    school: int | None = None
    region: str = ""
    page: int = 1
    size: int = 50


@router.get("/students", response=StudentPage)
def students_list(request: HttpRequest, query: Query[PeopleQuery]) -> dict[str, Any]:
    require(request, Action.PERSON_VIEW)
    region = query.region if query.region.isdigit() else ""
    result = paged(
        student_list(request.user, q=query.q, school_id=query.school, region=region),
        query.page,
        query.size,
    )
    audit_record(
        actor=request.user,
        action="person.list",
        request=request,
        target_type="people.student",
        details={"ids": [s.pk for s in result["items"]]},
    )
    return result


@router.get("/students/{student_pk}", response=StudentOut)
def student_get(request: HttpRequest, student_pk: int) -> Student:
    require(request, Action.PERSON_VIEW)
    student = access_object(
        request.user,
        Student.objects.select_related("person", "school", "klass"),
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
    return student


@router.get("/teachers", response=TeacherPage)
def teachers_list(request: HttpRequest, query: Query[PeopleQuery]) -> dict[str, Any]:
    require(request, Action.STAFF_VIEW)
    region = query.region if query.region.isdigit() else ""
    result = paged(
        teacher_list(request.user, q=query.q, school_id=query.school, region=region),
        query.page,
        query.size,
    )
    audit_record(
        actor=request.user,
        action="person.list",
        request=request,
        target_type="people.teacher",
        details={"ids": [t.pk for t in result["items"]]},
    )
    return result


@router.get("/teachers/{teacher_pk}", response=TeacherOut)
def teacher_get(request: HttpRequest, teacher_pk: int) -> Teacher:
    require(request, Action.STAFF_VIEW)
    teacher = access_object(
        request.user,
        Teacher.objects.select_related("person", "school"),
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
    return teacher
