"""Thin JSON API of the learning spaces: my space, favourites, teaching-research groups."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.errors import HttpError

from eduplus.core.api import paged, require
from eduplus.core.roles import Action
from eduplus.core.scoping import access_object
from eduplus.resources.models import Resource
from eduplus.spaces import selectors as sel
from eduplus.spaces import services
from eduplus.spaces.models import Favourite, TeachingGroup
from eduplus.spaces.usage import Period

router = Router(tags=["spaces"])


class RecentOut(Schema):
    resource_id: int
    title: str
    last: dt.datetime
    score: int | None


class SummaryOut(Schema):
    display_name: str
    own_resources: int
    favourites: int
    groups: int
    invitations: int
    statements_this_school_year: int
    school_year: str
    recent: list[RecentOut]


@router.get("/me", response=SummaryOut)
def my_space(request: HttpRequest) -> dict[str, Any]:
    require(request, Action.SPACE_USE)
    user = request.user
    period = Period.current()
    teaches = services.teacher_schools(user) != []
    return {
        "display_name": user.display_name,  # type: ignore[union-attr]
        "own_resources": sel.own_resources(user).count(),
        "favourites": sel.favourites(user).count(),
        "groups": sel.my_groups(user).count() if teaches else 0,
        "invitations": sel.invitations(user).count() if teaches else 0,
        "statements_this_school_year": sel.activity(user).filter(**period.lookup()).count(),
        "school_year": period.label,
        "recent": [
            {
                "resource_id": r.resource.pk,
                "title": r.resource.title,
                "last": r.last,
                "score": r.score,
            }
            for r in sel.recent_resources(user)
        ],
    }


class FavouriteOut(Schema):
    resource_id: int
    title: str
    resource_type: str
    created_at: dt.datetime

    @staticmethod
    def resolve_title(obj: Favourite) -> str:
        return obj.resource.title

    @staticmethod
    def resolve_resource_type(obj: Favourite) -> str:
        return obj.resource.resource_type


class FavouritePage(Schema):
    count: int
    page: int
    size: int
    items: list[FavouriteOut]


@router.get("/favourites", response=FavouritePage)
def favourite_list(request: HttpRequest, page: int = 1, size: int = 50) -> dict[str, Any]:
    require(request, Action.SPACE_USE)
    return paged(sel.favourites(request.user), page, size)


class FavouriteState(Schema):
    resource_id: int
    favourite: bool


def _resource(request: HttpRequest, resource_pk: int) -> Resource:
    return access_object(request.user, Resource.objects.all(), request=request, pk=resource_pk)


@router.post("/favourites/{resource_pk}", response=FavouriteState)
def favourite_add(request: HttpRequest, resource_pk: int) -> dict[str, Any]:
    require(request, Action.SPACE_USE)
    resource = _resource(request, resource_pk)
    services.favourite_add(user=request.user, resource=resource)
    return {"resource_id": resource.pk, "favourite": True}


@router.delete("/favourites/{resource_pk}", response=FavouriteState)
def favourite_remove(request: HttpRequest, resource_pk: int) -> dict[str, Any]:
    require(request, Action.SPACE_USE)
    resource = _resource(request, resource_pk)
    services.favourite_remove(user=request.user, resource=resource)
    return {"resource_id": resource.pk, "favourite": False}


class GroupOut(Schema):
    id: int
    name: str
    description: str
    school_name: str
    reach: str
    members: int
    post_count: int

    @staticmethod
    def resolve_school_name(obj: TeachingGroup) -> str:
        return obj.school.name


class GroupPage(Schema):
    count: int
    page: int
    size: int
    items: list[GroupOut]


@router.get("/groups", response=GroupPage)
def group_list(request: HttpRequest, page: int = 1, size: int = 50) -> dict[str, Any]:
    require(request, Action.TEACHING_GROUP)
    return paged(sel.my_groups(request.user), page, size)


class PostOut(Schema):
    id: int
    author_name: str
    body: str
    created_at: dt.datetime


class PostPage(Schema):
    count: int
    page: int
    size: int
    items: list[PostOut]


@router.get("/groups/{group_pk}/posts", response=PostPage)
def group_posts(
    request: HttpRequest, group_pk: int, page: int = 1, size: int = 50
) -> dict[str, Any]:
    require(request, Action.TEACHING_GROUP)
    group = access_object(request.user, TeachingGroup.objects.all(), request=request, pk=group_pk)
    if not services.is_member(group, request.user):
        raise HttpError(403, "join the group to read its posts")
    posts: Any = sel.group_posts(group)
    return paged(posts, page, size)
