"""Demo data of data governance for the synthetic province (called by `eduplus seed`).

Up to 3,000 students and 300 teachers of the demo city (郑州市 in 河南省) are written
as four messy source files, the way the systems export them (学籍 CSV UTF-8, 资助 CSV
GBK, 体质健康 .xlsx, 人事 CSV with BOM; see :mod:`eduplus.governance.synth` for the
noise), kept under ``GOVERNANCE_DIR/samples/demo/`` with their truth, imported as the
data steward and resolved: the golden records link to the seeded ``people.Person``
rows by their ID numbers, and the rejected rows, conflicts and uncertain matches are
there for the steward to look at.

:func:`sample_files` makes another, smaller set (other schools, another seed) that a
steward downloads from the import page and imports in the browser.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.test.utils import override_settings

from eduplus.governance.synth import (
    DEMO_FORMATS,
    SourceFile,
    TruePerson,
    persons_from_demo,
    persons_standalone,
    pick_demo_schools,
    write_sources,
)

DEMO_STUDENTS = 3000
DEMO_TEACHERS = 300
SAMPLE_STUDENTS = 200
SAMPLE_TEACHERS = 20
STEWARD = "steward"


def demo_dir() -> Path:
    return Path(settings.GOVERNANCE_DIR) / "samples" / "demo"


def _demo_region(province: str) -> str:
    from eduplus.demo.anchors import demo_anchors

    try:
        return demo_anchors(province).city
    except ValueError:
        return province


def seed_demo(*, province: str, seed: int, say: Callable[[str], None]) -> int:
    """Write, import and resolve the demo sources; returns the rows written."""
    from eduplus.accounts.models import User
    from eduplus.governance.importing import batch_import_files
    from eduplus.governance.quality import quality_compute
    from eduplus.governance.resolution import resolve

    persons = persons_from_demo(
        limit=DEMO_STUDENTS, teachers=DEMO_TEACHERS, region=_demo_region(province), seed=seed
    )
    if not persons:
        say("  governance: no students in the demo city, nothing imported")
        return 0
    files = write_sources(persons, demo_dir(), seed=seed, formats=DEMO_FORMATS)
    actor = User.objects.filter(username=STEWARD).first()
    accepted = rejected = 0
    # One full resolution below rather than one queued after each import.
    with override_settings(GOVERNANCE_AUTO_RESOLVE=False):
        for batch in batch_import_files(
            [(f.source_code, f.path) for f in files], region_code=province, actor=actor
        ):
            accepted += batch.rows_accepted
            rejected += batch.rows_rejected
    # The sources were drawn from the roster: a record the resolution cannot tie to a
    # roster person is a miss to review, not a new pupil to enrol.
    run = resolve(full=True, actor=actor, enrol_new=False)
    quality_compute(actor=actor)  # the scorecard and the catalog follow the data
    rows = sum(f.rows for f in files)
    # A second, not yet imported set for a steward to try the import page with.
    try_dir = demo_dir().parent / "try"
    try_dir.mkdir(parents=True, exist_ok=True)
    for _code, name, content in sample_files(seed=seed + 7, province=province):
        (try_dir / name).write_bytes(content)
    say(f"  governance: sample files to import by hand in {try_dir}")
    say(
        f"  governance: {len(files)} source files, {rows:,} rows ({accepted:,} accepted, "
        f"{rejected:,} rejected); {run.records:,} records resolved, "
        f"{run.review_items:,} to review, {run.conflicts:,} conflicts"
    )
    return rows


def _sample_persons(*, province: str, seed: int) -> list[TruePerson]:
    """Students and teachers of schools the demo seed did not use, or invented ones
    over the province's schools when nobody is seeded."""
    used = [
        pk for pk, _ in pick_demo_schools(region=_demo_region(province), students=DEMO_STUDENTS)
    ]
    persons = persons_from_demo(
        limit=SAMPLE_STUDENTS,
        teachers=SAMPLE_TEACHERS,
        region=province,
        exclude_schools=used,
        seed=seed,
    )
    if persons:
        return persons
    from eduplus.schools.models import School

    schools = list(
        School.objects.filter(region__code__startswith=province, school_type__in=("211", "311"))
        .order_by("code")
        .values_list("code", "region_id")[:20]
    )
    if not schools:
        return []
    return list(
        persons_standalone(
            SAMPLE_STUDENTS + SAMPLE_TEACHERS,
            schools=[code for code, _ in schools],
            counties=[str(county) for _, county in schools],
            seed=seed,
            teacher_share=SAMPLE_TEACHERS / (SAMPLE_STUDENTS + SAMPLE_TEACHERS),
        )
    )


def sample_files(*, seed: int = 7, province: str | None = None) -> list[tuple[str, str, bytes]]:
    """A small messy set a steward can import in the browser: (source code, file name,
    content) per source; empty when the province has no schools yet."""
    province = province or settings.EDUPLUS_PROVINCE
    persons = _sample_persons(province=province, seed=seed)
    if not persons:
        return []
    with tempfile.TemporaryDirectory(prefix="eduplus-samples-") as tmp:
        files: list[SourceFile] = write_sources(persons, tmp, seed=seed, formats=DEMO_FORMATS)
        return [(f.source_code, f"样例-{f.path.name}", f.path.read_bytes()) for f in files]


def reset_demo() -> None:
    """Called by ``eduplus seed --reset`` before the roster goes: every governance row
    of the demo (batches and their records, golden records, reviews, conflicts, runs,
    quality results, lineage, catalog, sharing requests) and the sample files."""
    import shutil

    from eduplus.governance import models as m

    m.ShareToken.objects.all().delete()
    m.ShareRequest.objects.all().delete()
    m.MatchReview.objects.all().delete()
    m.ValueConflict.objects.all().delete()
    m.GoldenRecord.objects.all().delete()
    m.QualityResult.objects.all().delete()
    m.SourceRecord.objects.all().delete()
    m.ImportBatch.objects.all().delete()
    m.ResolutionRun.objects.all().delete()
    m.LineageEvent.objects.all().delete()
    m.Dataset.objects.all().delete()
    shutil.rmtree(demo_dir().parent, ignore_errors=True)
