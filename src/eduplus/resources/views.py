"""Pages of the resources module (数字教育资源).

Everyone with ``resource.view``: search with facets, the catalog, a resource's page with
its preview, the download. Teachers and school administrators: upload, their own
resources, edits and resubmission. Reviewers: the school and county queues and review
pages, withdrawal. Every resource is fetched through ``access_object`` (404 for missing
and forbidden alike).
"""

from __future__ import annotations

import mimetypes
import re
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST

from eduplus.core.feedback import flash_errors
from eduplus.core.pagination import paginate
from eduplus.core.permissions import require_action, user_can
from eduplus.core.roles import Action
from eduplus.core.scoping import access_object
from eduplus.resources import selectors, services
from eduplus.resources.forms import (
    CommentForm,
    CommentModerationForm,
    ComplaintForm,
    ComplaintHandlingForm,
    CountyReviewForm,
    MetadataForm,
    RatingForm,
    SchoolReviewForm,
    UploadForm,
    WithdrawForm,
)
from eduplus.resources.models import (
    Comment,
    Complaint,
    Resource,
    ResourceStatus,
    ReviewCheck,
    Stage,
    Subject,
)
from eduplus.resources.uploads import human_size


def _form_errors(form: Any, exc: ValidationError) -> None:
    """Put a service's refusal on the form: per field where the field exists."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            target = name if name in form.fields else None
            for e in errors:
                form.add_error(target, e.messages[0] if hasattr(e, "messages") else str(e))
    else:
        for m in exc.messages:
            form.add_error(None, m)


def _resource(request: HttpRequest, resource_pk: int) -> Resource:
    return access_object(
        request.user, selectors.resource_detail_queryset(), pk=resource_pk, request=request
    )


# ------------------------------------------------------------------------- search


@require_action(Action.RESOURCE_VIEW)
def search_page(request: HttpRequest) -> HttpResponse:
    filters = selectors.SearchFilters.from_params(request.GET)
    want_facets = request.GET.get("facets") == "1"
    if want_facets and request.headers.get("HX-Request"):
        context = {**_facets_context(request, filters), "oob_total": True}
        return render(request, "resources/_facets.html", context)
    try:
        number = int(request.GET.get("page", "1"))
    except ValueError:
        number = 1
    page = selectors.search_resources(request.user, filters, page=number)
    # Facet counts cost time in proportion to the matches: with few they come with the
    # results; with many (a capped total) the page shows the results first and loads the
    # counts after (htmx), unless they are cached.
    inline = want_facets or not page.total_capped or selectors.facets_cached(filters)
    context = {
        "filters": filters,
        "page": page,
        "crumbs": selectors.node_path(filters.node),
        "clear_url": "?"
        + urlencode(filters.params(**dict.fromkeys(selectors.FACETS, ""), node="", topic="")),
        "page_qs": urlencode(filters.params()),
        "facets_url": "?" + urlencode({**filters.params(), "facets": "1"}),
        "facets_inline": inline,
        "can_upload": user_can(request.user, Action.RESOURCE_UPLOAD),
    }
    if not filters.q and not filters.is_filtered and page.page == 1:
        # 为你推荐: on the landing page only (no query, no filter).
        context["recommended"] = selectors.recommended_for(request.user, 6)
    if page.total == 0 and filters.q:
        context["suggestions"] = selectors.query_suggestions(request.user, exclude=filters.q)
    if inline:
        context.update(_facets_context(request, filters))
    return render(request, "resources/search.html", context)


def _facets_context(request: HttpRequest, filters: selectors.SearchFilters) -> dict[str, Any]:
    facets = selectors.search_facets(request.user, filters)
    return {
        "filters": filters,
        "facets": _facet_links(filters, facets),
        "facet_total": facets.total,
        "topics": selectors.topic_counts(request.user),
    }


_FACET_TITLES = {
    "stage": gettext_lazy("学段"),
    "subject": gettext_lazy("学科"),
    "edition": gettext_lazy("教材版本"),
    "grade": gettext_lazy("年级"),
    "type": gettext_lazy("资源类型"),
}


def _facet_links(filters: selectors.SearchFilters, facets: selectors.Facets) -> list[Any]:
    groups = []
    for name, values in facets.groups.items():
        current = str(getattr(filters, name) or "")
        items = [
            {
                "label": v.label,
                "count": v.count,
                "active": v.value == current,
                "url": "?"
                + urlencode(filters.params(**{name: "" if v.value == current else v.value})),
            }
            for v in values
        ]
        if items:
            groups.append({"name": name, "title": _FACET_TITLES[name], "items": items})
    return groups


@require_action(Action.RESOURCE_VIEW)
def catalog(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "resources/catalog.html",
        {
            "tree": selectors.catalog_tree(request.user),
            "topics": selectors.topic_counts(request.user),
        },
    )


# ------------------------------------------------------------------------- detail


def _detail_context(request: HttpRequest, resource: Resource, **extra: Any) -> dict[str, Any]:
    user = request.user
    editable = services.may_edit(user, resource)
    context: dict[str, Any] = {
        "resource": resource,
        "path": selectors.node_path(resource.node),
        "history": selectors.resource_history(user, resource),
        "size_label": human_size(resource.size),
        "may_edit": editable,
        "may_resubmit": resource.author_id == user.pk
        and resource.status in (ResourceStatus.RETURNED, ResourceStatus.WITHDRAWN),
        "reviews_school": services.reviews_at_school(user, resource)
        and resource.status == ResourceStatus.SUBMITTED,
        "reviews_county": services.reviews_at_county(user, resource)
        and resource.status == ResourceStatus.SCHOOL_APPROVED,
        "may_withdraw": services.may_withdraw(user, resource) and resource.is_published,
        "withdraw_form": WithdrawForm(),
        "may_rate": services.may_rate(user, resource),
        "is_author": resource.author_id == user.pk,
        "moderates": services.moderates(user, resource),
        "comments": list(selectors.resource_comments(user, resource)[:COMMENTS_SHOWN]),
    }
    if context["may_rate"]:
        mine = selectors.user_rating(user, resource)
        context["my_rating"] = mine
        context.setdefault(
            "rating_form", RatingForm(initial={"score": mine.score if mine else None})
        )
        context.setdefault("comment_form", CommentForm())
        context.setdefault("complaint_form", ComplaintForm())
    if editable and "edit_form" not in extra:
        context["edit_form"] = MetadataForm(initial=_initial(resource))
    context.update(extra)
    return context


def _initial(resource: Resource) -> dict[str, Any]:
    return {
        "title": resource.title,
        "resource_type": resource.resource_type,
        "node": resource.node_id,
        "topics": list(resource.topics.all()),
        "description": resource.description,
        "licence": resource.licence,
        "duration": resource.duration_label,
    }


COMMENTS_SHOWN = 50


@require_action(Action.RESOURCE_VIEW)
def detail(request: HttpRequest, resource_pk: int) -> HttpResponse:
    resource = _resource(request, resource_pk)
    if resource.is_published:
        services.resource_view_record(actor=request.user, resource=resource)
        resource.view_count += 1  # the page shows this view too
    return render(request, "resources/detail.html", _detail_context(request, resource))


@require_POST
@require_action(Action.RESOURCE_UPLOAD)
def edit(request: HttpRequest, resource_pk: int) -> HttpResponse:
    resource = _resource(request, resource_pk)
    if not services.may_edit(request.user, resource):
        messages.error(request, _("你不能修改该资源的信息"))
        return redirect("resources:detail", resource_pk=resource.pk)
    form = MetadataForm(request.POST)
    if form.is_valid():
        try:
            services.resource_update(
                actor=request.user, resource=resource, meta=form.metadata(), request=request
            )
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("资源信息已保存"))
            return redirect("resources:detail", resource_pk=resource.pk)
    return render(
        request, "resources/detail.html", _detail_context(request, resource, edit_form=form)
    )


@require_POST
@require_action(Action.RESOURCE_UPLOAD)
def resubmit(request: HttpRequest, resource_pk: int) -> HttpResponse:
    resource = _resource(request, resource_pk)
    try:
        services.resource_resubmit(actor=request.user, resource=resource, request=request)
    except ValidationError as exc:
        flash_errors(request, exc)
    else:
        messages.success(request, _("已重新提交，等待学校审核"))
    return redirect("resources:detail", resource_pk=resource.pk)


# ----------------------------------------------------------------- files, downloads

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def _file_response(request: HttpRequest, resource: Resource, *, attachment: bool) -> Any:
    try:
        handle = resource.file.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404("file missing") from None
    content_type = resource.mime_type or mimetypes.guess_type(resource.file.name or "")[0]
    size = resource.size
    match = _RANGE.match(request.headers.get("Range", "")) if not attachment else None
    if match and (match.group(1) or match.group(2)):
        # Byte ranges, so that a video can be sought without downloading it whole.
        start_s, end_s = match.groups()
        if start_s:
            start, end = int(start_s), int(end_s) if end_s else size - 1
        else:
            start, end = max(0, size - int(end_s)), size - 1
        end = min(end, size - 1)
        if start > end:
            handle.close()
            refused = HttpResponse(status=416)
            refused["Content-Range"] = f"bytes */{size}"
            return refused
        handle.seek(start)
        length = end - start + 1

        def chunks() -> Any:
            remaining = length
            try:
                while remaining > 0:
                    data = handle.read(min(65536, remaining))
                    if not data:
                        break
                    remaining -= len(data)
                    yield data
            finally:
                handle.close()

        partial = StreamingHttpResponse(chunks(), status=206, content_type=content_type)
        partial["Content-Range"] = f"bytes {start}-{end}/{size}"
        partial["Content-Length"] = str(length)
        partial["Accept-Ranges"] = "bytes"
        return partial
    response = FileResponse(handle, content_type=content_type)
    response["Content-Length"] = str(size)
    response["Accept-Ranges"] = "bytes"
    name = resource.original_name or f"{resource.title}.{resource.file_format}"
    response["Content-Disposition"] = content_disposition_header(attachment, name) or ""
    return response


@xframe_options_sameorigin
@require_action(Action.RESOURCE_VIEW)
def file(request: HttpRequest, resource_pk: int) -> Any:
    """The file shown in the page (PDF, image, video); other formats are downloaded."""
    resource = _resource(request, resource_pk)
    inline = bool(resource.preview_kind)
    response = _file_response(request, resource, attachment=not inline)
    # Framed by our own page only; uploaded content never runs scripts of its own.
    policy = (
        "frame-ancestors 'self'"
        if resource.preview_kind == "pdf"
        else ("default-src 'none'; frame-ancestors 'self'; sandbox")
    )
    response["Content-Security-Policy"] = policy
    return response


@require_action(Action.RESOURCE_VIEW)
def download(request: HttpRequest, resource_pk: int) -> Any:
    """Download the file; every download is counted and audited."""
    resource = _resource(request, resource_pk)
    services.resource_download_record(actor=request.user, resource=resource, request=request)
    response = _file_response(request, resource, attachment=True)
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


# ------------------------------------------------------------------------- upload


@require_action(Action.RESOURCE_UPLOAD)
def upload(request: HttpRequest) -> HttpResponse:
    schools = services.uploader_schools(request.user)
    if request.method == "POST":
        form = UploadForm(request.POST, request.FILES, schools=schools)
        if form.is_valid():
            school_pk = form.cleaned_data.get("school")
            school = next((s for s in schools if s.pk == school_pk), None)
            try:
                resource = services.resource_upload(
                    actor=request.user,
                    upload=form.cleaned_data["file"],
                    meta=form.metadata(),
                    school=school,
                    request=request,
                )
            except ValidationError as exc:
                _form_errors(form, exc)
            else:
                messages.success(request, _("上传成功，已提交学校审核"))
                return redirect("resources:detail", resource_pk=resource.pk)
    else:
        form = UploadForm(schools=schools)
    return render(
        request,
        "resources/upload.html",
        {"form": form, "schools": schools, "catalog": selectors.attachable_nodes()},
    )


@require_action(Action.RESOURCE_UPLOAD)
def mine(request: HttpRequest) -> HttpResponse:
    page = paginate(request, selectors.my_resources(request.user))
    return render(request, "resources/mine.html", {"page": page})


# ------------------------------------------------------------------------- review


@require_action(Action.RESOURCE_REVIEW_SCHOOL)
def queue_school(request: HttpRequest) -> HttpResponse:
    page = paginate(request, selectors.school_queue(request.user))
    return render(
        request,
        "resources/queue.html",
        {
            "page": page,
            "level": "school",
            "title": _("学校审核"),
            "review_url": "resources:review_school",
        },
    )


@require_action(Action.RESOURCE_REVIEW_COUNTY)
def queue_county(request: HttpRequest) -> HttpResponse:
    page = paginate(request, selectors.county_queue(request.user))
    return render(
        request,
        "resources/queue.html",
        {
            "page": page,
            "level": "county",
            "title": _("县级审核"),
            "review_url": "resources:review_county",
        },
    )


@require_action(Action.RESOURCE_REVIEW_SCHOOL)
def review_school(request: HttpRequest, resource_pk: int) -> HttpResponse:
    resource = _resource(request, resource_pk)
    open_ = services.reviews_at_school(request.user, resource) and (
        resource.status == ResourceStatus.SUBMITTED
    )
    form = SchoolReviewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.resource_school_review(
                actor=request.user,
                resource=resource,
                approve=form.cleaned_data["decision"] == "approve",
                reason=form.cleaned_data.get("reason", ""),
                request=request,
            )
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("学校审核已完成"))
            return redirect("resources:queue_school")
    return render(
        request,
        "resources/review.html",
        {**_detail_context(request, resource), "form": form, "open": open_, "level": "school"},
    )


@require_action(Action.RESOURCE_REVIEW_COUNTY)
def review_county(request: HttpRequest, resource_pk: int) -> HttpResponse:
    resource = _resource(request, resource_pk)
    open_ = services.reviews_at_county(request.user, resource) and (
        resource.status == ResourceStatus.SCHOOL_APPROVED
    )
    form = CountyReviewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        checks = {
            c.value: services.CheckResult(
                passed=data[c.value] == "pass", reason=data.get(f"{c.value}_reason", "")
            )
            for c in ReviewCheck
        }
        try:
            done = services.resource_county_review(
                actor=request.user,
                resource=resource,
                checks=checks,
                quality=data["quality"],
                comment=data.get("comment", ""),
                request=request,
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for name, errors in exc.error_dict.items():
                    field = f"{name}_reason" if name in ReviewCheck.values else name
                    for e in errors:
                        form.add_error(field if field in form.fields else None, e.messages[0])
            else:
                _form_errors(form, exc)
        else:
            if done.is_published:
                messages.success(request, _("审核通过，资源已发布"))
            else:
                messages.success(request, _("已退回作者修改"))
            return redirect("resources:queue_county")
    return render(
        request,
        "resources/review.html",
        {**_detail_context(request, resource), "form": form, "open": open_, "level": "county"},
    )


@require_POST
@require_action(Action.RESOURCE_WITHDRAW)
def withdraw(request: HttpRequest, resource_pk: int) -> HttpResponse:
    resource = _resource(request, resource_pk)
    form = WithdrawForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(_("下架时请填写原因"))
        services.resource_withdraw(
            actor=request.user,
            resource=resource,
            reason=form.cleaned_data["reason"],
            request=request,
        )
    except ValidationError as exc:
        flash_errors(request, exc)
    else:
        messages.success(request, _("资源已下架"))
    return redirect("resources:detail", resource_pk=resource.pk)


# ------------------------------------------------------------- engagement (互动)


def _engage(
    request: HttpRequest,
    resource: Resource,
    call: Callable[[], object],
    *,
    success: str,
    anchor: str,
) -> HttpResponse:
    """Run one engagement service; flash its error or ``success``; back to the section."""
    from django.urls import reverse

    try:
        call()
    except ValidationError as exc:
        flash_errors(request, exc)
    else:
        messages.success(request, success)
    return redirect(reverse("resources:detail", args=[resource.pk]) + f"#{anchor}")


@require_POST
@require_action(Action.RESOURCE_RATE)
def rate(request: HttpRequest, resource_pk: int) -> HttpResponse:
    resource = _resource(request, resource_pk)
    return _engage(
        request,
        resource,
        lambda: services.resource_rate(
            actor=request.user,
            resource=resource,
            score=request.POST.get("score", ""),
            request=request,
        ),
        success=_("感谢评分"),
        anchor="rating",
    )


@require_POST
@require_action(Action.RESOURCE_RATE)
def comment(request: HttpRequest, resource_pk: int) -> HttpResponse:
    resource = _resource(request, resource_pk)
    return _engage(
        request,
        resource,
        lambda: services.resource_comment(
            actor=request.user,
            resource=resource,
            body=request.POST.get("body", ""),
            request=request,
        ),
        success=_("评论已提交，审核通过后向其他用户显示"),
        anchor="comments",
    )


@require_POST
@require_action(Action.RESOURCE_RATE)
def complain(request: HttpRequest, resource_pk: int) -> HttpResponse:
    resource = _resource(request, resource_pk)
    return _engage(
        request,
        resource,
        lambda: services.resource_complain(
            actor=request.user,
            resource=resource,
            category=request.POST.get("category", ""),
            text=request.POST.get("text", ""),
            request=request,
        ),
        success=_("举报已提交，审核人员会尽快处理"),
        anchor="complaint",
    )


@require_action(Action.RESOURCE_MODERATE)
def moderation(request: HttpRequest) -> HttpResponse:
    """评论审核与举报处理: pending comments and open complaints in the user's scope."""
    comments = paginate(request, selectors.moderation_comments(request.user))
    complaints = list(selectors.moderation_complaints(request.user)[:100])
    return render(
        request,
        "resources/moderation.html",
        {
            "page": comments,
            "complaints": complaints,
            "comment_form": CommentModerationForm(),
            "complaint_form": ComplaintHandlingForm(),
        },
    )


@require_POST
@require_action(Action.RESOURCE_MODERATE)
def comment_moderate(request: HttpRequest, comment_pk: int) -> HttpResponse:
    target = access_object(
        request.user, Comment.objects.select_related("resource"), pk=comment_pk, request=request
    )
    form = CommentModerationForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(_("请选择审核结论"))
        services.comment_moderate(
            actor=request.user,
            comment=target,
            approve=form.cleaned_data["decision"] == "approve",
            reason=form.cleaned_data.get("reason", ""),
            request=request,
        )
    except ValidationError as exc:
        flash_errors(request, exc)
    else:
        messages.success(request, _("评论审核已完成"))
    return redirect("resources:moderation")


@require_POST
@require_action(Action.RESOURCE_MODERATE)
def complaint_handle(request: HttpRequest, complaint_pk: int) -> HttpResponse:
    target = access_object(
        request.user, Complaint.objects.select_related("resource"), pk=complaint_pk, request=request
    )
    form = ComplaintHandlingForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(_("请选择处理结论"))
        services.complaint_handle(
            actor=request.user,
            complaint=target,
            uphold=form.cleaned_data["decision"] == "uphold",
            resolution=form.cleaned_data.get("resolution", ""),
            request=request,
        )
    except ValidationError as exc:
        flash_errors(request, exc)
    else:
        messages.success(request, _("举报已处理"))
    return redirect("resources:moderation")


# ------------------------------------------------------------- statistics, ranking


@require_action(Action.RESOURCE_MODERATE)
def stats(request: HttpRequest) -> HttpResponse:
    """使用统计 by region and school, scoped; drill down by clicking a row."""
    table = selectors.usage_stats(request.user, request.GET.get("region", ""))
    return render(request, "resources/stats.html", {"table": table})


@require_action(Action.RESOURCE_MODERATE)
def stats_csv(request: HttpRequest) -> HttpResponse:
    import csv

    table = selectors.usage_stats(request.user, request.GET.get("region", ""))
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, "resource-usage.csv") or ""
    response.write("\ufeff")  # Excel opens UTF-8 Chinese with the BOM
    writer = csv.writer(response)
    writer.writerow(
        [
            _("代码") if table.level == "region" else _("学校编号"),
            _("地区") if table.level == "region" else _("学校"),
            _("已发布资源"),
            _("浏览"),
            _("下载"),
            _("评分人数"),
            _("平均评分"),
            _("评论"),
        ]
    )
    for r in [*table.rows, table.total]:
        writer.writerow(
            [
                r.key,
                r.name or _("合计"),
                r.resources,
                r.views,
                r.downloads,
                r.ratings,
                "" if r.rating_average is None else f"{r.rating_average:.1f}",
                r.comments,
            ]
        )
    return response


@require_action(Action.RESOURCE_VIEW)
def ranking(request: HttpRequest) -> HttpResponse:
    """优质资源排行榜, filterable by stage, subject and period."""
    stage = request.GET.get("stage", "")
    subject = request.GET.get("subject", "")
    period = request.GET.get("period", "all")
    if period not in selectors.PERIODS:
        period = "all"
    items = selectors.ranking(request.user, stage=stage, subject=subject, period=period)
    return render(
        request,
        "resources/ranking.html",
        {
            "items": items,
            "stage": stage if stage in Stage.values else "",
            "subject": subject if subject in Subject.values else "",
            "period": period,
            "stages": Stage.choices,
            "subjects": Subject.choices,
            "periods": [
                ("7", _("近7天")),
                ("30", _("近30天")),
                ("365", _("近一年")),
                ("all", _("全部")),
            ],
        },
    )
