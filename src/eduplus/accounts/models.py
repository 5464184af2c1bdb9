"""Accounts: one per person (一人一号), each with role assignments that carry scope."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from eduplus.core.roles import ROLE_ACTIONS, THREE_ADMIN_ROLES, Role
from eduplus.core.scoping import Scope, scope_for
from eduplus.people.models import Person
from eduplus.regions.models import Region
from eduplus.schools.models import School


class UserManager(BaseUserManager["User"]):
    def create_user(self, username: str, password: str | None = None, **extra: object) -> User:
        user = self.model(username=username, **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user


class User(AbstractBaseUser):
    username = models.CharField(_("账号"), max_length=150, unique=True)
    person = models.OneToOneField(
        Person,
        verbose_name=_("人员"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="account",
    )
    display_name = models.CharField(_("姓名"), max_length=64)
    is_active = models.BooleanField(_("启用"), default=True)  # type: ignore[assignment,misc]
    date_joined = models.DateTimeField(_("创建时间"), default=timezone.now)
    password_changed_at = models.DateTimeField(_("密码修改时间"), null=True, blank=True)
    must_change_password = models.BooleanField(_("须修改密码"), default=False)
    failed_login_count = models.PositiveIntegerField(_("连续登录失败次数"), default=0)
    locked_until = models.DateTimeField(_("锁定至"), null=True, blank=True)

    objects = UserManager()

    USERNAME_FIELD = "username"
    REQUIRED_FIELDS: list[str] = []  # type: ignore[misc]

    class Meta:
        verbose_name = _("账号")
        verbose_name_plural = _("账号")
        ordering = ["username"]

    def __str__(self) -> str:
        return f"{self.display_name} ({self.username})"

    # Roles and scope -------------------------------------------------------------

    def role_codes(self) -> frozenset[str]:
        # The scope is built once per request from the same role assignments.
        return scope_for(self).roles

    def allowed_actions(self) -> frozenset[str]:
        actions: set[str] = set()
        for role in self.role_codes():
            actions |= ROLE_ACTIONS.get(role, frozenset())
        return frozenset(actions)

    def get_scope(self) -> Scope:
        from eduplus.accounts.scope import build_scope

        return build_scope(self)

    def set_password(self, raw_password: str | None) -> None:
        super().set_password(raw_password)
        self.password_changed_at = timezone.now()


class RoleAssignment(models.Model):
    """A role held by an account, anchored where it applies.

    Officers are anchored to a region (province, city or county code); school roles to
    a school; the three administrators to nothing (province-wide by definition).
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_assignments")
    role = models.CharField(_("角色"), max_length=32, choices=Role.choices)
    region = models.ForeignKey(
        Region, verbose_name=_("管辖区域"), null=True, blank=True, on_delete=models.PROTECT
    )
    school = models.ForeignKey(
        School, verbose_name=_("学校"), null=True, blank=True, on_delete=models.PROTECT
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("角色分配")
        verbose_name_plural = _("角色分配")
        constraints = [
            # 三员分立: one account holds at most one of the three administrator roles.
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(role__in=sorted(THREE_ADMIN_ROLES)),
                name="role_one_of_three_admins",
                violation_error_message=_(
                    "同一账号不能同时担任系统管理员、安全管理员、审计管理员中的两个"
                ),
            ),
            # The same role twice at the same anchor is one role. Partial constraints
            # rather than NULLS NOT DISTINCT, which SQLite does not support.
            models.UniqueConstraint(
                fields=["user", "role", "region"],
                condition=models.Q(region__isnull=False),
                name="role_unique_per_region",
                violation_error_message=_("该账号已在此区域担任该角色"),
            ),
            models.UniqueConstraint(
                fields=["user", "role", "school"],
                condition=models.Q(school__isnull=False),
                name="role_unique_per_school",
                violation_error_message=_("该账号已在此学校担任该角色"),
            ),
            models.UniqueConstraint(
                fields=["user", "role"],
                condition=models.Q(region__isnull=True, school__isnull=True),
                name="role_unique_unanchored",
                violation_error_message=_("该账号已担任该角色"),
            ),
            models.CheckConstraint(
                condition=(
                    ~models.Q(
                        role__in=[
                            "province_officer",
                            "city_officer",
                            "county_officer",
                            "data_steward",
                        ]
                    )
                    | models.Q(region__isnull=False, school__isnull=True)
                ),
                name="role_officer_has_region",
                violation_error_message=_("教育管理者必须指定管辖区域"),
            ),
            models.CheckConstraint(
                condition=(
                    ~models.Q(role__in=["school_admin", "teacher", "student"])
                    | models.Q(school__isnull=False, region__isnull=True)
                ),
                name="role_school_member_has_school",
                violation_error_message=_("学校角色必须指定学校"),
            ),
        ]

    def __str__(self) -> str:
        anchor = self.region or self.school or ""
        return f"{self.get_role_display()} {anchor}"


class PasswordHistory(models.Model):
    """Hashes of recent passwords, so the policy can refuse reuse."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="password_history")
    password = models.CharField(max_length=128)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.user_id} @ {self.created_at:%Y-%m-%d}"
