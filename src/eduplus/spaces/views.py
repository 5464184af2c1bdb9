"""Pages of the learning spaces: one's own space, favourites, the activity record,
teachers' public pages, teaching-research groups, usage rates and LRS clients."""

from __future__ import annotations

import csv
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from eduplus.core.audit import audit_record
from eduplus.core.feedback import flash_errors
from eduplus.core.pagination import paginate
from eduplus.core.permissions import require_action, user_can
from eduplus.core.roles import Action
from eduplus.core.scoping import access_object, minimal_prefixes, scope_for
from eduplus.people.models import Teacher
from eduplus.regions.models import Region, RegionLevel
from eduplus.resources.models import Resource
from eduplus.spaces import selectors as sel
from eduplus.spaces import services
from eduplus.spaces.models import GroupReach, LrsClient, TeachingGroup
from eduplus.spaces.usage import (
    Period,
    UsageRow,
    child_region_rows,
    recent_periods,
    school_counts,
    total_of,
)

# ------------------------------------------------------------------------ own space


@require_action(Action.SPACE_USE)
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    uploads = user_can(user, Action.RESOURCE_UPLOAD)
    teaches = user_can(user, Action.TEACHING_GROUP)
    timeline = sel.activity(user)
    context: dict[str, Any] = {
        "uploads": uploads,
        "teaches": teaches,
        "own": list(sel.own_resources(user)[:5]) if uploads else [],
        "own_total": sel.own_resources(user).count() if uploads else 0,
        "favourites": list(sel.favourites(user)[:6]),
        "favourite_total": sel.favourites(user).count(),
        "recent": sel.recent_resources(user, limit=6),
        "classes": sel.my_classes(user),
        "groups": list(sel.my_groups(user)[:5]) if teaches else [],
        "invitations": list(sel.invitations(user)) if teaches else [],
        "timeline": list(timeline[:8]),
        "period": Period.current(),
        "active_this_year": timeline.filter(**Period.current().lookup()).count(),
    }
    return render(request, "spaces/home.html", context)


@require_action(Action.SPACE_USE)
def activity(request: HttpRequest) -> HttpResponse:
    page = paginate(request, sel.activity(request.user), 20)
    return render(request, "spaces/activity.html", {"page": page})


@require_action(Action.SPACE_USE)
def favourites(request: HttpRequest) -> HttpResponse:
    page = paginate(request, sel.favourites(request.user), 20)
    return render(request, "spaces/favourites.html", {"page": page})


def _next_url(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


@require_action(Action.SPACE_USE)
@require_POST
def favourite_toggle(request: HttpRequest, resource_pk: int) -> HttpResponse:
    resource = access_object(request.user, Resource.objects.all(), request=request, pk=resource_pk)
    now = services.favourite_toggle(user=request.user, resource=resource)
    if request.headers.get("HX-Request"):
        return render(request, "spaces/_favourite_button.html", {"resource": resource})
    messages.success(request, _("已收藏") if now else _("已取消收藏"))
    return HttpResponseRedirect(_next_url(request, reverse("resources:detail", args=[resource.pk])))


@require_action(Action.SPACE_USE)
def teacher_page(request: HttpRequest, teacher_pk: int) -> HttpResponse:
    """A teacher's public page: who, where, and their published resources only."""
    teacher = access_object(
        request.user, Teacher.objects.select_related("person", "school"), request=request,
        pk=teacher_pk,
    )  # fmt: skip
    published = (
        Resource.objects.visible_to(request.user)
        .published()
        .filter(author__person_id=teacher.person_id)
        .select_related("school", "node")
        .order_by("-published_at", "-id")
    )
    page = paginate(request, published, 20)
    return render(request, "spaces/teacher.html", {"teacher": teacher, "page": page})


# ----------------------------------------------------------------- teaching groups


@require_action(Action.TEACHING_GROUP)
def groups(request: HttpRequest) -> HttpResponse:
    user = request.user
    form: dict[str, str] = {"name": "", "description": "", "reach": GroupReach.SCHOOL}
    if request.method == "POST":
        form = {k: request.POST.get(k, "") for k in form}
        try:
            group = services.group_create(
                user=user, name=form["name"], description=form["description"],
                reach=form["reach"], request=request,
            )  # fmt: skip
        except ValidationError as exc:
            flash_errors(request, exc)
        else:
            messages.success(request, _("教研组已创建，可以邀请同事加入了"))
            return redirect("spaces:group", group_pk=group.pk)
    return render(
        request,
        "spaces/groups.html",
        {
            "mine": list(sel.my_groups(user)),
            "invitations": list(sel.invitations(user)),
            "joinable": list(sel.joinable_groups(user)[:50]),
            "form": form,
            "reaches": GroupReach.choices,
        },
    )


def _group(request: HttpRequest, group_pk: int) -> TeachingGroup:
    return access_object(
        request.user, TeachingGroup.objects.select_related("school", "region"), request=request,
        pk=group_pk,
    )  # fmt: skip


@require_action(Action.TEACHING_GROUP)
def group_detail(request: HttpRequest, group_pk: int) -> HttpResponse:
    group = _group(request, group_pk)
    user = request.user
    membership = services.membership(group, user)
    member = membership is not None and membership.status == "active"
    context: dict[str, Any] = {"group": group, "membership": membership, "member": member}
    if member:
        shared = sel.group_resources(user, group)
        shared_ids = set(shared.values_list("resource_id", flat=True))
        context.update(
            page=paginate(request, sel.group_posts(group), 20),
            members=list(sel.group_members(group)),
            shared=list(shared[:50]),
            shareable=[
                r
                for r in sel.own_resources(user).filter(status="published")[:50]
                if r.pk not in shared_ids
            ]
            + [
                f.resource
                for f in sel.favourites(user).filter(resource__status="published")[:50]
                if f.resource_id not in shared_ids and f.resource.author_id != user.pk
            ],
            post_max=services.POST_MAX_CHARS,
        )
    return render(request, "spaces/group.html", context)


@require_action(Action.TEACHING_GROUP)
@require_POST
def group_join(request: HttpRequest, group_pk: int) -> HttpResponse:
    group = _group(request, group_pk)
    try:
        services.group_join(group=group, user=request.user, request=request)
    except ValidationError as exc:
        flash_errors(request, exc)
    else:
        messages.success(request, _("已加入教研组"))
    return redirect("spaces:group", group_pk=group.pk)


@require_action(Action.TEACHING_GROUP)
@require_POST
def group_invite(request: HttpRequest, group_pk: int) -> HttpResponse:
    group = _group(request, group_pk)
    try:
        services.group_invite(
            group=group, inviter=request.user, username=request.POST.get("username", ""),
            request=request,
        )  # fmt: skip
    except ValidationError as exc:
        flash_errors(request, exc)
    else:
        messages.success(request, _("邀请已发出，对方在“我的空间”中接受后即加入"))
    return redirect("spaces:group", group_pk=group.pk)


@require_action(Action.TEACHING_GROUP)
@require_POST
def group_post(request: HttpRequest, group_pk: int) -> HttpResponse:
    group = _group(request, group_pk)
    try:
        services.group_post_create(
            group=group, user=request.user, body=request.POST.get("body", ""), request=request
        )
    except ValidationError as exc:
        flash_errors(request, exc)
    else:
        messages.success(request, _("已发表"))
    return redirect("spaces:group", group_pk=group.pk)


@require_action(Action.TEACHING_GROUP)
@require_POST
def group_share(request: HttpRequest, group_pk: int) -> HttpResponse:
    group = _group(request, group_pk)
    raw = request.POST.get("resource", "")
    resource = (
        Resource.objects.visible_to(request.user).filter(pk=int(raw)).first()
        if raw.isdigit()
        else None
    )
    if resource is None:
        messages.error(request, _("请选择要共享的资源"))
    else:
        try:
            services.group_share(group=group, user=request.user, resource=resource, request=request)
        except ValidationError as exc:
            flash_errors(request, exc)
        else:
            messages.success(request, _("资源已共享到本组"))
    return redirect("spaces:group", group_pk=group.pk)


# ------------------------------------------------------------------- usage rates


def _usage(request: HttpRequest) -> dict[str, Any]:
    """The rows of the usage page: the region's children (or schools) in the period."""
    user = request.user
    period = Period.parse(request.GET.get("period")) or Period.current()
    scope = scope_for(user)
    region: Region | None = None
    code = request.GET.get("region", "").strip()
    if code:
        region = access_object(user, Region.objects.select_related("parent"), request=request,
                               code=code)  # fmt: skip
    elif scope.region_codes:
        region = Region.objects.select_related("parent").get(
            code=sorted(minimal_prefixes(scope.region_codes))[0]
        )
    rows: list[UsageRow]
    if region is None:
        rows = school_counts(period, user=user, school_ids=sorted(scope.school_ids))
        level = "school"
    elif region.level < RegionLevel.COUNTY:
        rows = child_region_rows(user, region, period)
        level = "region"
    else:
        rows = school_counts(period, region=region.code, user=user)
        level = "school"
    crumbs = (
        [r for r in region.path() if scope.covers_region(r.code, personal=True)] if region else []
    )
    return {
        "period": period,
        "periods": recent_periods(),
        "region": region,
        "rows": rows,
        "level": level,
        "total": total_of(
            rows, region.code if region else "", region.display_name if region else ""
        ),
        "crumbs": crumbs,
    }


@require_action(Action.MONITORING_VIEW)
def usage(request: HttpRequest) -> HttpResponse:
    return render(request, "spaces/usage.html", _usage(request))


def _pct(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


@require_action(Action.MONITORING_VIEW)
def usage_csv(request: HttpRequest) -> HttpResponse:
    data = _usage(request)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    where = data["region"].code if data["region"] else "schools"
    name = f"space-usage-{where}-{data['period'].value}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow(
        [_("代码"), _("名称"), _("期间"), _("活跃教师数"), _("教师数"), _("教师空间应用率（%）"),
         _("活跃学生数（三年级及以上）"), _("学生数（三年级及以上）"), _("学生空间应用率（%）")]
    )  # fmt: skip
    for r in [*data["rows"], data["total"]]:
        writer.writerow(
            [r.code, r.name or _("合计"), data["period"].label, r.teachers_active, r.teachers,
             _pct(r.teacher_rate), r.students_active, r.students, _pct(r.student_rate)]
        )  # fmt: skip
    audit_record(
        actor=request.user, action="spaces.usage_export", target_type="region",
        target_id=data["region"].code if data["region"] else "", request=request,
        details={"period": data["period"].value, "rows": len(data["rows"])},
    )  # fmt: skip
    return response


# -------------------------------------------------------------------- LRS clients


@require_action(Action.SHARE_REQUEST)
def lrs_clients(request: HttpRequest) -> HttpResponse:
    user = request.user
    scope = scope_for(user)
    regions = list(
        Region.objects.filter(code__in=sorted(minimal_prefixes(scope.region_codes))).order_by(
            "code"
        )
    )
    created = secret = None
    if request.method == "POST":
        region = next((r for r in regions if r.code == request.POST.get("region")), None)
        if region is None:
            messages.error(request, _("请选择所属区域"))
        else:
            try:
                created, secret = services.lrs_client_create(
                    name=request.POST.get("name", ""), region=region, actor=user, request=request
                )
            except ValidationError as exc:
                flash_errors(request, exc)
    return render(
        request,
        "spaces/lrs_clients.html",
        {
            "clients": list(sel.lrs_clients(user)),
            "regions": regions,
            "created": created,
            "secret": secret,
            "endpoint": request.build_absolute_uri(reverse("spaces:xapi_statements")),
        },
    )


@require_action(Action.SHARE_REQUEST)
@require_POST
def lrs_client_revoke(request: HttpRequest, client_pk: int) -> HttpResponse:
    client = access_object(request.user, LrsClient.objects.all(), request=request, pk=client_pk)
    services.lrs_client_revoke(client=client, actor=request.user, request=request)
    messages.success(request, _("客户端已停用"))
    return redirect("spaces:lrs_clients")
