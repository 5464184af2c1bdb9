"""Resources for tests, made through the services (so history, audit and index are real).

``resource_objects(county)`` and ``public_resource()`` serve the scope walk
(tests/test_scope_walk.py): a county's teacher's resource under school review, and a
published resource of a school outside the sentinel world.
"""

from __future__ import annotations

import itertools
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from eduplus.resources import services
from eduplus.resources.catalog import ensure_catalog
from eduplus.resources.models import CatalogNode, Resource, ResourceType, ReviewCheck, Topic
from eduplus.testing import factories as f

_seq = itertools.count(1)


def pdf_bytes(text: str = "") -> bytes:
    """A small file that starts like a PDF; unique per call unless ``text`` is given."""
    body = text or f"eduplus test document {next(_seq)}"
    return b"%PDF-1.4\n%" + body.encode() + b"\n%%EOF\n"


def pdf_upload(name: str = "课件.pdf", text: str = "") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, pdf_bytes(text), content_type="application/pdf")


def mp4_bytes(seconds: int = 510, timescale: int = 1000) -> bytes:
    """The boxes of an MP4 file (ftyp, moov/mvhd, mdat) with a duration."""
    import struct

    ftyp = struct.pack(">I4s4sI", 20, b"ftyp", b"isom", 512) + b"isom"
    mvhd_body = struct.pack(">B3xIIII", 0, 0, 0, timescale, seconds * timescale) + b"\0" * 80
    mvhd = struct.pack(">I4s", 8 + len(mvhd_body), b"mvhd") + mvhd_body
    moov = struct.pack(">I4s", 8 + len(mvhd), b"moov") + mvhd
    payload = f"video {next(_seq)}".encode() * 50
    mdat = struct.pack(">I4s", 8 + len(payload), b"mdat") + payload
    return ftyp + mdat + moov


def node(path: str) -> CatalogNode:
    ensure_catalog()
    return CatalogNode.objects.get(path=path)


def meta(
    title: str = "勾股定理 第一课时",
    *,
    resource_type: str = ResourceType.COURSEWARE,
    path: str | None = "junior/math/renjiao/8/down/c2/s1",
    topics: tuple[str, ...] = (),
    description: str = "",
    **extra: Any,
) -> services.Metadata:
    return services.Metadata(
        title=title,
        resource_type=resource_type,
        description=description,
        node=node(path) if path else None,
        topics=list(Topic.objects.filter(code__in=topics)),
        **extra,
    )


def uploaded(teacher: Any, title: str = "勾股定理 第一课时", **kwargs: Any) -> Resource:
    """A resource uploaded by ``teacher`` (status submitted)."""
    upload = kwargs.pop("upload", None) or pdf_upload()
    return services.resource_upload(actor=teacher, upload=upload, meta=meta(title, **kwargs))


def passed(**failed: str) -> dict[str, services.CheckResult]:
    """The three county checks, all passed except the ``failed`` ones (with reasons)."""
    return {
        c.value: services.CheckResult(passed=c.value not in failed, reason=failed.get(c.value, ""))
        for c in ReviewCheck
    }


def published(
    county: Any, title: str = "勾股定理 第一课时", *, quality: int = 3, **kwargs: Any
) -> Resource:
    """Uploaded by the county's teacher, approved by its school, published by its officer."""
    resource = uploaded(county.users["teacher"], title, **kwargs)
    resource = services.resource_school_review(
        actor=county.users["school_admin"], resource=resource, approve=True
    )
    return services.resource_county_review(
        actor=county.users["county_officer"], resource=resource, checks=passed(), quality=quality
    )


def resource_objects(county: Any) -> dict[str, Resource]:
    """For the scope walk: the county's teacher's resource awaiting school review
    (seen like the teacher: by the author, the school administrator and the officers
    above). Idempotent within a test."""
    title = f"{county.school.name[:3]}走查资源"
    existing = Resource.objects.filter(title=title).first()
    if existing is None:
        existing = uploaded(county.users["teacher"], title)
    return {"submitted": existing}


def public_resource() -> Resource:
    """For the scope walk: a published resource of a school in 金水区 (410105), outside
    the world's two counties; every role holding resource.view may see it."""
    existing = Resource.objects.filter(title="公开走查资源").first()
    if existing is not None:
        return existing
    school = f.SchoolFactory(name="资源公开测试小学", region=f.region("410105"))
    teacher_person = f.PersonFactory(name="资源公开测试教师")
    f.TeacherFactory(school=school, person=teacher_person)
    teacher = f.user_with_role("teacher", school=school, person=teacher_person)
    admin = f.user_with_role("school_admin", school=school)
    officer = f.user_with_role("county_officer", region="410105")
    resource = uploaded(teacher, "公开走查资源")
    services.resource_school_review(actor=admin, resource=resource, approve=True)
    return services.resource_county_review(actor=officer, resource=resource, checks=passed())


def engagement_objects(county: Any) -> dict[str, Any]:
    """For the scope walk: a published resource of the county's teacher with a pending
    comment and an open complaint by the county's student (moderated like the school:
    its administrator and the officers above). Idempotent within a test."""
    from eduplus.resources.models import Comment, Complaint

    title = f"{county.school.name[:3]}互动资源"
    resource = Resource.objects.filter(title=title).first()
    if resource is None:
        resource = published(county, title)
    student = county.users["student"]
    comment = Comment.objects.filter(resource=resource).first() or services.resource_comment(
        actor=student, resource=resource, body="讲得很清楚"
    )
    complaint = Complaint.objects.filter(resource=resource).first() or services.resource_complain(
        actor=student, resource=resource, category="other", text="第3页有错别字"
    )
    return {"resource": resource, "comment": comment, "complaint": complaint}
