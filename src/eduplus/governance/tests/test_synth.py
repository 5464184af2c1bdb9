"""The messy multi-source generator (synth), the demo seed and the sample files."""

from __future__ import annotations

import csv
import datetime as dt
import importlib.util
import io
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from eduplus.core import idnumber
from eduplus.governance import synth
from eduplus.testing import factories as f

SCHOOLS = [f"{prefix}41{i:06d}" for i in range(1, 21) for prefix in ("21", "31", "34")]
COUNTIES = ["410102", "410105", "410202"] * 20
FULL_TO_HALF = str.maketrans("０１２３４５６７８９", "0123456789")
HAS_IMPORTER = importlib.util.find_spec("eduplus.governance.importing") is not None


def people(n: int = 4000, seed: int = 11) -> list[synth.TruePerson]:
    return list(synth.persons_standalone(n, schools=SCHOOLS, counties=COUNTIES, seed=seed))


def read_rows(path: Path, fmt: str) -> list[list[Any]]:
    if fmt == "xlsx":
        ws = load_workbook(path, read_only=True).active
        return [["" if c is None else c for c in r] for r in ws.iter_rows(values_only=True)]
    with path.open(encoding=synth.ENCODINGS[fmt], newline="") as fh:
        return list(csv.reader(fh))


def parse_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, int | float):
        return dt.date(1899, 12, 30) + dt.timedelta(days=int(value))
    text = str(value).translate(FULL_TO_HALF).strip()
    m = re.fullmatch(r"(\d{4})[-/年](\d{1,2})[-/月](\d{1,2})日?", text)
    if m:
        return dt.date(int(m[1]), int(m[2]), int(m[3]))
    return dt.date(int(text[:4]), int(text[4:6]), int(text[6:8]))


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    persons = people()
    out = tmp_path_factory.mktemp("synth")
    files = synth.write_sources(persons, out, seed=5, formats=synth.DEMO_FORMATS)
    rows = {sf.source_code: read_rows(sf.path, synth.DEMO_FORMATS[sf.source_code]) for sf in files}
    with (out / synth.REJECTIONS_FILE).open(encoding="utf-8") as fh:
        rejections = {(r[0], r[1]): r[2] for r in list(csv.reader(fh))[1:]}
    return {
        "persons": {p.key: p for p in persons},
        "out": out,
        "files": files,
        "rows": rows,
        "truth": synth.read_truth(out),
        "rejections": rejections,
    }


def keyed(source: str, rows: list[list[Any]]) -> dict[str, dict[str, Any]]:
    """Data rows by record key (the key column, else the 1-based data row number)."""
    header = [str(h) for h in rows[0]]
    key_col = synth.KEY_COLUMNS.get(source)
    out = {}
    for i, row in enumerate(rows[1:], start=1):
        cells = dict(zip(header, row, strict=True))
        out[str(cells[key_col]) if key_col else str(i)] = cells
    return out


# --------------------------------------------------------------------------- persons


@pytest.mark.django_db
def test_persons_are_deterministic_valid_and_distinct() -> None:
    a, b, other = people(500), people(500), people(500, seed=12)
    assert a == b
    assert a != other
    numbers = [p.id_number for p in a]
    assert len(set(numbers)) == len(numbers)
    for p in a:
        parsed = idnumber.parse(p.id_number)
        assert parsed.birth_date == p.birth_date and parsed.gender == p.gender
        county = COUNTIES[SCHOOLS.index(p.school_code)]
        assert p.id_number.startswith(county)
        if p.kind == "student":
            lo, hi = synth.PREFIX_GRADES[p.school_code[:2]]
            assert lo <= (p.grade or 0) <= hi
            # Grade 1 is six on 1 September 2026 (born at the latest that day).
            age = 2026 - p.birth_date.year - (p.birth_date > dt.date(p.birth_date.year, 9, 1))
            assert age - 5 == p.grade
    teachers = sum(p.kind == "teacher" for p in a)
    assert 5 <= teachers <= 50  # about 5 %


def test_persons_need_schools() -> None:
    with pytest.raises(ValueError):
        next(synth.persons_standalone(1, schools=[], seed=1))


# -------------------------------------------------------------------- files and truth


@pytest.mark.django_db
def test_same_seed_same_files(tmp_path: Path) -> None:
    persons = people(300)
    first = synth.write_sources(persons, tmp_path / "a", seed=9, formats=synth.DEMO_FORMATS)
    second = synth.write_sources(persons, tmp_path / "b", seed=9, formats=synth.DEMO_FORMATS)
    third = synth.write_sources(persons, tmp_path / "c", seed=10, formats=synth.DEMO_FORMATS)
    for x, y, z in zip(first, second, third, strict=True):
        fmt = synth.DEMO_FORMATS[x.source_code]
        assert read_rows(x.path, fmt) == read_rows(y.path, fmt)
        if fmt != "xlsx":  # xlsx carries its creation time
            assert x.path.read_bytes() == y.path.read_bytes()
        if x.source_code != "renshi":  # few teachers: may come out alike
            assert read_rows(x.path, fmt) != read_rows(z.path, fmt)
    truth = (tmp_path / "a" / synth.TRUTH_FILE).read_bytes()
    assert truth == (tmp_path / "b" / synth.TRUTH_FILE).read_bytes()


def test_headers_per_source(generated: dict[str, Any]) -> None:
    for source, rows in generated["rows"].items():
        assert tuple(rows[0]) == synth.HEADERS[source]
    assert "学生姓名" in synth.HEADERS["zizhu"] and "公民身份号码" in synth.HEADERS["renshi"]


def test_encodings_are_what_the_systems_write(generated: dict[str, Any]) -> None:
    paths = {sf.source_code: sf.path for sf in generated["files"]}
    xueji = paths["xueji"].read_bytes()
    assert not xueji.startswith(b"\xef\xbb\xbf")
    assert xueji.decode("utf-8").startswith("姓名,性别,身份证件号")
    zizhu = paths["zizhu"].read_bytes()
    with pytest.raises(UnicodeDecodeError):
        zizhu.decode("utf-8")
    assert zizhu.decode("gbk").startswith("学生姓名,")
    renshi = paths["renshi"].read_bytes()
    assert renshi.startswith(b"\xef\xbb\xbf") and renshi.decode("utf-8-sig").startswith("姓名")
    assert paths["tizhi"].suffix == ".xlsx" and paths["tizhi"].read_bytes()[:2] == b"PK"
    # Excel date cells and serial numbers both occur in the 体质健康 workbook.
    births = [r[3] for r in generated["rows"]["tizhi"][1:]]
    assert any(isinstance(b, dt.datetime) for b in births)
    assert any(isinstance(b, int) for b in births)
    assert any(isinstance(b, str) and "/" in b for b in births)


def test_truth_matches_the_files(generated: dict[str, Any]) -> None:
    truth, rejections, persons = generated["truth"], generated["rejections"], generated["persons"]
    assert not set(truth) & set(rejections)
    for sf in generated["files"]:
        data = keyed(sf.source_code, generated["rows"][sf.source_code])
        assert len(data) == sf.rows == len(generated["rows"][sf.source_code]) - 1  # keys unique
        keys = {k for s, k in truth if s == sf.source_code}
        rejected = {k for s, k in rejections if s == sf.source_code}
        assert keys | rejected == set(data) and len(rejected) == sf.rejected
        for key in keys:
            person = persons[truth[(sf.source_code, key)]]
            assert person.kind == ("teacher" if sf.source_code == "renshi" else "student")
            name = str(data[key][synth.HEADERS[sf.source_code][0]]).replace(" ", "")
            assert len(name) == len(person.name)  # at most one character differs
            assert sum(a != b for a, b in zip(name, person.name, strict=True)) <= 1
        for key in rejected:
            row = data[key]
            reason = rejections[(sf.source_code, key)]
            if reason == "no_name":
                assert row[synth.HEADERS[sf.source_code][0]] == ""
            else:
                code = next(str(v) for h, v in row.items() if h in ("学校标识码", "学校代码"))
                assert reason == "unknown_school" and code[4:6] == "99"
    # 学籍 has every student once, transfers twice at two different schools.
    xueji = keyed("xueji", generated["rows"]["xueji"])
    per_person: dict[str, list[str]] = {}
    for (source, key), person in truth.items():
        if source == "xueji":
            per_person.setdefault(person, []).append(xueji[key]["学校标识码"])
    students = [p for p in persons.values() if p.kind == "student"]
    assert len(per_person) == len(students)
    twice = [codes for codes in per_person.values() if len(codes) == 2]
    assert all(a != b and a[:2] == b[:2] for a, b in twice)  # same type of school
    assert 0.015 < len(twice) / len(students) < 0.05
    assert max(len(c) for c in per_person.values()) == 2
    # Coverage: 资助 ~30 %, 体质健康 ~50 % of students.
    zizhu = sum(1 for s, _ in truth if s == "zizhu") / len(students)
    tizhi = sum(1 for s, _ in truth if s == "tizhi") / len(students)
    assert 0.26 < zizhu < 0.34 and 0.45 < tizhi < 0.55


def test_noise_rates_roughly_as_documented(generated: dict[str, Any]) -> None:
    truth, persons = generated["truth"], generated["persons"]
    id_columns = {
        "xueji": "身份证件号",
        "zizhu": "身份证号",
        "tizhi": "身份证号码",
        "renshi": "公民身份号码",
    }
    birth_columns = {"zizhu": "出生年月"}
    counts: Counter[str] = Counter()
    records = 0
    for sf in generated["files"]:
        source = sf.source_code
        data = keyed(source, generated["rows"][source])
        for (s, key), person_key in truth.items():
            if s != source:
                continue
            records += 1
            row, p = data[key], persons[person_key]
            raw_name = str(row[synth.HEADERS[source][0]])
            name_bad = raw_name.replace(" ", "") != p.name
            raw_id = str(row[id_columns[source]])
            number = raw_id.translate(FULL_TO_HALF).strip()
            id_bad = number != p.id_number
            if not number:
                counts["missing"] += 1
            elif len(number) == 15:
                counts["legacy"] += 1
                assert idnumber.parse(number).value == p.id_number
            elif id_bad:
                counts["wrong"] += 1
                assert not idnumber.is_valid(number)  # the check digit fails
            birth = parse_date(row[birth_columns.get(source, "出生日期")])
            date_bad = birth != p.birth_date
            if date_bad:
                assert (birth.month, birth.day) == (p.birth_date.day, p.birth_date.month)
                counts["swap"] += 1
            counts["name"] += name_bad
            counts["fullwidth"] += raw_id != raw_id.translate(FULL_TO_HALF)
            counts["spaces"] += raw_name != raw_name.strip() or " " in raw_name
            assert not (name_bad and id_bad and date_bad), (source, key)
    rates = synth.NoiseRates()
    assert records > 7000

    def near(kind: str, expected: float) -> None:
        assert 0.5 * expected < counts[kind] / records < 1.6 * expected, (kind, counts[kind])

    near("missing", rates.id_missing)
    near("wrong", rates.id_wrong)
    near("name", rates.name_homophone + rates.name_typo)
    near("fullwidth", rates.fullwidth * 0.95)  # records without an ID show no digits there
    near("spaces", rates.spaces * 0.7)  # the other 30 % pad the ID number
    # Day and month are swapped only where that still makes a date (day ≤ 12).
    assert 0.002 < counts["swap"] / records < 0.015
    assert counts["legacy"] >= 1
    reported = Counter[str]()
    for sf in generated["files"]:
        reported.update(sf.noise)
    assert reported["id_missing"] == counts["missing"]
    assert reported["id_legacy15"] == counts["legacy"]
    assert reported["date_swap"] == counts["swap"]


def test_gender_and_date_formats_vary_by_source(generated: dict[str, Any]) -> None:
    rows = generated["rows"]
    assert {r[1] for r in rows["zizhu"][1:]} >= {"1", "2"}
    assert {r[1] for r in rows["xueji"][1:]} >= {"男", "女"}
    zizhu_births = [str(r[3]) for r in rows["zizhu"][1:]]
    assert any("年" in b for b in zizhu_births) and any(
        re.fullmatch(r"\d{8}", b) for b in zizhu_births
    )
    assert any("-" in str(r[3]) for r in rows["xueji"][1:])


def test_wrong_id_always_fails_the_check() -> None:
    import random

    rng = random.Random(1)
    for n in range(300):
        number = idnumber.make("410102", dt.date(2012, 3, 5), n, 1 + n % 2)
        assert not idnumber.is_valid(synth.wrong_id(number, rng.random))


def test_homophone_table_is_symmetric() -> None:
    assert "章" in synth.HOMOPHONES["张"] and "张" in synth.HOMOPHONES["章"]
    for ch, others in synth.HOMOPHONES.items():
        assert ch not in others
        for other in others:
            assert ch in synth.HOMOPHONES[other]


# ------------------------------------------------------------------------ demo, samples


@pytest.fixture
def demo_world() -> dict[str, Any]:
    """Two K-12 schools of 郑州市 with classes, students and teachers."""
    schools = [
        f.SchoolFactory(region=f.region("410102"), school_type="211"),
        f.SchoolFactory(region=f.region("410105"), school_type="211"),
        f.SchoolFactory(region=f.region("410202"), school_type="211"),
    ]
    students = []
    for school in schools:
        klass = f.SchoolClassFactory(school=school, grade=3, number=2, entry_year=2024)
        for i in range(6):
            person = f.PersonFactory(
                name=f"王{'小明红'[i % 3]}{i}", birth_date=dt.date(2017, 1 + i, 10 + i)
            )
            students.append(f.StudentFactory(klass=klass, person=person))
        f.TeacherFactory(school=school, region=school.region, subject="数学", title="一级教师")
    return {"schools": schools, "students": students}


@pytest.mark.django_db
def test_persons_from_demo_reads_the_roster(demo_world: dict[str, Any]) -> None:
    persons = synth.persons_from_demo(limit=100, teachers=10, region="4101")
    students = [p for p in persons if p.kind == "student"]
    teachers = [p for p in persons if p.kind == "teacher"]
    assert len(students) == 12 and len(teachers) == 2  # 开封 (4102) is not in 郑州
    first = demo_world["students"][0]
    mine = next(p for p in students if p.key == str(first.person_id))
    assert mine.name == first.person.name and mine.id_number == first.person.id_number
    assert mine.school_code == first.school.code and mine.grade == 3 and mine.class_name == "2班"
    assert mine.address and re.fullmatch(r"1[3-9]\d{9}", mine.phone)
    assert synth.persons_from_demo(limit=100, teachers=10, region="4101") == persons


@pytest.mark.django_db
def test_sample_files_are_other_people(demo_world: dict[str, Any]) -> None:
    from eduplus.governance.demo import sample_files

    samples = sample_files(seed=7, province="41")
    assert [code for code, _, _ in samples] == list(synth.SOURCE_CODES)
    names = {code: name for code, name, _ in samples}
    assert names["tizhi"].endswith(".xlsx") and names["zizhu"].endswith(".csv")
    content = dict((code, data) for code, _, data in samples)
    assert content["zizhu"].decode("gbk").startswith("学生姓名")
    # The demo seed takes the 郑州 schools; the samples come from the others (开封).
    kaifeng = demo_world["schools"][2].code
    text = content["xueji"].decode("utf-8")
    rows = list(csv.reader(io.StringIO(text)))[1:]
    assert rows and {r[5] for r in rows if r[5][4:6] != "99"} <= {kaifeng}
    wb = load_workbook(io.BytesIO(content["tizhi"]), read_only=True)
    assert tuple(next(wb.active.iter_rows(values_only=True))) == synth.HEADERS["tizhi"]


@pytest.mark.django_db
def test_sample_files_without_schools_are_empty() -> None:
    from eduplus.governance.demo import sample_files

    assert sample_files(seed=7, province="41") == []


@pytest.mark.django_db
@pytest.mark.skipif(not HAS_IMPORTER, reason="governance.importing is not built yet")
def test_seed_demo_imports_and_resolves(
    demo_world: dict[str, Any], settings: Any, tmp_path: Path
) -> None:
    from eduplus.governance.demo import demo_dir, seed_demo
    from eduplus.governance.models import ImportBatch, QualityResult, ResolutionRun, SourceRecord
    from eduplus.people.models import Person

    settings.GOVERNANCE_DIR = tmp_path
    steward = f.user_with_role("data_steward", region="41", username="steward")
    said: list[str] = []
    rows = seed_demo(province="41", seed=2026, say=said.append)
    files = sorted(p.name for p in demo_dir().iterdir())
    assert "truth.csv" in files and any(n.endswith(".xlsx") for n in files)
    batches = list(ImportBatch.objects.order_by("id"))
    assert [b.source.code for b in batches] == list(synth.SOURCE_CODES)
    assert rows == sum(b.rows_read for b in batches)
    assert all(b.created_by == steward for b in batches)
    assert said and "governance" in said[0]
    # Every accepted record of a real student links to that student's person.
    truth = synth.read_truth(demo_dir())
    linked = {
        (code, key): pid
        for code, key, pid in SourceRecord.objects.filter(link__isnull=False).values_list(
            "source__code", "record_key", "link__person_id"
        )
    }
    assert set(truth) <= set(linked)
    assert all(str(linked[k]) == v for k, v in truth.items())
    assert Person.objects.filter(golden_id__startswith="G").count() == 14
    # One full resolution for the demo, and the scorecard computed from it.
    assert ResolutionRun.objects.filter(mode="full", status="done").count() == 1
    assert QualityResult.objects.filter(source__code="zizhu").exists()
