"""Thin JSON API of the resources module: search with facets, one resource, the catalog."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema

from eduplus.core.api import require
from eduplus.core.roles import Action
from eduplus.core.scoping import access_object
from eduplus.resources import selectors
from eduplus.resources.models import CatalogNode, Resource

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
