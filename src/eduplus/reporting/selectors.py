"""Reads of the reporting module, always through ``visible_to(user)``.

Rates and results count only the submissions the viewer may see: a county officer
looking at a city's task sees their county's schools.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field as dc_field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet
from django.db.models.functions import Substr

from eduplus.core.scoping import region_subtree_q, scope_for
from eduplus.regions.models import CODE_LENGTH, LEVEL_BY_LENGTH, Region, RegionLevel
from eduplus.reporting.models import (
    EDITABLE_STATUSES,
    REPORTED_STATUSES,
    EventKind,
    FieldKind,
    ReportField,
    ReportForm,
    ReportTask,
    Submission,
    SubmissionEvent,
    SubmissionStatus,
)

STATUS_FILTERS: dict[str, list[str]] = {
    "unreported": sorted(EDITABLE_STATUSES),
    "reported": sorted(REPORTED_STATUSES),
    **{s.value: [s.value] for s in SubmissionStatus},
}


# -------------------------------------------------------------------- forms, tasks


def form_list(user: Any) -> QuerySet[ReportForm]:
    return (
        ReportForm.objects.visible_to(user)
        .select_related("region", "created_by")
        .annotate(n_fields=Count("fields", distinct=True), n_tasks=Count("tasks", distinct=True))
        .order_by("-id")
    )


def form_detail_queryset() -> QuerySet[ReportForm]:
    return ReportForm.objects.select_related("region", "created_by", "previous").prefetch_related(
        "fields", "rules"
    )


def task_list(user: Any, *, q: str = "") -> QuerySet[ReportTask]:
    qs = ReportTask.objects.visible_to(user).select_related("region", "form", "created_by")
    if q.strip():
        qs = qs.filter(Q(title__contains=q.strip()) | Q(period__contains=q.strip()))
    return qs.order_by("-deadline", "-id")


@dataclass
class Progress:
    total: int = 0
    reported: int = 0
    on_time: int = 0
    approved: int = 0
    returned: int = 0
    late: int = 0

    @property
    def unreported(self) -> int:
        return self.total - self.reported

    @property
    def completeness(self) -> float:
        return self.reported / self.total if self.total else 0.0

    @property
    def on_time_rate(self) -> float:
        return self.on_time / self.total if self.total else 0.0

    @property
    def completeness_pct(self) -> str:
        return f"{self.completeness * 100:.1f}%"

    @property
    def on_time_pct(self) -> str:
        return f"{self.on_time_rate * 100:.1f}%"


_PROGRESS = {
    "total": Count("id"),
    "reported": Count("id", filter=Q(status__in=sorted(REPORTED_STATUSES))),
    "on_time": Count("id", filter=Q(status__in=sorted(REPORTED_STATUSES), is_late=False)),
    "approved": Count("id", filter=Q(status=SubmissionStatus.APPROVED)),
    "returned": Count("id", filter=Q(status=SubmissionStatus.RETURNED)),
    "late": Count("id", filter=Q(is_late=True, submitted_at__isnull=False)),
}


def task_progress(user: Any, task_ids: Iterable[int]) -> dict[int, Progress]:
    """Progress of several tasks over the submissions the user sees: one query."""
    rows = (
        Submission.objects.visible_to(user)
        .filter(task_id__in=list(task_ids))
        .values("task_id")
        .annotate(**_PROGRESS)
    )
    return {r["task_id"]: _progress(r) for r in rows}


def _progress(row: Any) -> Progress:
    return Progress(**{name: int(row[name] or 0) for name in _PROGRESS})


def submissions_of(user: Any, task: ReportTask) -> QuerySet[Submission]:
    return Submission.objects.visible_to(user).filter(task=task)


def submission_list(
    user: Any, task: ReportTask, *, status: str = "", region: str = "", q: str = ""
) -> QuerySet[Submission]:
    qs = submissions_of(user, task).select_related("school", "region")
    if status in STATUS_FILTERS:
        qs = qs.filter(status__in=STATUS_FILTERS[status])
    if region.isdigit():
        qs = qs.filter(region_subtree_q("region_id", region))
    if q.strip():
        qs = qs.filter(Q(school__name__contains=q.strip()) | Q(school__code__startswith=q.strip()))
    return qs.order_by("region_id", "school__code")


def inbox(user: Any) -> QuerySet[Submission]:
    """A school's submissions: those of the schools it administers (not teachers')."""
    school_ids = sorted(scope_for(user).school_ids)
    return (
        Submission.objects.visible_to(user)
        .filter(school_id__in=school_ids)
        .select_related("task", "school", "task__region")
        .annotate(n_reminders=Count("events", filter=Q(events__kind=EventKind.REMINDED)))
        .order_by("-task__deadline", "-task_id", "school__code")
    )


def submission_detail_queryset() -> QuerySet[Submission]:
    return Submission.objects.select_related(
        "task", "task__form", "task__region", "school", "region", "region__parent"
    ).prefetch_related(
        Prefetch("task__form__fields", queryset=ReportField.objects.order_by("position", "id"))
    )


def submission_history(submission: Submission) -> QuerySet[SubmissionEvent]:
    return submission.events.order_by("created_at", "id")


def reminders_of(submission: Submission) -> QuerySet[SubmissionEvent]:
    return submission.events.filter(kind=EventKind.REMINDED).order_by("-created_at", "-id")


# --------------------------------------------------------------------- by region


def default_region_code(user: Any, task: ReportTask) -> str:
    """Where the rates start: the task's own region when it lies in the viewer's scope,
    otherwise the viewer's widest region (a county officer on a city task)."""
    scope = scope_for(user)
    codes = sorted(scope.region_codes | scope.org_region_codes, key=lambda c: (len(c), c))
    if any(task.region_id.startswith(c) for c in codes):
        return str(task.region_id)
    return codes[0] if codes else str(task.region_id)


def resolve_region(user: Any, task: ReportTask, wanted: str) -> Region:
    """The drill-down region: one the user may see, or the default."""
    if wanted.isdigit() and len(wanted) in LEVEL_BY_LENGTH:
        region = Region.objects.visible_to(user).filter(code=wanted).first()
        if region is not None:
            return region
    return Region.objects.get(code=default_region_code(user, task))


@dataclass
class RegionRow:
    code: str
    name: str
    is_school: bool = False
    drill: bool = False
    progress: Progress = dc_field(default_factory=Progress)


def rates_by_region(user: Any, task: ReportTask, region: Region) -> list[RegionRow]:
    """Completeness and on-time rate per sub-region of ``region`` (per school in a county)."""
    base = submissions_of(user, task).filter(region_subtree_q("region_id", region.code))
    if region.level >= RegionLevel.COUNTY:
        rows = []
        for sub in base.select_related("school").order_by("school__code"):
            reported = sub.status in REPORTED_STATUSES
            p = Progress(
                total=1,
                reported=int(reported),
                on_time=int(reported and not sub.is_late),
                approved=int(sub.status == SubmissionStatus.APPROVED),
                returned=int(sub.status == SubmissionStatus.RETURNED),
                late=int(sub.is_late and sub.submitted_at is not None),
            )
            rows.append(RegionRow(str(sub.pk), sub.school.name, is_school=True, progress=p))
        return rows
    child_len = CODE_LENGTH[RegionLevel(region.level + 1)]
    stats = (
        base.annotate(prefix=Substr("region_id", 1, child_len))
        .values("prefix")
        .annotate(**_PROGRESS)
    )
    by_prefix = {str(r["prefix"]): _progress(r) for r in stats}
    names = dict(Region.objects.filter(code__in=list(by_prefix)).values_list("code", "name"))
    result = []
    for prefix in sorted(by_prefix):
        if prefix in names and len(prefix) == child_len:
            result.append(RegionRow(prefix, names[prefix], drill=True, progress=by_prefix[prefix]))
        else:  # schools placed directly at this level (市直属)
            label = f"{region.name}（直属）"
            result.append(RegionRow(prefix, label, progress=by_prefix[prefix]))
    return result


def progress_total(rows: Iterable[RegionRow]) -> Progress:
    total = Progress()
    for r in rows:
        for name in ("total", "reported", "on_time", "approved", "returned", "late"):
            setattr(total, name, getattr(total, name) + getattr(r.progress, name))
    return total


# ------------------------------------------------------------------------ results


@dataclass
class FieldSummary:
    field: ReportField
    answered: int = 0
    total: Decimal = Decimal(0)
    minimum: Decimal | None = None
    maximum: Decimal | None = None
    yes: int = 0
    options: dict[str, int] = dc_field(default_factory=dict)

    @property
    def average(self) -> Decimal | None:
        if not self.answered or not self.field.is_numeric:
            return None
        return (self.total / self.answered).quantize(Decimal("0.01"))

    @property
    def option_rows(self) -> list[tuple[str, str, int]]:
        labels = self.field.option_labels
        return [(code, labels[code], self.options.get(code, 0)) for code in labels]


def _add(summary: FieldSummary, value: Any) -> None:
    f = summary.field
    if value is None or value == "" or value == []:
        return
    summary.answered += 1
    if f.is_numeric:
        number = Decimal(str(value))
        summary.total += number
        summary.minimum = number if summary.minimum is None else min(summary.minimum, number)
        summary.maximum = number if summary.maximum is None else max(summary.maximum, number)
    elif f.kind == FieldKind.BOOLEAN:
        summary.yes += int(bool(value))
    elif f.kind == FieldKind.CHOICE:
        summary.options[str(value)] = summary.options.get(str(value), 0) + 1
    elif f.kind == FieldKind.MULTICHOICE:
        for code in value:
            summary.options[str(code)] = summary.options.get(str(code), 0) + 1


@dataclass
class Results:
    region: Region
    reported: int
    summaries: list[FieldSummary]
    # Sub-region rows: (code, name, reported count, {field code: sum}) for numeric fields.
    by_region: list[tuple[str, str, int, dict[str, Decimal]]]
    numeric_fields: list[ReportField]


def task_results(user: Any, task: ReportTask, region: Region) -> Results:
    """Counts, sums, averages per field over the reported submissions the user sees,
    and the numeric fields summed per sub-region. One query for the values."""
    fields = list(task.form.fields.order_by("position", "id"))
    summaries = [FieldSummary(f) for f in fields]
    numeric = [f for f in fields if f.is_numeric]
    level = region.level
    child_len = CODE_LENGTH[RegionLevel(level + 1)] if level < RegionLevel.COUNTY else None
    rows = (
        submissions_of(user, task)
        .filter(region_subtree_q("region_id", region.code), status__in=sorted(REPORTED_STATUSES))
        .values_list("region_id", "values", "school_id", "school__name")
    )
    reported = 0
    groups: dict[str, dict[str, Decimal]] = defaultdict(dict)
    counts: dict[str, int] = defaultdict(int)
    labels: dict[str, str] = {}
    for region_id, values, school_id, school_name in rows:
        reported += 1
        values = values or {}
        for s in summaries:
            _add(s, values.get(s.field.code))
        key = str(region_id)[:child_len] if child_len else str(school_id)
        labels.setdefault(key, school_name)
        counts[key] += 1
        for f in numeric:
            v = values.get(f.code)
            if v is not None:
                groups[key][f.code] = groups[key].get(f.code, Decimal(0)) + Decimal(str(v))
    if child_len:
        names = dict(Region.objects.filter(code__in=list(counts)).values_list("code", "name"))
        labels = {k: names.get(k, f"{region.name}（直属）") for k in counts}
    order = sorted(counts) if child_len else sorted(counts, key=lambda k: labels[k])
    by_region = [(k, labels[k], counts[k], groups.get(k, {})) for k in order]
    return Results(region, reported, summaries, by_region, numeric)
