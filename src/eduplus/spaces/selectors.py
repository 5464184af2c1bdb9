"""Reads of the spaces module: a user's own space, groups, statements (LRS queries)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Max, Q, QuerySet
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from eduplus.people.models import Student, StudentStatus
from eduplus.people.selectors import student_list, teacher_classes
from eduplus.resources.models import Resource
from eduplus.resources.selectors import my_resources, resource_detail_queryset
from eduplus.schools.models import SchoolClass
from eduplus.spaces import xapi
from eduplus.spaces.models import (
    Favourite,
    GroupMembership,
    GroupPost,
    GroupResource,
    LrsClient,
    MemberStatus,
    Statement,
    TeachingGroup,
)

RECENT_VERBS = [xapi.VERB_IDS[v] for v in ("viewed", "rated", "downloaded", "commented")]


# ----------------------------------------------------------------------- own space


def own_resources(user: Any) -> QuerySet[Resource]:
    return my_resources(user)


def favourites(user: Any) -> QuerySet[Favourite]:
    """The user's favourites of resources they may still see (a withdrawn one drops out)."""
    visible = Resource.objects.visible_to(user).values("pk")
    return (
        Favourite.objects.filter(user_id=user.pk, resource_id__in=visible)
        .select_related("resource", "resource__school", "resource__node")
        .order_by("-created_at", "-id")
    )


def favourite_ids(user: Any, resource_ids: list[int]) -> set[int]:
    return set(
        Favourite.objects.filter(user_id=user.pk, resource_id__in=resource_ids).values_list(
            "resource_id", flat=True
        )
    )


def is_favourite(user: Any, resource: Resource) -> bool:
    return Favourite.objects.filter(user_id=user.pk, resource_id=resource.pk).exists()


@dataclass
class RecentResource:
    resource: Resource
    last: dt.datetime
    score: int | None


def recent_resources(user: Any, limit: int = 8) -> list[RecentResource]:
    """Resources the user viewed, rated, downloaded or commented on, latest first."""
    rows = list(
        Statement.objects.filter(user_id=user.pk, resource__isnull=False, verb_id__in=RECENT_VERBS)
        .counted()
        .order_by()
        .values("resource_id")
        .annotate(last=Max("timestamp"))
        .order_by("-last")[:limit]
    )
    ids = [r["resource_id"] for r in rows]
    details: Any = resource_detail_queryset()
    found = details.visible_to(user).in_bulk(ids)
    rated = {
        s.resource_id: s.result.get("score", {}).get("raw")
        for s in Statement.objects.filter(
            user_id=user.pk, resource_id__in=ids, verb_id=xapi.VERB_IDS["rated"]
        )
        .counted()
        .order_by("timestamp")
        .only("resource_id", "result")
        if isinstance(s.result, dict)
    }
    return [
        RecentResource(found[r["resource_id"]], r["last"], rated.get(r["resource_id"]))
        for r in rows
        if r["resource_id"] in found
    ]


def activity(user: Any) -> QuerySet[Statement]:
    """The user's own activity record (timeline), newest first."""
    return (
        Statement.objects.filter(user_id=user.pk)
        .exclude(verb_id=xapi.VOIDED_VERB)
        .filter(voided=False)
        .order_by("-timestamp", "-stored")
    )


def activity_counts(user: Any) -> dict[str, int]:
    return dict(
        activity(user).order_by().values_list("month").annotate(n=Count("id")).order_by("month")
    )


@dataclass
class MyClass:
    klass: SchoolClass
    students: int | None
    head_teacher: bool = False


def my_classes(user: Any) -> list[MyClass]:
    """A teacher's classes (任课班级); a student's own class."""
    out = [MyClass(k, getattr(k, "student_total", None)) for k in teacher_classes(user)]
    if not out and user.person_id:
        for s in student_list(user).filter(
            person_id=user.person_id, status=StudentStatus.ENROLLED, klass__isnull=False
        ):
            assert isinstance(s, Student)
            if s.klass is not None:
                out.append(MyClass(s.klass, None))
    return out


# ----------------------------------------------------------------- teaching groups


def my_groups(user: Any) -> QuerySet[TeachingGroup]:
    return (
        TeachingGroup.objects.filter(
            memberships__user_id=user.pk, memberships__status=MemberStatus.ACTIVE
        )
        .select_related("school")
        .annotate(
            members=Count(
                "memberships", filter=Q(memberships__status=MemberStatus.ACTIVE), distinct=True
            ),
            post_count=Count("posts", distinct=True),
        )
        .order_by("-created_at", "-id")
    )


def invitations(user: Any) -> QuerySet[GroupMembership]:
    return GroupMembership.objects.filter(
        user_id=user.pk, status=MemberStatus.INVITED
    ).select_related("group", "group__school", "invited_by")


def joinable_groups(user: Any) -> QuerySet[TeachingGroup]:
    """Groups within the teacher's reach they are not in (and not invited to)."""
    return (
        TeachingGroup.objects.visible_to(user)
        .exclude(memberships__user_id=user.pk)
        .select_related("school")
        .annotate(members=Count("memberships", filter=Q(memberships__status=MemberStatus.ACTIVE)))
        .order_by("-created_at", "-id")
    )


def group_members(group: TeachingGroup) -> QuerySet[GroupMembership]:
    return (
        group.memberships.filter(status=MemberStatus.ACTIVE)
        .select_related("user")
        .order_by("role", "id")
    )


def group_posts(group: TeachingGroup) -> QuerySet[GroupPost]:
    return group.posts.order_by("-created_at", "-id")


def group_resources(user: Any, group: TeachingGroup) -> QuerySet[GroupResource]:
    visible = Resource.objects.visible_to(user).values("pk")
    return group.shared.filter(resource_id__in=visible).select_related(
        "resource", "resource__school", "shared_by"
    )


# -------------------------------------------------------------- LRS (statements)


def lrs_clients(user: Any) -> QuerySet[LrsClient]:
    return LrsClient.objects.visible_to(user).select_related("region")


class QueryError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


MAX_LIMIT = 500


def _bool(value: str, field: str) -> bool:
    if value in ("true", "false"):
        return value == "true"
    raise QueryError(field, _("应为 true 或 false"))


def statements_query(
    reachable: QuerySet[Statement], params: dict[str, str]
) -> tuple[list[Statement], int | None]:
    """xAPI GET filters over the statements a reader may reach → (page, next offset).

    ``agent`` (JSON), ``verb``, ``activity``, ``since``, ``until`` (on ``stored``),
    ``limit`` (0 = the maximum), ``ascending``, and ``offset`` (our paging, in ``more``).
    """
    qs = reachable.filter(voided=False)
    if params.get("agent"):
        try:
            agent = json.loads(params["agent"])
        except ValueError:
            raise QueryError("agent", _("应为 JSON 格式的 Agent")) from None
        try:
            _a, key, _ours = xapi.clean_agent(agent, "agent")
        except xapi.XapiError as exc:
            raise QueryError(exc.field, exc.message) from None
        qs = qs.filter(actor_key=key)
    if params.get("verb"):
        qs = qs.filter(verb_id=params["verb"])
    if params.get("activity"):
        qs = qs.filter(object_id=params["activity"])
    for name, op in (("since", "gt"), ("until", "lte")):
        if params.get(name):
            moment = parse_datetime(params[name])
            if moment is None:
                raise QueryError(name, _("应为 ISO 8601 时间"))
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=dt.UTC)
            qs = qs.filter(**{f"stored__{op}": moment})
    try:
        limit = int(params.get("limit", "100") or 0)
        offset = int(params.get("offset", "0") or 0)
    except ValueError:
        raise QueryError("limit", _("应为非负整数")) from None
    if limit < 0 or offset < 0:
        raise QueryError("limit", _("应为非负整数"))
    limit = MAX_LIMIT if limit == 0 else min(limit, MAX_LIMIT)
    ascending = _bool(params.get("ascending", "false"), "ascending")
    qs = qs.order_by(*(["stored", "id"] if ascending else ["-stored", "-id"]))
    rows = list(qs[offset : offset + limit + 1])
    more = offset + limit if len(rows) > limit else None
    return rows[:limit], more
