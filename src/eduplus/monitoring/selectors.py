"""Reads of the monitoring module, scoped to a user (through ``visible_to``)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet

from eduplus.core.scoping import region_subtree_q
from eduplus.monitoring.expressions import school_condition_sql
from eduplus.monitoring.models import (
    Indicator,
    IndicatorTarget,
    IndicatorValue,
    SchoolFacts,
    ValueLevel,
)
from eduplus.regions.models import Region, RegionLevel
from eduplus.schools.models import School


@dataclass
class Status:
    """One indicator at one place and year, against the target in force."""

    indicator: Indicator
    numerator: float | None
    denominator: float | None
    value: float | None
    target: IndicatorTarget | None
    upcoming: IndicatorTarget | None = None

    @property
    def target_value(self) -> float | None:
        return float(self.target.value) if self.target is not None else None

    @property
    def met(self) -> bool | None:
        if self.value is None or self.target is None:
            return None
        # Compared at the displayed precision, so 94.96 shown as 95.0 is not "missed".
        return round(self.value, 1) >= float(self.target.value)

    @property
    def gap(self) -> float | None:
        if self.value is None or self.target is None:
            return None
        return round(float(self.target.value) - self.value, 1)

    @property
    def state(self) -> str:
        met = self.met
        return "none" if met is None else ("met" if met else "missed")


def indicators() -> list[Indicator]:
    return list(Indicator.objects.filter(active=True).order_by("order", "code"))


def value_years(user: Any) -> list[int]:
    """Years with computed values the user can see, newest first.

    Region rows first (a few hundred per year, where school rows are tens of
    thousands); a user who sees no region (a school administrator) gets their schools'.
    """
    visible = IndicatorValue.objects.visible_to(user)
    years = set(visible.filter(school__isnull=True).values_list("year", flat=True).distinct())
    if not years:
        years = set(visible.values_list("year", flat=True).distinct())
    return sorted(years, reverse=True)


def targets_in_force(
    province: str, year: int
) -> dict[int, tuple[IndicatorTarget | None, IndicatorTarget | None]]:
    """indicator id → (target in force for the year, the next later target if any).

    In force: the latest target year ≤ ``year``; before the first target year, the
    first one (a target not yet due is still what the work aims at).
    """
    by_indicator: dict[int, list[IndicatorTarget]] = {}
    for t in (
        IndicatorTarget.objects.filter(province_id=province)
        .select_related("document")
        .order_by("year")
    ):
        by_indicator.setdefault(t.indicator_id, []).append(t)
    result: dict[int, tuple[IndicatorTarget | None, IndicatorTarget | None]] = {}
    for indicator_id, targets in by_indicator.items():
        past = [t for t in targets if t.year <= year]
        future = [t for t in targets if t.year > year]
        in_force = past[-1] if past else (future[0] if future else None)
        upcoming = next((t for t in future if t is not in_force), None)
        result[indicator_id] = (in_force, upcoming)
    return result


def _status(indicator: Indicator, row: Any, targets: dict[int, Any]) -> Status:
    target, upcoming = targets.get(indicator.pk, (None, None))
    return Status(
        indicator=indicator,
        numerator=row.numerator if row else None,
        denominator=row.denominator if row else None,
        value=row.value if row else None,
        target=target,
        upcoming=upcoming,
    )


def region_statuses(user: Any, region: Region, year: int) -> list[Status]:
    rows = {
        v.indicator_id: v
        for v in IndicatorValue.objects.visible_to(user).filter(
            year=year, level=region.level, area=region.code, school__isnull=True
        )
    }
    targets = targets_in_force(region.code[:2], year)
    return [_status(i, rows.get(i.pk), targets) for i in indicators()]


def school_statuses(user: Any, school: School, year: int) -> list[Status]:
    rows = {
        v.indicator_id: v
        for v in IndicatorValue.objects.visible_to(user).filter(year=year, school=school)
    }
    targets = targets_in_force(str(school.region_id)[:2], year)
    return [_status(i, rows[i.pk], targets) for i in indicators() if i.pk in rows]


def region_trend(user: Any, region: Region) -> dict[int, dict[int, float | None]]:
    """indicator id → {year: value} for the region, every year computed."""
    trend: dict[int, dict[int, float | None]] = {}
    for indicator_id, year, value in (
        IndicatorValue.objects.visible_to(user)
        .filter(level=region.level, area=region.code, school__isnull=True)
        .order_by("year")
        .values_list("indicator_id", "year", "value")
    ):
        trend.setdefault(indicator_id, {})[year] = value
    return trend


@dataclass
class Part:
    """A sub-region (or a school, below a county) with one indicator's value."""

    code: str
    name: str
    numerator: float
    denominator: float
    value: float | None
    school_id: int | None = None


def subregion_parts(user: Any, region: Region, year: int, indicator: Indicator) -> list[Part]:
    """The children of a region (schools, below a county), best value first."""
    visible = IndicatorValue.objects.visible_to(user).filter(indicator=indicator, year=year)
    if region.level < RegionLevel.COUNTY:
        rows = visible.filter(level=region.level + 1, school__isnull=True).filter(
            region_subtree_q("area", region.code)
        )
        names = dict(Region.objects.filter(parent=region).values_list("code", "name"))
        parts = [
            Part(r.area, names.get(r.area, r.area), r.numerator, r.denominator, r.value)
            for r in rows
        ]
    else:
        rows = visible.filter(level=ValueLevel.SCHOOL, area=region.code).select_related("school")
        parts = [
            Part(r.school.code, r.school.name, r.numerator, r.denominator, r.value, r.school_id)  # type: ignore[union-attr]
            for r in rows
        ]
    parts.sort(key=lambda p: (p.value is None, -(p.value or 0), p.code))
    return parts


def children_values(user: Any, region: Region, year: int) -> dict[str, dict[int, float | None]]:
    """child region code → {indicator id: value}: every indicator in one query."""
    if region.level >= RegionLevel.COUNTY:
        return {}
    result: dict[str, dict[int, float | None]] = {}
    rows = (
        IndicatorValue.objects.visible_to(user)
        .filter(year=year, level=region.level + 1, school__isnull=True)
        .filter(region_subtree_q("area", region.code))
        .values_list("area", "indicator_id", "value")
    )
    for area, indicator_id, value in rows:
        result.setdefault(area, {})[indicator_id] = value
    return result


def lagging_schools(
    user: Any,
    region: Region,
    year: int,
    indicator: Indicator,
    target: float | None,
    limit: int = 20,
) -> tuple[list[IndicatorValue], int]:
    """Schools below the target (lowest first, larger schools first on ties), and how
    many there are in all."""
    if target is None:
        return [], 0
    qs = (
        IndicatorValue.objects.visible_to(user)
        .filter(indicator=indicator, year=year, level=ValueLevel.SCHOOL, value__lt=target - 0.05)
        .filter(region_subtree_q("area", region.code))
    )
    total = qs.count()
    rows = list(
        qs.select_related("school", "school__region").order_by(
            "value", "-denominator", "school_id"
        )[:limit]
    )
    return rows, total


def school_facts_years(user: Any, school: School) -> QuerySet[SchoolFacts]:
    return SchoolFacts.objects.visible_to(user).filter(school=school).order_by("-year")


def region_coverage(user: Any, region: Region, year: int) -> dict[str, int]:
    """How many schools of the region reported facts for the year, of how many."""
    schools = School.objects.visible_to(user).filter(region_subtree_q("region_id", region.code))
    facts = SchoolFacts.objects.visible_to(user).filter(
        region_subtree_q("region_id", region.code), year=year
    )
    return {"schools": schools.count(), "reported": facts.count()}


def schools_failing_condition_sql(indicator: Indicator) -> str | None:
    """For display: the per-school condition of a ``count(cond)`` indicator."""
    compiled = school_condition_sql(indicator.numerator)
    return compiled.sql if compiled else None


def target_decimal(value: Decimal | float | None) -> float | None:
    return float(value) if value is not None else None
