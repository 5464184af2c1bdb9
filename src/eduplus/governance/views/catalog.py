"""Governance pages: the data catalog (数据目录) — every dataset with its owner,
classification, fields, freshness and lineage neighbours."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from eduplus.core.pagination import paginate, querystring_without_page
from eduplus.core.permissions import require_action, user_can
from eduplus.core.roles import Action
from eduplus.governance import catalog as cat
from eduplus.governance.models import Classification, DatasetKind


@require_action(Action.DATA_VIEW)
def catalog_list(request: HttpRequest) -> HttpResponse:
    cat.catalog_ensure()
    g = request.GET
    kind = g.get("kind", "")
    classification = g.get("classification", "")
    if kind and kind not in DatasetKind.values:
        messages.error(request, _("未知的数据集类别：%(v)s，已忽略该条件") % {"v": kind[:32]})
        kind = ""
    if classification and classification not in Classification.values:
        messages.error(
            request, _("未知的数据分级：%(v)s，已忽略该条件") % {"v": classification[:32]}
        )
        classification = ""
    text = g.get("q", "").strip()[:64]
    qs = cat.catalog_datasets(request.user, kind=kind, classification=classification, q=text)
    page = paginate(request, qs)
    return render(
        request,
        "governance/catalog_list.html",
        {
            "page": page,
            "rows": [(d, cat.is_stale(d)) for d in page.object_list],
            "qs": querystring_without_page(request),
            "kinds": DatasetKind.choices,
            "classifications": Classification.choices,
            "filters": {"kind": kind, "classification": classification, "q": text},
            "can_steward": user_can(request.user, Action.DATA_STEWARD),
        },
    )


@require_POST
@require_action(Action.DATA_STEWARD)
def catalog_sync_view(request: HttpRequest) -> HttpResponse:
    count = cat.catalog_sync()
    messages.success(request, _("数据目录已更新，共 %(n)d 个数据集") % {"n": count})
    return redirect("governance:catalog")


@require_action(Action.DATA_VIEW)
def catalog_detail(request: HttpRequest, dataset_code: str) -> HttpResponse:
    cat.catalog_ensure()
    dataset = cat.dataset_for(request.user, dataset_code, request=request)
    runs = cat.lineage_runs(request.user)
    upstream, downstream = cat.neighbours(runs, dataset.code)
    names = cat.dataset_names([e.source for e in upstream] + [e.target for e in downstream])
    return render(
        request,
        "governance/catalog_detail.html",
        {
            "dataset": dataset,
            "stale": cat.is_stale(dataset),
            "upstream": [(e, e.source, *names[e.source]) for e in upstream],
            "downstream": [(e, e.target, *names[e.target]) for e in downstream],
            "kind_label": DatasetKind(dataset.kind).label,
        },
    )


urlpatterns: list[URLPattern] = [
    path("catalog/", catalog_list, name="catalog"),
    path("catalog/sync/", catalog_sync_view, name="catalog_sync"),
    # Codes contain a colon (golden:students); <str:> keeps it, reverse() leaves it as is.
    path("catalog/<str:dataset_code>/", catalog_detail, name="catalog_detail"),
]
