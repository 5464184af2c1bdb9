"""Demo data of the inspections module for the synthetic province (called by `eduplus seed`).

A province-wide inspector pool with synthetic names; a plan of the demo ``province``
account drawn (with a seed derived from the demo seed, so the demo is reproducible),
published, with some results recorded and published; and a draft cross-inspection plan
for the demo ``county`` account. Missing demo accounts: only the pool is written.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from collections.abc import Callable

from django.db.models import Count

from eduplus.accounts.models import User
from eduplus.core.scoping import region_subtree_q
from eduplus.demo.anchors import demo_anchors
from eduplus.demo.names import NameMaker
from eduplus.inspections import services
from eduplus.inspections.models import (
    InspectionAssignment,
    InspectionPlan,
    InspectionTarget,
    Inspector,
    InspectorPool,
    TeachingPointRule,
)
from eduplus.regions.models import Region
from eduplus.schools.models import School

ORGANISATIONS = ("{c}教育局", "{c}教育局督导室", "{c}教研室", "{c}电化教育馆")
SPECIALTIES = ("信息化建设", "网络安全", "教育装备", "教学应用", "数据管理")

FINDINGS = {
    "pass": (
        "校园网络和多媒体教室运行正常，网络安全责任制落实，等级保护备案材料齐全。",
        "智慧教室使用记录完整，教师信息化教学应用普遍，数据备份按月执行。",
    ),
    "basic": (
        "网络安全管理制度基本健全，但机房出入登记不完整，部分终端未安装防病毒软件。",
        "专递课堂开课率达到要求，但设备巡检记录缺失两个月。",
    ),
    "fail": ("未落实网络安全责任制，校园网出口无上网行为日志，多媒体设备闲置率高。",),
}
RECTIFICATION = {
    "basic": "完善机房出入登记，全部终端安装防病毒软件，整改后报县区教育局复查。",
    "fail": "一个月内明确网络安全责任人，开通上网日志留存不少于六个月，制定设备使用计划。",
}


def _clear(province: str) -> None:
    """Rows left by an earlier demo (a reset keeps regions, so plans would linger)."""
    plans = InspectionPlan.objects.filter(region_subtree_q("region_id", province))
    InspectionAssignment.objects.filter(target__plan__in=plans).delete()
    InspectionTarget.objects.filter(plan__in=plans).delete()
    plans.delete()
    InspectorPool.objects.filter(region_subtree_q("region_id", province)).delete()


def _pool(
    rng: random.Random, *, region: Region, name: str, counties: list[Region], per_county: int
) -> InspectorPool:
    maker = NameMaker(rng)
    pool = services.pool_create(
        actor=None, region=region, name=name, description="演示数据：姓名均为虚构"
    )
    schools: dict[str, list[School]] = {}
    for school in School.objects.filter(
        region_id__in=[c.code for c in counties], school_type__in=["211", "311", "342"]
    ).order_by("code"):
        schools.setdefault(str(school.region_id), []).append(school)
    rows: list[Inspector] = []
    taken: set[tuple[str, str]] = set()
    for county in counties:
        for k in range(per_county):
            gender = 1 if rng.random() < 0.55 else 2
            name_ = maker.surname(rng) + maker.given(rng, gender, child=False)
            home_school = None
            local = schools.get(county.code, [])
            if k % 3 == 2 and local:
                home_school = local[rng.randrange(len(local))]
                org = home_school.name
            else:
                org = ORGANISATIONS[rng.randrange(len(ORGANISATIONS))].format(c=county.name)
            if (name_, org) in taken:
                continue
            taken.add((name_, org))
            rows.append(
                Inspector(
                    pool=pool,
                    name=name_,
                    organisation=org,
                    home_region=county,
                    home_school=home_school,
                    specialty=SPECIALTIES[rng.randrange(len(SPECIALTIES))],
                )
            )
    Inspector.objects.bulk_create(rows)
    return pool


def seed_demo(*, province: str, seed: int, say: Callable[[str], None]) -> int:
    """Write this module's demo rows; return how many. Deterministic for a seed."""
    region = Region.objects.filter(code=province, level=1).first()
    if region is None:
        return 0
    _clear(province)
    rng = random.Random(f"inspections-{seed}")
    with_schools = (
        School.objects.filter(region_subtree_q("region_id", province))
        .values("region_id")
        .annotate(n=Count("id"))
        .filter(n__gt=0)
    )
    county_codes = sorted(str(r["region_id"]) for r in with_schools if len(r["region_id"]) == 6)
    counties = list(Region.objects.filter(code__in=county_codes).order_by("code"))
    if len(counties) < 2:
        return 0
    rows = 0
    pool = _pool(
        rng,
        region=region,
        name=f"{region.name}教育督导检查人员库",
        counties=counties[:: max(1, len(counties) // 40)][:40],  # spread over the province
        per_county=3,
    )
    rows += 1 + pool.inspectors.count()
    anchors = demo_anchors(province)
    officer = User.objects.filter(username="province").first()
    if officer is None:
        say("inspections: no demo account 'province': only the inspector pool was written")
        return rows
    plan = services.plan_create(
        actor=officer,
        title="2026年春季中小学信息化建设与应用专项抽查",
        subject="信息化建设与应用",
        region=region,
        pool=pool,
        school_types=["211", "311", "312"],
        urban_rural="",
        teaching_points=TeachingPointRule.EXCLUDE,
        school_count=12,
        inspectors_per_school=2,
        starts_on=dt.date(2026, 4, 1),
        ends_on=dt.date(2026, 5, 31),
    )
    demo_seed = hashlib.sha256(f"eduplus-demo-inspections-{seed}".encode()).hexdigest()
    plan = services.plan_draw(actor=officer, plan=plan, seed=demo_seed)
    plan = services.plan_publish(actor=officer, plan=plan)
    rows += 1
    targets = list(InspectionTarget.objects.filter(plan=plan).order_by("position"))
    rows += len(targets) * (1 + plan.inspectors_per_school)
    conclusions = ["pass", "basic", "pass", "fail", "pass", "basic"]
    for k, target in enumerate(targets[: len(conclusions)]):
        conclusion = conclusions[k]
        day = dt.date(2026, 4, 8) + dt.timedelta(days=3 * k)
        services.result_record(
            actor=officer,
            target=target,
            inspected_on=day,
            findings=FINDINGS[conclusion][k % len(FINDINGS[conclusion])],
            conclusion=conclusion,
            rectification=RECTIFICATION.get(conclusion, ""),
            rectification_deadline=day + dt.timedelta(days=30) if conclusion != "pass" else None,
        )
        rows += 1
        if k < 4:
            services.result_publish(actor=officer, target=target)
    # A draft cross-inspection plan for the county officer: inspectors from the other
    # counties of the same city, so that none of them is conflicted in the county.
    county_officer = User.objects.filter(username="county").first()
    county = Region.objects.filter(code=anchors.county).first()
    if county_officer is not None and county is not None:
        neighbours = [c for c in counties if c.code[:4] == anchors.city and c.code != county.code]
        if neighbours:
            cross = _pool(
                rng,
                region=county,
                name=f"{county.name}交叉检查人员库",
                counties=neighbours[:6],
                per_county=2,
            )
            services.plan_create(
                actor=county_officer,
                title=f"{county.name}2026年校园网络安全交叉检查",
                subject="网络安全",
                region=county,
                pool=cross,
                school_types=[],
                urban_rural="",
                teaching_points=TeachingPointRule.INCLUDE,
                school_percent=20,
                inspectors_per_school=2,
            )
            rows += 2 + cross.inspectors.count()
    say(f"inspections: plan {plan.pk} drawn with seed {demo_seed[:12]}…, published")
    return rows
