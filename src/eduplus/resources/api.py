"""Thin JSON API of the resources module: search with facets, one resource, the catalog;
ratings (评分), reviewed comments (评论) and a resource's usage numbers (使用统计).

Writes are collection POSTs (``/ratings``, ``/comments``) naming the resource in the body;
the resource is fetched through ``access_object`` (404 when missing or out of reach) and
a refusal of the service answers 400 with its messages."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja.errors import HttpError

from eduplus.core.api import require
from eduplus.core.roles import Action
from eduplus.core.scoping import access_object
from eduplus.resources import selectors, services
from eduplus.resources.models import CatalogNode, Comment, Resource

router = Router(tags=["resources"])


class ResourceOut(Schema):
    id: int
    title: str
    description: str
    resource_type: str
    resource_type_label: str
    status: str
    stage: str
    subject: str
    edition: str
    grade: int | None
    node_id: int | None
    school_name: str
    author_name: str
    licence: str
    file_format: str
    size: int
    duration_seconds: int | None
    quality: int
    download_count: int
    view_count: int
    rating_count: int
    rating_average: float | None
    comment_count: int
    featured_level: str
    published_at: dt.datetime | None

    @staticmethod
    def resolve_resource_type_label(obj: Resource) -> str:
        return str(obj.get_resource_type_display())

    @staticmethod
    def resolve_school_name(obj: Resource) -> str:
        return obj.school.name


class FacetValueOut(Schema):
    value: str
    label: str
    count: int


class SearchOut(Schema):
    count: int
    count_capped: bool
    page: int
    size: int
    items: list[ResourceOut]
    facets: dict[str, list[FacetValueOut]]


class SearchQuery(Schema):
    q: str = ""
    stage: str = ""
    subject: str = ""
    edition: str = ""
    grade: str = ""
    type: str = ""
    node: str = ""
    topic: str = ""
    page: int = 1
    size: int = 20


class NodeOut(Schema):
    id: int
    parent_id: int | None
    kind: str
    code: str
    path: str
    name: str


@router.get("/search", response=SearchOut)
def resources_search(request: HttpRequest, query: Query[SearchQuery]) -> dict[str, Any]:
    """Published resources matching a Chinese query (two characters suffice) and facet
    filters, best first, with the facet counts of all matches."""
    require(request, Action.RESOURCE_VIEW)
    filters = selectors.SearchFilters.from_params(query.dict())
    page = selectors.search_resources(request.user, filters, page=query.page, size=query.size)
    facets = selectors.search_facets(request.user, filters)
    return {
        "count": page.shown_total,
        "count_capped": page.total_capped,
        "page": page.page,
        "size": page.size,
        "items": page.items,
        "facets": {name: [v.__dict__ for v in values] for name, values in facets.groups.items()},
    }


@router.get("/items/{resource_pk}", response=ResourceOut)
def resource_detail(request: HttpRequest, resource_pk: int) -> Resource:
    """One resource: published ones for everyone, others for their author and reviewers."""
    require(request, Action.RESOURCE_VIEW)
    return access_object(
        request.user, selectors.resource_detail_queryset(), pk=resource_pk, request=request
    )


@router.get("/catalog", response=list[NodeOut])
def catalog_children(request: HttpRequest, parent: int | None = None) -> Any:
    """The children of a catalog node (the stages without ``parent``)."""
    require(request, Action.RESOURCE_VIEW)
    return CatalogNode.objects.filter(parent_id=parent).order_by("position", "path")


# ------------------------------------------------------------- engagement (互动)


def _visible_resource(request: HttpRequest, resource_pk: int) -> Resource:
    return access_object(
        request.user, selectors.resource_detail_queryset(), pk=resource_pk, request=request
    )


def _refused(exc: ValidationError) -> HttpError:
    return HttpError(400, "；".join(str(m) for m in exc.messages))


class RatingIn(Schema):
    resource_id: int
    score: int


class RatingOut(Schema):
    resource_id: int
    score: int
    rating_average: float | None
    rating_count: int


class CommentIn(Schema):
    resource_id: int
    body: str


class CommentOut(Schema):
    id: int
    resource_id: int
    author_name: str
    body: str
    status: str
    status_label: str
    reason: str
    created_at: dt.datetime

    @staticmethod
    def resolve_status_label(obj: Comment) -> str:
        return str(obj.get_status_display())


class DailyUsageOut(Schema):
    day: dt.date
    views: int
    downloads: int


class StatsOut(Schema):
    resource_id: int
    views: int
    downloads: int
    ratings: int
    rating_average: float | None
    comments: int
    daily: list[DailyUsageOut]


@router.post("/ratings", response=RatingOut)
def resources_rate(request: HttpRequest, payload: RatingIn) -> dict[str, Any]:
    """Rate a published resource 1–5 stars (评分); rating again changes the rating."""
    require(request, Action.RESOURCE_RATE)
    resource = _visible_resource(request, payload.resource_id)
    try:
        rating = services.resource_rate(
            actor=request.user, resource=resource, score=payload.score, request=request
        )
    except ValidationError as exc:
        raise _refused(exc) from None
    resource.refresh_from_db(fields=["rating_count", "rating_sum"])
    return {
        "resource_id": resource.pk,
        "score": rating.score,
        "rating_average": resource.rating_average,
        "rating_count": resource.rating_count,
    }


@router.post("/comments", response=CommentOut)
def resources_comment(request: HttpRequest, payload: CommentIn) -> Comment:
    """Comment on a published resource (评论): pending until a moderator approves it."""
    require(request, Action.RESOURCE_RATE)
    resource = _visible_resource(request, payload.resource_id)
    try:
        return services.resource_comment(
            actor=request.user, resource=resource, body=payload.body, request=request
        )
    except ValidationError as exc:
        raise _refused(exc) from None


@router.get("/items/{resource_pk}/comments", response=list[CommentOut])
def resource_comments(request: HttpRequest, resource_pk: int) -> Any:
    """A resource's approved comments, newest first, and the caller's own in any state."""
    require(request, Action.RESOURCE_VIEW)
    resource = _visible_resource(request, resource_pk)
    return list(selectors.resource_comments(request.user, resource)[:200])


@router.get("/items/{resource_pk}/stats", response=StatsOut)
def resource_stats(request: HttpRequest, resource_pk: int) -> dict[str, Any]:
    """A resource's views, downloads, ratings and approved comments, and its daily use
    over the last 30 days (使用统计)."""
    require(request, Action.RESOURCE_VIEW)
    resource = _visible_resource(request, resource_pk)
    return {"resource_id": resource.pk, **selectors.resource_stats(resource)}
