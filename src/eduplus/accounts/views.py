"""Login, logout, password change, account administration (系统管理员) and lockouts
(安全管理员)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from eduplus.accounts.forms import AccountCreateForm, LoginForm, PasswordChangeForm
from eduplus.accounts.models import User
from eduplus.accounts.services import (
    account_create,
    account_unlock,
    login_attempt,
    password_change,
    role_assign,
)
from eduplus.core.audit import audit_record
from eduplus.core.pagination import paginate, querystring_without_page
from eduplus.core.permissions import require_action
from eduplus.core.roles import Action
from eduplus.regions.models import Region
from eduplus.schools.models import School


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
def login_view(request: HttpRequest) -> HttpResponse:
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}):
        next_url = ""
    if request.user.is_authenticated:
        return redirect(next_url or settings.LOGIN_REDIRECT_URL)
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        outcome = login_attempt(
            username=form.cleaned_data["username"],
            password=form.cleaned_data["password"],
            request=request,
        )
        if outcome.user is not None:
            login(request, outcome.user, backend="django.contrib.auth.backends.ModelBackend")
            return redirect(next_url or settings.LOGIN_REDIRECT_URL)
        form.add_error(None, outcome.error or _("登录失败"))
    return render(request, "accounts/login.html", {"form": form, "next": next_url})


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        audit_record(actor=request.user, action="auth.logout", request=request)
    logout(request)  # flushes the session: the old session id is dead server-side
    messages.info(request, _("您已安全退出"))
    return redirect("accounts:login")


@sensitive_post_parameters()
@login_required
def password_change_view(request: HttpRequest) -> HttpResponse:
    form = PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            password_change(
                user=request.user,  # type: ignore[arg-type]
                old_password=form.cleaned_data["old_password"],
                new_password=form.cleaned_data["new_password"],
                request=request,
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                form.add_error("new_password", exc.messages)
        else:
            from django.contrib.auth import update_session_auth_hash

            update_session_auth_hash(request, request.user)  # type: ignore[arg-type]
            messages.success(request, _("密码已修改"))
            return redirect("home")
    from django.contrib.auth.password_validation import password_validators_help_texts

    return render(
        request,
        "accounts/password_change.html",
        {"form": form, "help_texts": password_validators_help_texts()},
    )


@require_action(Action.ACCOUNT_MANAGE)
def account_list(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()[:64]
    qs = User.objects.prefetch_related("role_assignments__region", "role_assignments__school")
    if q:
        qs = qs.filter(username__contains=q) | qs.filter(display_name__contains=q)
    page = paginate(request, qs.order_by("username"))
    form = AccountCreateForm()
    return render(
        request,
        "accounts/list.html",
        {"page": page, "q": q, "form": form, "qs": querystring_without_page(request)},
    )


@require_POST
@require_action(Action.ACCOUNT_MANAGE)
def account_create_view(request: HttpRequest) -> HttpResponse:
    form = AccountCreateForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        region = Region.objects.filter(code=data["region"]).first() if data["region"] else None
        school = School.objects.filter(code=data["school"]).first() if data["school"] else None
        try:
            with transaction.atomic():
                user = account_create(
                    username=data["username"],
                    display_name=data["display_name"],
                    password=data["password"],
                    actor=request.user,
                    request=request,
                    must_change_password=True,
                )
                role_assign(
                    user=user,
                    role=data["role"],
                    region=region,
                    school=school,
                    actor=request.user,
                    request=request,
                )
        except ValidationError as exc:
            for msg in exc.messages:
                messages.error(request, msg)
        else:
            messages.success(
                request, _("账号 %(u)s 已创建，首次登录须修改密码") % {"u": user.username}
            )
    else:
        for field, errors in form.errors.items():
            for e in errors:
                messages.error(
                    request, f"{form.fields[field].label if field in form.fields else ''} {e}"
                )
    return redirect("accounts:list")


@require_action(Action.ACCOUNT_UNLOCK)
def security_view(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    locked = User.objects.filter(locked_until__gt=now).order_by("locked_until")
    return render(
        request,
        "accounts/security.html",
        {
            "locked": locked,
            "policy": {
                "min_length": settings.EDUPLUS_PASSWORD_MIN_LENGTH,
                "min_classes": settings.EDUPLUS_PASSWORD_MIN_CLASSES,
                "max_age_days": settings.EDUPLUS_PASSWORD_MAX_AGE_DAYS,
                "history": settings.EDUPLUS_PASSWORD_HISTORY,
                "lockout_threshold": settings.EDUPLUS_LOCKOUT_THRESHOLD,
                "lockout_minutes": settings.EDUPLUS_LOCKOUT_MINUTES,
                "idle_minutes": settings.EDUPLUS_IDLE_TIMEOUT_MINUTES,
            },
        },
    )


@require_POST
@require_action(Action.ACCOUNT_UNLOCK)
def unlock_view(request: HttpRequest, user_pk: int) -> HttpResponse:
    user = User.objects.filter(pk=user_pk).first()
    if user is None:
        from django.http import Http404

        raise Http404
    account_unlock(user=user, actor=request.user, request=request)
    messages.success(request, _("账号 %(u)s 已解锁") % {"u": user.username})
    return redirect("accounts:security")
