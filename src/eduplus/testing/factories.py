"""factory_boy factories shared by every test module (synthetic people only)."""

from __future__ import annotations

import datetime as dt
import itertools

import factory

from eduplus.accounts.models import RoleAssignment, User
from eduplus.core import idnumber
from eduplus.people.models import Guardianship, Person, Student, Teacher, TeachingAssignment
from eduplus.regions.models import Region
from eduplus.schools.models import School, SchoolClass

DEMO_PASSWORD = "Test@Pass2026"  # noqa: S105 - synthetic test accounts only
_seq = itertools.count(1)


def region(code: str) -> Region:
    return Region.objects.get(code=code)


def school_code(prefix: str = "21", province: str = "41") -> str:
    return f"{prefix}{province}{next(_seq):06d}"


class SchoolFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = School

    code = factory.LazyAttribute(lambda o: school_code(o.school_type[:2], str(o.region.code)[:2]))
    name = factory.Sequence(lambda n: f"测试第{n}小学")
    school_type = "211"
    urban_rural = "111"
    region = factory.LazyFunction(lambda: Region.objects.get(code="410102"))


class SchoolClassFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SchoolClass

    school = factory.SubFactory(SchoolFactory)
    grade = 3
    number = factory.Sequence(lambda n: n % 20 + 1)
    entry_year = factory.Sequence(lambda n: 2000 + n)
    name = factory.LazyAttribute(lambda o: SchoolClass.default_name(o.grade, o.number))


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    name = factory.Sequence(lambda n: f"张测{n}")
    gender = 1
    birth_date = dt.date(2015, 3, 5)
    id_number = factory.LazyAttributeSequence(
        lambda o, n: idnumber.make("410102", o.birth_date, n, o.gender)
    )


class StudentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Student

    person = factory.SubFactory(PersonFactory)
    klass = factory.SubFactory(SchoolClassFactory)
    school = factory.LazyAttribute(lambda o: o.klass.school)
    region = factory.LazyAttribute(lambda o: o.school.region)
    grade = factory.LazyAttribute(lambda o: o.klass.grade)


class TeacherFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Teacher

    person = factory.SubFactory(PersonFactory, birth_date=dt.date(1985, 6, 1))
    school = factory.SubFactory(SchoolFactory)
    region = factory.LazyAttribute(lambda o: o.school.region)
    subject = "数学"


class TeachingAssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TeachingAssignment

    teacher = factory.SubFactory(TeacherFactory)
    klass = factory.SubFactory(SchoolClassFactory)
    subject = "数学"


class GuardianshipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Guardianship

    guardian = factory.SubFactory(PersonFactory, birth_date=dt.date(1986, 1, 1))
    child = factory.SubFactory(PersonFactory)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    display_name = factory.Sequence(lambda n: f"用户{n}")
    password = factory.PostGenerationMethodCall("set_password", DEMO_PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):  # type: ignore[no-untyped-def]
        if create:
            obj.save()


class RoleAssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RoleAssignment

    user = factory.SubFactory(UserFactory)
    role = "county_officer"


def user_with_role(
    role: str,
    *,
    region: str | None = None,
    school: School | None = None,
    person: Person | None = None,
    username: str | None = None,
) -> User:
    kwargs: dict[str, object] = {"person": person} if person is not None else {}
    if username:
        kwargs["username"] = username
    user: User = UserFactory(**kwargs)  # type: ignore[assignment]
    RoleAssignment.objects.create(
        user=user,
        role=role,
        region=Region.objects.get(code=region) if region else None,
        school=school,
    )
    return user


# --------------------------------------------------------------- inspections (双随机)


class InspectorPoolFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "inspections.InspectorPool"

    name = factory.Sequence(lambda n: f"检查人员库{n}")
    region = factory.LazyFunction(lambda: Region.objects.get(code="41"))


class InspectorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "inspections.Inspector"

    pool = factory.SubFactory(InspectorPoolFactory)
    name = factory.Sequence(lambda n: f"检查员{n}")
    organisation = factory.LazyAttribute(lambda o: f"{o.home_region.name}教育局")
    home_region = factory.LazyFunction(lambda: Region.objects.get(code="410105"))
    specialty = "信息化建设"


class InspectionPlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "inspections.InspectionPlan"

    title = factory.Sequence(lambda n: f"专项抽查{n}")
    subject = "信息化建设与应用"
    region = factory.LazyFunction(lambda: Region.objects.get(code="41"))
    pool = factory.SubFactory(InspectorPoolFactory)
    school_count = 1
    inspectors_per_school = 1


def sibling_county(code: str) -> Region:
    """Another county of the same city (an inspector there is not conflicted in ``code``)."""
    return Region.objects.filter(parent_id=code[:4], level=3).exclude(code=code).order_by("code")[0]


def inspection_objects(county_code: str) -> dict[str, object]:
    """A pool, inspectors and a drawn plan with one recorded result in a county (for the
    scope walk). Idempotent: the same objects on every call within a test."""
    from eduplus.inspections import services
    from eduplus.inspections.models import (
        InspectionPlan,
        InspectionTarget,
        Inspector,
        InspectorPool,
    )

    county = Region.objects.get(code=county_code)
    pool = InspectorPool.objects.filter(region=county, name="走查人员库").first()
    if pool is None:
        pool = InspectorPoolFactory(region=county, name="走查人员库")  # type: ignore[assignment]
        other = sibling_county(county_code)
        for k in range(3):
            InspectorFactory(pool=pool, home_region=other, name=f"走查检查员{k}")
    plan = InspectionPlan.objects.filter(region=county, title="走查抽查计划").first()
    if plan is None:
        draft: InspectionPlan = InspectionPlanFactory(  # type: ignore[assignment]
            region=county, pool=pool, title="走查抽查计划", school_count=2, inspectors_per_school=2
        )
        plan = services.plan_draw(actor=None, plan=draft, seed="ab" * 32)
    target = InspectionTarget.objects.filter(plan=plan).order_by("position").first()
    if target is not None and not hasattr(target, "result"):
        services.result_record(
            actor=None,
            target=target,
            inspected_on=dt.date(2026, 4, 1),
            findings="走查发现",
            conclusion="pass",
        )
    return {
        "pool": pool,
        "inspector": Inspector.objects.filter(pool=pool).order_by("id").first(),
        "plan": plan,
        "target": target,
    }


def public_inspection_plan() -> object:
    """A drawn, published plan with a published result, in 金水区 (410105) with schools
    and inspectors of its own: nothing of the world's sentinel counties."""
    from eduplus.inspections import services
    from eduplus.inspections.models import InspectionPlan, InspectionTarget

    plan = InspectionPlan.objects.filter(title="公示测试计划").first()
    if plan is not None:
        return plan
    county = Region.objects.get(code="410105")
    for k in range(3):
        SchoolFactory(region=county, name=f"公示测试第{k}小学")
    pool = InspectorPoolFactory(region=Region.objects.get(code="4101"), name="公示测试人员库")
    for _k in range(3):
        InspectorFactory(pool=pool, home_region=Region.objects.get(code="410103"))
    draft: InspectionPlan = InspectionPlanFactory(  # type: ignore[assignment]
        region=county, pool=pool, title="公示测试计划", school_count=2, inspectors_per_school=1
    )
    plan = services.plan_draw(actor=None, plan=draft, seed="cd" * 32)
    services.plan_publish(actor=None, plan=plan)
    target = InspectionTarget.objects.filter(plan=plan).order_by("position").first()
    assert target is not None
    services.result_record(
        actor=None,
        target=target,
        inspected_on=dt.date(2026, 4, 2),
        findings="公示测试发现",
        conclusion="basic",
        rectification="公示测试整改要求",
        rectification_deadline=dt.date(2026, 5, 2),
    )
    services.result_publish(actor=None, target=target)
    return plan


# ---------------------------------------------------------------- reporting (通用信息报送)

REPORT_FIELDS: list[dict[str, object]] = [
    {"code": "ordinary_rooms", "label": "普通教室数", "kind": "integer", "required": True,
     "min_value": 0, "max_value": 500, "unit": "间"},
    {"code": "multimedia_rooms", "label": "多媒体教室数", "kind": "integer", "required": True,
     "min_value": 0, "max_value": 500, "unit": "间"},
    {"code": "bandwidth", "label": "出口带宽", "kind": "decimal", "min_value": 0, "unit": "Mbps"},
    {"code": "officer", "label": "网络安全负责人", "kind": "text", "max_length": 8},
    {"code": "wifi", "label": "无线全覆盖", "kind": "boolean"},
    {"code": "checked_on", "label": "检查日期", "kind": "date"},
    {"code": "access", "label": "接入方式", "kind": "choice", "options_text": "1 光纤\n2 无线"},
    {"code": "platforms", "label": "应用平台", "kind": "multichoice",
     "options_text": "a 国家平台\nb 省级平台\nc 校管系统"},
]  # fmt: skip
REPORT_RULES = [("multimedia_rooms <= ordinary_rooms", "多媒体教室数不能多于普通教室数")]


def report_form(officer: User, *, title: str = "信息化基础数据", fields=None, rules=None):  # type: ignore[no-untyped-def]
    """A form designed by ``officer`` with the usual fields (every type) and rule."""
    from eduplus.reporting import services

    form = services.form_create(actor=officer, title=title)
    for spec in REPORT_FIELDS if fields is None else fields:
        services.form_field_add(actor=officer, form=form, **spec)  # type: ignore[arg-type]
    for expression, message in REPORT_RULES if rules is None else rules:
        services.form_rule_add(actor=officer, form=form, expression=expression, message=message)
    return form


def report_task(  # type: ignore[no-untyped-def]
    officer: User, *, title: str = "2026年度信息化报送", deadline=None, form=None, **targets
):
    """A task of ``officer`` over the schools they see (``targets``: TaskTargets fields)."""
    from eduplus.reporting import services

    return services.task_assign(
        actor=officer,
        form=form or report_form(officer),
        title=title,
        period="2026年度",
        deadline=deadline or dt.date(2099, 12, 31),
        targets=services.TaskTargets(**targets),
    )


def report_world(county):  # type: ignore[no-untyped-def]
    """A county officer's task over one county of the `world` (its school and teaching
    point), made once per county and kept on it: .form .task .school_submission
    .tp_submission. The title carries the county's sentinel tag (甲哨兵 / 乙哨兵)."""
    cached = getattr(county, "_report_world", None)
    if cached is not None:
        return cached
    from types import SimpleNamespace

    officer = county.users["county_officer"]
    task = report_task(officer, title=f"{county.school.name[:3]}报送任务")
    subs = {s.school_id: s for s in task.submissions.all()}
    cached = SimpleNamespace(
        form=task.form,
        task=task,
        school_submission=subs[county.school.pk],
        tp_submission=subs[county.teaching_point.pk],
    )
    county._report_world = cached
    return cached


# ------------------------------------------------------------- data governance (数据治理)


def governance_objects(county):  # type: ignore[no-untyped-def]
    """A done import batch in the county with the county's two students as source
    records, the golden record of the first, and an open review between the two (for
    the scope walk). Idempotent within a test."""
    from eduplus.governance.models import (
        GoldenRecord,
        ImportBatch,
        MatchReview,
        RecordLink,
        SourceRecord,
        SourceSystem,
    )

    region = Region.objects.get(code=county.code)
    source = SourceSystem.objects.get(code="xueji")
    batch = ImportBatch.objects.filter(region=region, file_name="走查学籍.csv").first()
    if batch is None:
        batch = ImportBatch.objects.create(
            source=source,
            file_name="走查学籍.csv",
            file_sha256=f"{county.code:0>64}",
            region=region,
            status="done",
            rows_read=2,
            rows_accepted=2,
        )
        records = []
        for row, student in enumerate((county.student, county.other_student), start=2):
            person = student.person
            records.append(
                SourceRecord.objects.create(
                    batch=batch,
                    source=source,
                    row_number=row,
                    record_key=str(row - 1),
                    status="accepted",
                    person_type="student",
                    name=person.name,
                    id_number=person.id_number or "",
                    id_valid=bool(person.id_number),
                    birth_date=person.birth_date,
                    gender=person.gender,
                    school_code=student.school.code,
                    school=student.school,
                    region=region,
                    grade=student.grade,
                )
            )
            RecordLink.objects.create(record=records[-1], person=person)
        GoldenRecord.objects.create(
            person=county.student.person,
            region=region,
            school=county.student.school,
            grade=county.student.grade,
            record_count=1,
            source_count=1,
            src_name=records[0].pk,
        )
        MatchReview.objects.create(
            left=records[0], right=records[1], probability=0.7, region=region
        )
    return {
        "batch": batch,
        "golden": GoldenRecord.objects.get(person=county.student.person),
        "review": MatchReview.objects.get(left__batch=batch),
    }


def quality_rule_pk() -> int:
    from eduplus.governance.models import QualityRule

    return QualityRule.objects.order_by("pk").values_list("pk", flat=True)[0]


def catalog_dataset_code() -> str:
    from eduplus.governance.catalog import catalog_sync

    catalog_sync()
    return "golden:students"
