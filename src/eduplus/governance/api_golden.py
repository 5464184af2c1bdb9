"""Golden records through the API: one person's values with the source of each
(ID numbers masked here, as in the people API), and the resolution runs."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Schema

from eduplus.core.api import require
from eduplus.core.audit import audit_record
from eduplus.core.idnumber import mask, mask_phone
from eduplus.core.roles import Action
from eduplus.core.scoping import access_object
from eduplus.governance import selectors
from eduplus.governance.api import router
from eduplus.governance.models import GoldenRecord


class ValueOut(Schema):
    item: str
    label: str
    value: str
    source: str | None
    batch: int | None
    row: int | None
    record_key: str | None
    authoritative: bool


class GoldenOut(Schema):
    person_id: int
    golden_id: str
    person_type: str
    record_count: int
    source_count: int
    values: list[ValueOut]


class RunOut(Schema):
    id: int
    mode: str
    backend: str
    status: str
    records: int
    new_records: int
    pairs: int
    persons_created: int
    persons_linked: int
    review_items: int
    conflicts: int
    splink_seconds: float
    total_seconds: float


def _masked(item: str, value: str) -> str:
    if item == "id_number":
        return mask(value)
    if item in ("phone", "guardian_phone"):
        return mask_phone(value)
    if item in selectors.SENSITIVE_ITEMS:
        return "***" if value else ""
    return value


@router.get("/persons/{person_pk}", response=GoldenOut, summary="主数据及每个值的来源")
def golden_person(request: HttpRequest, person_pk: int) -> GoldenOut:
    require(request, Action.DATA_STEWARD)
    golden = access_object(
        request.user,
        GoldenRecord.objects.select_related("person", "school"),
        pk=person_pk,
        request=request,
    )
    audit_record(
        actor=request.user,
        action="person.view",
        request=request,
        target_type="people.person",
        target_id=str(golden.person_id),
        details={"via": "api"},
    )
    values = [
        ValueOut(
            item=row.item,
            label=row.label,
            value=_masked(row.item, row.value),
            source=row.record.source.code if row.record else None,
            batch=row.record.batch_id if row.record else None,
            row=row.record.row_number if row.record else None,
            record_key=row.record.record_key if row.record else None,
            authoritative=row.authoritative,
        )
        for row in selectors.person_trail(golden)
    ]
    return GoldenOut(
        person_id=golden.person_id,
        golden_id=mask(golden.person.golden_id or ""),
        person_type=golden.person_type,
        record_count=golden.record_count,
        source_count=golden.source_count,
        values=values,
    )


@router.get("/runs", response=list[RunOut], summary="身份解析运行记录（最近 50 次）")
def resolution_runs(request: HttpRequest) -> list[RunOut]:
    require(request, Action.DATA_STEWARD)
    return [RunOut.from_orm(r) for r in selectors.runs()[:50]]
