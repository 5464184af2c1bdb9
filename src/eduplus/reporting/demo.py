"""Demo data of the reporting module for the synthetic province (called by `eduplus seed`).

One task of the demo county officer (`county`, 中原区 410102 in 河南省): 2026年度学校信息化
基础数据报送, over the schools of that county, with submissions in every state: signed
off, submitted, a late submission, a return for correction (the demo `school` account's
own, so it opens with the reason shown), drafts and not yet started, and a reminder.
The design, the assignment and the demo school's submission and return go through
the services (history and audit log are real); the other schools, which have no demo
account, are written set-based with fixed timestamps.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from typing import Any

from django.db.models import Count
from django.utils import timezone

from eduplus.accounts.models import User
from eduplus.reporting import services
from eduplus.reporting.models import (
    EventKind,
    ReportForm,
    ReportTask,
    Submission,
    SubmissionEvent,
    SubmissionStatus,
)
from eduplus.reporting.values import clean_values

DEMO_TITLE = "2026年度学校信息化基础数据报送"
DEADLINE = dt.date(2026, 11, 20)
# Fixed moments, so the demo is the same whenever it is seeded.
MOMENTS = [dt.datetime(2026, 11, d, 10, 30, tzinfo=dt.UTC) for d in range(2, 20)]
LATE_MOMENT = dt.datetime(2026, 11, 21, 16, 5, tzinfo=dt.UTC)
MAX_SCHOOLS = 40

FIELDS: list[dict[str, Any]] = [
    dict(
        code="ordinary_rooms",
        label="普通教室数",
        kind="integer",
        required=True,
        min_value=0,
        max_value=500,
        unit="间",
    ),
    dict(
        code="multimedia_rooms",
        label="多媒体教室数",
        kind="integer",
        required=True,
        min_value=0,
        max_value=500,
        unit="间",
        help_text="配备交互式多媒体设备的教室",
    ),
    dict(
        code="computers",
        label="学生用计算机",
        kind="integer",
        required=True,
        min_value=0,
        max_value=10000,
        unit="台",
    ),
    dict(
        code="bandwidth",
        label="互联网出口带宽",
        kind="decimal",
        required=True,
        min_value=0,
        max_value=100000,
        unit="Mbps",
    ),
    dict(
        code="access",
        label="接入方式",
        kind="choice",
        required=True,
        options_text="1 光纤专线\n2 光纤宽带\n3 无线（4G/5G）\n9 其他",
    ),
    dict(code="wifi_full", label="无线网络是否全覆盖", kind="boolean", required=True),
    dict(
        code="platforms",
        label="已应用的平台",
        kind="multichoice",
        options_text="1 国家智慧教育平台\n2 省级教育资源公共服务平台\n3 校园管理系统\n"
        "4 家校互动平台",
    ),
    dict(code="security_check", label="最近一次网络安全检查日期", kind="date"),
    dict(
        code="security_officer",
        label="网络安全负责人",
        kind="text",
        max_length=32,
        help_text="姓名及职务",
    ),
]
RULES = [
    ("multimedia_rooms <= ordinary_rooms", "多媒体教室数不能多于普通教室数"),
]


def _answers(rng: random.Random) -> dict[str, list[str]]:
    ordinary = rng.randint(12, 60)
    platforms = sorted(rng.sample(["1", "2", "3", "4"], rng.randint(1, 4)))
    return {
        "ordinary_rooms": [str(ordinary)],
        "multimedia_rooms": [str(rng.randint(ordinary // 2, ordinary))],
        "computers": [str(rng.randint(40, 400))],
        "bandwidth": [str(rng.choice([100, 200, 300, 500, 1000]))],
        "access": [rng.choice(["1", "1", "2", "3"])],
        "wifi_full": [rng.choice(["1", "1", "0"])],
        "platforms": platforms,
        "security_check": [f"2026-{rng.randint(3, 10):02d}-{rng.randint(1, 28):02d}"],
        "security_officer": [rng.choice(["王建国 副校长", "李红 信息中心主任", "张伟 教务主任"])],
    }


def seed_demo(*, province: str, seed: int, say: Callable[[str], None]) -> int:
    """Write this module's demo rows; return how many. Deterministic for a seed."""
    county_user = User.objects.filter(username="county", is_active=True).first()
    school_user = User.objects.filter(username="school", is_active=True).first()
    if county_user is None or school_user is None:
        say("reporting: demo accounts missing, no report task seeded")
        return 0
    region_code = services.officer_region_code(county_user)
    # Seeding again replaces the demo task.
    old = ReportTask.objects.filter(title=DEMO_TITLE, region_id=region_code)
    old_forms = list(old.values_list("form_id", flat=True))
    old.delete()
    ReportForm.objects.filter(pk__in=old_forms, tasks__isnull=True).delete()

    rng = random.Random(seed * 7919 + 2026)
    form = services.form_create(
        actor=county_user,
        title="学校信息化基础数据",
        description="请按本校2026年9月1日的实际情况填写；数据将用于全区教育信息化统计。",
    )
    for spec in FIELDS:
        services.form_field_add(actor=county_user, form=form, **spec)
    for expression, message in RULES:
        services.form_rule_add(actor=county_user, form=form, expression=expression, message=message)
    demo_school_ids = {a.school_id for a in school_user.role_assignments.all() if a.school_id}
    everyone = services.target_schools(county_user, services.TaskTargets())
    picked = list(everyone.exclude(school_type="218")[:MAX_SCHOOLS].values_list("code", flat=True))
    picked += list(everyone.filter(pk__in=demo_school_ids).values_list("code", flat=True))
    task = services.task_assign(
        actor=county_user,
        form=form,
        title=DEMO_TITLE,
        period="2026年度",
        deadline=DEADLINE,
        targets=services.TaskTargets(school_codes=tuple(dict.fromkeys(picked))),
    )
    fields = list(form.fields.all())
    rules = list(form.rules.all())
    subs = list(task.submissions.select_related("school").order_by("school__code"))
    events: list[SubmissionEvent] = []
    changed: list[Submission] = []
    county_name = county_user.display_name
    for i, sub in enumerate(subs):
        moment = MOMENTS[i % len(MOMENTS)]
        answers = _answers(rng)
        if sub.school_id in demo_school_ids:
            # The demo school's own submission goes through the services: submitted,
            # then returned for correction with a reason the school sees on opening it.
            sub = services.submission_save(
                actor=school_user, submission=sub, raw=answers, submit=True, now=moment
            )
            services.submission_return(
                actor=county_user,
                submission=sub,
                reason="多媒体教室数与上年度装备台账不一致，请核实后重新提交。",
            )
            continue
        state = STATES[i % len(STATES)]
        if state == "pending":
            continue
        # The other schools (which have no demo account) are written set-based.
        cleaned = clean_values(fields, rules, answers, final=True)
        sub.values = cleaned.values
        admin = f"{sub.school.name}管理员"
        if state == "draft":
            sub.status = SubmissionStatus.DRAFT
            events.append(_ev(sub, EventKind.SAVED, admin, moment))
        else:
            at = LATE_MOMENT if state == "late" else moment
            sub.submitted_at = at
            sub.is_late = timezone.localdate(at) > DEADLINE
            sub.status = SubmissionStatus.SUBMITTED
            sub.review_level = 3
            events.append(
                _ev(sub, EventKind.SUBMITTED, admin, at, note="逾期提交" if sub.is_late else "")
            )
            if state == "approved":
                signed = at + dt.timedelta(days=1)
                sub.status = SubmissionStatus.APPROVED
                sub.review_level = None
                sub.approved_at = signed
                events.append(
                    _ev(
                        sub,
                        EventKind.SIGNED_OFF,
                        county_name,
                        signed,
                        level=3,
                        note="数据属实",
                        actor=county_user,
                    )
                )
        changed.append(sub)
    Submission.objects.bulk_update(
        changed, ["values", "status", "submitted_at", "is_late", "review_level", "approved_at"]
    )
    SubmissionEvent.objects.bulk_create(events)
    reminded = services.task_remind(actor=county_user, task=task)
    counts = dict(
        Submission.objects.filter(task=task)
        .values_list("status")
        .order_by()
        .annotate(n=Count("id"))
    )
    say(f"reporting: task {task.pk} {DEMO_TITLE} over {len(subs)} schools {counts}")
    return 2 + len(fields) + len(rules) + len(subs) + len(events) + reminded


STATES = ["approved", "approved", "submitted", "late", "draft", "pending"]


def _ev(
    sub: Submission,
    kind: str,
    name: str,
    at: dt.datetime,
    *,
    level: int | None = None,
    note: str = "",
    actor: Any = None,
) -> SubmissionEvent:
    return SubmissionEvent(
        submission=sub,
        kind=kind,
        level=level,
        actor=actor,
        actor_name=name[:64],
        note=note,
        created_at=at,
    )
