"""Writes of the monitoring module: school facts (entered, imported, corrected, with
history), evidence files, campus assessments, and the set-based indicator computation.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from eduplus.core.audit import audit_record
from eduplus.core.tabular import Row, TabularError, read_rows
from eduplus.monitoring.expressions import BOOL, FIELDS, compile_expression, compile_filters
from eduplus.monitoring.models import (
    MAX_YEAR,
    MIN_YEAR,
    CampusAssessment,
    CampusStandard,
    FactsEvidence,
    FactsSource,
    Indicator,
    IndicatorTarget,
    IndicatorValue,
    PolicyDocument,
    SchoolFacts,
    SchoolFactsRevision,
    ValueLevel,
    evidence_upload_limit,
    facts_field,
    facts_field_names,
)
from eduplus.schools.models import School

# ------------------------------------------------------------------ values of facts

_TRUE = {"1", "是", "有", "y", "yes", "true", "t", "√", "✓", "已接入", "已覆盖", "达标", "支持"}
_FALSE = {
    "0",
    "否",
    "无",
    "n",
    "no",
    "false",
    "f",
    "×",
    "✗",
    "未接入",
    "未覆盖",
    "不达标",
    "不支持",
}
_BANDWIDTH = re.compile(r"^(\d+(?:\.\d+)?)\s*(g|gb|gbps|m|mb|mbps|兆)?$", re.IGNORECASE)
_FULL_WIDTH = str.maketrans("０１２３４５６７８９．，", "0123456789.,")


def parse_fact(name: str, text: Any) -> Any:
    """A fact from a cell or form value: None when empty; ValueError with a reason."""
    if text is None:
        return None
    if isinstance(text, bool):
        if FIELDS.get(name) == BOOL:
            return text
        raise ValueError(_("应为数字"))
    raw = str(text).translate(_FULL_WIDTH).strip().replace(",", "")
    if raw == "":
        return None
    model_field = facts_field(name)
    if FIELDS.get(name) == BOOL:
        key = raw.lower()
        if key in _TRUE:
            return True
        if key in _FALSE:
            return False
        raise ValueError(_("应为是/否（1/0）：%(v)s") % {"v": raw[:20]})
    if name == "bandwidth_mbps":
        m = _BANDWIDTH.match(raw)
        if not m:
            raise ValueError(_("带宽应为数字（Mbps），例如 100、1000、1G：%(v)s") % {"v": raw[:20]})
        mbps = float(m.group(1)) * (1000 if (m.group(2) or "").lower().startswith("g") else 1)
        if mbps != int(mbps):
            raise ValueError(_("带宽应为整数Mbps：%(v)s") % {"v": raw[:20]})
        return _bounded(name, int(mbps))
    if model_field.get_internal_type() == "DecimalField":
        try:
            value = Decimal(raw)
        except InvalidOperation:
            raise ValueError(_("应为数字：%(v)s") % {"v": raw[:20]}) from None
        if not value.is_finite() or value < 0 or value > 100:
            raise ValueError(_("得分应在0到100之间：%(v)s") % {"v": raw[:20]})
        return value.quantize(Decimal("0.1"))
    try:
        number = float(raw)
    except ValueError:
        raise ValueError(_("应为整数：%(v)s") % {"v": raw[:20]}) from None
    if number != int(number):
        raise ValueError(_("应为整数：%(v)s") % {"v": raw[:20]})
    return _bounded(name, int(number))


def _bounded(name: str, value: int) -> int:
    if value < 0:
        raise ValueError(_("不能为负数"))
    if value > 10_000_000:
        raise ValueError(_("数值过大：%(v)s") % {"v": value})
    return value


def facts_consistency_errors(values: Mapping[str, Any]) -> list[str]:
    """The rules between facts (also database constraints), as readable reasons."""
    errors = []
    pairs = (
        ("multimedia_classrooms", "ordinary_classrooms", _("多媒体教室数不能超过普通教室数")),
        ("teachers_space_active", "teachers_total", _("使用空间的教师数不能超过教师总数")),
        ("teachers_space_regular", "teachers_total", _("常态化使用空间的教师数不能超过教师总数")),
        (
            "students_g3_space_active",
            "students_g3_total",
            _("使用空间的学生数不能超过三年级及以上学生数"),
        ),
        ("students_g3_total", "students_total", _("三年级及以上学生数不能超过学生总数")),
        ("students_space_regular", "students_total", _("常态化使用空间的学生数不能超过学生总数")),
    )
    for part, whole, message in pairs:
        a, b = values.get(part), values.get(whole)
        if a is not None and b is not None and a > b:
            errors.append(str(message))
    if values.get("fibre") is False and values.get("all_optical") is True:
        errors.append(str(_("未接入光纤的学校不能是全光校园网")))
    return errors


def _jsonable(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: (str(v) if isinstance(v, Decimal) else v) for k, v in values.items()}


def _snapshot(facts: SchoolFacts) -> dict[str, Any]:
    return {name: getattr(facts, name) for name in facts_field_names()}


# ------------------------------------------------------------ one school's facts


def facts_save(
    *,
    school: School,
    year: int,
    values: Mapping[str, Any],
    actor: Any = None,
    source: str = FactsSource.ENTERED,
    reason: str = "",
    request: Any = None,
) -> SchoolFacts:
    """Create or correct one school's facts for a year; the change is kept as a revision
    and audited. ``values`` holds parsed facts (see :func:`parse_fact`); names not given
    are left as they are."""
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ValidationError(
            {"year": _("年度应在%(a)s到%(b)s之间") % {"a": MIN_YEAR, "b": MAX_YEAR}}
        )
    unknown = set(values) - set(facts_field_names())
    if unknown:
        raise ValidationError(_("未知的数据项：%(v)s") % {"v": ", ".join(sorted(unknown))})
    username = actor.get_username() if getattr(actor, "is_authenticated", False) else ""
    with transaction.atomic():
        facts = SchoolFacts.objects.select_for_update().filter(
            school=school, year=year
        ).first() or SchoolFacts(school=school, year=year, region_id=school.region_id)
        created = facts.pk is None
        before = _snapshot(facts) if not created else {}
        for name, value in values.items():
            setattr(facts, name, value)
        after = _snapshot(facts)
        errors = facts_consistency_errors(after)
        if errors:
            raise ValidationError(errors)
        changed = {k: v for k, v in after.items() if created or before.get(k) != v}
        if not created and not changed:
            return facts
        facts.source = source
        facts.updated_by = username
        facts.region_id = school.region_id
        facts.full_clean(exclude=["school", "region"])
        facts.save()
        SchoolFactsRevision.objects.create(
            facts=facts,
            changed_by=username,
            source=source,
            reason=reason[:255],
            before=_jsonable({k: before.get(k) for k in changed}) if not created else {},
            after=_jsonable(changed),
        )
        audit_record(
            actor=actor,
            action="facts.create" if created else "facts.change",
            target_type="monitoring.schoolfacts",
            target_id=str(facts.pk),
            target_repr=f"{school.code} {year}",
            request=request,
            details={"fields": sorted(changed), "source": source},
        )
    return facts


# ------------------------------------------------------------------- evidence files

EVIDENCE_SUFFIXES = {".pdf", ".jpg", ".jpeg", ".png", ".xlsx", ".xls", ".docx", ".doc", ".zip"}


def evidence_add(
    *, facts: SchoolFacts, upload: UploadedFile, description: str = "", actor: Any = None,
    request: Any = None,
) -> FactsEvidence:  # fmt: skip
    """Attach a file; the same file twice is one piece of evidence."""
    name = Path(upload.name or "").name
    suffix = Path(name).suffix.lower()
    if suffix not in EVIDENCE_SUFFIXES:
        raise ValidationError(
            _("不支持的文件类型 %(s)s；可上传 %(ok)s")
            % {"s": suffix or "?", "ok": " ".join(sorted(EVIDENCE_SUFFIXES))}
        )
    limit = evidence_upload_limit()
    if (upload.size or 0) > limit:
        raise ValidationError(_("文件超过 %(mb)s MB 上限") % {"mb": limit // 2**20})
    if not upload.size:
        raise ValidationError(_("文件是空的"))
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    sha = digest.hexdigest()
    existing = FactsEvidence.objects.filter(facts=facts, sha256=sha).first()
    if existing is not None:
        return existing
    upload.seek(0)
    username = actor.get_username() if getattr(actor, "is_authenticated", False) else ""
    with transaction.atomic():
        evidence = FactsEvidence(
            facts=facts,
            original_name=name[:255],
            sha256=sha,
            size=upload.size,
            description=description[:255],
            uploaded_by=username,
        )
        evidence.file.save(f"{sha[:16]}{suffix}", upload, save=False)
        evidence.save()
        audit_record(
            actor=actor,
            action="facts.evidence_add",
            target_type="monitoring.factsevidence",
            target_id=str(evidence.pk),
            target_repr=name[:255],
            request=request,
        )
    return evidence


# ------------------------------------------------------------------ campus assessment


def campus_assess(
    *,
    school: School,
    year: int,
    standard: CampusStandard,
    scores: Mapping[str, Any],
    actor: Any = None,
    request: Any = None,
) -> CampusAssessment:
    """Score a school against a standard (each item 0–100 % achieved); the weighted total
    and compliance go into the year's facts (digital or smart campus)."""
    if not standard.applies_to(school.school_type):
        raise ValidationError(_("该标准不适用于此办学类型"))
    items = list(standard.items.all())
    if not items:
        raise ValidationError(_("该标准尚未设置评估项"))
    parsed: dict[str, str] = {}
    errors = []
    total = Decimal("0")
    weights = sum((i.weight for i in items), Decimal("0"))
    for item in items:
        raw = str(scores.get(item.code, "")).strip()
        try:
            value = Decimal(raw)
        except InvalidOperation:
            errors.append(_("“%(item)s”的得分率应为0到100之间的数字") % {"item": item.name})
            continue
        if not value.is_finite() or not 0 <= value <= 100:
            errors.append(_("“%(item)s”的得分率应为0到100之间的数字") % {"item": item.name})
            continue
        parsed[item.code] = str(value)
        total += item.weight * value / 100
    if errors:
        raise ValidationError(errors)
    # Normalise to a 100-point scale whatever the weights add up to.
    total = (total * 100 / weights).quantize(Decimal("0.1")) if weights else Decimal("0")
    compliant = total >= standard.pass_score
    username = actor.get_username() if getattr(actor, "is_authenticated", False) else ""
    with transaction.atomic():
        assessment, _created = CampusAssessment.objects.update_or_create(
            school=school,
            year=year,
            standard=standard,
            defaults={
                "region_id": school.region_id,
                "scores": parsed,
                "total": total,
                "compliant": compliant,
                "assessed_by": username,
            },
        )
        prefix = "digital_campus" if standard.kind == "digital" else "smart_campus"
        facts_save(
            school=school,
            year=year,
            values={f"{prefix}_score": total, f"{prefix}_compliant": compliant},
            actor=actor,
            source=FactsSource.ASSESSED,
            reason=str(_("依据《%(s)s》评估") % {"s": standard.name}),
            request=request,
        )
    return assessment


# -------------------------------------------------------------------- facts import

# Field -> accepted header names (compared without spaces, brackets or case).
FACTS_COLUMNS: dict[str, tuple[str, ...]] = {
    "school_code": ("school_code", "学校标识码", "学校代码", "标识码"),
    "year": ("year", "年度", "统计年度", "年份"),
    "bandwidth_mbps": ("bandwidth_mbps", "出口带宽", "出口带宽mbps", "网络接入带宽", "带宽"),
    "fibre": ("fibre", "fiber", "光纤接入", "是否光纤接入"),
    "wireless_full": ("wireless_full", "无线网络全覆盖", "无线全覆盖", "无线覆盖"),
    "all_optical": ("all_optical", "全光校园网", "全光网"),
    "multimedia_classrooms": ("multimedia_classrooms", "多媒体教室数", "多媒体教室"),
    "ordinary_classrooms": ("ordinary_classrooms", "普通教室数", "普通教室"),
    "teacher_terminals": ("teacher_terminals", "教师终端数", "教师终端"),
    "ipv6": ("ipv6", "ipv6", "支持ipv6", "网站和系统支持ipv6访问"),
    "digital_campus_score": ("digital_campus_score", "数字校园评估得分", "数字校园得分"),
    "digital_campus_compliant": ("digital_campus_compliant", "数字校园达标", "数字校园"),
    "smart_campus_score": ("smart_campus_score", "智慧校园评估得分", "智慧校园得分"),
    "smart_campus_compliant": ("smart_campus_compliant", "智慧校园达标", "智慧校园"),
    "teachers_total": ("teachers_total", "教师总数"),
    "teachers_space_active": ("teachers_space_active", "开通并使用空间的教师数", "使用空间教师数"),
    "teachers_space_regular": ("teachers_space_regular", "常态化利用空间教学的教师数"),
    "students_total": ("students_total", "学生总数"),
    "students_g3_total": ("students_g3_total", "三年级及以上学生数"),
    "students_g3_space_active": ("students_g3_space_active", "使用空间的三年级及以上学生数"),
    "students_space_regular": ("students_space_regular", "常态化利用空间学习的学生数"),
    "three_classrooms": ("three_classrooms", "三个课堂覆盖", "三个课堂"),
}
IGNORED_FACTS_COLUMNS = {"序号", "school_name", "学校名称", "region_code", "区划代码", "所在地"}
_HEADER_SPACES = re.compile(r"[\s()（）\ufeff]+")


def _header_key(text: str) -> str:
    return _HEADER_SPACES.sub("", text).lower()


_ALIAS = {_header_key(a): f for f, aliases in FACTS_COLUMNS.items() for a in aliases}


@dataclass
class FactsImportReport:
    year: int | None
    rows_read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    years: list[int] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def accepted(self) -> int:
        return self.created + self.updated + self.unchanged

    @property
    def accounted(self) -> bool:
        return self.rows_read == self.accepted + self.rejected


class FactsImportError(Exception):
    """The file as a whole cannot be imported (unreadable, no recognisable header)."""


def _find_header(rows: list[Row]) -> tuple[int, dict[int, str]] | None:
    for index, row in enumerate(rows[:20]):
        mapping = {
            i: _ALIAS[_header_key(c)] for i, c in enumerate(row.cells) if _header_key(c) in _ALIAS
        }
        if "school_code" in mapping.values() and len(mapping) >= 2:
            return index, mapping
    return None


def facts_import(
    *,
    source: str | Path | IO[bytes],
    year: int | None = None,
    filename: str | None = None,
    actor: Any = None,
    request: Any = None,
    dry_run: bool = False,
) -> FactsImportReport:
    """Import a facts file (CSV in UTF-8/GBK/GB18030, .xlsx, .xls).

    Each row names a school by 学校标识码; the year comes from ``year`` or the file's
    year column (a row whose year differs from ``year`` is rejected). Empty cells leave
    a value as it is. Valid rows are written all together in one transaction, with one
    revision per changed row; rejected rows are reported with their row number and
    reason. An actor (a user) may only import facts of schools in their scope.
    """
    started = time.perf_counter()
    try:
        rows = list(read_rows(source, filename=filename))
    except TabularError as exc:
        raise FactsImportError(str(exc)) from exc
    found = _find_header(rows)
    if found is None:
        raise FactsImportError(
            _("找不到表头：需要“学校标识码”（school_code）列和至少一列信息化数据；可下载模板对照")
        )
    header_index, mapping = found
    report = FactsImportReport(year=year, columns=[mapping[i] for i in sorted(mapping)])
    if year is None and "year" not in mapping.values():
        raise FactsImportError(_("文件没有“年度”列：请指定年度"))
    if year is not None and not MIN_YEAR <= year <= MAX_YEAR:
        raise FactsImportError(_("年度应在%(a)s到%(b)s之间") % {"a": MIN_YEAR, "b": MAX_YEAR})

    def reject(row: Row, reasons: list[str], code: str = "") -> None:
        report.rejected += 1
        report.errors.append({"row": row.number, "school_code": code, "reasons": reasons})

    parsed: list[tuple[Row, str, int, dict[str, Any]]] = []
    seen: dict[tuple[str, int], int] = {}
    for row in rows[header_index + 1 :]:
        if row.is_blank():
            continue
        cells = {name: (row.cells[i] if i < len(row.cells) else "") for i, name in mapping.items()}
        if _find_header([row]) is not None:
            continue  # a repeated header line (lists glued together)
        report.rows_read += 1
        code = re.sub(r"\s+", "", cells.get("school_code", "")).removesuffix(".0")
        reasons: list[str] = []
        if not re.fullmatch(r"\d{10}", code):
            reasons.append(_("学校标识码应为10位数字：%(v)s") % {"v": code[:20] or _("（空）")})
        row_year = year
        year_text = cells.get("year", "").strip().removesuffix(".0").removesuffix("年")
        if year_text:
            if not year_text.isdigit() or not MIN_YEAR <= int(year_text) <= MAX_YEAR:
                reasons.append(_("年度无效：%(v)s") % {"v": year_text[:10]})
            elif year is not None and int(year_text) != year:
                reasons.append(
                    _("年度 %(row)s 与指定的 %(year)s 不一致") % {"row": year_text, "year": year}
                )
            else:
                row_year = int(year_text)
        if row_year is None and not reasons:
            reasons.append(_("缺少年度"))
        values: dict[str, Any] = {}
        for name, text in cells.items():
            if name in ("school_code", "year"):
                continue
            try:
                value = parse_fact(name, text)
            except ValueError as exc:
                label = facts_field(name).verbose_name
                reasons.append(f"{label}：{exc}")
                continue
            if value is not None:
                values[name] = value
        if not reasons and row_year is not None:
            key = (code, row_year)
            if key in seen:
                reasons.append(_("与第 %(row)s 行重复（同一学校同一年度）") % {"row": seen[key]})
            else:
                seen[key] = row.number
        if reasons or row_year is None:
            reject(row, reasons, code)
            continue
        parsed.append((row, code, row_year, values))

    schools_qs = School.objects.all() if actor is None else School.objects.visible_to(actor)
    codes = sorted({code for _row, code, _y, _v in parsed})
    schools: dict[str, School] = {}
    for chunk_start in range(0, len(codes), 5000):
        chunk = codes[chunk_start : chunk_start + 5000]
        schools.update(
            {s.code: s for s in schools_qs.filter(code__in=chunk).only("id", "code", "region_id")}
        )
    years = sorted({y for _row, _c, y, _v in parsed})
    report.years = years
    existing: dict[tuple[int, int], SchoolFacts] = {}
    school_ids = [s.id for s in schools.values()]
    for chunk_start in range(0, len(school_ids), 5000):
        chunk_ids = school_ids[chunk_start : chunk_start + 5000]
        for facts in SchoolFacts.objects.filter(year__in=years, school_id__in=chunk_ids):
            existing[(facts.school_id, facts.year)] = facts

    username = actor.get_username() if getattr(actor, "is_authenticated", False) else ""
    now = timezone.now()
    to_create: list[SchoolFacts] = []
    to_update: list[SchoolFacts] = []
    revisions: list[tuple[SchoolFacts, dict[str, Any], dict[str, Any]]] = []
    for row, code, row_year, values in parsed:
        school = schools.get(code)
        if school is None:
            reject(row, [_("学校标识码不存在或不在您的管辖范围内：%(v)s") % {"v": code}], code)
            continue
        stored = existing.get((school.id, row_year))
        created = stored is None
        facts = stored or SchoolFacts(
            school_id=school.id, year=row_year, region_id=school.region_id
        )
        before = _snapshot(facts)
        merged = {**before, **values}
        errors = facts_consistency_errors(merged)
        if errors:
            reject(row, errors, code)
            continue
        changed = {k: v for k, v in values.items() if created or before.get(k) != v}
        if not created and not changed:
            report.unchanged += 1
            continue
        for name, value in values.items():
            setattr(facts, name, value)
        facts.source = FactsSource.IMPORTED
        facts.updated_by = username
        facts.updated_at = now
        facts.region_id = school.region_id
        if created:
            report.created += 1
            to_create.append(facts)
        else:
            report.updated += 1
            to_update.append(facts)
        revisions.append((facts, {} if created else {k: before.get(k) for k in changed}, changed))

    if not dry_run and (to_create or to_update):
        with transaction.atomic():
            SchoolFacts.objects.bulk_create(to_create, batch_size=2000)
            if to_create and to_create[0].pk is None:
                # Backends that do not return keys (older SQLite): read them back.
                keys = SchoolFacts.objects.filter(
                    year__in=years, school_id__in=[f.school_id for f in to_create]
                ).values_list("school_id", "year", "pk")
                pks = {(s, y): pk for s, y, pk in keys}
                for f in to_create:
                    f.pk = pks[(f.school_id, f.year)]
            SchoolFacts.objects.bulk_update(
                to_update,
                [*facts_field_names(), "source", "updated_by", "updated_at", "region"],
                batch_size=2000,
            )
            SchoolFactsRevision.objects.bulk_create(
                [
                    SchoolFactsRevision(
                        facts_id=f.pk,
                        changed_by=username,
                        source=FactsSource.IMPORTED,
                        reason=str(_("批量导入")) + (f" {filename}" if filename else ""),
                        before=_jsonable(before),
                        after=_jsonable(after),
                    )
                    for f, before, after in revisions
                ],
                batch_size=2000,
            )
            audit_record(
                actor=actor,
                action="facts.import",
                target_type="monitoring.schoolfacts",
                target_repr=(filename or str(source))[-255:]
                if not hasattr(source, "read")
                else (filename or ""),
                request=request,
                details={
                    "rows_read": report.rows_read,
                    "created": report.created,
                    "updated": report.updated,
                    "unchanged": report.unchanged,
                    "rejected": report.rejected,
                    "years": years,
                },
            )
    report.seconds = time.perf_counter() - started
    return report


# ------------------------------------------------------------- indicator computation


@dataclass
class ComputeReport:
    year: int
    indicators: int = 0
    rows: int = 0
    seconds: float = 0.0
    per_indicator: dict[str, int] = field(default_factory=dict)


def _table(model: Any) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def indicators_compute(
    *, year: int, indicators: Iterable[Indicator] | None = None, school: School | None = None
) -> ComputeReport:
    """Recompute every (active) indicator for a year: one INSERT … SELECT … GROUP BY per
    indicator and level (school, county, city, province), inside one transaction, so
    readers see the old values or the new ones, never a mix.

    With ``school``, only that school's row and the rows of the regions above it are
    recomputed (after one school's facts changed): the same SQL, narrowed by region.
    """
    started = time.perf_counter()
    chosen = (
        list(indicators) if indicators is not None else list(Indicator.objects.filter(active=True))
    )
    report = ComputeReport(year=year)
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    values_t, facts_t, school_t = _table(IndicatorValue), _table(SchoolFacts), _table(School)
    columns = (
        "indicator_id, year, level, area, school_id, numerator, denominator, value, computed_at"
    )
    with transaction.atomic(), connection.cursor() as cursor:
        for indicator in chosen:
            num = compile_expression(indicator.numerator)
            den = compile_expression(indicator.denominator)
            flt = compile_filters(indicator.filters or {})
            stale = IndicatorValue.objects.filter(indicator=indicator, year=year)
            if school is not None:
                code = str(school.region_id)
                stale = stale.filter(
                    Q(school=school)
                    | Q(
                        school__isnull=True,
                        area__in=[code[:n] for n in (2, 4, 6) if n <= len(code)],
                    )
                )
            stale.delete()
            written = 0
            # (level, area expression, school expression, GROUP BY, shortest region code)
            levels: list[tuple[int, str, str, str, int]] = [
                (ValueLevel.SCHOOL, "f.region_id", "f.school_id", "f.school_id, f.region_id", 2),
            ]
            for lvl, n in ((ValueLevel.COUNTY, 6), (ValueLevel.CITY, 4), (ValueLevel.PROVINCE, 2)):
                area = f"SUBSTR(f.region_id, 1, {n})"
                levels.append((int(lvl), area, "CAST(NULL AS BIGINT)", area, n))
            for level, area, school_expr, group, min_len in levels:
                narrow: str = ""
                narrow_params: tuple[Any, ...] = ()
                if school is not None:
                    code = str(school.region_id)
                    if level == ValueLevel.SCHOOL:
                        narrow, narrow_params = " AND f.school_id = %s", (school.pk,)
                    elif len(code) < min_len:
                        continue
                    else:
                        narrow, narrow_params = f" AND {area} = %s", (code[:min_len],)
                sql = (
                    f"INSERT INTO {values_t} ({columns}) "  # noqa: S608 - whitelisted pieces
                    f"SELECT %s, %s, %s, t.area, t.school, t.num, t.den, "
                    f"CASE WHEN t.den > 0 THEN 1.0 * t.num * %s / t.den END, %s "
                    f"FROM (SELECT {area} AS area, {school_expr} AS school, "
                    f"{num.sql} AS num, {den.sql} AS den "
                    f"FROM {facts_t} f JOIN {school_t} s ON s.id = f.school_id "
                    f"WHERE f.year = %s AND LENGTH(f.region_id) >= %s AND {flt.sql}{narrow} "
                    f"GROUP BY {group}) t"
                )
                params = (
                    indicator.pk, year, int(level), indicator.factor, now,
                    *num.params, *den.params, year, min_len, *flt.params, *narrow_params,
                )  # fmt: skip
                cursor.execute(sql, params)
                written += max(cursor.rowcount, 0)
            report.per_indicator[indicator.code] = written
            report.rows += written
            report.indicators += 1
    if chosen and school is None:  # lineage (溯源图谱): what the indicators were built from
        from eduplus.governance.lineage import lineage_emit

        lineage_emit(
            job_name="monitoring.indicators_compute",
            inputs=["golden:students", "golden:teachers", "monitoring:facts"],
            outputs=[f"indicator:{i.code}" for i in chosen],
            run_facets={"eduplus_year": {"year": year}},
        )
    report.seconds = time.perf_counter() - started
    return report


def facts_years() -> list[int]:
    return sorted(set(SchoolFacts.objects.values_list("year", flat=True).distinct()))


def indicators_compute_all_years() -> list[ComputeReport]:
    return [indicators_compute(year=y) for y in facts_years()]


def current_year() -> int:
    return dt.date.today().year


# ------------------------------------------------- indicators and targets as data


INDICATOR_FIELDS = (
    "name", "name_en", "description", "numerator", "denominator", "numerator_label",
    "denominator_label", "factor", "unit", "filters", "order", "active",
)  # fmt: skip


def indicator_save(
    *, code: str, values: Mapping[str, Any], actor: Any = None, request: Any = None
) -> Indicator:
    """Create or change an indicator; expressions and filters are validated before
    anything is written. Values already computed stay until the next computation."""
    unknown = set(values) - set(INDICATOR_FIELDS)
    if unknown:
        raise ValidationError(_("未知的字段：%(v)s") % {"v": ", ".join(sorted(unknown))})
    with transaction.atomic():
        indicator = Indicator.objects.select_for_update().filter(code=code).first()
        created = indicator is None
        indicator = indicator or Indicator(code=code)
        for name, value in values.items():
            setattr(indicator, name, value)
        indicator.full_clean()
        indicator.save()
        audit_record(
            actor=actor,
            action="indicator.create" if created else "indicator.change",
            target_type="monitoring.indicator",
            target_id=indicator.code,
            target_repr=indicator.name,
            request=request,
            details=_jsonable({k: v for k, v in values.items() if k != "filters"}),
        )
    return indicator


def target_save(
    *,
    province: str,
    indicator: Indicator,
    year: int,
    value: Decimal,
    document: Any,
    clause: str,
    target: IndicatorTarget | None = None,
    actor: Any = None,
    request: Any = None,
) -> IndicatorTarget:
    """Set the target of an indicator for a province and year, citing its clause (a
    document of that province, or a national one)."""
    if document.province_id not in (None, province):
        raise ValidationError(_("政策依据应为本省或国家文件"))
    with transaction.atomic():
        target = target or IndicatorTarget(province_id=province)
        if target.province_id != province:
            raise ValidationError(_("只能设置本省的目标"))
        before = {"value": str(target.value), "year": target.year} if target.pk else {}
        target.indicator = indicator
        target.year = year
        target.value = value
        target.document = document
        target.clause = clause.strip()[:255]
        target.full_clean()
        target.save()
        audit_record(
            actor=actor,
            action="target.change" if before else "target.create",
            target_type="monitoring.indicatortarget",
            target_id=str(target.pk),
            target_repr=f"{indicator.code} {province} {year} ≥{value}",
            request=request,
            details={"before": before, "after": {"value": str(value), "year": year}},
        )
    return target


def target_delete(*, target: IndicatorTarget, actor: Any = None, request: Any = None) -> None:
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="target.delete",
            target_type="monitoring.indicatortarget",
            target_id=str(target.pk),
            target_repr=f"{target.indicator_id} {target.province_id} {target.year} ≥{target.value}",
            request=request,
        )
        target.delete()


def document_create(
    *, code: str, title: str, issuer: str, issued: dt.date | None, doc_number: str = "",
    province: str | None = None, actor: Any = None, request: Any = None,
) -> PolicyDocument:  # fmt: skip
    document = PolicyDocument(
        code=code.strip(), title=title.strip(), issuer=issuer.strip(), issued=issued,
        doc_number=doc_number.strip(), province_id=province,
    )  # fmt: skip
    with transaction.atomic():
        document.full_clean()
        document.save()
        audit_record(
            actor=actor,
            action="policy_document.create",
            target_type="monitoring.policydocument",
            target_id=document.code,
            target_repr=document.title[:255],
            request=request,
        )
    return document
