import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from eduplus.core.models import AuditEntry
from eduplus.monitoring.models import FactsEvidence, SchoolFacts, SchoolFactsRevision

pytestmark = pytest.mark.django_db


def test_province_dashboard_shows_targets_met_and_missed_with_the_counts(monitored, login):
    client = login(monitored.province_officer)
    page = client.get("/monitoring/r/41/?year=2025").content.decode()
    assert "河南省 · 教育信息化监测" in page
    # fibre: 3 of 4 schools, target 100% (2020 work points) → missed.
    row = page[page.index('data-indicator="fibre"') : page.index('data-indicator="bandwidth_100"')]
    assert 'data-state="missed"' in row and "75.0%" in row and ">3<" in row and ">4<" in row
    assert "2020年全省教育系统网络安全和信息化工作要点" in row
    assert "中原区" not in page or "开封市" in page  # city level below the province
    # Drill-down links to the cities and the tile map.
    assert "/monitoring/r/4101/?year=2025" in page and 'data-testid="tiles"' in page


def test_county_dashboard_lists_schools_and_the_ones_that_hold_it_back(monitored, login):
    client = login(monitored.b.users["county_officer"])
    page = client.get("/monitoring/r/410202/?year=2025&indicator=fibre").content.decode()
    assert "乙哨兵实验小学" in page and 'data-testid="lagging"' in page
    assert f"/monitoring/s/{monitored.b.school.pk}/?year=2025" in page
    assert "甲哨兵" not in page


def test_other_county_and_missing_region_answer_alike(monitored, login):
    client = login(monitored.a.users["county_officer"])
    assert client.get("/monitoring/r/410102/").status_code == 200
    other = client.get("/monitoring/r/410202/")
    missing = client.get("/monitoring/r/419999/")
    assert other.status_code == missing.status_code == 404
    assert client.get(f"/monitoring/s/{monitored.b.school.pk}/").status_code == 404
    assert client.get("/monitoring/r/4101/").status_code == 404  # the city above is not theirs
    assert AuditEntry.objects.filter(action="permission.denied").exists()


def test_indicator_breakdown_and_csv_recompute(monitored, login):
    client = login(monitored.province_officer)
    page = client.get(
        "/monitoring/r/41/indicator/?code=multimedia_ratio&year=2025"
    ).content.decode()
    assert "27 ÷ 44" in page and "61.36%" in page
    response = client.get("/monitoring/r/41/indicator/?code=multimedia_ratio&year=2025&format=csv")
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "code,name,numerator,denominator,value,target,met"
    by_code = {line.split(",")[0]: line.split(",") for line in lines[1:]}
    assert by_code["4101"][2:5] == ["21", "22", "95.45"]
    assert by_code["4102"][2:7] == ["6", "22", "27.27", "100", "0"]
    assert client.get("/monitoring/r/41/indicator/?code=nope").status_code == 404


def test_school_admin_enters_and_corrects_facts_with_evidence(world, login):
    client = login(world.a.users["school_admin"])
    assert client.get("/monitoring/").url == f"/monitoring/s/{world.a.school.pk}/"
    url = f"/monitoring/s/{world.a.school.pk}/edit/?year=2025"
    bad = client.post(url, {"year": "2025", "bandwidth_mbps": "fast", "fibre": "1"})
    assert bad.status_code == 400 and "带宽应为数字" in bad.content.decode()
    assert not SchoolFacts.objects.filter(school=world.a.school).exists()
    upload = SimpleUploadedFile("合同.pdf", b"%PDF-1.4 evidence", content_type="application/pdf")
    ok = client.post(
        url, {"year": "2025", "bandwidth_mbps": "100", "fibre": "1", "evidence": upload}
    )
    assert ok.status_code == 302
    facts = SchoolFacts.objects.get(school=world.a.school, year=2025)
    assert facts.bandwidth_mbps == 100 and facts.fibre is True
    # A correction needs a reason; then it is kept in the history.
    again = client.post(url, {"year": "2025", "bandwidth_mbps": "200", "fibre": "1"})
    assert again.status_code == 400 and "须说明原因" in again.content.decode()
    client.post(url, {"year": "2025", "bandwidth_mbps": "200", "fibre": "1", "reason": "扩容"})
    assert SchoolFactsRevision.objects.filter(facts=facts).count() == 2
    page = client.get(f"/monitoring/s/{world.a.school.pk}/?year=2025").content.decode()
    assert "扩容" in page and "合同.pdf" in page
    evidence = FactsEvidence.objects.get()
    download = client.get(f"/monitoring/s/{world.a.school.pk}/evidence/?id={evidence.pk}")
    assert download.status_code == 200 and b"".join(download.streaming_content).startswith(b"%PDF")
    # Another school's administrator cannot reach it.
    client.logout()
    other = login(world.b.users["school_admin"])
    assert (
        other.get(f"/monitoring/s/{world.a.school.pk}/evidence/?id={evidence.pk}").status_code
        == 404
    )


def test_evidence_of_a_forbidden_type_is_refused(world, login):
    client = login(world.a.users["school_admin"])
    upload = SimpleUploadedFile("run.exe", b"MZ", content_type="application/octet-stream")
    response = client.post(f"/monitoring/s/{world.a.school.pk}/edit/?year=2025",
                           {"year": "2025", "fibre": "1", "evidence": upload})  # fmt: skip
    assert response.status_code == 400 and "不支持的文件类型" in response.content.decode()
    assert not SchoolFacts.objects.filter(school=world.a.school).exists()


def test_import_page_reports_rows_and_recomputes(world, login):
    client = login(world.a.users["county_officer"])
    text = f"学校标识码,光纤接入\n{world.a.school.code},是\n{world.b.school.code},是\nabc,否\n"
    upload = SimpleUploadedFile("facts.csv", text.encode("gbk"))
    page = client.post("/monitoring/import/", {"file": upload, "year": "2025"}).content.decode()
    assert 'data-testid="import-errors"' in page and "不在您的管辖范围内" in page
    assert SchoolFacts.objects.filter(year=2025).count() == 1
    dash = client.get("/monitoring/r/410102/?year=2025").content.decode()
    assert "100.0%" in dash
    template = client.get("/monitoring/import/?template=1")
    assert template.content.decode("utf-8-sig").startswith("school_code,year,bandwidth_mbps")
    assert client.post("/monitoring/import/", {"year": "2025"}).status_code == 400


def test_empty_dashboard_says_what_to_do(world, login):
    client = login(world.a.users["county_officer"])
    page = client.get("/monitoring/r/410102/").content.decode()
    assert "还没有监测数据" in page and "/monitoring/import/" in page


def test_teacher_and_student_have_no_monitoring(world, login):
    for key in ("teacher", "student", "parent"):
        client = login(world.a.users[key])
        assert client.get("/monitoring/r/410102/").status_code == 403
        client.logout()


def test_dashboard_queries_do_not_grow_with_schools(
    monitored, login, django_assert_max_num_queries
):
    client = login(monitored.province_officer)
    with django_assert_max_num_queries(60):
        assert client.get("/monitoring/r/41/?year=2025").status_code == 200


def test_cli_export_columns(monitored, tmp_path):
    from django.core.management import call_command

    out = tmp_path / "ind.csv"
    call_command("indicators", "export", "--year", "2025", "--out", str(out))
    lines = out.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0] == "region_code,indicator,numerator,denominator,value,target,met"
    assert "41,fibre,3,4,75.00,100,0" in lines
    facts_out = tmp_path / "facts.csv"
    call_command("facts", "export", "--year", "2025", "--out", str(facts_out))
    header = facts_out.read_text(encoding="utf-8-sig").splitlines()[0].split(",")
    for column in ("school_code", "year", "bandwidth_mbps", "fibre", "wireless_full",
                   "multimedia_classrooms", "ordinary_classrooms", "ipv6",
                   "digital_campus_compliant", "smart_campus_compliant"):  # fmt: skip
        assert column in header
    source = io.StringIO()
    call_command("facts", "import", str(facts_out), "--year", "2025", stdout=source)
    assert "未变化：4" in source.getvalue()


def test_api_gives_the_same_numbers_in_scope(monitored, login):
    client = login(monitored.a.users["county_officer"])
    data = client.get("/api/monitoring/regions/410102/indicators?year=2025").json()
    fibre = next(i for i in data["indicators"] if i["indicator"] == "fibre")
    assert (fibre["numerator"], fibre["denominator"], fibre["value"], fibre["met"]) == (
        2,
        2,
        100,
        True,
    )
    assert fibre["target"] == 100 and fibre["target_year"] == 2020
    assert client.get("/api/monitoring/regions/410202/indicators").status_code == 404
    facts = client.get(f"/api/monitoring/schools/{monitored.a.school.pk}/facts").json()
    assert [f["year"] for f in facts] == [2025, 2024]
    assert facts[0]["values"]["bandwidth_mbps"] == 1000 and facts[0]["values"]["fibre"] is True
    assert client.get(f"/api/monitoring/schools/{monitored.b.school.pk}/facts").status_code == 404


def test_english_interface_names_indicators_in_english(monitored, login):
    client = login(monitored.province_officer)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    page = client.get("/monitoring/r/41/?year=2025").content.decode()
    assert "Schools (incl. teaching points) with fibre access" in page
    assert "Indicators against targets" in page
