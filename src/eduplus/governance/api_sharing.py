"""Sharing requests through the session API (``/api/data/shares``): an officer's
requests in scope with their status and tokens (never a raw token: only prefixes)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Query, Schema

from eduplus.core.api import paged, require
from eduplus.core.roles import Action
from eduplus.core.scoping import access_object
from eduplus.governance import sharing
from eduplus.governance.api import router
from eduplus.governance.models import ShareRequest, ShareToken


class ShareRequestOut(Schema):
    id: int
    organisation: str
    requester: str
    dataset: str
    fields: list[str]
    unmasked_fields: list[str]
    region_code: str
    region_name: str
    purpose: str
    starts_on: dt.date
    ends_on: dt.date
    status: str
    status_label: str
    approved_fields: list[str]
    approved_unmasked: list[str]
    review_note: str
    reviewed_at: dt.datetime | None
    created_at: dt.datetime

    @staticmethod
    def resolve_requester(obj: ShareRequest) -> str:
        return str(getattr(obj.requester, "display_name", "") or obj.requester)

    @staticmethod
    def resolve_region_code(obj: ShareRequest) -> str:
        return str(obj.region_id)

    @staticmethod
    def resolve_region_name(obj: ShareRequest) -> str:
        return obj.region.name

    @staticmethod
    def resolve_status_label(obj: ShareRequest) -> str:
        return str(obj.get_status_display())


class ShareRequestPage(Schema):
    count: int
    page: int
    size: int
    items: list[ShareRequestOut]


class ShareTokenOut(Schema):
    prefix: str
    state: str
    created_at: dt.datetime
    expires_at: dt.datetime
    revoked_at: dt.datetime | None
    last_used_at: dt.datetime | None
    use_count: int


def _token_out(token: ShareToken, share_request: ShareRequest) -> ShareTokenOut:
    return ShareTokenOut(
        prefix=token.prefix,
        state=sharing.token_state(token, share_request),
        created_at=token.created_at,
        expires_at=token.expires_at,
        revoked_at=token.revoked_at,
        last_used_at=token.last_used_at,
        use_count=token.use_count,
    )


class ShareRequestDetail(ShareRequestOut):
    tokens: list[ShareTokenOut]

    @staticmethod
    def resolve_tokens(obj: ShareRequest) -> list[ShareTokenOut]:
        return [_token_out(t, obj) for t in sharing.share_tokens(obj)]


class ShareQuery(Schema):
    status: str = ""
    mine: bool = False
    page: int = 1
    size: int = 50


@router.get("/shares", response=ShareRequestPage, summary="数据共享申请（管辖范围内）")
def share_request_list(request: HttpRequest, query: Query[ShareQuery]) -> dict[str, Any]:
    """Sharing requests of the caller's region and its sub-regions, newest first;
    ``mine=true`` for the caller's own only, ``status`` to filter."""
    require(request, Action.SHARE_REQUEST)
    qs = sharing.share_requests(request.user, status=query.status[:16], mine=query.mine)
    return paged(qs, query.page, query.size)


@router.get("/shares/{share_pk}", response=ShareRequestDetail, summary="一条共享申请及其令牌")
def share_request_detail(request: HttpRequest, share_pk: int) -> ShareRequest:
    """One request in the caller's scope, with its tokens (prefix, expiry, use)."""
    require(request, Action.SHARE_REQUEST)
    share_request = access_object(
        request.user,
        ShareRequest.objects.select_related("requester", "reviewer", "region"),
        pk=share_pk,
        request=request,
    )
    return share_request
