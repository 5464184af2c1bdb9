"""The pages and the API, as the right and the wrong roles, through the real views."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from eduplus.core.models import AuditEntry
from eduplus.resources.models import Resource, ResourceStatus, Topic
from eduplus.resources.tests import factories as rf

pytestmark = pytest.mark.django_db

# Every logged-in request costs about 7 queries before the view; a list page must stay
# within this whatever the rows.
MAX_LIST_QUERIES = 24


def page(response) -> str:  # type: ignore[no-untyped-def]
    return response.content.decode()


def normalised(response, url: str) -> str:  # type: ignore[no-untyped-def]
    """A page without what differs between two requests: tokens and the path."""
    return re.sub(r"[A-Za-z0-9]{32,}", "<token>", page(response).replace(url, "<url>"))


def body(response) -> bytes:  # type: ignore[no-untyped-def]
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_a_teacher_uploads_it_passes_both_reviews_and_a_student_finds_it(world, as_user, client):
    a = world.a
    as_user(a.users["teacher"])
    upload = client.get("/resources/upload/")
    assert upload.status_code == 200 and "上传并提交审核" in page(upload)
    node = rf.node("junior/math/renjiao/8/down/c2/s1")
    response = client.post(
        "/resources/upload/",
        {
            "file": SimpleUploadedFile("勾股定理.pdf", rf.pdf_bytes("勾股定理课件")),
            "title": "勾股定理 探究课件",
            "resource_type": "courseware",
            "node": node.pk,
            "licence": "cc-by-4.0",
            "description": "赵爽弦图拼图活动",
        },
    )
    resource = Resource.objects.get(title="勾股定理 探究课件")
    assert response.status_code == 302 and response.url == f"/resources/{resource.pk}/"
    assert "待学校审核" in page(client.get(response.url))

    as_user(a.users["school_admin"])
    queue = client.get("/resources/review/school/")
    assert "勾股定理 探究课件" in page(queue)
    review = f"/resources/{resource.pk}/review/school/"
    assert 'data-testid="review-form"' in page(client.get(review))
    assert client.post(review, {"decision": "approve", "reason": ""}).status_code == 302

    as_user(a.users["county_officer"])
    review = f"/resources/{resource.pk}/review/county/"
    refused = client.post(
        review, {"political": "pass", "scientific": "fail", "normative": "pass", "quality": "4"}
    )
    assert "“科学性审查”未通过，请填写原因" in page(refused)
    done = client.post(
        review,
        {
            "political": "pass",
            "scientific": "pass",
            "normative": "pass",
            "quality": "4",
            "comment": "优秀",
        },
    )
    assert done.status_code == 302
    resource.refresh_from_db()
    assert resource.status == ResourceStatus.PUBLISHED and resource.quality == 4

    as_user(world.b.users["student"])
    found = client.get("/resources/", {"q": "勾股"})
    assert "勾股定理 探究课件" in page(found) and "找到 1 个资源" in page(found)
    detail = client.get(f"/resources/{resource.pk}/")
    assert 'data-preview="pdf"' in page(detail)
    assert "审核记录" not in page(detail)  # the review history is not the student's business


def test_upload_errors_are_shown_in_chinese_and_nothing_is_saved(world, as_user, client):
    as_user(world.a.users["teacher"])
    response = client.post(
        "/resources/upload/",
        {
            "file": SimpleUploadedFile("空.pdf", b""),
            "title": "空文件",
            "resource_type": "courseware",
            "topics": [Topic.objects.get(code="safety").pk],
            "licence": "platform",
        },
    )
    assert response.status_code == 200
    assert "文件为空（0 字节），请重新选择文件" in page(response)
    assert not Resource.objects.exists()
    duplicate = rf.uploaded(world.a.users["teacher"], upload=SimpleUploadedFile("a.pdf", b"%PDF-x"))
    response = client.post(
        "/resources/upload/",
        {
            "file": SimpleUploadedFile("b.pdf", b"%PDF-x"),
            "title": "重复",
            "resource_type": "courseware",
            "node": duplicate.node_id,
            "licence": "platform",
        },
    )
    assert f"该文件已在平台中：《{duplicate.title}》" in page(response)
    assert Resource.objects.count() == 1


def test_a_draft_is_invisible_to_other_schools_and_to_students(world, as_user, client):
    draft = rf.uploaded(world.a.users["teacher"], "甲校草稿")
    url = f"/resources/{draft.pk}/"
    for user in (
        world.b.users["teacher"],
        world.a.users["student"],
        world.b.users["county_officer"],
    ):
        as_user(user)
        before = AuditEntry.objects.filter(action="permission.denied").count()
        response = client.get(url)
        assert response.status_code == 404
        assert client.get(f"/resources/{draft.pk}/file/").status_code == 404
        assert client.get(f"/resources/{draft.pk}/download/").status_code == 404
        assert client.get(f"/api/resources/items/{draft.pk}").status_code == 404
        # Forbidden looks like missing, but is audited.
        missing = client.get("/resources/999999999/")
        assert normalised(missing, "/resources/999999999/") == normalised(response, url)
        assert "甲校草稿" not in page(response)
        assert AuditEntry.objects.filter(action="permission.denied").count() > before
    for user in (
        world.a.users["teacher"],
        world.a.users["school_admin"],
        world.a.users["county_officer"],
        world.a.users["city_officer"],
        world.province_officer,
    ):
        as_user(user)
        assert client.get(url).status_code == 200, user


def test_wrong_roles_get_403(world, as_user, client):
    draft = rf.uploaded(world.a.users["teacher"])
    as_user(world.a.users["student"])
    for url in (
        "/resources/upload/",
        "/resources/mine/",
        "/resources/review/school/",
        "/resources/review/county/",
        f"/resources/{draft.pk}/review/school/",
    ):
        assert client.get(url).status_code == 403, url
    assert client.post(f"/resources/{draft.pk}/withdraw/", {"reason": "x"}).status_code == 403
    as_user(world.a.users["teacher"])
    assert client.get(f"/resources/{draft.pk}/review/county/").status_code == 403
    as_user(world.audit_admin)
    assert client.get("/resources/").status_code == 403
    assert client.get("/api/resources/search", {"q": "勾股"}).status_code == 403
    client.logout()
    assert client.get("/resources/").status_code == 302


def test_preview_is_inline_with_byte_ranges_and_a_download_is_counted(world, as_user, client):
    video = rf.uploaded(
        world.a.users["teacher"],
        "勾股定理 微课",
        resource_type="micro_video",
        upload=SimpleUploadedFile("微课.mp4", rf.mp4_bytes(seconds=300)),
    )
    as_user(world.a.users["school_admin"])
    detail = page(client.get(f"/resources/{video.pk}/"))
    assert 'data-preview="video"' in detail and "<video" in detail and "5:00" in detail
    whole = client.get(f"/resources/{video.pk}/file/")
    assert whole.status_code == 200 and whole["Content-Type"] == "video/mp4"
    assert whole["Content-Disposition"].startswith("inline")
    assert "sandbox" in whole["Content-Security-Policy"]
    content = body(whole)
    part = client.get(f"/resources/{video.pk}/file/", HTTP_RANGE="bytes=4-11")
    assert part.status_code == 206 and part["Content-Range"] == f"bytes 4-11/{len(content)}"
    assert body(part) == content[4:12] == b"ftypisom"
    assert client.get(f"/resources/{video.pk}/file/", HTTP_RANGE="bytes=99999-").status_code == 416
    assert AuditEntry.objects.filter(action="resource.download").count() == 0

    download = client.get(f"/resources/{video.pk}/download/")
    assert download.status_code == 200 and body(download) == content
    assert download["Content-Disposition"].startswith("attachment")
    video.refresh_from_db()
    assert video.download_count == 1
    assert AuditEntry.objects.get(action="resource.download").actor == world.a.users["school_admin"]


def test_a_pdf_can_be_framed_by_our_page_and_office_files_are_not_previewed(world, as_user, client):
    pdf = rf.uploaded(world.a.users["teacher"])
    as_user(world.a.users["teacher"])
    response = client.get(f"/resources/{pdf.pk}/file/")
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert response["Content-Security-Policy"] == "frame-ancestors 'self'"
    docx = rf.uploaded(
        world.a.users["teacher"],
        "教学设计",
        resource_type="lesson_plan",
        upload=SimpleUploadedFile("设计.docx", b"PK\x03\x04 word"),
    )
    assert "暂不支持在线预览" in page(client.get(f"/resources/{docx.pk}/"))
    assert client.get(f"/resources/{docx.pk}/file/")["Content-Disposition"].startswith("attachment")


def test_the_author_edits_and_resubmits_a_returned_resource(world, as_user, client):
    a = world.a
    resource = rf.uploaded(a.users["teacher"])
    as_user(a.users["school_admin"])
    client.post(f"/resources/{resource.pk}/review/school/", {"decision": "return", "reason": ""})
    resource.refresh_from_db()
    assert resource.status == ResourceStatus.SUBMITTED  # a return needs a reason
    client.post(
        f"/resources/{resource.pk}/review/school/",
        {"decision": "return", "reason": "请补充课后练习"},
    )
    as_user(a.users["teacher"])
    detail = page(client.get(f"/resources/{resource.pk}/"))
    assert "请补充课后练习" in detail and "重新提交审核" in detail
    response = client.post(
        f"/resources/{resource.pk}/edit/",
        {
            "title": "勾股定理（含课后练习）",
            "resource_type": "courseware",
            "node": resource.node_id,
            "licence": "platform",
            "duration": "99:99",
        },
    )
    assert "秒数应小于60" in page(response)
    client.post(
        f"/resources/{resource.pk}/edit/",
        {
            "title": "勾股定理（含课后练习）",
            "resource_type": "courseware",
            "node": resource.node_id,
            "licence": "platform",
        },
    )
    assert client.post(f"/resources/{resource.pk}/resubmit/").status_code == 302
    resource.refresh_from_db()
    assert (
        resource.title == "勾股定理（含课后练习）" and resource.status == ResourceStatus.SUBMITTED
    )
    assert "勾股定理（含课后练习）" in page(client.get("/resources/mine/"))


def test_an_officer_withdraws_a_published_resource(world, as_user, client):
    resource = rf.published(world.a)
    as_user(world.a.users["county_officer"])
    client.post(f"/resources/{resource.pk}/withdraw/", {"reason": ""})
    resource.refresh_from_db()
    assert resource.is_published
    client.post(f"/resources/{resource.pk}/withdraw/", {"reason": "内容过时"})
    resource.refresh_from_db()
    assert resource.status == ResourceStatus.WITHDRAWN
    assert "勾股定理" not in page(client.get("/resources/", {"q": "勾股"}))


def test_list_pages_run_a_bounded_number_of_queries(
    world, as_user, client, django_assert_max_num_queries
):
    for i in range(6):
        rf.published(world.a, f"勾股定理 第{i}课时", topics=("moral",))
    for i in range(3):
        rf.uploaded(world.a.users["teacher"], f"待审 第{i}课时")
    as_user(world.a.users["school_admin"])
    for url in (
        "/resources/",
        "/resources/?q=勾股",
        "/resources/?q=勾股&type=courseware",
        "/resources/catalog/",
        "/resources/mine/",
        "/resources/review/school/",
    ):
        with django_assert_max_num_queries(MAX_LIST_QUERIES):
            response = client.get(url)
        assert response.status_code == 200, url
    as_user(world.a.users["county_officer"])
    with django_assert_max_num_queries(MAX_LIST_QUERIES):
        assert client.get("/resources/review/county/").status_code == 200


def test_catalog_page_counts_published_resources_per_node(world, as_user, client):
    rf.published(world.a)
    as_user(world.a.users["student"])
    text = page(client.get("/resources/catalog/"))
    assert "勾股定理" in text and "小蝌蚪找妈妈" in text and "心理健康" in text
    assert "资源" in page(client.get("/"))  # the navigation entry


def test_the_api_searches_and_lists_the_catalog(world, as_user, client):
    rf.published(world.a, "二次函数的图象和性质", path="junior/math/renjiao/9/up/c2/s1")
    as_user(world.b.users["parent"])
    data = client.get("/api/resources/search", {"q": "函数", "page": 1}).json()
    assert data["count"] == 1 and not data["count_capped"]
    assert data["items"][0]["title"] == "二次函数的图象和性质"
    assert data["items"][0]["resource_type_label"] == "课件"
    assert data["facets"]["grade"] == [{"value": "9", "label": "九年级", "count": 1}]
    stages = client.get("/api/resources/catalog").json()
    assert [s["name"] for s in stages] == ["小学", "初中", "高中"]
    subjects = client.get("/api/resources/catalog", {"parent": stages[0]["id"]}).json()
    assert [s["name"] for s in subjects] == ["语文", "数学", "英语"]
    one = client.get(f"/api/resources/items/{data['items'][0]['id']}").json()
    assert one["school_name"] == "甲哨兵实验小学"


def test_many_matches_show_results_first_and_load_the_facet_counts_after(
    world, as_user, client, monkeypatch
):
    from eduplus.resources import search

    monkeypatch.setattr(search, "COUNT_CAP", 2)
    for i in range(3):
        rf.published(world.a, f"勾股定理 第{i + 1}课时")
    as_user(world.b.users["student"])
    first = page(client.get("/resources/", {"q": "勾股"}))
    assert "勾股定理 第1课时" in first and 'data-testid="facets-pending"' in first
    assert "找到超过 2 个资源" in first and "?q=%E5%8B%BE%E8%82%A1&amp;facets=1" in first
    partial = client.get("/resources/", {"q": "勾股", "facets": "1"}, HTTP_HX_REQUEST="true")
    text = page(partial)
    assert "<html" not in text and 'data-testid="facets"' in text
    assert 'hx-swap-oob="true"' in text and "找到 3 个资源" in text
    assert 'data-facet="type">课件</a> <span class="muted" data-count>3' in text
    # Without JavaScript the link renders the whole page with the counts; cached after.
    whole = page(client.get("/resources/", {"q": "勾股", "facets": "1"}))
    assert "<html" in whole and "找到 3 个资源" in whole
    assert 'data-testid="facets-pending"' not in page(client.get("/resources/", {"q": "勾股"}))


def test_an_empty_result_suggests_words_that_find_something(world, as_user, client):
    rf.published(world.a, "勾股定理 第一课时")
    rf.published(world.a, "勾股定理的逆定理 教学设计")
    as_user(world.b.users["student"])
    text = page(client.get("/resources/", {"q": "量子力学"}))
    assert "没有找到符合条件的资源" in text
    suggested = re.findall(r'data-testid="suggestion">([^<]+)<', text)
    assert suggested and suggested[0] == "勾股定理"  # the most frequent title word
    found = page(client.get("/resources/", {"q": suggested[0]}))
    assert "没有找到符合条件的资源" not in found and "勾股定理 第一课时" in found
    # nothing published in the suggestion's place: no examples, still a way out
    Resource.objects.update(status=ResourceStatus.WITHDRAWN, status_reason="测试")
    from django.core.cache import cache

    cache.clear()
    text = page(client.get("/resources/", {"q": "量子力学"}))
    assert 'data-testid="suggestion"' not in text and "清除条件" in text
