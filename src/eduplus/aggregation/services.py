"""Writes of the aggregation module: the installation id, subscriber tokens, harvest
sources and starting harvests. The harvest itself is in ``harvest.py``."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import secrets
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from eduplus.aggregation.models import (
    FeedToken,
    HarvestRun,
    HarvestSource,
    Installation,
    RunState,
)
from eduplus.core.audit import audit_record
from eduplus.core.permissions import user_can
from eduplus.core.roles import Action
from eduplus.core.scoping import minimal_prefixes, scope_for
from eduplus.regions.models import Region
from eduplus.schools.models import School

if TYPE_CHECKING:
    from django.http import HttpRequest

TOKEN_SCHEME = "epf_"  # noqa: S105 - EduPlus feed token prefix, not a secret
PREFIX_LENGTH = 12
# A run queued or running for longer than this is taken as abandoned (a crashed worker).
STALE_RUN = dt.timedelta(hours=2)


# ------------------------------------------------------------------ installation


def instance_id() -> str:
    """This installation's stable identity in the feed (``origin.instance``).

    ``EDUPLUS_INSTANCE_ID`` (environment or settings) overrides the stored one, which is
    generated once and kept in the database.
    """
    override = getattr(settings, "EDUPLUS_INSTANCE_ID", "") or os.environ.get(
        "EDUPLUS_INSTANCE_ID", ""
    )
    if override.strip():
        return override.strip()[:64]
    row = Installation.objects.filter(pk=1).first()
    if row is not None:
        return row.instance_id
    try:
        with transaction.atomic():
            row = Installation.objects.create(pk=1, instance_id=f"eduplus-{uuid.uuid4()}")
    except IntegrityError:  # another process created it first
        row = Installation.objects.get(pk=1)
    return row.instance_id


# ------------------------------------------------------------------ feed tokens


class FeedTokenError(Exception):
    """A token that may not read the feed; the message is for the caller (Chinese)."""

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason


def token_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def _home_region(user: Any) -> str:
    codes = sorted(minimal_prefixes(scope_for(user).region_codes), key=lambda c: (len(c), c))
    if not codes:
        raise ValidationError(_("您没有区域范围，不能签发令牌或设置汇聚来源"))
    return codes[0]


def feed_token_issue(
    *, actor: Any, subscriber: str, note: str = "", request: HttpRequest | None = None
) -> tuple[FeedToken, str]:
    """Issue a token for a subscriber; the raw token is answered once and never stored."""
    if not user_can(actor, Action.RESOURCE_HARVEST):
        raise ValidationError(_("只有具备资源汇聚权限的人员可以签发令牌"))
    subscriber = " ".join(subscriber.split())
    if not subscriber:
        raise ValidationError({"subscriber": _("请填写订阅方名称")})
    raw = TOKEN_SCHEME + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = FeedToken(
            subscriber=subscriber[:100],
            note=note.strip()[:255],
            region_id=_home_region(actor),
            prefix=raw[:PREFIX_LENGTH],
            token_sha256=token_digest(raw),
            created_by=actor,
        )
        token.full_clean()
        token.save()
        audit_record(
            actor=actor,
            action="aggregation.token_issue",
            target_type="aggregation.feedtoken",
            target_id=str(token.pk),
            target_repr=token.subscriber,
            request=request,
            details={"token": token.prefix},
        )
    return token, raw


@transaction.atomic
def feed_token_revoke(
    *, actor: Any, token: FeedToken, request: HttpRequest | None = None
) -> FeedToken:
    token = FeedToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is not None:
        return token
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit_record(
        actor=actor,
        action="aggregation.token_revoke",
        target_type="aggregation.feedtoken",
        target_id=str(token.pk),
        target_repr=token.subscriber,
        request=request,
        details={"token": token.prefix},
    )
    return token


def feed_token_authenticate(raw: str, *, request: HttpRequest | None = None) -> FeedToken:
    """The token named by ``raw`` if it may read the feed, else FeedTokenError (audited)."""
    raw = (raw or "").strip()
    token = None
    if raw.startswith(TOKEN_SCHEME) and len(raw) <= 128:
        token = FeedToken.objects.filter(token_sha256=token_digest(raw)).first()
    if token is not None and token.revoked_at is None:
        return token
    if token is None:
        error = FeedTokenError(_("令牌无效，请检查令牌是否完整"), reason="unknown")
    else:
        error = FeedTokenError(_("令牌已被撤销，请向对方平台重新申请"), reason="revoked")
    audit_record(
        actor=None,
        action="aggregation.feed_read",
        result="denied",
        target_type="aggregation.feedtoken",
        target_id=str(token.pk) if token else "",
        request=request,
        details={"reason": error.reason, "token": raw[:PREFIX_LENGTH]},
        username=f"token:{token.prefix if token else '?'}",
    )
    raise error


def feed_read_record(
    *,
    token: FeedToken | None,
    actor: Any = None,
    endpoint: str,
    rows: int,
    request: HttpRequest | None = None,
    **details: Any,
) -> None:
    """One audit entry per page (or file) read; the token's use is counted."""
    if token is not None:
        FeedToken.objects.filter(pk=token.pk).update(
            use_count=F("use_count") + 1, last_used_at=timezone.now()
        )
    audit_record(
        actor=actor,
        action="aggregation.feed_read",
        target_type="aggregation.feedtoken" if token else "aggregation.feed",
        target_id=str(token.pk) if token else "",
        target_repr=token.subscriber if token else "",
        request=request,
        details={"endpoint": endpoint, "rows": rows, **details}
        | ({"token": token.prefix} if token else {}),
        username=f"token:{token.prefix}" if token else "",
    )


# --------------------------------------------------------------------- sources


@dataclass(frozen=True)
class SourceInput:
    name: str
    base_url: str
    region_code: str
    school_code: str
    trusted: bool = False
    enabled: bool = True
    token: str = ""  # empty when editing: keep the stored one


def _clean_source(actor: Any, data: SourceInput, *, editing: bool) -> dict[str, Any]:
    errors: dict[str, str] = {}
    name = " ".join(data.name.split())
    if not name:
        errors["name"] = _("请填写名称")
    url = data.base_url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        errors["base_url"] = _("订阅地址应以 http:// 或 https:// 开头")
    token = data.token.strip()
    if not token and not editing:
        errors["token"] = _("请填写对方平台签发的访问令牌")
    region = Region.objects.filter(code=data.region_code.strip()).first()
    scope = scope_for(actor)
    if region is None or not scope.covers_region(region.code, personal=True):
        errors["region_code"] = _("请填写您管辖范围内的区划代码")
    school = School.objects.filter(code=data.school_code.strip()).first()
    if school is None:
        errors["school_code"] = _("未找到该学校标识码")
    elif region is not None and not str(school.region_id).startswith(region.code):
        errors["school_code"] = _("承接学校应位于所属区域内")
    if region is not None and not data.trusted and len(region.code) < 4:
        errors["region_code"] = _(
            "未受信任来源的资源需县级审核，请选择市或县（区）级区域，或将来源设为受信任"
        )
    if errors:
        raise ValidationError(errors)
    cleaned: dict[str, Any] = {
        "name": name[:100],
        "base_url": url,
        "region": region,
        "school": school,
        "trusted": data.trusted,
        "enabled": data.enabled,
    }
    if token:
        cleaned["token"] = token[:200]
    return cleaned


def harvest_source_create(
    *, actor: Any, data: SourceInput, request: HttpRequest | None = None
) -> HarvestSource:
    cleaned = _clean_source(actor, data, editing=False)
    with transaction.atomic():
        source = HarvestSource(**cleaned)
        source.full_clean()
        source.save()
        _audit_source(actor, "aggregation.source_create", source, request)
    return source


def harvest_source_update(
    *, actor: Any, source: HarvestSource, data: SourceInput, request: HttpRequest | None = None
) -> HarvestSource:
    cleaned = _clean_source(actor, data, editing=True)
    with transaction.atomic():
        source = HarvestSource.objects.select_for_update().get(pk=source.pk)
        changed = [k for k, v in cleaned.items() if getattr(source, k) != v]
        for key, value in cleaned.items():
            setattr(source, key, value)
        source.full_clean()
        source.save()
        _audit_source(actor, "aggregation.source_update", source, request, changed=changed)
    return source


@transaction.atomic
def harvest_source_reset_cursor(
    *, actor: Any, source: HarvestSource, request: HttpRequest | None = None
) -> HarvestSource:
    """Start over from the beginning of the feed (existing resources are not duplicated)."""
    source = HarvestSource.objects.select_for_update().get(pk=source.pk)
    source.cursor = ""
    source.save(update_fields=["cursor", "updated_at"])
    _audit_source(actor, "aggregation.source_reset", source, request)
    return source


def _audit_source(
    actor: Any, action: str, source: HarvestSource, request: HttpRequest | None, **details: Any
) -> None:
    audit_record(
        actor=actor,
        action=action,
        target_type="aggregation.harvestsource",
        target_id=str(source.pk),
        target_repr=source.name,
        request=request,
        details={"base_url": source.base_url, "trusted": source.trusted, **details},
    )


# ------------------------------------------------------------------------ runs


def harvest_start(
    *,
    actor: Any,
    source: HarvestSource,
    trigger: str = "page",
    request: HttpRequest | None = None,
) -> HarvestRun:
    """Queue a harvest of the source (one at a time per source)."""
    with transaction.atomic():
        source = HarvestSource.objects.select_for_update().get(pk=source.pk)
        if not source.enabled:
            raise ValidationError(_("该来源已停用，请先启用"))
        busy = source.runs.filter(
            state__in=[RunState.QUEUED, RunState.RUNNING],
            queued_at__gte=timezone.now() - STALE_RUN,
        ).exists()
        if busy:
            raise ValidationError(_("该来源正在汇聚，请等待本次完成"))
        run = HarvestRun.objects.create(
            source=source,
            started_by=actor if getattr(actor, "is_authenticated", False) else None,
            trigger=trigger,
            cursor_before=source.cursor,
        )
        audit_record(
            actor=actor,
            action="aggregation.harvest_start",
            target_type="aggregation.harvestrun",
            target_id=str(run.pk),
            target_repr=source.name,
            request=request,
            details={"source": source.pk, "trigger": trigger},
        )
    return run


def harvest_enqueue(run: HarvestRun) -> None:
    """Run the harvest as a background job once the current transaction commits."""
    run_id = run.pk

    def enqueue() -> None:
        from eduplus.aggregation.tasks import harvest_task

        result = harvest_task.enqueue(run_id)
        HarvestRun.objects.filter(pk=run_id).update(task_id=str(result.id)[:64])

    transaction.on_commit(enqueue)
