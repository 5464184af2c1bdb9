"""Learning spaces (一人一空间、人人用空间) and the learning-record store (LRS, 学习记录库).

* :class:`Statement` — one xAPI statement (活动记录): who did what to which object, when,
  with result and context; denormalised school, region, role and period columns so that
  usage rates (空间应用率) are counted set-based by school and region.
* :class:`Pseudonym` — the stable pseudonymous id a person (or an account without a
  person) carries in statements: never the real name or ID number of a minor.
* :class:`LrsClient` — an application that writes and reads statements over HTTP Basic,
  owned by a region (it reads only that region's statements); the secret is hashed.
* :class:`Favourite` — a resource a user keeps in their space (收藏).
* :class:`TeachingGroup`, :class:`GroupMembership`, :class:`GroupResource`,
  :class:`GroupPost` — teaching-research groups (教研组, 网络教研) of teachers.

May import: core, regions, schools, people, accounts, resources (models, for keys only).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from eduplus.core.scoping import (
    Scope,
    ScopedQuerySet,
    ScopeFields,
    scope_for,
)
from eduplus.people.models import Person
from eduplus.regions.models import Region
from eduplus.schools.models import School

VOIDED_VERB = "http://adlnet.gov/expapi/verbs/voided"
POST_MAX_CHARS = 2000


def new_key() -> str:
    return uuid.uuid4().hex


class Pseudonym(models.Model):
    """The ``account.name`` of a person's xAPI agent (学习者匿名标识)."""

    key = models.CharField(_("匿名标识"), max_length=32, unique=True, default=new_key)
    person = models.OneToOneField(
        Person, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # Accounts without a person (an officer, an administrator).
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        verbose_name = _("学习者匿名标识")
        verbose_name_plural = _("学习者匿名标识")
        constraints = [
            models.CheckConstraint(
                condition=Q(person__isnull=False, user__isnull=True)
                | Q(person__isnull=True, user__isnull=False),
                name="spaces_pseudonym_person_or_user",
                violation_error_message=_("匿名标识属于一个人或一个账号"),
            )
        ]

    def __str__(self) -> str:
        return self.key


class LrsClientQuerySet(ScopedQuerySet["LrsClient"]):
    pass


class LrsClient(models.Model):
    """An application allowed to use the LRS (学习记录客户端), owned by a region."""

    name = models.CharField(_("名称"), max_length=64)
    key = models.CharField(_("客户端标识"), max_length=32, unique=True, default=new_key)
    secret_hash = models.CharField(_("密钥摘要"), max_length=128)
    region = models.ForeignKey(
        Region, verbose_name=_("所属区域"), on_delete=models.PROTECT, related_name="+"
    )
    active = models.BooleanField(_("启用"), default=True)
    created_by = models.CharField(_("创建人"), max_length=150, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    scope_fields = ScopeFields(region="region_id")
    objects = models.Manager.from_queryset(LrsClientQuerySet)()

    class Meta:
        verbose_name = _("学习记录客户端")
        verbose_name_plural = _("学习记录客户端")
        ordering = ["region_id", "name", "id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.key[:8]}…)"

    # A client reads through the scoping primitive like a user: its scope is its region.
    is_authenticated = True

    def get_scope(self) -> Scope:
        if not self.active:
            return Scope()
        return Scope(region_codes=frozenset({self.region_id}), roles=frozenset({"lrs_client"}))

    def get_username(self) -> str:
        return f"lrs:{self.key[:8]}"


class StatementQuerySet(ScopedQuerySet["Statement"]):
    def counted(self) -> StatementQuerySet:
        """Statements that count as activity: not voided, and not themselves voidings."""
        return self.filter(voided=False).exclude(verb_id=VOIDED_VERB)


class Statement(models.Model):
    """One xAPI 1.0.3 statement (活动记录), stored as received plus indexed columns."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("账号"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The xAPI agent as stored ({"objectType": "Agent", "account": {...}}) and its key:
    # the account name, or the mbox / mbox_sha1sum / openid of an outside agent.
    actor = models.JSONField(_("行为人"))
    actor_key = models.CharField(max_length=255, db_index=True)
    verb_id = models.CharField(_("动词"), max_length=255, db_index=True)
    verb_display = models.JSONField(default=dict, blank=True)
    object_json = models.JSONField(_("对象（xAPI）"), default=dict)
    object_id = models.CharField(_("对象"), max_length=512, db_index=True)
    object_type = models.CharField(max_length=16, default="Activity")
    object_name = models.CharField(_("对象名称"), max_length=255, blank=True)
    resource = models.ForeignKey(
        "resources.Resource",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
    )
    result = models.JSONField(null=True, blank=True)
    context = models.JSONField(null=True, blank=True)
    timestamp = models.DateTimeField(_("发生时间"), db_index=True)
    stored = models.DateTimeField(_("存储时间"), auto_now_add=True, db_index=True)
    authority = models.JSONField(default=dict, blank=True)
    version = models.CharField(max_length=16, default="1.0.3")
    voided = models.BooleanField(_("已撤销"), default=False)
    # SHA-256 of the statement as received (without id, stored, authority): the same id
    # sent again with the same content is accepted once; with other content, 409.
    content_hash = models.CharField(max_length=64)
    client = models.ForeignKey(
        LrsClient, null=True, blank=True, on_delete=models.SET_NULL, related_name="statements"
    )
    # Denormalised for set-based counting (空间应用率) and for the scoping primitive.
    school = models.ForeignKey(
        School, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    region = models.ForeignKey(
        Region, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    role = models.CharField(_("角色"), max_length=32, blank=True)
    month = models.CharField(_("月份"), max_length=7)  # "2026-10", local time
    school_year = models.PositiveSmallIntegerField(_("学年"))  # 2026: Sept 2026 – Aug 2027

    scope_fields = ScopeFields(
        region="region_id", school="school_id", person="person_id", personal=True
    )
    objects = models.Manager.from_queryset(StatementQuerySet)()

    class Meta:
        verbose_name = _("学习活动记录")
        verbose_name_plural = _("学习活动记录")
        ordering = ["-timestamp", "-stored"]
        indexes = [
            models.Index(fields=["school_year", "person"], name="stmt_year_person_idx"),
            models.Index(fields=["month", "person"], name="stmt_month_person_idx"),
            models.Index(fields=["region", "-stored"], name="stmt_region_stored_idx"),
            models.Index(fields=["user", "-timestamp"], name="stmt_user_time_idx"),
            models.Index(fields=["school", "school_year", "role"], name="stmt_school_year_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(month__regex=r"^[0-9]{4}-[0-9]{2}$"),
                name="spaces_statement_month_format",
                violation_error_message=_("月份格式应为YYYY-MM"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.actor_key} {self.verb_id} {self.object_id}"

    @property
    def verb_label(self) -> str:
        from eduplus.spaces.xapi import verb_label

        return verb_label(self.verb_id, self.verb_display)

    def as_xapi(self) -> dict[str, Any]:
        from eduplus.spaces.xapi import statement_json

        return statement_json(self)


class Favourite(models.Model):
    """A resource kept in a user's space (收藏)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="favourites"
    )
    resource = models.ForeignKey(
        "resources.Resource", on_delete=models.CASCADE, related_name="favourited_by"
    )
    created_at = models.DateTimeField(_("收藏时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("收藏")
        verbose_name_plural = _("收藏")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "resource"],
                name="spaces_favourite_once",
                violation_error_message=_("已收藏该资源"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id} ♥ {self.resource_id}"


class GroupReach(models.TextChoices):
    SCHOOL = "school", _("本校教师可加入")
    COUNTY = "county", _("本县（区）教师可加入")


class TeachingGroupQuerySet(ScopedQuerySet["TeachingGroup"]):
    def visible_to(self, user: Any) -> TeachingGroupQuerySet:
        """Groups a teacher may see: of their schools, county-wide ones of their
        counties, and those they belong to or are invited to."""
        if user is None or not getattr(user, "is_authenticated", False):
            return self.none()
        scope = scope_for(user)
        schools = sorted(scope.org_school_ids | scope.school_ids)
        q = Q(memberships__user_id=user.pk)
        if schools:
            counties = School.objects.filter(id__in=schools).values("region_id")
            q |= Q(school_id__in=schools) | Q(reach=GroupReach.COUNTY, region_id__in=counties)
        return self.filter(q).distinct()


class TeachingGroup(models.Model):
    """A teaching-research group (教研组): teachers sharing resources and discussion."""

    name = models.CharField(_("教研组名称"), max_length=64)
    description = models.CharField(_("简介"), max_length=500, blank=True)
    school = models.ForeignKey(
        School, verbose_name=_("发起学校"), on_delete=models.CASCADE, related_name="+"
    )
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    reach = models.CharField(
        _("加入范围"), max_length=8, choices=GroupReach.choices, default=GroupReach.SCHOOL
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    scope_fields = ScopeFields(region="region_id", school="school_id")
    objects = models.Manager.from_queryset(TeachingGroupQuerySet)()

    class Meta:
        verbose_name = _("教研组")
        verbose_name_plural = _("教研组")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "name"],
                name="spaces_group_name_per_school",
                violation_error_message=_("本校已有同名教研组"),
            )
        ]

    def __str__(self) -> str:
        return self.name


class MemberRole(models.TextChoices):
    OWNER = "owner", _("组长")
    MEMBER = "member", _("成员")


class MemberStatus(models.TextChoices):
    INVITED = "invited", _("已邀请")
    ACTIVE = "active", _("已加入")


class GroupMembership(models.Model):
    group = models.ForeignKey(TeachingGroup, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="group_memberships"
    )
    role = models.CharField(max_length=8, choices=MemberRole.choices, default=MemberRole.MEMBER)
    status = models.CharField(
        max_length=8, choices=MemberStatus.choices, default=MemberStatus.ACTIVE
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("教研组成员")
        verbose_name_plural = _("教研组成员")
        ordering = ["group_id", "role", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["group", "user"],
                name="spaces_member_once",
                violation_error_message=_("已是该教研组成员或已被邀请"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.group_id} {self.user_id} {self.status}"


class GroupResource(models.Model):
    """A resource shared in a group (共享资源)."""

    group = models.ForeignKey(TeachingGroup, on_delete=models.CASCADE, related_name="shared")
    resource = models.ForeignKey("resources.Resource", on_delete=models.CASCADE, related_name="+")
    shared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    shared_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("教研组共享资源")
        verbose_name_plural = _("教研组共享资源")
        ordering = ["-shared_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["group", "resource"],
                name="spaces_group_resource_once",
                violation_error_message=_("该资源已共享到本组"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.group_id} {self.resource_id}"


class GroupPost(models.Model):
    """A discussion post (研讨) in a group; plain text, escaped when shown."""

    group = models.ForeignKey(TeachingGroup, on_delete=models.CASCADE, related_name="posts")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    author_name = models.CharField(max_length=64)
    body = models.TextField(_("内容"), max_length=POST_MAX_CHARS)
    created_at = models.DateTimeField(_("发表时间"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("研讨帖子")
        verbose_name_plural = _("研讨帖子")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(body=""),
                name="spaces_post_not_empty",
                violation_error_message=_("内容不能为空"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.group_id}: {self.body[:20]}"


__all__ = [
    "Favourite",
    "GroupMembership",
    "GroupPost",
    "GroupReach",
    "GroupResource",
    "LrsClient",
    "MemberRole",
    "MemberStatus",
    "Pseudonym",
    "Statement",
    "TeachingGroup",
]
