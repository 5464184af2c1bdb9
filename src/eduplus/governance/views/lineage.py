"""Governance pages: the lineage graph (溯源图谱) from source files through batches to
golden records and the indicators built on them, and the raw OpenLineage events."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _

from eduplus.core.audit import audit_record
from eduplus.core.permissions import require_action
from eduplus.core.roles import Action
from eduplus.governance import catalog as cat

TABLE_LIMIT = 200


@require_action(Action.DATA_VIEW)
def lineage_page(request: HttpRequest) -> HttpResponse:
    runs = cat.lineage_runs(request.user)
    focus = request.GET.get("dataset", "").strip()[:64]
    graph = cat.lineage_graph(runs, focus=focus)
    if focus and not graph.nodes:
        messages.error(
            request, _("没有关于数据集 %(code)s 的血缘记录，下面显示全部血缘") % {"code": focus}
        )
        focus = ""
        graph = cat.lineage_graph(runs)
    shown = runs
    if focus:
        keep = {n["id"] for n in graph.nodes}
        shown = [
            cat.LineageRun(
                r.event, [c for c in r.inputs if c in keep], [c for c in r.outputs if c in keep]
            )
            for r in runs
            if set(r.inputs) & keep and set(r.outputs) & keep
        ]
    codes = sorted({c for r in shown[:TABLE_LIMIT] for c in (*r.inputs, *r.outputs)})
    names = cat.dataset_names(codes)

    def described(items: list[str]) -> list[tuple[str, str, bool]]:
        return [(c, *names[c]) for c in items]

    table: list[dict[str, Any]] = [
        {"run": r, "inputs": described(r.inputs), "outputs": described(r.outputs)}
        for r in shown[:TABLE_LIMIT]
    ]
    chart = {
        "nodes": graph.nodes,
        "links": graph.links,
        "categories": graph.categories,
    }
    return render(
        request,
        "governance/lineage.html",
        {
            "graph": graph,
            "chart": chart,
            "focus": focus,
            "focus_name": names.get(focus, (focus, False))[0] if focus else "",
            "table": table,
            "run_total": len(shown),
            "table_limit": TABLE_LIMIT,
        },
    )


@require_action(Action.DATA_VIEW)
def lineage_events(request: HttpRequest) -> HttpResponse:
    """Every recorded event as OpenLineage RunEvent JSON, oldest first (for export)."""
    events = cat.lineage_export(request.user)
    audit_record(
        actor=request.user,
        action="governance.lineage_export",
        request=request,
        target_type="governance.lineageevent",
        details={"events": len(events)},
    )
    response = JsonResponse(events, safe=False, json_dumps_params={"ensure_ascii": False})
    if request.GET.get("download"):
        response["Content-Disposition"] = 'attachment; filename="eduplus-lineage.json"'
    return response


urlpatterns: list[URLPattern] = [
    path("lineage/", lineage_page, name="lineage"),
    path("lineage/events.json", lineage_events, name="lineage_events"),
]
