"""Data quality (数据质量): rules as data, computed set-based, and the scorecard's reads.

What is measured: the rows of finished batches (``ImportBatch.status == done``) that
were accepted or accepted as suspicious. Rejected rows are *not* counted: they never
entered the data in use (no golden record is built from them), and each is already
reported with its reason in the batch's error report and counted in ``rows_rejected``;
counting them again as completeness or validity failures would score the same defect
twice and blur what the scorecard is for (the quality of the data people rely on).

A rule applies to the sources that deliver its data item (``SourceSystem.items``; a
source that declares no items gets every rule); ``fresh`` applies to every source.
Each check kind compiles to one SQL predicate, and a computation is one
``INSERT INTO … SELECT … GROUP BY source, batch, region, school`` per active rule,
parameterised and portable between SQLite and PostgreSQL.

``region`` of a result is the county of the record's school, or the batch's region
when the school is unknown (so that, for example, unknown school codes still show up
on the scorecard of whoever imported them).

Score: the weighted pass rate, Σ weight·(checked − failed) / Σ weight·checked, over the
results in scope (a rule counts as often as it checked records, times its weight).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import BigIntegerField, ExpressionWrapper, F, Max, Q, QuerySet, Sum
from django.db.models.expressions import RawSQL
from django.db.models.functions import Substr
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from eduplus.core.audit import audit_record
from eduplus.core.idnumber import mask, mask_phone
from eduplus.core.scoping import region_subtree_q
from eduplus.governance.models import (
    BatchStatus,
    DataItem,
    GoldenRecord,
    ImportBatch,
    QualityDimension,
    QualityResult,
    QualityRule,
    RecordLink,
    RecordStatus,
    SourceRecord,
    SourceSystem,
)
from eduplus.governance.models.quality import QualityCheck
from eduplus.people.models import Person
from eduplus.regions.models import CODE_LENGTH, Region, RegionLevel
from eduplus.schools.models import School

# GB/T 3304 民族代码: 01–56, 97 其他, 98 外国血统中国籍人士.
ETHNICITY_CODES: tuple[str, ...] = (*(f"{n:02d}" for n in range(1, 57)), "97", "98")
# 年级: 0 幼儿园 … 16 大四 (schools.codes.GRADE_NAMES).
MAX_GRADE = 16
# How many computations are kept (the trend shows the most recent ones).
KEEP_COMPUTATIONS = 60
TREND_POINTS = 30
MAX_AGE_DAYS_LIMIT = 3650
WEIGHT_RANGE = (1, 10)

POPULATION_STATUSES = (RecordStatus.ACCEPTED.value, RecordStatus.SUSPICIOUS.value)

# data item → (SourceRecord column, kind): text columns are blank when '', the others NULL.
ITEM_COLUMNS: dict[str, tuple[str, str]] = {
    "name": ("name", "text"),
    "id_number": ("id_number", "text"),
    "birth_date": ("birth_date", "date"),
    "gender": ("gender", "int"),
    "ethnicity": ("ethnicity", "text"),
    "school": ("school_code", "text"),
    "grade": ("grade", "int"),
    "class_name": ("class_name", "text"),
    "address": ("address", "text"),
    "phone": ("phone", "text"),
    "guardian_phone": ("guardian_phone", "text"),
    "aid_status": ("aid_status", "text"),
    "health_result": ("health_result", "text"),
    "subject": ("subject", "text"),
    "title": ("title", "text"),
}
# data item → the golden value it is compared with (people_person p, golden record g).
GOLDEN_COLUMNS: dict[str, tuple[str, str]] = {
    "name": ("p", "name"),
    "id_number": ("p", "id_number"),
    "birth_date": ("p", "birth_date"),
    "gender": ("p", "gender"),
    "ethnicity": ("p", "ethnicity"),
    "phone": ("p", "phone"),
    "school": ("g", "school_id"),
    "grade": ("g", "grade"),
    "class_name": ("g", "class_name"),
    "address": ("g", "address"),
    "guardian_phone": ("g", "guardian_phone"),
    "aid_status": ("g", "aid_status"),
    "health_result": ("g", "health_result"),
    "subject": ("g", "subject"),
    "title": ("g", "title"),
}
# The items each check can be applied to (None: any item).
CHECK_ITEMS: dict[str, frozenset[str] | None] = {
    QualityCheck.NOT_BLANK: None,
    QualityCheck.VALID_ID: frozenset({"id_number"}),
    QualityCheck.CODE_KNOWN: frozenset({"school", "ethnicity", "gender", "grade"}),
    QualityCheck.UNIQUE_IN_BATCH: None,
    QualityCheck.ID_MATCHES_BIRTH: frozenset({"birth_date"}),
    QualityCheck.ID_MATCHES_GENDER: frozenset({"gender"}),
    QualityCheck.AGREES_WITH_GOLDEN: None,
    QualityCheck.FRESH: None,
}
# The parameters each check takes (name → required).
CHECK_PARAMS: dict[str, dict[str, bool]] = {QualityCheck.FRESH: {"max_age_days": True}}

DIMENSIONS: list[tuple[str, Any]] = list(QualityDimension.choices)


def _table(model: Any) -> str:
    return str(connection.ops.quote_name(model._meta.db_table))


# ------------------------------------------------------------------ rule compilation


@dataclass(frozen=True)
class CompiledRule:
    """One rule as SQL pieces over ``records r JOIN batches b`` (+ ``joins``)."""

    joins: str
    join_params: tuple[Any, ...]
    applies: str  # which records the rule checks
    applies_params: tuple[Any, ...]
    fails: str  # which of those fail
    fails_params: tuple[Any, ...]
    source_ids: tuple[int, ...]


def _date_text(expr: str) -> str:
    """A DATE column as 'YYYY-MM-DD' text (SQLite stores it so already)."""
    if connection.vendor == "postgresql":
        return f"TO_CHAR({expr}, 'YYYY-MM-DD')"
    return expr


def _present(expr: str, kind: str) -> str:
    return f"{expr} <> ''" if kind == "text" else f"{expr} IS NOT NULL"


def _applicable_sources(rule: QualityRule) -> tuple[int, ...]:
    ids = []
    for pk, items in SourceSystem.objects.values_list("pk", "items"):
        if rule.check_kind == QualityCheck.FRESH or not items or rule.item in items:
            ids.append(int(pk))
    return tuple(sorted(ids))


def _cutoff(rule: QualityRule, at: dt.datetime) -> Any:
    days = int((rule.params or {}).get("max_age_days", 365))
    return connection.ops.adapt_datetimefield_value(at - dt.timedelta(days=days))


def compile_rule(rule: QualityRule, *, at: dt.datetime) -> CompiledRule:
    """The rule's check as SQL predicates over ``r`` (record) and ``b`` (batch)."""
    validate_rule_definition(rule.check_kind, rule.item, rule.params or {})
    column, kind = ITEM_COLUMNS[rule.item]
    col = f"r.{column}"
    joins = ""
    applies = "1 = 1"
    join_params: tuple[Any, ...] = ()
    applies_params: tuple[Any, ...] = ()
    fails_params: tuple[Any, ...] = ()
    check = rule.check_kind
    if check == QualityCheck.NOT_BLANK:
        fails = f"TRIM(COALESCE({col}, '')) = ''" if kind == "text" else f"{col} IS NULL"
    elif check == QualityCheck.VALID_ID:
        applies = "r.id_number <> ''"
        fails = "r.id_valid = %s"
        fails_params = (False,)
    elif check == QualityCheck.CODE_KNOWN:
        applies = _present(col, kind)
        if rule.item == "school":
            fails = "r.school_id IS NULL"
        elif rule.item == "ethnicity":
            fails = f"r.ethnicity NOT IN ({', '.join(['%s'] * len(ETHNICITY_CODES))})"
            fails_params = ETHNICITY_CODES
        elif rule.item == "gender":
            fails = "r.gender NOT IN (%s, %s)"
            fails_params = (1, 2)
        else:  # grade
            fails = "r.grade > %s"
            fails_params = (MAX_GRADE,)
    elif check == QualityCheck.UNIQUE_IN_BATCH:
        applies = _present(col, kind)
        records = _table(SourceRecord)
        joins = (  # column and table names come from fixed maps, never from input
            f" LEFT JOIN (SELECT d.batch_id AS batch_id, d.{column} AS v FROM {records} d "  # noqa: S608
            f"WHERE d.status IN (%s, %s) AND {_present('d.' + column, kind)} "
            f"GROUP BY d.batch_id, d.{column} HAVING COUNT(*) > 1) dup "
            f"ON dup.batch_id = r.batch_id AND dup.v = {col}"
        )
        join_params = POPULATION_STATUSES
        fails = "dup.batch_id IS NOT NULL"
    elif check == QualityCheck.ID_MATCHES_BIRTH:
        applies = "r.id_valid = %s AND r.birth_date IS NOT NULL AND LENGTH(r.id_number) = 18"
        applies_params = (True,)
        fails = (
            f"{_date_text('r.birth_date')} <> SUBSTR(r.id_number, 7, 4) || '-' || "
            "SUBSTR(r.id_number, 11, 2) || '-' || SUBSTR(r.id_number, 13, 2)"
        )
    elif check == QualityCheck.ID_MATCHES_GENDER:
        applies = "r.id_valid = %s AND r.gender IS NOT NULL AND LENGTH(r.id_number) = 18"
        applies_params = (True,)
        # The 17th character: odd for men (1), even for women (2) — GB 11643.
        # (compared as text: no cast, so no failure on an odd row whatever the plan)
        fails = (
            "r.gender <> (CASE WHEN SUBSTR(r.id_number, 17, 1) IN ('1', '3', '5', '7', '9') "
            "THEN 1 ELSE 2 END)"
        )
    elif check == QualityCheck.AGREES_WITH_GOLDEN:
        alias, gcol = GOLDEN_COLUMNS[rule.item]
        joins = (
            f" JOIN {_table(RecordLink)} l ON l.record_id = r.id"
            f" JOIN {_table(Person)} p ON p.id = l.person_id"
            f" LEFT JOIN {_table(GoldenRecord)} g ON g.person_id = l.person_id"
        )
        if rule.item == "school":
            applies = "r.school_id IS NOT NULL"
            fails = "(g.school_id IS NULL OR g.school_id <> r.school_id)"
        elif kind == "text":
            applies = _present(col, kind)
            fails = f"COALESCE({alias}.{gcol}, '') <> {col}"
        else:
            applies = _present(col, kind)
            fails = f"({alias}.{gcol} IS NULL OR {alias}.{gcol} <> {col})"
    elif check == QualityCheck.FRESH:
        fails = "(b.finished_at IS NULL OR b.finished_at < %s)"
        fails_params = (_cutoff(rule, at),)
    else:  # pragma: no cover - validate_rule_definition refuses unknown checks
        raise ValidationError(_("未知的检查方式"))
    return CompiledRule(
        joins=joins,
        join_params=tuple(join_params),
        applies=applies,
        applies_params=tuple(applies_params),
        fails=fails,
        fails_params=tuple(fails_params),
        source_ids=_applicable_sources(rule),
    )


def _population(compiled: CompiledRule) -> tuple[str, tuple[Any, ...]]:
    marks = ", ".join(["%s"] * len(compiled.source_ids))
    sql = f"b.status = %s AND r.status IN (%s, %s) AND r.source_id IN ({marks})"
    return sql, (BatchStatus.DONE.value, *POPULATION_STATUSES, *compiled.source_ids)


def _from(compiled: CompiledRule) -> str:
    return f"{_table(SourceRecord)} r JOIN {_table(ImportBatch)} b ON b.id = r.batch_id" + (
        compiled.joins
    )


def failing_ids_sql(rule: QualityRule, *, at: dt.datetime) -> tuple[str, tuple[Any, ...]]:
    """``SELECT r.id`` of the records that fail the rule now (for the failing list)."""
    compiled = compile_rule(rule, at=at)
    if not compiled.source_ids:
        return f"SELECT r.id FROM {_table(SourceRecord)} r WHERE 1 = 0", ()  # noqa: S608
    population, pop_params = _population(compiled)
    sql = (
        f"SELECT r.id FROM {_from(compiled)} "  # noqa: S608 - whitelisted pieces
        f"WHERE {population} AND ({compiled.applies}) AND ({compiled.fails})"
    )
    return sql, (
        *compiled.join_params,
        *pop_params,
        *compiled.applies_params,
        *compiled.fails_params,
    )


def _insert_sql(rule: QualityRule, at: dt.datetime) -> tuple[str, tuple[Any, ...]] | None:
    compiled = compile_rule(rule, at=at)
    if not compiled.source_ids:
        return None
    population, pop_params = _population(compiled)
    region = "COALESCE(r.region_id, b.region_id)"
    sql = (
        f"INSERT INTO {_table(QualityResult)} "  # noqa: S608 - whitelisted pieces
        "(computed_at, rule_id, source_id, batch_id, region_id, school_id, checked, failed) "
        f"SELECT %s, %s, r.source_id, r.batch_id, {region}, r.school_id, COUNT(*), "
        f"SUM(CASE WHEN {compiled.fails} THEN 1 ELSE 0 END) "
        f"FROM {_from(compiled)} "
        f"WHERE {population} AND ({compiled.applies}) "
        f"GROUP BY r.source_id, r.batch_id, {region}, r.school_id"
    )
    params = (
        connection.ops.adapt_datetimefield_value(at),
        rule.pk,
        *compiled.fails_params,
        *compiled.join_params,
        *pop_params,
        *compiled.applies_params,
    )
    return sql, params


# --------------------------------------------------------------------- computation


def quality_compute(*, actor: Any = None, computed_at: dt.datetime | None = None) -> dt.datetime:
    """Run every active rule over the data in use; one INSERT … SELECT per rule, all in
    one transaction (readers see the previous computation or this one, never half).
    Returns the computation's timestamp. Also refreshes the data catalog."""
    at = computed_at or timezone.now()
    rules = list(QualityRule.objects.filter(active=True).order_by("code"))
    rows = 0
    with transaction.atomic():
        QualityResult.objects.filter(computed_at=at).delete()
        with connection.cursor() as cursor:
            for rule in rules:
                statement = _insert_sql(rule, at)
                if statement is None:
                    continue
                cursor.execute(*statement)
                rows += max(cursor.rowcount, 0)
        _prune_history()
        audit_record(
            actor=actor,
            action="quality.compute",
            target_type="governance.qualityresult",
            target_id=at.isoformat()[:64],
            details={"rules": len(rules), "rows": rows},
        )
    from eduplus.governance.catalog import catalog_sync

    catalog_sync()
    return at


def _prune_history() -> None:
    kept = list(
        QualityResult.objects.order_by("-computed_at")
        .values_list("computed_at", flat=True)
        .distinct()[: KEEP_COMPUTATIONS + 1]
    )
    if len(kept) > KEEP_COMPUTATIONS:
        QualityResult.objects.filter(computed_at__lte=kept[-1]).delete()


def latest_computation() -> dt.datetime | None:
    value = QualityResult.objects.aggregate(at=Max("computed_at"))["at"]
    return value if isinstance(value, dt.datetime) else None


def has_records() -> bool:
    return SourceRecord.objects.filter(
        batch__status=BatchStatus.DONE, status__in=POPULATION_STATUSES
    ).exists()


# ----------------------------------------------------------------- rule management

RULE_FIELDS = ("name", "dimension", "item", "check_kind", "params", "weight", "description")


def validate_rule_definition(check: str, item: str, params: Mapping[str, Any]) -> None:
    """Refuse a check that cannot apply to the item, and bad parameters, in Chinese."""
    if check not in QualityCheck.values:
        raise ValidationError({"check_kind": _("未知的检查方式：%(v)s") % {"v": check}})
    if item not in ITEM_COLUMNS:
        raise ValidationError({"item": _("未知的数据项：%(v)s") % {"v": item}})
    allowed = CHECK_ITEMS[check]
    if allowed is not None and item not in allowed:
        names = "、".join(str(DataItem(i).label) for i in sorted(allowed))
        raise ValidationError(
            {
                "item": _("检查方式“%(check)s”只能用于：%(items)s")
                % {"check": QualityCheck(check).label, "items": names}
            }
        )
    if not isinstance(params, Mapping):
        raise ValidationError({"params": _("参数应为键值对")})
    expected = CHECK_PARAMS.get(check, {})
    unknown = sorted(set(params) - set(expected))
    if unknown:
        raise ValidationError(
            {"params": _("该检查方式不接受参数：%(v)s") % {"v": ", ".join(unknown)}}
        )
    for name, required in expected.items():
        if required and name not in params:
            raise ValidationError({"params": _("缺少参数：%(v)s") % {"v": name}})
    if "max_age_days" in params:
        value = params["max_age_days"]
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValidationError({"params": _("时限天数应为整数")})
        if not 1 <= value <= MAX_AGE_DAYS_LIMIT:
            raise ValidationError(
                {"params": _("时限天数应在 1 到 %(n)d 天之间") % {"n": MAX_AGE_DAYS_LIMIT}}
            )


def _rule_snapshot(rule: QualityRule) -> dict[str, Any]:
    return {
        "name": rule.name,
        "dimension": rule.dimension,
        "item": rule.item,
        "check_kind": rule.check_kind,
        "params": rule.params,
        "weight": rule.weight,
        "active": rule.active,
    }


def quality_rule_save(
    *,
    values: Mapping[str, Any],
    rule: QualityRule | None = None,
    code: str = "",
    actor: Any = None,
    request: Any = None,
) -> QualityRule:
    """Create a rule (``code`` given) or change one; validated, then audited."""
    unknown = set(values) - set(RULE_FIELDS)
    if unknown:
        raise ValidationError(_("未知的字段：%(v)s") % {"v": ", ".join(sorted(unknown))})
    with transaction.atomic():
        created = rule is None
        if rule is None:
            code = code.strip()
            if QualityRule.objects.filter(code=code).exists():
                raise ValidationError({"code": _("规则代码已存在：%(v)s") % {"v": code}})
            rule = QualityRule(code=code)
        before = {} if created else _rule_snapshot(rule)
        for name, value in values.items():
            setattr(rule, name, value)
        rule.params = dict(rule.params or {})
        rule.name = (rule.name or "").strip()
        low, high = WEIGHT_RANGE
        if not low <= int(rule.weight or 0) <= high:
            raise ValidationError(
                {"weight": _("权重应在 %(a)d 到 %(b)d 之间") % {"a": low, "b": high}}
            )
        validate_rule_definition(rule.check_kind, rule.item, rule.params)
        rule.full_clean()
        rule.save()
        audit_record(
            actor=actor,
            action="quality.rule_create" if created else "quality.rule_change",
            target_type="governance.qualityrule",
            target_id=rule.code,
            target_repr=rule.name,
            request=request,
            details={"before": before, "after": _rule_snapshot(rule)},
        )
    return rule


def quality_rule_set_active(
    *, rule: QualityRule, active: bool, actor: Any = None, request: Any = None
) -> QualityRule:
    with transaction.atomic():
        rule.active = active
        rule.save(update_fields=["active"])
        audit_record(
            actor=actor,
            action="quality.rule_activate" if active else "quality.rule_deactivate",
            target_type="governance.qualityrule",
            target_id=rule.code,
            target_repr=rule.name,
            request=request,
        )
    return rule


# ------------------------------------------------------------------------ selectors


@dataclass
class Score:
    checked: int = 0
    failed: int = 0
    weighted_checked: int = 0
    weighted_passed: int = 0

    @property
    def rate(self) -> float | None:
        """Weighted pass rate in percent (None when nothing was checked)."""
        if not self.weighted_checked:
            return None
        return 100.0 * self.weighted_passed / self.weighted_checked

    @property
    def percent(self) -> str:
        rate = self.rate
        return "—" if rate is None else f"{rate:.1f}%"

    @property
    def bar(self) -> int:
        rate = self.rate
        return 0 if rate is None else round(rate)

    @property
    def band(self) -> str:
        rate = self.rate
        if rate is None:
            return "none"
        return "good" if rate >= 95 else ("mid" if rate >= 80 else "low")

    def add(self, other: Score) -> None:
        self.checked += other.checked
        self.failed += other.failed
        self.weighted_checked += other.weighted_checked
        self.weighted_passed += other.weighted_passed


@dataclass
class ScoreRow:
    """One line of a scorecard table: a source, batch, region or school."""

    key: str
    label: str
    score: Score = field(default_factory=Score)
    dims: dict[str, Score] = field(default_factory=dict)
    region_code: str = ""  # where its drill-down and failing records live
    query: dict[str, Any] = field(default_factory=dict)  # filters for its failing records
    obj: Any = None
    url: str = ""  # its drill-down or detail page (set by the view)
    cells: list[tuple[str, Score, str]] = field(default_factory=list)  # label, score, link

    def dim_cells(self) -> list[tuple[str, Score]]:
        return [(code, self.dims.get(code, Score())) for code, _ in DIMENSIONS]


def _weighted() -> dict[str, Any]:
    return {
        "n_checked": Sum("checked"),
        "n_failed": Sum("failed"),
        "w_checked": Sum(
            ExpressionWrapper(F("checked") * F("rule__weight"), output_field=BigIntegerField())
        ),
        "w_passed": Sum(
            ExpressionWrapper(
                (F("checked") - F("failed")) * F("rule__weight"), output_field=BigIntegerField()
            )
        ),
    }


def _score(row: Mapping[str, Any]) -> Score:
    return Score(
        checked=int(row["n_checked"] or 0),
        failed=int(row["n_failed"] or 0),
        weighted_checked=int(row["w_checked"] or 0),
        weighted_passed=int(row["w_passed"] or 0),
    )


def results_in_scope(
    user: Any,
    *,
    region: Region,
    computed_at: dt.datetime,
    source: SourceSystem | None = None,
    batch_id: int | None = None,
    school_id: int | None = None,
) -> QuerySet[QualityResult]:
    """A computation's results the user may see, within a region's subtree."""
    qs = QualityResult.objects.visible_to(user).filter(
        region_subtree_q("region_id", region.code), computed_at=computed_at
    )
    if source is not None:
        qs = qs.filter(source=source)
    if batch_id is not None:
        qs = qs.filter(batch_id=batch_id)
    if school_id is not None:
        qs = qs.filter(school_id=school_id)
    return qs


def score_total(qs: QuerySet[QualityResult]) -> Score:
    return _score(qs.aggregate(**_weighted()))


def score_by_dimension(qs: QuerySet[QualityResult]) -> dict[str, Score]:
    rows = qs.values("rule__dimension").annotate(**_weighted()).order_by()
    return {r["rule__dimension"]: _score(r) for r in rows}


@dataclass
class RuleScore:
    rule: QualityRule
    score: Score


def score_by_rule(qs: QuerySet[QualityResult]) -> list[RuleScore]:
    rows = list(qs.values("rule_id").annotate(**_weighted()).order_by())
    rules = QualityRule.objects.in_bulk([r["rule_id"] for r in rows])
    result = [RuleScore(rules[r["rule_id"]], _score(r)) for r in rows if r["rule_id"] in rules]
    order = {code: i for i, (code, _) in enumerate(DIMENSIONS)}
    result.sort(key=lambda s: (order.get(s.rule.dimension, 99), s.rule.code))
    return result


def _matrix(qs: QuerySet[QualityResult], key: Any) -> dict[Any, ScoreRow]:
    """Group by ``key`` (a field name or an expression) and dimension."""
    if isinstance(key, str):
        values = qs.values(key, "rule__dimension")
        name = key
    else:
        values = qs.annotate(group_key=key).values("group_key", "rule__dimension")
        name = "group_key"
    rows: dict[Any, ScoreRow] = {}
    for r in values.annotate(**_weighted()).order_by():
        k = r[name]
        row = rows.setdefault(k, ScoreRow(key=str(k), label=str(k)))
        score = _score(r)
        row.dims[r["rule__dimension"]] = score
        row.score.add(score)
    return rows


def score_by_source(qs: QuerySet[QualityResult]) -> list[ScoreRow]:
    rows = _matrix(qs, "source_id")
    sources = SourceSystem.objects.in_bulk(list(rows))
    result = []
    for pk, row in rows.items():
        source = sources.get(pk)
        if source is None:
            continue
        row.key, row.label, row.obj = source.code, source.name, source
        row.query = {"source": source.code}
        result.append(row)
    return sorted(result, key=lambda r: r.key)


def score_by_batch(qs: QuerySet[QualityResult], *, limit: int = 50) -> tuple[list[ScoreRow], int]:
    """The most recent batches first; also how many batches there are in all."""
    rows = _matrix(qs, "batch_id")
    ids = sorted((k for k in rows if k is not None), reverse=True)
    batches = ImportBatch.objects.select_related("source").in_bulk(ids[:limit])
    result = []
    for pk in ids[:limit]:
        batch = batches.get(pk)
        if batch is None:
            continue
        row = rows[pk]
        row.key, row.label, row.obj = str(pk), batch.file_name, batch
        row.query = {"batch": pk}
        result.append(row)
    return result, len(ids)


def score_by_area(user: Any, qs: QuerySet[QualityResult], region: Region) -> list[ScoreRow]:
    """Children of the region (drill-down), or the schools of a county."""
    if region.level >= RegionLevel.COUNTY:
        rows = _matrix(qs, "school_id")
        schools = School.objects.in_bulk([k for k in rows if k is not None])
        result = []
        for pk, row in rows.items():
            school = schools.get(pk) if pk is not None else None
            if school is not None:
                row.key, row.label, row.obj = str(pk), school.name, school
                row.query = {"school": pk}
            else:
                row.key, row.label = "", str(_("学校未知（学校标识码未匹配）"))
                row.query = {"unplaced": 1}
            row.region_code = region.code
            result.append(row)
        return sorted(result, key=lambda r: (r.obj is None, r.label))
    child_len = CODE_LENGTH[RegionLevel(region.level + 1)]
    rows = _matrix(qs, Substr("region_id", 1, child_len))
    children = list(Region.objects.visible_to(user).filter(parent=region).order_by("code"))
    result = []
    for child in children:
        row = rows.get(child.code) or ScoreRow(key=child.code, label=child.name)
        rows.pop(child.code, row)
        row.key, row.label, row.obj, row.region_code = (
            child.code,
            child.display_name,
            child,
            child.code,
        )
        result.append(row)
    rest = ScoreRow(
        key="",
        label=str(_("本级（未落到下级区域）")),
        region_code=region.code,
        query={"unplaced": 1},
    )
    for row in rows.values():  # results recorded at this region itself (batch region)
        for dim, score in row.dims.items():
            rest.dims.setdefault(dim, Score()).add(score)
        rest.score.add(row.score)
    if rest.score.checked:
        result.append(rest)
    return result


@dataclass
class TrendPoint:
    computed_at: dt.datetime
    score: Score
    dims: dict[str, Score]


def score_trend(
    user: Any,
    *,
    region: Region,
    source: SourceSystem | None = None,
    batch_id: int | None = None,
    points: int = TREND_POINTS,
) -> list[TrendPoint]:
    """The scores of the most recent computations, oldest first."""
    times = list(
        QualityResult.objects.order_by("-computed_at")
        .values_list("computed_at", flat=True)
        .distinct()[:points]
    )
    if not times:
        return []
    qs = QualityResult.objects.visible_to(user).filter(
        region_subtree_q("region_id", region.code), computed_at__gte=min(times)
    )
    if source is not None:
        qs = qs.filter(source=source)
    if batch_id is not None:
        qs = qs.filter(batch_id=batch_id)
    by_time: dict[dt.datetime, TrendPoint] = {}
    for r in qs.values("computed_at", "rule__dimension").annotate(**_weighted()).order_by():
        point = by_time.setdefault(r["computed_at"], TrendPoint(r["computed_at"], Score(), {}))
        score = _score(r)
        point.dims[r["rule__dimension"]] = score
        point.score.add(score)
    return [by_time[t] for t in sorted(by_time)]


# ---------------------------------------------------------------- failing records


def records_in_scope(user: Any) -> QuerySet[SourceRecord]:
    """Source records the user may see: through the scoping primitive, and — for rows
    whose school (hence county) is unknown — through their batch's region."""
    visible = SourceRecord.objects.visible_to(user)
    orphan_batches = ImportBatch.objects.visible_to(user).values("pk")
    return SourceRecord.objects.filter(
        Q(pk__in=visible.values("pk")) | Q(region__isnull=True, batch_id__in=orphan_batches)
    )


def failing_records(
    user: Any,
    *,
    rules: Iterable[QualityRule],
    region: Region,
    at: dt.datetime,
    source: SourceSystem | None = None,
    batch_id: int | None = None,
    school_id: int | None = None,
    unplaced: bool = False,
) -> QuerySet[SourceRecord]:
    """The records in scope that fail any of the rules, evaluated on the current data
    (``at`` fixes the timeliness cut-off to that of the computation shown).
    ``unplaced``: only records whose school is unknown."""
    failing = Q(pk__in=[])
    for rule in rules:
        sql, params = failing_ids_sql(rule, at=at)
        failing |= Q(pk__in=RawSQL(sql, params))  # noqa: S611 - parameterised, whitelisted
    area = region_subtree_q("region_id", region.code) | (
        Q(region__isnull=True) & region_subtree_q("batch__region_id", region.code)
    )
    qs = records_in_scope(user).filter(area).filter(failing)
    if source is not None:
        qs = qs.filter(source=source)
    if batch_id is not None:
        qs = qs.filter(batch_id=batch_id)
    if school_id is not None:
        qs = qs.filter(school_id=school_id)
    if unplaced:
        qs = qs.filter(school__isnull=True)
    return qs.select_related("batch", "source", "school", "link").order_by("batch_id", "row_number")


def rules_failed_by(
    record_ids: list[int], rules: Iterable[QualityRule], *, at: dt.datetime
) -> dict[int, list[QualityRule]]:
    """For a page of records, which of the rules each fails (one query per rule)."""
    result: dict[int, list[QualityRule]] = {pk: [] for pk in record_ids}
    if not record_ids:
        return result
    for rule in rules:
        sql, params = failing_ids_sql(rule, at=at)
        ids = SourceRecord.objects.filter(pk__in=record_ids).filter(
            pk__in=RawSQL(sql, params)  # noqa: S611 - parameterised, whitelisted
        )
        for pk in ids.values_list("pk", flat=True):
            result[pk].append(rule)
    return result


def mask_name(value: str) -> str:
    """张** style: the surname only (minors' names in lists)."""
    if not value:
        return ""
    return value[0] + "*" * max(1, len(value) - 1)


def display_item(record: SourceRecord, item: str, *, unmasked: bool) -> str:
    """A record's value of a data item, masked unless the viewer may see it in full."""
    column, _kind = ITEM_COLUMNS[item]
    value = getattr(record, column)
    if value is None or value == "":
        return str(EMPTY)
    if item == "gender":
        return {1: str(_("男")), 2: str(_("女"))}.get(int(value), str(value))
    if item == "birth_date":
        return value.isoformat() if unmasked else f"{value:%Y-%m}"
    text = str(value)
    if unmasked:
        return text
    if item == "id_number":
        return mask(text)
    if item in ("phone", "guardian_phone"):
        return mask_phone(text)
    if item == "name":
        return mask_name(text) if record.person_type == "student" else text
    if item == "address":
        return text[:6] + "****"
    return text


EMPTY = gettext_lazy("（空）")


def golden_values(records: list[SourceRecord], items: set[str]) -> dict[int, dict[str, Any]]:
    """The golden values (person and golden record) of the records' persons."""
    person_ids = {r.linked_person_id for r in records if r.linked_person_id}
    if not person_ids or not items:
        return {}
    people = Person.objects.in_bulk(list(person_ids))
    golden = GoldenRecord.objects.in_bulk(list(person_ids))
    result: dict[int, dict[str, Any]] = {}
    for pk in person_ids:
        values: dict[str, Any] = {}
        for item in items:
            alias, column = GOLDEN_COLUMNS[item]
            holder = people.get(pk) if alias == "p" else golden.get(pk)
            values[item] = getattr(holder, column, None) if holder is not None else None
        result[pk] = values
    return result


def failure_text(
    record: SourceRecord,
    rule: QualityRule,
    *,
    unmasked: bool,
    golden: Mapping[str, Any] | None = None,
    school_names: Mapping[int, str] | None = None,
) -> str:
    """What is wrong with the record under the rule, in words a steward acts on."""
    check, item = rule.check_kind, rule.item
    value = display_item(record, item, unmasked=unmasked)
    if check == QualityCheck.NOT_BLANK:
        return str(_("%(item)s为空")) % {"item": DataItem(item).label}
    if check == QualityCheck.VALID_ID:
        return str(_("证件号 %(v)s 格式或校验位错误")) % {"v": value}
    if check == QualityCheck.CODE_KNOWN:
        return str(_("%(item)s %(v)s 不在代码表中")) % {"item": DataItem(item).label, "v": value}
    if check == QualityCheck.UNIQUE_IN_BATCH:
        return str(_("%(item)s %(v)s 在本批次中重复")) % {"item": DataItem(item).label, "v": value}
    if check == QualityCheck.ID_MATCHES_BIRTH:
        return str(_("出生日期 %(v)s 与证件号不一致")) % {"v": value}
    if check == QualityCheck.ID_MATCHES_GENDER:
        return str(_("性别 %(v)s 与证件号不一致")) % {"v": value}
    if check == QualityCheck.AGREES_WITH_GOLDEN:
        other = (golden or {}).get(item)
        if item == "school":
            shown = (school_names or {}).get(other, "") if other else ""
            other_text = shown or str(EMPTY)
        else:
            probe = SourceRecord(person_type=record.person_type)
            setattr(probe, ITEM_COLUMNS[item][0], other)
            other_text = display_item(probe, item, unmasked=unmasked)
        return str(_("%(item)s %(v)s，主数据为 %(g)s")) % {
            "item": DataItem(item).label,
            "v": value,
            "g": other_text,
        }
    if check == QualityCheck.FRESH:
        finished = record.batch.finished_at
        when = timezone.localtime(finished).strftime("%Y-%m-%d") if finished else "—"
        return str(_("批次完成于 %(d)s，超过 %(n)s 天未更新")) % {
            "d": when,
            "n": (rule.params or {}).get("max_age_days", 365),
        }
    return ""
