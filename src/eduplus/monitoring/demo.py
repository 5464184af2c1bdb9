"""Demo facts for the synthetic province: five years of plausible, uneven school facts
(some cities ahead, rural schools behind, everything improving year on year), so that
some regions meet their targets and some do not; then every indicator is computed.

Each school draws fixed thresholds once (from the seed and its code); a fact switches
on in the year the region's progress passes the school's threshold, so a school that
has fibre in 2022 still has it in 2023. Deterministic for a seed.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable
from decimal import Decimal

from eduplus.monitoring.models import FactsSource, SchoolFacts
from eduplus.monitoring.services import indicators_compute
from eduplus.schools.codes import RURAL_CODES, SchoolType
from eduplus.schools.models import School

DEMO_YEARS = (2021, 2022, 2023, 2024, 2025)
# Showcase cities pinned so the demo tells a story: 郑州 ahead, 开封 behind.
PINNED_QUALITY = {"4101": 0.9, "4102": 0.45}


def _unit(*parts: object) -> float:
    digest = hashlib.sha256(":".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def region_quality(seed: int, code: str) -> float:
    """How far along a city and county are, 0.35–0.95."""
    city = PINNED_QUALITY.get(code[:4], 0.35 + 0.6 * _unit(seed, "city", code[:4]))
    county = (_unit(seed, "county", code[:6]) - 0.5) * 0.2 if len(code) >= 6 else 0.0
    return min(0.97, max(0.3, city + county))


def facts_for(school: School, year: int, seed: int) -> SchoolFacts:
    rng = random.Random(f"eduplus-demo:{seed}:facts:{school.code}")
    u = [rng.random() for _ in range(12)]  # the school's fixed thresholds
    rural = school.urban_rural in RURAL_CODES or school.school_type == SchoolType.TEACHING_POINT
    p = region_quality(seed, school.region_id) + 0.07 * (year - DEMO_YEARS[0]) - 0.12 * rural
    p = max(0.0, min(1.05, p))
    noise = random.Random(f"eduplus-demo:{seed}:facts:{school.code}:{year}").random()

    def on(i: int, shift: float = 0.0) -> bool:
        return p + shift > u[i]

    fibre = on(0, 0.35)
    tiers = [20, 50, 100, 200, 500, 1000]
    tier = min(len(tiers) - 1, max(0, int((p + 0.25 - u[1] * 0.5) * 5)))
    bandwidth = tiers[tier] if fibre else min(tiers[tier], 50)
    classes = school.class_count or max(1, school.student_count // 45)
    ordinary = max(1, classes)
    multimedia = min(ordinary, round(ordinary * min(1.0, p + 0.35 - 0.2 * u[2])))
    teachers = school.teacher_count
    students = school.student_count
    if school.school_type in (SchoolType.PRIMARY, SchoolType.TEACHING_POINT):
        g3 = round(students * 4 / 6)
    elif school.school_type == SchoolType.KINDERGARTEN:
        g3 = 0
    else:
        g3 = students
    t_active = min(teachers, round(teachers * min(1.0, p + 0.2 - 0.1 * u[3])))
    s_active = min(g3, round(g3 * min(1.0, p + 0.05 - 0.1 * u[4])))
    t_regular = min(t_active, round(t_active * (0.45 + 0.4 * p)))
    s_regular = min(students, round(s_active * (0.4 + 0.4 * p)))
    digital = Decimal(str(round(min(100.0, 35 + 45 * p + 15 * (noise - 0.5) + 10 * u[5]), 1)))
    smart = Decimal(str(round(min(100.0, 20 + 50 * p + 15 * (noise - 0.5) + 10 * u[6]), 1)))
    return SchoolFacts(
        school_id=school.id,
        year=year,
        region_id=school.region_id,
        bandwidth_mbps=bandwidth,
        fibre=fibre,
        wireless_full=on(7, -0.1),
        all_optical=fibre and on(8, -0.45),
        multimedia_classrooms=multimedia,
        ordinary_classrooms=ordinary,
        teacher_terminals=round(teachers * min(1.2, p + 0.3)),
        ipv6=on(9, -0.2),
        digital_campus_score=digital,
        digital_campus_compliant=digital >= 60,
        smart_campus_score=smart,
        smart_campus_compliant=smart >= 70,
        teachers_total=teachers,
        teachers_space_active=t_active,
        teachers_space_regular=t_regular,
        students_total=students,
        students_g3_total=g3,
        students_g3_space_active=s_active,
        students_space_regular=s_regular,
        three_classrooms=on(10, 0.15) if school.school_type == SchoolType.TEACHING_POINT else None,
        source=FactsSource.DEMO,
        updated_by="seed",
    )


def seed_demo(*, province: str, seed: int, say: Callable[[str], None]) -> int:
    """Write five years of facts for every school of the province, then compute."""
    schools = (
        School.objects.filter(region__code__startswith=province)
        .only("id", "code", "region_id", "school_type", "urban_rural", "student_count",
              "teacher_count", "class_count")
        .order_by("id")
        .iterator(chunk_size=5000)
    )  # fmt: skip
    batch: list[SchoolFacts] = []
    written = 0
    for school in schools:
        for year in DEMO_YEARS:
            batch.append(facts_for(school, year, seed))
        if len(batch) >= 10_000:
            SchoolFacts.objects.bulk_create(batch, batch_size=2000)
            written += len(batch)
            batch = []
    SchoolFacts.objects.bulk_create(batch, batch_size=2000)
    written += len(batch)
    rows = 0
    for year in DEMO_YEARS:
        rows += indicators_compute(year=year).rows
    say(f"  monitoring: {written:,} school-year facts, {rows:,} indicator values")
    return written + rows
