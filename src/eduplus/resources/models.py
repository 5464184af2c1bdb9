"""Digital education resources (数字教育资源): the catalog, the resources and their review.

- :class:`CatalogNode` — the textbook tree 学段 → 学科 → 教材版本 → 年级 → 册 → 章节 → 课节,
  addressed by a path of codes. Province-wide reference data, visible to everyone.
- :class:`Topic` — thematic collections (专题教育: 德育, 安全教育, 心理健康 …).
- :class:`Resource` — one uploaded file with its metadata, placed in the catalog and/or
  in topics, reviewed by the author's school and county before anyone else sees it.
  One file is one resource: the SHA-256 of the content is unique.
- :class:`ResourceEvent` — the review history (submissions, checks, returns, withdrawals).

Engagement (互动与使用):

- :class:`Rating` — 评分, 1–5 stars, one per user and resource (changeable).
- :class:`Comment` — 评论, reviewed before others see it (pending → approved / rejected).
- :class:`Complaint` — 举报, one per user and resource; enough of them withdraw the
  resource automatically (自动下架, see ``services.auto_withdraw_check``).
- :class:`ResourceUsage` — 使用统计 per resource and day (views, downloads).
- :class:`ResourceActivity` — what one user viewed or downloaded (for 为你推荐).
"""

from __future__ import annotations

import math
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from eduplus.core.scoping import ScopedManager, ScopedQuerySet, ScopeFields, scope_for
from eduplus.regions.models import Region
from eduplus.schools.models import School


class NodeKind(models.TextChoices):
    STAGE = "stage", _("学段")
    SUBJECT = "subject", _("学科")
    EDITION = "edition", _("教材版本")
    GRADE = "grade", _("年级")
    VOLUME = "volume", _("册")
    CHAPTER = "chapter", _("章节")
    SECTION = "section", _("课节")


# The kinds a resource may be attached to: a volume or anything below it.
ATTACHABLE_KINDS = frozenset({NodeKind.VOLUME, NodeKind.CHAPTER, NodeKind.SECTION})


class Stage(models.TextChoices):
    PRIMARY = "primary", _("小学")
    JUNIOR = "junior", _("初中")
    SENIOR = "senior", _("高中")


class Subject(models.TextChoices):
    CHINESE = "chinese", _("语文")
    MATH = "math", _("数学")
    ENGLISH = "english", _("英语")


class Edition(models.TextChoices):
    TONGBIAN = "tongbian", _("统编版")
    RENJIAO = "renjiao", _("人教版")
    RENJIAO_PEP = "renjiao_pep", _("人教版（PEP）")
    RENJIAO_A = "renjiao_a", _("人教A版")
    BEISHIDA = "beishida", _("北师大版")
    SUJIAO = "sujiao", _("苏教版")
    HUASHI = "huashi", _("华东师大版")
    WAIYAN = "waiyan", _("外研版")


class Grade(models.IntegerChoices):
    G1 = 1, _("一年级")
    G2 = 2, _("二年级")
    G3 = 3, _("三年级")
    G4 = 4, _("四年级")
    G5 = 5, _("五年级")
    G6 = 6, _("六年级")
    G7 = 7, _("七年级")
    G8 = 8, _("八年级")
    G9 = 9, _("九年级")
    G10 = 10, _("高一")
    G11 = 11, _("高二")
    G12 = 12, _("高三")


class CatalogNode(models.Model):
    """One node of the textbook catalog (教材目录)."""

    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    kind = models.CharField(_("层级"), max_length=16, choices=NodeKind.choices)
    code = models.CharField(_("代码"), max_length=32)
    # Codes from the root joined by "/": primary/math/renjiao/7/up/c2. A subtree is a
    # prefix range, the same trick as the region codes.
    path = models.CharField(_("路径"), max_length=255, unique=True)
    name = models.CharField(_("名称"), max_length=128)
    position = models.PositiveSmallIntegerField(_("顺序"), default=0)
    # The facets of the subtree, copied from the ancestors at seeding.
    stage = models.CharField(_("学段"), max_length=16, choices=Stage.choices, blank=True)
    subject = models.CharField(_("学科"), max_length=16, choices=Subject.choices, blank=True)
    edition = models.CharField(_("教材版本"), max_length=16, choices=Edition.choices, blank=True)
    grade = models.PositiveSmallIntegerField(
        _("年级"), choices=Grade.choices, null=True, blank=True
    )

    class Meta:
        verbose_name = _("教材目录节点")
        verbose_name_plural = _("教材目录")
        ordering = ["path"]
        constraints = [
            models.UniqueConstraint(
                fields=["parent", "code"],
                name="resources_node_code_unique",
                violation_error_message=_("同一上级下的代码不能重复"),
            ),
            models.CheckConstraint(
                condition=Q(parent__isnull=True, kind="stage")
                | Q(parent__isnull=False) & ~Q(kind="stage"),
                name="resources_node_only_stages_are_roots",
                violation_error_message=_("只有学段是目录的第一层"),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_attachable(self) -> bool:
        return self.kind in ATTACHABLE_KINDS


class Topic(models.Model):
    """A thematic collection (专题教育)."""

    code = models.SlugField(_("代码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=64)
    description = models.CharField(_("简介"), max_length=255, blank=True)
    position = models.PositiveSmallIntegerField(_("顺序"), default=0)

    class Meta:
        verbose_name = _("专题")
        verbose_name_plural = _("专题教育")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


class ResourceType(models.TextChoices):
    COURSEWARE = "courseware", _("课件")
    MICRO_VIDEO = "micro_video", _("微课视频")
    LESSON_PLAN = "lesson_plan", _("教学设计")
    EXERCISE = "exercise", _("习题")
    DIGITAL_TEXTBOOK = "digital_textbook", _("数字教材")
    SIMULATION = "simulation", _("虚拟仿真")


class Licence(models.TextChoices):
    PLATFORM = "platform", _("平台内共享（版权归作者）")
    CC_BY = "cc-by-4.0", _("知识共享 署名 4.0（CC BY 4.0）")
    CC_BY_NC = "cc-by-nc-4.0", _("知识共享 署名-非商业性使用 4.0（CC BY-NC 4.0）")
    CC_BY_NC_SA = "cc-by-nc-sa-4.0", _("知识共享 署名-非商业性使用-相同方式共享 4.0")
    PUBLIC_DOMAIN = "public-domain", _("公有领域")


class ResourceStatus(models.TextChoices):
    SUBMITTED = "submitted", _("待学校审核")
    SCHOOL_APPROVED = "school_approved", _("待县级审核")
    RETURNED = "returned", _("已退回")
    PUBLISHED = "published", _("已发布")
    WITHDRAWN = "withdrawn", _("已下架")


# The author may change the metadata (and then resubmit) in these states.
AUTHOR_EDITABLE = frozenset(
    {ResourceStatus.SUBMITTED, ResourceStatus.RETURNED, ResourceStatus.WITHDRAWN}
)
RESUBMITTABLE = frozenset({ResourceStatus.RETURNED, ResourceStatus.WITHDRAWN})

# The static part of the ranking (quality and use), an integer so that the SQLite index
# can order by it (see search.py). 3 stars and no downloads: 300; 5 stars and 1,000
# downloads: 900; capped at RANK_MAX.
RANK_MAX = 4095


# Ratings (评分) shrink towards the reviewer's quality (质量评级) as a Bayesian prior
# worth RATING_PRIOR_WEIGHT ratings: one early 1-star rating cannot bury a resource.
RATING_PRIOR_WEIGHT = 5
# 精品 levels add a fixed bonus to the rank (a province-level one counts as 1.5 stars).
FEATURED_BONUS = {"": 0, "county": 50, "city": 100, "province": 150}


def bayesian_rating(quality: int, rating_sum: int, rating_count: int) -> float:
    """The users' average pulled towards the reviewer's quality (the prior)."""
    count = max(0, rating_count)
    return (RATING_PRIOR_WEIGHT * quality + max(0, rating_sum)) / (RATING_PRIOR_WEIGHT + count)


def rank_score(
    quality: int,
    downloads: int,
    *,
    rating_sum: int = 0,
    rating_count: int = 0,
    featured_level: str = "",
) -> int:
    """The static rank of a resource in search and browsing (排序分).

    ``100 × stars + 40 × log2(1 + downloads) + 精品 bonus`` where stars is the Bayesian
    average of the users' ratings with the reviewer's quality as prior. Without ratings
    and 精品 this is the original quality-and-downloads score.
    """
    stars = bayesian_rating(quality, rating_sum, rating_count)
    use = 40 * math.log2(1 + max(0, downloads))
    bonus = FEATURED_BONUS.get(featured_level or "", 0)
    return max(0, min(RANK_MAX, round(100 * stars + use + bonus)))


class ResourceQuerySet(ScopedQuerySet["Resource"]):
    def published(self) -> ResourceQuerySet:
        return self.filter(status=ResourceStatus.PUBLISHED)

    def visible_to(self, user: Any) -> ResourceQuerySet:
        """Published resources for every logged-in user; the others for their author
        and for the reviewers whose scope covers the author's school."""
        if user is None or not getattr(user, "is_authenticated", False):
            return self.none()
        q = Q(status=ResourceStatus.PUBLISHED) | Q(author_id=user.pk)
        scope = scope_for(user)
        if not scope.is_empty:
            q |= scope.q_for(Resource.scope_fields)
        return self.filter(q)

    def under_review_by(self, user: Any) -> ResourceQuerySet:
        """Resources whose school the user reviews (not merely sees as published)."""
        scope = scope_for(user)
        if scope.is_empty:
            return self.none()
        return self.filter(scope.q_for(Resource.scope_fields))


class FeaturedLevel(models.TextChoices):
    """精品 resources, selected by expert scoring at a level (``eduplus.lessons``)."""

    NONE = "", _("未评选")
    COUNTY = "county", _("县级精品")
    CITY = "city", _("市级精品")
    PROVINCE = "province", _("省级精品")


class Resource(models.Model):
    """One digital resource (数字资源)."""

    title = models.CharField(_("标题"), max_length=128)
    description = models.TextField(_("简介"), max_length=2000, blank=True)
    resource_type = models.CharField(_("资源类型"), max_length=24, choices=ResourceType.choices)
    node = models.ForeignKey(
        CatalogNode,
        verbose_name=_("教材章节"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="resources",
    )
    topics = models.ManyToManyField(
        Topic, verbose_name=_("专题"), blank=True, related_name="resources"
    )
    # Facets copied from the catalog node by the services (search filters and counts).
    stage = models.CharField(_("学段"), max_length=16, choices=Stage.choices, blank=True)
    subject = models.CharField(_("学科"), max_length=16, choices=Subject.choices, blank=True)
    edition = models.CharField(_("教材版本"), max_length=16, choices=Edition.choices, blank=True)
    grade = models.PositiveSmallIntegerField(
        _("年级"), choices=Grade.choices, null=True, blank=True
    )

    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("作者"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="resources",
    )
    author_name = models.CharField(_("作者"), max_length=64)
    school = models.ForeignKey(
        School, verbose_name=_("学校"), on_delete=models.CASCADE, related_name="resources"
    )
    # The school's region at upload, denormalised for scope.
    region = models.ForeignKey(
        Region, verbose_name=_("所在地"), on_delete=models.PROTECT, related_name="+"
    )
    licence = models.CharField(
        _("授权方式"), max_length=24, choices=Licence.choices, default=Licence.PLATFORM
    )

    file = models.FileField(_("文件"), max_length=255)
    sha256 = models.CharField(_("内容指纹（SHA-256）"), max_length=64)
    size = models.BigIntegerField(_("大小（字节）"))
    file_format = models.CharField(_("格式"), max_length=16)
    mime_type = models.CharField(_("媒体类型"), max_length=100)
    original_name = models.CharField(_("原文件名"), max_length=255)
    duration_seconds = models.PositiveIntegerField(_("时长（秒）"), null=True, blank=True)

    status = models.CharField(
        _("状态"),
        max_length=20,
        choices=ResourceStatus.choices,
        default=ResourceStatus.SUBMITTED,
        db_index=True,
    )
    # The reason of the last return or withdrawal, shown to the author.
    status_reason = models.CharField(_("原因"), max_length=1000, blank=True)
    submitted_at = models.DateTimeField(_("提交时间"))
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    quality = models.PositiveSmallIntegerField(_("质量评级"), default=3)
    download_count = models.PositiveIntegerField(_("下载次数"), default=0)
    # Engagement counters (使用统计), kept by the services with F() increments. Database
    # defaults so that bulk loaders (bench/search.py) need not name them.
    view_count = models.PositiveIntegerField(_("浏览次数"), default=0, db_default=0)
    rating_count = models.PositiveIntegerField(_("评分人数"), default=0, db_default=0)
    rating_sum = models.PositiveIntegerField(_("评分总和"), default=0, db_default=0)
    comment_count = models.PositiveIntegerField(_("评论数"), default=0, db_default=0)
    rank = models.PositiveSmallIntegerField(_("排序分"), default=300)
    featured_level = models.CharField(
        _("精品级别"),
        max_length=16,
        choices=FeaturedLevel.choices,
        default="",
        db_default="",
        blank=True,
    )
    featured_at = models.DateTimeField(_("评为精品时间"), null=True, blank=True)
    # Where the resource's document sits in the full-text index (search.IndexKey), set
    # by the services while it is published. A database trigger drops the document when
    # the row is deleted (migration 0002), so no deletion leaves a stale document behind.
    search_key = models.BigIntegerField(_("索引键"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("上传时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    # Drafts are about a person's work: reached through the author (a personal grant),
    # the author's school (school administrators) and region (officers); never through
    # the organisational visibility every teacher and student has of their school.
    scope_fields = ScopeFields(
        region="region_id", school="school_id", person="author__person_id", personal=True
    )
    objects = models.Manager.from_queryset(ResourceQuerySet)()

    class Meta:
        verbose_name = _("数字资源")
        verbose_name_plural = _("数字资源")
        ordering = ["-id"]
        indexes = [
            # The browse order of published resources (no text query).
            models.Index(fields=["status", "-rank", "-id"], name="resources_browse_idx"),
            models.Index(fields=["school", "status"], name="resources_school_status_idx"),
            models.Index(fields=["region", "status"], name="resources_region_status_idx"),
            # The aggregation feed's cursor order (eduplus.aggregation.feed).
            models.Index(fields=["updated_at", "id"], name="resources_feed_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["sha256"],
                name="resources_one_resource_per_file",
                violation_error_message=_("该文件已在平台中，同一文件只能上传一次"),
            ),
            models.CheckConstraint(
                condition=Q(sha256__regex=r"^[0-9a-f]{64}$"),
                name="resources_sha256_hex",
                violation_error_message=_("内容指纹应为64位十六进制数"),
            ),
            models.CheckConstraint(
                condition=Q(size__gt=0),
                name="resources_file_not_empty",
                violation_error_message=_("文件不能为空"),
            ),
            models.CheckConstraint(
                condition=Q(quality__gte=1, quality__lte=5),
                name="resources_quality_1_to_5",
                violation_error_message=_("质量评级应为1到5"),
            ),
            models.CheckConstraint(
                condition=~Q(status="published") | Q(published_at__isnull=False),
                name="resources_published_has_date",
                violation_error_message=_("已发布的资源须有发布时间"),
            ),
            models.CheckConstraint(
                condition=Q(rating_sum__gte=F("rating_count"))
                & Q(rating_sum__lte=5 * F("rating_count")),
                name="resources_rating_sum_in_range",
                violation_error_message=_("评分总和应在评分人数的1到5倍之间"),
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["returned", "withdrawn"]) | ~Q(status_reason=""),
                name="resources_return_has_reason",
                violation_error_message=_("退回或下架须说明原因"),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_published(self) -> bool:
        return self.status == ResourceStatus.PUBLISHED

    @property
    def preview_kind(self) -> str:
        """How the page previews the file: pdf, image, video, or "" (download only)."""
        from eduplus.resources.uploads import preview_kind

        return preview_kind(self.file_format)

    @property
    def rating_average(self) -> float | None:
        """The users' plain average (评分), None before the first rating."""
        if not self.rating_count:
            return None
        return round(self.rating_sum / self.rating_count, 1)

    @property
    def rating_stars(self) -> int:
        """The average rounded to whole stars, for ★★★☆☆."""
        avg = self.rating_average
        return 0 if avg is None else int(avg + 0.5)

    def compute_rank(self) -> int:
        return rank_score(
            self.quality,
            self.download_count,
            rating_sum=self.rating_sum,
            rating_count=self.rating_count,
            featured_level=self.featured_level,
        )

    @property
    def duration_label(self) -> str:
        if not self.duration_seconds:
            return ""
        minutes, seconds = divmod(self.duration_seconds, 60)
        return f"{minutes}:{seconds:02d}"


class EventKind(models.TextChoices):
    SUBMITTED = "submitted", _("上传并提交审核")
    RESUBMITTED = "resubmitted", _("修改后重新提交")
    EDITED = "edited", _("修改信息")
    SCHOOL_APPROVED = "school_approved", _("学校审核通过")
    SCHOOL_RETURNED = "school_returned", _("学校审核退回")
    PUBLISHED = "published", _("县级审核通过并发布")
    COUNTY_RETURNED = "county_returned", _("县级审核退回")
    WITHDRAWN = "withdrawn", _("下架")
    FEATURED = "featured", _("评为精品")
    AUTO_WITHDRAWN = "auto_withdrawn", _("自动下架")


class ReviewCheck(models.TextChoices):
    """The three checks of the county review (三审)."""

    POLITICAL = "political", _("政治性审查")
    SCIENTIFIC = "scientific", _("科学性审查")
    NORMATIVE = "normative", _("规范性审查")


class ResourceEvent(models.Model):
    """One step in a resource's history, shown to the author and the reviewers."""

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("操作"), max_length=20, choices=EventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_name = models.CharField(_("操作人"), max_length=64, blank=True)
    reason = models.CharField(_("原因或意见"), max_length=1000, blank=True)
    # County review: {"political": {"passed": true, "reason": ""}, ...}.
    checks = models.JSONField(_("审查结果"), default=dict, blank=True)
    created_at = models.DateTimeField(_("时间"), db_index=True)

    scope_fields = ScopeFields(
        region="resource__region_id",
        school="resource__school_id",
        person="resource__author__person_id",
        personal=True,
    )
    objects = ScopedManager()

    class Meta:
        verbose_name = _("资源审核记录")
        verbose_name_plural = _("资源审核记录")
        ordering = ["resource_id", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.resource_id} {self.kind}"

    @property
    def check_rows(self) -> list[tuple[str, bool, str]]:
        rows = []
        for check in ReviewCheck:
            result = self.checks.get(check.value)
            if result is not None:
                rows.append(
                    (str(check.label), bool(result.get("passed")), result.get("reason", ""))
                )
        return rows


# ---------------------------------------------------------------- engagement

_RESOURCE_SCOPE = ScopeFields(
    region="resource__region_id",
    school="resource__school_id",
    person="resource__author__person_id",
    personal=True,
)


class Rating(models.Model):
    """评分: a user's 1–5 stars for a published resource; changing it replaces it."""

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="ratings")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="resource_ratings"
    )
    score = models.PositiveSmallIntegerField(pgettext_lazy("user rating", "评分"))
    created_at = models.DateTimeField(_("评分时间"))
    updated_at = models.DateTimeField(_("修改时间"))

    scope_fields = _RESOURCE_SCOPE
    objects = ScopedManager()

    class Meta:
        verbose_name = _("资源评分")
        verbose_name_plural = _("资源评分")
        ordering = ["-updated_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["resource", "user"],
                name="resources_one_rating_per_user",
                violation_error_message=_("每位用户对一个资源只能评一次分（可以修改）"),
            ),
            models.CheckConstraint(
                condition=Q(score__gte=1, score__lte=5),
                name="resources_rating_1_to_5",
                violation_error_message=_("评分应为1到5星"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.resource_id} {self.user_id} {self.score}"


class CommentStatus(models.TextChoices):
    PENDING = "pending", _("待审核")
    APPROVED = "approved", _("已通过")
    REJECTED = "rejected", _("未通过")


COMMENT_MAX_CHARS = 500


class Comment(models.Model):
    """评论: shown to others only once a moderator (RESOURCE_MODERATE) approved it."""

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="resource_comments",
    )
    author_name = models.CharField(_("评论人"), max_length=64)
    body = models.TextField(_("评论内容"), max_length=COMMENT_MAX_CHARS)
    status = models.CharField(
        _("审核状态"),
        max_length=16,
        choices=CommentStatus.choices,
        default=CommentStatus.PENDING,
        db_index=True,
    )
    reason = models.CharField(_("未通过原因"), max_length=300, blank=True)
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    moderated_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("评论时间"))

    scope_fields = _RESOURCE_SCOPE
    objects = ScopedManager()

    class Meta:
        verbose_name = _("资源评论")
        verbose_name_plural = _("资源评论")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["resource", "status", "-created_at"], name="resources_comment_idx")
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(body=""),
                name="resources_comment_not_empty",
                violation_error_message=_("评论内容不能为空"),
            ),
            models.CheckConstraint(
                condition=~Q(status="rejected") | ~Q(reason=""),
                name="resources_comment_rejected_has_reason",
                violation_error_message=_("不通过时须说明原因"),
            ),
        ]

    def __str__(self) -> str:
        return self.body[:40]


class ComplaintCategory(models.TextChoices):
    POLITICAL = "political", _("政治性问题")
    SCIENTIFIC = "scientific", _("科学性错误")
    COPYRIGHT = "copyright", _("侵犯版权")
    INAPPROPRIATE = "inappropriate", _("内容不当")
    LOW_QUALITY = "low_quality", _("质量低劣或无法使用")
    OTHER = "other", _("其他")


class ComplaintStatus(models.TextChoices):
    OPEN = "open", _("待处理")
    UPHELD = "upheld", _("举报成立")
    DISMISSED = "dismissed", _("不成立")


COMPLAINT_MAX_CHARS = 500


class Complaint(models.Model):
    """举报: one per user and resource, handled by a moderator of its region."""

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="complaints")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="resource_complaints",
    )
    user_name = models.CharField(_("举报人"), max_length=64)
    category = models.CharField(_("举报类型"), max_length=16, choices=ComplaintCategory.choices)
    text = models.TextField(_("举报说明"), max_length=COMPLAINT_MAX_CHARS)
    status = models.CharField(
        _("处理状态"),
        max_length=16,
        choices=ComplaintStatus.choices,
        default=ComplaintStatus.OPEN,
        db_index=True,
    )
    resolution = models.CharField(_("处理意见"), max_length=300, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    handled_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("举报时间"))

    scope_fields = _RESOURCE_SCOPE
    objects = ScopedManager()

    class Meta:
        verbose_name = _("资源举报")
        verbose_name_plural = _("资源举报")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["resource", "user"],
                name="resources_one_complaint_per_user",
                violation_error_message=_("你已经举报过该资源，正在处理中"),
            ),
            models.CheckConstraint(
                condition=~Q(text=""),
                name="resources_complaint_has_text",
                violation_error_message=_("请说明举报理由"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.resource_id} {self.category}"


class ResourceUsage(models.Model):
    """使用统计: views and downloads of a resource on one day (F() increments)."""

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="usage")
    day = models.DateField(_("日期"))
    views = models.PositiveIntegerField(_("浏览"), default=0)
    downloads = models.PositiveIntegerField(_("下载"), default=0)

    class Meta:
        verbose_name = _("资源日使用量")
        verbose_name_plural = _("资源日使用量")
        constraints = [
            models.UniqueConstraint(fields=["resource", "day"], name="resources_usage_one_per_day")
        ]
        indexes = [models.Index(fields=["day", "resource"], name="resources_usage_day_idx")]

    def __str__(self) -> str:
        return f"{self.resource_id} {self.day}"


class ResourceActivity(models.Model):
    """What one user did with one resource (history for recommendations, 为你推荐)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="resource_activity"
    )
    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="activity")
    views = models.PositiveIntegerField(_("浏览"), default=0)
    downloads = models.PositiveIntegerField(_("下载"), default=0)
    last_at = models.DateTimeField(_("最近时间"))

    class Meta:
        verbose_name = _("用户资源记录")
        verbose_name_plural = _("用户资源记录")
        constraints = [
            models.UniqueConstraint(fields=["user", "resource"], name="resources_activity_unique")
        ]
        indexes = [models.Index(fields=["user", "-last_at"], name="resources_activity_user_idx")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.resource_id}"
