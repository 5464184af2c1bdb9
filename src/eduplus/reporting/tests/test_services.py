"""Services: design and locking, assignment scope, filling, sign-off, returns, lateness,
reminders and the rates and results by region."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from eduplus.core.models import AuditEntry
from eduplus.reporting import selectors, services
from eduplus.reporting.models import (
    EventKind,
    ReportTask,
    Submission,
    SubmissionEvent,
    SubmissionStatus,
)
from eduplus.testing import factories as f

pytestmark = pytest.mark.django_db

GOOD = {"ordinary_rooms": ["30"], "multimedia_rooms": ["12"], "bandwidth": ["100"]}


def sub_of(task: ReportTask, school) -> Submission:  # type: ignore[no-untyped-def]
    return task.submissions.get(school=school)


def submit(world, sub, raw=GOOD, **kw):  # type: ignore[no-untyped-def]
    return services.submission_save(
        actor=world.a.users["school_admin"], submission=sub, raw=raw, submit=True, **kw
    )


# ---------------------------------------------------------------- design, locking


def test_form_is_locked_once_assigned_and_a_new_version_copies_it(world):
    officer = world.a.users["county_officer"]
    form = f.report_form(officer)
    assert not form.is_locked
    f.report_task(officer, form=form)
    form.refresh_from_db()
    assert form.is_locked
    with pytest.raises(ValidationError, match="锁定"):
        services.form_field_add(actor=officer, form=form, code="x", label="x", kind="integer")
    with pytest.raises(ValidationError, match="锁定"):
        services.form_rule_add(actor=officer, form=form, expression="ordinary_rooms > 0")
    copy = services.form_new_version(actor=officer, form=form)
    assert (copy.version, copy.previous_id, copy.is_locked) == (2, form.pk, False)
    assert [x.code for x in copy.fields.all()] == [x.code for x in form.fields.all()]
    assert copy.rules.count() == 1
    services.form_field_add(actor=officer, form=copy, code="x", label="新字段", kind="integer")
    assert form.fields.count() == copy.fields.count() - 1


def test_field_and_rule_design_is_validated(world):
    officer = world.a.users["county_officer"]
    form = f.report_form(officer, fields=[], rules=[])
    with pytest.raises(ValidationError) as exc:
        services.form_field_add(actor=officer, form=form, code="Bad-Code", label="x", kind="text")
    assert "字段代码" in str(exc.value)
    with pytest.raises(ValidationError, match="两个选项"):
        services.form_field_add(
            actor=officer, form=form, code="c", label="c", kind="choice", options_text="1 只有一个"
        )
    with pytest.raises(ValidationError, match="最小值不能大于最大值"):
        services.form_field_add(
            actor=officer, form=form, code="n", label="n", kind="integer", min_value=5, max_value=1
        )
    services.form_field_add(actor=officer, form=form, code="n", label="n", kind="integer")
    services.form_field_add(actor=officer, form=form, code="t", label="t", kind="text")
    with pytest.raises(ValidationError, match="重复"):
        services.form_field_add(actor=officer, form=form, code="n", label="n2", kind="integer")
    with pytest.raises(ValidationError, match="非数值"):
        services.form_rule_add(actor=officer, form=form, expression="n <= t")
    rule = services.form_rule_add(actor=officer, form=form, expression="n <= 100")
    assert "n <= 100" in rule.message  # a default message names the rule
    with pytest.raises(ValidationError, match="被校验规则引用"):
        services.form_field_delete(actor=officer, form=form, field_id=form.fields.get(code="n").pk)


def test_only_officers_design(world):
    with pytest.raises(ValidationError, match="教育管理者"):
        services.form_create(actor=world.a.users["school_admin"], title="x")


# ------------------------------------------------------------------ assignment


def test_county_task_covers_exactly_the_county_schools(world):
    task = f.report_task(world.a.users["county_officer"])
    schools = set(task.submissions.values_list("school_id", flat=True))
    assert schools == {world.a.school.pk, world.a.teaching_point.pk}
    assert task.region_id == "410102"
    assert set(task.submissions.values_list("region_id", flat=True)) == {"410102"}
    assert AuditEntry.objects.filter(action="report.task_assign", target_id=str(task.pk)).exists()


def test_filters_and_explicit_lists_stay_inside_the_scope(world):
    officer = world.a.users["county_officer"]
    task = f.report_task(officer, exclude_teaching_points=True)
    assert list(task.submissions.values_list("school_id", flat=True)) == [world.a.school.pk]
    task = f.report_task(officer, urban_rural="rural")
    assert list(task.submissions.values_list("school_id", flat=True)) == [world.a.teaching_point.pk]
    with pytest.raises(ValidationError, match=world.b.school.code):
        f.report_task(officer, school_codes=(world.a.school.code, world.b.school.code))
    with pytest.raises(ValidationError, match="没有学校"):
        f.report_task(officer, school_types=("342",))


def test_province_task_reaches_both_cities_and_lower_officers_see_it(world):
    task = f.report_task(world.province_officer)
    assert task.submissions.count() == 4
    for user in (world.a.users["county_officer"], world.a.users["city_officer"]):
        assert list(ReportTask.objects.visible_to(user)) == [task]
        assert set(selectors.submissions_of(user, task).values_list("region_id", flat=True)) == {
            "410102"
        }
    assert list(ReportTask.objects.visible_to(world.a.users["school_admin"])) == [task]
    assert (
        not ReportTask.objects.visible_to(world.a.users["teacher"])
        .exclude(pk__in=[task.pk])
        .exists()
    )
    assert not ReportTask.objects.visible_to(world.other_province_officer).exists()


# --------------------------------------------------------------------- filling


def test_draft_then_submit_with_required_fields_and_rules(world):
    task = f.report_task(world.a.users["county_officer"])
    sub = sub_of(task, world.a.school)
    admin = world.a.users["school_admin"]
    sub = services.submission_save(
        actor=admin, submission=sub, raw={"ordinary_rooms": ["5"]}, submit=False
    )
    assert sub.status == SubmissionStatus.DRAFT and sub.values == {"ordinary_rooms": 5}
    with pytest.raises(services.SubmissionInvalid) as exc:
        submit(world, sub, raw={"ordinary_rooms": ["5"], "multimedia_rooms": ["6"]})
    assert exc.value.cleaned.errors["multimedia_rooms"] == ["多媒体教室数不能多于普通教室数"]
    with pytest.raises(services.SubmissionInvalid) as exc:
        submit(world, sub, raw={"ordinary_rooms": ["5"]})
    assert exc.value.cleaned.errors == {"multimedia_rooms": ["此项为必填项"]}
    sub.refresh_from_db()
    assert sub.status == SubmissionStatus.DRAFT  # nothing written by a refused submission
    sub = submit(world, sub)
    assert (sub.status, sub.review_level, sub.is_late) == (SubmissionStatus.SUBMITTED, 3, False)
    assert sub.values["bandwidth"] == "100"


def test_only_the_schools_own_administrator_fills(world):
    task = f.report_task(world.province_officer)
    with pytest.raises(ValidationError, match="本校"):
        services.submission_save(
            actor=world.a.users["school_admin"],
            submission=sub_of(task, world.b.school),
            raw=GOOD,
            submit=False,
        )
    with pytest.raises(ValidationError):
        services.submission_save(
            actor=world.a.users["county_officer"],
            submission=sub_of(task, world.a.school),
            raw=GOOD,
            submit=False,
        )
    # A teaching point is answered by its central school's administrator.
    sub = sub_of(task, world.a.teaching_point)
    assert submit(world, sub).status == SubmissionStatus.SUBMITTED


def test_submission_after_deadline_is_accepted_and_marked_late(world):
    task = f.report_task(world.a.users["county_officer"], deadline=dt.date(2026, 3, 31))
    on_time = submit(
        world, sub_of(task, world.a.school), now=dt.datetime(2026, 3, 31, 15, 0, tzinfo=dt.UTC)
    )
    assert not on_time.is_late  # 23:00 in 北京 on the deadline day is still on time
    late = submit(
        world,
        sub_of(task, world.a.teaching_point),
        now=dt.datetime(2026, 3, 31, 16, 30, tzinfo=dt.UTC),  # 00:30 on 1 April in 北京
    )
    assert late.is_late and late.status == SubmissionStatus.SUBMITTED
    assert late.events.get(kind=EventKind.SUBMITTED).note == "逾期提交"
    # Returned and resubmitted late: lateness is judged by the first submission.
    officer = world.a.users["county_officer"]
    services.submission_return(actor=officer, submission=on_time, reason="请核实")
    again = submit(world, on_time, now=dt.datetime(2026, 5, 1, tzinfo=dt.UTC))
    assert not again.is_late


# -------------------------------------------------------------------- sign-off


def test_signed_off_submission_is_locked(world):
    officer = world.a.users["county_officer"]
    task = f.report_task(officer)
    sub = submit(world, sub_of(task, world.a.school))
    with pytest.raises(ValidationError, match="不能修改"):
        submit(world, sub)  # submitted: locked while under review
    sub = services.submission_sign_off(actor=officer, submission=sub)
    assert sub.status == SubmissionStatus.APPROVED and sub.approved_at is not None
    for final in (False, True):
        with pytest.raises(ValidationError, match="不能修改"):
            services.submission_save(
                actor=world.a.users["school_admin"],
                submission=sub,
                raw={"ordinary_rooms": ["99"]},
                submit=final,
            )
    sub.refresh_from_db()
    assert sub.values["ordinary_rooms"] == 30
    with pytest.raises(ValidationError, match="待审核"):
        services.submission_sign_off(actor=officer, submission=sub)
    with pytest.raises(ValidationError, match="待审核"):
        services.submission_return(actor=officer, submission=sub, reason="再改")


def test_return_for_correction_unlocks_with_the_reason(world):
    officer = world.a.users["county_officer"]
    task = f.report_task(officer)
    sub = submit(world, sub_of(task, world.a.school))
    with pytest.raises(ValidationError, match="退回原因"):
        services.submission_return(actor=officer, submission=sub, reason="  ")
    sub = services.submission_return(actor=officer, submission=sub, reason="教室数与台账不符")
    assert (sub.status, sub.return_reason, sub.is_editable) == (
        "returned",
        "教室数与台账不符",
        True,
    )
    sub = submit(world, sub, raw={**GOOD, "ordinary_rooms": ["31"]})
    assert sub.status == SubmissionStatus.SUBMITTED and sub.return_reason == ""
    kinds = list(sub.events.values_list("kind", flat=True))
    assert kinds == ["submitted", "returned", "submitted"]
    assert set(
        AuditEntry.objects.filter(
            target_type="reporting.submission", target_id=str(sub.pk)
        ).values_list("action", flat=True)
    ) == {"report.submit", "report.return"}


def test_city_task_is_signed_by_the_county_then_the_city(world):
    county, city = world.a.users["county_officer"], world.a.users["city_officer"]
    task = f.report_task(city)
    assert task.origin_level == 2
    sub = submit(world, sub_of(task, world.a.school))
    with pytest.raises(ValidationError, match="县级"):
        services.submission_sign_off(actor=city, submission=sub)  # the county signs first
    with pytest.raises(ValidationError):
        services.submission_sign_off(actor=world.b.users["county_officer"], submission=sub)
    sub = services.submission_sign_off(actor=county, submission=sub)
    assert (sub.status, sub.review_level, sub.status_label) == ("submitted", 2, "待市级审核")
    with pytest.raises(ValidationError, match="不能修改"):
        submit(world, sub)
    with pytest.raises(ValidationError, match="市级"):
        services.submission_sign_off(actor=county, submission=sub)
    sub = services.submission_sign_off(actor=city, submission=sub)
    assert sub.status == SubmissionStatus.APPROVED
    assert list(sub.events.filter(kind="signed_off").values_list("level", flat=True)) == [3, 2]


def test_province_task_goes_up_to_the_province_and_city_may_return(world):
    task = f.report_task(world.province_officer)
    sub = submit(world, sub_of(task, world.a.school))
    sub = services.submission_sign_off(actor=world.a.users["county_officer"], submission=sub)
    sub = services.submission_return(
        actor=world.a.users["city_officer"], submission=sub, reason="带宽单位有误"
    )
    assert sub.status == SubmissionStatus.RETURNED
    sub = submit(world, sub)
    assert sub.review_level == 3  # a correction starts again at the county
    for who in (world.a.users["county_officer"], world.a.users["city_officer"]):
        sub = services.submission_sign_off(actor=who, submission=sub)
    assert sub.review_level == 1
    sub = services.submission_sign_off(actor=world.province_officer, submission=sub)
    assert sub.status == SubmissionStatus.APPROVED


# ------------------------------------------------------------------- reminders


def test_reminders_go_to_unsubmitted_schools_in_the_senders_scope(world):
    task = f.report_task(world.province_officer)
    submit(world, sub_of(task, world.a.school))
    n = services.task_remind(actor=world.a.users["county_officer"], task=task)
    assert n == 1  # county A's teaching point; not county B, not the submitted school
    reminded = SubmissionEvent.objects.filter(kind=EventKind.REMINDED)
    assert [e.submission.school_id for e in reminded] == [world.a.teaching_point.pk]
    assert "请于2099-12-31前完成" in reminded.get().note
    assert services.task_remind(actor=world.province_officer, task=task, message="请尽快") == 3
    with pytest.raises(ValidationError):
        services.task_remind(actor=world.a.users["school_admin"], task=task)


# ------------------------------------------------------------ rates and results


def test_rates_by_region_with_drill_down(world):
    task = f.report_task(world.province_officer, deadline=dt.date(2026, 3, 31))
    early = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    submit(world, sub_of(task, world.a.school), now=early)
    submit(world, sub_of(task, world.a.teaching_point), now=dt.datetime(2026, 4, 2, tzinfo=dt.UTC))
    province = selectors.resolve_region(world.province_officer, task, "")
    assert province.code == "41"
    rows = selectors.rates_by_region(world.province_officer, task, province)
    by_code = {r.code: r.progress for r in rows}
    assert set(by_code) == {"4101", "4102"}
    assert (by_code["4101"].total, by_code["4101"].reported, by_code["4101"].on_time) == (2, 2, 1)
    assert by_code["4101"].completeness_pct == "100.0%"
    assert by_code["4101"].on_time_pct == "50.0%"
    assert by_code["4102"].completeness == 0
    total = selectors.progress_total(rows)
    assert (total.total, total.reported, total.late) == (4, 2, 1)
    county_rows = selectors.rates_by_region(
        world.province_officer,
        task,
        selectors.resolve_region(world.province_officer, task, "410102"),
    )
    assert {r.name for r in county_rows} == {world.a.school.name, world.a.teaching_point.name}
    # A county officer starts at their county and cannot drill into another one.
    county = world.a.users["county_officer"]
    assert selectors.resolve_region(county, task, "").code == "410102"
    assert selectors.resolve_region(county, task, "410202").code == "410102"
    assert selectors.resolve_region(county, task, "41").code == "410102"
    progress = selectors.task_progress(county, [task.pk])[task.pk]
    assert (progress.total, progress.reported) == (2, 2)


def test_results_sum_average_and_count_per_field_and_region(world):
    task = f.report_task(world.province_officer)
    admin_b = world.b.users["school_admin"]
    raw_a = {**GOOD, "wifi": ["1"], "access": ["1"], "platforms": ["a", "b"]}
    submit(world, sub_of(task, world.a.school), raw=raw_a)
    services.submission_save(
        actor=admin_b,
        submission=sub_of(task, world.b.school),
        raw={"ordinary_rooms": ["10"], "multimedia_rooms": ["3"], "bandwidth": ["50.5"],
             "wifi": ["0"], "access": ["1"], "platforms": ["b"]},
        submit=True,
    )  # fmt: skip
    services.submission_save(  # a draft is not counted
        actor=admin_b, submission=sub_of(task, world.b.teaching_point), raw=GOOD, submit=False
    )
    region = selectors.resolve_region(world.province_officer, task, "")
    results = selectors.task_results(world.province_officer, task, region)
    assert results.reported == 2
    s = {x.field.code: x for x in results.summaries}
    assert (s["ordinary_rooms"].total, s["ordinary_rooms"].average) == (Decimal(40), Decimal(20))
    assert (s["ordinary_rooms"].minimum, s["ordinary_rooms"].maximum) == (10, 30)
    assert s["bandwidth"].total == Decimal("150.5")
    assert (s["wifi"].answered, s["wifi"].yes) == (2, 1)
    assert s["access"].option_rows == [("1", "光纤", 2), ("2", "无线", 0)]
    assert dict((c, n) for c, _l, n in s["platforms"].option_rows) == {"a": 1, "b": 2, "c": 0}
    assert s["officer"].answered == 0
    by_region = {code: (n, sums) for code, _name, n, sums in results.by_region}
    assert by_region["4101"] == (1, {"ordinary_rooms": 30, "multimedia_rooms": 12,
                                      "bandwidth": Decimal(100)})  # fmt: skip
    assert by_region["4102"][1]["bandwidth"] == Decimal("50.5")
    # The county officer's results hold their county only.
    county = world.a.users["county_officer"]
    mine = selectors.task_results(county, task, selectors.resolve_region(county, task, ""))
    assert mine.reported == 1
