"""The resources module's write path for harvested resources (资源汇聚写入).

``eduplus.aggregation`` fetches entries from another platform's feed, downloads and
verifies the files, and calls these functions to create, update, withdraw or restore
the resources here. They mirror ``services.py``: validate, write inside one
transaction, keep the search index in step, record the history and the audit entry.

A harvested resource has no author account (``author`` is empty, ``author_name`` is the
original author), is filed under the harvesting source's school and region, and is
either published directly (a trusted source) or put in the county review queue
(``school_approved``: there is no school here to check it first).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from eduplus.core.audit import audit_record
from eduplus.regions.models import Region
from eduplus.resources import search
from eduplus.resources.models import (
    CatalogNode,
    Edition,
    EventKind,
    Grade,
    Licence,
    Resource,
    ResourceEvent,
    ResourceStatus,
    ResourceType,
    Stage,
    Subject,
    Topic,
    rank_score,
)
from eduplus.resources.services import facets_changed, stored_content
from eduplus.resources.uploads import TYPE_RULES, CheckedFile, check_upload, max_size
from eduplus.schools.models import School

MAX_REASON = 1000
CHUNK = 64 * 1024


@dataclass(frozen=True)
class HarvestedMetadata:
    """The descriptive part of a feed entry, as harvested (validated by :func:`clean`)."""

    title: str
    resource_type: str
    description: str = ""
    node_path: str = ""
    stage: str = ""
    subject: str = ""
    edition: str = ""
    grade: int | None = None
    topic_codes: tuple[str, ...] = ()
    author_name: str = ""
    licence: str = Licence.PLATFORM
    duration_seconds: int | None = None


@dataclass(frozen=True)
class CleanMetadata:
    title: str
    resource_type: str
    description: str
    node: CatalogNode | None
    stage: str
    subject: str
    edition: str
    grade: int | None
    topics: list[Topic] = field(default_factory=list)
    author_name: str = ""
    licence: str = Licence.PLATFORM
    duration_seconds: int | None = None


def clean(meta: HarvestedMetadata) -> CleanMetadata:
    """Check harvested metadata; ValidationError with Chinese messages when it is unusable.

    The catalog node is looked up by its path of codes (the catalog is the same in every
    installation); an unknown path falls back to its deepest known attachable ancestor,
    and the facets then come from the entry itself.
    """
    errors: dict[str, str] = {}
    title = " ".join(meta.title.split())[:128]
    if not title:
        errors["title"] = _("缺少标题")
    if meta.resource_type not in ResourceType.values:
        errors["resource_type"] = _("未知的资源类型“%(v)s”") % {"v": meta.resource_type}
    if meta.licence not in Licence.values:
        errors["licence"] = _("未知的授权方式“%(v)s”") % {"v": meta.licence}
    if meta.duration_seconds is not None and not 0 < meta.duration_seconds <= 24 * 3600:
        errors["duration_seconds"] = _("时长应在1秒到24小时之间")
    if errors:
        raise ValidationError(errors)
    node = _node_for(meta.node_path)
    if node is not None:
        stage, subject, edition, grade = node.stage, node.subject, node.edition, node.grade
    else:
        stage = meta.stage if meta.stage in Stage.values else ""
        subject = meta.subject if meta.subject in Subject.values else ""
        edition = meta.edition if meta.edition in Edition.values else ""
        grade = meta.grade if meta.grade in Grade.values else None
    topics = list(Topic.objects.filter(code__in=list(meta.topic_codes)).order_by("pk"))
    return CleanMetadata(
        title=title,
        resource_type=meta.resource_type,
        description=meta.description.strip()[:2000],
        node=node,
        stage=stage,
        subject=subject,
        edition=edition,
        grade=grade,
        topics=topics,
        author_name=(" ".join(meta.author_name.split()) or _("未署名"))[:64],
        licence=meta.licence,
        duration_seconds=meta.duration_seconds,
    )


def _node_for(path: str) -> CatalogNode | None:
    parts = [p for p in (path or "").split("/") if p]
    candidates = ["/".join(parts[:i]) for i in range(len(parts), 0, -1)]
    if not candidates:
        return None
    nodes = {n.path: n for n in CatalogNode.objects.filter(path__in=candidates)}
    for candidate in candidates:
        node = nodes.get(candidate)
        if node is not None and node.is_attachable:
            return node
    return None


def _apply(resource: Resource, meta: CleanMetadata) -> None:
    resource.title = meta.title
    resource.description = meta.description
    resource.resource_type = meta.resource_type
    resource.licence = meta.licence
    resource.node = meta.node
    resource.stage = meta.stage
    resource.subject = meta.subject
    resource.edition = meta.edition
    resource.grade = meta.grade
    resource.author_name = meta.author_name
    if meta.duration_seconds is not None:
        resource.duration_seconds = meta.duration_seconds


def _event(resource: Resource, kind: str, label: str, reason: str = "") -> None:
    ResourceEvent.objects.create(
        resource=resource,
        kind=kind,
        actor=None,
        actor_name=label[:64],
        reason=reason[:MAX_REASON],
        created_at=timezone.now(),
    )


def _audit(actor: Any, action: str, resource: Resource, label: str, **details: Any) -> None:
    audit_record(
        actor=actor,
        action=action,
        target_type="resources.resource",
        target_id=str(resource.pk),
        target_repr=resource.title[:255],
        username=f"harvest:{label}"[:150],
        details=details,
    )


# ------------------------------------------------------------------------ files


def harvest_size_limit(resource_type: str) -> int:
    """The largest file a harvested resource of this type may have (as for uploads)."""
    return max_size(resource_type) if resource_type in TYPE_RULES else 0


def check_harvested_file(*, path: Path, file_format: str, resource_type: str) -> CheckedFile:
    """The upload checks (format allowed for the type, size limit, signature) and the
    SHA-256 of a downloaded file. ValidationError keyed by ``file`` when refused."""
    size = path.stat().st_size

    def chunks() -> Any:
        with path.open("rb") as handle:
            while chunk := handle.read(CHUNK):
                yield chunk

    return check_upload(
        name=f"harvested.{file_format}",
        size=size,
        chunks=chunks(),
        resource_type=resource_type,
    )


def resource_with_sha256(sha256: str) -> Resource | None:
    """The resource holding this content, if any (one file is one resource)."""
    return Resource.objects.filter(sha256=sha256).first()


# ------------------------------------------------------------------------ writes


def resource_harvest_create(
    *,
    meta: HarvestedMetadata,
    path: Path,
    file_format: str,
    expected_sha256: str,
    expected_size: int,
    school: School,
    region: Region,
    publish: bool,
    label: str,
    actor: Any = None,
    original_name: str = "",
) -> Resource:
    """Create a harvested resource from a downloaded file.

    The file must pass the upload checks and match the entry's SHA-256 and size. A
    trusted source's resource is published and indexed at once; another one waits in
    the county review queue. Nothing is kept if anything is refused.
    """
    clean_meta = clean(meta)
    checked = check_harvested_file(
        path=path, file_format=file_format, resource_type=clean_meta.resource_type
    )
    if checked.sha256 != expected_sha256.lower():
        raise ValidationError(
            {"file": _("文件内容指纹不符：条目为 %(e)s，下载所得为 %(g)s")
             % {"e": expected_sha256[:12], "g": checked.sha256[:12]}}
        )  # fmt: skip
    if checked.size != expected_size:
        raise ValidationError(
            {"file": _("文件大小不符：条目为 %(e)d 字节，下载所得为 %(g)d 字节")
             % {"e": expected_size, "g": checked.size}}
        )  # fmt: skip
    if Resource.objects.filter(sha256=checked.sha256).exists():
        raise ValidationError({"file": _("该文件已在平台中")})
    now = timezone.now()
    with (
        path.open("rb") as handle,
        stored_content(
            checked.sha256,
            checked.extension,
            lambda: File(handle),
            race_message=_("该文件刚刚已由其他来源写入"),
        ) as name,
        transaction.atomic(),
    ):
        resource = Resource(
            author=None,
            school=school,
            region=region,
            file=name,
            sha256=checked.sha256,
            size=checked.size,
            file_format=checked.extension,
            mime_type=checked.mime_type,
            original_name=(original_name or f"{clean_meta.title}.{checked.extension}")[-255:],
            status=ResourceStatus.PUBLISHED if publish else ResourceStatus.SCHOOL_APPROVED,
            submitted_at=now,
            published_at=now if publish else None,
            quality=3,
            rank=rank_score(3, 0),
        )
        _apply(resource, clean_meta)
        resource.full_clean()
        resource.save()
        resource.topics.set(clean_meta.topics)
        if publish:
            search.index_documents([resource])
            facets_changed()
            _event(
                resource,
                EventKind.PUBLISHED,
                label,
                _("从“%(s)s”汇聚，受信任来源直接发布") % {"s": label},
            )
        else:
            _event(
                resource,
                EventKind.SUBMITTED,
                label,
                _("从“%(s)s”汇聚，待县级审核") % {"s": label},
            )
        _audit(
            actor,
            "resource.harvest_create",
            resource,
            label,
            sha256=checked.sha256,
            size=checked.size,
            published=publish,
        )
    return resource


@transaction.atomic
def resource_harvest_update(
    *, resource: Resource, meta: HarvestedMetadata, label: str, actor: Any = None
) -> list[str]:
    """Apply changed metadata from upstream; a published resource is re-indexed.
    Answers the changed field names (empty: nothing changed)."""
    resource = Resource.objects.select_for_update().get(pk=resource.pk)
    clean_meta = clean(meta)
    if resource.file_format not in TYPE_RULES[clean_meta.resource_type][0]:
        raise ValidationError(
            {"resource_type": _("“%(ext)s”格式的文件不能作为“%(type)s”")
             % {"ext": resource.file_format, "type": ResourceType(clean_meta.resource_type).label}}
        )  # fmt: skip
    fields = (
        "title", "description", "resource_type", "licence", "node_id", "stage", "subject",
        "edition", "grade", "author_name", "duration_seconds",
    )  # fmt: skip
    before = {f: getattr(resource, f) for f in fields}
    topics_before = set(resource.topics.values_list("pk", flat=True))
    _apply(resource, clean_meta)
    resource.full_clean()
    changed = [f for f in fields if getattr(resource, f) != before[f]]
    if topics_before != {t.pk for t in clean_meta.topics}:
        changed.append("topics")
    if not changed:
        return []
    resource.save()
    resource.topics.set(clean_meta.topics)
    if resource.is_published:
        search.reindex([resource])
        facets_changed()
    _event(
        resource,
        EventKind.EDITED,
        label,
        _("来源平台更新了：%(f)s") % {"f": "、".join(changed)},
    )
    _audit(actor, "resource.harvest_update", resource, label, changed=changed)
    return changed


@transaction.atomic
def resource_harvest_withdraw(
    *, resource: Resource, reason: str, label: str, actor: Any = None
) -> Resource:
    """下架 because the origin withdrew it; the reason is the origin's."""
    resource = Resource.objects.select_for_update().get(pk=resource.pk)
    text = _("来源平台已下架") + (f"：{reason.strip()}" if reason.strip() else "")
    text = text[:MAX_REASON]
    if resource.status == ResourceStatus.WITHDRAWN:
        return resource
    if resource.is_published:
        search.unindex([resource])
        facets_changed()
    previous = resource.status
    resource.status = ResourceStatus.WITHDRAWN
    resource.status_reason = text
    resource.full_clean()
    resource.save()
    _event(resource, EventKind.AUTO_WITHDRAWN, label, text)
    _audit(actor, "resource.harvest_withdraw", resource, label, reason=text, previous=previous)
    return resource


@transaction.atomic
def resource_harvest_restore(
    *, resource: Resource, publish: bool, label: str, actor: Any = None
) -> Resource:
    """The origin published a resource again that it had withdrawn: publish it again
    (trusted source) or send it back to the county review queue."""
    resource = Resource.objects.select_for_update().get(pk=resource.pk)
    if resource.status != ResourceStatus.WITHDRAWN:
        return resource
    now = timezone.now()
    resource.status_reason = ""
    if publish:
        resource.status = ResourceStatus.PUBLISHED
        resource.published_at = resource.published_at or now
    else:
        resource.status = ResourceStatus.SCHOOL_APPROVED
        resource.submitted_at = now
    resource.full_clean()
    resource.save()
    if publish:
        search.index_documents([resource])
        facets_changed()
        _event(resource, EventKind.PUBLISHED, label, _("来源平台重新发布，受信任来源直接发布"))
    else:
        _event(resource, EventKind.RESUBMITTED, label, _("来源平台重新发布，待县级审核"))
    _audit(actor, "resource.harvest_restore", resource, label, published=publish)
    return resource


def parse_time(value: Any) -> dt.datetime | None:
    """An ISO 8601 time from a feed entry, or None."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed, dt.UTC)
    return parsed
