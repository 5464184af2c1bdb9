"""Sharing pages: officers file and follow requests, the steward reviews, the token is
shown once, revocation, and scope (other region 404, wrong role 403)."""

from __future__ import annotations

import datetime as dt
import hashlib
from types import SimpleNamespace
from typing import Any

import pytest
from django.utils import timezone

from eduplus.core.models import AuditEntry
from eduplus.governance.models import ShareRequest, ShareStatus, ShareToken
from eduplus.governance.tests.sharing_fixtures import (
    approved,
    build_share_world,
    share_request_for,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def share_world(world: Any) -> SimpleNamespace:
    return build_share_world(world)


def page(client: Any, url: str, **kwargs: Any) -> tuple[int, str]:
    response = client.get(url, follow=True, **kwargs)
    return response.status_code, response.content.decode()


def create_post(**overrides: Any) -> dict[str, Any]:
    today = timezone.localdate()
    data: dict[str, Any] = {
        "dataset": "golden:students",
        "organisation": "郑州市中原区教育局",
        "fields": ["name", "id_number", "school_name", "address"],
        "unmasked": ["name"],
        "region": "410102",
        "purpose": "学生资助精准认定，与民政低保名单比对",
        "starts_on": today.isoformat(),
        "ends_on": (today + dt.timedelta(days=60)).isoformat(),
    }
    data.update(overrides)
    return data


# ------------------------------------------------------------------- officers


def test_officer_files_a_request_through_the_form(client, login, share_world):
    w = share_world
    login(w.officer_a)
    status, body = page(client, "/data/shares/new/")
    assert status == 200
    assert "身份证件号" in body and "儿童个人信息" in body  # fields with their classification
    assert "中原区" in body and "龙亭区" not in body  # only their own region and below
    response = client.post("/data/shares/new/", create_post())
    sr = ShareRequest.objects.get()
    assert response.status_code == 302
    assert response.url == f"/data/shares/{sr.pk}/"
    assert sr.requester == w.officer_a
    assert sr.fields == ["name", "id_number", "school_name", "address"]
    assert sr.unmasked_fields == ["name"]
    status, body = page(client, response.url)
    assert "已提交，等待数据管理员审核" in body
    assert "等待数据管理员审核" in body
    status, body = page(client, "/data/shares/mine/")
    assert f"#{sr.pk}" in body and "待审核" in body


def test_dataset_switch_shows_that_datasets_fields(client, login, share_world):
    login(share_world.officer_a)
    status, body = page(client, "/data/shares/new/?dataset=golden:teachers")
    assert status == 200
    assert "任教学科" in body and "监护人电话" not in body
    status, body = page(client, "/data/shares/new/?dataset=nonsense")
    assert status == 200 and "学生主数据" in body


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"fields": []}, "请至少选择一个字段"),
        ({"fields": ["name", "salary"]}, "没有字段"),
        ({"unmasked": ["school_name"]}, "只有敏感字段可以申请明文"),
        ({"unmasked": ["address"], "fields": ["name"]}, "须同时勾选在申请字段中"),
        ({"region": "410202"}, "区域范围只能是您管辖的区域"),
        ({"region": "999999"}, "请选择区域范围"),
        ({"purpose": "看看"}, "请说明数据用途"),
        ({"organisation": ""}, "请填写申请单位"),
        ({"starts_on": "2020-01-01"}, "开始日期不能早于今天"),
        ({"starts_on": "明天"}, "日期格式应为 YYYY-MM-DD"),
        ({"ends_on": ""}, "请填写截止日期"),
        ({"dataset": "golden:secrets"}, "请选择可共享的数据集"),
    ],
)
def test_bad_form_input_is_explained_and_keeps_what_was_typed(
    client, login, share_world, overrides, message
):
    login(share_world.officer_a)
    data = create_post(**overrides)
    response = client.post("/data/shares/new/", data)
    assert response.status_code == 200
    body = response.content.decode()
    assert message in body
    assert "学生资助精准认定" in body or overrides.get("purpose")  # the input is kept
    assert not ShareRequest.objects.exists()


def test_city_officer_may_ask_for_the_city(client, login, share_world):
    w = share_world
    login(w.city_a)
    response = client.post("/data/shares/new/", create_post(region="4101"))
    assert response.status_code == 302
    assert ShareRequest.objects.get().region_id == "4101"


def test_list_empty_state_says_what_to_do(client, login, share_world):
    login(share_world.officer_a)
    status, body = page(client, "/data/shares/mine/")
    assert status == 200
    assert "还没有共享申请" in body and "提交共享申请" in body


def test_officer_sees_review_result_tokens_and_access_log(client, login, share_world):
    w = share_world
    sr = share_request_for(w.officer_a, "410102")
    sr, raw = approved(sr, w.steward, note="同意，限资助工作使用")
    client.get("/api/share/v1/records", headers={"Authorization": f"Bearer {raw}"})
    login(w.officer_a)
    status, body = page(client, f"/data/shares/{sr.pk}/")
    assert status == 200
    assert "同意，限资助工作使用" in body
    assert raw[:12] in body and raw not in body  # prefix only, never the token
    assert "令牌访问" in body and "records" in body
    assert "已批准，有效" in body


def test_list_queries_do_not_grow_with_rows(
    client, login, share_world, django_assert_max_num_queries
):
    w = share_world
    login(w.officer_a)
    share_request_for(w.officer_a, "410102")
    client.get("/data/shares/mine/")
    with django_assert_max_num_queries(12) as few:
        client.get("/data/shares/mine/")
    for _ in range(10):
        share_request_for(w.officer_a, "410102")
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get("/data/shares/mine/")


# -------------------------------------------------------------------- steward


def test_steward_approves_narrower_and_sees_the_token_once(client, login, share_world):
    w = share_world
    sr = share_request_for(w.officer_a, "410102")
    login(w.steward)
    status, body = page(client, "/data/shares/")  # the landing sends the steward to the queue
    assert status == 200 and f"#{sr.pk}" in body
    status, body = page(client, f"/data/shares/review/{sr.pk}/")
    assert status == 200
    assert "该区域现有主数据 2 人" in body
    response = client.post(
        f"/data/shares/review/{sr.pk}/approve/",
        {"fields": ["golden_id", "name", "school_name"], "unmasked": [], "note": "只批必要字段"},
    )
    assert response.status_code == 200
    body = response.content.decode()
    sr.refresh_from_db()
    assert sr.status == ShareStatus.APPROVED
    assert sr.approved_fields == ["golden_id", "name", "school_name"]
    assert sr.approved_unmasked == []
    token = ShareToken.objects.get(request=sr)
    raw = body.split('data-testid="raw-token">', 1)[1].split("<", 1)[0]
    assert hashlib.sha256(raw.encode()).hexdigest() == token.token_sha256
    assert f'curl -H "Authorization: Bearer {raw}"' in body
    assert "http://testserver/api/share/v1/records?page=1&amp;size=50" in body
    assert "只显示这一次" in body
    assert response.headers["Cache-Control"] == "no-store"
    # Never again: the review page shows the prefix only.
    status, body = page(client, f"/data/shares/review/{sr.pk}/")
    assert raw not in body and raw[:12] in body
    # The token reads what was approved, masked.
    items = client.get("/api/share/v1/records", headers={"Authorization": f"Bearer {raw}"}).json()[
        "items"
    ]
    assert {i["name"] for i in items} == {"甲*****"}


def test_approving_twice_or_wider_changes_nothing(client, login, share_world):
    w = share_world
    sr = share_request_for(
        w.officer_a, "410102", fields=["name", "school_name"], unmasked_fields=[]
    )
    login(w.steward)
    response = client.post(
        f"/data/shares/review/{sr.pk}/approve/", {"fields": ["name", "id_number"]}, follow=True
    )
    assert "批准的字段不能超出申请范围" in response.content.decode()
    response = client.post(f"/data/shares/review/{sr.pk}/approve/", {}, follow=True)
    assert "请至少批准一个字段" in response.content.decode()
    sr.refresh_from_db()
    assert sr.status == ShareStatus.PENDING and not ShareToken.objects.exists()
    client.post(f"/data/shares/review/{sr.pk}/approve/", {"fields": ["name"]})
    response = client.post(
        f"/data/shares/review/{sr.pk}/approve/", {"fields": ["name"]}, follow=True
    )
    assert "不能重复审核" in response.content.decode()
    assert ShareToken.objects.filter(request=sr).count() == 1


def test_reject_with_a_reason(client, login, share_world):
    w = share_world
    sr = share_request_for(w.officer_a, "410102")
    login(w.steward)
    response = client.post(f"/data/shares/review/{sr.pk}/reject/", {"note": ""}, follow=True)
    assert "请填写驳回理由" in response.content.decode()
    sr.refresh_from_db()
    assert sr.status == ShareStatus.PENDING
    response = client.post(
        f"/data/shares/review/{sr.pk}/reject/", {"note": "用途与字段不符"}, follow=True
    )
    assert "已驳回" in response.content.decode()
    sr.refresh_from_db()
    assert sr.status == ShareStatus.REJECTED
    client.logout()
    login(w.officer_a)
    _status, body = page(client, f"/data/shares/{sr.pk}/")
    assert "用途与字段不符" in body and "已驳回" in body


def test_steward_revokes(client, login, share_world):
    w = share_world
    sr = share_request_for(w.officer_a, "410102")
    sr, raw = approved(sr, w.steward)
    login(w.steward2)
    response = client.post(
        f"/data/shares/review/{sr.pk}/revoke/", {"note": "项目结束"}, follow=True
    )
    assert "令牌立即失效" in response.content.decode()
    sr.refresh_from_db()
    assert sr.status == ShareStatus.REVOKED
    got = client.get("/api/share/v1/grant", headers={"Authorization": f"Bearer {raw}"})
    assert got.status_code == 401


def test_requester_withdraws_own_but_another_officer_cannot(client, login, share_world):
    w = share_world
    sr = share_request_for(w.officer_a, "410102")
    sr, _raw = approved(sr, w.steward)
    login(w.city_a)  # sees the county's request, but is not its requester
    status, body = page(client, f"/data/shares/{sr.pk}/")
    assert status == 200 and 'data-testid="revoke-form"' not in body
    response = client.post(f"/data/shares/{sr.pk}/withdraw/", follow=True)
    assert "只有申请人本人或数据管理员可以撤销授权" in response.content.decode()
    sr.refresh_from_db()
    assert sr.status == ShareStatus.APPROVED
    client.logout()
    login(w.officer_a)
    response = client.post(f"/data/shares/{sr.pk}/withdraw/", {"note": "令牌泄露"}, follow=True)
    assert "令牌立即失效" in response.content.decode()
    sr.refresh_from_db()
    assert sr.status == ShareStatus.REVOKED


def test_self_review_is_refused_in_the_page(client, login, share_world):
    w = share_world
    sr = share_request_for(w.officer_steward, "410102")
    login(w.officer_steward)
    _status, body = page(client, f"/data/shares/review/{sr.pk}/")
    assert "这是您自己提交的申请" in body and 'data-testid="approve"' not in body
    response = client.post(
        f"/data/shares/review/{sr.pk}/approve/", {"fields": ["name"]}, follow=True
    )
    assert "不能审核自己提交的申请" in response.content.decode()
    sr.refresh_from_db()
    assert sr.status == ShareStatus.PENDING


def test_queue_empty_state(client, login, share_world):
    login(share_world.steward)
    status, body = page(client, "/data/shares/review/")
    assert status == 200 and "没有待审核的共享申请" in body


def test_queue_shows_the_whole_province(client, login, share_world):
    w = share_world
    a = share_request_for(w.officer_a, "410102")
    b = share_request_for(w.officer_b, "410202")
    login(w.steward)
    _status, body = page(client, "/data/shares/review/")
    assert f"#{a.pk}" in body and f"#{b.pk}" in body


# ---------------------------------------------------------------------- scope


def test_another_regions_request_answers_404_like_a_missing_one(client, login, share_world):
    w = share_world
    sr = share_request_for(w.officer_b, "410202", organisation="乙县教育局")
    login(w.officer_a)
    before = AuditEntry.objects.filter(action="permission.denied").count()
    forbidden = client.get(f"/data/shares/{sr.pk}/")
    assert AuditEntry.objects.filter(action="permission.denied").count() == before + 1
    missing = client.get("/data/shares/999999999/")
    assert forbidden.status_code == missing.status_code == 404
    assert "乙县教育局" not in forbidden.content.decode()
    assert client.post(f"/data/shares/{sr.pk}/withdraw/").status_code == 404
    _status, body = page(client, "/data/shares/mine/")
    assert "乙县教育局" not in body
    sr.refresh_from_db()
    assert sr.status == ShareStatus.PENDING


@pytest.mark.parametrize(
    ("who", "method", "url", "expected"),
    [
        ("teacher", "get", "/data/shares/mine/", 403),
        ("teacher", "get", "/data/shares/new/", 403),
        ("teacher", "get", "/data/shares/", 404),
        ("school_admin", "get", "/data/shares/mine/", 403),
        ("county_officer", "get", "/data/shares/review/", 403),
        ("county_officer", "get", "/data/shares/review/{pk}/", 403),
        ("county_officer", "post", "/data/shares/review/{pk}/approve/", 403),
        ("county_officer", "post", "/data/shares/review/{pk}/reject/", 403),
        ("steward", "get", "/data/shares/new/", 403),
        ("steward", "get", "/data/shares/{pk}/", 403),
    ],
)
def test_wrong_role_is_refused(client, login, share_world, who, method, url, expected):
    w = share_world
    sr = share_request_for(w.officer_a, "410102")
    user = w.steward if who == "steward" else w.a.users[who]
    login(user)
    response = getattr(client, method)(url.format(pk=sr.pk), {"fields": ["name"], "note": "x"})
    assert response.status_code == expected
    sr.refresh_from_db()
    assert sr.status == ShareStatus.PENDING


def test_landing_sends_officers_to_their_requests(client, login, share_world):
    login(share_world.officer_a)
    response = client.get("/data/shares/")
    assert response.status_code == 302 and response.url == "/data/shares/mine/"


def test_anonymous_is_sent_to_login(client, share_world):
    sr = share_request_for(share_world.officer_a, "410102")
    for url in ("/data/shares/", "/data/shares/mine/", f"/data/shares/{sr.pk}/"):
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith("/login/")
    response = client.post(f"/data/shares/review/{sr.pk}/approve/", {"fields": ["name"]})
    assert response.status_code == 302 and response.url.startswith("/login/")
    sr.refresh_from_db()
    assert sr.status == ShareStatus.PENDING
