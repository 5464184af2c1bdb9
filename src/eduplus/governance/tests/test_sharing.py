"""Data-sharing services and selectors: request → review → token → what it reads."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from eduplus.core.models import AuditEntry
from eduplus.governance.models import ShareRequest, ShareStatus, ShareToken
from eduplus.governance.sharing import (
    ShareTokenError,
    mask_address,
    mask_name,
    share_record_row,
    share_records,
    share_request_approve,
    share_request_reject,
    share_request_revoke,
    share_token_authenticate,
    token_expiry,
)
from eduplus.governance.tests.sharing_fixtures import (
    approved,
    build_share_world,
    sha256,
    share_request_for,
)
from eduplus.regions.models import Region

pytestmark = pytest.mark.django_db


@pytest.fixture
def share_world(world: Any) -> SimpleNamespace:
    return build_share_world(world)


def rows_of(token: ShareToken) -> list[dict[str, Any]]:
    sr = token.request
    return [
        share_record_row(g, sr.approved_fields, sr.approved_unmasked) for g in share_records(token)
    ]


def test_whole_flow_token_reads_only_what_was_approved(share_world):
    w = share_world
    sr = share_request_for(w.officer_a, "410102")
    assert sr.status == ShareStatus.PENDING
    assert AuditEntry.objects.filter(action="share.create", target_id=str(sr.pk)).exists()

    # Narrower than asked: no guardian phone, no address; the ID number stays masked.
    narrowed = [f for f in sr.fields if f not in ("guardian_phone", "address")]
    sr, raw = approved(sr, w.steward, fields=narrowed, unmasked_fields=["name"], note="按需批准")
    assert sr.status == ShareStatus.APPROVED
    assert sr.approved_fields == narrowed
    assert sr.approved_unmasked == ["name"]
    assert sr.reviewer == w.steward

    token = share_token_authenticate(raw)
    assert token.request_id == sr.pk
    rows = rows_of(token)
    # Only county A's students: not its teacher, not county B's student.
    assert sorted(r["name"] for r in rows) == ["甲共享学生一", "甲共享学生二"]
    for row, golden in zip(rows, sorted(w.students_a, key=lambda g: g.person_id), strict=True):
        person = golden.person
        assert set(row) == set(narrowed)
        assert row["name"] == person.name  # approved unmasked
        assert row["id_number"] == person.id_number[:6] + "********" + person.id_number[-4:]
        assert person.id_number not in str(row)
        assert row["birth_date"] == "2014"
        assert row["golden_id"] == "G" + row["id_number"]
        assert row["region_code"] == "410102"
        assert row["school_name"] == w.a.school.name
    approve_entry = AuditEntry.objects.get(action="share.approve", target_id=str(sr.pk))
    assert approve_entry.details["narrowed"] is True
    assert approve_entry.details["token"] == raw[:12]


def test_unmasked_approval_shows_clear_values_and_masks_the_rest(share_world):
    w = share_world
    sr = share_request_for(w.officer_a, "410102", unmasked_fields=["id_number", "address"])
    sr, raw = approved(sr, w.steward)
    assert sr.approved_fields == sr.fields  # None approves what was asked
    assert sr.approved_unmasked == ["id_number", "address"]
    token = share_token_authenticate(raw)
    first = next(r for r in rows_of(token) if r["name"].startswith("甲"))
    golden = min(w.students_a, key=lambda g: g.person_id)
    assert first["id_number"] == golden.person.id_number
    assert first["golden_id"] == golden.person.golden_id
    assert first["address"] == golden.address
    assert first["name"] == "甲*****"
    assert first["guardian_phone"] == "138****5678"


def test_masking_helpers():
    assert mask_name("张三") == "张*"
    assert mask_name("欧阳娜娜") == "欧***"
    assert mask_name("李") == "李*"
    assert mask_name("") == ""
    assert mask_address("河南省郑州市中原区建设路100号") == "河南省郑州市…"
    assert mask_address("建设路") == "建…"


def test_teachers_dataset_reads_teachers_only(share_world):
    w = share_world
    sr = share_request_for(
        w.officer_a,
        "410102",
        dataset="golden:teachers",
        fields=["name", "phone", "subject", "title"],
        unmasked_fields=[],
    )
    _sr, raw = approved(sr, w.steward)
    rows = rows_of(share_token_authenticate(raw))
    assert rows == [
        {"name": "甲****", "phone": "137****1111", "subject": "数学", "title": "一级教师"}
    ]


def test_region_subtree_city_request_sees_county_but_never_another_city(share_world):
    w = share_world
    sr = share_request_for(w.city_a, "4101")
    _sr, raw = approved(sr, w.steward, unmasked_fields=["name"])
    names = {r["name"] for r in rows_of(share_token_authenticate(raw))}
    assert names == {"甲共享学生一", "甲共享学生二"}


def test_only_the_digest_is_stored_and_the_token_ends_with_the_period(share_world):
    w = share_world
    sr = share_request_for(w.officer_a, "410102")
    sr, raw = approved(sr, w.steward)
    token = ShareToken.objects.get(request=sr)
    assert raw.startswith("eps_") and len(raw) > 40
    assert token.token_sha256 == sha256(raw)
    assert token.prefix == raw[:12]
    assert raw not in str(list(ShareToken.objects.values()))
    assert not any(raw in str(e.details) for e in AuditEntry.objects.all())
    expected = dt.datetime.combine(
        sr.ends_on + dt.timedelta(days=1), dt.time.min, tzinfo=timezone.get_current_timezone()
    )
    assert token.expires_at == expected == token_expiry(sr.ends_on)


# ---------------------------------------------------------------- review rules


def test_approval_never_wider_than_asked_and_changes_nothing_when_refused(share_world):
    w = share_world
    sr = share_request_for(
        w.officer_a, "410102", fields=["name", "school_name"], unmasked_fields=[]
    )
    cases = [
        ({"fields": ["name", "school_name", "id_number"]}, "fields"),  # a field not asked
        ({"fields": ["name", "made_up"]}, "fields"),
        ({"fields": []}, "fields"),
        ({"unmasked_fields": ["name"]}, "unmasked_fields"),  # clear text not asked
        ({"note": "长" * 2001}, "note"),
    ]
    for kwargs, key in cases:
        with pytest.raises(ValidationError) as exc:
            share_request_approve(share_request=sr, reviewer=w.steward, **kwargs)
        assert key in exc.value.message_dict, kwargs
    sr.refresh_from_db()
    assert sr.status == ShareStatus.PENDING
    assert sr.approved_fields == []
    assert not ShareToken.objects.exists()
    assert not AuditEntry.objects.filter(action="share.approve").exists()


def test_approved_unmasked_must_also_be_approved(share_world):
    w = share_world
    sr = share_request_for(w.officer_a, "410102")
    with pytest.raises(ValidationError) as exc:
        share_request_approve(
            share_request=sr, reviewer=w.steward, fields=["school_name"], unmasked_fields=["name"]
        )
    assert "须同时被批准" in str(exc.value)


def test_self_review_is_refused(share_world):
    w = share_world
    sr = share_request_for(w.officer_steward, "410102")
    with pytest.raises(ValidationError, match="不能审核自己提交的申请"):
        approved(sr, w.officer_steward)
    with pytest.raises(ValidationError, match="不能审核自己提交的申请"):
        share_request_reject(share_request=sr, reviewer=w.officer_steward, note="不同意")
    sr.refresh_from_db()
    assert sr.status == ShareStatus.PENDING
    _sr, raw = approved(sr, w.steward)  # another steward may
    assert share_token_authenticate(raw)


def test_only_a_steward_reviews(share_world):
    w = share_world
    sr = share_request_for(w.officer_a, "410102")
    with pytest.raises(ValidationError, match="只有数据管理员"):
        approved(sr, w.world.province_officer)


def test_reject_needs_a_reason_and_ends_the_request(share_world):
    w = share_world
    sr = share_request_for(w.officer_a, "410102")
    with pytest.raises(ValidationError) as exc:
        share_request_reject(share_request=sr, reviewer=w.steward, note="  ")
    assert "note" in exc.value.message_dict
    sr.refresh_from_db()
    assert sr.status == ShareStatus.PENDING
    sr = share_request_reject(share_request=sr, reviewer=w.steward, note="用途不明确")
    assert sr.status == ShareStatus.REJECTED
    assert sr.review_note == "用途不明确"
    with pytest.raises(ValidationError, match="已审核"):
        approved(sr, w.steward)
    assert not ShareToken.objects.exists()
    assert AuditEntry.objects.filter(action="share.reject", target_id=str(sr.pk)).exists()


def test_cannot_approve_twice(share_world):
    w = share_world
    sr = share_request_for(w.officer_a, "410102")
    approved(sr, w.steward)
    stale = ShareRequest.objects.get(pk=sr.pk)
    stale.status = ShareStatus.PENDING  # a page opened before the first approval
    with pytest.raises(ValidationError, match="已审核"):
        approved(stale, w.steward2)
    assert ShareToken.objects.filter(request=sr).count() == 1


# ------------------------------------------------------------- token life cycle


def test_revoke_ends_every_token(share_world):
    w = share_world
    sr = share_request_for(w.officer_a, "410102")
    sr, raw = approved(sr, w.steward)
    share_token_authenticate(raw)
    sr = share_request_revoke(share_request=sr, actor=w.steward, note="项目结束")
    assert sr.status == ShareStatus.REVOKED
    assert ShareToken.objects.get(request=sr).revoked_at is not None
    with pytest.raises(ShareTokenError) as exc:
        share_token_authenticate(raw)
    assert exc.value.reason == "revoked"
    assert "撤销" in exc.value.message
    with pytest.raises(ValidationError, match="只有已批准的申请可以撤销"):
        share_request_revoke(share_request=sr, actor=w.steward)


def test_requester_may_revoke_own_but_another_officer_may_not(share_world):
    w = share_world
    sr = share_request_for(w.officer_a, "410102")
    sr, raw = approved(sr, w.steward)
    with pytest.raises(ValidationError, match="只有申请人本人或数据管理员"):
        share_request_revoke(share_request=sr, actor=w.city_a)
    sr.refresh_from_db()
    assert sr.status == ShareStatus.APPROVED
    share_request_revoke(share_request=sr, actor=w.officer_a, note="令牌泄露")
    with pytest.raises(ShareTokenError):
        share_token_authenticate(raw)
    entry = AuditEntry.objects.get(action="share.revoke", target_id=str(sr.pk))
    assert entry.details["by_requester"] is True


def test_expiry_ends_access(share_world):
    w = share_world
    sr = share_request_for(w.officer_a, "410102")
    sr, raw = approved(sr, w.steward)
    ShareToken.objects.filter(request=sr).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    with pytest.raises(ShareTokenError) as exc:
        share_token_authenticate(raw)
    assert exc.value.reason == "expired"
    assert "过期" in exc.value.message


def test_period_in_the_past_ends_access(share_world):
    w = share_world
    sr = share_request_for(w.officer_a, "410102")
    sr, raw = approved(sr, w.steward)
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    ShareRequest.objects.filter(pk=sr.pk).update(
        starts_on=yesterday - dt.timedelta(days=5), ends_on=yesterday
    )
    with pytest.raises(ShareTokenError) as exc:
        share_token_authenticate(raw)
    assert exc.value.reason == "expired"


def test_a_request_whose_period_ended_cannot_be_approved(share_world):
    w = share_world
    sr = share_request_for(w.officer_a, "410102")
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    ShareRequest.objects.filter(pk=sr.pk).update(starts_on=yesterday, ends_on=yesterday)
    sr.refresh_from_db()
    with pytest.raises(ValidationError, match="期限已结束"):
        approved(sr, w.steward)
    assert not ShareToken.objects.exists()


def test_not_yet_started(share_world):
    w = share_world
    today = timezone.localdate()
    sr = share_request_for(
        w.officer_a,
        "410102",
        starts_on=today + dt.timedelta(days=5),
        ends_on=today + dt.timedelta(days=10),
    )
    _sr, raw = approved(sr, w.steward)
    with pytest.raises(ShareTokenError) as exc:
        share_token_authenticate(raw)
    assert exc.value.reason == "not_started"
    assert (today + dt.timedelta(days=5)).isoformat() in exc.value.message


@pytest.mark.parametrize("raw", ["", "eps_", "eps_nothing-like-this", "Bearer x", "x" * 500])
def test_wrong_token(share_world, raw):
    with pytest.raises(ShareTokenError) as exc:
        share_token_authenticate(raw)
    assert exc.value.reason == "unknown"
    assert "令牌无效" in exc.value.message


def test_a_refused_known_token_is_audited(share_world):
    w = share_world
    sr = share_request_for(w.officer_a, "410102")
    sr, raw = approved(sr, w.steward)
    share_request_revoke(share_request=sr, actor=w.steward)
    with pytest.raises(ShareTokenError):
        share_token_authenticate(raw)
    entry = AuditEntry.objects.filter(action="share.access").latest("id")
    assert entry.result == "denied"
    assert entry.target_id == str(sr.pk)
    assert entry.details["reason"] == "revoked"
    assert entry.details["token"] == raw[:12]


# ------------------------------------------------------------------ bad input


def _bad_inputs(w: Any) -> list[tuple[dict[str, Any], str]]:
    today = timezone.localdate()
    return [
        ({"organisation": "  "}, "organisation"),
        ({"organisation": "单" * 129}, "organisation"),
        ({"dataset": "golden:secrets"}, "dataset"),
        ({"dataset": ""}, "dataset"),
        ({"fields": []}, "fields"),
        ({"fields": ["name", "salary"]}, "fields"),
        ({"fields": ["name", "gender"], "unmasked_fields": ["gender"]}, "unmasked_fields"),
        ({"fields": ["school_name"], "unmasked_fields": ["name"]}, "unmasked_fields"),
        ({"region": Region.objects.get(code="410202")}, "region"),  # county B
        ({"region": Region.objects.get(code="4101")}, "region"),  # above the county officer
        ({"region": None}, "region"),
        ({"purpose": "看看"}, "purpose"),
        ({"purpose": "用" * 2001}, "purpose"),
        ({"starts_on": today - dt.timedelta(days=1)}, "starts_on"),
        ({"starts_on": today + dt.timedelta(days=400),
          "ends_on": today + dt.timedelta(days=401)}, "starts_on"),
        ({"starts_on": None}, "starts_on"),
        ({"ends_on": today - dt.timedelta(days=1)}, "ends_on"),
        ({"ends_on": today + dt.timedelta(days=366)}, "ends_on"),
        ({"ends_on": None}, "ends_on"),
    ]  # fmt: skip


def test_bad_input_of_every_kind_is_refused_and_nothing_is_written(share_world):
    w = share_world
    before_audit = AuditEntry.objects.count()
    for overrides, key in _bad_inputs(w):
        with pytest.raises(ValidationError) as exc:
            share_request_for(w.officer_a, "410102", **overrides)
        assert key in exc.value.message_dict, (overrides, exc.value.message_dict)
        assert all(m for m in exc.value.message_dict[key])
    assert not ShareRequest.objects.exists()
    assert AuditEntry.objects.count() == before_audit


def test_a_full_year_is_allowed(share_world):
    w = share_world
    today = timezone.localdate()
    sr = share_request_for(w.officer_a, "410102", ends_on=today + dt.timedelta(days=365))
    assert sr.pk


def test_a_role_without_share_request_cannot_file(share_world):
    w = share_world
    for user in (w.steward, w.a.users["teacher"], w.world.system_admin):
        with pytest.raises(ValidationError, match="不能提交数据共享申请"):
            share_request_for(user, "410102")
    assert not ShareRequest.objects.exists()


def test_fields_are_stored_in_dataset_order_without_duplicates(share_world):
    w = share_world
    sr = share_request_for(
        w.officer_a,
        "410102",
        fields=["school_name", "name", "name", " golden_id "],
        unmasked_fields=["name"],
    )
    assert sr.fields == ["golden_id", "name", "school_name"]
