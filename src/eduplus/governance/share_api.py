"""The data-sharing API for token holders (数据共享接口), mounted at ``/api/share/``.

Callers are other systems, not logged-in users: each call carries the bearer token
issued when a sharing request was approved (``Authorization: Bearer eps_…``). A token
reads only the approved fields of golden persons within the request's region, sensitive
fields masked unless approved unmasked, within the request's period. Every call,
allowed or refused, is audited (``share.access``); an allowed one also counts on the
token (``use_count``, ``last_used_at``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from ninja.errors import HttpError
from ninja.security import HttpBearer

from eduplus.core.api import page_params
from eduplus.governance.models import ShareToken
from eduplus.governance.sharing import (
    ShareTokenError,
    share_grant,
    share_record_row,
    share_records,
    share_token_authenticate,
    share_token_record_use,
)


class ShareTokenAuth(HttpBearer):
    """Bearer token of an approved sharing request; refusals answer 401 with the reason."""

    def __call__(self, request: HttpRequest) -> ShareToken | None:
        header = request.headers.get(self.header, "")
        if not header.strip():
            raise HttpError(401, _("缺少访问令牌：请在请求头中加入 Authorization: Bearer <令牌>"))
        scheme, _sep, value = header.strip().partition(" ")
        if scheme.lower() != self.openapi_scheme or not value.strip():
            raise HttpError(401, _("令牌格式错误：请使用 Authorization: Bearer <令牌>"))
        return self.authenticate(request, value.strip())

    def authenticate(self, request: HttpRequest, token: str) -> ShareToken | None:
        try:
            return share_token_authenticate(token, request=request)
        except ShareTokenError as exc:
            raise HttpError(401, exc.message) from exc


share_token_auth = ShareTokenAuth()

router = Router(tags=["data-sharing"], auth=share_token_auth)


class GrantField(Schema):
    name: str
    label: str
    classification: str
    masked: bool


class GrantOut(Schema):
    request_id: int
    organisation: str
    dataset: str
    dataset_name: str
    person_type: str
    fields: list[GrantField]
    unmasked_fields: list[str]
    region_code: str
    region_name: str
    starts_on: dt.date
    ends_on: dt.date
    expires_at: dt.datetime
    token_prefix: str


class RecordsQuery(Schema):
    page: int = 1
    size: int = 50


class RecordsPage(Schema):
    count: int
    page: int
    size: int
    fields: list[str]
    items: list[dict[str, Any]]


def _token(request: HttpRequest) -> ShareToken:
    token = getattr(request, "auth", None)
    if not isinstance(token, ShareToken):  # pragma: no cover - the auth guarantees it
        raise HttpError(401, _("令牌无效，请检查令牌是否完整"))
    return token


@router.get(
    "/v1/grant",
    response=GrantOut,
    url_name="share_grant",
    summary="令牌的授权范围（数据集、字段、区域、期限）",
)
def grant(request: HttpRequest, response: HttpResponse) -> dict[str, Any]:
    """What the caller's token allows: the dataset, the approved fields (which of them
    masked), the region and the period."""
    response["Cache-Control"] = "no-store"
    token = _token(request)
    share_token_record_use(token=token, endpoint="grant", rows=0, request=request)
    return share_grant(token)


@router.get(
    "/v1/records",
    response=RecordsPage,
    url_name="share_records",
    summary="按授权读取主数据记录（分页）",
)
def records(
    request: HttpRequest, response: HttpResponse, query: Query[RecordsQuery]
) -> dict[str, Any]:
    """Golden persons of the dataset within the approved region, one page at a time
    (``size`` at most 200), with only the approved fields. Masked forms: names 张*,
    ID numbers 410102********123X, phones 138****5678, birth dates the year only,
    addresses the first 6 characters and …, other sensitive values ***."""
    response["Cache-Control"] = "no-store"
    token = _token(request)
    share_request = token.request
    qs = share_records(token)
    offset, size = page_params(query.page, query.size)
    fields = list(share_request.approved_fields)
    unmasked = list(share_request.approved_unmasked)
    items = [share_record_row(g, fields, unmasked) for g in qs[offset : offset + size]]
    page = max(1, query.page)
    share_token_record_use(
        token=token, endpoint="records", rows=len(items), page=page, request=request
    )
    return {"count": qs.count(), "page": page, "size": size, "fields": fields, "items": items}
