"""The token API (/api/share/) and the session API of sharing requests (/api/data/shares)."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import pytest
from django.utils import timezone

from eduplus.core.models import AuditEntry
from eduplus.governance.models import ShareRequest, ShareToken
from eduplus.governance.sharing import share_request_revoke
from eduplus.governance.tests.sharing_fixtures import (
    approved,
    build_share_world,
    share_request_for,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def share_world(world: Any) -> SimpleNamespace:
    return build_share_world(world)


GRANT = "/api/share/v1/grant"
RECORDS = "/api/share/v1/records"


def bearer(raw: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {raw}"}


@pytest.fixture
def issued(share_world: Any) -> tuple[ShareRequest, str]:
    """County A officer's request, approved narrower: no guardian phone, name unmasked."""
    w = share_world
    sr = share_request_for(w.officer_a, "410102")
    fields = [f for f in sr.fields if f != "guardian_phone"]
    return approved(sr, w.steward, fields=fields, unmasked_fields=["name"])


def test_grant_describes_what_the_token_allows(client, share_world, issued):
    sr, raw = issued
    response = client.get(GRANT, headers=bearer(raw))
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["request_id"] == sr.pk
    assert body["dataset"] == "golden:students"
    assert [f["name"] for f in body["fields"]] == sr.approved_fields
    assert "guardian_phone" not in [f["name"] for f in body["fields"]]
    masked = {f["name"]: f["masked"] for f in body["fields"]}
    assert masked["name"] is False
    assert masked["id_number"] is True
    assert masked["golden_id"] is True  # carries the ID number
    assert masked["school_name"] is False
    assert body["unmasked_fields"] == ["name"]
    assert body["region_code"] == "410102"
    assert body["starts_on"] == sr.starts_on.isoformat()
    assert body["ends_on"] == sr.ends_on.isoformat()
    assert body["token_prefix"] == raw[:12]
    assert response.headers["Cache-Control"] == "no-store"


def test_records_only_approved_fields_masked_and_only_the_region(client, share_world, issued):
    w = share_world
    sr, raw = issued
    response = client.get(RECORDS, headers=bearer(raw))
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["count"] == 2
    assert body["fields"] == sr.approved_fields
    names = [item["name"] for item in body["items"]]
    assert sorted(names) == ["甲共享学生一", "甲共享学生二"]
    text = response.content.decode()
    assert "乙共享学生" not in text and "甲共享教师" not in text
    for item in body["items"]:
        assert set(item) == set(sr.approved_fields)
        assert "guardian_phone" not in item
        assert item["birth_date"] == "2014"
        assert item["address"].endswith("…") and len(item["address"]) == 7
        assert "*" in item["id_number"]
        assert item["region_code"] == "410102"
    for golden in [*w.students_a, w.student_b]:
        assert golden.person.id_number not in text
        assert golden.guardian_phone not in text


def test_records_are_paged_and_the_size_capped(client, share_world, issued):
    _sr, raw = issued
    first = client.get(RECORDS, {"page": 1, "size": 1}, headers=bearer(raw)).json()
    second = client.get(RECORDS, {"page": 2, "size": 1}, headers=bearer(raw)).json()
    assert first["count"] == second["count"] == 2
    assert len(first["items"]) == len(second["items"]) == 1
    assert first["items"][0]["name"] != second["items"][0]["name"]
    big = client.get(RECORDS, {"size": 100000, "page": 0}, headers=bearer(raw)).json()
    assert big["size"] == 200 and big["page"] == 1
    bad = client.get(RECORDS, {"size": "abc"}, headers=bearer(raw))
    assert bad.status_code == 422


def test_every_access_is_audited_and_counted(client, share_world, issued):
    sr, raw = issued
    client.get(GRANT, headers=bearer(raw))
    client.get(RECORDS, {"page": 1, "size": 1}, headers=bearer(raw))
    client.get(RECORDS, headers=bearer(raw))
    entries = list(
        AuditEntry.objects.filter(action="share.access", result="success").order_by("id")
    )
    assert [e.details["endpoint"] for e in entries] == ["grant", "records", "records"]
    assert [e.details["rows"] for e in entries] == [0, 1, 2]
    for e in entries:
        assert e.details["token"] == raw[:12]
        assert e.details["request"] == sr.pk
        assert e.target_id == str(sr.pk)
        assert e.details["fields"] == sr.approved_fields
        assert e.actor_username == f"token:{raw[:12]}"
    token = ShareToken.objects.get(request=sr)
    assert token.use_count == 3
    assert token.last_used_at is not None


def test_revoked_token_answers_401_in_chinese_and_is_audited(client, share_world, issued):
    w = share_world
    sr, raw = issued
    share_request_revoke(share_request=sr, actor=w.steward)
    for url in (GRANT, RECORDS):
        response = client.get(url, headers=bearer(raw))
        assert response.status_code == 401
        assert "撤销" in response.json()["detail"]
        assert "甲共享" not in response.content.decode()
    denied = AuditEntry.objects.filter(action="share.access", result="denied")
    assert denied.count() == 2
    assert ShareToken.objects.get(request=sr).use_count == 0


def test_expired_token_answers_401(client, share_world, issued):
    sr, raw = issued
    ShareToken.objects.filter(request=sr).update(
        expires_at=timezone.now() - dt.timedelta(minutes=1)
    )
    response = client.get(RECORDS, headers=bearer(raw))
    assert response.status_code == 401
    assert "过期" in response.json()["detail"]


def test_period_ended_answers_401(client, share_world, issued):
    sr, raw = issued
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    ShareRequest.objects.filter(pk=sr.pk).update(starts_on=yesterday, ends_on=yesterday)
    response = client.get(RECORDS, headers=bearer(raw))
    assert response.status_code == 401
    assert "过期" in response.json()["detail"]


def test_not_yet_started_answers_401(client, share_world):
    w = share_world
    today = timezone.localdate()
    sr = share_request_for(
        w.officer_a,
        "410102",
        starts_on=today + dt.timedelta(days=3),
        ends_on=today + dt.timedelta(days=9),
    )
    _sr, raw = approved(sr, w.steward)
    response = client.get(RECORDS, headers=bearer(raw))
    assert response.status_code == 401
    assert "尚未开始" in response.json()["detail"]


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({}, "缺少访问令牌"),
        ({"Authorization": "Basic dXNlcjpwYXNz"}, "令牌格式错误"),
        ({"Authorization": "Bearer "}, "令牌格式错误"),
        ({"Authorization": "Bearer eps_wrongwrongwrongwrong"}, "令牌无效"),
        ({"Authorization": "Bearer something-else"}, "令牌无效"),
    ],
)
def test_wrong_or_missing_token_answers_401(client, share_world, issued, headers, message):
    response = client.get(RECORDS, headers=headers)
    assert response.status_code == 401
    assert message in response.json()["detail"]
    assert "甲共享" not in response.content.decode()


def test_a_logged_in_session_is_no_token(client, login, share_world, issued):
    login(share_world.steward)
    response = client.get(RECORDS)
    assert response.status_code == 401


def test_another_request_token_never_sees_another_region(client, share_world):
    w = share_world
    sr_b = share_request_for(
        w.officer_b, "410202", fields=["name", "region_code"], unmasked_fields=[]
    )
    _sr, raw_b = approved(sr_b, w.steward)
    body = client.get(RECORDS, headers=bearer(raw_b)).json()
    assert [i["region_code"] for i in body["items"]] == ["410202"]
    assert all(set(i) == {"name", "region_code"} for i in body["items"])
    assert "甲共享" not in str(body)


def test_openapi_documents_the_bearer_auth(client, share_world):
    schema = client.get("/api/openapi.json").json()
    schemes = schema["components"]["securitySchemes"]
    bearer_names = [n for n, s in schemes.items() if s.get("scheme") == "bearer"]
    assert bearer_names == ["ShareTokenAuth"]
    for path in ("/api/share/v1/grant", "/api/share/v1/records"):
        security = schema["paths"][path]["get"]["security"]
        assert security == [{"ShareTokenAuth": []}]


# ------------------------------------------------------------- session API


def test_session_api_lists_requests_in_scope(client, login, share_world, issued):
    w = share_world
    sr, raw = issued
    share_request_for(w.officer_b, "410202", organisation="乙县教育局")
    login(w.officer_a)
    body = client.get("/api/data/shares").json()
    assert [i["id"] for i in body["items"]] == [sr.pk]
    assert body["items"][0]["region_code"] == "410102"
    assert body["items"][0]["status"] == "approved"
    detail = client.get(f"/api/data/shares/{sr.pk}").json()
    assert [t["prefix"] for t in detail["tokens"]] == [raw[:12]]
    assert detail["tokens"][0]["state"] == "valid"
    assert raw not in str(detail)
    mine = client.get("/api/data/shares", {"mine": "true", "status": "pending"}).json()
    assert mine["count"] == 0


def test_session_api_other_region_404_and_wrong_role_403(client, login, share_world, issued):
    w = share_world
    sr, _raw = issued
    login(w.officer_b)
    assert client.get(f"/api/data/shares/{sr.pk}").status_code == 404
    assert client.get("/api/data/shares/999999").status_code == 404
    assert client.get("/api/data/shares").json()["count"] == 0
    client.logout()
    login(w.a.users["teacher"])
    assert client.get("/api/data/shares").status_code == 403
    assert client.get(f"/api/data/shares/{sr.pk}").status_code == 403
