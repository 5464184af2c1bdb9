from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from eduplus.regions.models import Region
from eduplus.testing import factories as f


@dataclass
class Setup:
    world: Any
    pool: Any
    plan: Any  # a draft plan of county A (中原区), 3 schools to draw, 2 inspectors each
    officer: Any  # county A's officer


@pytest.fixture
def setup(world: Any) -> Setup:
    """County A with 6 more primary schools; a county pool of 4 inspectors from other
    counties of 郑州市 and one from 中原区 itself (never drawn there: 回避)."""
    for k in range(6):
        f.SchoolFactory(region=f.region("410102"), name=f"中原测试第{k}小学")
    a = Region.objects.get(code="410102")
    pool = f.InspectorPoolFactory(region=a, name="中原区交叉检查人员库")
    for k, county in enumerate(["410103", "410103", "410105", "410105"]):
        f.InspectorFactory(pool=pool, name=f"外县检查员{k}", home_region=f.region(county))
    f.InspectorFactory(pool=pool, name="本县检查员", home_region=a)
    plan = f.InspectionPlanFactory(
        region=a, pool=pool, title="中原区网络安全抽查", school_count=3, inspectors_per_school=2
    )
    return Setup(world=world, pool=pool, plan=plan, officer=world.a.users["county_officer"])
