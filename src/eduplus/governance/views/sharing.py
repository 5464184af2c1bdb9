"""Governance pages: data sharing (数据共享).

Officers (``Action.SHARE_REQUEST``) file requests and follow them; the steward
(``Action.SHARE_REVIEW``) reviews the queue, approves (possibly narrowing the fields)
or rejects, and revokes. Approval shows the raw token exactly once, in the answer to
the approving POST; it is stored nowhere. Every request is fetched through
``access_object`` (404 for missing and out-of-scope alike).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from eduplus.core.audit import audit_record
from eduplus.core.pagination import paginate, querystring_without_page
from eduplus.core.permissions import require_action, user_can
from eduplus.core.roles import Action
from eduplus.core.scoping import access_object, region_subtree_q
from eduplus.governance import sharing
from eduplus.governance.models import GoldenRecord, ShareRequest, ShareStatus
from eduplus.governance.shareable import SHAREABLE_DATASETS, DatasetDef
from eduplus.regions.models import Region

CLASSIFICATION_LABELS = {
    "public": gettext_lazy("公开"),
    "internal": gettext_lazy("内部"),
    "sensitive": gettext_lazy("敏感"),
    "children": gettext_lazy("儿童个人信息"),
}
AUDIT_ACTION_LABELS = {
    "share.create": gettext_lazy("提交申请"),
    "share.approve": gettext_lazy("批准并签发令牌"),
    "share.reject": gettext_lazy("驳回"),
    "share.revoke": gettext_lazy("撤销授权"),
    "share.access": gettext_lazy("令牌访问"),
}
TOKEN_STATE_LABELS = {
    "valid": gettext_lazy("有效"),
    "revoked": gettext_lazy("已撤销"),
    "expired": gettext_lazy("已过期"),
    "not_started": gettext_lazy("未到开始日期"),
}


def _labels() -> dict[str, dict[str, str]]:
    # Built per request so that the labels follow the active language.
    return {
        "classification": {k: str(v) for k, v in CLASSIFICATION_LABELS.items()},
        "audit": {k: str(v) for k, v in AUDIT_ACTION_LABELS.items()},
        "token": {k: str(v) for k, v in TOKEN_STATE_LABELS.items()},
    }


def _errors_of(exc: ValidationError) -> tuple[dict[str, list[str]], list[str]]:
    """Per-field messages and the messages that belong to no field."""
    if hasattr(exc, "error_dict"):
        by_field = {k: [str(m) for m in v] for k, v in exc.message_dict.items()}
        general = by_field.pop("__all__", [])
        return by_field, general
    return {}, [str(m) for m in exc.messages]


def _flash(request: HttpRequest, exc: ValidationError) -> None:
    by_field, general = _errors_of(exc)
    for m in general + [m for ms in by_field.values() for m in ms]:
        messages.error(request, m)


def _state(share_request: ShareRequest, today: dt.date) -> tuple[str, str]:
    """The status a person reads (with the period taken into account) and its tag style."""
    if share_request.status == ShareStatus.APPROVED:
        if share_request.ends_on < today:
            return _("已过期"), ""
        if share_request.starts_on > today:
            return _("已批准（未到开始日期）"), "ok"
        return _("已批准，有效"), "ok"
    if share_request.status in (ShareStatus.REJECTED, ShareStatus.REVOKED):
        return str(share_request.get_status_display()), "bad"
    return str(share_request.get_status_display()), ""


def _rows(requests: Any) -> list[dict[str, Any]]:
    today = timezone.localdate()
    rows = []
    for sr in requests:
        ds = SHAREABLE_DATASETS.get(sr.dataset)
        label, css = _state(sr, today)
        rows.append(
            {"sr": sr, "dataset": ds.name if ds else sr.dataset, "state": label, "css": css}
        )
    return rows


def _log_rows(entries: Any) -> list[dict[str, Any]]:
    labels = _labels()["audit"]
    rows = []
    for e in entries:
        d = e.details if isinstance(e.details, dict) else {}
        rows.append(
            {
                "e": e,
                "action": labels.get(e.action, e.action),
                "denied": e.result != "success",
                # Token calls are named by the token; everything else by its actor.
                "token": d.get("token", "") if e.action == "share.access" else "",
                "endpoint": d.get("endpoint", ""),
                "rows": d.get("rows"),
                "reason": d.get("reason", ""),
                "note": d.get("note", ""),
                "fields": d.get("fields") if e.action == "share.approve" else None,
            }
        )
    return rows


def _parse_date(raw: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat((raw or "").strip())
    except ValueError:
        return None


def _dataset_fields(ds: DatasetDef) -> list[dict[str, Any]]:
    labels = _labels()["classification"]
    return [
        {
            "name": f.name,
            "label": str(f.label),
            "classification": f.classification,
            "classification_label": labels.get(f.classification, f.classification),
            "maskable": f.maskable,
        }
        for f in ds.fields
    ]


# ------------------------------------------------------------------- landing


def shares(request: HttpRequest) -> HttpResponse:
    """The steward lands on the review queue, officers on their requests.

    Open to any logged-in user (the route walk knows one action per route); a user
    holding neither sharing action gets the 404 a missing page gets.
    """
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if user_can(request.user, Action.SHARE_REVIEW):
        return redirect("governance:share_review_queue")
    if user_can(request.user, Action.SHARE_REQUEST):
        return redirect("governance:share_list")
    audit_record(
        actor=request.user,
        action="permission.denied",
        result="denied",
        target_type="action",
        target_id=Action.SHARE_REQUEST,
        target_repr=request.path[:255],
        request=request,
    )
    raise Http404("no sharing action")


# ---------------------------------------------------------------- officers


@require_action(Action.SHARE_REQUEST)
def share_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    status = status if status in ShareStatus.values else ""
    mine = request.GET.get("mine") == "1"
    page = paginate(request, sharing.share_requests(request.user, status=status, mine=mine))
    return render(
        request,
        "governance/sharing_list.html",
        {
            "page": page,
            "rows": _rows(page.object_list),
            "status": status,
            "mine": mine,
            "statuses": ShareStatus.choices,
            "qs": querystring_without_page(request),
        },
    )


@require_action(Action.SHARE_REQUEST)
def share_create(request: HttpRequest) -> HttpResponse:
    source = request.POST if request.method == "POST" else request.GET
    code = source.get("dataset", "") or next(iter(SHAREABLE_DATASETS))
    ds = SHAREABLE_DATASETS.get(code) or next(iter(SHAREABLE_DATASETS.values()))
    regions = sharing.share_region_choices(request.user)
    today = timezone.localdate()
    values: dict[str, Any] = {
        "organisation": sharing.default_organisation(request.user),
        "fields": [],
        "unmasked": [],
        "region": regions[0].code if regions else "",
        "purpose": "",
        "starts_on": today.isoformat(),
        "ends_on": (today + dt.timedelta(days=89)).isoformat(),
    }
    field_errors: dict[str, list[str]] = {}
    general: list[str] = []
    if request.method == "POST":
        values = {
            "organisation": request.POST.get("organisation", "")[:500],
            "fields": request.POST.getlist("fields"),
            "unmasked": request.POST.getlist("unmasked"),
            "region": request.POST.get("region", "")[:6],
            "purpose": request.POST.get("purpose", "")[:5000],
            "starts_on": request.POST.get("starts_on", "")[:10],
            "ends_on": request.POST.get("ends_on", "")[:10],
        }
        starts_on = _parse_date(values["starts_on"])
        ends_on = _parse_date(values["ends_on"])
        region = next((r for r in regions if r.code == values["region"]), None)
        if region is None and values["region"]:
            # Not among the choices: let the service say why (out of scope or unknown).
            region = Region.objects.filter(code=values["region"]).first()
        try:
            if code not in SHAREABLE_DATASETS:
                raise ValidationError({"dataset": _("请选择可共享的数据集")})
            share_request = sharing.share_request_create(
                requester=request.user,
                organisation=values["organisation"],
                dataset=code,
                fields=values["fields"],
                unmasked_fields=values["unmasked"],
                region=region,
                purpose=values["purpose"],
                starts_on=starts_on,
                ends_on=ends_on,
                request=request,
            )
        except ValidationError as exc:
            field_errors, general = _errors_of(exc)
            for key, raw in (("starts_on", values["starts_on"]), ("ends_on", values["ends_on"])):
                if raw and _parse_date(raw) is None:
                    field_errors[key] = [_("日期格式应为 YYYY-MM-DD，如 %(d)s") % {"d": today}]
        else:
            messages.success(
                request,
                _("共享申请 #%(n)d 已提交，等待数据管理员审核；审核结果将显示在本页。")
                % {"n": share_request.pk},
            )
            return redirect("governance:share_detail", share_pk=share_request.pk)
    return render(
        request,
        "governance/sharing_form.html",
        {
            "ds": ds,
            "datasets": list(SHAREABLE_DATASETS.values()),
            "fields": _dataset_fields(ds),
            "regions": regions,
            "values": values,
            "errors": field_errors,
            "general_errors": general,
            "max_days": sharing.MAX_PERIOD_DAYS,
            "classification_labels": _labels()["classification"],
        },
    )


def _share(request: HttpRequest, share_pk: int) -> ShareRequest:
    return access_object(
        request.user,
        ShareRequest.objects.select_related("requester", "reviewer", "region"),
        pk=share_pk,
        request=request,
    )


def _reach(share_request: ShareRequest, ds: DatasetDef | None) -> int:
    """How many golden persons the request's region holds (what a token would reach)."""
    if ds is None:
        return 0
    return (
        GoldenRecord.objects.filter(region_subtree_q("region_id", share_request.region_id))
        .filter(person_type=ds.person_type)
        .count()
    )


def _detail_context(
    request: HttpRequest, share_request: ShareRequest, *, review: bool
) -> dict[str, Any]:
    ds = sharing.dataset_for(share_request.dataset)
    labels = _labels()
    rows = []
    for f in _dataset_fields(ds) if ds else []:
        if f["name"] not in share_request.fields:
            continue
        f["unmasked_asked"] = f["name"] in share_request.unmasked_fields
        f["approved"] = f["name"] in share_request.approved_fields
        f["approved_unmasked"] = f["name"] in share_request.approved_unmasked
        rows.append(f)
    tokens = []
    for t in sharing.share_tokens(share_request):
        state = sharing.token_state(t, share_request)
        tokens.append({"token": t, "state": state, "state_label": labels["token"][state]})
    log = paginate(request, sharing.share_access_log(share_request), per_page=20)
    today = timezone.localdate()
    state, state_css = _state(share_request, today)
    return {
        "sr": share_request,
        "state": state,
        "state_css": state_css,
        "log_rows": _log_rows(log.object_list),
        "ds": ds,
        "rows": rows,
        "tokens": tokens,
        "log": log,
        "page": log,
        "qs": querystring_without_page(request),
        "review": review,
        "expired": share_request.ends_on < today,
        "not_started": share_request.starts_on > today,
        "reach": _reach(share_request, ds) if review else None,
        "is_requester": share_request.requester_id == request.user.pk,
        "records_url": request.build_absolute_uri(reverse("api:share_records")),
        "grant_url": request.build_absolute_uri(reverse("api:share_grant")),
    }


@require_action(Action.SHARE_REQUEST)
def share_detail(request: HttpRequest, share_pk: int) -> HttpResponse:
    share_request = _share(request, share_pk)
    return render(
        request,
        "governance/sharing_detail.html",
        _detail_context(request, share_request, review=False),
    )


@require_POST
@require_action(Action.SHARE_REQUEST)
def share_withdraw(request: HttpRequest, share_pk: int) -> HttpResponse:
    """The requester ends their own approved request (for example a leaked token)."""
    return _revoke(request, share_pk, back="governance:share_detail")


# ------------------------------------------------------------------ steward


@require_action(Action.SHARE_REVIEW)
def share_review_queue(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", ShareStatus.PENDING)
    status = status if status in ShareStatus.values or status == "all" else ShareStatus.PENDING
    page = paginate(request, sharing.share_review_queue(request.user, status=status))
    return render(
        request,
        "governance/sharing_queue.html",
        {
            "page": page,
            "rows": _rows(page.object_list),
            "status": status,
            "statuses": ShareStatus.choices,
            "qs": querystring_without_page(request),
        },
    )


@require_action(Action.SHARE_REVIEW)
def share_review(request: HttpRequest, share_pk: int) -> HttpResponse:
    share_request = _share(request, share_pk)
    return render(
        request,
        "governance/sharing_detail.html",
        _detail_context(request, share_request, review=True),
    )


@require_POST
@require_action(Action.SHARE_REVIEW)
def share_approve(request: HttpRequest, share_pk: int) -> HttpResponse:
    """Approve and show the raw token in this answer, once; it is stored nowhere."""
    share_request = _share(request, share_pk)
    try:
        share_request, raw = sharing.share_request_approve(
            share_request=share_request,
            reviewer=request.user,
            fields=request.POST.getlist("fields"),
            unmasked_fields=request.POST.getlist("unmasked"),
            note=request.POST.get("note", "")[:5000],
            request=request,
        )
    except ValidationError as exc:
        _flash(request, exc)
        return redirect("governance:share_review", share_pk=share_request.pk)
    ds = sharing.dataset_for(share_request.dataset)
    response = render(
        request,
        "governance/sharing_token.html",
        {
            "sr": share_request,
            "ds": ds,
            "raw": raw,
            "expires_at": sharing.token_expiry(share_request.ends_on),
            "records_url": request.build_absolute_uri(reverse("api:share_records")),
            "grant_url": request.build_absolute_uri(reverse("api:share_grant")),
            "field_labels": {f.name: str(f.label) for f in ds.fields} if ds else {},
        },
    )
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@require_action(Action.SHARE_REVIEW)
def share_reject(request: HttpRequest, share_pk: int) -> HttpResponse:
    share_request = _share(request, share_pk)
    try:
        sharing.share_request_reject(
            share_request=share_request,
            reviewer=request.user,
            note=request.POST.get("note", "")[:5000],
            request=request,
        )
    except ValidationError as exc:
        _flash(request, exc)
    else:
        messages.success(request, _("已驳回共享申请 #%(n)d") % {"n": share_request.pk})
    return redirect("governance:share_review", share_pk=share_request.pk)


@require_POST
@require_action(Action.SHARE_REVIEW)
def share_revoke(request: HttpRequest, share_pk: int) -> HttpResponse:
    return _revoke(request, share_pk, back="governance:share_review")


def _revoke(request: HttpRequest, share_pk: int, *, back: str) -> HttpResponse:
    share_request = _share(request, share_pk)
    try:
        sharing.share_request_revoke(
            share_request=share_request,
            actor=request.user,
            note=request.POST.get("note", "")[:5000],
            request=request,
        )
    except ValidationError as exc:
        _flash(request, exc)
    else:
        messages.success(request, _("授权已撤销，该申请的令牌立即失效"))
    return redirect(back, share_pk=share_request.pk)


urlpatterns: list[URLPattern] = [
    path("shares/", shares, name="shares"),
    path("shares/mine/", share_list, name="share_list"),
    path("shares/new/", share_create, name="share_create"),
    path("shares/<int:share_pk>/", share_detail, name="share_detail"),
    path("shares/<int:share_pk>/withdraw/", share_withdraw, name="share_withdraw"),
    path("shares/review/", share_review_queue, name="share_review_queue"),
    path("shares/review/<int:share_pk>/", share_review, name="share_review"),
    path("shares/review/<int:share_pk>/approve/", share_approve, name="share_approve"),
    path("shares/review/<int:share_pk>/reject/", share_reject, name="share_reject"),
    path("shares/review/<int:share_pk>/revoke/", share_revoke, name="share_revoke"),
]
