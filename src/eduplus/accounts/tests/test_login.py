import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.test import override_settings
from django.utils import timezone

from eduplus.accounts.models import RoleAssignment, User
from eduplus.accounts.services import password_change, role_assign
from eduplus.core.models import AuditEntry
from eduplus.regions.models import Region
from eduplus.testing import factories as f

PW = f.DEMO_PASSWORD


def post_login(client, username, password):
    return client.post("/login/", {"username": username, "password": password})


@pytest.mark.django_db
def test_login_success_and_failure_are_audited_with_source_address(client):
    user = f.user_with_role("county_officer", region="410102")
    bad = post_login(client, user.username, "Wrong@Pass1")
    assert bad.status_code == 200
    assert "账号或密码错误" in bad.content.decode()
    unknown = post_login(client, "nobody-here", "Wrong@Pass1")
    assert "账号或密码错误" in unknown.content.decode()  # same answer: no account probing
    ok = post_login(client, user.username, PW)
    assert ok.status_code == 302
    entries = AuditEntry.objects.filter(action="auth.login").order_by("id")
    assert [(e.actor_username, e.result) for e in entries] == [
        (user.username, "failure"),
        ("nobody-here", "failure"),
        (user.username, "success"),
    ]
    assert all(e.source_ip == "127.0.0.1" for e in entries)


@pytest.mark.django_db
@override_settings(EDUPLUS_LOCKOUT_THRESHOLD=5, EDUPLUS_LOCKOUT_MINUTES=30)
def test_lockout_after_repeated_failures_then_cool_off(client):
    user = f.user_with_role("teacher", school=f.SchoolFactory())
    for _ in range(5):
        post_login(client, user.username, "Wrong@Pass1")
    user.refresh_from_db()
    assert user.locked_until is not None
    locked = post_login(client, user.username, PW)  # the right password is refused while locked
    assert locked.status_code == 200
    assert "已锁定" in locked.content.decode()
    assert AuditEntry.objects.filter(action="auth.lockout", actor_username=user.username).exists()
    # After the cool-off the right password works again.
    User.objects.filter(pk=user.pk).update(locked_until=timezone.now() - dt.timedelta(seconds=1))
    assert post_login(client, user.username, PW).status_code == 302


@pytest.mark.django_db
def test_security_admin_unlocks_and_that_is_audited(client):
    victim = f.user_with_role("teacher", school=f.SchoolFactory())
    User.objects.filter(pk=victim.pk).update(locked_until=timezone.now() + dt.timedelta(hours=1))
    sec = f.user_with_role("security_admin")
    post_login(client, sec.username, PW)
    page = client.get("/security/").content.decode()
    assert victim.username in page
    assert client.post(f"/security/unlock/{victim.pk}/").status_code == 302
    victim.refresh_from_db()
    assert victim.locked_until is None
    assert AuditEntry.objects.filter(action="account.unlock", target_id=str(victim.pk)).exists()


@pytest.mark.django_db
def test_logout_ends_the_session_server_side(client):
    user = f.user_with_role("county_officer", region="410102")
    post_login(client, user.username, PW)
    old_session = client.cookies["sessionid"].value
    assert client.get("/").status_code == 200
    assert client.get("/logout/").status_code == 405  # logout is a POST (CSRF-protected)
    client.post("/logout/")
    from django.contrib.sessions.models import Session

    assert not Session.objects.filter(session_key=old_session).exists()
    client.cookies["sessionid"] = old_session  # replaying the old cookie gets nothing
    assert client.get("/").status_code == 302
    assert AuditEntry.objects.filter(action="auth.logout", actor_username=user.username).exists()


@pytest.mark.django_db
@override_settings(EDUPLUS_IDLE_TIMEOUT_MINUTES=30)
def test_idle_session_times_out(client):
    user = f.user_with_role("county_officer", region="410102")
    post_login(client, user.username, PW)
    assert client.get("/").status_code == 200
    session = client.session
    session["eduplus_last_seen"] = timezone.now().timestamp() - 31 * 60
    session.save()
    response = client.get("/")
    assert response.status_code == 302
    assert "/login/" in response["Location"]
    assert AuditEntry.objects.filter(action="auth.session_timeout").exists()


@pytest.mark.django_db
@override_settings(EDUPLUS_PASSWORD_MAX_AGE_DAYS=90)
def test_expired_password_forces_a_change_before_anything_else(client):
    user = f.user_with_role("county_officer", region="410102")
    User.objects.filter(pk=user.pk).update(
        password_changed_at=timezone.now() - dt.timedelta(days=91)
    )
    post_login(client, user.username, PW)
    response = client.get("/schools/")
    assert response.status_code == 302 and response["Location"] == "/password/"
    response = client.post(
        "/password/",
        {"old_password": PW, "new_password": "Fresh#Pass2027", "new_password2": "Fresh#Pass2027"},
    )
    assert response.status_code == 302
    assert client.get("/schools/").status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("new", "message"),
    [
        ("Ab1!", "至少需要 8"),
        ("alllowercase", "至少 3 类"),
        ("12345678", "至少 3 类"),
    ],
)
def test_password_policy_refuses_weak_passwords(new, message):
    user = f.user_with_role("teacher", school=f.SchoolFactory())
    with pytest.raises(ValidationError, match=message):
        password_change(user=user, old_password=PW, new_password=new)


@pytest.mark.django_db
def test_recent_passwords_cannot_be_reused():
    user = f.user_with_role("teacher", school=f.SchoolFactory())
    password_change(user=user, old_password=PW, new_password="Second#Pass1")
    with pytest.raises(ValidationError, match="最近"):
        password_change(user=user, old_password="Second#Pass1", new_password=PW)
    with pytest.raises(ValidationError, match="原密码"):
        password_change(user=user, old_password="not-it", new_password="Third#Pass12")


@pytest.mark.django_db
def test_three_administrators_are_three_accounts():
    user = f.user_with_role("system_admin")
    with pytest.raises(ValidationError, match="系统管理员"):
        role_assign(user=user, role="audit_admin")
    with pytest.raises(ValidationError, match="业务角色"):
        role_assign(user=user, role="county_officer", region=Region.objects.get(code="410102"))
    # The database refuses it too, whatever path a write takes.
    with pytest.raises(IntegrityError), transaction.atomic():
        RoleAssignment.objects.create(user=user, role="security_admin")


@pytest.mark.django_db
def test_officer_region_must_match_role_level():
    user = f.UserFactory()
    with pytest.raises(ValidationError, match="级别"):
        role_assign(user=user, role="county_officer", region=Region.objects.get(code="4101"))
    with pytest.raises(ValidationError):
        role_assign(user=user, role="city_officer")
    assignment = role_assign(user=user, role="city_officer", region=Region.objects.get(code="4101"))
    assert assignment.pk


@pytest.mark.django_db
def test_open_redirect_after_login_is_refused(client):
    user = f.user_with_role("county_officer", region="410102")
    response = client.post(
        "/login/?next=https://evil.example/",
        {"username": user.username, "password": PW, "next": "https://evil.example/"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/"


@pytest.mark.django_db
def test_secure_headers_on_every_page(client):
    response = client.get("/login/")
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


@pytest.mark.django_db
def test_login_form_requires_csrf_token():
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    user = f.user_with_role("county_officer", region="410102")
    response = client.post("/login/", {"username": user.username, "password": PW})
    assert response.status_code == 403


@pytest.mark.django_db
def test_the_same_role_twice_is_refused_by_the_database():
    user = f.user_with_role("county_officer", region="410102")
    with pytest.raises(IntegrityError), transaction.atomic():
        RoleAssignment.objects.create(
            user=user, role="county_officer", region=Region.objects.get(code="410102")
        )
    parent = f.user_with_role("parent")
    with pytest.raises(IntegrityError), transaction.atomic():
        RoleAssignment.objects.create(user=parent, role="parent")
