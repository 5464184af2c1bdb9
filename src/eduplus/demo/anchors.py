"""Which regions the demo accounts are anchored to, for any province."""

from __future__ import annotations

from dataclasses import dataclass

from eduplus.regions.models import Region, RegionLevel

PLACEHOLDER_CITY_NAMES = frozenset({"市辖区", "县", "省直辖县级行政区划"})
ZONE_MARKERS = ("开发区", "示范区", "实验区", "园区", "聚集区", "新区管委会")

# Hand-picked anchors where the generic choice would not be the nicest one.
PREFERRED: dict[str, tuple[str, str, str]] = {
    "41": ("4101", "410102", "410105"),  # 郑州市: 中原区, 金水区
}


def is_zone(name: str) -> bool:
    """Development zones (经济技术开发区…) are statistical areas, not real counties."""
    return any(marker in name for marker in ZONE_MARKERS)


@dataclass(frozen=True)
class Anchors:
    province: str
    city: str
    county: str
    county2: str

    @property
    def showcase(self) -> tuple[str, str]:
        return (self.county, self.county2)


def demo_anchors(province: str) -> Anchors:
    """Province, a city, and two counties of that city (the demo officers' regions)."""
    preferred = PREFERRED.get(province)
    if preferred and Region.objects.filter(code__in=preferred).count() == len(preferred):
        return Anchors(province, *preferred)
    cities = list(
        Region.objects.filter(level=RegionLevel.CITY, code__startswith=province).order_by("code")
    )
    if not cities:
        raise ValueError(f"province {province} has no cities")
    real = [c for c in cities if c.name not in PLACEHOLDER_CITY_NAMES]
    for city in real + [c for c in cities if c not in real]:
        counties = [
            c.code
            for c in Region.objects.filter(level=RegionLevel.COUNTY, parent=city).order_by("code")
            if not is_zone(c.name)
        ]
        if len(counties) >= 2:
            return Anchors(province, city.code, counties[0], counties[1])
    raise ValueError(f"province {province} has no city with two counties")
