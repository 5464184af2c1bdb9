"""The demo module on the test world (county A is the demo county 中原区)."""

from __future__ import annotations

import pytest

from eduplus.monitoring.models import SchoolFacts
from eduplus.spaces import demo
from eduplus.spaces.models import Statement


@pytest.mark.django_db
def test_seed_demo_writes_statements_and_facts_and_reset_clears_them(world):
    said: list[str] = []
    rows = demo.seed_demo(province="41", seed=7, say=said.append)
    assert rows == Statement.objects.count() > 0
    assert Statement.objects.filter(school=world.a.school).exists()
    assert not Statement.objects.filter(school=world.b.school).exists()  # not a demo county
    assert not Statement.objects.filter(timestamp__gt=demo.timezone.now()).exists()
    facts = SchoolFacts.objects.get(school=world.a.school)
    assert facts.teachers_total == 1 and facts.students_g3_total == 2
    assert any("statements" in line for line in said)
    again = demo.seed_demo(province="41", seed=7, say=said.append)
    assert again > 0
    demo.reset_demo()
    assert not Statement.objects.exists()
