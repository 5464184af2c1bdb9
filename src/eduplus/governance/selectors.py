"""Reads of golden records, their trail, conflicts, the review queue and runs — every
one scoped through ``visible_to``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Count, Q, QuerySet, Sum
from django.utils.translation import gettext as _

from eduplus.core.scoping import prefix_upper_bound
from eduplus.governance.models import (
    GOLDEN_TEXT_ITEMS,
    PROVENANCE_ITEMS,
    DataItem,
    GoldenRecord,
    ImportBatch,
    ItemAuthority,
    MatchReview,
    ResolutionRun,
    ReviewStatus,
    SourceRecord,
    ValueConflict,
)
from eduplus.people.models import Gender, Person

# Items whose value is personal data beyond the name: masked unless the role needs it.
SENSITIVE_ITEMS = frozenset(
    {"id_number", "address", "phone", "guardian_phone", "aid_status", "health_result"}
)


def golden_records(user: Any, *, q: str = "", person_type: str = "") -> QuerySet[GoldenRecord]:
    qs = GoldenRecord.objects.visible_to(user).select_related("person", "school", "region")
    if person_type in ("student", "teacher"):
        qs = qs.filter(person_type=person_type)
    q = q.strip()
    if q:
        # The persons found first, by their own indexes (name, golden identifier, ID
        # number), then their golden records by key: led by the scope's region range
        # instead, SQLite read every golden record of a province to find one name.
        found = Person.objects.filter(
            name_prefix("name", q) | Q(golden_id=q) | Q(id_number=q)
        ).values("id")
        qs = qs.filter(person_id__in=found)
    return qs.order_by("person_id")


def name_prefix(field: str, prefix: str) -> Q:
    """Names that begin with ``prefix``. On SQLite also as a range of the name's index,
    which the same rows satisfy (SQLite compares text by code point): Django's
    ``LIKE … ESCAPE`` cannot use the index."""
    condition = Q(**{f"{field}__startswith": prefix})
    if connection.vendor != "sqlite" or not prefix:
        return condition
    condition &= Q(**{f"{field}__gte": prefix})
    upper = prefix_upper_bound(prefix)
    if upper is not None:
        condition &= Q(**{f"{field}__lt": upper})
    return condition


@dataclass(frozen=True)
class TrailRow:
    item: str
    label: str
    value: str
    record: SourceRecord | None
    authoritative: bool
    authority_source: str
    sensitive: bool


def _display(item: str, value: Any, golden: GoldenRecord) -> str:
    if value in (None, ""):
        return ""
    if item == "gender":
        try:
            return str(Gender(int(value)).label)
        except ValueError:
            return str(value)
    if item == "school":
        return golden.school.name if golden.school else str(value)
    if item == "ethnicity":
        from eduplus.governance.normalize import ETHNICITY_NAMES

        name = ETHNICITY_NAMES.get(str(value))
        return f"{name}（{value}）" if name else str(value)
    return str(value)


def person_trail(golden: GoldenRecord) -> list[TrailRow]:
    """For one golden person, every value and the source row it came from."""
    person: Person = golden.person
    values: dict[str, Any] = {
        "name": person.name,
        "id_number": person.id_number,
        "birth_date": person.birth_date.isoformat() if person.birth_date else "",
        "gender": person.gender,
        "ethnicity": person.ethnicity,
        "phone": person.phone,
        "school": golden.school_id,
        **{item: getattr(golden, item) for item in ("grade", *GOLDEN_TEXT_ITEMS)},
    }
    record_ids = [golden.source_record_id(item) for item in PROVENANCE_ITEMS]
    records = SourceRecord.objects.select_related("batch", "source").in_bulk(
        [r for r in record_ids if r is not None]
    )
    authority = dict(ItemAuthority.objects.values_list("item", "source__code"))
    labels = dict(DataItem.choices)
    rows = []
    for item, record_id in zip(PROVENANCE_ITEMS, record_ids, strict=True):
        record = records.get(record_id) if record_id is not None else None
        shown = _display(item, values.get(item), golden)
        if not shown and record is None:
            continue
        label, origin = str(labels[item]), item
        if item == "phone" and record is None and person.phone == golden.guardian_phone:
            # No source gives the person a phone of their own: the contact phone is the
            # guardian's (as the resolution compares it), with that value's source.
            origin = "guardian_phone"
            record = records.get(golden.source_record_id(origin))
            label = _("联系电话（监护人电话）")
        rows.append(
            TrailRow(
                item=item,
                label=label,
                value=shown,
                record=record,
                authoritative=record is not None and record.source.code == authority.get(origin),
                authority_source=authority.get(origin, ""),
                sensitive=item in SENSITIVE_ITEMS,
            )
        )
    return rows


def person_records(golden: GoldenRecord) -> QuerySet[SourceRecord]:
    return (
        SourceRecord.objects.filter(link__person_id=golden.person_id)
        .select_related("batch", "source", "school", "link")
        .order_by("batch_id", "row_number")
    )


def person_conflicts(golden: GoldenRecord) -> QuerySet[ValueConflict]:
    return ValueConflict.objects.filter(person_id=golden.person_id).order_by("item")


def conflicts(user: Any, *, item: str = "") -> QuerySet[ValueConflict]:
    qs = ValueConflict.objects.visible_to(user).select_related("person")
    if item:
        qs = qs.filter(item=item)
    return qs.order_by("-detected_at", "id")


def review_queue(user: Any, *, status: str = ReviewStatus.OPEN) -> QuerySet[MatchReview]:
    qs = MatchReview.objects.visible_to(user).select_related(
        "left__source",
        "right__source",
        "left__school",
        "right__school",
        "left__batch",
        "right__batch",
        "decided_by",
    )
    if status in ReviewStatus.values:
        qs = qs.filter(status=status)
    return qs.order_by("-probability", "id")


def runs() -> QuerySet[ResolutionRun]:
    return ResolutionRun.objects.select_related("created_by").order_by("-id")


def overview(user: Any) -> dict[str, Any]:
    """The figures of the governance home page, within the user's scope."""
    batches = ImportBatch.objects.visible_to(user)
    totals = batches.filter(status="done").aggregate(
        read=Sum("rows_read"),
        accepted=Sum("rows_accepted"),
        rejected=Sum("rows_rejected"),
        suspicious=Sum("rows_suspicious"),
        count=Count("id"),
    )
    golden = GoldenRecord.objects.visible_to(user)
    return {
        "batches": {k: v or 0 for k, v in totals.items()},
        "running_batches": batches.filter(status__in=["queued", "running"]).count(),
        "persons": golden.count(),
        "students": golden.filter(person_type="student").count(),
        "teachers": golden.filter(person_type="teacher").count(),
        "multi_source": golden.filter(source_count__gt=1).count(),
        "open_reviews": MatchReview.objects.visible_to(user)
        .filter(status=ReviewStatus.OPEN)
        .count(),
        "conflicts": ValueConflict.objects.visible_to(user).count(),
        "last_run": ResolutionRun.objects.order_by("-id").first(),
        "recent_batches": batches.select_related("source").order_by("-id")[:5],
    }


def _id_hint(a: str, b: str) -> str:
    if not a or not b:
        return "缺失"
    if a == b:
        return "一致"
    if len(a) == len(b):
        diff = [i + 1 for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
        if len(diff) == 1:
            return f"仅第 {diff[0]} 位不同"
        if len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0] - 1] == b[diff[1] - 1]:
            return f"第 {diff[0]}、{diff[1]} 位顺序颠倒"
    return "不同"


def pair_hints(review: MatchReview) -> dict[str, str]:
    """How the two records of a review compare, without showing full ID numbers."""
    a, b = review.left, review.right
    birth = "缺失"
    if a.birth_date and b.birth_date:
        if a.birth_date == b.birth_date:
            birth = "一致"
        elif (a.birth_date.year, a.birth_date.month, a.birth_date.day) == (
            b.birth_date.year,
            b.birth_date.day,
            b.birth_date.month,
        ):
            birth = "月日颠倒"
        else:
            birth = "不同"
    return {
        "id_number": _id_hint(a.id_number, b.id_number),
        "name": "一致" if a.name == b.name else "不同",
        "birth_date": birth,
        "school": "一致" if a.school_code == b.school_code else "不同（可能转学）",
    }
