"""How big a synthetic province is (``eduplus seed --scale``)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ScaleSpec:
    name: str
    # Kindergartens to senior high schools and teaching points, spread over the counties.
    schools: int
    # Higher-education institutions (411/415/421), placed at city level.
    higher_ed: int
    # Enrolled students to aim at; class sizes are calibrated to reach it.
    students: int
    # Multiplier on the classes per grade of a school (small scales: fewer, smaller).
    class_scale: float = 1.0
    # Share of students with a guardian on record (the first of every class always has one).
    guardian_ratio: float = 0.1
    # Fewest schools in the two showcase counties (中原区, 金水区) and in any county.
    showcase_min: int = 15
    county_min: int = 2
    # Spread the schools over at most this many counties (0: every county).
    max_counties: int = 0
    # Drop and rebuild the people tables' secondary indexes around the load (SQLite).
    drop_indexes: bool = False
    # SQLite page cache for the load, MiB (0: leave the connection's setting).
    sqlite_cache_mib: int = 0
    batch_rows: int = 50_000


SCALES: dict[str, ScaleSpec] = {
    "tiny": ScaleSpec(
        name="tiny",
        schools=60,
        higher_ed=3,
        students=2_500,
        class_scale=0.2,
        guardian_ratio=0.2,
        showcase_min=12,
        county_min=0,
        max_counties=6,
        batch_rows=5_000,
    ),
    "small": ScaleSpec(
        name="small",
        schools=750,
        higher_ed=6,
        students=45_000,
        class_scale=0.3,
        guardian_ratio=0.25,
        showcase_min=18,
        county_min=2,
    ),
    "county": ScaleSpec(
        name="county",
        schools=2_000,
        higher_ed=20,
        students=500_000,
        class_scale=0.7,
        guardian_ratio=0.15,
        showcase_min=40,
        county_min=4,
        drop_indexes=True,
        sqlite_cache_mib=256,
    ),
    "province": ScaleSpec(
        name="province",
        schools=20_000,
        higher_ed=120,
        students=10_000_000,
        class_scale=1.0,
        guardian_ratio=0.1,
        showcase_min=120,
        county_min=20,
        drop_indexes=True,
        sqlite_cache_mib=1024,
        batch_rows=100_000,
    ),
}

# The command offers these; "tiny" is for tests (every county need not have a school).
PUBLIC_SCALES = ("small", "county", "province")
