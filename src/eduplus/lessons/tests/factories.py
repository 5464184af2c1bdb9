"""Lessons for tests, made through the services (so audit and files are real).

``lesson_objects(county)`` serves the scope walk (tests/test_scope_walk.py): the
county's activity (organised by its county officer, seen by everyone who sees the
county's school: its participants and the officers above), the county teacher's
submitted lesson (seen like the teacher) and the county's 精品 round (seen like the
county region: its officers).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from eduplus.lessons import services
from eduplus.lessons.models import Activity, Lesson, SelectionRound
from eduplus.resources.tests.factories import mp4_bytes, pdf_bytes, published


def pdf(name: str = "教学设计.pdf", text: str = "") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, pdf_bytes(text), content_type="application/pdf")


def mp4(name: str = "课堂实录.mp4", seconds: int = 2400) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, mp4_bytes(seconds), content_type="video/mp4")


def parts() -> dict[str, Any]:
    return {"design": pdf("教学设计.pdf"), "courseware": pdf("课件.pdf"), "video": mp4()}


def data(title: str = "勾股定理") -> services.LessonData:
    return services.LessonData(
        title=title, stage="junior", subject="数学", grade=8, chapter="第十七章 勾股定理"
    )


def activity(
    organiser: Any,
    *,
    region: Any = None,
    school: Any = None,
    title: str = "2026年度“一师一优课、一课一名师”活动",
    quota: int = 2,
    recommend_quota: int = 1,
    opens_in: dt.timedelta = dt.timedelta(days=-1),
    closes_in: dt.timedelta = dt.timedelta(days=7),
    rubric: list[dict[str, Any]] | None = None,
) -> Activity:
    now = timezone.now()
    return services.activity_create(
        actor=organiser,
        title=title,
        region=region,
        school=school,
        opens_at=now + opens_in,
        deadline=now + closes_in,
        rubric=rubric or services.DEFAULT_RUBRIC,
        quota=quota,
        recommend_quota=recommend_quota,
    )


def submitted(teacher: Any, act: Activity, title: str = "勾股定理") -> Lesson:
    return services.lesson_save(
        actor=teacher, activity=act, data=data(title), files=parts(), submit=True
    )


def full_points(act: Activity, fraction: float = 1.0) -> dict[str, int]:
    return {c["name"]: int(c["weight"] * fraction) for c in act.rubric}


def lesson_objects(county: Any) -> dict[str, Any]:
    """Idempotent within a test (cached on the county of the `world`)."""
    cached = getattr(county, "_lesson_objects", None)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    from eduplus.regions.models import Region

    region = Region.objects.get(code=county.code)
    act = activity(
        county.users["county_officer"], region=region, title=f"{county.school.name[:3]}县级晒课活动"
    )
    lesson = submitted(county.users["teacher"], act, f"{county.school.name[:3]}走查课例")
    published(county, f"{county.school.name[:3]}遴选资源")
    rnd = services.round_create(
        actor=county.users["county_officer"],
        title=f"{county.school.name[:3]}精品遴选",
        region=region,
        rubric=services.DEFAULT_ROUND_RUBRIC,
        quota=1,
    )
    cached = {"activity": act, "lesson": lesson, "round": rnd}
    county._lesson_objects = cached
    return cached


__all__ = ["SelectionRound", "lesson_objects"]
