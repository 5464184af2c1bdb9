"""Upload, review, withdrawal and downloads through the services: state, history, audit."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from eduplus.core.models import AuditEntry
from eduplus.resources import services
from eduplus.resources.models import EventKind, Resource, ResourceStatus, rank_score
from eduplus.resources.tests import factories as rf
from eduplus.resources.uploads import mp4_duration_seconds

pytestmark = pytest.mark.django_db


def media_files(settings) -> list[Path]:  # type: ignore[no-untyped-def]
    root = Path(settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_an_upload_is_hashed_stored_by_content_and_submitted_to_the_school(world, settings):
    teacher = world.a.users["teacher"]
    content = rf.pdf_bytes("小蝌蚪找妈妈 教学设计")
    upload = SimpleUploadedFile("小蝌蚪找妈妈.pdf", content, content_type="application/pdf")
    resource = services.resource_upload(
        actor=teacher,
        upload=upload,
        meta=rf.meta("小蝌蚪找妈妈 教学设计", path="primary/chinese/tongbian/2/up/c1/s1"),
    )
    assert resource.status == ResourceStatus.SUBMITTED
    assert resource.school == world.a.school and resource.region_id == "410102"
    assert (resource.stage, resource.subject, resource.edition, resource.grade) == (
        "primary",
        "chinese",
        "tongbian",
        2,
    )
    assert resource.size == len(content) and resource.file_format == "pdf"
    assert resource.original_name == "小蝌蚪找妈妈.pdf"
    stored = Path(settings.MEDIA_ROOT) / resource.file.name
    assert stored.read_bytes() == content
    assert resource.file.name == f"resources/{resource.sha256[:2]}/{resource.sha256}.pdf"
    assert [e.kind for e in resource.events.all()] == [EventKind.SUBMITTED]
    entry = AuditEntry.objects.get(action="resource.upload")
    assert entry.actor == teacher and entry.target_id == str(resource.pk)
    assert entry.details["sha256"] == resource.sha256


def test_the_same_file_twice_is_one_resource(world, settings):
    content = rf.pdf_bytes("同一个文件")
    first = services.resource_upload(
        actor=world.a.users["teacher"],
        upload=SimpleUploadedFile("a.pdf", content),
        meta=rf.meta("第一次上传"),
    )
    with pytest.raises(ValidationError) as own:
        services.resource_upload(
            actor=world.a.users["school_admin"],
            upload=SimpleUploadedFile("renamed.pdf", content),
            meta=rf.meta("换个名字再传"),
        )
    # The school administrator sees the first one, so it is named.
    assert "《第一次上传》" in own.value.messages[0]
    with pytest.raises(ValidationError) as other:
        services.resource_upload(
            actor=world.b.users["teacher"],
            upload=SimpleUploadedFile("b.pdf", content),
            meta=rf.meta("另一个县"),
        )
    # Another county's teacher does not see the draft: its title is not revealed.
    assert "已由其他用户上传" in other.value.messages[0] and "第一次" not in other.value.messages[0]
    assert Resource.objects.count() == 1 and Resource.objects.get() == first
    assert len(media_files(settings)) == 1


def test_an_upload_that_loses_the_race_keeps_neither_row_nor_file(world, settings, monkeypatch):
    """The database refuses the row after the file was written (a concurrent upload of
    the same bytes committed first): the upload says so and leaves no file behind."""
    from django.db import IntegrityError

    def refuse(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise IntegrityError("UNIQUE constraint failed: resources_resource.sha256")

    monkeypatch.setattr(services, "_event", refuse)
    with pytest.raises(ValidationError) as exc:
        services.resource_upload(
            actor=world.a.users["teacher"],
            upload=SimpleUploadedFile("a.pdf", rf.pdf_bytes("竞争上传")),
            meta=rf.meta("竞争上传"),
        )
    assert exc.value.message_dict == {"file": ["该文件刚刚已由其他用户上传"]}
    assert Resource.objects.count() == 0
    assert media_files(settings) == []


@pytest.mark.parametrize(
    ("name", "content", "rtype", "message"),
    [
        ("空文件.pdf", b"", "courseware", "文件为空"),
        ("程序.exe", b"MZ\x90\x00", "courseware", "只接受以下格式：pptx、ppt、pdf"),
        ("伪装.pdf", b"MZ\x90\x00this is no pdf", "courseware", "文件内容与扩展名“pdf”不符"),
        ("视频.mp4", rf.mp4_bytes(), "lesson_plan", "“教学设计”只接受以下格式"),
        ("无扩展名", b"%PDF-1.4", "courseware", "该文件的格式为“无扩展名”"),
    ],
)
def test_bad_files_are_refused_in_chinese_and_nothing_is_kept(
    world, settings, name, content, rtype, message
):
    with pytest.raises(ValidationError) as exc:
        services.resource_upload(
            actor=world.a.users["teacher"],
            upload=SimpleUploadedFile(name, content),
            meta=rf.meta("坏文件", resource_type=rtype),
        )
    assert any(message in m for m in exc.value.messages), exc.value.messages
    assert not Resource.objects.exists() and not media_files(settings)
    assert not AuditEntry.objects.filter(action="resource.upload").exists()


def test_a_file_over_the_limit_is_refused(world, settings):
    settings.RESOURCES_MAX_UPLOAD_BYTES = 1024
    with pytest.raises(ValidationError) as exc:
        services.resource_upload(
            actor=world.a.users["teacher"],
            upload=SimpleUploadedFile("大文件.pdf", b"%PDF-1.4\n" + b"0" * 2048),
            meta=rf.meta("大文件"),
        )
    assert "文件过大：2 KB，“课件”最大 1 KB" in exc.value.messages[0]
    assert not Resource.objects.exists() and not media_files(settings)


def test_metadata_is_checked_before_anything_is_stored(world, settings):
    with pytest.raises(ValidationError) as exc:
        services.resource_upload(
            actor=world.a.users["teacher"],
            upload=rf.pdf_upload(),
            meta=rf.meta("  ", path=None),
        )
    assert exc.value.message_dict == {
        "title": ["请填写标题"],
        "node": ["请选择教材章节或至少一个专题"],
    }
    assert not media_files(settings)


def test_only_school_staff_upload(world):
    for user in (world.a.users["student"], world.a.users["county_officer"]):
        with pytest.raises(ValidationError, match="只有学校的教师和学校管理员可以上传资源"):
            services.resource_upload(actor=user, upload=rf.pdf_upload(), meta=rf.meta())


def test_a_video_reports_its_duration():
    assert mp4_duration_seconds(io.BytesIO(rf.mp4_bytes(seconds=512))) == 512
    assert mp4_duration_seconds(io.BytesIO(b"not a video at all")) is None


def test_an_mp4_upload_gets_its_duration(world):
    resource = rf.uploaded(
        world.a.users["teacher"],
        "勾股定理 微课",
        resource_type="micro_video",
        upload=SimpleUploadedFile("微课.mp4", rf.mp4_bytes(seconds=498)),
    )
    assert resource.duration_seconds == 498 and resource.duration_label == "8:18"
    assert resource.mime_type == "video/mp4"


def test_the_whole_review_is_history_and_audit(world):
    a = world.a
    resource = rf.uploaded(a.users["teacher"], "二次函数的图象和性质")
    resource = services.resource_school_review(
        actor=a.users["school_admin"], resource=resource, approve=True, reason="同意推荐"
    )
    assert resource.status == ResourceStatus.SCHOOL_APPROVED
    resource = services.resource_county_review(
        actor=a.users["county_officer"], resource=resource, checks=rf.passed(), quality=5
    )
    assert resource.status == ResourceStatus.PUBLISHED and resource.published_at
    assert resource.quality == 5 and resource.rank == rank_score(5, 0) == 500
    events = list(resource.events.order_by("id"))
    assert [e.kind for e in events] == ["submitted", "school_approved", "published"]
    assert [e.actor for e in events] == [
        a.users[r] for r in ("teacher", "school_admin", "county_officer")
    ]
    assert events[1].reason == "同意推荐"
    assert events[2].checks == {
        "political": {"passed": True, "reason": ""},
        "scientific": {"passed": True, "reason": ""},
        "normative": {"passed": True, "reason": ""},
    }
    actions = list(
        AuditEntry.objects.filter(target_type="resources.resource", target_id=str(resource.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["resource.upload", "resource.school_approve", "resource.publish"]


def test_a_failed_check_needs_a_reason_and_returns_the_resource_with_it(world):
    a = world.a
    resource = rf.uploaded(a.users["teacher"])
    services.resource_school_review(actor=a.users["school_admin"], resource=resource, approve=True)
    with pytest.raises(ValidationError) as exc:
        services.resource_county_review(
            actor=a.users["county_officer"],
            resource=resource,
            checks={**rf.passed(), "scientific": services.CheckResult(passed=False)},
        )
    assert exc.value.message_dict == {"scientific": ["“科学性审查”未通过，请填写原因"]}
    resource = services.resource_county_review(
        actor=a.users["county_officer"],
        resource=resource,
        checks=rf.passed(scientific="例题2的结论有误", normative="图表缺少来源"),
    )
    assert resource.status == ResourceStatus.RETURNED
    assert (
        resource.status_reason
        == "科学性审查未通过：例题2的结论有误；规范性审查未通过：图表缺少来源"
    )
    last = resource.events.order_by("-id").first()
    assert last.kind == EventKind.COUNTY_RETURNED
    assert last.checks["scientific"] == {"passed": False, "reason": "例题2的结论有误"}
    assert AuditEntry.objects.filter(action="resource.county_return").count() == 1

    # The author corrects and resubmits: the review starts again at the school.
    resource = services.resource_update(
        actor=a.users["teacher"], resource=resource, meta=rf.meta("勾股定理 第一课时（修订）")
    )
    resource = services.resource_resubmit(actor=a.users["teacher"], resource=resource)
    assert resource.status == ResourceStatus.SUBMITTED
    assert [e.kind for e in resource.events.order_by("id")][-2:] == ["edited", "resubmitted"]


def test_a_school_return_needs_a_reason(world):
    a = world.a
    resource = rf.uploaded(a.users["teacher"])
    with pytest.raises(ValidationError, match="退回时请填写原因"):
        services.resource_school_review(
            actor=a.users["school_admin"], resource=resource, approve=False, reason="  "
        )
    resource = services.resource_school_review(
        actor=a.users["school_admin"], resource=resource, approve=False, reason="缺少教学反思"
    )
    assert resource.status == ResourceStatus.RETURNED and resource.status_reason == "缺少教学反思"


def test_reviewers_act_only_on_their_own_schools_and_steps(world):
    a, b = world.a, world.b
    resource = rf.uploaded(a.users["teacher"])
    with pytest.raises(ValidationError, match="只有资源所在学校的管理员"):
        services.resource_school_review(
            actor=b.users["school_admin"], resource=resource, approve=True
        )
    with pytest.raises(ValidationError, match="不在县级审核环节"):
        services.resource_county_review(
            actor=a.users["county_officer"], resource=resource, checks=rf.passed()
        )
    services.resource_school_review(actor=a.users["school_admin"], resource=resource, approve=True)
    with pytest.raises(ValidationError, match="只有资源所在县（区）的教育管理者"):
        services.resource_county_review(
            actor=b.users["county_officer"], resource=resource, checks=rf.passed()
        )
    # A city officer reviews for the city's schools too (市直学校 have no county).
    done = services.resource_county_review(
        actor=a.users["city_officer"], resource=resource, checks=rf.passed()
    )
    assert done.is_published


def test_nobody_reviews_their_own_upload(world):
    admin = world.a.users["school_admin"]
    resource = rf.uploaded(admin, "学校管理员自己上传的资源")
    with pytest.raises(ValidationError, match="不能审核自己上传的资源"):
        services.resource_school_review(actor=admin, resource=resource, approve=True)


def test_withdrawal_needs_a_reason_and_is_history(world):
    a = world.a
    resource = rf.published(a)
    with pytest.raises(ValidationError, match="下架时请填写原因"):
        services.resource_withdraw(actor=a.users["county_officer"], resource=resource, reason="")
    with pytest.raises(ValidationError, match="只有资源所在区域的教育管理者可以下架资源"):
        services.resource_withdraw(
            actor=world.b.users["county_officer"], resource=resource, reason="不该由我下架"
        )
    resource = services.resource_withdraw(
        actor=world.province_officer, resource=resource, reason="收到版权投诉，核实中"
    )
    assert resource.status == ResourceStatus.WITHDRAWN
    assert resource.status_reason == "收到版权投诉，核实中"
    assert resource.events.order_by("-id").first().kind == EventKind.WITHDRAWN
    assert AuditEntry.objects.get(action="resource.withdraw").actor == world.province_officer


def test_only_the_author_edits_a_resource_in_review_and_a_county_reviewer_any_time(world):
    a = world.a
    resource = rf.uploaded(a.users["teacher"])
    services.resource_school_review(actor=a.users["school_admin"], resource=resource, approve=True)
    with pytest.raises(ValidationError, match="只有作者"):
        services.resource_update(actor=a.users["teacher"], resource=resource, meta=rf.meta("改"))
    with pytest.raises(ValidationError, match="只有作者"):
        services.resource_update(
            actor=a.users["school_admin"], resource=resource, meta=rf.meta("改")
        )
    done = services.resource_update(
        actor=a.users["county_officer"], resource=resource, meta=rf.meta("勾股定理（县级订正）")
    )
    assert done.title == "勾股定理（县级订正）"


def test_a_changed_type_must_still_accept_the_file(world):
    resource = rf.uploaded(world.a.users["teacher"])
    with pytest.raises(ValidationError, match="“pdf”格式的文件不能作为“微课视频”"):
        services.resource_update(
            actor=world.a.users["teacher"],
            resource=resource,
            meta=rf.meta(resource_type="micro_video"),
        )


def test_downloads_are_counted_audited_and_raise_the_rank(world):
    resource = rf.published(world.a)
    for _ in range(3):
        resource = services.resource_download_record(
            actor=world.b.users["student"], resource=resource
        )
    assert resource.download_count == 3 and resource.rank == rank_score(3, 3) == 380
    assert AuditEntry.objects.filter(action="resource.download").count() == 3
