"""The LRS statements resource, xAPI style: ``/spaces/xapi/statements``.

* ``POST`` one statement or an array → the ids (200);
* ``PUT ?statementId=…`` one statement → 204 (the same content again: 204; other: 409);
* ``GET ?statementId=…`` / ``?voidedStatementId=…`` → one statement; otherwise filters
  ``agent verb activity since until limit ascending`` → ``{"statements": [...], "more"}``.

Callers: an LRS client (HTTP Basic with its key and secret) reads and writes the
statements of its region, and every read is audited; a signed-in user (the session, with
CSRF on writes) reads and writes only their own. Clients must send
``X-Experience-API-Version: 1.0.x``; the platform's own pages (session) may omit it.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from eduplus.core.audit import audit_record
from eduplus.core.permissions import deny, user_can
from eduplus.core.roles import Action
from eduplus.spaces import selectors as sel
from eduplus.spaces import services, xapi
from eduplus.spaces.models import LrsClient, Statement

MAX_BODY = 2 * 1024 * 1024
GET_PARAMS = frozenset(
    {"statementId", "voidedStatementId", "agent", "verb", "activity", "since", "until", "limit",
     "ascending", "offset", "format", "attachments", "related_activities", "related_agents",
     "registration"}
)  # fmt: skip


def _error(status: int, field: str, message: str) -> JsonResponse:
    response = JsonResponse(
        {"error": message, "field": field}, status=status, json_dumps_params={"ensure_ascii": False}
    )
    response["X-Experience-API-Version"] = xapi.XAPI_VERSION
    return response


def _json(data: Any, status: int = 200) -> JsonResponse:
    response = JsonResponse(
        data, status=status, safe=False, json_dumps_params={"ensure_ascii": False}
    )
    response["X-Experience-API-Version"] = xapi.XAPI_VERSION
    return response


def _basic_client(request: HttpRequest) -> tuple[LrsClient | None, bool]:
    """(client, whether Basic credentials were sent at all)."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if not header.lower().startswith("basic "):
        return None, False
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None, True
    key, _sep, secret = decoded.partition(":")
    return services.lrs_client_authenticate(key, secret), True


def _unauthorized() -> HttpResponse:
    response = _error(401, "Authorization", _("需要 LRS 客户端凭据（HTTP Basic）或登录"))
    response["WWW-Authenticate"] = 'Basic realm="EduPlus LRS"'
    return response


def _ok(request: HttpRequest) -> HttpResponse:
    return HttpResponse()


@csrf_exempt
def statements(request: HttpRequest) -> HttpResponse:
    client, sent_basic = _basic_client(request)
    user = None
    if sent_basic and client is None:
        return _unauthorized()
    if client is None:
        if not request.user.is_authenticated:
            return _unauthorized()
        user = request.user
        if not user_can(user, Action.SPACE_USE):
            raise deny(request, Action.SPACE_USE)
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            # Session writes need the CSRF token like any form (the view is exempt only
            # for clients, which authenticate every request).
            refused = CsrfViewMiddleware(_ok).process_view(request, _ok, (), {})
            if refused is not None:
                return refused
    version = request.META.get("HTTP_X_EXPERIENCE_API_VERSION", "")
    if version or client is not None:
        if not version:
            return _error(400, "X-Experience-API-Version", _("缺少请求头，应为 1.0.x"))
        if not (version == "1.0" or version.startswith("1.0.")):
            return _error(
                400, "X-Experience-API-Version", _("只支持 1.0.x，收到 %(v)s") % {"v": version[:20]}
            )
    if request.method in ("GET", "HEAD"):
        return _get(request, client, user)
    if request.method in ("POST", "PUT"):
        return _write(request, client, user)
    response = _error(405, "method", _("只支持 GET、POST、PUT"))
    response["Allow"] = "GET, HEAD, POST, PUT"
    return response


statements.required_action = Action.SPACE_USE  # type: ignore[attr-defined]


def _write(request: HttpRequest, client: LrsClient | None, user: Any) -> HttpResponse:
    if len(request.body) > MAX_BODY:
        return _error(413, "body", _("请求体过大（上限 2 MB）"))
    content_type = request.META.get("CONTENT_TYPE", "").split(";")[0].strip()
    if content_type != "application/json":
        return _error(400, "Content-Type", _("应为 application/json"))
    try:
        payload = json.loads(request.body.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return _error(400, "body", _("不是有效的 JSON（UTF-8）"))
    statement_id = None
    if request.method == "PUT":
        statement_id = request.GET.get("statementId", "")
        if not statement_id:
            return _error(400, "statementId", _("PUT 须带 statementId 参数"))
    try:
        ids = services.statements_store(
            payload=payload, client=client, user=user, statement_id=statement_id, request=request
        )
    except xapi.XapiError as exc:
        return _error(exc.status, exc.field, exc.message)
    if request.method == "PUT":
        response = HttpResponse(status=204)
        response["X-Experience-API-Version"] = xapi.XAPI_VERSION
        return response
    return _json(ids)


def _get(request: HttpRequest, client: LrsClient | None, user: Any) -> HttpResponse:
    params: dict[str, str] = {k: str(v) for k, v in request.GET.items()}
    unknown = sorted(set(params) - GET_PARAMS)
    if unknown:
        if client is not None:  # xAPI: a client's unknown parameter is an error
            return _error(400, unknown[0], _("不支持的查询参数"))
        params = {k: v for k, v in params.items() if k in GET_PARAMS}
    reachable = (
        Statement.objects.visible_to(client) if client is not None
        else Statement.objects.filter(user_id=user.pk)
    )  # fmt: skip
    single = params.get("statementId") or params.get("voidedStatementId")
    if single:
        if set(params) - {"statementId", "voidedStatementId", "format", "attachments"}:
            return _error(400, "statementId", _("按标识查询时不能同时使用其他筛选条件"))
        voided = "voidedStatementId" in params
        try:
            found = reachable.filter(id=single, voided=voided).first()
        except (ValueError, Exception):  # a malformed UUID
            found = None
        _audit_read(request, client, params, 1 if found else 0)
        if found is None:
            return _error(404, "statementId", _("没有这条记录"))
        return _json(found.as_xapi())
    try:
        rows, more = sel.statements_query(reachable, params)
    except sel.QueryError as exc:
        return _error(400, exc.field, exc.message)
    _audit_read(request, client, params, len(rows))
    more_url = ""
    if more is not None:
        more_url = request.path + "?" + urlencode({**params, "offset": more})
    response = _json({"statements": [s.as_xapi() for s in rows], "more": more_url})
    if rows:
        response["X-Experience-API-Consistent-Through"] = xapi.statement_json(rows[0])["stored"]
    return response


def _audit_read(
    request: HttpRequest, client: LrsClient | None, params: dict[str, str], returned: int
) -> None:
    """Every read by a client is audited (a user reading their own record is not)."""
    if client is None:
        return
    audit_record(
        actor=None,
        username=client.get_username(),
        action="lrs.statements_read",
        target_type="spaces.lrsclient",
        target_id=str(client.pk),
        target_repr=client.name,
        request=request,
        details={"params": {k: v[:200] for k, v in params.items()}, "returned": returned},
    )
