"""一师一优课 (one teacher, one good lesson) and 精品 (featured) resource selection.

- :class:`Activity` — a 晒课 and 评优 activity (活动) at one level (school, county, city,
  province) with a period, a scoring rubric (评分标准, weights summing to 100) and quotas.
- :class:`Lesson` — one teacher's lesson (晒课): 教学设计, 课件 and 课堂实录 files with
  their SHA-256, a draft until submitted; selected ones are 优课 of the level; a selected
  lesson recommended to the next level is copied there with ``recommended_from``.
- :class:`SelectionRound` / :class:`RoundItem` — a 精品 selection round over published
  resources of a region; the confirmed top ones are featured through
  ``eduplus.resources.services.resource_set_featured``.
- :class:`Expert` — membership of an expert panel (专家组) of one activity or round.
  Experts are not a role: teachers or officers of the region, appointed per panel.
- :class:`Score` — one expert's score of one lesson or round item (blind to the others),
  or a recusal (回避) with its reason.

This module imports ``core``, ``regions``, ``schools``, ``accounts`` and, for the
catalog and the resources being selected, ``resources`` models (read-only) and services.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from eduplus.core.permissions import user_can
from eduplus.core.roles import Action
from eduplus.core.scoping import ScopedManager, ScopedQuerySet, ScopeFields, scope_for
from eduplus.regions.models import Region
from eduplus.resources.models import CatalogNode, Grade, Resource, Stage
from eduplus.schools.models import School


class Level(models.TextChoices):
    SCHOOL = "school", _("校级")
    COUNTY = "county", _("县级")
    CITY = "city", _("市级")
    PROVINCE = "province", _("省级")


# school → county → city → province. 部优 (the Ministry's) lies outside a provincial
# deployment: a province's 省优 are recommended to the national platform by hand.
NEXT_LEVEL = {
    Level.SCHOOL: Level.COUNTY,
    Level.COUNTY: Level.CITY,
    Level.CITY: Level.PROVINCE,
}
HONOUR = {
    Level.SCHOOL: _("校优"),
    Level.COUNTY: _("县优"),
    Level.CITY: _("市优"),
    Level.PROVINCE: _("省优"),
}
# Region code length of each region level.
REGION_LEVEL_BY_LENGTH = {2: Level.PROVINCE, 4: Level.CITY, 6: Level.COUNTY}


def user_school_regions(user: Any) -> list[str]:
    """Region codes of the schools a user belongs to (teachers, school administrators),
    computed once per request and kept on the user object."""
    cached = getattr(user, "_lessons_school_regions", None)
    if cached is None:
        scope = scope_for(user)
        ids = sorted(scope.school_ids | scope.org_school_ids)
        cached = (
            sorted(set(School.objects.filter(pk__in=ids).values_list("region_id", flat=True)))
            if ids
            else []
        )
        user._lessons_school_regions = cached
    return list(cached)


def _prefixes(codes: list[str]) -> list[str]:
    return sorted({code[:n] for code in codes for n in (2, 4, 6) if len(code) >= n})


def in_province(user: Any) -> bool:
    """Whether the user belongs to this deployment's province (its officers, schools)."""
    scope = scope_for(user)
    province = settings.EDUPLUS_PROVINCE
    codes = scope.region_codes | scope.org_region_codes
    return any(c.startswith(province) for c in codes) or bool(
        scope.school_ids | scope.org_school_ids
    )


class ActivityStatus(models.TextChoices):
    OPEN = "open", _("征集中")
    SCORING = "scoring", _("评审中")
    CLOSED = "closed", _("评审结束，待遴选")
    PUBLISHED = "published", _("结果已公布")


class ActivityQuerySet(ScopedQuerySet["Activity"]):
    def visible_to(self, user: Any) -> ActivityQuerySet:
        """Organisers see the activities of their region or school; participants
        (teachers and school administrators) the activities their school takes part
        in: the school's own and those of the regions above it."""
        scope = scope_for(user)
        if scope.is_empty:
            return self.none()  # type: ignore[return-value]
        q = scope.q_for(Activity.scope_fields)
        regions = user_school_regions(user)
        if regions:
            q |= Q(school__isnull=True, region_id__in=_prefixes(regions))
        return self.filter(q)  # type: ignore[return-value]


class Activity(models.Model):
    """一师一优课 activity (活动): 晒课 until the deadline, then 评优 by an expert panel."""

    title = models.CharField(_("活动名称"), max_length=128)
    level = models.CharField(_("级别"), max_length=16, choices=Level.choices)
    region = models.ForeignKey(
        Region, verbose_name=_("组织区域"), on_delete=models.PROTECT, related_name="+"
    )
    # Set for a school-level activity (校级晒课), empty otherwise.
    school = models.ForeignKey(
        School,
        verbose_name=_("组织学校"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    description = models.TextField(_("活动说明"), max_length=2000, blank=True)
    opens_at = models.DateTimeField(_("晒课开始时间"))
    deadline = models.DateTimeField(_("晒课截止时间"))
    # [{"name": "教学设计", "weight": 30}, ...], weights sum to 100.
    rubric = models.JSONField(_("评分标准"), default=list)
    quota = models.PositiveSmallIntegerField(_("优课名额"))
    recommend_quota = models.PositiveSmallIntegerField(_("向上推荐名额"), default=0)
    status = models.CharField(
        _("状态"), max_length=12, choices=ActivityStatus.choices, default=ActivityStatus.OPEN
    )
    scoring_started_at = models.DateTimeField(_("评审开始时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("评审结束时间"), null=True, blank=True)
    published_at = models.DateTimeField(_("结果公布时间"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("创建人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    scope_fields = ScopeFields(region="region_id", school="school_id")
    objects = models.Manager.from_queryset(ActivityQuerySet)()

    class Meta:
        verbose_name = _("一师一优课活动")
        verbose_name_plural = _("一师一优课活动")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["region", "status"], name="lessons_activity_region_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(deadline__gt=models.F("opens_at")),
                name="lessons_activity_period",
                violation_error_message=_("截止时间须晚于开始时间"),
            ),
            models.CheckConstraint(
                condition=Q(quota__gte=1),
                name="lessons_activity_quota",
                violation_error_message=_("优课名额至少为 1"),
            ),
            models.CheckConstraint(
                condition=Q(level="school", school__isnull=False)
                | ~Q(level="school") & Q(school__isnull=True),
                name="lessons_activity_school_level",
                violation_error_message=_("校级活动须指定学校，其他级别不指定学校"),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def honour(self) -> str:
        return str(HONOUR[Level(self.level)])

    @property
    def next_level(self) -> str | None:
        nxt = NEXT_LEVEL.get(Level(self.level))
        return nxt.value if nxt else None

    @property
    def organiser_name(self) -> str:
        return self.school.name if self.school_id else self.region.display_name  # type: ignore[union-attr]

    @property
    def is_open(self) -> bool:
        return self.status == ActivityStatus.OPEN

    @property
    def is_scoring(self) -> bool:
        return self.status == ActivityStatus.SCORING

    @property
    def rubric_total(self) -> int:
        return sum(int(c.get("weight", 0)) for c in self.rubric)


class LessonStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("已提交")


class LessonQuerySet(ScopedQuerySet["Lesson"]):
    def visible_to(self, user: Any) -> LessonQuerySet:
        """The author; the school administrators and officers over the author's school;
        and, once published, the selected lessons (优课) for everyone of the province
        who may view resources (优课展示)."""
        if user is None or not getattr(user, "is_authenticated", False):
            return self.none()  # type: ignore[return-value]
        q = Q(author_id=user.pk)
        scope = scope_for(user)
        if not scope.is_empty:
            q |= scope.q_for(Lesson.scope_fields)
        if user_can(user, Action.RESOURCE_VIEW) and in_province(user):
            q |= Q(selected=True, activity__status=ActivityStatus.PUBLISHED)
        return self.filter(q)  # type: ignore[return-value]

    def showcase(self) -> LessonQuerySet:
        return self.filter(selected=True, activity__status=ActivityStatus.PUBLISHED)


class Lesson(models.Model):
    """One lesson shown by a teacher (晒课): metadata and the three parts."""

    activity = models.ForeignKey(
        Activity, verbose_name=_("活动"), on_delete=models.CASCADE, related_name="lessons"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("授课教师"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    author_name = models.CharField(_("授课教师"), max_length=64)
    school = models.ForeignKey(
        School, verbose_name=_("学校"), on_delete=models.CASCADE, related_name="+"
    )
    region = models.ForeignKey(
        Region, verbose_name=_("所在地"), on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField(_("课题"), max_length=128)
    stage = models.CharField(_("学段"), max_length=16, choices=Stage.choices)
    subject = models.CharField(_("学科"), max_length=16)
    grade = models.PositiveSmallIntegerField(_("年级"), choices=Grade.choices)
    chapter = models.CharField(_("章节"), max_length=128, blank=True)
    node = models.ForeignKey(
        CatalogNode,
        verbose_name=_("教材目录节点"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    design_file = models.FileField(_("教学设计"), max_length=255, blank=True)
    design_name = models.CharField(max_length=255, blank=True)
    design_sha256 = models.CharField(max_length=64, blank=True)
    design_size = models.BigIntegerField(null=True, blank=True)
    courseware_file = models.FileField(_("课件"), max_length=255, blank=True)
    courseware_name = models.CharField(max_length=255, blank=True)
    courseware_sha256 = models.CharField(max_length=64, blank=True)
    courseware_size = models.BigIntegerField(null=True, blank=True)
    video_file = models.FileField(_("课堂实录"), max_length=255, blank=True)
    video_name = models.CharField(max_length=255, blank=True)
    video_sha256 = models.CharField(max_length=64, blank=True)
    video_size = models.BigIntegerField(null=True, blank=True)
    video_seconds = models.PositiveIntegerField(_("实录时长（秒）"), null=True, blank=True)

    status = models.CharField(
        _("状态"), max_length=12, choices=LessonStatus.choices, default=LessonStatus.DRAFT
    )
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    final_score = models.DecimalField(
        _("最终得分"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    score_count = models.PositiveSmallIntegerField(_("有效评分数"), default=0)
    rank = models.PositiveIntegerField(_("名次"), null=True, blank=True)
    selected = models.BooleanField(_("评为优课"), default=False)
    selected_at = models.DateTimeField(_("入选时间"), null=True, blank=True)
    recommended_from = models.ForeignKey(
        "self",
        verbose_name=_("推荐自"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="recommended_to",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    # A lesson is a person's work: like a resource under review it is reached through
    # the author, the author's school (administrators) and region (officers).
    scope_fields = ScopeFields(
        region="region_id", school="school_id", person="author__person_id", personal=True
    )
    objects = models.Manager.from_queryset(LessonQuerySet)()

    class Meta:
        verbose_name = _("晒课")
        verbose_name_plural = _("晒课")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["activity", "status"], name="lessons_lesson_activity_idx"),
            models.Index(fields=["selected", "activity"], name="lessons_lesson_selected_idx"),
        ]
        constraints = [
            # 一师一优课: one lesson per teacher per activity.
            models.UniqueConstraint(
                fields=["activity", "author"],
                name="lessons_one_lesson_per_teacher",
                violation_error_message=_("每位教师在同一活动中只能晒一节课"),
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(submitted_at__isnull=False),
                name="lessons_submitted_has_date",
                violation_error_message=_("已提交的课例须有提交时间"),
            ),
            models.CheckConstraint(
                condition=Q(selected=False) | Q(final_score__isnull=False),
                name="lessons_selected_has_score",
                violation_error_message=_("评为优课的课例须有最终得分"),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_draft(self) -> bool:
        return self.status == LessonStatus.DRAFT

    @property
    def has_all_parts(self) -> bool:
        return bool(self.design_file and self.courseware_file and self.video_file)


class RoundStatus(models.TextChoices):
    SCORING = "scoring", _("评审中")
    CONFIRMED = "confirmed", _("已确认精品")


class SelectionRound(models.Model):
    """精品资源遴选 round: published resources of a region scored by an expert panel."""

    title = models.CharField(_("遴选名称"), max_length=128)
    level = models.CharField(_("精品级别"), max_length=16)
    region = models.ForeignKey(
        Region, verbose_name=_("组织区域"), on_delete=models.PROTECT, related_name="+"
    )
    stage = models.CharField(_("学段"), max_length=16, choices=Stage.choices, blank=True)
    subject = models.CharField(_("学科"), max_length=16, blank=True)
    resource_type = models.CharField(_("资源类型"), max_length=24, blank=True)
    rubric = models.JSONField(_("评分标准"), default=list)
    quota = models.PositiveSmallIntegerField(_("精品名额"))
    status = models.CharField(
        _("状态"), max_length=12, choices=RoundStatus.choices, default=RoundStatus.SCORING
    )
    # Incremented each time the confirmed result is cleared for a re-run.
    run = models.PositiveSmallIntegerField(_("轮次"), default=1)
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("创建人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    scope_fields = ScopeFields(region="region_id")
    objects = ScopedManager()

    class Meta:
        verbose_name = _("精品遴选")
        verbose_name_plural = _("精品遴选")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(level__in=["county", "city", "province"]),
                name="lessons_round_level",
                violation_error_message=_("精品遴选的级别应为县级、市级或省级"),
            ),
            models.CheckConstraint(
                condition=Q(quota__gte=1),
                name="lessons_round_quota",
                violation_error_message=_("精品名额至少为 1"),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def level_label(self) -> str:
        from eduplus.resources.models import FeaturedLevel

        return str(FeaturedLevel(self.level).label)

    @property
    def is_scoring(self) -> bool:
        return self.status == RoundStatus.SCORING


class RoundItem(models.Model):
    """One published resource under scoring in a round."""

    round = models.ForeignKey(
        SelectionRound, verbose_name=_("遴选"), on_delete=models.CASCADE, related_name="items"
    )
    resource = models.ForeignKey(
        Resource, verbose_name=_("资源"), on_delete=models.CASCADE, related_name="+"
    )
    final_score = models.DecimalField(
        _("最终得分"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    score_count = models.PositiveSmallIntegerField(_("有效评分数"), default=0)
    rank = models.PositiveIntegerField(_("名次"), null=True, blank=True)
    featured = models.BooleanField(_("评为精品"), default=False)

    scope_fields = ScopeFields(region="round__region_id")
    objects = ScopedManager()

    class Meta:
        verbose_name = _("遴选资源")
        verbose_name_plural = _("遴选资源")
        ordering = ["round_id", "rank", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["round", "resource"],
                name="lessons_round_item_unique",
                violation_error_message=_("该资源已在本次遴选中"),
            )
        ]

    def __str__(self) -> str:
        return str(self.resource)


class Expert(models.Model):
    """A member of an expert panel (专家组) of one activity or one round."""

    activity = models.ForeignKey(
        Activity, null=True, blank=True, on_delete=models.CASCADE, related_name="experts"
    )
    round = models.ForeignKey(
        SelectionRound, null=True, blank=True, on_delete=models.CASCADE, related_name="experts"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("专家"), on_delete=models.CASCADE, related_name="+"
    )
    name = models.CharField(_("姓名"), max_length=64)
    # The expert's own school (teachers), for the conflict-of-interest rule (回避).
    school = models.ForeignKey(
        School,
        verbose_name=_("所在学校"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    organisation = models.CharField(_("工作单位"), max_length=128, blank=True)
    appointed_at = models.DateTimeField(_("聘任时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("评审专家")
        verbose_name_plural = _("评审专家")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(activity__isnull=False, round__isnull=True)
                | Q(activity__isnull=True, round__isnull=False),
                name="lessons_expert_one_panel",
                violation_error_message=_("专家须属于一个活动或一次遴选的专家组"),
            ),
            models.UniqueConstraint(
                fields=["activity", "user"],
                condition=Q(activity__isnull=False),
                name="lessons_expert_unique_activity",
                violation_error_message=_("该专家已在本活动的专家组中"),
            ),
            models.UniqueConstraint(
                fields=["round", "user"],
                condition=Q(round__isnull=False),
                name="lessons_expert_unique_round",
                violation_error_message=_("该专家已在本次遴选的专家组中"),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Score(models.Model):
    """One expert's score (or recusal) of one lesson or round item."""

    expert = models.ForeignKey(Expert, on_delete=models.CASCADE, related_name="scores")
    lesson = models.ForeignKey(
        Lesson, null=True, blank=True, on_delete=models.CASCADE, related_name="scores"
    )
    item = models.ForeignKey(
        RoundItem, null=True, blank=True, on_delete=models.CASCADE, related_name="scores"
    )
    # {"教学设计": 27, ...}: an integer 0..weight per criterion of the rubric.
    points = models.JSONField(_("分项得分"), default=dict, blank=True)
    total = models.PositiveSmallIntegerField(_("总分"), default=0)
    comment = models.TextField(_("评语"), max_length=1000, blank=True)
    recused = models.BooleanField(_("回避"), default=False)
    recusal_reason = models.CharField(_("回避原因"), max_length=255, blank=True)
    submitted_at = models.DateTimeField(_("评分时间"))

    class Meta:
        verbose_name = _("专家评分")
        verbose_name_plural = _("专家评分")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(lesson__isnull=False, item__isnull=True)
                | Q(lesson__isnull=True, item__isnull=False),
                name="lessons_score_one_target",
                violation_error_message=_("评分须针对一节课例或一项资源"),
            ),
            models.UniqueConstraint(
                fields=["expert", "lesson"],
                condition=Q(lesson__isnull=False),
                name="lessons_score_unique_lesson",
                violation_error_message=_("每位专家对同一课例只评一次"),
            ),
            models.UniqueConstraint(
                fields=["expert", "item"],
                condition=Q(item__isnull=False),
                name="lessons_score_unique_item",
                violation_error_message=_("每位专家对同一资源只评一次"),
            ),
            models.CheckConstraint(
                condition=Q(total__lte=100),
                name="lessons_score_total_100",
                violation_error_message=_("总分不能超过 100"),
            ),
            models.CheckConstraint(
                condition=Q(recused=False) | ~Q(recusal_reason=""),
                name="lessons_recusal_has_reason",
                violation_error_message=_("回避须说明原因"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.expert_id}: {self.total}"


def trimmed_mean(totals: list[int]) -> Decimal | None:
    """The final score: with 5 or more scores the highest and the lowest are dropped
    (去掉一个最高分和一个最低分), then the mean, rounded to 2 decimals."""
    values = sorted(totals)
    if not values:
        return None
    if len(values) >= 5:
        values = values[1:-1]
    return (Decimal(sum(values)) / Decimal(len(values))).quantize(Decimal("0.01"))
