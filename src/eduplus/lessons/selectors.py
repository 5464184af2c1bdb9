"""Reads of 一师一优课 and 精品 selection, scoped with ``visible_to``.

Experts read only their own scores (blind scoring): nothing here returns another
expert's score to an expert; organisers read every score once scoring is closed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet

from eduplus.lessons.models import (
    Activity,
    ActivityStatus,
    Expert,
    Lesson,
    LessonStatus,
    Level,
    RoundItem,
    Score,
    SelectionRound,
)


def _uid(user: Any) -> int:
    return int(getattr(user, "pk", None) or 0)


def activity_list(user: Any, *, status: str = "") -> QuerySet[Activity]:
    qs = (
        Activity.objects.visible_to(user)
        .select_related("region", "region__parent", "school")
        .annotate(
            submitted_total=Count(
                "lessons", filter=Q(lessons__status=LessonStatus.SUBMITTED), distinct=True
            ),
            expert_total=Count("experts", distinct=True),
        )
    )
    if status in ActivityStatus.values:
        qs = qs.filter(status=status)
    return qs.order_by("-created_at", "-id")


def activity_lessons(activity: Activity) -> QuerySet[Lesson]:
    """The lessons of an activity as its organiser sees them (drafts are the author's)."""
    return (
        activity.lessons.filter(status=LessonStatus.SUBMITTED)
        .select_related("school", "recommended_from__activity")
        .annotate(
            scored_total=Count("scores", filter=Q(scores__recused=False), distinct=True),
            recused_total=Count("scores", filter=Q(scores__recused=True), distinct=True),
        )
        .order_by("rank", "-final_score", "id")
    )


def activity_experts(activity: Activity) -> QuerySet[Expert]:
    return (
        activity.experts.select_related("user", "school")
        .annotate(score_total=Count("scores", distinct=True))
        .order_by("id")
    )


def round_experts(rnd: SelectionRound) -> QuerySet[Expert]:
    return (
        rnd.experts.select_related("user", "school")
        .annotate(score_total=Count("scores", distinct=True))
        .order_by("id")
    )


def my_lessons(user: Any) -> QuerySet[Lesson]:
    return (
        Lesson.objects.filter(author_id=_uid(user))
        .select_related("activity", "activity__region", "school")
        .order_by("-id")
    )


def showcase(user: Any, *, level: str = "", subject: str = "", q: str = "") -> QuerySet[Lesson]:
    """优课展示: the selected lessons of published activities."""
    qs = (
        Lesson.objects.visible_to(user)
        .showcase()
        .select_related("activity", "activity__region", "school", "region")
        .order_by("-activity__published_at", "rank", "id")
    )
    if level in Level.values:
        qs = qs.filter(activity__level=level)
    if subject.strip():
        qs = qs.filter(subject=subject.strip())
    if q.strip():
        qs = qs.filter(Q(title__contains=q.strip()) | Q(author_name__contains=q.strip()))
    return qs


def showcase_counts(user: Any) -> dict[str, int]:
    rows = (
        Lesson.objects.visible_to(user)
        .showcase()
        .values("activity__level")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {r["activity__level"]: r["n"] for r in rows}


def round_list(user: Any) -> QuerySet[SelectionRound]:
    return (
        SelectionRound.objects.visible_to(user)
        .select_related("region", "region__parent")
        .annotate(
            item_total=Count("items", distinct=True),
            featured_total=Count("items", filter=Q(items__featured=True), distinct=True),
            expert_total=Count("experts", distinct=True),
        )
        .order_by("-created_at", "-id")
    )


def round_items(rnd: SelectionRound) -> QuerySet[RoundItem]:
    return (
        rnd.items.select_related("resource", "resource__school")
        .annotate(scored_total=Count("scores", filter=Q(scores__recused=False), distinct=True))
        .order_by("rank", "-resource__rank", "id")
    )


def scores_of_lessons(lessons: list[Lesson]) -> dict[int, list[Score]]:
    """Every expert's score per lesson, for the organiser after scoring closes."""
    result: dict[int, list[Score]] = {}
    for score in Score.objects.filter(lesson__in=lessons).select_related("expert").order_by("id"):
        result.setdefault(score.lesson_id, []).append(score)  # type: ignore[arg-type]
    return result


@dataclass
class QueueEntry:
    """One thing an expert has to score: a lesson or a round item, with their own
    score if they gave one (never the others')."""

    kind: str  # "lesson" | "item"
    pk: int
    title: str
    owner_title: str
    detail: str
    mine: Score | None
    conflict: bool
    obj: Any


def review_queue(user: Any) -> list[QueueEntry]:
    """The expert's scoring queue over every panel they sit on that is scoring."""
    uid = _uid(user)
    if uid is None:
        return []
    experts = list(
        Expert.objects.filter(user_id=uid)
        .filter(Q(activity__status=ActivityStatus.SCORING) | Q(round__status="scoring"))
        .select_related("activity", "round")
    )
    if not experts:
        return []
    mine = {(s.lesson_id, s.item_id): s for s in Score.objects.filter(expert__in=experts)}
    entries: list[QueueEntry] = []
    by_activity = {e.activity_id: e for e in experts if e.activity_id}
    lessons = (
        Lesson.objects.filter(activity_id__in=list(by_activity), status=LessonStatus.SUBMITTED)
        .select_related("activity", "school")
        .order_by("activity_id", "id")
    )
    for lesson in lessons:
        expert = by_activity[lesson.activity_id]
        entries.append(
            QueueEntry(
                kind="lesson",
                pk=lesson.pk,
                title=lesson.title,
                owner_title=lesson.activity.title,
                detail=" ".join(
                    (lesson.get_stage_display(), lesson.subject, lesson.get_grade_display())
                ),
                mine=mine.get((lesson.pk, None)),
                conflict=bool(expert.school_id and expert.school_id == lesson.school_id),
                obj=lesson,
            )
        )
    by_round = {e.round_id: e for e in experts if e.round_id}
    items = (
        RoundItem.objects.filter(round_id__in=list(by_round))
        .select_related("round", "resource", "resource__school")
        .order_by("round_id", "id")
    )
    for item in items:
        expert = by_round[item.round_id]
        resource = item.resource
        entries.append(
            QueueEntry(
                kind="item",
                pk=item.pk,
                title=resource.title,
                owner_title=item.round.title,
                detail=f"{resource.get_resource_type_display()} · {resource.school.name}",
                mine=mine.get((None, item.pk)),
                conflict=bool(
                    resource.author_id == uid
                    or (expert.school_id and expert.school_id == resource.school_id)
                ),
                obj=item,
            )
        )
    return entries


def queue_lesson(user: Any, pk: int) -> Lesson | None:
    """A lesson the user scores as an expert (None when they do not)."""
    return (
        Lesson.objects.filter(
            pk=pk,
            status=LessonStatus.SUBMITTED,
            activity__experts__user_id=_uid(user),
        )
        .select_related("activity", "school")
        .first()
    )


def queue_item(user: Any, pk: int) -> RoundItem | None:
    return (
        RoundItem.objects.filter(pk=pk, round__experts__user_id=_uid(user))
        .select_related("round", "resource", "resource__school")
        .first()
    )


def own_score(
    user: Any, *, lesson: Lesson | None = None, item: RoundItem | None = None
) -> Score | None:
    qs = Score.objects.filter(expert__user_id=_uid(user))
    return (qs.filter(lesson=lesson) if lesson else qs.filter(item=item)).first()


def lesson_history(lesson: Lesson) -> list[Lesson]:
    """The lesson and the ones it was recommended from, newest level first (成绩历史)."""
    chain = [lesson]
    seen = {lesson.pk}
    current = lesson
    while current.recommended_from_id and current.recommended_from_id not in seen:
        current = Lesson.objects.select_related("activity").get(pk=current.recommended_from_id)
        chain.append(current)
        seen.add(current.pk)
    return chain


def lesson_detail_queryset() -> QuerySet[Lesson]:
    return Lesson.objects.select_related(
        "activity", "activity__region", "activity__school", "school", "region", "node"
    ).prefetch_related(
        Prefetch("recommended_to", queryset=Lesson.objects.select_related("activity"))
    )
