"""Governance pages: the home page, golden persons and the trail of every value,
the conflicts between sources, the steward's review queue and resolution runs."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from eduplus.core.audit import audit_record
from eduplus.core.pagination import paginate, querystring_without_page
from eduplus.core.permissions import require_action, user_can
from eduplus.core.roles import Action
from eduplus.core.scoping import access_object
from eduplus.governance import selectors
from eduplus.governance.models import DataItem, GoldenRecord, MatchReview, ReviewStatus
from eduplus.governance.reviews import review_decide


@require_action(Action.DATA_VIEW)
def home(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "governance/home.html",
        {
            "o": selectors.overview(request.user),
            "can_import": user_can(request.user, Action.DATA_IMPORT),
            "can_steward": user_can(request.user, Action.DATA_STEWARD),
            "can_share": user_can(request.user, Action.SHARE_REQUEST)
            or user_can(request.user, Action.SHARE_REVIEW),
        },
    )


@require_action(Action.DATA_STEWARD)
def persons(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "")[:32]
    kind = request.GET.get("type", "")
    page = paginate(request, selectors.golden_records(request.user, q=q, person_type=kind))
    audit_record(
        actor=request.user,
        action="person.list",
        request=request,
        target_type="governance.goldenrecord",
        details={"q": q, "page": page.number, "rows": len(page.object_list)},
    )
    return render(
        request,
        "governance/persons.html",
        {"page": page, "q": q, "type": kind, "qs": querystring_without_page(request)},
    )


def _person_page(request: HttpRequest, person_pk: int, *, reveal: bool) -> HttpResponse:
    golden = access_object(
        request.user,
        GoldenRecord.objects.select_related("person", "school", "region"),
        pk=person_pk,
        request=request,
    )
    audit_record(
        actor=request.user,
        action="person.reveal_id_number" if reveal else "person.view",
        request=request,
        target_type="people.person",
        target_id=str(golden.person_id),
        target_repr=golden.person.name,
        details={"page": "governance.trail"},
    )
    return render(
        request,
        "governance/person_detail.html",
        {
            "golden": golden,
            "trail": selectors.person_trail(golden),
            "records": selectors.person_records(golden),
            "conflicts": selectors.person_conflicts(golden),
            "can_reveal": reveal,
            "may_reveal": user_can(request.user, Action.PERSON_VIEW_ID_NUMBER),
            "item_labels": dict(DataItem.choices),
        },
    )


@require_action(Action.DATA_STEWARD)
def person_detail(request: HttpRequest, person_pk: int) -> HttpResponse:
    """Personal data masked; the full values are one audited click away."""
    return _person_page(request, person_pk, reveal=False)


@require_POST
@require_action(Action.DATA_STEWARD)
def person_reveal(request: HttpRequest, person_pk: int) -> HttpResponse:
    if not user_can(request.user, Action.PERSON_VIEW_ID_NUMBER):
        from eduplus.core.permissions import deny

        raise deny(request, Action.PERSON_VIEW_ID_NUMBER)
    return _person_page(request, person_pk, reveal=True)


@require_action(Action.DATA_STEWARD)
def conflicts(request: HttpRequest) -> HttpResponse:
    item = request.GET.get("item", "")
    if item not in DataItem.values:
        item = ""
    page = paginate(request, selectors.conflicts(request.user, item=item))
    return render(
        request,
        "governance/conflicts.html",
        {
            "page": page,
            "item": item,
            "items": DataItem.choices,
            "item_labels": dict(DataItem.choices),
            "qs": querystring_without_page(request),
        },
    )


@require_action(Action.DATA_STEWARD)
def reviews(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", ReviewStatus.OPEN)
    if status not in ReviewStatus.values:
        status = ReviewStatus.OPEN
    page = paginate(request, selectors.review_queue(request.user, status=status), per_page=20)
    for review in page.object_list:
        review.hints = selectors.pair_hints(review)  # type: ignore[attr-defined]
    audit_record(
        actor=request.user,
        action="person.list",
        request=request,
        target_type="governance.matchreview",
        details={"status": status, "page": page.number, "rows": len(page.object_list)},
    )
    return render(
        request,
        "governance/reviews.html",
        {
            "page": page,
            "status": status,
            "statuses": ReviewStatus.choices,
            "qs": querystring_without_page(request),
        },
    )


@require_POST
@require_action(Action.DATA_STEWARD)
def review_decide_view(request: HttpRequest, review_pk: int) -> HttpResponse:
    review = access_object(request.user, MatchReview, pk=review_pk, request=request)
    try:
        review_decide(
            review=review,
            decision=request.POST.get("decision", ""),
            note=request.POST.get("note", ""),
            actor=request.user,
            request=request,
        )
    except ValidationError as exc:
        for m in exc.messages:
            messages.error(request, m)
    else:
        messages.success(
            request,
            _("已记录：%(decision)s。身份解析将在后台按此决定重新归并这两条记录。")
            % {"decision": review.get_status_display()},
        )
    return redirect(f"{_reviews_url()}?{request.POST.get('back', '')}")


def _reviews_url() -> str:
    from django.urls import reverse

    return reverse("governance:reviews")


@require_action(Action.DATA_STEWARD)
def runs(request: HttpRequest) -> HttpResponse:
    page = paginate(request, selectors.runs(), per_page=20)
    running = any(r.status == "running" for r in page.object_list)
    template = (
        "governance/_runs.html" if request.headers.get("HX-Request") else "governance/runs.html"
    )
    return render(request, template, {"page": page, "running": running})


@require_POST
@require_action(Action.DATA_STEWARD)
def run_start(request: HttpRequest) -> HttpResponse:
    from eduplus.governance.resolve_tasks import resolve_later

    full = request.POST.get("full") == "1"
    resolve_later(full=full, actor=request.user)
    audit_record(
        actor=request.user,
        action="governance.resolve_request",
        request=request,
        target_type="governance.resolutionrun",
        details={"full": full},
    )
    messages.success(
        request,
        _("已提交身份解析（%(mode)s），将在后台运行；本页会显示进度。")
        % {"mode": _("全量") if full else _("增量")},
    )
    return redirect("governance:runs")


urlpatterns: list[URLPattern] = [
    path("", home, name="home"),
    path("persons/", persons, name="persons"),
    path("persons/<int:person_pk>/", person_detail, name="person_detail"),
    path("persons/<int:person_pk>/reveal/", person_reveal, name="person_reveal"),
    path("conflicts/", conflicts, name="conflicts"),
    path("reviews/", reviews, name="reviews"),
    path("reviews/<int:review_pk>/decide/", review_decide_view, name="review_decide"),
    path("resolve/", runs, name="runs"),
    path("resolve/start/", run_start, name="run_start"),
]
