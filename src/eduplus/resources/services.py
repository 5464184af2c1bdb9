"""Writes of the resources module: upload, edit, review, withdrawal, downloads, index;
engagement: views, ratings (评分), comments (评论) and their moderation, complaints (举报)
and the automatic withdrawal (自动下架) their thresholds trigger (see ``conf.py``).

Every function validates, writes inside one transaction, keeps the search index in
step (published resources only) and records the history and the audit entry. Refusals
are ``django.core.exceptions.ValidationError`` with Chinese messages.

The lifecycle (状态流转)::

    submitted ──school approves──▶ school_approved ──county passes 3 checks──▶ published
        │  ▲                            │                                         │
        │  └──────── author resubmits ──┼──── returned ◀── any check fails ───────┤
        └── school returns ─────────────┘        ▲                                │
                                                 └── (author resubmits) ◀─ withdrawn (下架)
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from eduplus.core.audit import audit_record
from eduplus.core.permissions import user_can
from eduplus.core.roles import Action
from eduplus.core.scoping import scope_for
from eduplus.resources import conf, search
from eduplus.resources.models import (
    AUTHOR_EDITABLE,
    COMMENT_MAX_CHARS,
    COMPLAINT_MAX_CHARS,
    RESUBMITTABLE,
    CatalogNode,
    Comment,
    CommentStatus,
    Complaint,
    ComplaintCategory,
    ComplaintStatus,
    EventKind,
    FeaturedLevel,
    Licence,
    Rating,
    Resource,
    ResourceActivity,
    ResourceEvent,
    ResourceStatus,
    ResourceType,
    ResourceUsage,
    ReviewCheck,
    Topic,
)
from eduplus.resources.signals import resource_event
from eduplus.resources.uploads import TYPE_RULES, check_upload, mp4_duration_seconds
from eduplus.schools.models import School

log = logging.getLogger(__name__)

MAX_REASON = 1000


# ------------------------------------------------------------------------ helpers


def _name(user: Any) -> str:
    return str(getattr(user, "display_name", "") or getattr(user, "username", ""))[:64]


def _event(
    resource: Resource,
    kind: str,
    actor: Any,
    *,
    reason: str = "",
    checks: dict[str, Any] | None = None,
) -> ResourceEvent:
    return ResourceEvent.objects.create(
        resource=resource,
        kind=kind,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        actor_name=_name(actor) if actor is not None else "",
        reason=reason[:MAX_REASON],
        checks=checks or {},
        created_at=timezone.now(),
    )


def _audit(
    actor: Any, action: str, resource: Resource, request: HttpRequest | None, **details: Any
) -> None:
    audit_record(
        actor=actor,
        action=action,
        target_type="resources.resource",
        target_id=str(resource.pk),
        target_repr=resource.title[:255],
        request=request,
        details=details,
    )


def _locked(resource: Resource) -> Resource:
    return Resource.objects.select_for_update().get(pk=resource.pk)


def _send(actor: Any, verb: str, resource: Resource, **extra: Any) -> None:
    """Tell other modules (the learning-record store) once the change is committed."""
    if not getattr(actor, "is_authenticated", False):
        return

    def send() -> None:
        resource_event.send(sender=Resource, user=actor, verb=verb, resource=resource, extra=extra)

    transaction.on_commit(send)


def facets_changed() -> None:
    """Invalidate cached facet counts (after the commit: readers of the old set are done)."""

    def bump() -> None:
        try:
            cache.incr(search.FACETS_VERSION_KEY)
        except ValueError:
            cache.set(search.FACETS_VERSION_KEY, 1, None)

    transaction.on_commit(bump)


def uploader_schools(user: Any) -> list[School]:
    """The schools a user uploads for: where they are a teacher or school administrator."""
    if not user_can(user, Action.RESOURCE_UPLOAD):
        return []
    ids = user.role_assignments.filter(
        role__in=["teacher", "school_admin"], school__isnull=False
    ).values_list("school_id", flat=True)
    return list(School.objects.filter(pk__in=list(ids)).order_by("pk"))


def reviews_at_school(user: Any, resource: Resource) -> bool:
    return user_can(user, Action.RESOURCE_REVIEW_SCHOOL) and (
        resource.school_id in scope_for(user).school_ids
    )


def reviews_at_county(user: Any, resource: Resource) -> bool:
    return user_can(user, Action.RESOURCE_REVIEW_COUNTY) and scope_for(user).covers_region(
        resource.region_id, personal=True
    )


def may_withdraw(user: Any, resource: Resource) -> bool:
    return user_can(user, Action.RESOURCE_WITHDRAW) and scope_for(user).covers_region(
        resource.region_id, personal=True
    )


def may_edit(user: Any, resource: Resource) -> bool:
    """The author while the resource is not under review or published; a county
    reviewer of its region at any time (corrections of published metadata)."""
    if reviews_at_county(user, resource):
        return True
    return (
        getattr(user, "pk", None) is not None
        and resource.author_id == user.pk
        and resource.status in AUTHOR_EDITABLE
    )


@dataclass(frozen=True)
class Metadata:
    """What the uploader describes; checked by :func:`clean_metadata`."""

    title: str
    resource_type: str
    description: str = ""
    node: CatalogNode | None = None
    topics: Sequence[Topic] = ()
    licence: str = Licence.PLATFORM
    duration_seconds: int | None = None


def clean_metadata(meta: Metadata) -> Metadata:
    errors: dict[str, str] = {}
    title = " ".join(meta.title.split())
    if not title:
        errors["title"] = _("请填写标题")
    if meta.resource_type not in ResourceType.values:
        errors["resource_type"] = _("请选择资源类型")
    if meta.licence not in Licence.values:
        errors["licence"] = _("请选择授权方式")
    if meta.node is not None and not meta.node.is_attachable:
        errors["node"] = _("请选择到“册”或具体章节")
    if meta.node is None and not meta.topics:
        errors["node"] = _("请选择教材章节或至少一个专题")
    if meta.duration_seconds is not None and not 0 < meta.duration_seconds <= 24 * 3600:
        errors["duration_seconds"] = _("时长应在1秒到24小时之间")
    if errors:
        raise ValidationError(errors)
    return Metadata(
        title=title,
        resource_type=meta.resource_type,
        description=meta.description.strip(),
        node=meta.node,
        topics=list(meta.topics),
        licence=meta.licence,
        duration_seconds=meta.duration_seconds,
    )


def _apply(resource: Resource, meta: Metadata) -> None:
    resource.title = meta.title
    resource.description = meta.description
    resource.resource_type = meta.resource_type
    resource.licence = meta.licence
    resource.node = meta.node
    node = meta.node
    resource.stage = node.stage if node else ""
    resource.subject = node.subject if node else ""
    resource.edition = node.edition if node else ""
    resource.grade = node.grade if node else None
    if meta.duration_seconds is not None:
        resource.duration_seconds = meta.duration_seconds


def _duplicate_message(existing: Resource, actor: Any) -> str:
    if Resource.objects.visible_to(actor).filter(pk=existing.pk).exists():
        return _("该文件已在平台中：《%(title)s》（%(status)s）。同一文件只能上传一次。") % {
            "title": existing.title,
            "status": existing.get_status_display(),
        }
    return _("该文件已由其他用户上传（正在审核或已发布），同一文件只能上传一次。")


# ------------------------------------------------------------------------- upload


def storage_name(sha256: str, extension: str) -> str:
    """Files are stored by content: the same bytes always have the same name."""
    return f"resources/{sha256[:2]}/{sha256}.{extension}"


@contextmanager
def stored_content(
    sha256: str, extension: str, content: Callable[[], Any], *, race_message: str
) -> Iterator[str]:
    """The stored name of a file's content, written from ``content()`` unless those bytes
    are already stored; for creating the resource that holds it. When the creation is
    refused, a file written here that no resource holds is removed again, and losing
    the race to a concurrent creation of the same file becomes ``race_message``."""
    field_storage = Resource._meta.get_field("file").storage  # type: ignore[attr-defined]
    name = storage_name(sha256, extension)
    written = False
    if not field_storage.exists(name):
        name = field_storage.save(name, content())
        written = True
    try:
        yield name
    except (ValidationError, IntegrityError) as exc:
        if written and not Resource.objects.filter(file=name).exists():
            field_storage.delete(name)
        if isinstance(exc, IntegrityError):
            raise ValidationError({"file": race_message}) from exc
        raise


def resource_upload(
    *,
    actor: Any,
    upload: UploadedFile,
    meta: Metadata,
    school: School | None = None,
    request: HttpRequest | None = None,
) -> Resource:
    """Check, hash and store an uploaded file, create the resource and submit it to the
    school's review. Nothing is kept if anything is refused."""
    schools = uploader_schools(actor)
    if not schools:
        raise ValidationError(_("只有学校的教师和学校管理员可以上传资源"))
    if school is None:
        school = schools[0]
    elif school.pk not in {s.pk for s in schools}:
        raise ValidationError({"school": _("只能以本人所在学校的名义上传")})
    meta = clean_metadata(meta)
    checked = check_upload(
        name=upload.name or "",
        size=upload.size or 0,
        chunks=upload.chunks(),
        resource_type=meta.resource_type,
    )
    existing = Resource.objects.filter(sha256=checked.sha256).first()
    if existing is not None:
        raise ValidationError({"file": _duplicate_message(existing, actor)})
    duration = meta.duration_seconds
    if duration is None and checked.extension == "mp4":
        duration = mp4_duration_seconds(upload.file)  # type: ignore[arg-type]

    def content() -> UploadedFile:
        upload.seek(0)
        return upload

    with (
        stored_content(
            checked.sha256,
            checked.extension,
            content,
            # A concurrent upload of the same file won the race.
            race_message=_("该文件刚刚已由其他用户上传"),
        ) as name,
        transaction.atomic(),
    ):
        resource = Resource(
            author=actor,
            author_name=_name(actor),
            school=school,
            region_id=school.region_id,
            file=name,
            sha256=checked.sha256,
            size=checked.size,
            file_format=checked.extension,
            mime_type=checked.mime_type,
            original_name=(upload.name or "")[-255:],
            duration_seconds=duration,
            status=ResourceStatus.SUBMITTED,
            submitted_at=timezone.now(),
        )
        _apply(resource, meta)
        resource.full_clean()
        resource.save()
        resource.topics.set(meta.topics)
        _event(resource, EventKind.SUBMITTED, actor)
        _audit(
            actor,
            "resource.upload",
            resource,
            request,
            sha256=checked.sha256,
            size=checked.size,
            format=checked.extension,
            school=school.code,
        )
        _send(actor, "shared", resource)
    return resource


# --------------------------------------------------------------------------- edits


@transaction.atomic
def resource_update(
    *, actor: Any, resource: Resource, meta: Metadata, request: HttpRequest | None = None
) -> Resource:
    """Change the metadata. A published resource's index document is replaced."""
    resource = _locked(resource)
    if not may_edit(actor, resource):
        raise ValidationError(
            _("只有作者（在退回、下架或待学校审核时）或县级审核人员可以修改资源信息")
        )
    meta = clean_metadata(meta)
    if resource.file_format not in TYPE_RULES[meta.resource_type][0]:
        raise ValidationError(
            {
                "resource_type": _("“%(ext)s”格式的文件不能作为“%(type)s”")
                % {"ext": resource.file_format, "type": ResourceType(meta.resource_type).label}
            }
        )
    before = {
        f: getattr(resource, f)
        for f in ("title", "description", "resource_type", "licence", "node_id", "duration_seconds")
    }
    topics_before = set(resource.topics.values_list("pk", flat=True))
    _apply(resource, meta)
    resource.full_clean()
    resource.save()
    resource.topics.set(meta.topics)
    changed = [f for f, v in before.items() if getattr(resource, f) != v]
    if topics_before != {t.pk for t in meta.topics}:
        changed.append("topics")
    if not changed:
        return resource
    if resource.is_published:
        search.reindex([resource])
        facets_changed()
    _event(
        resource,
        EventKind.EDITED,
        actor,
        reason=_("修改了：%(fields)s")
        % {
            "fields": "、".join(
                str(getattr(Resource._meta.get_field(f.removesuffix("_id")), "verbose_name", f))
                for f in changed
            )
        },
    )
    _audit(actor, "resource.update", resource, request, changed=changed)
    return resource


@transaction.atomic
def resource_resubmit(
    *, actor: Any, resource: Resource, request: HttpRequest | None = None
) -> Resource:
    """The author submits a returned or withdrawn resource for review again."""
    resource = _locked(resource)
    if resource.author_id != getattr(actor, "pk", None):
        raise ValidationError(_("只有作者可以重新提交"))
    if resource.status not in RESUBMITTABLE:
        raise ValidationError(_("只有已退回或已下架的资源可以重新提交"))
    before = resource.status
    resource.status = ResourceStatus.SUBMITTED
    resource.submitted_at = timezone.now()
    resource.save(update_fields=["status", "submitted_at", "updated_at"])
    _event(resource, EventKind.RESUBMITTED, actor)
    _audit(actor, "resource.resubmit", resource, request, previous=before)
    return resource


# -------------------------------------------------------------------------- review


def _clean_reason(reason: str, *, required: bool, message: str) -> str:
    reason = reason.strip()
    if required and not reason:
        raise ValidationError({"reason": message})
    if len(reason) > MAX_REASON:
        raise ValidationError({"reason": _("原因不超过 %(n)d 字") % {"n": MAX_REASON}})
    return reason


@transaction.atomic
def resource_school_review(
    *,
    actor: Any,
    resource: Resource,
    approve: bool,
    reason: str = "",
    request: HttpRequest | None = None,
) -> Resource:
    """学校审核: the author's school administrator passes it on to the county or returns it."""
    resource = _locked(resource)
    if not reviews_at_school(actor, resource):
        raise ValidationError(_("只有资源所在学校的管理员可以进行学校审核"))
    if resource.author_id == actor.pk:
        raise ValidationError(_("不能审核自己上传的资源"))
    if resource.status != ResourceStatus.SUBMITTED:
        raise ValidationError(
            _("该资源当前为“%(status)s”，不在学校审核环节")
            % {"status": resource.get_status_display()}
        )
    reason = _clean_reason(reason, required=not approve, message=_("退回时请填写原因"))
    if approve:
        resource.status = ResourceStatus.SCHOOL_APPROVED
        kind, action = EventKind.SCHOOL_APPROVED, "resource.school_approve"
    else:
        resource.status = ResourceStatus.RETURNED
        resource.status_reason = reason
        kind, action = EventKind.SCHOOL_RETURNED, "resource.school_return"
    resource.full_clean()
    resource.save()
    _event(resource, kind, actor, reason=reason)
    _audit(actor, action, resource, request, reason=reason)
    return resource


@dataclass(frozen=True)
class CheckResult:
    passed: bool
    reason: str = ""


@transaction.atomic
def resource_county_review(
    *,
    actor: Any,
    resource: Resource,
    checks: Mapping[str, CheckResult],
    quality: int = 3,
    comment: str = "",
    request: HttpRequest | None = None,
) -> Resource:
    """县级审核: political, scientific and normative checks (三审). All passed: the
    resource is published (and indexed) with the reviewer's quality rating. Any failed:
    it is returned to the author with the reasons of the failed checks."""
    resource = _locked(resource)
    if not reviews_at_county(actor, resource):
        raise ValidationError(_("只有资源所在县（区）的教育管理者可以进行县级审核"))
    if resource.author_id == actor.pk:
        raise ValidationError(_("不能审核自己上传的资源"))
    if resource.status != ResourceStatus.SCHOOL_APPROVED:
        raise ValidationError(
            _("该资源当前为“%(status)s”，不在县级审核环节")
            % {"status": resource.get_status_display()}
        )
    errors: dict[str, str] = {}
    results: dict[str, dict[str, Any]] = {}
    for check in ReviewCheck:
        result = checks.get(check.value)
        if result is None:
            errors[check.value] = _("请给出“%(check)s”的结论") % {"check": check.label}
            continue
        text = result.reason.strip()[:300]
        if not result.passed and not text:
            errors[check.value] = _("“%(check)s”未通过，请填写原因") % {"check": check.label}
        results[check.value] = {"passed": result.passed, "reason": text}
    if not 1 <= quality <= 5:
        errors["quality"] = _("质量评级应为1到5")
    if errors:
        raise ValidationError(errors)
    comment = _clean_reason(comment, required=False, message="")
    failed = [c for c in ReviewCheck if not results[c.value]["passed"]]
    if failed:
        reasons = "；".join(
            _("%(check)s未通过：%(reason)s")
            % {"check": c.label, "reason": results[c.value]["reason"]}
            for c in failed
        )
        resource.status = ResourceStatus.RETURNED
        resource.status_reason = (reasons + (f"。{comment}" if comment else ""))[:MAX_REASON]
        resource.full_clean()
        resource.save()
        _event(resource, EventKind.COUNTY_RETURNED, actor, reason=comment, checks=results)
        _audit(actor, "resource.county_return", resource, request, checks=results)
        return resource
    resource.status = ResourceStatus.PUBLISHED
    resource.published_at = timezone.now()
    resource.quality = quality
    resource.rank = resource.compute_rank()
    resource.status_reason = ""
    resource.full_clean()
    resource.save()
    search.index_documents([resource])
    facets_changed()
    _event(resource, EventKind.PUBLISHED, actor, reason=comment, checks=results)
    _audit(actor, "resource.publish", resource, request, checks=results, quality=quality)
    return resource


@transaction.atomic
def resource_withdraw(
    *, actor: Any, resource: Resource, reason: str, request: HttpRequest | None = None
) -> Resource:
    """下架: an officer of the resource's region takes a published resource down."""
    resource = _locked(resource)
    if not may_withdraw(actor, resource):
        raise ValidationError(_("只有资源所在区域的教育管理者可以下架资源"))
    if resource.status != ResourceStatus.PUBLISHED:
        raise ValidationError(_("只有已发布的资源可以下架"))
    reason = _clean_reason(reason, required=True, message=_("下架时请填写原因"))
    return _take_down(resource, actor=actor, reason=reason, request=request)


def _take_down(
    resource: Resource,
    *,
    actor: Any,
    reason: str,
    request: HttpRequest | None = None,
    automatic: bool = False,
    **details: Any,
) -> Resource:
    """The one withdrawal path (下架) of a locked, published resource: out of the index,
    status and reason, history and audit. ``automatic`` marks the platform's own
    withdrawals (thresholds of complaints or ratings): no actor, said so in the event."""
    search.unindex([resource])
    resource.status = ResourceStatus.WITHDRAWN
    resource.status_reason = reason[:MAX_REASON]
    resource.full_clean()
    resource.save()
    facets_changed()
    if automatic:
        event = _event(resource, EventKind.AUTO_WITHDRAWN, None, reason=resource.status_reason)
        event.actor_name = _("平台自动处理")
        event.save(update_fields=["actor_name"])
        # The platform acts, not the user whose rating or complaint tipped the balance.
        audit_record(
            actor=None,
            username="system:auto-withdraw",
            action="resource.withdraw",
            target_type="resources.resource",
            target_id=str(resource.pk),
            target_repr=resource.title[:255],
            details={"reason": resource.status_reason, "automatic": True, **details},
        )
    else:
        _event(resource, EventKind.WITHDRAWN, actor, reason=resource.status_reason)
        _audit(actor, "resource.withdraw", resource, request, reason=resource.status_reason)
    return resource


# ------------------------------------------------------------------------ 精品


@transaction.atomic
def resource_set_featured(
    *,
    actor: Any,
    resource: Resource,
    level: str,
    reason: str = "",
    request: HttpRequest | None = None,
) -> Resource:
    """Mark a published resource 精品 at ``level`` (a ``FeaturedLevel``), or clear it with
    ``level=""``. Called by the expert selection of ``eduplus.lessons``; audited."""
    resource = _locked(resource)
    if level not in FeaturedLevel.values:
        raise ValidationError(_("未知的精品级别"))
    if level and resource.status != ResourceStatus.PUBLISHED:
        raise ValidationError(_("只有已发布的资源可以评为精品"))
    resource.featured_level = level
    resource.featured_at = timezone.now() if level else None
    old_rank = resource.rank
    resource.rank = resource.compute_rank()
    resource.save(update_fields=["featured_level", "featured_at", "rank", "updated_at"])
    if resource.is_published and resource.rank != old_rank:
        search.rerank(resource)
    _event(resource, EventKind.FEATURED, actor, reason=reason)
    _audit(actor, "resource.feature", resource, request, level=level, reason=reason)
    return resource


# ------------------------------------------------------------------------ downloads


@transaction.atomic
def resource_download_record(
    *, actor: Any, resource: Resource, request: HttpRequest | None = None
) -> Resource:
    """Count one download (audited, and in the day's usage and the user's history). The
    use raises the rank: the index follows."""
    resource = _locked(resource)
    old_rank = resource.rank
    resource.download_count += 1
    resource.rank = resource.compute_rank()
    resource.save(update_fields=["download_count", "rank"])
    if resource.is_published and resource.rank != old_rank:
        search.rerank(resource)
    _usage_bump(resource, actor, downloads=1)
    _audit(actor, "resource.download", resource, request, downloads=resource.download_count)
    _send(actor, "downloaded", resource)
    return resource


# ------------------------------------------------------------- engagement (互动)

MAX_MODERATION_REASON = 300
# A user's comments awaiting review on one resource: more is flooding the moderators.
MAX_PENDING_COMMENTS = 3


def may_rate(user: Any, resource: Resource) -> bool:
    """Rate, comment and complain: RESOURCE_RATE, and only on a published resource."""
    return user_can(user, Action.RESOURCE_RATE) and resource.is_published


def moderates(user: Any, resource: Resource) -> bool:
    """A moderator (RESOURCE_MODERATE) whose scope covers the resource's school or region:
    the same scope that reviews it (school administrators, officers above)."""
    return (
        user_can(user, Action.RESOURCE_MODERATE)
        and Resource.objects.under_review_by(user).filter(pk=resource.pk).exists()
    )


def _engage_check(actor: Any, resource: Resource) -> None:
    if not user_can(actor, Action.RESOURCE_RATE):
        raise ValidationError(_("你的角色不能评分、评论或举报资源"))
    if not Resource.objects.visible_to(actor).filter(pk=resource.pk).exists():
        raise ValidationError(_("资源不存在"))
    if resource.status != ResourceStatus.PUBLISHED:
        raise ValidationError(_("只有已发布的资源可以评分、评论或举报"))


def _today() -> Any:
    return timezone.localdate()


def _usage_bump(resource: Resource, actor: Any, *, views: int = 0, downloads: int = 0) -> None:
    """Add to the day's usage row and the user's history: one UPDATE each (F() increments),
    an INSERT only for the first use of the day (or by the user)."""
    day = _today()
    counts = {"views": F("views") + views, "downloads": F("downloads") + downloads}
    if not ResourceUsage.objects.filter(resource_id=resource.pk, day=day).update(**counts):
        try:
            with transaction.atomic():
                ResourceUsage.objects.create(
                    resource_id=resource.pk, day=day, views=views, downloads=downloads
                )
        except IntegrityError:  # a concurrent first use of the day won the race
            ResourceUsage.objects.filter(resource_id=resource.pk, day=day).update(**counts)
    if not getattr(actor, "is_authenticated", False):
        return
    now = timezone.now()
    mine = ResourceActivity.objects.filter(user_id=actor.pk, resource_id=resource.pk)
    if not mine.update(**counts, last_at=now):
        try:
            with transaction.atomic():
                ResourceActivity.objects.create(
                    user_id=actor.pk,
                    resource_id=resource.pk,
                    views=views,
                    downloads=downloads,
                    last_at=now,
                )
        except IntegrityError:
            mine.update(**counts, last_at=now)


@transaction.atomic
def resource_view_record(*, actor: Any, resource: Resource) -> None:
    """Count one view of a resource's page (浏览): F() increments, no lock, no audit."""
    Resource.objects.filter(pk=resource.pk).update(view_count=F("view_count") + 1)
    _usage_bump(resource, actor, views=1)
    _send(actor, "viewed", resource)


def _rerank_if_changed(resource: Resource) -> None:
    rank = resource.compute_rank()
    if rank != resource.rank:
        resource.rank = rank
        Resource.objects.filter(pk=resource.pk).update(rank=rank)
        if resource.is_published:
            search.rerank(resource)


@transaction.atomic
def resource_rate(
    *, actor: Any, resource: Resource, score: Any, request: HttpRequest | None = None
) -> Rating:
    """评分: 1–5 stars, one rating per user (a second call changes it). The rank, the
    search index and the automatic withdrawal check follow."""
    if isinstance(score, bool) or not isinstance(score, int):
        try:
            score = int(str(score).strip())
        except ValueError:
            raise ValidationError({"score": _("请选择1到5星")}) from None
    if not 1 <= score <= 5:
        raise ValidationError({"score": _("请选择1到5星")})
    resource = _locked(resource)
    _engage_check(actor, resource)
    if resource.author_id == actor.pk:
        raise ValidationError(_("不能给自己上传的资源评分"))
    now = timezone.now()
    rating = Rating.objects.select_for_update().filter(resource=resource, user=actor).first()
    if rating is None:
        rating = Rating(resource=resource, user=actor, score=score, created_at=now, updated_at=now)
        rating.full_clean()
        rating.save()
        resource.rating_count += 1
        resource.rating_sum += score
        previous = None
    else:
        previous = rating.score
        resource.rating_sum += score - rating.score
        rating.score = score
        rating.updated_at = now
        rating.save(update_fields=["score", "updated_at"])
    Resource.objects.filter(pk=resource.pk).update(
        rating_count=resource.rating_count, rating_sum=resource.rating_sum
    )
    _rerank_if_changed(resource)
    _audit(actor, "resource.rate", resource, request, score=score, previous=previous)
    _send(actor, "rated", resource, score=score)
    auto_withdraw_check(resource=resource, request=request)
    return rating


def _clean_text(text: Any, *, limit: int, empty: str, field: str) -> str:
    text = str(text or "").replace("\r\n", "\n").strip()
    # Control characters other than line breaks are never content.
    text = "".join(ch for ch in text if ch in "\n\t" or ord(ch) >= 32)
    if not text:
        raise ValidationError({field: empty})
    if len(text) > limit:
        raise ValidationError(
            {field: _("不超过 %(n)d 字（现有 %(m)d 字）") % {"n": limit, "m": len(text)}}
        )
    return text


@transaction.atomic
def resource_comment(
    *, actor: Any, resource: Resource, body: Any, request: HttpRequest | None = None
) -> Comment:
    """评论: saved as pending; shown to others once a moderator approved it."""
    body = _clean_text(body, limit=COMMENT_MAX_CHARS, empty=_("评论内容不能为空"), field="body")
    resource = _locked(resource)
    _engage_check(actor, resource)
    pending = Comment.objects.filter(
        resource=resource, author=actor, status=CommentStatus.PENDING
    ).count()
    if pending >= MAX_PENDING_COMMENTS:
        raise ValidationError(_("你已有 %(n)d 条评论等待审核，请审核后再发表") % {"n": pending})
    comment = Comment(
        resource=resource,
        author=actor,
        author_name=_name(actor),
        body=body,
        status=CommentStatus.PENDING,
        created_at=timezone.now(),
    )
    comment.full_clean()
    comment.save()
    audit_record(
        actor=actor,
        action="resource.comment",
        target_type="resources.comment",
        target_id=str(comment.pk),
        target_repr=resource.title[:255],
        request=request,
        details={"resource": resource.pk, "length": len(body)},
    )
    _send(actor, "commented", resource, comment_id=comment.pk)
    return comment


@transaction.atomic
def comment_moderate(
    *,
    actor: Any,
    comment: Comment,
    approve: bool,
    reason: str = "",
    request: HttpRequest | None = None,
) -> Comment:
    """A moderator of the resource's school or region approves a pending comment (then
    everyone sees it) or rejects it with a reason (the writer sees the reason)."""
    comment = Comment.objects.select_for_update().select_related("resource").get(pk=comment.pk)
    if not moderates(actor, comment.resource):
        raise ValidationError(_("只有资源所在学校或区域的审核人员可以审核评论"))
    if comment.status != CommentStatus.PENDING:
        raise ValidationError(_("该评论已审核（%(s)s）") % {"s": comment.get_status_display()})
    reason = str(reason or "").strip()
    if not approve and not reason:
        raise ValidationError({"reason": _("不通过时请填写原因")})
    if len(reason) > MAX_MODERATION_REASON:
        raise ValidationError({"reason": _("原因不超过 %(n)d 字") % {"n": MAX_MODERATION_REASON}})
    comment.status = CommentStatus.APPROVED if approve else CommentStatus.REJECTED
    comment.reason = "" if approve else reason
    comment.moderated_by = actor
    comment.moderated_at = timezone.now()
    comment.full_clean()
    comment.save()
    if approve:
        Resource.objects.filter(pk=comment.resource_id).update(comment_count=F("comment_count") + 1)
    audit_record(
        actor=actor,
        action="resource.comment_approve" if approve else "resource.comment_reject",
        target_type="resources.comment",
        target_id=str(comment.pk),
        target_repr=comment.resource.title[:255],
        request=request,
        details={"resource": comment.resource_id, "reason": comment.reason},
    )
    return comment


@transaction.atomic
def resource_complain(
    *,
    actor: Any,
    resource: Resource,
    category: str,
    text: Any,
    request: HttpRequest | None = None,
) -> Complaint:
    """举报: one per user and resource. Enough complaints withdraw it automatically."""
    if category not in ComplaintCategory.values:
        raise ValidationError({"category": _("请选择举报类型")})
    text = _clean_text(text, limit=COMPLAINT_MAX_CHARS, empty=_("请说明举报理由"), field="text")
    resource = _locked(resource)
    _engage_check(actor, resource)
    if Complaint.objects.filter(resource=resource, user=actor).exists():
        raise ValidationError(_("你已经举报过该资源，请等待处理"))
    complaint = Complaint(
        resource=resource,
        user=actor,
        user_name=_name(actor),
        category=category,
        text=text,
        created_at=timezone.now(),
    )
    complaint.full_clean()
    complaint.save()
    audit_record(
        actor=actor,
        action="resource.complain",
        target_type="resources.complaint",
        target_id=str(complaint.pk),
        target_repr=resource.title[:255],
        request=request,
        details={"resource": resource.pk, "category": category},
    )
    auto_withdraw_check(resource=resource, request=request)
    return complaint


@transaction.atomic
def complaint_handle(
    *,
    actor: Any,
    complaint: Complaint,
    uphold: bool,
    resolution: str = "",
    request: HttpRequest | None = None,
) -> Complaint:
    """A moderator of the resource's school or region upholds a complaint (the resource,
    if still published, is withdrawn with the complaint as reason) or dismisses it."""
    complaint = Complaint.objects.select_for_update().get(pk=complaint.pk)
    resource = _locked(complaint.resource)
    if not moderates(actor, resource):
        raise ValidationError(_("只有资源所在学校或区域的审核人员可以处理举报"))
    if complaint.status != ComplaintStatus.OPEN:
        raise ValidationError(_("该举报已处理（%(s)s）") % {"s": complaint.get_status_display()})
    resolution = str(resolution or "").strip()
    if uphold and not resolution:
        raise ValidationError({"resolution": _("举报成立时请填写处理意见（将作为下架原因）")})
    if len(resolution) > MAX_MODERATION_REASON:
        raise ValidationError(
            {"resolution": _("处理意见不超过 %(n)d 字") % {"n": MAX_MODERATION_REASON}}
        )
    complaint.status = ComplaintStatus.UPHELD if uphold else ComplaintStatus.DISMISSED
    complaint.resolution = resolution
    complaint.handled_by = actor
    complaint.handled_at = timezone.now()
    complaint.save()
    audit_record(
        actor=actor,
        action="resource.complaint_uphold" if uphold else "resource.complaint_dismiss",
        target_type="resources.complaint",
        target_id=str(complaint.pk),
        target_repr=resource.title[:255],
        request=request,
        details={"resource": resource.pk, "resolution": resolution},
    )
    if uphold and resource.is_published:
        reason = _("举报成立（%(c)s）：%(r)s") % {
            "c": complaint.get_category_display(),
            "r": resolution,
        }
        _take_down(resource, actor=actor, reason=reason, request=request)
    return complaint


def auto_withdraw_reason(resource: Resource) -> str:
    """Why the platform should withdraw a published resource now, or "" (see conf.py)."""
    limit = conf.auto_withdraw_complaints()
    if limit > 0:
        complainers = (
            Complaint.objects.filter(
                resource_id=resource.pk,
                status__in=[ComplaintStatus.OPEN, ComplaintStatus.UPHELD],
                user__isnull=False,
            )
            .values("user_id")
            .distinct()
            .count()
        )
        if complainers >= limit:
            return _("自动下架：%(n)d 位用户举报，达到 %(t)d 人的阈值，待审核人员复核") % {
                "n": complainers,
                "t": limit,
            }
    minimum = conf.auto_withdraw_min_ratings()
    floor = conf.auto_withdraw_rating()
    if minimum > 0 and resource.rating_count >= minimum:
        average = resource.rating_sum / resource.rating_count
        if average < floor:
            return _(
                "自动下架：%(n)d 人评分，平均 %(a).1f 分，低于 %(f).1f 分的阈值，待审核人员复核"
            ) % {"n": resource.rating_count, "a": average, "f": floor}
    return ""


def auto_withdraw_check(*, resource: Resource, request: HttpRequest | None = None) -> bool:
    """Withdraw a locked, published resource through the withdrawal path when complaints
    or ratings reach their thresholds. Called inside the rating and complaint writes."""
    if resource.status != ResourceStatus.PUBLISHED:
        return False
    reason = auto_withdraw_reason(resource)
    if not reason:
        return False
    _take_down(resource, actor=None, reason=reason, request=request, automatic=True)
    return True


# ---------------------------------------------------------------------------- index


def search_index_rebuild(*, batch: int = 5000, say: Any = None) -> int:
    """Rebuild the whole index from the published resources (set-based, one transaction)."""
    backend = search.backend()
    catalog = search.CatalogPaths.load()
    columns = (
        "pk", "rank", "title", "description", "resource_type", "stage", "subject", "edition",
        "grade", "node_id",
    )  # fmt: skip
    done = 0
    with transaction.atomic():
        backend.clear()
        Resource.objects.filter(search_key__isnull=False).update(search_key=None)
        published = Resource.objects.published().order_by("pk")
        last = 0
        while True:
            rows = list(published.filter(pk__gt=last).values(*columns)[:batch])
            if not rows:
                break
            topics = search.topic_pairs([r["pk"] for r in rows])
            docs = []
            for r in rows:
                pk = r.pop("pk")
                r["resource_id"] = pk
                docs.append(search.document(topics=topics.get(pk, []), catalog=catalog, **r))
            backend.add(docs)
            search.store_keys([(d.key.rowid, d.key.resource_id) for d in docs])
            done += len(rows)
            last = docs[-1].key.resource_id
            if say is not None and done % 100_000 < batch:
                say(f"  indexed {done:,}")
        backend.optimize()
        facets_changed()
    return done
