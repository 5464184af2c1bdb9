"""Reads of the resources module, always through ``Resource.objects.visible_to(user)``.

Search and browsing (facet filters, a catalog node, a topic, or nothing at all) answer
from the full-text index (see search.py), which holds published resources only; the
page's resources are then read through ``visible_to``. Totals are counted up to
``search.COUNT_CAP``; facet counts are exact and cached until the published set changes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.db.models import Count, Q, QuerySet

from eduplus.resources import search
from eduplus.resources.models import (
    CatalogNode,
    Edition,
    Grade,
    Resource,
    ResourceEvent,
    ResourceStatus,
    ResourceType,
    Stage,
    Subject,
    Topic,
)
from eduplus.resources.tokens import MAX_QUERY_CHARS, query_tokens

PAGE_SIZE = 20
FACETS_TTL = 600

# Facet → (resource column, label choices) in display order.
FACETS: dict[str, tuple[str, Any]] = {
    "stage": ("stage", Stage),
    "subject": ("subject", Subject),
    "edition": ("edition", Edition),
    "grade": ("grade", Grade),
    "type": ("resource_type", ResourceType),
}


@dataclass(frozen=True)
class SearchFilters:
    """A search as the user asked it; unknown values are dropped, never trusted."""

    q: str = ""
    stage: str = ""
    subject: str = ""
    edition: str = ""
    grade: int | None = None
    type: str = ""
    node: CatalogNode | None = None
    topic: Topic | None = None

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> SearchFilters:
        def choice(name: str, choices: Any) -> str:
            value = str(params.get(name, "") or "")
            return value if value in choices.values else ""

        grade_raw = str(params.get("grade", "") or "")
        grade = int(grade_raw) if grade_raw.isdigit() and int(grade_raw) in Grade.values else None
        node_raw = str(params.get("node", "") or "")
        node = CatalogNode.objects.filter(pk=int(node_raw)).first() if node_raw.isdigit() else None
        topic_raw = str(params.get("topic", "") or "")
        topic = Topic.objects.filter(code=topic_raw).first() if topic_raw else None
        return cls(
            q=" ".join(str(params.get("q", "") or "").split())[:MAX_QUERY_CHARS],
            stage=choice("stage", Stage),
            subject=choice("subject", Subject),
            edition=choice("edition", Edition),
            grade=grade,
            type=choice("type", ResourceType),
            node=node,
            topic=topic,
        )

    @property
    def is_filtered(self) -> bool:
        return bool(
            self.stage
            or self.subject
            or self.edition
            or self.grade
            or self.type
            or self.node
            or self.topic
        )

    def params(self, **changes: Any) -> dict[str, str]:
        """Query parameters of this search, with some changed ("" removes one)."""
        values: dict[str, Any] = {
            "q": self.q,
            "stage": self.stage,
            "subject": self.subject,
            "edition": self.edition,
            "grade": self.grade or "",
            "type": self.type,
            "node": self.node.pk if self.node else "",
            "topic": self.topic.code if self.topic else "",
        }
        values.update(changes)
        return {k: str(v) for k, v in values.items() if v not in ("", None)}

    def match(self) -> search.Match:
        return search.Match(
            tokens=query_tokens(self.q),
            filters=tuple(
                search.filter_tokens(
                    stage=self.stage,
                    subject=self.subject,
                    edition=self.edition,
                    grade=self.grade,
                    resource_type=self.type,
                    node_id=self.node.pk if self.node else None,
                    topic_id=self.topic.pk if self.topic else None,
                )
            ),
        )

    def cache_key(self) -> str:
        raw = repr(sorted(self.params().items()))
        return hashlib.sha256(raw.encode()).hexdigest()[:32]


@dataclass
class SearchPage:
    items: list[Resource]
    total: int  # counted up to search.COUNT_CAP + 1
    page: int
    size: int

    @property
    def total_capped(self) -> bool:
        return self.total > search.COUNT_CAP

    @property
    def shown_total(self) -> int:
        return min(self.total, search.COUNT_CAP)

    @property
    def num_pages(self) -> int:
        return max(1, -(-self.shown_total // self.size))

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.num_pages


def _with_details(qs: QuerySet[Resource]) -> QuerySet[Resource]:
    return qs.select_related("node", "school")


def search_resources(
    user: Any, filters: SearchFilters, *, page: int = 1, size: int = PAGE_SIZE
) -> SearchPage:
    """One page of published resources, best first."""
    page = max(1, page)
    size = max(1, min(size, 100))
    max_page = max(1, -(-search.COUNT_CAP // size))
    page = min(page, max_page)
    offset = (page - 1) * size
    match = filters.match()
    backend = search.backend()
    hits, total = backend.window_and_count(match, search.WINDOW, search.COUNT_CAP)
    ids: list[int] = [h.resource_id for h in search.blend(hits)][offset : offset + size]
    if len(ids) < size and total > search.WINDOW:
        start = max(offset, search.WINDOW)
        ids += backend.static_ids(match, start, size - len(ids))
    found = _with_details(Resource.objects.visible_to(user).published()).in_bulk(ids)
    return SearchPage(
        items=[found[i] for i in ids if i in found], total=total, page=page, size=size
    )


@dataclass
class FacetValue:
    value: str
    label: str
    count: int


@dataclass
class Facets:
    total: int = 0
    groups: dict[str, list[FacetValue]] = field(default_factory=dict)


def _published_version() -> str:
    """Changes whenever the published set may have: every such change leaves an event
    (seen by all processes) or, for bulk work, bumps the cached version."""
    last_event = ResourceEvent.objects.order_by("-id").values_list("id", flat=True).first()
    return f"{cache.get(search.FACETS_VERSION_KEY, 0)}.{last_event or 0}"


def _facets_key(filters: SearchFilters) -> str:
    return f"resources:facets:{_published_version()}:{filters.cache_key()}"


def facets_cached(filters: SearchFilters) -> bool:
    return cache.get(_facets_key(filters)) is not None


def search_facets(user: Any, filters: SearchFilters) -> Facets:
    """Exact counts of the published matches by stage, subject, edition, grade, type."""
    key = _facets_key(filters)
    rows: list[tuple[Any, ...]] | None = cache.get(key)
    if rows is None:
        rows = search.backend().facet_rows(filters.match())
        cache.set(key, rows, FACETS_TTL)
    facets = Facets(total=sum(r[-1] for r in rows))
    for i, (name, (_column, choices)) in enumerate(FACETS.items()):
        counts: dict[Any, int] = {}
        for row in rows:
            if row[i] not in ("", None):
                counts[row[i]] = counts.get(row[i], 0) + row[-1]
        facets.groups[name] = [
            FacetValue(str(value), str(label), counts[value])
            for value, label in choices.choices
            if counts.get(value)
        ]
    return facets


# ---------------------------------------------------------------- lists, details


def resource_detail_queryset() -> QuerySet[Resource]:
    return Resource.objects.select_related("node", "school", "region", "author").prefetch_related(
        "topics"
    )


def node_path(node: CatalogNode | None) -> list[CatalogNode]:
    """The node and its ancestors, root first."""
    if node is None:
        return []
    parts = node.path.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    return list(CatalogNode.objects.filter(path__in=prefixes).order_by("path"))


def resource_history(user: Any, resource: Resource) -> QuerySet[ResourceEvent]:
    """A resource's history is its author's and its reviewers' business."""
    events = ResourceEvent.objects.filter(resource=resource)
    if resource.author_id != user.pk:
        events = events & ResourceEvent.objects.visible_to(user)
    return events.select_related("actor").order_by("created_at", "id")


def my_resources(user: Any) -> QuerySet[Resource]:
    return _with_details(Resource.objects.visible_to(user).filter(author_id=user.pk)).order_by(
        "-id"
    )


def school_queue(user: Any) -> QuerySet[Resource]:
    """Submitted resources of the schools the user administers (学校审核)."""
    from eduplus.core.scoping import scope_for

    schools = sorted(scope_for(user).school_ids)
    return _with_details(
        Resource.objects.visible_to(user).filter(
            status=ResourceStatus.SUBMITTED, school_id__in=schools
        )
    ).order_by("submitted_at", "id")


def county_queue(user: Any) -> QuerySet[Resource]:
    """School-approved resources of the user's region (县级审核)."""
    from eduplus.core.scoping import region_subtree_q, scope_for

    scope = scope_for(user)
    q = Q(pk__in=[])
    for code in sorted(scope.region_codes):
        q |= region_subtree_q("region_id", code)
    return _with_details(
        Resource.objects.visible_to(user).filter(q, status=ResourceStatus.SCHOOL_APPROVED)
    ).order_by("submitted_at", "id")


@dataclass
class TreeNode:
    node: CatalogNode
    count: int = 0
    children: list[TreeNode] = field(default_factory=list)


def _published_counts(name: str, compute: Any) -> dict[Any, int]:
    key = f"resources:counts:{name}:{_published_version()}"
    counts: dict[Any, int] | None = cache.get(key)
    if counts is None:
        counts = dict(compute())
        cache.set(key, counts, FACETS_TTL)
    return counts


def catalog_tree(user: Any) -> list[TreeNode]:
    """The whole catalog with the number of published resources under each node."""
    nodes = list(CatalogNode.objects.order_by("path"))
    direct = _published_counts(
        "nodes",
        lambda: (
            Resource.objects.visible_to(user)
            .published()
            .filter(node__isnull=False)
            .order_by()
            .values_list("node_id")
            .annotate(n=Count("id"))
        ),
    )
    by_path: dict[str, TreeNode] = {}
    roots: list[TreeNode] = []
    for node in nodes:
        tree = TreeNode(node)
        by_path[node.path] = tree
        parent_path = node.path.rsplit("/", 1)[0] if "/" in node.path else ""
        (by_path[parent_path].children if parent_path in by_path else roots).append(tree)
    for node in nodes:
        n = direct.get(node.pk, 0)
        if n:
            parts = node.path.split("/")
            for i in range(len(parts)):
                by_path["/".join(parts[: i + 1])].count += n

    def order(trees: list[TreeNode]) -> None:
        trees.sort(key=lambda t: (t.node.position, t.node.path))
        for t in trees:
            order(t.children)

    order(roots)
    return roots


def topic_counts(user: Any) -> list[tuple[Topic, int]]:
    """Published resources per topic (from the topic links, not a scan of resources)."""
    through = Resource.topics.through
    published = Resource.objects.visible_to(user).published().values("pk")
    counts = _published_counts(
        "topics",
        lambda: (
            through.objects.filter(resource_id__in=published)
            .order_by()
            .values_list("topic_id")
            .annotate(n=Count("id"))
        ),
    )
    return [(t, counts.get(t.pk, 0)) for t in Topic.objects.order_by("position", "id")]


def attachable_nodes() -> list[dict[str, Any]]:
    """The catalog for the upload form's cascading choice (id, parent, kind, name)."""
    return [
        {"id": pk, "parent": parent, "kind": kind, "name": name}
        for pk, parent, kind, name in CatalogNode.objects.order_by("path").values_list(
            "id", "parent_id", "kind", "name"
        )
    ]
