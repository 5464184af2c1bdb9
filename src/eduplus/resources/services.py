"""Writes of the resources module: upload, edit, review, withdrawal, downloads, index.

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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from eduplus.core.audit import audit_record
from eduplus.core.permissions import user_can
from eduplus.core.roles import Action
from eduplus.core.scoping import scope_for
from eduplus.resources import search
from eduplus.resources.models import (
    AUTHOR_EDITABLE,
    RESUBMITTABLE,
    CatalogNode,
    EventKind,
    FeaturedLevel,
    Licence,
    Resource,
    ResourceEvent,
    ResourceStatus,
    ResourceType,
    ReviewCheck,
    Topic,
    rank_score,
)
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

    field_storage = Resource._meta.get_field("file").storage  # type: ignore[attr-defined]
    name = storage_name(checked.sha256, checked.extension)
    written = False
    if not field_storage.exists(name):
        upload.seek(0)
        name = field_storage.save(name, upload)
        written = True
    try:
        with transaction.atomic():
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
    except (ValidationError, IntegrityError) as exc:
        if written and not Resource.objects.filter(file=name).exists():
            field_storage.delete(name)
        if isinstance(exc, IntegrityError):
            # A concurrent upload of the same file won the race.
            raise ValidationError({"file": _("该文件刚刚已由其他用户上传")}) from exc
        raise
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
    resource.rank = rank_score(quality, resource.download_count)
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
    search.unindex([resource])
    resource.status = ResourceStatus.WITHDRAWN
    resource.status_reason = reason
    resource.full_clean()
    resource.save()
    facets_changed()
    _event(resource, EventKind.WITHDRAWN, actor, reason=reason)
    _audit(actor, "resource.withdraw", resource, request, reason=reason)
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
    resource.save(update_fields=["featured_level", "featured_at", "updated_at"])
    _event(resource, EventKind.FEATURED, actor, reason=reason)
    _audit(actor, "resource.feature", resource, request, level=level, reason=reason)
    return resource


# ------------------------------------------------------------------------ downloads


@transaction.atomic
def resource_download_record(
    *, actor: Any, resource: Resource, request: HttpRequest | None = None
) -> Resource:
    """Count one download (audited). The use raises the rank: the index follows."""
    resource = _locked(resource)
    old_rank = resource.rank
    resource.download_count += 1
    resource.rank = rank_score(resource.quality, resource.download_count)
    resource.save(update_fields=["download_count", "rank"])
    if resource.is_published and resource.rank != old_rank:
        search.rerank(resource)
    _audit(actor, "resource.download", resource, request, downloads=resource.download_count)
    return resource


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
