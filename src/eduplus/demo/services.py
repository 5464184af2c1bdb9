"""``eduplus seed``: a deterministic synthetic province over the real GB/T 2260 codes.

Phases: plan (regions → agencies, schools, classes, all counts fixed up front), write
the organisation rows, generate and write the people (set-based, primary keys assigned
here), rebuild indexes if they were dropped, recompute the schools' headcounts, create
the demo accounts. Each phase prints its row count, elapsed time and rate.
"""

from __future__ import annotations

import contextlib
import importlib
import random
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.conf import settings
from django.db import connection, models, transaction
from django.utils import timezone

from eduplus.accounts.models import User
from eduplus.core.audit import audit_record
from eduplus.core.models import AuditEntry
from eduplus.core.roles import THREE_ADMIN_ROLES, Role
from eduplus.demo.accounts import DEMO_USERNAMES, create_demo_accounts
from eduplus.demo.anchors import demo_anchors
from eduplus.demo.names import NameMaker
from eduplus.demo.people import PEOPLE_TABLES, Counters, IdNumbers, PeopleGenerator, rows_of
from eduplus.demo.plan import Planner, ProvincePlan
from eduplus.demo.scales import SCALES, ScaleSpec
from eduplus.demo.writer import (
    BulkWriter,
    DroppedIndexes,
    Table,
    bulk_load_settings,
    id_base,
    quote,
    reset_sequences,
)
from eduplus.people.models import Guardianship, Person, Student, Teacher, TeachingAssignment
from eduplus.regions.models import Agency, Region, RegionLevel
from eduplus.schools.models import School, SchoolClass
from eduplus.schools.services import school_headcounts_refresh

AGENCY = Table.of(Agency, ("id", "name", "kind", "region_id", "address", "phone"))
SCHOOL = Table.of(
    School,
    (
        "id", "code", "name", "school_type", "urban_rural", "region_id", "parent_school_id",
        "authority", "level_label", "address", "remarks", "student_count", "teacher_count",
        "class_count", "created_at", "updated_at",
    ),
)  # fmt: skip
CLASS = Table.of(SchoolClass, ("id", "grade", "number", "entry_year", "name", "school_id"))
ORG_TABLES = (AGENCY, SCHOOL, CLASS)
PEOPLE_MODELS: tuple[type[models.Model], ...] = (
    Person,
    Student,
    Teacher,
    TeachingAssignment,
    Guardianship,
)
# Modules whose ``demo.seed_demo(*, province, seed, say) -> rows`` runs after the
# accounts exist (a module must cope with missing demo accounts: ``accounts=False``).
DEMO_MODULES: tuple[str, ...] = (
    "eduplus.monitoring.demo",
    "eduplus.reporting.demo",
    "eduplus.inspections.demo",
    "eduplus.resources.demo",
    "eduplus.lessons.demo",
    "eduplus.spaces.demo",
    "eduplus.governance.demo",
    "eduplus.aggregation.demo",
)
ALL_MODELS: tuple[type[models.Model], ...] = (Agency, School, SchoolClass, *PEOPLE_MODELS)


class Output(Protocol):
    def write(self, msg: str, /) -> Any: ...


class SeedRefused(Exception):
    """The database already holds schools and no reset was asked for."""


@dataclass
class PhaseTiming:
    name: str
    rows: int
    seconds: float
    written: bool = True  # False: rows updated or rebuilt, not inserted

    @property
    def rate(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else 0.0


@dataclass
class SeedReport:
    scale: str
    seed: int
    province: str
    phases: list[PhaseTiming] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def rows(self) -> int:
        return sum(p.rows for p in self.phases if p.written)

    @property
    def rate(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else 0.0


class _Say:
    def __init__(self, out: Output | None) -> None:
        self.out = out

    def __call__(self, msg: str) -> None:
        if self.out is not None:
            self.out.write(msg + "\n")
            flush = getattr(self.out, "flush", None)
            if flush is not None:
                flush()


def _fmt_rate(rows: int, seconds: float) -> str:
    rate = rows / seconds if seconds > 0 else 0.0
    return f"{rows:,} rows in {seconds:.1f}s ({rate:,.0f} rows/s)"


def seed_database_is_empty() -> bool:
    return not School.objects.exists()


def resolve_scale(scale: str | ScaleSpec) -> ScaleSpec:
    if isinstance(scale, ScaleSpec):
        return scale
    try:
        return SCALES[scale]
    except KeyError:
        raise ValueError(f"unknown scale {scale!r}; choose from {', '.join(SCALES)}") from None


# Reset ---------------------------------------------------------------------------------


def seed_reset(*, stdout: Output | None = None) -> dict[str, int]:
    """Delete the demo data: people, classes, schools, agencies and every account except
    the deployment's own administrators. The audit log is append-only and is kept.

    On SQLite outside any transaction, foreign-key enforcement is switched off for the
    deletes (so whole-table deletes take SQLite's truncate path: seconds instead of
    minutes for a province) and every foreign key of the database is checked before the
    commit, so a dangling reference still rolls everything back.
    """
    say = _Say(stdout)
    started = time.perf_counter()
    deleted: dict[str, int] = {}
    fast = connection.vendor == "sqlite" and not connection.in_atomic_block
    checks_off = connection.constraint_checks_disabled() if fast else contextlib.nullcontext()
    with checks_off, transaction.atomic():
        keep = set(
            User.objects.filter(role_assignments__role__in=THREE_ADMIN_ROLES)
            .exclude(username__in=DEMO_USERNAMES)
            .exclude(role_assignments__role__in=_non_admin_roles())
            .values_list("pk", flat=True)
        )
        # Modules whose demo data is not reached through our tables clear it first.
        for module_name in DEMO_MODULES:
            reset_hook = getattr(importlib.import_module(module_name), "reset_demo", None)
            if reset_hook is not None:
                reset_hook()
        users = User.objects.exclude(pk__in=keep)
        deleted["accounts"] = users.count()
        users.delete()  # role assignments and password history cascade
        # Rows of other apps that point at our tables go first, through the ORM so
        # their own cascades apply (they are few; ours are bulk-deleted below).
        ours = set(ALL_MODELS) | {User, AuditEntry}
        for model in ALL_MODELS:
            # Hidden relations too (related_name="+"): a reverse accessor is no reason
            # for a row of another app to survive the reset.
            relations = [
                f
                for f in model._meta.get_fields(include_hidden=True)
                if isinstance(f, models.ForeignObjectRel) and (f.one_to_many or f.one_to_one)
            ]
            for rel in relations:
                related = rel.related_model
                if related in ours or not isinstance(related, type):
                    continue
                related._base_manager.filter(  # type: ignore[attr-defined]
                    **{f"{rel.field.name}__isnull": False}
                ).delete()
        # Persons with an account that is kept (an administrator's) stay.
        linked = User.objects.filter(person__isnull=False).exists()
        where = f"id NOT IN (SELECT person_id FROM {_q(User)} WHERE person_id IS NOT NULL)"  # noqa: S608
        statements: list[tuple[str, str]] = [
            ("teaching assignments", _delete(TeachingAssignment)),
            ("guardianships", _delete(Guardianship)),
            ("students", _delete(Student)),
            ("teachers", _delete(Teacher)),
            ("persons", _delete(Person, where if linked else "")),
            ("classes", _delete(SchoolClass)),
            ("schools", _delete(School)),
            ("agencies", _delete(Agency)),
        ]
        with connection.cursor() as cursor:
            for label, sql in statements:
                cursor.execute(sql)
                deleted[label] = cursor.rowcount
        if fast:
            connection.check_constraints()  # every table: raises on a dangling reference
        audit_record(actor=None, action="demo.reset", details=deleted)
    say(
        "reset: "
        + ", ".join(f"{k} {v:,}" for k, v in deleted.items())
        + f" ({time.perf_counter() - started:.1f}s; audit log kept)"
    )
    return deleted


def _non_admin_roles() -> list[str]:
    return [r for r in Role.values if r not in THREE_ADMIN_ROLES]


def _q(model: type[models.Model]) -> str:
    return quote(model._meta.db_table)


def _delete(model: type[models.Model], where: str = "") -> str:
    sql = f"DELETE FROM {quote(model._meta.db_table)}"  # noqa: S608 - identifiers from models
    return f"{sql} WHERE {where}" if where else sql


# Seed ----------------------------------------------------------------------------------


def _code_offsets(province: str) -> dict[str, int]:
    """Highest 6-digit sequence already used per type prefix in this province."""
    offsets: dict[str, int] = {}
    for code in School.objects.filter(code__regex=rf"^[0-9]{{2}}{province[:2]}").values_list(
        "code", flat=True
    ):
        prefix, seq = code[:2], int(code[4:])
        offsets[prefix] = max(offsets.get(prefix, 0), seq)
    return offsets


def _taken_id_numbers(province: str) -> set[str]:
    numbers = Person.objects.filter(id_number__startswith=province[:2]).values_list(
        "id_number", flat=True
    )
    return {n for n in numbers if n}


def plan_province(*, scale: str | ScaleSpec, seed: int, province: str) -> ProvincePlan:
    """The plan alone (no writes): used by the seed and by tests of coverage."""
    spec = resolve_scale(scale)
    region = Region.objects.get(code=province, level=RegionLevel.PROVINCE)
    planner = Planner(
        province=region,
        spec=spec,
        seed=seed,
        anchors=demo_anchors(province),
        school_id_base=id_base(School),
        class_id_base=id_base(SchoolClass),
        code_offsets=_code_offsets(province),
    )
    return planner.plan()


def seed_province(
    *,
    scale: str | ScaleSpec,
    seed: int = 2026,
    province: str | None = None,
    stdout: Output | None = None,
    reset: bool = False,
    accounts: bool = True,
) -> SeedReport:
    """Seed a synthetic province. Refuses (SeedRefused) if schools exist, unless ``reset``."""
    spec = resolve_scale(scale)
    province = province or settings.EDUPLUS_PROVINCE
    say = _Say(stdout)
    if not Region.objects.filter(code=province, level=RegionLevel.PROVINCE).exists():
        raise ValueError(f"unknown province code {province}")
    if reset:
        seed_reset(stdout=stdout)
    elif not seed_database_is_empty():
        raise SeedRefused("数据库中已有学校数据")
    report = SeedReport(scale=spec.name, seed=seed, province=province)
    t_all = time.perf_counter()

    def phase(
        name: str, rows: int, started: float, *, written: bool = True, unit: str = "rows"
    ) -> None:
        seconds = time.perf_counter() - started
        report.phases.append(PhaseTiming(name, rows, seconds, written))
        if written:
            say(f"[{name}] {_fmt_rate(rows, seconds)}")
        else:
            say(f"[{name}] {rows:,} {unit} in {seconds:.1f}s")

    say(f"seed: scale={spec.name} seed={seed} province={province} database={connection.vendor}")

    # 1. Plan.
    started = time.perf_counter()
    plan = plan_province(scale=spec, seed=seed, province=province)
    expected = rows_of(plan.schools)
    say(
        f"[plan] {len(plan.agencies):,} agencies, {len(plan.schools):,} schools, "
        f"{plan.classes:,} classes, {expected['students']:,} students, "
        f"{expected['teachers']:,} teachers, {expected['guardianships']:,} guardians "
        f"({time.perf_counter() - started:.1f}s)"
    )

    sqlite = connection.vendor == "sqlite"
    with bulk_load_settings(cache_mib=spec.sqlite_cache_mib), transaction.atomic():
        # 2. Organisation rows: agencies, schools, classes.
        started = time.perf_counter()
        org = BulkWriter(ORG_TABLES, batch_rows=spec.batch_rows)
        agency_id = id_base(Agency)
        org.add(
            AGENCY,
            (
                (agency_id + i + 1, a.name, a.kind, a.region_id, a.address, "")
                for i, a in enumerate(plan.agencies)
            ),
        )
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        by_id = sorted(plan.schools, key=lambda s: (s.parent_id is not None, s.id))
        org.add(
            SCHOOL,
            (
                (s.id, s.code, s.name, s.school_type, s.urban_rural, s.region_id, s.parent_id,
                 s.authority, s.level_label, s.address, "", s.students, s.teachers,
                 len(s.classes), now, now)
                for s in by_id
            ),
        )  # fmt: skip
        org.add(
            CLASS,
            (
                (c.id, c.grade, c.number, c.entry_year, c.name, s.id)
                for s in plan.schools
                for c in s.classes
            ),
        )
        org.flush()
        phase("schools", org.stats.total, started)

        # 3. People.
        started = time.perf_counter()
        indexes = DroppedIndexes([t.name for t in PEOPLE_TABLES], enabled=spec.drop_indexes)
        indexes.drop()
        writer = BulkWriter(PEOPLE_TABLES, batch_rows=spec.batch_rows)
        generator = PeopleGenerator(
            seed=seed,
            province=province,
            writer=writer,
            ids=IdNumbers(_taken_id_numbers(province)),
            names=NameMaker(random.Random(f"eduplus-demo:{seed}:names")),
            next_ids=Counters(
                person=id_base(Person) + 1,
                student=id_base(Student) + 1,
                teacher=id_base(Teacher) + 1,
                assignment=id_base(TeachingAssignment) + 1,
                guardianship=id_base(Guardianship) + 1,
            ),
        )
        total_students = max(1, expected["students"])
        done_students = 0
        next_report = 0.1 if total_students > 200_000 else 2.0  # progress lines if big
        for school in plan.schools:
            generator.school(school)
            done_students += school.students
            if done_students / total_students >= next_report:
                elapsed = time.perf_counter() - started
                rows = writer.stats.total + sum(len(b) for b in writer.buffers.values())
                say(
                    f"  people {done_students / total_students:4.0%}: "
                    f"{_fmt_rate(rows, elapsed)}, write {writer.stats.seconds:.0f}s"
                )
                next_report += 0.1
        writer.flush()
        phase("people", writer.stats.total, started)
        if indexes.saved:
            started = time.perf_counter()
            indexes.rebuild(lambda name, s: say(f"  index {name}: {s:.1f}s"))
            phase("indexes", len(indexes.saved), started, written=False, unit="indexes rebuilt")
        reset_sequences(ALL_MODELS)
        if connection.vendor == "postgresql":
            # Fresh statistics, or the planner guesses from empty tables (the headcount
            # refresh below went from 48s to under a second at county scale).
            started = time.perf_counter()
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE " + ", ".join(_q(m) for m in ALL_MODELS))
            phase("analyze", len(ALL_MODELS), started, written=False, unit="tables analysed")

        # 4. Headcounts from the rosters (the home pages sum these).
        started = time.perf_counter()
        updated = school_headcounts_refresh()
        phase("headcounts", updated, started, written=False, unit="schools updated")
        report.counts = {
            "agencies": len(plan.agencies),
            "schools": len(plan.schools),
            "classes": plan.classes,
            **{k: v for k, v in writer.stats.rows.items()},
        }
        audit_record(
            actor=None,
            action="demo.seed",
            details={"scale": spec.name, "seed": seed, "province": province, **report.counts},
        )

    # 5. Demo accounts (after the roster exists: the teacher, student, parent are people).
    if accounts:
        started = time.perf_counter()
        users = create_demo_accounts(demo_anchors(province), say=say)
        phase("accounts", len(users), started)
    # 6. Each module's own demo data (facts, report tasks, inspection plans...).
    for module_name in DEMO_MODULES:
        started = time.perf_counter()
        module = importlib.import_module(module_name)
        with transaction.atomic():
            rows = module.seed_demo(province=province, seed=seed, say=say)
        phase(module_name.split(".")[1], rows, started)
    if sqlite and not connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA optimize")
    report.seconds = time.perf_counter() - t_all
    say(
        f"seed done: {report.rows:,} rows in {report.seconds:.1f}s "
        f"({report.rate:,.0f} rows/s overall)"
    )
    return report
