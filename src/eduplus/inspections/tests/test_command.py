"""``eduplus inspections list`` and ``verify``."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from eduplus.inspections import services
from eduplus.inspections.models import InspectionAssignment

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("inspections", *args, stdout=out)
    return out.getvalue()


def test_verify_says_a_recorded_draw_matches(setup):
    plan = services.plan_draw(actor=setup.officer, plan=setup.plan)
    output = run("verify", str(plan.pk))
    assert "一致" in output
    first = plan.targets.order_by("position").first()
    assert first.school.code in output


def test_verify_fails_on_a_tampered_draw(setup):
    plan = services.plan_draw(actor=setup.officer, plan=setup.plan)
    InspectionAssignment.objects.filter(target__plan=plan).first().delete()
    with pytest.raises(CommandError) as exc:
        run("verify", str(plan.pk))
    assert exc.value.returncode == 1


def test_verify_of_a_draft_or_missing_plan(setup):
    with pytest.raises(CommandError) as exc:
        run("verify", str(setup.plan.pk))
    assert exc.value.returncode == 1
    with pytest.raises(CommandError) as exc:
        run("verify", "999999")
    assert exc.value.returncode == 2


def test_verify_an_inputs_file(setup, tmp_path):
    plan = services.plan_draw(actor=setup.officer, plan=setup.plan)
    path = tmp_path / "inputs.json"
    path.write_text(json.dumps(plan.inputs, ensure_ascii=False), encoding="utf-8")
    output = run("verify", "--inputs", str(path))
    assert "抽取完成：3 所学校" in output


def test_list(setup):
    assert setup.plan.title in run("list")
    assert "还没有抽查计划" in run("list", "--region", "42")
