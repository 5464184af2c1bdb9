"""JSON API of 一师一优课: activities in scope, the showcase, my lessons, the expert's
scoring queue and submitting a score. Reads go through the scoped selectors; the score
goes through the same service as the page (membership, conflict of interest, blind)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Router, Schema
from ninja.errors import HttpError

from eduplus.core.api import paged, require
from eduplus.core.roles import Action
from eduplus.lessons import selectors, services
from eduplus.lessons.models import Activity, Lesson

router = Router(tags=["lessons"])


class ActivityOut(Schema):
    id: int
    title: str
    level: str
    status: str
    region_code: str
    school_name: str
    opens_at: str
    deadline: str
    quota: int
    rubric: list[dict[str, Any]]
    submitted_total: int

    @staticmethod
    def resolve_region_code(obj: Activity) -> str:
        return str(obj.region_id)

    @staticmethod
    def resolve_school_name(obj: Activity) -> str:
        return obj.school.name if obj.school_id else ""  # type: ignore[union-attr]

    @staticmethod
    def resolve_opens_at(obj: Activity) -> str:
        return obj.opens_at.isoformat()

    @staticmethod
    def resolve_deadline(obj: Activity) -> str:
        return obj.deadline.isoformat()


class ActivityPage(Schema):
    count: int
    page: int
    size: int
    items: list[ActivityOut]


class LessonOut(Schema):
    id: int
    title: str
    activity_id: int
    activity_title: str
    level: str
    honour: str
    author_name: str
    school_name: str
    stage: str
    subject: str
    grade: int
    chapter: str
    status: str
    selected: bool
    final_score: str | None

    @staticmethod
    def resolve_activity_title(obj: Lesson) -> str:
        return obj.activity.title

    @staticmethod
    def resolve_level(obj: Lesson) -> str:
        return obj.activity.level

    @staticmethod
    def resolve_honour(obj: Lesson) -> str:
        return obj.activity.honour if obj.selected else ""

    @staticmethod
    def resolve_school_name(obj: Lesson) -> str:
        return obj.school.name

    @staticmethod
    def resolve_final_score(obj: Lesson) -> str | None:
        # Before publication only the author's own list shows it, and only once closed.
        if obj.activity.status in ("closed", "published") and obj.final_score is not None:
            return str(obj.final_score)
        return None


class LessonPage(Schema):
    count: int
    page: int
    size: int
    items: list[LessonOut]


class QueueOut(Schema):
    kind: str
    id: int
    title: str
    owner_title: str
    detail: str
    conflict: bool
    my_total: int | None
    recused: bool
    rubric: list[dict[str, Any]]


class ScoreIn(Schema):
    kind: str = "lesson"  # "lesson" or "item"
    id: int
    points: dict[str, int] = {}
    comment: str = ""
    recuse: bool = False
    recusal_reason: str = ""


class ScoreOut(Schema):
    id: int
    total: int
    recused: bool


@router.get("/activities", response=ActivityPage)
def activities(request: HttpRequest, page: int = 1, size: int = 50, status: str = "") -> Any:
    """Activities the user organises or takes part in (empty for the others)."""
    return paged(selectors.activity_list(request.user, status=status), page, size)


@router.get("/showcase", response=LessonPage)
def showcase(
    request: HttpRequest, page: int = 1, size: int = 50, level: str = "", subject: str = ""
) -> Any:
    require(request, Action.RESOURCE_VIEW)
    return paged(selectors.showcase(request.user, level=level, subject=subject), page, size)


@router.get("/my/lessons", response=LessonPage)
def my_lessons(request: HttpRequest, page: int = 1, size: int = 50) -> Any:
    require(request, Action.LESSON_SUBMIT)
    return paged(selectors.my_lessons(request.user), page, size)


@router.get("/review/queue", response=list[QueueOut])
def review_queue(request: HttpRequest) -> Any:
    """The expert's own queue: their own scores only (blind scoring)."""
    rows = []
    for entry in selectors.review_queue(request.user):
        rubric = entry.obj.activity.rubric if entry.kind == "lesson" else entry.obj.round.rubric
        rows.append(
            {
                "kind": entry.kind,
                "id": entry.pk,
                "title": entry.title,
                "owner_title": entry.owner_title,
                "detail": entry.detail,
                "conflict": entry.conflict,
                "my_total": entry.mine.total if entry.mine and not entry.mine.recused else None,
                "recused": bool(entry.mine and entry.mine.recused),
                "rubric": rubric,
            }
        )
    return rows


@router.post("/review/scores", response=ScoreOut)
def submit_score(request: HttpRequest, payload: ScoreIn) -> Any:
    """Score (or recuse from) a lesson or round item of one of the expert's panels."""
    if payload.kind == "lesson":
        target: Any = selectors.queue_lesson(request.user, payload.id)
    elif payload.kind == "item":
        target = selectors.queue_item(request.user, payload.id)
    else:
        raise HttpError(400, "kind must be lesson or item")
    if target is None:
        raise HttpError(404, "not found")
    kwargs: dict[str, Any] = {
        "actor": request.user,
        "points": payload.points,
        "comment": payload.comment,
        "recuse": payload.recuse,
        "recusal_reason": payload.recusal_reason,
        "request": request,
    }
    try:
        if payload.kind == "lesson":
            score = services.lesson_score(lesson=target, **kwargs)
        else:
            score = services.item_score(item=target, **kwargs)
    except ValidationError as exc:
        raise HttpError(422, "；".join(exc.messages)) from exc
    return {"id": score.pk, "total": score.total, "recused": score.recused}
