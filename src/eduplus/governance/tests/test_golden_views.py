"""Golden records in the browser's terms: the trail of every value, the review queue,
conflicts and resolution runs; scope and masking."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from eduplus.core.models import AuditEntry
from eduplus.governance.models import GoldenRecord, MatchReview, ReviewStatus, SourceRecord
from eduplus.governance.resolution import resolve
from eduplus.governance.tests.test_resolution import (  # noqa: F401
    ID_ZHANG,
    schools,
    three_sources,
)
from eduplus.testing import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def steward() -> Any:
    return f.user_with_role("data_steward", region="41")


@pytest.fixture
def resolved(three_sources: dict[str, Any]) -> dict[str, Any]:  # noqa: F811
    resolve()
    return three_sources


def zhang(resolved: dict[str, Any]) -> GoldenRecord:
    record = SourceRecord.objects.get(batch=resolved["xueji"], row_number=2)
    return GoldenRecord.objects.get(person_id=record.linked_person_id)


def test_trail_names_source_batch_and_row_of_every_value(
    client: Any, steward: Any, resolved: dict[str, Any]
) -> None:
    client.force_login(steward)
    golden = zhang(resolved)
    page = client.get(reverse("governance:person_detail", args=[golden.person_id]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "张伟" in html and "资助核实地址" in html
    assert "第 2 行" in html
    assert "中小学生学籍信息管理系统" in html and "学生资助管理信息系统" in html
    # masked by default; the steward reveals the full number, and both reads are audited
    assert ID_ZHANG not in html
    assert AuditEntry.objects.filter(action="person.view", target_id=str(golden.person_id)).exists()
    revealed = client.post(reverse("governance:person_reveal", args=[golden.person_id]))
    assert ID_ZHANG in revealed.content.decode()
    assert AuditEntry.objects.filter(
        action="person.reveal_id_number", target_id=str(golden.person_id)
    ).exists()


def test_county_officer_cannot_open_the_trail(client: Any, resolved: dict[str, Any]) -> None:
    officer = f.user_with_role("county_officer", region="410102")
    client.force_login(officer)
    golden = zhang(resolved)
    assert (
        client.get(reverse("governance:person_detail", args=[golden.person_id])).status_code == 403
    )
    assert client.get(reverse("governance:reviews")).status_code == 403


def test_steward_of_another_province_sees_nothing(client: Any, resolved: dict[str, Any]) -> None:
    other = f.user_with_role("data_steward", region="42")
    client.force_login(other)
    golden = zhang(resolved)
    assert (
        client.get(reverse("governance:person_detail", args=[golden.person_id])).status_code == 404
    )
    page = client.get(reverse("governance:persons"))
    assert "张伟" not in page.content.decode()


def test_review_decision_is_recorded_and_audited(
    client: Any, steward: Any, resolved: dict[str, Any]
) -> None:
    left = SourceRecord.objects.get(batch=resolved["xueji"], row_number=5)
    right = SourceRecord.objects.get(batch=resolved["xueji"], row_number=6)
    review = MatchReview.objects.create(left=left, right=right, probability=0.7, region=left.region)
    client.force_login(steward)
    queue = client.get(reverse("governance:reviews"))
    assert f'data-review="{review.pk}"' in queue.content.decode()
    assert "仅第" in queue.content.decode() or "不同" in queue.content.decode()
    response = client.post(
        reverse("governance:review_decide", args=[review.pk]),
        {"decision": "split", "note": "不同学生"},
    )
    assert response.status_code == 302
    review.refresh_from_db()
    assert review.status == ReviewStatus.SPLIT and review.decided_by == steward
    assert AuditEntry.objects.filter(action="governance.review_decide").exists()
    bad = client.post(reverse("governance:review_decide", args=[review.pk]), {"decision": "x"})
    assert bad.status_code == 302
    review.refresh_from_db()
    assert review.status == ReviewStatus.SPLIT


def test_conflicts_and_runs_pages(client: Any, steward: Any, resolved: dict[str, Any]) -> None:
    client.force_login(steward)
    conflicts = client.get(reverse("governance:conflicts"))
    assert "章伟" in conflicts.content.decode()
    runs = client.get(reverse("governance:runs"))
    assert 'data-testid="runs"' in runs.content.decode()


def test_home_shows_empty_state_then_figures(client: Any, steward: Any) -> None:
    client.force_login(steward)
    page = client.get(reverse("governance:home"))
    assert page.status_code == 200
    assert "还没有导入任何来源数据" in page.content.decode()


def test_a_students_contact_phone_shows_it_is_the_guardians_and_where_it_came_from(
    resolved: dict[str, Any],
) -> None:
    from eduplus.governance import selectors

    record = SourceRecord.objects.get(batch=resolved["xueji"], row_number=2)
    golden = zhang(resolved)
    SourceRecord.objects.filter(pk=record.pk).update(guardian_phone="13800000009")
    GoldenRecord.objects.filter(pk=golden.pk).update(
        guardian_phone="13800000009", src_guardian_phone=record.pk, src_phone=None
    )
    golden.person.__class__.objects.filter(pk=golden.person_id).update(phone="13800000009")
    golden.refresh_from_db()
    golden.person.refresh_from_db()
    rows = {row.item: row for row in selectors.person_trail(golden)}
    assert rows["phone"].label == "联系电话（监护人电话）"
    assert rows["phone"].record is not None and rows["phone"].record.pk == record.pk
    assert rows["guardian_phone"].record.pk == record.pk
    # a phone of the person's own keeps its plain label
    golden.person.__class__.objects.filter(pk=golden.person_id).update(phone="13900000000")
    golden.person.refresh_from_db()
    rows = {row.item: row for row in selectors.person_trail(golden)}
    assert rows["phone"].label == "联系电话" and rows["phone"].record is None


NAMES = ["张伟", "张伟明", "章伟", "张", "李四", "欧阳娜娜", "\ud7ff尾", "\U0010ffff末", "Zhang"]


@pytest.mark.parametrize(
    "prefix", ["张", "张伟", "章", "欧阳", "李四五", "\ud7ff", "\U0010ffff", "Zh", "伟"]
)
def test_a_name_prefix_finds_exactly_the_names_that_begin_with_it(db: Any, prefix: str) -> None:
    from eduplus.governance.selectors import name_prefix
    from eduplus.people.models import Person

    people = [f.PersonFactory(name=name) for name in NAMES]
    found = set(
        Person.objects.filter(
            name_prefix("name", prefix), pk__in=[p.pk for p in people]
        ).values_list("name", flat=True)
    )
    assert found == {name for name in NAMES if name.startswith(prefix)}


def test_the_persons_search_finds_by_name_prefix_identifier_or_id_number_within_scope(
    steward: Any, resolved: dict[str, Any]
) -> None:
    from eduplus.governance.selectors import golden_records

    golden = zhang(resolved)
    person = golden.person
    for q in ("张", "张伟", f" {person.golden_id} ", ID_ZHANG):
        assert golden in golden_records(steward, q=q), q
    assert not golden_records(steward, q="伟").filter(pk=golden.pk).exists()  # not inside
    assert not golden_records(steward, q=ID_ZHANG[:-1]).exists()  # ID numbers: whole only
    elsewhere = f.user_with_role("data_steward", region="4202")
    assert not golden_records(elsewhere, q="张伟").exists()
