"""The shape of the synthetic province: agencies, schools and classes, decided up front.

Planning is cheap (tens of thousands of objects even at province scale) and fixes every
count, so the people phase knows all primary keys in advance and can write rows
without reading anything back.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass, field

from eduplus.demo.anchors import PLACEHOLDER_CITY_NAMES, Anchors, is_zone
from eduplus.demo.names import NICE_WORDS, ROADS, cn_number, place_name
from eduplus.demo.scales import ScaleSpec
from eduplus.regions.models import AgencyKind, Region, RegionLevel
from eduplus.schools.codes import TYPE_GRADES
from eduplus.schools.models import SchoolClass

# The school year the demo is set in: grade 1 entered on this day at age 6.
SCHOOL_YEAR_START = dt.date(2026, 9, 1)
STAGE_STARTS = (1, 7, 10, 13)  # first grades of 小学, 初中, 高中, 大学
HIGHER_TYPES = ("411", "415", "421")
K12_TYPES = ("111", "211", "218", "311", "312", "341", "342", "345", "365", "514")

# Base classes per grade (urban, rural) and base class size per type.
BASE_CLASSES: dict[str, tuple[float, float]] = {
    "111": (3, 2),
    "211": (5, 2.5),
    "218": (1, 1),
    "311": (8, 5),
    "312": (2.5, 2),
    "341": (8, 7),
    "342": (12, 10),
    "345": (3, 3),
    "365": (6, 5),
    "514": (1, 1),
    "411": (30, 30),
    "415": (20, 20),
    "421": (8, 8),
}
BASE_SIZE: dict[str, float] = {
    "111": 28,
    "211": 42,
    "218": 8,
    "311": 48,
    "312": 40,
    "341": 50,
    "342": 52,
    "345": 42,
    "365": 40,
    "514": 10,
    "411": 40,
    "415": 45,
    "421": 35,
}
MAX_SIZE: dict[str, int] = {"111": 40, "218": 20, "514": 16}
# Students per full-time teacher (生师比), roughly the national figures per stage.
STUDENTS_PER_TEACHER: dict[str, float] = {
    "111": 14,
    "211": 16,
    "218": 8,
    "311": 12.5,
    "312": 14,
    "341": 12.5,
    "342": 12.5,
    "345": 13,
    "365": 18,
    "514": 4,
    "411": 18,
    "415": 18,
    "421": 20,
}

# School mix per county kind, after the essentials (see ESSENTIALS).
MIX: dict[str, dict[str, float]] = {
    "rural": {
        "111": 0.28, "211": 0.30, "218": 0.16, "311": 0.10, "312": 0.07, "341": 0.02,
        "342": 0.03, "345": 0.005, "365": 0.015, "514": 0.005,
    },
    "district": {
        "111": 0.36, "211": 0.32, "311": 0.12, "312": 0.05, "341": 0.04, "342": 0.05,
        "345": 0.01, "365": 0.03, "514": 0.005,
    },
    "zone": {"111": 0.4, "211": 0.35, "311": 0.12, "312": 0.08, "342": 0.05},
}  # fmt: skip
ESSENTIALS: dict[str, tuple[str, ...]] = {
    "rural": ("211", "111", "311", "342", "218", "211", "218", "312", "365", "514"),
    "district": ("211", "111", "311", "342", "211", "111", "312", "365", "341", "514"),
    "zone": ("211", "111", "311", "211"),
    "showcase": (
        "211", "211", "211", "111", "111", "311", "312", "341", "342", "345", "365", "514",
        "211", "111", "311", "211", "111", "342",
    ),
}  # fmt: skip
NAME_SUFFIXES = ("教学点", "幼儿园", "小学", "中学", "学校", "中心", "学院", "大学")
KIND_WEIGHT = {"district": 1.0, "zone": 0.35, "county": 1.5, "city": 1.6}

SUBJECTS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # (subjects of every class, optional extra subjects)
    "kindergarten": (("学前教育",), ()),
    "primary": (("语文", "数学"), ("英语", "科学", "道德与法治", "音乐", "体育", "美术")),
    "point": (("语文", "数学"), ()),
    "junior": (("语文", "数学", "英语"), ("物理", "化学", "生物", "历史", "地理", "道德与法治")),
    "senior": (("语文", "数学", "英语"), ("物理", "化学", "生物", "历史", "地理", "思想政治")),
    "vocational": (
        ("语文", "数学"),
        ("计算机应用", "机电技术应用", "汽车运用与维修", "会计事务", "护理", "电子商务"),
    ),
    "special": (("特殊教育",), ("语文", "数学", "康复训练")),
    "higher": (
        ("大学英语",),
        ("高等数学", "计算机科学", "机械工程", "临床医学", "会计学", "汉语言文学", "土木工程"),
    ),
}


def subject_group(school_type: str, grade: int) -> str:
    if school_type == "111":
        return "kindergarten"
    if school_type == "218":
        return "point"
    if school_type == "514":
        return "special"
    if school_type == "365":
        return "vocational"
    if school_type in HIGHER_TYPES:
        return "higher"
    if grade <= 6:
        return "primary"
    if grade <= 9:
        return "junior"
    return "senior"


@dataclass
class CountyInfo:
    code: str
    name: str
    city_code: str
    city_label: str  # "" for placeholder cities
    kind: str  # district / zone / county / city
    index: int  # position in the province's county list


@dataclass
class AgencyPlan:
    region_id: str
    name: str
    kind: str
    address: str


@dataclass
class ClassPlan:
    id: int
    grade: int
    number: int
    entry_year: int
    name: str
    size: int = 0
    guardians: int = 0
    subjects: tuple[str, ...] = ()
    base: float = 0.0
    # Birth-date window of the class's students (inclusive ordinals).
    born_from: int = 0
    born_to: int = 0


@dataclass
class SchoolPlan:
    id: int
    code: str
    name: str
    school_type: str
    urban_rural: str
    region_id: str
    parent_id: int | None
    address: str
    authority: str
    level_label: str
    id_counties: tuple[str, ...]
    town: str = ""
    classes: list[ClassPlan] = field(default_factory=list)
    teachers: int = 0

    @property
    def students(self) -> int:
        return sum(c.size for c in self.classes)


@dataclass
class ProvincePlan:
    province: str
    province_name: str
    counties: list[CountyInfo]
    agencies: list[AgencyPlan]
    schools: list[SchoolPlan]

    @property
    def classes(self) -> int:
        return sum(len(s.classes) for s in self.schools)

    @property
    def students(self) -> int:
        return sum(s.students for s in self.schools)

    @property
    def teachers(self) -> int:
        return sum(s.teachers for s in self.schools)


def county_kind(name: str) -> str:
    if is_zone(name):
        return "zone"
    if name.endswith("区"):
        return "district"
    if name.endswith("市"):
        return "city"
    return "county"


def _allocate(total: int, weights: list[float]) -> list[int]:
    """Largest-remainder split of ``total`` by ``weights`` (deterministic)."""
    wsum = sum(weights) or 1.0
    raw = [total * w / wsum for w in weights]
    counts = [int(r) for r in raw]
    order = sorted(range(len(raw)), key=lambda i: (-(raw[i] - counts[i]), i))
    for i in order[: total - sum(counts)]:
        counts[i] += 1
    return counts


def birth_window(school_type: str, grade: int, entry_year: int) -> tuple[int, int]:
    """Inclusive birth-date ordinals for a class: grade 1 is 6 on 2026-09-01."""
    # Kindergarten: 小班 (entered this year) is 3; school: grade 1 is 6.
    age = 3 + (SCHOOL_YEAR_START.year - entry_year) if school_type == "111" else 5 + grade
    start = SCHOOL_YEAR_START
    hi = dt.date(start.year - age, start.month, start.day).toordinal()
    lo = dt.date(start.year - age - 1, start.month, start.day).toordinal() + 1
    return lo, hi


class Planner:
    def __init__(
        self,
        *,
        province: Region,
        spec: ScaleSpec,
        seed: int,
        anchors: Anchors,
        school_id_base: int,
        class_id_base: int,
        code_offsets: dict[str, int],
    ) -> None:
        self.province = province
        self.spec = spec
        self.rng = random.Random(f"eduplus-demo:{seed}:{province.code}:plan")
        self.anchors = anchors
        # The bases are the highest ids used: numbering starts after them (an id of 0
        # would read as "no school" wherever an id is tested for truth).
        self.next_school_id = school_id_base + 1
        self.next_class_id = class_id_base + 1
        self.code_seq = dict(code_offsets)
        self.names_taken: set[str] = set()

    # Regions ----------------------------------------------------------------------

    def _regions(self) -> tuple[list[Region], list[CountyInfo]]:
        code = self.province.code
        cities = list(
            Region.objects.filter(level=RegionLevel.CITY, code__startswith=code).order_by("code")
        )
        city_by_code = {c.code: c for c in cities}
        counties: list[CountyInfo] = []
        rows = Region.objects.filter(level=RegionLevel.COUNTY, code__startswith=code)
        for i, r in enumerate(rows.order_by("code")):
            city = city_by_code.get(r.code[:4])
            label = "" if city is None or city.name in PLACEHOLDER_CITY_NAMES else city.name
            counties.append(
                CountyInfo(r.code, r.name, r.code[:4], label, county_kind(r.name), index=i)
            )
        return cities, counties

    def _agencies(self, cities: list[Region], counties: list[CountyInfo]) -> list[AgencyPlan]:
        pname = self.province.name
        head = "教育委员会" if pname.endswith("市") else "教育厅"
        out = [
            AgencyPlan(
                self.province.code, f"{pname}{head}", AgencyKind.DEPARTMENT, self._office(pname)
            )
        ]
        for city in cities:
            if city.name in PLACEHOLDER_CITY_NAMES:
                continue
            out.append(
                AgencyPlan(
                    city.code,
                    f"{city.name}教育局",
                    AgencyKind.BUREAU,
                    self._office(pname + city.name),
                )
            )
        for c in counties:
            out.append(
                AgencyPlan(
                    c.code,
                    f"{c.name}教育局",
                    AgencyKind.BUREAU,
                    self._office(pname + c.city_label + c.name),
                )
            )
        return out

    def _office(self, place: str) -> str:
        return f"{place}{self.rng.choice(ROADS)}路{self.rng.randint(1, 200)}号"

    # Schools ----------------------------------------------------------------------

    def _code(self, school_type: str) -> str:
        prefix = school_type[:2]
        seq = self.code_seq.get(prefix, 0) + self.rng.randint(1, 3)
        if seq > 999_999:
            raise ValueError(f"学校标识码顺序号用尽 (prefix {prefix})")
        self.code_seq[prefix] = seq
        return f"{prefix}{self.province.code[:2]}{seq:06d}"

    def _unique(self, name: str) -> str:
        """The name, or a 第N variant of it: 第一初级中学 → 第二初级中学, 实验小学 →
        第二实验小学, 建设路小学 → 建设路第二小学."""
        if name not in self.names_taken:
            self.names_taken.add(name)
            return name
        suffix = next((x for x in NAME_SUFFIXES if name.endswith(x)), "")
        for n in range(2, 1000):
            nth = f"第{cn_number(n)}"
            if "第一" in name:
                candidate = name.replace("第一", nth, 1)
            elif "实验" in name:
                candidate = name.replace("实验", f"{nth}实验", 1)
            elif suffix:
                candidate = f"{name[: len(name) - len(suffix)]}{nth}{suffix}"
            else:
                candidate = f"{name}{n}"
            if candidate not in self.names_taken:
                self.names_taken.add(candidate)
                return candidate
        raise ValueError(f"cannot make a unique name from {name}")

    def _county_types(self, county: CountyInfo, n: int) -> list[str]:
        rng = self.rng
        if county.code in self.anchors.showcase:
            group = "showcase"
            mix = MIX["district" if county.kind == "district" else "rural"]
        elif county.kind == "zone":
            group, mix = "zone", MIX["zone"]
        elif county.kind == "district":
            group, mix = "district", MIX["district"]
        else:
            group, mix = "rural", MIX["rural"]
        types = list(ESSENTIALS[group][:n])
        keys = list(mix)
        weights = [mix[k] for k in keys]
        while len(types) < n:
            types.append(rng.choices(keys, weights)[0])
        parents = sum(1 for t in types if t in ("211", "312"))
        points = [i for i, t in enumerate(types) if t == "218"]
        for extra, i in enumerate(points):
            if extra >= 4 * parents:
                types[i] = "211"
        return types

    def _county_schools(self, county: CountyInfo, n: int) -> list[SchoolPlan]:
        rng = self.rng
        # Names are unique within a county (towns of different counties may share a
        # name, as real ones do).
        self.names_taken = set()
        types = self._county_types(county, n)
        pname = self.province.name
        place = pname + county.city_label + county.name
        authority = f"{county.name}教育局"
        urban = county.kind in ("district", "zone")
        town_names: set[str] = set()
        n_towns = max(2, min(30, sum(1 for t in types if t != "218") // 3))
        towns = [
            (place_name(rng, town_names), "镇" if rng.random() < 0.6 else "乡")
            for _ in range(n_towns)
        ]
        roads = list(ROADS)
        rng.shuffle(roads)
        road_i = 0
        ordinal: dict[str, int] = {}
        schools: list[SchoolPlan] = []
        village_names: set[str] = set(town_names)
        town_of_parent: dict[int, tuple[str, str]] = {}

        def next_road() -> str:
            nonlocal road_i
            road = roads[road_i % len(roads)]
            road_i += 1
            return road

        def nth(key: str) -> int:
            ordinal[key] = ordinal.get(key, 0) + 1
            return ordinal[key]

        def seat_address() -> str:
            return f"{place}{rng.choice(ROADS)}路{rng.randint(1, 300)}号"

        def seat_ur() -> str:
            if county.kind == "district":
                return "111" if rng.random() < 0.8 else "112"
            if county.kind == "zone":
                return "112" if rng.random() < 0.6 else "111"
            if county.kind == "city":
                return "111" if rng.random() < 0.7 else "112"
            return "121"

        def add(
            school_type: str,
            name: str,
            ur: str,
            address: str,
            *,
            town: str = "",
            parent: int | None = None,
        ) -> SchoolPlan:
            plan = SchoolPlan(
                id=0,
                code="",
                name=self._unique(name),
                school_type=school_type,
                urban_rural=ur,
                region_id=county.code,
                parent_id=parent,
                address=address,
                authority=authority,
                level_label="",
                id_counties=(county.code,),
                town=town,
            )
            schools.append(plan)
            return plan

        town_cursor: dict[str, int] = {}

        def next_town(kind: str) -> tuple[str, str]:
            i = town_cursor.get(kind, 0)
            town_cursor[kind] = i + 1
            return towns[i % len(towns)]

        cname = county.name
        for t in sorted((t for t in types if t != "218"), key=K12_TYPES.index):
            k = nth(t)
            rural_choice = not urban and k > 1 and rng.random() < 0.7
            if t == "111":
                if k == 1:
                    add(t, f"{cname}实验幼儿园", seat_ur(), seat_address())
                elif rural_choice:
                    tn, tk = next_town("111")
                    add(
                        t,
                        f"{tn}{tk}中心幼儿园",
                        "121" if tk == "镇" else "210",
                        f"{place}{tn}{tk}{rng.choice(ROADS)}街{rng.randint(1, 99)}号",
                        town=tn,
                    )
                elif rng.random() < 0.5:
                    add(t, f"{cname}{rng.choice(NICE_WORDS)}幼儿园", seat_ur(), seat_address())
                else:
                    add(t, f"{cname}第{cn_number(k)}幼儿园", seat_ur(), seat_address())
            elif t == "211":
                if k == 1:
                    add(t, f"{cname}实验小学", seat_ur(), seat_address())
                elif urban:
                    add(t, f"{cname}{next_road()}路小学", seat_ur(), seat_address())
                elif k <= n_towns + 1 and rng.random() < 0.75:
                    tn, tk = next_town("211")
                    p = add(
                        t,
                        f"{tn}{tk}中心小学",
                        "121" if tk == "镇" else "210",
                        f"{place}{tn}{tk}{rng.choice(ROADS)}街{rng.randint(1, 99)}号",
                        town=tn,
                    )
                    town_of_parent[id(p)] = (tn, tk)
                elif rng.random() < 0.25:
                    add(t, f"{cname}第{cn_number(k)}小学", seat_ur(), seat_address())
                else:
                    tn, tk = towns[rng.randrange(len(towns))]
                    vn = place_name(rng, village_names)
                    p = add(t, f"{tn}{tk}{vn}村小学", "220", f"{place}{tn}{tk}{vn}村", town=tn)
                    town_of_parent[id(p)] = (tn, tk)
            elif t == "311":
                if urban or k <= 2 or not rural_choice:
                    if urban and rng.random() < 0.3:
                        add(t, f"{cname}{next_road()}路中学", seat_ur(), seat_address())
                    else:
                        add(t, f"{cname}第{cn_number(k)}初级中学", seat_ur(), seat_address())
                else:
                    tn, tk = next_town("311")
                    name = f"{tn}{tk}第一初级中学" if tk == "镇" else f"{tn}{tk}初级中学"
                    add(
                        t,
                        name,
                        "121" if tk == "镇" else "210",
                        f"{place}{tn}{tk}{rng.choice(ROADS)}街{rng.randint(1, 99)}号",
                        town=tn,
                    )
            elif t == "312":
                if urban or k == 1:
                    name = f"{cname}实验学校" if k == 1 else f"{cname}{next_road()}路学校"
                    add(t, name, seat_ur(), seat_address())
                else:
                    tn, tk = next_town("312")
                    p = add(
                        t,
                        f"{tn}{tk}九年一贯制学校",
                        "121" if tk == "镇" else "210",
                        f"{place}{tn}{tk}{rng.choice(ROADS)}街{rng.randint(1, 99)}号",
                        town=tn,
                    )
                    town_of_parent[id(p)] = (tn, tk)
            elif t == "341":
                add(t, f"{cname}第{cn_number(k)}中学", seat_ur(), seat_address())
            elif t == "342":
                add(t, f"{cname}第{cn_number(k)}高级中学", seat_ur(), seat_address())
            elif t == "345":
                word = "外国语学校" if k == 1 else f"{rng.choice(NICE_WORDS)}学校"
                add(t, f"{cname}{word}", seat_ur(), seat_address())
            elif t == "365":
                names = ("职业教育中心", "中等专业学校", "职业技术学校")
                word = names[k - 1] if k <= len(names) else f"第{cn_number(k)}职业高级中学"
                add(t, f"{cname}{word}", seat_ur(), seat_address())
            elif t == "514":
                word = "特殊教育学校" if k == 1 else f"第{cn_number(k)}特殊教育学校"
                add(t, f"{cname}{word}", seat_ur(), seat_address())

        # Teaching points hang under primary / nine-year schools of the same county,
        # preferably rural ones, and take their town's name.
        parents = [s for s in schools if s.school_type in ("211", "312")]
        rural_parents = [s for s in parents if s.urban_rural in ("121", "210", "220")]
        pool = rural_parents or parents
        for _ in range(types.count("218")):
            parent = pool[rng.randrange(len(pool))]
            tn, tk = town_of_parent.get(id(parent)) or towns[rng.randrange(len(towns))]
            vn = place_name(rng, village_names)
            point = add("218", f"{tn}{tk}{vn}村教学点", "220", f"{place}{tn}{tk}{vn}村", town=tn)
            point.parent_id = -1 - schools.index(parent)  # resolved to an id below
        return schools

    def _higher(self, cities: list[Region], counties: list[CountyInfo]) -> list[SchoolPlan]:
        rng = self.rng
        self.names_taken = set()  # unique across the province
        count = self.spec.higher_ed
        if count <= 0:
            return []
        real = [c for c in cities if c.name not in PLACEHOLDER_CITY_NAMES]
        by_city: dict[str, list[str]] = {}
        for c in counties:
            if c.kind != "zone":
                by_city.setdefault(c.city_code, []).append(c.code)
        pname = self.province.name
        types = list(HIGHER_TYPES[:count])
        types += rng.choices(HIGHER_TYPES, (0.5, 0.4, 0.1), k=max(0, count - len(types)))
        out: list[SchoolPlan] = []
        head = "教育委员会" if pname.endswith("市") else "教育厅"
        for i, t in enumerate(types):
            # The capital takes a third; the rest go round the other cities.
            if real:
                city = real[0] if i % 3 == 0 or len(real) == 1 else real[1 + i % (len(real) - 1)]
                region, label = city.code, city.name
                id_counties = tuple(by_city.get(city.code, [])) or tuple(
                    c.code for c in counties if c.city_code == city.code
                )
                stem = city.name.removesuffix("市")
            else:
                region, label = self.province.code, ""
                id_counties = tuple(c.code for c in counties if c.kind != "zone")
                stem = pname.removesuffix("市").removesuffix("省")
            if not id_counties:
                continue
            if t == "411":
                word = rng.choice(
                    ("学院", "理工学院", "科技学院", "师范学院", "医学院", "工程学院", "财经学院")
                )
                level = "本科"
            elif t == "415":
                word = rng.choice(("", "工业", "信息", "交通", "财经", "建筑", "农业", "卫生"))
                word += "职业技术学院"
                level = "专科"
            else:
                word = rng.choice(("开放大学", "教育学院", "职工大学"))
                level = "专科"
            name = self._unique(f"{stem}{word}")
            out.append(
                SchoolPlan(
                    id=0,
                    code="",
                    name=name,
                    school_type=t,
                    urban_rural="111",
                    region_id=region,
                    parent_id=None,
                    address=f"{pname}{label}{rng.choice(ROADS)}路{rng.randint(1, 300)}号",
                    authority=f"{pname}{head}",
                    level_label=level,
                    id_counties=id_counties,
                )
            )
        return out

    # Classes ----------------------------------------------------------------------

    def _classes(self, school: SchoolPlan) -> None:
        rng = self.rng
        t = school.school_type
        urban = school.urban_rural in ("111", "112")
        base_cpg = BASE_CLASSES[t][0 if urban else 1]
        if school.urban_rural == "220" and t == "211":
            base_cpg = 1
        lo, hi = TYPE_GRADES[t]
        if t == "218":
            hi = rng.randint(2, hi)
        units: list[tuple[int, int, str]] = []  # grade, entry year, label
        year = SCHOOL_YEAR_START.year
        if t == "111":
            for band, label in enumerate(("小", "中", "大")):
                units.append((0, year - band, label))
        else:
            for grade in range(lo, hi + 1):
                stage = max(s for s in STAGE_STARTS if s <= grade)
                units.append((grade, year - (grade - stage), ""))
        size_base = BASE_SIZE[t] * (0.6 if (t == "211" and school.urban_rural == "220") else 1)
        for grade, entry_year, label in units:
            if t in ("218", "514"):
                cpg = 1
            else:
                cpg = max(1, round(base_cpg * self.spec.class_scale * rng.uniform(0.6, 1.4)))
            for number in range(1, cpg + 1):
                if label:
                    name = f"{label}（{number}）班"
                else:
                    name = SchoolClass.default_name(grade, number)
                born_from, born_to = birth_window(t, grade, entry_year)
                group = subject_group(t, grade)
                core, extra = SUBJECTS[group]
                subjects = list(core)
                if extra:
                    k = min(len(extra), rng.randint(1, 2))
                    subjects += rng.sample(extra, k)
                school.classes.append(
                    ClassPlan(
                        id=0,
                        grade=grade,
                        number=number,
                        entry_year=entry_year,
                        name=name,
                        subjects=tuple(subjects),
                        base=size_base * rng.uniform(0.85, 1.15),
                        born_from=born_from,
                        born_to=born_to,
                    )
                )

    def _calibrate(self, schools: list[SchoolPlan]) -> None:
        """Scale class sizes so the province has about ``spec.students`` students."""
        rng = self.rng
        seats = sum(c.base for s in schools for c in s.classes) or 1.0
        factor = self.spec.students / seats
        for s in schools:
            cap = MAX_SIZE.get(s.school_type, 65)
            floor = 2 if s.school_type == "218" else 3
            for c in s.classes:
                c.size = max(floor, min(cap, round(c.base * factor)))
                extra = round((c.size - 1) * self.spec.guardian_ratio * rng.uniform(0.5, 1.5))
                # Adults at university have no guardian on record.
                c.guardians = 0 if s.school_type in HIGHER_TYPES else min(c.size, 1 + extra)
            per = STUDENTS_PER_TEACHER[s.school_type] * rng.uniform(0.9, 1.1)
            floor_t = 1 if s.school_type == "218" else max(2, math.ceil(len(s.classes) / 3))
            s.teachers = max(floor_t, round(s.students / per))

    # The whole plan -----------------------------------------------------------------

    def plan(self) -> ProvincePlan:
        cities, counties = self._regions()
        agencies = self._agencies(cities, counties)
        spec = self.spec
        showcase = set(self.anchors.showcase)
        weights = [KIND_WEIGHT[c.kind] for c in counties]
        if spec.max_counties:
            # A few counties only (tests): the showcase ones and some rural counties.
            rural = [c.code for c in counties if c.kind in ("county", "city")]
            others = rural or [c.code for c in counties if c.code not in showcase]
            picked = set(self.rng.sample(others, min(len(others), spec.max_counties - 2)))
            weights = [KIND_WEIGHT[c.kind] if c.code in picked else 0.0 for c in counties]
        fixed = sum(spec.showcase_min for c in counties if c.code in showcase)
        spread = _allocate(max(0, spec.schools - fixed), weights)
        schools: list[SchoolPlan] = []
        for county, n in zip(counties, spread, strict=True):
            n = max(n, spec.county_min)
            if county.code in showcase:
                n += spec.showcase_min
            if n <= 0:
                continue
            local = self._county_schools(county, n)
            first = len(schools)
            schools.extend(local)
            for s in local:
                if s.parent_id is not None and s.parent_id < 0:
                    s.parent_id = -1 - s.parent_id + first  # index in ``schools`` for now
        schools.extend(self._higher(cities, counties))
        for s in schools:
            s.id = self.next_school_id
            self.next_school_id += 1
            s.code = self._code(s.school_type)
        for s in schools:
            if s.parent_id is not None:
                s.parent_id = schools[s.parent_id].id
            self._classes(s)
            for c in s.classes:
                c.id = self.next_class_id
                self.next_class_id += 1
        self._calibrate(schools)
        return ProvincePlan(
            province=self.province.code,
            province_name=self.province.name,
            counties=counties,
            agencies=agencies,
            schools=schools,
        )
