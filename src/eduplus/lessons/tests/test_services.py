"""Services of 一师一优课 and 精品 selection: every refusal leaves nothing changed."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from eduplus.core.models import AuditEntry
from eduplus.lessons import services
from eduplus.lessons.models import (
    Activity,
    ActivityStatus,
    Lesson,
    LessonStatus,
    RoundStatus,
    Score,
    trimmed_mean,
)
from eduplus.lessons.tests import factories as lf
from eduplus.regions.models import Region
from eduplus.resources.models import FeaturedLevel, Resource
from eduplus.resources.tests.factories import published
from eduplus.testing import factories as f

pytestmark = pytest.mark.django_db


def snapshot() -> tuple[int, ...]:
    return (
        Activity.objects.count(),
        Lesson.objects.count(),
        Score.objects.count(),
        AuditEntry.objects.exclude(action="permission.denied").count(),
    )


def refused(call: Any, match: str) -> None:
    before = snapshot()
    with pytest.raises(ValidationError, match=match):
        call()
    assert snapshot() == before, "a refused write changed something"


def appoint(setup: Any, n: int = 3) -> None:
    for user in setup.experts[:n]:
        services.expert_appoint(actor=setup.officer, user=user, activity=setup.activity)


def scored(setup: Any, lesson: Lesson, totals: list[float]) -> None:
    for user, fraction in zip(setup.experts, totals, strict=False):
        services.lesson_score(
            actor=user,
            lesson=lesson,
            points=lf.full_points(setup.activity, fraction),
            comment="教学环节清楚",
        )


# ----------------------------------------------------------------------- rubric


def test_trimmed_mean_drops_highest_and_lowest_from_five_scores():
    assert trimmed_mean([]) is None
    assert trimmed_mean([80, 90]) == Decimal("85.00")
    assert trimmed_mean([70, 80, 90, 100]) == Decimal("85.00")
    # 5 scores: 60 and 100 are dropped → mean of 80, 85, 90.
    assert trimmed_mean([60, 80, 85, 90, 100]) == Decimal("85.00")
    assert trimmed_mean([81, 82, 83]) == Decimal("82.00")
    assert trimmed_mean([1, 2]) == Decimal("1.50")


@pytest.mark.parametrize(
    ("rubric", "message"),
    [
        ([], "至少要有一项"),
        ([{"name": "教学设计", "weight": 30}, {"name": "课堂实施", "weight": 40}], "之和应为 100"),
        ([{"name": "", "weight": 100}], "须有名称"),
        ([{"name": "甲", "weight": 50}, {"name": "甲", "weight": 50}], "重复"),
        ([{"name": "甲", "weight": "五十"}, {"name": "乙", "weight": 50}], "应为整数"),
        ([{"name": "甲", "weight": 0}, {"name": "乙", "weight": 100}], "应大于 0"),
    ],
)
def test_bad_rubric_is_refused(setup, rubric, message):
    now = timezone.now()
    refused(
        lambda: services.activity_create(
            actor=setup.officer,
            title="坏的评分标准",
            region=Region.objects.get(code="410102"),
            opens_at=now,
            deadline=now + dt.timedelta(days=1),
            rubric=rubric,
            quota=1,
        ),
        message,
    )


def test_parse_rubric_reads_lines():
    assert services.parse_rubric("教学设计 30\n课堂实施：40\n技术融合:20\n\n教学效果 10") == (
        services.DEFAULT_RUBRIC
    )
    with pytest.raises(ValidationError, match="第 1 行"):
        services.parse_rubric("30")


def test_activity_create_checks_organiser_region_and_period(setup):
    now = timezone.now()
    b = Region.objects.get(code="410202")
    kwargs = dict(title="活动", opens_at=now, deadline=now + dt.timedelta(days=1),
                  rubric=services.DEFAULT_RUBRIC, quota=1)  # fmt: skip
    refused(lambda: services.activity_create(actor=setup.officer, region=b, **kwargs), "管辖范围")
    refused(lambda: services.activity_create(actor=setup.author, region=b, **kwargs), "没有组织")
    refused(
        lambda: services.activity_create(
            actor=setup.officer, region=Region.objects.get(code="410102"),
            **{**kwargs, "deadline": now - dt.timedelta(days=1)},
        ),
        "晚于开始时间",
    )  # fmt: skip
    refused(
        lambda: services.activity_create(
            actor=setup.officer, region=Region.objects.get(code="410102"), **{**kwargs, "quota": 0}
        ),
        "至少为 1",
    )
    # A school administrator organises a school-level activity of their own school only.
    admin = setup.world.a.users["school_admin"]
    act = services.activity_create(actor=admin, school=setup.world.a.school, **kwargs)
    assert act.level == "school" and act.region_id == "410102"
    refused(
        lambda: services.activity_create(actor=admin, school=setup.school2, **kwargs), "本人管理"
    )
    assert AuditEntry.objects.filter(action="lesson.activity_create").count() == 2


# ----------------------------------------------------------------------- 晒课


def test_teacher_saves_a_draft_then_submits_with_hashes(setup):
    lesson = services.lesson_save(
        actor=setup.author, activity=setup.activity, data=lf.data("草稿课"),
        files={"design": lf.pdf()},
    )  # fmt: skip
    assert lesson.status == LessonStatus.DRAFT
    assert len(lesson.design_sha256) == 64 and lesson.design_size
    assert lesson.school == setup.world.a.school
    refused(
        lambda: services.lesson_save(
            actor=setup.author, activity=setup.activity, lesson=lesson, data=lf.data(), submit=True
        ),
        "课件、课堂实录",
    )
    lesson = services.lesson_save(
        actor=setup.author, activity=setup.activity, lesson=lesson, data=lf.data("勾股定理"),
        files={"courseware": lf.pdf("课件.pdf"), "video": lf.mp4(seconds=2400)}, submit=True,
    )  # fmt: skip
    assert lesson.status == LessonStatus.SUBMITTED and lesson.submitted_at
    assert lesson.video_seconds == 2400
    assert lesson.courseware_file.storage.exists(lesson.courseware_file.name)
    assert AuditEntry.objects.filter(action="lesson.submit", target_id=str(lesson.pk)).exists()


@pytest.mark.parametrize(
    ("part", "upload", "message"),
    [
        ("design", SimpleUploadedFile("设计.pptx", b"PK\x03\x04xx"), "只接受 PDF、DOCX"),
        ("video", SimpleUploadedFile("实录.webm", b"\x1a\x45\xdf\xa3x"), "只接受 MP4"),
        ("design", SimpleUploadedFile("设计.pdf", b"MZ\x90\x00 not a pdf"), "不符"),
        ("courseware", SimpleUploadedFile("课件.pdf", b""), "为空"),
    ],
)
def test_bad_files_are_refused_and_nothing_is_kept(setup, part, upload, message):
    refused(
        lambda: services.lesson_save(
            actor=setup.author, activity=setup.activity, data=lf.data(), files={part: upload}
        ),
        message,
    )


def test_file_size_limit(setup, settings):
    settings.RESOURCES_MAX_UPLOAD_BYTES = 10
    refused(
        lambda: services.lesson_save(
            actor=setup.author, activity=setup.activity, data=lf.data(), files={"design": lf.pdf()}
        ),
        "文件过大",
    )


def test_bad_metadata_and_outsiders_are_refused(setup):
    empty = services.LessonData(title=" ", stage="", subject="", grade=None)
    refused(
        lambda: services.lesson_save(actor=setup.author, activity=setup.activity, data=empty),
        "请填写课题",
    )
    outsider = setup.world.b.users["teacher"]
    refused(
        lambda: services.lesson_save(actor=outsider, activity=setup.activity, data=lf.data()),
        "参加本活动",
    )
    lf.submitted(setup.author, setup.activity)
    refused(
        lambda: services.lesson_save(actor=setup.author, activity=setup.activity, data=lf.data()),
        "只能晒一节课",
    )
    lesson = Lesson.objects.get(author=setup.author)
    refused(
        lambda: services.lesson_save(
            actor=setup.author2, activity=setup.activity, lesson=lesson, data=lf.data()
        ),
        "本人",
    )


def test_deadline_and_opening(setup):
    act = lf.activity(setup.officer, region=Region.objects.get(code="410102"), title="已截止",
                      opens_in=dt.timedelta(days=-10), closes_in=dt.timedelta(days=-1))  # fmt: skip
    refused(
        lambda: services.lesson_save(
            actor=setup.author, activity=act, data=lf.data(), files=lf.parts(), submit=True
        ),
        "截止",
    )
    later = lf.activity(setup.officer, region=Region.objects.get(code="410102"), title="未开始",
                        opens_in=dt.timedelta(days=2), closes_in=dt.timedelta(days=9))  # fmt: skip
    refused(
        lambda: services.lesson_save(
            actor=setup.author, activity=later, data=lf.data(), files=lf.parts(), submit=True
        ),
        "尚未开始",
    )
    # A draft may be saved before the opening.
    draft = services.lesson_save(actor=setup.author, activity=later, data=lf.data())
    assert draft.is_draft


def test_edit_until_scoring_starts(setup):
    lesson = lf.submitted(setup.author, setup.activity)
    lesson = services.lesson_save(
        actor=setup.author, activity=setup.activity, lesson=lesson, data=lf.data("改过的课题")
    )
    assert lesson.title == "改过的课题" and lesson.status == LessonStatus.SUBMITTED
    appoint(setup)
    services.activity_start_scoring(actor=setup.officer, activity=setup.activity)
    refused(
        lambda: services.lesson_save(
            actor=setup.author, activity=setup.activity, lesson=lesson, data=lf.data("再改")
        ),
        "评审已开始",
    )


# ----------------------------------------------------------------------- panels


def test_panel_rules(setup):
    act = setup.activity
    lf.submitted(setup.author, act)
    refused(
        lambda: services.activity_start_scoring(actor=setup.officer, activity=act), "还没有专家"
    )
    outsider = setup.world.b.users["teacher"]
    refused(
        lambda: services.expert_appoint(actor=setup.officer, user=outsider, activity=act),
        "不在本活动的区域",
    )
    refused(
        lambda: services.expert_appoint(
            actor=setup.officer, user=setup.world.a.users["student"], activity=act
        ),
        "教师或教育管理者",
    )
    refused(
        lambda: services.expert_appoint(
            actor=setup.world.b.users["county_officer"], user=setup.experts[0], activity=act
        ),
        "不是该活动的组织者",
    )
    services.expert_appoint(actor=setup.officer, user=setup.experts[0], activity=act)
    refused(
        lambda: services.expert_appoint(actor=setup.officer, user=setup.experts[0], activity=act),
        "已在专家组",
    )
    # An officer of the region may sit on the panel too.
    city = setup.world.a.users["city_officer"]
    refused(lambda: services.expert_appoint(actor=setup.officer, user=city, activity=act), "区域内")
    # A school's own teacher never judges the school's own activity.
    admin = setup.world.a.users["school_admin"]
    school_act = lf.activity(admin, school=setup.world.a.school, title="校级活动")
    refused(
        lambda: services.expert_appoint(actor=admin, user=setup.colleague, activity=school_act),
        "本校教师不能担任",
    )
    services.activity_start_scoring(actor=setup.officer, activity=act)
    assert Activity.objects.get(pk=act.pk).status == ActivityStatus.SCORING


def test_start_scoring_needs_a_submitted_lesson(setup):
    appoint(setup)
    services.lesson_save(actor=setup.author, activity=setup.activity, data=lf.data())  # a draft
    refused(
        lambda: services.activity_start_scoring(actor=setup.officer, activity=setup.activity),
        "没有已提交",
    )


# ----------------------------------------------------------------------- scoring


def test_scoring_rules_conflict_blind_and_recusal(setup):
    act = setup.activity
    lesson = lf.submitted(setup.author, act)
    appoint(setup)
    services.expert_appoint(actor=setup.officer, user=setup.colleague, activity=act)
    # Not yet scoring.
    refused(
        lambda: services.lesson_score(
            actor=setup.experts[0], lesson=lesson, points=lf.full_points(act), comment="好"
        ),
        "不在评审阶段",
    )
    services.activity_start_scoring(actor=setup.officer, activity=act)
    e = setup.experts[0]
    cases = [
        ({**lf.full_points(act), "教学设计": 31}, "0 到 30"),
        ({**lf.full_points(act), "教学设计": -1}, "0 到 30"),
        ({**lf.full_points(act), "教学设计": "27.5"}, "0 到 30"),
        ({k: v for k, v in lf.full_points(act).items() if k != "课堂实施"}, "请为“课堂实施”打分"),
        ({**lf.full_points(act), "颜值": 3}, "没有“颜值”"),
    ]
    for points, message in cases:
        refused(lambda p=points: services.lesson_score(actor=e, lesson=lesson, points=p,
                                                       comment="好"), message)  # fmt: skip
    refused(
        lambda: services.lesson_score(actor=e, lesson=lesson, points=lf.full_points(act)), "评语"
    )
    # Conflict of interest: the author's colleague cannot score, only recuse.
    refused(
        lambda: services.lesson_score(
            actor=setup.colleague, lesson=lesson, points=lf.full_points(act), comment="好"
        ),
        "本校",
    )
    refused(
        lambda: services.lesson_score(actor=setup.colleague, lesson=lesson, points={}, recuse=True),
        "回避须说明原因",
    )
    recusal = services.lesson_score(
        actor=setup.colleague, lesson=lesson, points={}, recuse=True, recusal_reason="同校同事"
    )
    assert recusal.recused and recusal.total == 0
    # Not on the panel.
    refused(
        lambda: services.lesson_score(
            actor=setup.experts[4], lesson=lesson, points=lf.full_points(act), comment="好"
        ),
        "不是本活动专家组",
    )
    first = services.lesson_score(actor=e, lesson=lesson, points=lf.full_points(act, 0.9),
                                  comment="设计新颖")  # fmt: skip
    assert first.total == 27 + 36 + 18 + 9
    # A revision replaces the expert's score (one per expert).
    services.lesson_score(actor=e, lesson=lesson, points=lf.full_points(act, 0.5), comment="再看")
    assert Score.objects.filter(expert__user=e, lesson=lesson).get().total == 50


def test_blind_queue_shows_only_own_scores(setup):
    from eduplus.lessons.selectors import review_queue

    act = setup.activity
    lesson = lf.submitted(setup.author, act)
    appoint(setup)
    services.activity_start_scoring(actor=setup.officer, activity=act)
    services.lesson_score(actor=setup.experts[0], lesson=lesson, points=lf.full_points(act),
                          comment="满分")  # fmt: skip
    mine = review_queue(setup.experts[0])
    assert [e.mine.total for e in mine] == [100]  # type: ignore[union-attr]
    theirs = review_queue(setup.experts[1])
    assert [e.mine for e in theirs] == [None]


def test_close_select_quota_rank_and_recommend(setup):
    act = setup.activity
    one = lf.submitted(setup.author, act, "第一课")
    two = lf.submitted(setup.author2, act, "第二课")
    appoint(setup, 5)
    services.activity_start_scoring(actor=setup.officer, activity=act)
    refused(
        lambda: services.activity_close_scoring(actor=setup.officer, activity=act), "还没有任何"
    )
    scored(setup, one, [1.0, 0.9, 0.8, 0.7, 0.1])  # 100 90 80 70 10 → trimmed (90+80+70)/3
    scored(setup, two, [0.5, 0.5, 0.5])  # 50 50 50 (3 scores: plain mean)
    act = services.activity_close_scoring(actor=setup.officer, activity=act)
    one.refresh_from_db()
    two.refresh_from_db()
    assert one.final_score == Decimal("80.00") and one.rank == 1 and one.score_count == 5
    assert two.final_score == Decimal("50.00") and two.rank == 2
    # Quota and rank: the quota is 2, so three are too many; skipping rank 1 is refused.
    act.quota = 1
    act.save()
    refused(lambda: services.activity_select(actor=setup.officer, activity=act,
                                             lesson_ids=[one.pk, two.pk]), "超过名额")  # fmt: skip
    refused(
        lambda: services.activity_select(actor=setup.officer, activity=act, lesson_ids=[two.pk]),
        "须按名次",
    )
    refused(
        lambda: services.activity_select(actor=setup.officer, activity=act, lesson_ids=[]),
        "至少选择",
    )
    services.activity_select(actor=setup.officer, activity=act, lesson_ids=[one.pk])
    one.refresh_from_db()
    assert one.selected and Activity.objects.get(pk=act.pk).status == ActivityStatus.PUBLISHED

    # Recommend up: county → city. A city activity of 郑州市 is open.
    city = lf.activity(setup.world.a.users["city_officer"], region=Region.objects.get(code="4101"),
                       title="郑州市晒课")  # fmt: skip
    refused(lambda: services.lesson_recommend(actor=setup.officer, lesson=two, target=city),
            "已公布的优课")  # fmt: skip
    same_level = lf.activity(
        setup.officer, region=Region.objects.get(code="410102"), title="另一县级"
    )
    refused(lambda: services.lesson_recommend(actor=setup.officer, lesson=one, target=same_level),
            "上一级")  # fmt: skip
    copy = services.lesson_recommend(actor=setup.officer, lesson=one, target=city)
    assert copy.activity == city and copy.recommended_from == one
    assert copy.status == LessonStatus.SUBMITTED and copy.video_sha256 == one.video_sha256
    refused(lambda: services.lesson_recommend(actor=setup.officer, lesson=one, target=city),
            "中有课例")  # fmt: skip
    from eduplus.lessons.selectors import lesson_history

    assert [h.pk for h in lesson_history(copy)] == [copy.pk, one.pk]
    assert AuditEntry.objects.filter(action="lesson.recommend").count() == 1


# ----------------------------------------------------------------- 精品 rounds


def test_round_features_the_confirmed_resources_and_clearing_is_audited(setup):
    a = setup.world.a
    first = published(a, "精品候选一")
    second = published(a, "精品候选二")
    officer = setup.officer
    refused(
        lambda: services.round_create(actor=a.users["school_admin"], title="x",
                                      region=Region.objects.get(code="410102"),
                                      rubric=services.DEFAULT_ROUND_RUBRIC, quota=1),
        "管辖范围",
    )  # fmt: skip
    refused(
        lambda: services.round_create(actor=officer, title="x",
                                      region=Region.objects.get(code="410102"), stage="senior",
                                      rubric=services.DEFAULT_ROUND_RUBRIC, quota=1),
        "没有符合",
    )  # fmt: skip
    rnd = services.round_create(actor=officer, title="中原区精品遴选",
                                region=Region.objects.get(code="410102"),
                                rubric=services.DEFAULT_ROUND_RUBRIC, quota=1)  # fmt: skip
    assert rnd.level == "county" and rnd.items.count() == 2
    # The resources' author (the sentinel teacher) may not score them.
    refused(
        lambda: services.expert_appoint(actor=officer, user=a.users["student"], rnd=rnd), "教师"
    )
    for user in setup.experts[:3]:
        services.expert_appoint(actor=officer, user=user, rnd=rnd)
    items = {i.resource_id: i for i in rnd.items.all()}
    for k, user in enumerate(setup.experts[:3]):
        services.item_score(
            actor=user,
            item=items[first.pk],
            points={c["name"]: c["weight"] for c in rnd.rubric},
            comment="优",
        )
        services.item_score(actor=user, item=items[second.pk],
                            points={c["name"]: c["weight"] // 2 for c in rnd.rubric},
                            comment="一般")  # fmt: skip
        assert k < 3
    refused(lambda: services.round_confirm(actor=officer, rnd=rnd,
                                           item_ids=[items[second.pk].pk]), "须按名次")  # fmt: skip
    services.round_confirm(actor=officer, rnd=rnd, item_ids=[items[first.pk].pk])
    assert Resource.objects.get(pk=first.pk).featured_level == FeaturedLevel.COUNTY
    assert Resource.objects.get(pk=second.pk).featured_level == ""
    refused(lambda: services.round_clear(actor=officer, rnd=rnd, reason=" "), "须说明原因")
    services.round_clear(actor=officer, rnd=rnd, reason="评分标准调整，重新遴选")
    rnd.refresh_from_db()
    assert rnd.status == RoundStatus.SCORING and rnd.run == 2
    assert Resource.objects.get(pk=first.pk).featured_level == ""
    entry = AuditEntry.objects.filter(action="lesson.round_clear").get()
    assert entry.details["reason"] == "评分标准调整，重新遴选"
    assert AuditEntry.objects.filter(action="resource.feature").count() == 2


def test_item_score_conflict_of_interest(setup):
    a = setup.world.a
    res = published(a, "本校资源")
    rnd = services.round_create(actor=setup.officer, title="遴选",
                                region=Region.objects.get(code="410102"),
                                rubric=services.DEFAULT_ROUND_RUBRIC, quota=1)  # fmt: skip
    services.expert_appoint(actor=setup.officer, user=setup.colleague, rnd=rnd)
    item = rnd.items.get(resource=res)
    refused(
        lambda: services.item_score(actor=setup.colleague, item=item,
                                    points={c["name"]: 1 for c in rnd.rubric}, comment="好"),
        "回避",
    )  # fmt: skip


def test_unused_factory_helpers_are_real():
    assert f.region("410102").code == "410102"
