"""Account writes: login with lockout, account creation, roles, passwords."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from eduplus.accounts.models import PasswordHistory, RoleAssignment, User
from eduplus.core.audit import audit_record
from eduplus.core.roles import OFFICER_REGION_LEVEL, OFFICER_ROLES, THREE_ADMIN_ROLES, Role
from eduplus.people.models import Person
from eduplus.regions.models import Region
from eduplus.schools.models import School


@dataclass(frozen=True)
class LoginOutcome:
    user: User | None
    error: str | None = None
    locked_until: dt.datetime | None = None


def login_attempt(
    *, username: str, password: str, request: HttpRequest | None = None
) -> LoginOutcome:
    """Check credentials, count failures, lock after the threshold; audit every outcome.

    The same generic message answers an unknown account and a wrong password, so that
    the login page does not reveal which accounts exist.
    """
    generic = _("账号或密码错误")
    now = timezone.now()
    user = User.objects.filter(username=username).first()
    if user is None:
        # Spend the same hashing time as a real check against timing probes.
        User().set_password(password)
        audit_record(
            actor=None,
            username=username[:150],
            action="auth.login",
            result="failure",
            request=request,
            details={"reason": "unknown_account"},
        )
        return LoginOutcome(None, generic)
    if user.locked_until and user.locked_until > now:
        audit_record(
            actor=None,
            username=user.username,
            action="auth.login",
            result="denied",
            target_type="accounts.user",
            target_id=str(user.pk),
            request=request,
            details={"reason": "locked", "locked_until": user.locked_until.isoformat()},
        )
        return LoginOutcome(None, _("登录失败次数过多，账号已锁定，请稍后再试"), user.locked_until)
    if not user.check_password(password) or not user.is_active:
        threshold = settings.EDUPLUS_LOCKOUT_THRESHOLD
        User.objects.filter(pk=user.pk).update(failed_login_count=F("failed_login_count") + 1)
        user.refresh_from_db(fields=["failed_login_count"])
        locked_until = None
        if user.failed_login_count >= threshold:
            locked_until = now + dt.timedelta(minutes=settings.EDUPLUS_LOCKOUT_MINUTES)
            User.objects.filter(pk=user.pk).update(locked_until=locked_until, failed_login_count=0)
            audit_record(
                actor=None,
                username=user.username,
                action="auth.lockout",
                result="success",
                target_type="accounts.user",
                target_id=str(user.pk),
                request=request,
                details={"locked_until": locked_until.isoformat()},
            )
        audit_record(
            actor=None,
            username=user.username,
            action="auth.login",
            result="failure",
            target_type="accounts.user",
            target_id=str(user.pk),
            request=request,
            details={"reason": "inactive" if not user.is_active else "bad_password"},
        )
        if locked_until:
            return LoginOutcome(None, _("登录失败次数过多，账号已锁定，请稍后再试"), locked_until)
        return LoginOutcome(None, generic)
    User.objects.filter(pk=user.pk).update(failed_login_count=0, locked_until=None, last_login=now)
    user.failed_login_count = 0
    user.locked_until = None
    audit_record(
        actor=user,
        action="auth.login",
        result="success",
        target_type="accounts.user",
        target_id=str(user.pk),
        request=request,
    )
    return LoginOutcome(user)


def password_is_expired(user: User) -> bool:
    max_age = settings.EDUPLUS_PASSWORD_MAX_AGE_DAYS
    if user.must_change_password:
        return True
    if not max_age or user.password_changed_at is None:
        return False
    return timezone.now() - user.password_changed_at > dt.timedelta(days=max_age)


@transaction.atomic
def password_change(
    *, user: User, old_password: str, new_password: str, request: HttpRequest | None = None
) -> User:
    if not user.check_password(old_password):
        audit_record(
            actor=user,
            action="auth.password_change",
            result="failure",
            request=request,
            details={"reason": "bad_old_password"},
        )
        raise ValidationError({"old_password": _("原密码不正确")})
    password_validation.validate_password(new_password, user)
    PasswordHistory.objects.create(user=user, password=user.password)
    user.set_password(new_password)
    user.must_change_password = False
    user.save(update_fields=["password", "password_changed_at", "must_change_password"])
    audit_record(
        actor=user,
        action="auth.password_change",
        result="success",
        request=request,
        target_type="accounts.user",
        target_id=str(user.pk),
    )
    return user


@transaction.atomic
def account_create(
    *,
    username: str,
    display_name: str,
    password: str,
    person: Person | None = None,
    actor: Any = None,
    request: HttpRequest | None = None,
    validate: bool = True,
    must_change_password: bool = False,
) -> User:
    user = User(
        username=username,
        display_name=display_name,
        person=person,
        must_change_password=must_change_password,
    )
    user.full_clean(exclude=["password"])
    if validate:
        password_validation.validate_password(password, user)
    user.set_password(password)
    user.save()
    audit_record(
        actor=actor,
        action="account.create",
        target_type="accounts.user",
        target_id=str(user.pk),
        target_repr=str(user),
        request=request,
    )
    return user


@transaction.atomic
def role_assign(
    *,
    user: User,
    role: str,
    region: Region | None = None,
    school: School | None = None,
    actor: Any = None,
    request: HttpRequest | None = None,
) -> RoleAssignment:
    """Give a role; checks 三员分立 and that an officer's region matches the role's level."""
    if role not in Role.values:
        raise ValidationError({"role": _("未知角色")})
    held = set(user.role_assignments.values_list("role", flat=True))
    if role in THREE_ADMIN_ROLES and (held & THREE_ADMIN_ROLES) - {role}:
        raise ValidationError(
            {"role": _("同一账号不能同时担任系统管理员、安全管理员、审计管理员中的两个")}
        )
    if role in THREE_ADMIN_ROLES and held - THREE_ADMIN_ROLES:
        raise ValidationError({"role": _("管理员账号不能兼任业务角色")})
    if role not in THREE_ADMIN_ROLES and held & THREE_ADMIN_ROLES:
        raise ValidationError({"role": _("管理员账号不能兼任业务角色")})
    if role in OFFICER_ROLES and (
        region is None or region.level != OFFICER_REGION_LEVEL[Role(role)]
    ):
        raise ValidationError({"region": _("管辖区域的级别与角色不符")})
    assignment = RoleAssignment(user=user, role=role, region=region, school=school)
    assignment.full_clean()
    assignment.save()
    user.__dict__.pop("_eduplus_scope", None)
    audit_record(
        actor=actor,
        action="account.role_assign",
        target_type="accounts.user",
        target_id=str(user.pk),
        target_repr=str(user),
        request=request,
        details={
            "role": role,
            "region": region.code if region else None,
            "school": school.pk if school else None,
        },
    )
    return assignment


@transaction.atomic
def account_unlock(*, user: User, actor: Any, request: HttpRequest | None = None) -> User:
    User.objects.filter(pk=user.pk).update(locked_until=None, failed_login_count=0)
    user.refresh_from_db()
    audit_record(
        actor=actor,
        action="account.unlock",
        target_type="accounts.user",
        target_id=str(user.pk),
        target_repr=str(user),
        request=request,
    )
    return user


@transaction.atomic
def account_set_active(
    *, user: User, active: bool, actor: Any, request: HttpRequest | None = None
) -> User:
    User.objects.filter(pk=user.pk).update(is_active=active)
    user.refresh_from_db()
    audit_record(
        actor=actor,
        action="account.enable" if active else "account.disable",
        target_type="accounts.user",
        target_id=str(user.pk),
        target_repr=str(user),
        request=request,
    )
    return user
