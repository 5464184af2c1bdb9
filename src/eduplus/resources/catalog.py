"""Loading the shipped catalog (catalog_data.py) into the database.

Used by the data migration (with the historical models) and by tests that need the
catalog back after a transactional test's flush. Idempotent: nodes and topics that
exist (by path, by code) are kept as they are; missing ones are created level by level.
"""

from __future__ import annotations

from typing import Any

from eduplus.resources.catalog_data import TOPICS, catalog_nodes

_FACET_KINDS = ("stage", "subject", "edition", "grade")


def catalog_load(*, CatalogNode: Any, Topic: Any) -> int:
    """Create the missing catalog nodes and topics; return how many rows were created."""
    created = 0
    existing_topics = set(Topic.objects.values_list("code", flat=True))
    new_topics = [
        Topic(code=code, name=name, description=description, position=i)
        for i, (code, name, description) in enumerate(TOPICS)
        if code not in existing_topics
    ]
    Topic.objects.bulk_create(new_topics)
    created += len(new_topics)

    ids: dict[str, int] = dict(CatalogNode.objects.values_list("path", "id"))
    facets: dict[str, dict[str, Any]] = {
        path: dict(zip(_FACET_KINDS, values, strict=True))
        for path, *values in CatalogNode.objects.values_list("path", *_FACET_KINDS)
    }
    by_depth: dict[int, list[Any]] = {}
    for spec in catalog_nodes():
        if spec.path in ids:
            continue
        by_depth.setdefault(spec.path.count("/"), []).append(spec)
    for depth in sorted(by_depth):
        rows = []
        for spec in by_depth[depth]:
            inherited = dict(facets.get(spec.parent_path, dict.fromkeys(_FACET_KINDS)))
            if spec.kind == "grade":
                inherited["grade"] = int(spec.code)
            elif spec.kind in _FACET_KINDS:
                inherited[spec.kind] = spec.code
            facets[spec.path] = inherited
            rows.append(
                CatalogNode(
                    parent_id=ids.get(spec.parent_path),
                    kind=spec.kind,
                    code=spec.code,
                    path=spec.path,
                    name=spec.name,
                    position=spec.position,
                    stage=inherited["stage"] or "",
                    subject=inherited["subject"] or "",
                    edition=inherited["edition"] or "",
                    grade=inherited["grade"],
                )
            )
        CatalogNode.objects.bulk_create(rows)
        created += len(rows)
        ids.update(
            CatalogNode.objects.filter(path__in=[r.path for r in rows]).values_list("path", "id")
        )
    return created


def ensure_catalog() -> int:
    """The catalog with today's models (tests, the demo)."""
    from eduplus.resources.models import CatalogNode, Topic

    return catalog_load(CatalogNode=CatalogNode, Topic=Topic)
