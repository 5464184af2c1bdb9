"""Engagement pages and API: rating, comments, complaints, moderation, statistics,
ranking and recommendations, as the right and the wrong roles."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from eduplus.resources import services
from eduplus.resources.models import Comment, CommentStatus, Complaint, Rating, Resource
from eduplus.resources.tests import factories as rf
from eduplus.testing import factories as f

pytestmark = pytest.mark.django_db

MAX_LIST_QUERIES = 24


def text(response) -> str:  # type: ignore[no-untyped-def]
    return response.content.decode()


def test_a_student_rates_and_comments_and_sees_the_comment_pending(world, as_user, client):
    a = world.a
    resource = rf.published(a, "勾股定理 互动课件")
    as_user(a.users["student"])
    detail = f"/resources/{resource.pk}/"
    page = text(client.get(detail))
    assert 'data-testid="rate-form"' in page and "暂无评分" in page
    assert "还没有评论" in page
    assert client.get(f"/resources/{resource.pk}/rate/").status_code == 405
    response = client.post(f"/resources/{resource.pk}/rate/", {"score": "4"})
    assert response.status_code == 302 and response.url.endswith("#rating")
    response = client.post(
        f"/resources/{resource.pk}/comment/", {"body": "<script>alert(1)</script>好用"}
    )
    assert response.status_code == 302
    page = text(client.get(detail))
    assert "你的评分：4 星" in page and "（1 人评分）" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;好用" in page and "<script>alert" not in page
    assert "待审核" in page and "仅你本人可见" in page
    # Each GET of the page counted one view.
    assert Resource.objects.get(pk=resource.pk).view_count == 2

    as_user(a.users["teacher"])
    assert "alert(1)" not in text(client.get(detail))


def test_bad_input_is_shown_and_changes_nothing(world, as_user, client):
    resource = rf.published(world.a, "坏输入")
    as_user(world.a.users["student"])
    for data in ({}, {"score": "9"}, {"score": "x"}):
        client.post(f"/resources/{resource.pk}/rate/", data)
    client.post(f"/resources/{resource.pk}/comment/", {"body": "   "})
    client.post(f"/resources/{resource.pk}/complain/", {"category": "nope", "text": "x"})
    page = text(client.get(f"/resources/{resource.pk}/", follow=True))
    assert "请选择1到5星" in page or "评论内容不能为空" in page or "举报类型" in page
    assert not Rating.objects.exists() and not Comment.objects.exists()
    assert not Complaint.objects.exists()


def test_engagement_posts_out_of_scope_answer_like_missing_and_roles_without_it_403(
    world, as_user, client
):
    hidden = rf.uploaded(world.b.users["teacher"], "乙县审核中")
    as_user(world.a.users["student"])
    for action in ("rate", "comment", "complain"):
        assert client.post(f"/resources/{hidden.pk}/{action}/", {"score": 5}).status_code == 404
        assert client.post(f"/resources/999999999/{action}/", {"score": 5}).status_code == 404
    published = rf.published(world.a, "家长不能评分")
    as_user(world.a.users["parent"])
    assert client.post(f"/resources/{published.pk}/rate/", {"score": 5}).status_code == 403
    assert not Rating.objects.exists()


def test_engagement_posts_need_the_csrf_token(world, login):
    resource = rf.published(world.a, "CSRF")
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(world.a.users["student"])
    assert strict.post(f"/resources/{resource.pk}/rate/", {"score": 5}).status_code == 403
    assert not Rating.objects.exists()


def test_the_moderator_approves_a_comment_and_everyone_sees_it(world, as_user, client):
    a = world.a
    resource = rf.published(a, "审核评论")
    comment = services.resource_comment(actor=a.users["student"], resource=resource, body="清楚")
    as_user(world.b.users["school_admin"])
    assert "清楚" not in text(client.get("/resources/moderation/"))
    post = f"/resources/comments/{comment.pk}/moderate/"
    assert client.post(post, {"decision": "approve"}).status_code == 404
    as_user(a.users["school_admin"])
    queue = text(client.get("/resources/moderation/"))
    assert "清楚" in queue and "没有待处理的举报" in queue
    assert client.post(post, {"decision": "approve"}).status_code == 302
    assert Comment.objects.get().status == CommentStatus.APPROVED
    assert "没有待审核的评论" in text(client.get("/resources/moderation/"))
    as_user(a.users["teacher"])
    assert "清楚" in text(client.get(f"/resources/{resource.pk}/"))
    assert client.get("/resources/moderation/").status_code == 403


def test_a_complaint_upheld_from_the_queue_withdraws(world, as_user, client):
    a = world.a
    resource = rf.published(a, "举报页面")
    as_user(a.users["student"])
    client.post(f"/resources/{resource.pk}/complain/", {"category": "scientific", "text": "公式错"})
    complaint = Complaint.objects.get()
    as_user(a.users["county_officer"])
    assert "公式错" in text(client.get("/resources/moderation/"))
    client.post(f"/resources/complaints/{complaint.pk}/handle/", {"decision": "uphold"})
    assert Resource.objects.get(pk=resource.pk).is_published  # a reason is required
    client.post(
        f"/resources/complaints/{complaint.pk}/handle/",
        {"decision": "uphold", "resolution": "公式确有错误"},
    )
    assert Resource.objects.get(pk=resource.pk).status == "withdrawn"


def test_the_statistics_page_drills_down_and_exports(world, as_user, client):
    rf.published(world.a, "统计甲")
    rf.published(world.b, "统计乙")
    as_user(world.province_officer)
    page = text(client.get("/resources/stats/"))
    assert "郑州市" in page and "开封市" in page
    page = text(client.get("/resources/stats/?region=410102"))
    assert world.a.school.name in page and world.b.school.name not in page
    csv = client.get("/resources/stats/export.csv?region=4101")
    assert csv["Content-Type"].startswith("text/csv")
    body = csv.content.decode("utf-8-sig")
    assert "中原区" in body and "合计" in body and "开封" not in body
    as_user(world.a.users["county_officer"])
    page = text(client.get(f"/resources/stats/?region={world.b.code}"))
    assert world.b.school.name not in page and world.a.school.name in page
    as_user(world.a.users["teacher"])
    assert client.get("/resources/stats/").status_code == 403


def test_empty_pages_say_what_to_do_next(world, as_user, client):
    as_user(world.a.users["school_admin"])
    assert "这里还没有已发布的资源" in text(client.get("/resources/stats/"))
    assert "没有待审核的评论" in text(client.get("/resources/moderation/"))
    assert "没有符合条件的资源" in text(client.get("/resources/ranking/"))


def test_the_search_page_recommends_when_there_is_no_query(world, as_user, client):
    rf.published(world.a, "推荐给学生")
    as_user(world.a.users["student"])
    page = text(client.get("/resources/"))
    assert "为你推荐" in page and "推荐给学生" in page
    assert "为你推荐" not in text(client.get("/resources/?q=推荐"))


def test_list_pages_run_a_bounded_number_of_queries(
    world, as_user, client, django_assert_max_num_queries
):
    a = world.a
    for i in range(6):
        resource = rf.published(a, f"查询计数{i}")
        user = f.user_with_role("student", school=a.school)
        services.resource_rate(actor=user, resource=resource, score=4)
        services.resource_comment(actor=user, resource=resource, body=f"评论{i}")
        services.resource_complain(actor=user, resource=resource, category="other", text="查")
    as_user(a.users["county_officer"])
    for url in (
        "/resources/moderation/",
        "/resources/stats/",
        "/resources/stats/?region=410102",
        "/resources/ranking/",
        "/resources/ranking/?period=30&subject=math",
        "/resources/",
        f"/resources/{resource.pk}/",
    ):
        with django_assert_max_num_queries(MAX_LIST_QUERIES + 6):
            assert client.get(url).status_code == 200, url
    as_user(a.users["student"])
    with django_assert_max_num_queries(MAX_LIST_QUERIES + 6):
        assert client.get("/resources/").status_code == 200


def test_the_api_rates_comments_and_reports(world, as_user, client):
    a = world.a
    resource = rf.published(a, "API 互动")
    as_user(a.users["student"])
    rated = client.post(
        "/api/resources/ratings",
        json.dumps({"resource_id": resource.pk, "score": 5}),
        content_type="application/json",
    )
    assert rated.status_code == 200 and rated.json()["rating_average"] == 5.0
    bad = client.post(
        "/api/resources/ratings",
        json.dumps({"resource_id": resource.pk, "score": 7}),
        content_type="application/json",
    )
    assert bad.status_code == 400 and "1到5星" in bad.json()["detail"]
    commented = client.post(
        "/api/resources/comments",
        json.dumps({"resource_id": resource.pk, "body": "API 评论"}),
        content_type="application/json",
    )
    assert commented.status_code == 200 and commented.json()["status"] == "pending"
    mine = client.get(f"/api/resources/items/{resource.pk}/comments").json()
    assert [c["body"] for c in mine] == ["API 评论"]
    stats = client.get(f"/api/resources/items/{resource.pk}/stats").json()
    assert stats["ratings"] == 1 and stats["rating_average"] == 5.0
    hidden = rf.uploaded(world.b.users["teacher"], "乙县 API")
    missing = client.post(
        "/api/resources/ratings",
        json.dumps({"resource_id": hidden.pk, "score": 5}),
        content_type="application/json",
    )
    assert missing.status_code == 404
    as_user(a.users["teacher"])
    assert client.get(f"/api/resources/items/{resource.pk}/comments").json() == []
