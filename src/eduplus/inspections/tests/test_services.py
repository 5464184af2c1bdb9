"""Services: the lock after a draw, cancellation, results, imports, and their audit."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.exceptions import ValidationError

from eduplus.core.models import AuditEntry
from eduplus.inspections import services
from eduplus.inspections.draw import DrawError
from eduplus.inspections.models import (
    InspectionAssignment,
    InspectionPlan,
    InspectionTarget,
    Inspector,
    PlanStatus,
)
from eduplus.inspections.selectors import plan_verification
from eduplus.regions.models import Region
from eduplus.testing import factories as f

pytestmark = pytest.mark.django_db


def audited(action: str, result: str = "success") -> int:
    return AuditEntry.objects.filter(action=action, result=result).count()


def test_draw_locks_the_plan_publishes_the_seed_and_is_audited(setup):
    plan = services.plan_draw(actor=setup.officer, plan=setup.plan)
    assert plan.status == PlanStatus.DRAWN
    assert len(plan.seed) == 64 and plan.inputs["seed"] == plan.seed
    assert plan.inputs["school_count"] == 3
    assert InspectionTarget.objects.filter(plan=plan).count() == 3
    assert InspectionAssignment.objects.filter(target__plan=plan).count() == 6
    # 回避: the inspector of 中原区 is never sent to a 中原区 school.
    assert not InspectionAssignment.objects.filter(
        target__plan=plan, inspector__home_region_id="410102"
    ).exists()
    entry = AuditEntry.objects.get(action="inspection.plan_draw")
    assert entry.actor_username == setup.officer.username
    assert entry.details["seed"] == plan.seed
    with pytest.raises(ValidationError):
        services.plan_draw(actor=setup.officer, plan=plan)
    with pytest.raises(ValidationError):
        services.plan_update(actor=setup.officer, plan=plan, title="改名")
    assert InspectionTarget.objects.filter(plan=plan).count() == 3


def test_a_redraw_with_the_same_seed_and_inputs_is_identical(setup):
    plan = services.plan_draw(actor=setup.officer, plan=setup.plan)
    assert plan_verification(plan).matches
    twin = f.InspectionPlanFactory(
        region=plan.region, pool=plan.pool, school_count=3, inspectors_per_school=2
    )
    twin = services.plan_draw(actor=setup.officer, plan=twin, seed=plan.seed)
    assert plan_verification(twin).rerun == plan_verification(plan).rerun


def test_verification_detects_a_tampered_draw(setup):
    plan = services.plan_draw(actor=setup.officer, plan=setup.plan)
    assignment = InspectionAssignment.objects.filter(target__plan=plan).first()
    unused = Inspector.objects.exclude(assignments__target__plan=plan).exclude(
        home_region_id="410102"
    )
    if unused.exists():
        assignment.inspector = unused.first()
        assignment.save()
    else:
        assignment.delete()
    check = plan_verification(plan)
    assert not check.matches and check.differences


def test_a_draw_that_cannot_be_made_changes_nothing_and_says_why(setup):
    Inspector.objects.exclude(home_region_id="410102").update(active=False)
    with pytest.raises(DrawError) as exc:
        services.plan_draw(actor=setup.officer, plan=setup.plan)
    assert "检查人员不足" in exc.value.message
    setup.plan.refresh_from_db()
    assert setup.plan.status == PlanStatus.DRAFT and not setup.plan.seed
    assert not InspectionTarget.objects.filter(plan=setup.plan).exists()
    assert audited("inspection.plan_draw", "failure") == 1


def test_too_many_schools_asked_is_refused(setup):
    services.plan_update(actor=setup.officer, plan=setup.plan, school_count=50)
    with pytest.raises(DrawError, match="不足计划抽取的 50 所"):
        services.plan_draw(actor=setup.officer, plan=setup.plan)


def test_percentage_is_resolved_at_draw_time(setup):
    services.plan_update(actor=setup.officer, plan=setup.plan, school_count=None, school_percent=50)
    plan = services.plan_draw(actor=setup.officer, plan=setup.plan)
    candidates = len(plan.inputs["schools"])
    assert plan.inputs["school_count"] == -(-candidates // 2)
    assert plan.targets.count() == plan.inputs["school_count"]


def test_filters_narrow_the_candidates(setup):
    services.plan_update(
        actor=setup.officer, plan=setup.plan, teaching_points="only", school_count=1,
        inspectors_per_school=1,
    )  # fmt: skip
    plan = services.plan_draw(actor=setup.officer, plan=setup.plan)
    assert [s["code"] for s in plan.inputs["schools"]] == [setup.world.a.teaching_point.code]


def test_an_officer_cannot_plan_outside_their_region(setup):
    with pytest.raises(ValidationError):
        services.plan_create(
            actor=setup.officer,
            title="越权",
            subject="网络安全",
            region=Region.objects.get(code="410202"),
            pool=setup.pool,
            school_count=1,
        )


def test_cancellation_needs_a_reason_and_is_audited(setup):
    plan = services.plan_draw(actor=setup.officer, plan=setup.plan)
    with pytest.raises(ValidationError):
        services.plan_cancel(actor=setup.officer, plan=plan, reason=" ")
    plan = services.plan_cancel(actor=setup.officer, plan=plan, reason="检查时间与考试冲突")
    assert plan.status == PlanStatus.CANCELLED
    entry = AuditEntry.objects.get(action="inspection.plan_cancel")
    assert entry.details["reason"] == "检查时间与考试冲突"
    assert entry.details["seed"] == plan.seed
    with pytest.raises(ValidationError):
        services.plan_draw(actor=setup.officer, plan=plan)
    target = plan.targets.first()
    with pytest.raises(ValidationError):
        services.result_record(
            actor=setup.officer, target=target, inspected_on=dt.date(2026, 4, 1),
            findings="x", conclusion="pass",
        )  # fmt: skip


def test_results_need_rectification_unless_passed_and_lock_once_published(setup):
    plan = services.plan_draw(actor=setup.officer, plan=setup.plan)
    target = plan.targets.order_by("position").first()
    with pytest.raises(ValidationError):
        services.result_record(
            actor=setup.officer, target=target, inspected_on=dt.date(2026, 4, 1),
            findings="机房无登记", conclusion="fail",
        )  # fmt: skip
    result = services.result_record(
        actor=setup.officer,
        target=target,
        inspected_on=dt.date(2026, 4, 1),
        findings="机房无登记",
        conclusion="basic",
        rectification="完善登记",
        rectification_deadline=dt.date(2026, 5, 1),
    )
    assert result.recorded_by == setup.officer
    with pytest.raises(ValidationError, match="先公开抽查名单"):
        services.result_publish(actor=setup.officer, target=target)
    services.plan_publish(actor=setup.officer, plan=plan)
    result = services.result_publish(actor=setup.officer, target=target)
    assert result.is_published
    with pytest.raises(ValidationError, match="已公开"):
        services.result_record(
            actor=setup.officer, target=target, inspected_on=dt.date(2026, 4, 1),
            findings="改", conclusion="pass",
        )  # fmt: skip
    for action in ("inspection.result_record", "inspection.result_publish",
                   "inspection.plan_publish"):  # fmt: skip
        assert audited(action) == 1, action


def test_inspector_import_reads_gbk_csv_and_reports_bad_rows(setup):
    school = setup.world.a.school
    text = (
        "姓名,工作单位,所在县区代码,所在学校标识码,专业领域\n"
        "王伟,二七区教育局,410103,,网络安全\n"
        f"李娜,{school.name},410102,{school.code},\n"
        "赵强,某单位,999999,,\n"
        f"钱程,某学校,410105,{school.code},\n"
        "王伟,二七区教育局,410103,,网络安全\n"
    )
    report = services.inspector_import(
        actor=setup.officer,
        pool=setup.pool,
        source=io.BytesIO(text.encode("gbk")),
        filename="名单.csv",
    )
    assert report.created == 2 and report.skipped == 1
    assert [e["row"] for e in report.errors] == [4, 5]
    li = Inspector.objects.get(pool=setup.pool, name="李娜")
    assert li.home_school == school
    assert audited("inspection.inspector_import", "failure") == 1


def test_inspector_update_keeps_history_and_is_audited(setup):
    plan = services.plan_draw(actor=setup.officer, plan=setup.plan)
    inspector = Inspector.objects.filter(assignments__target__plan=plan).first()
    services.inspector_update(actor=setup.officer, inspector=inspector, active=False)
    assert plan_verification(InspectionPlan.objects.get(pk=plan.pk)).matches
    assert audited("inspection.inspector_update") == 1
