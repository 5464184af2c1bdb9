import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from eduplus.core.models import AuditEntry
from eduplus.monitoring.models import (
    CampusStandard,
    Indicator,
    IndicatorTarget,
    IndicatorValue,
    SchoolFacts,
    SchoolFactsRevision,
    ValueLevel,
)
from eduplus.monitoring.selectors import targets_in_force
from eduplus.monitoring.services import (
    FactsImportError,
    campus_assess,
    facts_import,
    facts_save,
    indicators_compute,
    parse_fact,
)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("name", "text", "value"),
    [
        ("fibre", "是", True), ("fibre", "否", False), ("fibre", "1", True), ("fibre", " Y ", True),
        ("fibre", "", None), ("bandwidth_mbps", "100", 100), ("bandwidth_mbps", "1G", 1000),
        ("bandwidth_mbps", "２００Mbps", 200), ("bandwidth_mbps", "1,000", 1000),
        ("multimedia_classrooms", "12.0", 12), ("digital_campus_score", "88.25", Decimal("88.2")),
    ],
)  # fmt: skip
def test_parse_fact_reads_what_schools_write(name, text, value):
    assert parse_fact(name, text) == value


@pytest.mark.parametrize(
    ("name", "text"),
    [("fibre", "maybe"), ("bandwidth_mbps", "fast"), ("bandwidth_mbps", "1.5"),
     ("multimedia_classrooms", "-1"), ("multimedia_classrooms", "2.5"),
     ("digital_campus_score", "101"), ("digital_campus_score", "NaN"), ("teachers_total", "1e12")],
)  # fmt: skip
def test_parse_fact_refuses_nonsense(name, text):
    with pytest.raises(ValueError):
        parse_fact(name, text)


def test_corrections_keep_history_and_audit(world):
    school = world.a.school
    facts_save(school=school, year=2025, values={"bandwidth_mbps": 50, "fibre": False})
    facts = facts_save(
        school=school,
        year=2025,
        values={"bandwidth_mbps": 200},
        reason="升级",
        actor=world.a.users["county_officer"],
    )
    assert facts.bandwidth_mbps == 200 and facts.fibre is False
    latest = SchoolFactsRevision.objects.filter(facts=facts).first()
    assert latest.before == {"bandwidth_mbps": 50} and latest.after == {"bandwidth_mbps": 200}
    assert latest.reason == "升级" and latest.changed_by == "甲-county"
    assert SchoolFactsRevision.objects.filter(facts=facts).count() == 2
    # Saving the same values again changes nothing and records nothing.
    facts_save(school=school, year=2025, values={"bandwidth_mbps": 200})
    assert SchoolFactsRevision.objects.filter(facts=facts).count() == 2
    assert AuditEntry.objects.filter(action="facts.change", target_id=str(facts.pk)).count() == 1


def test_inconsistent_facts_are_refused_and_nothing_changes(world):
    school = world.a.school
    facts_save(
        school=school, year=2025, values={"ordinary_classrooms": 10, "multimedia_classrooms": 8}
    )
    with pytest.raises(ValidationError, match="多媒体教室数不能超过普通教室数"):
        facts_save(school=school, year=2025, values={"multimedia_classrooms": 11})
    assert SchoolFacts.objects.get(school=school, year=2025).multimedia_classrooms == 8
    with pytest.raises(ValidationError):
        facts_save(school=school, year=1800, values={"fibre": True})


def _csv(text: str, encoding: str = "utf-8") -> io.BytesIO:
    return io.BytesIO(text.encode(encoding))


def test_import_gbk_csv_with_chinese_headers_reports_every_row(world):
    a, b = world.a.school.code, world.b.school.code
    text = (
        "学校信息化基础数据\n"
        "学校标识码,出口带宽,光纤接入,多媒体教室数,普通教室数\n"
        f"{a},100,是,10,12\n"
        f"{b},1G,否,3,4\n"
        "12345,100,是,1,1\n"
        f"{a},100,是,1,1\n"
        f"{b},fast,是,13,4\n"
    )
    report = facts_import(source=_csv(text, "gbk"), filename="facts.csv", year=2025)
    assert (report.rows_read, report.created, report.rejected) == (5, 2, 3)
    assert report.accounted
    reasons = {e["row"]: " ".join(e["reasons"]) for e in report.errors}
    assert "10位数字" in reasons[5]
    assert "重复" in reasons[6]
    assert "带宽" in reasons[7] and "多媒体教室数不能超过普通教室数" not in reasons[7]
    assert SchoolFacts.objects.get(school=world.b.school, year=2025).bandwidth_mbps == 1000
    # The same file again changes nothing.
    again = facts_import(source=_csv(text, "gbk"), filename="facts.csv", year=2025)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert SchoolFactsRevision.objects.count() == 2


def test_import_by_an_officer_is_limited_to_their_scope(world):
    text = f"school_code,fibre\n{world.a.school.code},1\n{world.b.school.code},1\n"
    report = facts_import(source=_csv(text), year=2025, actor=world.a.users["county_officer"])
    assert (report.created, report.rejected) == (1, 1)
    assert "不在您的管辖范围内" in report.errors[0]["reasons"][0]
    assert not SchoolFacts.objects.filter(school=world.b.school).exists()


def test_import_year_column_and_conflicting_year(world):
    text = f"school_code,year,fibre\n{world.a.school.code},2024,1\n{world.b.school.code},2023,1\n"
    report = facts_import(source=_csv(text), year=2024)
    assert (report.created, report.rejected) == (1, 1)
    assert "不一致" in report.errors[0]["reasons"][0]
    with pytest.raises(FactsImportError, match="年度"):
        facts_import(source=_csv(f"school_code,fibre\n{world.a.school.code},1\n"))
    with pytest.raises(FactsImportError, match="表头"):
        facts_import(source=_csv("a,b\n1,2\n"), year=2024)
    with pytest.raises(FactsImportError):
        facts_import(source=io.BytesIO(b"\x81\xff\xfe\x00garbage"), filename="x.xlsx", year=2024)


def test_import_reads_xlsx(world, tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["学校标识码", "年度", "IPv6", "出口带宽（Mbps）"])
    ws.append([int(world.a.school.code), 2025, 1, 500])
    path = tmp_path / "facts.xlsx"
    wb.save(path)
    report = facts_import(source=path, filename="facts.xlsx")
    assert report.created == 1, report.errors
    facts = SchoolFacts.objects.get(school=world.a.school, year=2025)
    assert facts.ipv6 is True and facts.bandwidth_mbps == 500


def _value(code: str, area: str, year: int = 2025) -> IndicatorValue:
    return IndicatorValue.objects.get(
        indicator__code=code, year=year, area=area, school__isnull=True
    )


def test_rollups_at_every_level_recompute_by_hand(monitored):
    fibre_a, fibre_b = _value("fibre", "410102"), _value("fibre", "410202")
    assert (fibre_a.numerator, fibre_a.denominator, fibre_a.value) == (2, 2, 100)
    assert (fibre_b.numerator, fibre_b.denominator, fibre_b.value) == (1, 2, 50)
    assert _value("fibre", "41").value == 75
    assert _value("fibre", "4101").value == 100 and _value("fibre", "4102").value == 50
    mm = _value("multimedia_ratio", "41")
    assert (mm.numerator, mm.denominator) == (27, 44)
    assert mm.value == pytest.approx(100 * 27 / 44)
    # Filters: the teaching-point indicator counts only (rural) teaching points.
    assert _value("three_classrooms_tp", "41").denominator == 2
    school_rows = IndicatorValue.objects.filter(
        indicator__code="fibre", year=2025, level=ValueLevel.SCHOOL
    )
    assert school_rows.count() == 4
    assert (
        IndicatorValue.objects.filter(year=2024, indicator__code="fibre", area="41").get().value
        == 0
    )


def test_recompute_replaces_values_and_follows_corrections(monitored):
    before = IndicatorValue.objects.filter(year=2025).count()
    facts_save(school=monitored.b.school, year=2025, values={"fibre": True})
    report = indicators_compute(year=2025)
    assert report.rows == before == IndicatorValue.objects.filter(year=2025).count()
    assert _value("fibre", "410202").value == 100


def test_an_indicator_defined_as_data_is_computed(monitored):
    Indicator.objects.create(
        code="gigabit", name="千兆学校比例", numerator="count(bandwidth_mbps >= 1000)",
        denominator="count()", numerator_label="千兆", denominator_label="全部",
        filters={"teaching_points": "exclude"},
    )  # fmt: skip
    indicators_compute(year=2025)
    assert _value("gigabit", "41").value == 50
    bad = Indicator(code="bad", name="x", numerator="count(secret)", denominator="count()",
                    numerator_label="x", denominator_label="y")  # fmt: skip
    with pytest.raises(ValidationError):
        bad.full_clean()


def test_targets_in_force_by_year(db):
    fibre = Indicator.objects.get(code="fibre")
    mm = Indicator.objects.get(code="multimedia_ratio")
    t2019 = targets_in_force("41", 2019)
    assert t2019[mm.pk][0].year == 2020 and t2019[mm.pk][1].year == 2025
    t2023 = targets_in_force("41", 2023)
    assert t2023[mm.pk][0].value == 95 and t2023[mm.pk][1].value == 100
    assert targets_in_force("41", 2026)[mm.pk][0].value == 100
    assert targets_in_force("41", 2026)[fibre.pk][0].document.code == "henan-2020-work-points"
    assert IndicatorTarget.objects.filter(province_id="37").count() == 5
    assert "three_classrooms_tp" not in {
        t.indicator.code for t in IndicatorTarget.objects.filter(province_id="41")
    }


def test_campus_assessment_weights_items_and_sets_compliance(world):
    standard = CampusStandard.objects.get(code="digital-campus-k12")
    scores = {item.code: "100" for item in standard.items.all()}
    scores["network"] = "0"  # 25 of 100 points lost
    assessment = campus_assess(school=world.a.school, year=2025, standard=standard, scores=scores)
    assert assessment.total == Decimal("75.0") and assessment.compliant
    facts = SchoolFacts.objects.get(school=world.a.school, year=2025)
    assert facts.digital_campus_compliant is True and facts.digital_campus_score == Decimal("75.0")
    scores["classrooms"] = "0"
    scores["applications"] = "0"
    assert not campus_assess(
        school=world.a.school, year=2025, standard=standard, scores=scores
    ).compliant
    with pytest.raises(ValidationError, match="0到100"):
        campus_assess(
            school=world.a.school, year=2025, standard=standard, scores={**scores, "network": "abc"}
        )
    with pytest.raises(ValidationError, match="不适用"):
        campus_assess(school=world.a.teaching_point, year=2025, standard=standard, scores=scores)


def test_recompute_for_one_school_matches_a_full_recompute(monitored):
    facts_save(
        school=monitored.b.school, year=2025, values={"fibre": True, "multimedia_classrooms": 19}
    )
    indicators_compute(year=2025, school=monitored.b.school)
    narrow = {
        (v.indicator_id, v.level, v.area, v.school_id): (v.numerator, v.denominator, v.value)
        for v in IndicatorValue.objects.filter(year=2025)
    }
    indicators_compute(year=2025)
    full = {
        (v.indicator_id, v.level, v.area, v.school_id): (v.numerator, v.denominator, v.value)
        for v in IndicatorValue.objects.filter(year=2025)
    }
    assert narrow == full
    assert _value("fibre", "41").value == 100
