"""The published resource feed (资源订阅): reads, cursors and the entry format.

The feed lists published and withdrawn resources ordered by ``(updated_at, id)``; a
cursor names a position in that order, so a subscriber that passes back ``next`` gets
exactly what changed since. A harvested resource is published with its *original*
origin (``aggregation.Origin``), so that a chain A→B→C never duplicates and a loop
never re-imports. The format is documented in docs/feed.md and on the in-app page.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from eduplus.aggregation.models import OriginKind
from eduplus.resources.models import CatalogNode, Resource, ResourceStatus

FEED_VERSION = 1
DEFAULT_LIMIT = 100
MAX_LIMIT = 500
FEED_STATUSES = (ResourceStatus.PUBLISHED, ResourceStatus.WITHDRAWN)


class CursorError(ValueError):
    pass


def encode_cursor(updated_at: dt.datetime, pk: int) -> str:
    raw = f"{updated_at.astimezone(dt.UTC).isoformat()}|{pk}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[dt.datetime, int]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        raw = base64.urlsafe_b64decode(padded.encode()).decode()
        stamp, _sep, pk = raw.partition("|")
        when = dt.datetime.fromisoformat(stamp)
        if timezone.is_naive(when):
            raise ValueError("naive")
        return when, int(pk)
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise CursorError(cursor) from exc


def feed_queryset() -> QuerySet[Resource]:
    return (
        Resource.objects.filter(status__in=FEED_STATUSES)
        .select_related("node", "school", "federation_origin")
        .prefetch_related("topics")
        .order_by("updated_at", "id")
    )


def served_file(pk: int) -> Resource | None:
    """The resource whose file a subscriber may download: published ones only."""
    return Resource.objects.filter(pk=pk, status=ResourceStatus.PUBLISHED).first()


@dataclass(frozen=True)
class FeedPage:
    entries: list[dict[str, Any]]
    next: str
    has_more: bool


def feed_page(
    *,
    since: str,
    limit: int,
    instance: str,
    file_url: Callable[[int], str],
    detail_url: Callable[[int], str],
) -> FeedPage:
    """One page of entries after ``since`` (a cursor, "" for the beginning)."""
    limit = max(1, min(limit, MAX_LIMIT))
    qs = feed_queryset()
    if since:
        when, pk = decode_cursor(since)
        qs = qs.filter(Q(updated_at__gt=when) | Q(updated_at=when, id__gt=pk))
    rows = list(qs[: limit + 1])
    has_more = len(rows) > limit
    rows = rows[:limit]
    names = _catalog_names(rows)
    entries = [
        entry_for(r, instance=instance, names=names, file_url=file_url, detail_url=detail_url)
        for r in rows
    ]
    next_cursor = entries[-1]["cursor"] if entries else since
    return FeedPage(entries=entries, next=next_cursor, has_more=has_more)


def _catalog_names(rows: list[Resource]) -> dict[str, CatalogNode]:
    prefixes: set[str] = set()
    for r in rows:
        if r.node is not None:
            parts = r.node.path.split("/")
            prefixes.update("/".join(parts[:i]) for i in range(1, len(parts) + 1))
    if not prefixes:
        return {}
    return {n.path: n for n in CatalogNode.objects.filter(path__in=sorted(prefixes))}


def _iso(value: dt.datetime | None) -> str | None:
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z") if value else None


def entry_for(
    resource: Resource,
    *,
    instance: str,
    names: dict[str, CatalogNode],
    file_url: Callable[[int], str],
    detail_url: Callable[[int], str],
) -> dict[str, Any]:
    origin = getattr(resource, "federation_origin", None)
    school_name = resource.school.name
    if origin is not None and origin.kind == OriginKind.HARVESTED:
        origin_out = {
            "instance": origin.origin_instance,
            "id": origin.origin_id,
            "url": origin.origin_url,
        }
        school_name = origin.origin_school or school_name
    else:
        origin_out = {"instance": instance, "id": str(resource.pk), "url": detail_url(resource.pk)}
    nodes = []
    if resource.node is not None:
        parts = resource.node.path.split("/")
        for i in range(1, len(parts) + 1):
            node = names.get("/".join(parts[:i]))
            if node is not None:
                nodes.append({"code": node.code, "kind": node.kind, "name": node.name})
    withdrawn = resource.status == ResourceStatus.WITHDRAWN
    return {
        "origin": origin_out,
        "cursor": encode_cursor(resource.updated_at, resource.pk),
        "title": resource.title,
        "description": resource.description,
        "type": resource.resource_type,
        "stage": resource.stage,
        "subject": resource.subject,
        "edition": resource.edition,
        "grade": resource.grade,
        "catalog": {
            "path": resource.node.path if resource.node else "",
            "nodes": nodes,
        },
        "topics": [{"code": t.code, "name": t.name} for t in resource.topics.all()],
        "author_name": resource.author_name,
        "school_name": school_name,
        "licence": resource.licence,
        "sha256": resource.sha256,
        "size": resource.size,
        "format": resource.file_format,
        "mime": resource.mime_type,
        "duration_seconds": resource.duration_seconds,
        "published_at": _iso(resource.published_at),
        "updated_at": _iso(resource.updated_at),
        "withdrawn": withdrawn,
        "withdrawn_reason": resource.status_reason if withdrawn else "",
        "file_url": "" if withdrawn else file_url(resource.pk),
    }
