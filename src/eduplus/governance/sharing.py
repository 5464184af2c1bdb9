"""Data sharing (数据共享): requests, their review, the scoped tokens approval issues,
and what a token may read.

A request names a dataset of :data:`eduplus.governance.shareable.SHAREABLE_DATASETS`,
some of its fields (and which maskable ones it wants unmasked), a region within the
requester's own scope, a purpose and a period. A steward (``Action.SHARE_REVIEW``) who
is not the requester approves it, possibly narrowing the fields, or rejects it.
Approval issues one bearer token: the raw value is returned once and only its SHA-256
is stored; it reads only the approved fields of golden persons within the request's
region, maskable fields masked unless approved unmasked, from the first day of the
period to the end of its last day. Revoking ends every token of the request at once.

Services (writes, each in one transaction and audited): ``share_request_create``,
``share_request_approve``, ``share_request_reject``, ``share_request_revoke``,
``share_token_authenticate``, ``share_token_record_use``. Selectors (reads):
``share_requests``, ``share_review_queue``, ``share_tokens``, ``share_access_log``,
``share_region_choices``, ``share_records``, ``share_record_row``, ``share_grant``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from eduplus.core.audit import audit_record
from eduplus.core.idnumber import mask, mask_phone
from eduplus.core.models import AuditEntry
from eduplus.core.permissions import user_can
from eduplus.core.roles import Action
from eduplus.core.scoping import minimal_prefixes, region_subtree_q, scope_for
from eduplus.governance.models import GoldenRecord, ShareRequest, ShareStatus, ShareToken
from eduplus.governance.shareable import SHAREABLE_DATASETS, DatasetDef
from eduplus.regions.models import Agency, Region

if TYPE_CHECKING:
    from django.http import HttpRequest

# Raw tokens look like ``eps_<43 url-safe characters>``; the first 12 characters are
# kept as the prefix that names the token in pages and the audit log.
TOKEN_SCHEME = "eps_"  # noqa: S105 - a public marker, not a secret
PREFIX_LENGTH = 12
MAX_PERIOD_DAYS = 366  # a request covers at most one year
MAX_LEAD_DAYS = 365  # and starts within a year
ORGANISATION_MAX = 128
PURPOSE_MIN = 10
PURPOSE_MAX = 2000
NOTE_MAX = 2000
MASKED = "***"
TARGET_TYPE = "governance.sharerequest"
# Audit actions of the sharing area, shown as a request's history and access log.
SHARE_ACTIONS = (
    "share.create",
    "share.approve",
    "share.reject",
    "share.revoke",
    "share.access",
)


class ShareTokenError(Exception):
    """A token that may not be used, with a message for the caller (Chinese)."""

    def __init__(self, message: str, *, reason: str, token: ShareToken | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason  # unknown / revoked / expired / not_started
        self.token = token


# ----------------------------------------------------------------------- helpers


def dataset_for(code: str) -> DatasetDef | None:
    return SHAREABLE_DATASETS.get(code)


def _in_dataset_order(dataset: DatasetDef, names: Iterable[str]) -> list[str]:
    wanted = set(names)
    return [f.name for f in dataset.fields if f.name in wanted]


def _clean_names(values: Iterable[Any] | None) -> list[str]:
    return [str(v).strip() for v in (values or []) if str(v).strip()]


def token_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def token_expiry(ends_on: dt.date) -> dt.datetime:
    """The end of the period's last day (local time): midnight after ``ends_on``."""
    return dt.datetime.combine(
        ends_on + dt.timedelta(days=1), dt.time.min, tzinfo=timezone.get_current_timezone()
    )


def _audit(
    *,
    actor: Any,
    action: str,
    share_request: ShareRequest,
    request: HttpRequest | None,
    details: dict[str, Any],
    result: str = "success",
    username: str = "",
) -> None:
    audit_record(
        actor=actor,
        action=action,
        result=result,
        target_type=TARGET_TYPE,
        target_id=str(share_request.pk),
        target_repr=f"#{share_request.pk} {share_request.organisation}"[:255],
        request=request,
        details=details,
        username=username,
    )


def _period_errors(starts_on: Any, ends_on: Any, today: dt.date) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not isinstance(starts_on, dt.date):
        errors["starts_on"] = _("请填写开始日期")
    if not isinstance(ends_on, dt.date):
        errors["ends_on"] = _("请填写截止日期")
    if errors:
        return errors
    if starts_on < today:
        errors["starts_on"] = _("开始日期不能早于今天")
    elif (starts_on - today).days > MAX_LEAD_DAYS:
        errors["starts_on"] = _("开始日期不能晚于一年之后")
    if ends_on < starts_on:
        errors["ends_on"] = _("截止日期不能早于开始日期")
    elif (ends_on - starts_on).days + 1 > MAX_PERIOD_DAYS:
        errors["ends_on"] = _("共享期限最长一年（%(n)d 天）") % {"n": MAX_PERIOD_DAYS}
    return errors


# ---------------------------------------------------------------------- services


def share_request_create(
    *,
    requester: Any,
    organisation: str,
    dataset: str,
    fields: Iterable[str],
    unmasked_fields: Iterable[str],
    region: Region | None,
    purpose: str,
    starts_on: dt.date | None,
    ends_on: dt.date | None,
    request: HttpRequest | None = None,
) -> ShareRequest:
    """File a request for review. Raises ValidationError (per field) and writes nothing
    when any input is wrong."""
    errors: dict[str, str] = {}
    if not user_can(requester, Action.SHARE_REQUEST):
        raise ValidationError(_("您的角色不能提交数据共享申请"))
    organisation = (organisation or "").strip()
    if not organisation:
        errors["organisation"] = _("请填写申请单位")
    elif len(organisation) > ORGANISATION_MAX:
        errors["organisation"] = _("申请单位不能超过 %(n)d 个字") % {"n": ORGANISATION_MAX}
    ds = dataset_for(dataset or "")
    field_names = _clean_names(fields)
    unmasked_names = _clean_names(unmasked_fields)
    if ds is None:
        errors["dataset"] = _("请选择可共享的数据集")
    else:
        unknown = [n for n in field_names if ds.field(n) is None]
        if not field_names:
            errors["fields"] = _("请至少选择一个字段")
        elif unknown:
            errors["fields"] = _("数据集“%(ds)s”没有字段：%(f)s") % {
                "ds": str(ds.name),
                "f": "、".join(unknown),
            }
        not_maskable = [n for n in unmasked_names if (fd := ds.field(n)) is None or not fd.maskable]
        not_requested = [n for n in unmasked_names if n not in field_names]
        if not_maskable:
            errors["unmasked_fields"] = _("只有敏感字段可以申请明文：%(f)s 不是敏感字段") % {
                "f": "、".join(not_maskable)
            }
        elif not_requested:
            errors["unmasked_fields"] = _("申请明文的字段须同时勾选在申请字段中：%(f)s") % {
                "f": "、".join(not_requested)
            }
    if region is None:
        errors["region"] = _("请选择区域范围")
    elif not scope_for(requester).covers_region(region.code, personal=True):
        errors["region"] = _("区域范围只能是您管辖的区域或其下级区域")
    purpose = (purpose or "").strip()
    if len(purpose) < PURPOSE_MIN:
        errors["purpose"] = _("请说明数据用途（至少 %(n)d 个字）") % {"n": PURPOSE_MIN}
    elif len(purpose) > PURPOSE_MAX:
        errors["purpose"] = _("用途说明不能超过 %(n)d 个字") % {"n": PURPOSE_MAX}
    errors.update(_period_errors(starts_on, ends_on, timezone.localdate()))
    if errors:
        raise ValidationError(errors)
    # Narrowed by the checks above.
    assert ds is not None and region is not None
    assert starts_on is not None and ends_on is not None
    share_request = ShareRequest(
        requester=requester,
        organisation=organisation,
        dataset=ds.code,
        fields=_in_dataset_order(ds, field_names),
        unmasked_fields=_in_dataset_order(ds, unmasked_names),
        region=region,
        purpose=purpose,
        starts_on=starts_on,
        ends_on=ends_on,
        status=ShareStatus.PENDING,
    )
    with transaction.atomic():
        share_request.full_clean()
        share_request.save()
        _audit(
            actor=requester,
            action="share.create",
            share_request=share_request,
            request=request,
            details={
                "dataset": share_request.dataset,
                "fields": share_request.fields,
                "unmasked": share_request.unmasked_fields,
                "region": region.code,
                "starts_on": str(starts_on),
                "ends_on": str(ends_on),
            },
        )
    return share_request


def _check_reviewer(share_request: ShareRequest, reviewer: Any) -> None:
    if not user_can(reviewer, Action.SHARE_REVIEW):
        raise ValidationError(_("只有数据管理员可以审核共享申请"))
    if reviewer.pk == share_request.requester_id:
        raise ValidationError(_("不能审核自己提交的申请，请由其他数据管理员审核"))
    if not scope_for(reviewer).covers_region(share_request.region_id, personal=True):
        raise ValidationError(_("该申请的区域不在您的管辖范围内"))


def _locked_pending(share_request: ShareRequest) -> ShareRequest:
    """The request re-read under a row lock; it must still await review."""
    locked = ShareRequest.objects.select_for_update().get(pk=share_request.pk)
    if locked.status != ShareStatus.PENDING:
        raise ValidationError(
            _("该申请已审核（当前状态：%(s)s），不能重复审核") % {"s": locked.get_status_display()}
        )
    return locked


def _new_raw_token() -> str:
    return TOKEN_SCHEME + secrets.token_urlsafe(32)


def share_request_approve(
    *,
    share_request: ShareRequest,
    reviewer: Any,
    fields: Iterable[str] | None = None,
    unmasked_fields: Iterable[str] | None = None,
    note: str = "",
    request: HttpRequest | None = None,
) -> tuple[ShareRequest, str]:
    """Approve (the fields may be narrower than asked, never wider) and issue a token.

    Returns the request and the raw token, which is shown once and never stored.
    ``fields=None`` approves the fields asked; ``unmasked_fields=None`` the unmasked
    fields asked among those approved.
    """
    _check_reviewer(share_request, reviewer)
    ds = dataset_for(share_request.dataset)
    if ds is None:
        raise ValidationError(_("数据集“%(d)s”已不可共享") % {"d": share_request.dataset})
    asked = list(share_request.fields)
    asked_unmasked = list(share_request.unmasked_fields)
    approved = asked if fields is None else _clean_names(fields)
    if unmasked_fields is None:
        approved_unmasked = [n for n in asked_unmasked if n in approved]
    else:
        approved_unmasked = _clean_names(unmasked_fields)
    errors: dict[str, str] = {}
    wider = [n for n in approved if n not in asked]
    if not approved:
        errors["fields"] = _("请至少批准一个字段；如不同意共享，请驳回")
    elif wider:
        errors["fields"] = _("批准的字段不能超出申请范围：%(f)s") % {"f": "、".join(wider)}
    wider_unmasked = [n for n in approved_unmasked if n not in asked_unmasked]
    not_approved = [n for n in approved_unmasked if n not in approved]
    if wider_unmasked:
        errors["unmasked_fields"] = _("批准明文的字段不能超出申请范围：%(f)s") % {
            "f": "、".join(wider_unmasked)
        }
    elif not_approved:
        errors["unmasked_fields"] = _("批准明文的字段须同时被批准：%(f)s") % {
            "f": "、".join(not_approved)
        }
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        errors["note"] = _("审核意见不能超过 %(n)d 个字") % {"n": NOTE_MAX}
    if errors:
        raise ValidationError(errors)
    if share_request.ends_on < timezone.localdate():
        raise ValidationError(_("该申请的共享期限已结束，不能批准；请申请人重新提交"))
    raw = _new_raw_token()
    with transaction.atomic():
        locked = _locked_pending(share_request)
        locked.status = ShareStatus.APPROVED
        locked.approved_fields = _in_dataset_order(ds, approved)
        locked.approved_unmasked = _in_dataset_order(ds, approved_unmasked)
        locked.reviewer = reviewer
        locked.reviewed_at = timezone.now()
        locked.review_note = note
        locked.full_clean()
        locked.save()
        token = ShareToken.objects.create(
            request=locked,
            prefix=raw[:PREFIX_LENGTH],
            token_sha256=token_digest(raw),
            expires_at=token_expiry(locked.ends_on),
        )
        _audit(
            actor=reviewer,
            action="share.approve",
            share_request=locked,
            request=request,
            details={
                "fields": locked.approved_fields,
                "unmasked": locked.approved_unmasked,
                "narrowed": locked.approved_fields != asked
                or locked.approved_unmasked != asked_unmasked,
                "token": token.prefix,
                "expires_at": token.expires_at.isoformat(),
                "note": note,
            },
        )
    return locked, raw


def share_request_reject(
    *,
    share_request: ShareRequest,
    reviewer: Any,
    note: str,
    request: HttpRequest | None = None,
) -> ShareRequest:
    """Reject with a reason the requester reads."""
    _check_reviewer(share_request, reviewer)
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": _("请填写驳回理由，申请人将看到它")})
    if len(note) > NOTE_MAX:
        raise ValidationError({"note": _("审核意见不能超过 %(n)d 个字") % {"n": NOTE_MAX}})
    with transaction.atomic():
        locked = _locked_pending(share_request)
        locked.status = ShareStatus.REJECTED
        locked.reviewer = reviewer
        locked.reviewed_at = timezone.now()
        locked.review_note = note
        locked.full_clean()
        locked.save()
        _audit(
            actor=reviewer,
            action="share.reject",
            share_request=locked,
            request=request,
            details={"note": note},
        )
    return locked


def share_request_revoke(
    *,
    share_request: ShareRequest,
    actor: Any,
    note: str = "",
    request: HttpRequest | None = None,
) -> ShareRequest:
    """End an approved request now: every token of it stops working at once.

    A steward may revoke any request in their scope; a requester their own (for
    example when a token has leaked).
    """
    is_steward = user_can(actor, Action.SHARE_REVIEW) and scope_for(actor).covers_region(
        share_request.region_id, personal=True
    )
    if not is_steward and actor.pk != share_request.requester_id:
        raise ValidationError(_("只有申请人本人或数据管理员可以撤销授权"))
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise ValidationError({"note": _("撤销说明不能超过 %(n)d 个字") % {"n": NOTE_MAX}})
    now = timezone.now()
    with transaction.atomic():
        locked = ShareRequest.objects.select_for_update().get(pk=share_request.pk)
        if locked.status != ShareStatus.APPROVED:
            raise ValidationError(
                _("只有已批准的申请可以撤销（当前状态：%(s)s）")
                % {"s": locked.get_status_display()}
            )
        locked.status = ShareStatus.REVOKED
        if note:
            locked.review_note = (
                f"{locked.review_note}\n{_('撤销说明')}：{note}".strip()
                if locked.review_note
                else f"{_('撤销说明')}：{note}"
            )
        locked.save(update_fields=["status", "review_note"])
        tokens = list(
            ShareToken.objects.filter(request=locked, revoked_at__isnull=True).values_list(
                "prefix", flat=True
            )
        )
        ShareToken.objects.filter(request=locked, revoked_at__isnull=True).update(revoked_at=now)
        _audit(
            actor=actor,
            action="share.revoke",
            share_request=locked,
            request=request,
            details={"tokens": tokens, "note": note, "by_requester": not is_steward},
        )
    return locked


def share_token_authenticate(raw: str, *, request: HttpRequest | None = None) -> ShareToken:
    """The token named by ``raw`` if it may be used now, else ShareTokenError.

    A refused attempt is audited (``share.access``, result ``denied``) with the reason;
    the raw value is never written anywhere, only its prefix.
    """
    raw = (raw or "").strip()
    token: ShareToken | None = None
    if raw.startswith(TOKEN_SCHEME) and len(raw) <= 128:
        token = (
            ShareToken.objects.select_related("request", "request__region")
            .filter(token_sha256=token_digest(raw))
            .first()
        )
    now = timezone.now()
    error: ShareTokenError | None = None
    if token is None:
        error = ShareTokenError(_("令牌无效，请检查令牌是否完整"), reason="unknown")
    elif token.revoked_at is not None or token.request.status == ShareStatus.REVOKED:
        error = ShareTokenError(_("令牌已被撤销，无法再访问数据"), reason="revoked", token=token)
    elif token.request.status != ShareStatus.APPROVED:
        error = ShareTokenError(_("令牌对应的申请未获批准"), reason="not_approved", token=token)
    elif now >= token.expires_at or timezone.localdate() > token.request.ends_on:
        error = ShareTokenError(
            _("令牌已过期（共享期限截至 %(d)s），如需继续使用请重新申请")
            % {"d": token.request.ends_on.isoformat()},
            reason="expired",
            token=token,
        )
    elif timezone.localdate() < token.request.starts_on:
        error = ShareTokenError(
            _("共享期限尚未开始，令牌自 %(d)s 起有效") % {"d": token.request.starts_on.isoformat()},
            reason="not_started",
            token=token,
        )
    if error is None:
        assert token is not None
        return token
    details: dict[str, Any] = {"reason": error.reason}
    if token is not None:
        details["token"] = token.prefix
        details["request"] = token.request_id
        _audit(
            actor=None,
            action="share.access",
            share_request=token.request,
            request=request,
            details=details,
            result="denied",
            username=f"token:{token.prefix}",
        )
    else:
        audit_record(
            actor=None,
            action="share.access",
            result="denied",
            target_type=TARGET_TYPE,
            request=request,
            details={**details, "token": raw[:PREFIX_LENGTH]},
            username="token:?",
        )
    raise error


def share_token_record_use(
    *,
    token: ShareToken,
    endpoint: str,
    rows: int,
    page: int | None = None,
    request: HttpRequest | None = None,
) -> None:
    """Count one call of the token and audit what it read (fields and row count)."""
    share_request = token.request
    details: dict[str, Any] = {
        "token": token.prefix,
        "request": share_request.pk,
        "endpoint": endpoint,
        "dataset": share_request.dataset,
        "fields": list(share_request.approved_fields),
        "unmasked": list(share_request.approved_unmasked),
        "region": share_request.region_id,
        "rows": rows,
    }
    if page is not None:
        details["page"] = page
    now = timezone.now()
    with transaction.atomic():
        ShareToken.objects.filter(pk=token.pk).update(
            last_used_at=now, use_count=F("use_count") + 1
        )
        _audit(
            actor=None,
            action="share.access",
            share_request=share_request,
            request=request,
            details=details,
            username=f"token:{token.prefix}",
        )
    token.last_used_at = now
    token.use_count += 1


# --------------------------------------------------------------------- selectors


def share_requests(user: Any, *, status: str = "", mine: bool = False) -> QuerySet[ShareRequest]:
    """Requests in the user's scope (their region's and its sub-regions'), newest first."""
    qs = ShareRequest.objects.visible_to(user).select_related("requester", "reviewer", "region")
    if status in ShareStatus.values:
        qs = qs.filter(status=status)
    if mine:
        qs = qs.filter(requester=user)
    return qs.order_by("-id")


def share_review_queue(user: Any, *, status: str = ShareStatus.PENDING) -> QuerySet[ShareRequest]:
    """The steward's queue: pending requests first-come first-served; others newest first."""
    qs = ShareRequest.objects.visible_to(user).select_related("requester", "reviewer", "region")
    if status in ShareStatus.values:
        qs = qs.filter(status=status)
    return qs.order_by("id" if status == ShareStatus.PENDING else "-id")


def share_tokens(share_request: ShareRequest) -> QuerySet[ShareToken]:
    return ShareToken.objects.filter(request=share_request).order_by("-id")


def share_access_log(share_request: ShareRequest) -> QuerySet[AuditEntry]:
    """The request's history: filing, review, revocation and every token access."""
    return AuditEntry.objects.filter(
        action__in=SHARE_ACTIONS, target_type=TARGET_TYPE, target_id=str(share_request.pk)
    ).order_by("-id")


def share_region_choices(user: Any) -> list[Region]:
    """The regions a user may ask data of: their own and every sub-region."""
    codes = minimal_prefixes(scope_for(user).region_codes)
    if not codes:
        return []
    q = Q(pk__in=[])
    for code in sorted(codes):
        q |= region_subtree_q("code", code)
    return list(Region.objects.filter(q).order_by("code"))


def default_organisation(user: Any) -> str:
    """The education agency of the user's region, to pre-fill 申请单位."""
    codes = sorted(scope_for(user).region_codes, key=lambda c: (len(c), c))
    if not codes:
        return ""
    agency = Agency.objects.filter(region_id=codes[0]).only("name").first()
    return agency.name if agency else ""


def token_state(token: ShareToken, share_request: ShareRequest) -> str:
    """valid / revoked / expired / not_started, for pages."""
    if token.revoked_at is not None:
        return "revoked"
    if timezone.now() >= token.expires_at or timezone.localdate() > share_request.ends_on:
        return "expired"
    if timezone.localdate() < share_request.starts_on:
        return "not_started"
    return "valid"


def share_records(token: ShareToken) -> QuerySet[GoldenRecord]:
    """Golden persons of the dataset's person type within the request's region subtree.

    In (region, person) order, which the ``golden_region_idx`` index serves.
    """
    share_request = token.request
    ds = dataset_for(share_request.dataset)
    if ds is None:
        return GoldenRecord.objects.none()
    return (
        GoldenRecord.objects.filter(region_subtree_q("region_id", share_request.region_id))
        .filter(person_type=ds.person_type)
        .select_related("person", "school")
        .order_by("region_id", "person_id")
    )


def mask_name(value: str) -> str:
    """张三 → 张*, 欧阳娜娜 → 欧***: the family name's first character only."""
    if not value:
        return ""
    return value[0] + "*" * max(1, len(value) - 1)


def mask_address(value: str) -> str:
    """The first 6 characters (province, city: rarely more) and an ellipsis."""
    if not value:
        return ""
    keep = 6 if len(value) > 6 else len(value) // 2
    return value[:keep] + "…"


def _mask_golden_id(value: str) -> str:
    # G + ID number (national student-number style) carries the ID number itself.
    if value.startswith("G") and len(value) > 8:
        return "G" + mask(value[1:])
    return value


def _date(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


_RAW: dict[str, Callable[[GoldenRecord], Any]] = {
    "golden_id": lambda g: g.person.golden_id or "",
    "name": lambda g: g.person.name,
    "gender": lambda g: g.person.gender,
    "birth_date": lambda g: g.person.birth_date,
    "id_number": lambda g: g.person.id_number or "",
    "ethnicity": lambda g: g.person.ethnicity,
    "school_code": lambda g: g.school.code if g.school else "",
    "school_name": lambda g: g.school.name if g.school else "",
    "region_code": lambda g: g.region_id or "",
    "grade": lambda g: g.grade,
    "class_name": lambda g: g.class_name,
    "address": lambda g: g.address,
    "guardian_phone": lambda g: g.guardian_phone,
    "aid_status": lambda g: g.aid_status,
    "health_result": lambda g: g.health_result,
    "phone": lambda g: g.person.phone,
    "subject": lambda g: g.subject,
    "title": lambda g: g.title,
}

_MASK: dict[str, Callable[[Any], Any]] = {
    "name": lambda v: mask_name(v or ""),
    "birth_date": lambda v: str(v.year) if v else None,
    "id_number": lambda v: mask(v or ""),
    "address": lambda v: mask_address(v or ""),
    "guardian_phone": lambda v: mask_phone(v or ""),
    "phone": lambda v: mask_phone(v or ""),
    "aid_status": lambda v: MASKED if v else "",
    "health_result": lambda v: MASKED if v else "",
}


def share_record_row(
    golden: GoldenRecord, fields: Iterable[str], unmasked: Iterable[str]
) -> dict[str, Any]:
    """One person as the token may see it: only ``fields``; maskable ones masked unless
    in ``unmasked``. The golden identifier is masked too while the ID number is."""
    clear = set(unmasked)
    row: dict[str, Any] = {}
    for name in fields:
        getter = _RAW.get(name)
        if getter is None:
            continue
        value = getter(golden)
        if name in _MASK and name not in clear:
            value = _MASK[name](value)
        elif name == "golden_id" and "id_number" not in clear:
            value = _mask_golden_id(value)
        elif isinstance(value, dt.date):
            value = _date(value)
        row[name] = value
    return row


def share_grant(token: ShareToken) -> dict[str, Any]:
    """What a token allows, for the token holder."""
    share_request = token.request
    ds = dataset_for(share_request.dataset)
    labels = {f.name: str(f.label) for f in ds.fields} if ds else {}
    classes = {f.name: f.classification for f in ds.fields} if ds else {}
    return {
        "request_id": share_request.pk,
        "organisation": share_request.organisation,
        "dataset": share_request.dataset,
        "dataset_name": str(ds.name) if ds else share_request.dataset,
        "person_type": ds.person_type if ds else "",
        "fields": [
            {
                "name": n,
                "label": labels.get(n, n),
                "classification": classes.get(n, ""),
                "masked": (n in _MASK and n not in share_request.approved_unmasked)
                or (n == "golden_id" and "id_number" not in share_request.approved_unmasked),
            }
            for n in share_request.approved_fields
        ],
        "unmasked_fields": list(share_request.approved_unmasked),
        "region_code": share_request.region_id,
        "region_name": share_request.region.name,
        "starts_on": share_request.starts_on,
        "ends_on": share_request.ends_on,
        "expires_at": token.expires_at,
        "token_prefix": token.prefix,
    }
