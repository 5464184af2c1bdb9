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
