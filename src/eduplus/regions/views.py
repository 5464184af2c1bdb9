"""Browsing the region tree from the user's top region down to a county's schools."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from eduplus.core.pagination import paginate
from eduplus.core.permissions import require_action
from eduplus.core.roles import Action
from eduplus.core.scoping import access_object
from eduplus.regions.models import Agency, Region, RegionLevel
from eduplus.regions.selectors import (
    region_breadcrumb,
    region_children_with_counts,
    region_root_for,
)
from eduplus.schools.selectors import (
    SchoolFilters,
    school_list,
    school_totals,
    school_type_breakdown,
)


@require_action(Action.REGION_VIEW)
def browse(request: HttpRequest) -> HttpResponse:
    root = region_root_for(request.user)
    if root is None:
        raise Http404("no region in scope")
    return redirect("regions:detail", region_code=root.code)


@require_action(Action.REGION_VIEW)
def detail(request: HttpRequest, region_code: str) -> HttpResponse:
    region = access_object(
        request.user, Region.objects.select_related("parent"), code=region_code, request=request
    )
    context: dict[str, Any] = {
        "region": region,
        "agency": Agency.objects.filter(region=region).first(),
        "breadcrumb": region_breadcrumb(request.user, region),
        "totals": school_totals(request.user, region.code),
        "by_type": school_type_breakdown(request.user, region.code),
        "children": region_children_with_counts(request.user, region),
    }
    if region.level == RegionLevel.COUNTY or not context["children"]:
        context["page"] = paginate(
            request, school_list(request.user, SchoolFilters(region=region.code))
        )
    else:
        # Schools placed directly at this level (a list that names only the city).
        context["direct_schools"] = list(
            school_list(request.user).filter(region_id=region.code)[:100]
        )
    return render(request, "regions/detail.html", context)
