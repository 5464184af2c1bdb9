"""Pages of the aggregation module and the published feed (thin: parse, call, render).

The feed (``/aggregation/feed/v1/…``) answers subscribers' bearer tokens
(``Authorization: Bearer epf_…``); a logged-in holder of ``resource.harvest`` may also
open it in the browser to see what is published. Anonymous callers get 401.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from eduplus.aggregation import feed, selectors, services
from eduplus.aggregation.forms import SourceForm, TokenForm
from eduplus.aggregation.models import FeedToken, HarvestRun, HarvestSource, RunState
from eduplus.core.pagination import paginate
from eduplus.core.permissions import deny, require_action, user_can
from eduplus.core.roles import Action
from eduplus.core.scoping import access_object

JSON_PARAMS = {"ensure_ascii": False}


# ------------------------------------------------------------------------- feed


def _json_error(status: int, message: str) -> JsonResponse:
    response = JsonResponse({"error": message}, status=status, json_dumps_params=JSON_PARAMS)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="eduplus-feed"'
    response["Cache-Control"] = "no-store"
    return response


def feed_auth(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """A subscriber's bearer token, or a logged-in holder of resource.harvest."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        header = request.headers.get("Authorization", "").strip()
        token: FeedToken | None = None
        if header:
            scheme, _sep, value = header.partition(" ")
            if scheme.lower() != "bearer" or not value.strip():
                return _json_error(401, _("令牌格式错误：请使用 Authorization: Bearer <令牌>"))
            try:
                token = services.feed_token_authenticate(value.strip(), request=request)
            except services.FeedTokenError as exc:
                return _json_error(401, exc.message)
        elif request.user.is_authenticated:
            if not user_can(request.user, Action.RESOURCE_HARVEST):
                raise deny(request, Action.RESOURCE_HARVEST)
        else:
            return _json_error(
                401, _("缺少访问令牌：请在请求头中加入 Authorization: Bearer <令牌>")
            )
        request.feed_token = token  # type: ignore[attr-defined]
        return view(request, *args, **kwargs)

    wrapper.required_action = Action.RESOURCE_HARVEST  # type: ignore[attr-defined]
    return wrapper


@require_GET
@feed_auth
def feed_resources(request: HttpRequest) -> HttpResponse:
    """``GET /aggregation/feed/v1/resources?since=<cursor>&limit=<1..500>``."""
    since = request.GET.get("since", "").strip()
    try:
        limit = int(request.GET.get("limit", feed.DEFAULT_LIMIT))
    except ValueError:
        return _json_error(400, _("limit 应为 1 到 %(n)d 的整数") % {"n": feed.MAX_LIMIT})
    if not 1 <= limit <= feed.MAX_LIMIT:
        return _json_error(400, _("limit 应为 1 到 %(n)d 的整数") % {"n": feed.MAX_LIMIT})
    instance = services.instance_id()
    try:
        page = feed.feed_page(
            since=since,
            limit=limit,
            instance=instance,
            file_url=lambda pk: request.build_absolute_uri(
                reverse("aggregation:feed_file", args=[pk])
            ),
            detail_url=lambda pk: request.build_absolute_uri(
                reverse("resources:detail", args=[pk])
            ),
        )
    except feed.CursorError:
        return _json_error(400, _("since 不是有效的同步位置，请使用上一页返回的 next"))
    token: FeedToken | None = request.feed_token  # type: ignore[attr-defined]
    services.feed_read_record(
        token=token,
        actor=request.user if token is None else None,
        endpoint="resources",
        rows=len(page.entries),
        request=request,
        since=since[:80],
    )
    body = {
        "version": feed.FEED_VERSION,
        "instance": instance,
        "generated_at": timezone.now().isoformat(),
        "count": len(page.entries),
        "entries": page.entries,
        "next": page.next,
        "has_more": page.has_more,
    }
    response = JsonResponse(body, json_dumps_params=JSON_PARAMS)
    response["Cache-Control"] = "no-store"
    return response


@require_GET
@feed_auth
def feed_file(request: HttpRequest, entry_pk: int) -> HttpResponseBase:
    """The file of a published resource, for subscribers (same token as the feed)."""
    resource = feed.served_file(entry_pk)
    if resource is None:
        return _json_error(404, _("没有这个已发布的资源"))
    try:
        handle = resource.file.open("rb")
    except (FileNotFoundError, OSError):
        return _json_error(404, _("文件缺失"))
    token: FeedToken | None = request.feed_token  # type: ignore[attr-defined]
    services.feed_read_record(
        token=token,
        actor=request.user if token is None else None,
        endpoint="file",
        rows=1,
        request=request,
        resource=resource.pk,
    )
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=resource.original_name or f"{resource.pk}.{resource.file_format}",
        content_type=resource.mime_type,
    )
    response["Content-Length"] = str(resource.size)
    response["X-Content-SHA256"] = resource.sha256
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "no-store"
    return response


# ------------------------------------------------------------------------ pages


def _feed_url(request: HttpRequest) -> str:
    return request.build_absolute_uri(reverse("aggregation:feed_resources"))


@require_action(Action.RESOURCE_HARVEST)
def home(request: HttpRequest) -> HttpResponse:
    """Harvest sources, the latest runs, and what this installation publishes."""
    return render(
        request,
        "aggregation/home.html",
        {
            "sources": list(selectors.sources_for(request.user)[:200]),
            "runs": list(selectors.runs_for(request.user)[:10]),
            "instance": services.instance_id(),
            "feed_url": _feed_url(request),
            "tokens_active": selectors.tokens_for(request.user)
            .filter(revoked_at__isnull=True)
            .count(),
        },
    )


@require_action(Action.RESOURCE_HARVEST)
def source_new(request: HttpRequest) -> HttpResponse:
    form = SourceForm(request.POST or None, initial={"enabled": True})
    if request.method == "POST" and form.is_valid():
        try:
            source = services.harvest_source_create(
                actor=request.user, data=form.to_input(), request=request
            )
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("已添加汇聚来源“%(n)s”") % {"n": source.name})
            return redirect("aggregation:source", source_pk=source.pk)
    return render(
        request, "aggregation/source_form.html", {"form": form, "title": _("添加汇聚来源")}
    )


def _form_errors(form: Any, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _source(request: HttpRequest, source_pk: int) -> HarvestSource:
    return access_object(
        request.user,
        HarvestSource.objects.select_related("region", "school"),
        request=request,
        pk=source_pk,
    )


@require_action(Action.RESOURCE_HARVEST)
def source_detail(request: HttpRequest, source_pk: int) -> HttpResponse:
    source = _source(request, source_pk)
    runs = selectors.runs_for(request.user).filter(source=source)
    return render(
        request,
        "aggregation/source_detail.html",
        {
            "source": source,
            "runs": list(runs[:20]),
            "busy": runs.filter(state__in=[RunState.QUEUED, RunState.RUNNING]).exists(),
            "origins": list(selectors.origins_for(request.user, source)[:20]),
            "origin_count": selectors.origins_for(request.user, source).count(),
        },
    )


@require_action(Action.RESOURCE_HARVEST)
def source_edit(request: HttpRequest, source_pk: int) -> HttpResponse:
    source = _source(request, source_pk)
    initial = {
        "name": source.name,
        "base_url": source.base_url,
        "region_code": source.region_id,
        "school_code": source.school.code,
        "trusted": source.trusted,
        "enabled": source.enabled,
    }
    form = SourceForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.harvest_source_update(
                actor=request.user, source=source, data=form.to_input(), request=request
            )
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("已保存"))
            return redirect("aggregation:source", source_pk=source.pk)
    return render(
        request,
        "aggregation/source_form.html",
        {"form": form, "source": source, "title": _("修改汇聚来源")},
    )


@require_POST
@require_action(Action.RESOURCE_HARVEST)
def source_harvest(request: HttpRequest, source_pk: int) -> HttpResponse:
    """Queue a harvest (a background job) and show its run page."""
    source = _source(request, source_pk)
    try:
        run = services.harvest_start(actor=request.user, source=source, request=request)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
        return redirect("aggregation:source", source_pk=source.pk)
    services.harvest_enqueue(run)
    messages.success(request, _("已开始汇聚，进度见下方"))
    return redirect("aggregation:run", run_pk=run.pk)


@require_POST
@require_action(Action.RESOURCE_HARVEST)
def source_reset(request: HttpRequest, source_pk: int) -> HttpResponse:
    source = _source(request, source_pk)
    services.harvest_source_reset_cursor(actor=request.user, source=source, request=request)
    messages.success(request, _("已重置同步位置：下次汇聚从头读取订阅，已有资源不会重复导入"))
    return redirect("aggregation:source", source_pk=source.pk)


@require_action(Action.RESOURCE_HARVEST)
def runs(request: HttpRequest) -> HttpResponse:
    page = paginate(request, selectors.runs_for(request.user))
    return render(request, "aggregation/runs.html", {"page": page})


@require_action(Action.RESOURCE_HARVEST)
def run_detail(request: HttpRequest, run_pk: int) -> HttpResponse:
    run = access_object(
        request.user,
        HarvestRun.objects.select_related("source", "started_by"),
        request=request,
        pk=run_pk,
    )
    return render(request, "aggregation/run_detail.html", {"run": run})


@require_action(Action.RESOURCE_HARVEST)
def tokens(request: HttpRequest) -> HttpResponse:
    """Subscriber tokens: issue one (shown once), see their use, revoke."""
    form = TokenForm(request.POST or None)
    issued = ""
    if request.method == "POST" and form.is_valid():
        try:
            _token, issued = services.feed_token_issue(
                actor=request.user,
                subscriber=form.cleaned_data["subscriber"],
                note=form.cleaned_data.get("note") or "",
                request=request,
            )
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            form = TokenForm()
    response = render(
        request,
        "aggregation/tokens.html",
        {
            "form": form,
            "issued": issued,
            "tokens": list(selectors.tokens_for(request.user)[:200]),
            "feed_url": _feed_url(request),
        },
    )
    if issued:
        response["Cache-Control"] = "no-store"
    return response


@require_POST
@require_action(Action.RESOURCE_HARVEST)
def token_revoke(request: HttpRequest, token_pk: int) -> HttpResponse:
    token = access_object(request.user, FeedToken, request=request, pk=token_pk)
    services.feed_token_revoke(actor=request.user, token=token, request=request)
    messages.success(request, _("已撤销“%(n)s”的令牌") % {"n": token.subscriber})
    return redirect("aggregation:tokens")


@require_action(Action.RESOURCE_HARVEST)
def feed_docs(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "aggregation/feed_docs.html",
        {
            "feed_url": _feed_url(request),
            "instance": services.instance_id(),
            "max_limit": feed.MAX_LIMIT,
            "default_limit": feed.DEFAULT_LIMIT,
        },
    )
