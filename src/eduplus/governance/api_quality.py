"""Governance API: the quality scorecard, the data catalog and the lineage events
(session auth, scoped like the pages)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Schema

from eduplus.core.api import require
from eduplus.core.roles import Action
from eduplus.core.scoping import access_object
from eduplus.governance import catalog as cat
from eduplus.governance import quality as qual
from eduplus.governance.api import router
from eduplus.governance.models import QualityDimension
from eduplus.regions.models import Region


class ScoreOut(Schema):
    key: str
    label: str
    checked: int
    failed: int
    score: float | None


class QualityOut(Schema):
    region_code: str
    region_name: str
    computed_at: dt.datetime | None
    overall: ScoreOut | None
    dimensions: list[ScoreOut]
    sources: list[ScoreOut]


def _out(key: str, label: str, score: qual.Score) -> dict[str, Any]:
    rate = score.rate
    return {
        "key": key,
        "label": label,
        "checked": score.checked,
        "failed": score.failed,
        "score": None if rate is None else round(rate, 2),
    }


@router.get("/quality/regions/{region_code}", response=QualityOut)
def quality_region(request: HttpRequest, region_code: str) -> dict[str, Any]:
    require(request, Action.DATA_VIEW)
    region = access_object(request.user, Region, code=region_code, request=request)
    at = qual.latest_computation()
    result: dict[str, Any] = {
        "region_code": region.code,
        "region_name": region.name,
        "computed_at": at,
        "overall": None,
        "dimensions": [],
        "sources": [],
    }
    if at is None:
        return result
    qs = qual.results_in_scope(request.user, region=region, computed_at=at)
    dims = qual.score_by_dimension(qs)
    result["overall"] = _out("overall", _("综合"), qual.score_total(qs))
    result["dimensions"] = [
        _out(value, str(label), dims.get(value, qual.Score()))
        for value, label in QualityDimension.choices
    ]
    result["sources"] = [_out(r.key, r.label, r.score) for r in qual.score_by_source(qs)]
    return result


class DatasetOut(Schema):
    code: str
    name: str
    kind: str
    owner: str
    classification: str
    fields: list[dict[str, Any]]
    row_count: int
    updated_at: dt.datetime | None
    stale: bool


@router.get("/catalog", response=list[DatasetOut])
def catalog(
    request: HttpRequest, kind: str = "", classification: str = "", q: str = ""
) -> list[dict[str, Any]]:
    require(request, Action.DATA_VIEW)
    cat.catalog_ensure()
    qs = cat.catalog_datasets(request.user, kind=kind, classification=classification, q=q[:64])
    return [
        {
            "code": d.code,
            "name": d.name,
            "kind": d.kind,
            "owner": d.owner,
            "classification": d.classification,
            "fields": d.fields,
            "row_count": d.row_count,
            "updated_at": d.updated_at,
            "stale": cat.is_stale(d),
        }
        for d in qs[:1000]
    ]


@router.get("/lineage/events", response=list[dict[str, Any]])
def lineage_events(request: HttpRequest) -> list[dict[str, Any]]:
    require(request, Action.DATA_VIEW)
    return cat.lineage_export(request.user)
