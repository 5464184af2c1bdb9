"""Facts for the two-county world: county A ahead, county B behind."""

from __future__ import annotations

from typing import Any

import pytest

from eduplus.monitoring.services import facts_save, indicators_compute

A_FACTS = {"bandwidth_mbps": 1000, "fibre": True, "multimedia_classrooms": 20,
           "ordinary_classrooms": 20, "ipv6": True, "teachers_total": 40,
           "teachers_space_active": 38}  # fmt: skip
A_POINT = {"bandwidth_mbps": 50, "fibre": True, "multimedia_classrooms": 1,
           "ordinary_classrooms": 2, "ipv6": False, "three_classrooms": True}  # fmt: skip
B_FACTS = {"bandwidth_mbps": 50, "fibre": False, "multimedia_classrooms": 5,
           "ordinary_classrooms": 20, "ipv6": False, "teachers_total": 30,
           "teachers_space_active": 10}  # fmt: skip


@pytest.fixture
def monitored(world: Any) -> Any:
    for school, values in (
        (world.a.school, A_FACTS),
        (world.a.teaching_point, A_POINT),
        (world.b.school, B_FACTS),
        (world.b.teaching_point, A_POINT),
    ):
        facts_save(school=school, year=2025, values=values)
        facts_save(school=school, year=2024, values={**values, "fibre": False})
    indicators_compute(year=2025)
    indicators_compute(year=2024)
    return world
