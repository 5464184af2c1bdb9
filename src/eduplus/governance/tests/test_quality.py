"""Quality rules computed set-based: exact counts on a hand-made set of records, the
weighted score, rule changes, scope of results and failing records, the CLI."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db.models import Sum
from django.utils import timezone

from eduplus.core.models import AuditEntry
from eduplus.governance import quality as q
from eduplus.governance.models import Dataset, QualityResult, QualityRule
from eduplus.governance.tests.quality_fixtures import (
    COUNTY_B_SCORE,
    EXPECTED,
    ID_WANG,
    build_quality_world,
)
from eduplus.regions.models import Region
from eduplus.testing import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def qworld() -> Any:
    return build_quality_world()


def per_rule(at: dt.datetime) -> dict[str, tuple[int, int]]:
    rows = (
        QualityResult.objects.filter(computed_at=at)
        .values("rule__code")
        .annotate(c=Sum("checked"), x=Sum("failed"))
    )
    return {r["rule__code"]: (r["c"], r["x"]) for r in rows}


def test_every_shipped_rule_counts_exactly(qworld):
    at = q.quality_compute()
    assert per_rule(at) == EXPECTED


def test_results_are_grouped_by_source_batch_region_and_school(qworld):
    at = q.quality_compute()
    unique = QualityResult.objects.filter(computed_at=at, rule__code="id-unique")
    by_key = {(r.source.code, r.batch_id, r.region_id, r.school_id): (r.checked, r.failed)
              for r in unique}  # fmt: skip
    w = qworld
    assert by_key == {
        ("xueji", w.xueji.pk, "410102", w.school_a.pk): (3, 0),  # r3 has no ID
        ("xueji", w.xueji.pk, "410202", w.school_b.pk): (2, 2),
        ("xueji", w.xueji.pk, "41", None): (1, 0),  # unknown school: the batch's region
        ("zizhu", w.zizhu.pk, "410102", w.school_a.pk): (2, 0),
    }


def test_rejected_rows_and_unfinished_batches_are_not_counted(qworld):
    at = q.quality_compute()
    assert not QualityResult.objects.filter(computed_at=at, batch=qworld.running).exists()
    # 7 xueji rows in use (r8 was rejected), 2 zizhu rows
    assert per_rule(at)["name-complete"] == (9, 0)


def test_weighted_score_of_a_county(qworld):
    at = q.quality_compute()
    province = f.region("41")
    steward = f.user_with_role("data_steward", region="41")
    qs = q.results_in_scope(steward, region=f.region("410202"), computed_at=at)
    score = q.score_total(qs)
    assert score.rate == pytest.approx(COUNTY_B_SCORE)
    dims = q.score_by_dimension(qs)
    assert dims["uniqueness"].failed == 2 and dims["uniqueness"].rate == 0
    assert dims["completeness"].rate == 100
    # the province sees every region, the unknown school included
    everything = q.score_total(q.results_in_scope(steward, region=province, computed_at=at))
    assert everything.checked == sum(c for c, _ in EXPECTED.values())


def test_drill_down_by_region_and_school(qworld):
    at = q.quality_compute()
    steward = f.user_with_role("data_steward", region="41")
    province = f.region("41")
    qs = q.results_in_scope(steward, region=province, computed_at=at)
    rows = {r.key: r for r in q.score_by_area(steward, qs, province)}
    assert rows["4101"].score.checked > 0 and rows["4102"].score.checked > 0
    # the unknown-school row stays at the province itself
    assert rows[""].score.checked == 13 - 1  # r7: every rule but name-agrees
    county = f.region("410202")
    schools = q.score_by_area(
        steward, q.results_in_scope(steward, region=county, computed_at=at), county
    )
    assert [r.obj for r in schools] == [qworld.school_b]


def test_trend_has_one_point_per_computation(qworld):
    first = q.quality_compute(computed_at=timezone.now() - dt.timedelta(days=1))
    rule = QualityRule.objects.get(code="id-unique")
    q.quality_rule_set_active(rule=rule, active=False)
    second = q.quality_compute()
    steward = f.user_with_role("data_steward", region="41")
    trend = q.score_trend(steward, region=f.region("410202"))
    assert [p.computed_at for p in trend] == [first, second]
    assert trend[0].score.rate == pytest.approx(COUNTY_B_SCORE)
    assert trend[1].score.rate == pytest.approx(100.0 * 42 / 43)
    assert "uniqueness" not in trend[1].dims


def test_edited_rule_changes_the_counts(qworld):
    rule = QualityRule.objects.get(code="batch-fresh")
    q.quality_rule_save(rule=rule, values={"params": {"max_age_days": 500}})
    at = q.quality_compute()
    assert per_rule(at)["batch-fresh"] == (9, 0)
    entry = AuditEntry.objects.filter(action="quality.rule_change").latest("id")
    assert entry.details["before"]["params"] == {"max_age_days": 365}
    assert entry.details["after"]["params"] == {"max_age_days": 500}


def test_new_rule_is_computed(qworld):
    q.quality_rule_save(
        code="phone-unique",
        values={"name": "监护人电话批次内不重复", "dimension": "uniqueness",
                "item": "guardian_phone", "check_kind": "unique_in_batch", "weight": 1},
    )  # fmt: skip
    at = q.quality_compute()
    # r1..r7 of xueji have distinct phones, r2 has none; z1 has none
    assert per_rule(at)["phone-unique"] == (6 + 1, 0)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"check_kind": "valid_id", "item": "name"}, "只能用于"),
        ({"check_kind": "fresh", "params": {}}, "缺少参数"),
        ({"check_kind": "fresh", "params": {"max_age_days": 0}}, "1 到 3650"),
        ({"check_kind": "fresh", "params": {"max_age_days": "abc"}}, "整数"),
        ({"check_kind": "not_blank", "params": {"max_age_days": 3}}, "不接受参数"),
        ({"check_kind": "code_known", "item": "address"}, "只能用于"),
        ({"weight": 0}, "权重"),
        ({"weight": 11}, "权重"),
    ],
)
def test_bad_rules_are_refused_with_a_reason(values, message):
    base = {"name": "测试规则", "dimension": "validity", "item": "name",
            "check_kind": "not_blank", "params": {}, "weight": 1}  # fmt: skip
    with pytest.raises(ValidationError) as exc:
        q.quality_rule_save(code="bad-rule", values={**base, **values})
    assert message in " ".join(exc.value.messages)
    assert not QualityRule.objects.filter(code="bad-rule").exists()


def test_duplicate_rule_code_is_refused():
    with pytest.raises(ValidationError, match="已存在"):
        q.quality_rule_save(
            code="name-complete",
            values={"name": "x", "dimension": "completeness", "item": "name",
                    "check_kind": "not_blank", "weight": 1},
        )  # fmt: skip


def test_failing_records_per_rule_and_scope(qworld):
    at = q.quality_compute()
    rules = {r.code: r for r in QualityRule.objects.all()}
    steward = f.user_with_role("data_steward", region="41")
    county_a = f.user_with_role("county_officer", region="410102")
    province = f.region("41")
    r = qworld.records

    def ids(user: Any, code: str, region: Region) -> set[int]:
        return set(
            q.failing_records(user, rules=[rules[code]], region=region, at=at).values_list(
                "pk", flat=True
            )
        )

    assert ids(steward, "id-unique", province) == {r["r5"].pk, r["r6"].pk}
    assert ids(steward, "school-known", province) == {r["r7"].pk}  # reached via its batch
    assert ids(steward, "batch-fresh", province) == {r["z1"].pk, r["z2"].pk}
    assert ids(steward, "birth-consistent", province) == {r["r2"].pk}
    assert ids(steward, "gender-consistent", province) == {r["r2"].pk}
    assert ids(steward, "ethnicity-known", province) == {r["r2"].pk}
    assert ids(steward, "name-agrees", province) == {r["r5"].pk}
    assert ids(steward, "phone-complete", province) == {r["r2"].pk, r["z1"].pk}
    assert ids(steward, "id-valid", province) == {r["r4"].pk}
    # a county officer sees their county's failures only
    assert ids(county_a, "id-unique", province) == set()
    assert ids(county_a, "phone-complete", province) == {r["r2"].pk, r["z1"].pk}
    assert ids(county_a, "school-known", province) == set()
    # every failure count of the computation equals its failing list (province-wide)
    for code, (_checked, failed) in EXPECTED.items():
        assert len(ids(steward, code, province)) == failed, code


def test_rules_failed_by_names_every_failed_rule(qworld):
    at = q.quality_compute()
    rules = list(QualityRule.objects.filter(dimension="consistency"))
    r2 = qworld.records["r2"]
    failed = q.rules_failed_by([r2.pk], rules, at=at)[r2.pk]
    assert {rule.code for rule in failed} == {"birth-consistent", "gender-consistent"}


def test_failure_texts_are_masked_without_the_right(qworld):
    at = q.quality_compute()
    rule = QualityRule.objects.get(code="id-unique")
    r5 = qworld.records["r5"]
    masked = q.failure_text(r5, rule, unmasked=False)
    assert ID_WANG not in masked and ID_WANG[-4:] in masked
    assert ID_WANG in q.failure_text(r5, rule, unmasked=True)
    assert q.display_item(r5, "name", unmasked=False) == "陈*"
    agrees = QualityRule.objects.get(code="name-agrees")
    golden = q.golden_values([r5], {"name"})[r5.linked_person_id]
    assert q.failure_text(r5, agrees, unmasked=True, golden=golden) == "姓名 陈静，主数据为 陈晶"
    assert at is not None


def test_computation_is_repeatable_and_history_is_kept(qworld):
    first = q.quality_compute()
    second = q.quality_compute()
    assert per_rule(first) == per_rule(second) == EXPECTED
    assert q.latest_computation() == second
    # the same instant again replaces, never doubles
    q.quality_compute(computed_at=second)
    assert per_rule(second) == EXPECTED


def test_compute_refreshes_the_catalog_and_is_audited(qworld):
    q.quality_compute()
    assert Dataset.objects.filter(code=f"batch:{qworld.xueji.pk}").exists()
    assert AuditEntry.objects.filter(action="quality.compute").exists()


def test_cli_prints_dimension_and_source_tables(qworld):
    out = StringIO()
    call_command("data", "quality", stdout=out)  # nothing computed yet: computes first
    text = out.getvalue()
    assert "已按当前规则重新计算" in text
    for word in ("综合", "完整性", "有效性", "唯一性", "一致性", "及时性", "xueji", "zizhu"):
        assert word in text
    lines = [line for line in text.splitlines() if line.startswith(("xueji", "zizhu"))]
    assert len(lines) == 2
    out = StringIO()
    call_command("data", "quality", "--region", "410202", stdout=out)
    text = out.getvalue()
    assert "已按当前规则重新计算" not in text
    assert f"{COUNTY_B_SCORE:.1f}%" in text
    assert "zizhu" not in text


def test_cli_refuses_an_unknown_region():
    with pytest.raises(CommandError, match="未知的区划代码"):
        call_command("data", "quality", "--region", "999999", stdout=StringIO())


def test_cli_explains_an_empty_database():
    out = StringIO()
    call_command("data", "quality", "--compute", stdout=out)
    assert "没有可检查的记录" in out.getvalue()
