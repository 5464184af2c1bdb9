"""Thin JSON API of the reporting module: tasks in scope, a task's submissions."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema

from eduplus.core.api import paged, require
from eduplus.core.roles import Action
from eduplus.core.scoping import access_object
from eduplus.reporting import selectors
from eduplus.reporting.models import ReportTask, Submission

router = Router(tags=["reporting"])


class TaskOut(Schema):
    id: int
    title: str
    period: str
    deadline: dt.date
    origin_region_code: str
    origin_region_name: str
    origin_level: int
    form_id: int
    form_version: int

    @staticmethod
    def resolve_origin_region_code(obj: ReportTask) -> str:
        return str(obj.region_id)

    @staticmethod
    def resolve_origin_region_name(obj: ReportTask) -> str:
        return obj.region.name

    @staticmethod
    def resolve_form_version(obj: ReportTask) -> int:
        return obj.form.version


class TaskPage(Schema):
    count: int
    page: int
    size: int
    items: list[TaskOut]


class SubmissionOut(Schema):
    id: int
    school_id: int
    school_code: str
    name: str
    region_code: str
    status: str
    status_label: str
    review_level: int | None
    submitted_at: dt.datetime | None
    is_late: bool

    @staticmethod
    def resolve_school_code(obj: Submission) -> str:
        return obj.school.code

    @staticmethod
    def resolve_name(obj: Submission) -> str:
        return obj.school.name

    @staticmethod
    def resolve_region_code(obj: Submission) -> str:
        return str(obj.region_id)


class SubmissionPage(Schema):
    count: int
    page: int
    size: int
    items: list[SubmissionOut]


class TaskQuery(Schema):
    q: str = ""
    page: int = 1
    size: int = 50


class SubmissionQuery(Schema):
    status: str = ""
    region: str = ""
    q: str = ""
    page: int = 1
    size: int = 50


@router.get("/tasks", response=TaskPage)
def tasks_list(request: HttpRequest, query: Query[TaskQuery]) -> dict[str, Any]:
    """Report tasks in the caller's scope (their region's, and those reaching their schools)."""
    require(request, Action.REPORT_REVIEW)
    return paged(selectors.task_list(request.user, q=query.q[:64]), query.page, query.size)


@router.get("/tasks/{task_pk}/submissions", response=SubmissionPage)
def task_submissions(
    request: HttpRequest, task_pk: int, query: Query[SubmissionQuery]
) -> dict[str, Any]:
    """One row per school of the task the caller may see, with its status."""
    require(request, Action.REPORT_REVIEW)
    task = access_object(request.user, ReportTask, pk=task_pk, request=request)
    qs = selectors.submission_list(
        request.user, task, status=query.status, region=query.region[:6], q=query.q[:64]
    )
    return paged(qs, query.page, query.size)
