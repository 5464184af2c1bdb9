"""Engagement services: ratings (评分), reviewed comments (评论), complaints (举报) with
automatic withdrawal (自动下架), usage (使用统计), ranking and recommendations."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from eduplus.core.models import AuditEntry
from eduplus.resources import search, selectors, services
from eduplus.resources.models import (
    CatalogNode,
    Comment,
    CommentStatus,
    Complaint,
    ComplaintStatus,
    EventKind,
    Rating,
    Resource,
    ResourceActivity,
    ResourceStatus,
    ResourceUsage,
    rank_score,
)
from eduplus.resources.signals import resource_event
from eduplus.resources.tests import factories as rf
from eduplus.testing import factories as f

pytestmark = pytest.mark.django_db


def fresh(resource: Resource) -> Resource:
    return Resource.objects.get(pk=resource.pk)


@pytest.fixture
def events() -> Any:
    got: list[dict[str, Any]] = []

    def receiver(sender: Any, **kwargs: Any) -> None:
        got.append(kwargs)

    resource_event.connect(receiver, weak=False)
    yield got
    resource_event.disconnect(receiver)


def raters(county: Any, n: int) -> list[Any]:
    return [f.user_with_role("student", school=county.school) for _ in range(n)]


# -------------------------------------------------------------------- the rank


def test_the_rank_without_ratings_is_the_old_score_and_ratings_and_featured_move_it():
    assert rank_score(3, 0) == 300
    assert rank_score(5, 1000) == round(500 + 40 * 9.967)
    # Five 1-star ratings weigh like the reviewer's prior: 3 → 2 stars.
    assert rank_score(3, 0, rating_sum=5, rating_count=5) == 200
    assert rank_score(3, 0, featured_level="province") == 450
    assert rank_score(5, 2**100, featured_level="province") == 4095


# ------------------------------------------------------------------- ratings


def test_a_rating_is_one_per_user_changeable_and_moves_rank_and_index(world, events):
    a = world.a
    resource = rf.published(a, "勾股定理 评分课件")
    student = a.users["student"]
    with_rank_before = fresh(resource).rank
    rating = services.resource_rate(actor=student, resource=resource, score=5)
    r = fresh(resource)
    assert (r.rating_count, r.rating_sum, r.rating_average) == (1, 5, 5.0)
    assert r.rank > with_rank_before
    # The index moved with the rank: its key carries the new rank.
    assert search.IndexKey.of_rowid(r.search_key).rank == r.rank  # type: ignore[arg-type]
    services.resource_rate(actor=student, resource=resource, score="2")
    r = fresh(resource)
    assert (r.rating_count, r.rating_sum) == (1, 2)
    assert Rating.objects.filter(resource=resource).count() == 1
    assert Rating.objects.get(pk=rating.pk).score == 2
    assert AuditEntry.objects.filter(action="resource.rate").count() == 2


def test_ratings_send_the_rated_event_after_the_commit(
    world, events, django_capture_on_commit_callbacks
):
    resource = rf.published(world.a, "勾股定理 事件课件")
    with django_capture_on_commit_callbacks(execute=True):
        services.resource_rate(actor=world.a.users["student"], resource=resource, score=4)
    assert [(e["verb"], e["extra"]) for e in events] == [("rated", {"score": 4})]
    assert events[0]["user"] == world.a.users["student"]
    assert events[0]["resource"].pk == resource.pk


@pytest.mark.parametrize("score", [0, 6, -1, "", "五", None, True, 3.5])
def test_a_bad_score_is_refused_and_changes_nothing(world, score):
    resource = rf.published(world.a, "勾股定理 坏评分")
    with pytest.raises(ValidationError) as exc:
        services.resource_rate(actor=world.a.users["student"], resource=resource, score=score)
    assert "1到5星" in str(exc.value)
    assert not Rating.objects.exists()
    assert fresh(resource).rating_count == 0


def test_only_published_resources_are_rated_by_roles_with_the_action(world):
    a = world.a
    submitted = rf.uploaded(a.users["teacher"], "未发布的资源")
    with pytest.raises(ValidationError, match="只有已发布的资源"):
        services.resource_rate(actor=a.users["teacher"], resource=submitted, score=4)
    published = rf.published(a, "已发布的资源")
    with pytest.raises(ValidationError, match="不能给自己上传的资源评分"):
        services.resource_rate(actor=a.users["teacher"], resource=published, score=5)
    with pytest.raises(ValidationError, match="你的角色不能"):
        services.resource_rate(actor=a.users["parent"], resource=published, score=4)
    with pytest.raises(ValidationError, match="你的角色不能"):
        services.resource_rate(actor=a.users["county_officer"], resource=published, score=4)
    # A student elsewhere cannot reach a resource still under review at all.
    with pytest.raises(ValidationError):
        services.resource_rate(actor=world.b.users["student"], resource=submitted, score=4)
    assert not Rating.objects.exists()


def test_the_database_holds_one_rating_per_user_and_1_to_5(world):
    resource = rf.published(world.a, "约束测试")
    user = world.a.users["student"]
    now = timezone.now()
    Rating.objects.create(resource=resource, user=user, score=3, created_at=now, updated_at=now)
    with pytest.raises(IntegrityError), transaction.atomic():
        Rating.objects.create(resource=resource, user=user, score=4, created_at=now, updated_at=now)
    other = world.a.users["teacher"]
    with pytest.raises(IntegrityError), transaction.atomic():
        Rating.objects.create(
            resource=resource, user=other, score=6, created_at=now, updated_at=now
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        Resource.objects.filter(pk=resource.pk).update(rating_count=1, rating_sum=9)


# ------------------------------------------------------------------ comments


def test_a_comment_is_pending_until_a_moderator_of_its_school_approves_it(world, events):
    a = world.a
    resource = rf.published(a, "评论测试课件")
    student = a.users["student"]
    comment = services.resource_comment(actor=student, resource=resource, body="  很有帮助  ")
    assert comment.status == CommentStatus.PENDING and comment.body == "很有帮助"
    teacher = a.users["teacher"]
    assert list(selectors.resource_comments(teacher, resource)) == []
    assert list(selectors.resource_comments(student, resource)) == [comment]
    assert list(selectors.moderation_comments(a.users["school_admin"])) == [comment]
    assert list(selectors.moderation_comments(world.b.users["school_admin"])) == []
    assert list(selectors.moderation_comments(world.b.users["county_officer"])) == []

    for outsider in (world.b.users["school_admin"], world.b.users["county_officer"], teacher):
        with pytest.raises(ValidationError, match="只有资源所在学校或区域"):
            services.comment_moderate(actor=outsider, comment=comment, approve=True)
    assert Comment.objects.get(pk=comment.pk).status == CommentStatus.PENDING

    services.comment_moderate(actor=a.users["school_admin"], comment=comment, approve=True)
    assert list(selectors.resource_comments(teacher, resource)) == [Comment.objects.get()]
    assert fresh(resource).comment_count == 1
    with pytest.raises(ValidationError, match="已审核"):
        services.comment_moderate(actor=a.users["county_officer"], comment=comment, approve=False)


def test_a_rejection_needs_a_reason_and_the_writer_sees_it(world):
    a = world.a
    resource = rf.published(a, "评论退回")
    comment = services.resource_comment(actor=a.users["student"], resource=resource, body="广告")
    officer = a.users["city_officer"]
    with pytest.raises(ValidationError, match="请填写原因"):
        services.comment_moderate(actor=officer, comment=comment, approve=False, reason=" ")
    with pytest.raises(ValidationError, match="300"):
        services.comment_moderate(actor=officer, comment=comment, approve=False, reason="x" * 301)
    assert Comment.objects.get(pk=comment.pk).status == CommentStatus.PENDING
    services.comment_moderate(actor=officer, comment=comment, approve=False, reason="与资源无关")
    mine = list(selectors.resource_comments(a.users["student"], resource))
    assert [(c.status, c.reason) for c in mine] == [("rejected", "与资源无关")]
    assert fresh(resource).comment_count == 0
    assert AuditEntry.objects.filter(action="resource.comment_reject").count() == 1


@pytest.mark.parametrize(
    ("body", "message"),
    [("", "不能为空"), ("   \n ", "不能为空"), ("\x00\x01", "不能为空"), ("长" * 501, "500")],
)
def test_bad_comments_are_refused_and_nothing_is_saved(world, body, message):
    resource = rf.published(world.a, "坏评论")
    with pytest.raises(ValidationError, match=message):
        services.resource_comment(actor=world.a.users["student"], resource=resource, body=body)
    assert not Comment.objects.exists()


def test_pending_comments_are_limited_per_user(world):
    resource = rf.published(world.a, "刷屏")
    student = world.a.users["student"]
    for i in range(services.MAX_PENDING_COMMENTS):
        services.resource_comment(actor=student, resource=resource, body=f"第{i}条")
    with pytest.raises(ValidationError, match="等待审核"):
        services.resource_comment(actor=student, resource=resource, body="又一条")


def test_comments_and_views_send_their_events(world, events, django_capture_on_commit_callbacks):
    resource = rf.published(world.a, "事件")
    student = world.a.users["student"]
    with django_capture_on_commit_callbacks(execute=True):
        comment = services.resource_comment(actor=student, resource=resource, body="好")
        services.resource_view_record(actor=student, resource=resource)
        services.resource_download_record(actor=student, resource=resource)
    assert [(e["verb"], e["extra"]) for e in events] == [
        ("commented", {"comment_id": comment.pk}),
        ("viewed", {}),
        ("downloaded", {}),
    ]


def test_an_upload_sends_shared(world, events, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        resource = rf.uploaded(world.a.users["teacher"], "分享")
    assert [(e["verb"], e["resource"].pk) for e in events] == [("shared", resource.pk)]


# ---------------------------------------------------------------- complaints


def test_a_complaint_is_one_per_user_and_checked(world):
    resource = rf.published(world.a, "举报测试")
    student = world.a.users["student"]
    with pytest.raises(ValidationError, match="举报类型"):
        services.resource_complain(actor=student, resource=resource, category="x", text="错")
    with pytest.raises(ValidationError, match="理由"):
        services.resource_complain(actor=student, resource=resource, category="other", text=" ")
    assert not Complaint.objects.exists()
    services.resource_complain(actor=student, resource=resource, category="scientific", text="错")
    with pytest.raises(ValidationError, match="已经举报"):
        services.resource_complain(actor=student, resource=resource, category="other", text="再")
    assert Complaint.objects.count() == 1


def test_enough_complainers_withdraw_it_automatically(world, settings):
    settings.RESOURCES_AUTO_WITHDRAW_COMPLAINTS = 3
    resource = rf.published(world.a, "自动下架 举报")
    users = raters(world.a, 3)
    for user in users[:2]:
        services.resource_complain(actor=user, resource=resource, category="other", text="有误")
    assert fresh(resource).status == ResourceStatus.PUBLISHED
    services.resource_complain(actor=users[2], resource=resource, category="other", text="有误")
    r = fresh(resource)
    assert r.status == ResourceStatus.WITHDRAWN and r.search_key is None
    assert "3 位用户举报" in r.status_reason
    event = r.events.get(kind=EventKind.AUTO_WITHDRAWN)
    assert event.actor is None and event.actor_name == "平台自动处理"
    audit = AuditEntry.objects.get(action="resource.withdraw")
    assert audit.details["automatic"] is True and audit.actor is None
    found = selectors.search_resources(world.b.users["student"], selectors.SearchFilters(q="自动"))
    assert found.items == []


def test_a_low_average_with_enough_ratings_withdraws_it(world, settings):
    settings.RESOURCES_AUTO_WITHDRAW_MIN_RATINGS = 4
    settings.RESOURCES_AUTO_WITHDRAW_RATING = 2.0
    resource = rf.published(world.a, "自动下架 评分")
    users = raters(world.a, 4)
    for user in users[:3]:
        services.resource_rate(actor=user, resource=resource, score=1)
    assert fresh(resource).status == ResourceStatus.PUBLISHED  # only 3 ratings
    services.resource_rate(actor=users[3], resource=resource, score=2)
    r = fresh(resource)
    assert r.status == ResourceStatus.WITHDRAWN
    assert "平均 1.2 分" in r.status_reason and "低于 2.0" in r.status_reason


def test_the_defaults_leave_a_few_complaints_alone(world):
    resource = rf.published(world.a, "阈值默认")
    for user in raters(world.a, 4):
        services.resource_complain(actor=user, resource=resource, category="other", text="有误")
    assert fresh(resource).status == ResourceStatus.PUBLISHED


def test_a_moderator_upholds_a_complaint_and_the_resource_is_withdrawn(world):
    a = world.a
    resource = rf.published(a, "举报成立")
    complaint = services.resource_complain(
        actor=a.users["student"], resource=resource, category="copyright", text="抄袭教材"
    )
    with pytest.raises(ValidationError, match="只有资源所在学校或区域"):
        services.complaint_handle(
            actor=world.b.users["county_officer"], complaint=complaint, uphold=True, resolution="x"
        )
    with pytest.raises(ValidationError, match="处理意见"):
        services.complaint_handle(actor=a.users["school_admin"], complaint=complaint, uphold=True)
    assert fresh(resource).status == ResourceStatus.PUBLISHED
    services.complaint_handle(
        actor=a.users["school_admin"], complaint=complaint, uphold=True, resolution="核实属实"
    )
    r = fresh(resource)
    assert r.status == ResourceStatus.WITHDRAWN and "侵犯版权" in r.status_reason
    assert Complaint.objects.get().status == ComplaintStatus.UPHELD
    assert r.events.filter(kind=EventKind.WITHDRAWN).exists()


def test_a_dismissed_complaint_leaves_the_resource(world):
    a = world.a
    resource = rf.published(a, "举报不成立")
    complaint = services.resource_complain(
        actor=a.users["student"], resource=resource, category="other", text="看不懂"
    )
    services.complaint_handle(actor=a.users["county_officer"], complaint=complaint, uphold=False)
    assert fresh(resource).status == ResourceStatus.PUBLISHED
    assert Complaint.objects.get().status == ComplaintStatus.DISMISSED
    with pytest.raises(ValidationError, match="已处理"):
        services.complaint_handle(
            actor=a.users["county_officer"], complaint=complaint, uphold=False
        )


# --------------------------------------------------------------------- usage


def test_views_and_downloads_are_counted_per_day_and_per_user(world):
    resource = rf.published(world.a, "使用统计")
    student = world.a.users["student"]
    for _ in range(3):
        services.resource_view_record(actor=student, resource=resource)
    services.resource_download_record(actor=student, resource=resource)
    r = fresh(resource)
    assert (r.view_count, r.download_count) == (3, 1)
    usage = ResourceUsage.objects.get(resource=resource)
    assert (usage.views, usage.downloads, usage.day) == (3, 1, timezone.localdate())
    mine = ResourceActivity.objects.get(user=student, resource=resource)
    assert (mine.views, mine.downloads) == (3, 1)
    stats = selectors.resource_stats(r)
    assert stats["views"] == 3 and stats["daily"][0]["views"] == 3


def test_usage_statistics_are_scoped_and_drill_down_to_schools(world):
    rf.published(world.a, "甲县资源")
    rf.published(world.b, "乙县资源")
    province = selectors.usage_stats(world.province_officer)
    assert province.level == "region" and {r.key for r in province.rows} == {"4101", "4102"}
    assert province.total.resources == 2
    city = selectors.usage_stats(world.province_officer, "4101")
    assert [r.key for r in city.rows] == ["410102"]
    county = selectors.usage_stats(world.province_officer, "410102")
    assert county.level == "school" and [r.name for r in county.rows] == [world.a.school.name]
    # An officer of county A asking for county B sees their own county.
    own = selectors.usage_stats(world.a.users["county_officer"], world.b.code)
    assert [r.name for r in own.rows] == [world.a.school.name]
    school = selectors.usage_stats(world.a.users["school_admin"])
    assert [r.name for r in school.rows] == [world.a.school.name]
    assert selectors.usage_stats(world.a.users["student"]).rows == []


# ------------------------------------------------------------ ranking, 推荐


def test_the_ranking_blends_ratings_use_and_featured_level(world):
    a = world.a
    plain = rf.published(a, "普通资源")
    liked = rf.published(a, "好评资源")
    featured = rf.published(a, "精品资源")
    for user in raters(a, 3):
        services.resource_rate(actor=user, resource=liked, score=5)
    services.resource_set_featured(
        actor=a.users["county_officer"], resource=featured, level="province"
    )
    assert fresh(featured).rank == 450
    order = [r.title for r in selectors.ranking(a.users["student"])]
    assert order.index("精品资源") < order.index("好评资源") < order.index("普通资源")
    assert selectors.ranking(a.users["student"], stage="primary") == []
    # A period counts only the use within it.
    services.resource_view_record(actor=a.users["student"], resource=plain)
    week = selectors.ranking(a.users["student"], period="7")
    assert {r.title: r.p_views for r in week}["普通资源"] == 1  # type: ignore[attr-defined]


def test_recommendations_follow_grade_and_history_and_skip_what_was_seen(world):
    a = world.a
    volume = CatalogNode.objects.filter(grade=3, kind="volume").order_by("path").first()
    assert volume is not None
    chapter = CatalogNode.objects.filter(path__startswith=volume.path + "/", kind="chapter").first()
    path = (chapter or volume).path
    grade3 = rf.published(a, "三年级资源", path=path)
    grade8 = rf.published(a, "八年级资源")
    student = a.users["student"]  # enrolled in grade 3
    picked = selectors.recommended_for(student, 2)
    assert [r.title for r in picked] == ["三年级资源", "八年级资源"]  # grade first, then ranking
    services.resource_view_record(actor=student, resource=grade3)
    assert [r.pk for r in selectors.recommended_for(student, 5)] == [grade8.pk]
    # A teacher's subjects come from their uploads; their own are never recommended.
    assert grade3.pk not in [r.pk for r in selectors.recommended_for(a.users["teacher"], 5)]
    assert selectors.recommended_for(world.other_province_officer, 5) != []
