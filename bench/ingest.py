"""Data governance end to end: messy multi-source import, identity resolution, exports.

In a fresh SQLite database in a temporary directory: creates ~20,000 schools over the
real GB/T 2260 counties of province 41 (one bulk insert), generates messy source files
for N people with their truth (``eduplus.governance.synth``: 学籍 UTF-8, 资助 GBK,
体质健康 UTF-8 with BOM, 人事 GB18030; homophones and typos in names, wrong and
missing ID numbers, swapped day and month, transfers between schools, garbage rows),
then times separately:

* the import of the files (``importing.batch_import_files``, the next file read while
  the current one is written, as ``eduplus data import`` with several files does;
  ``--sequential``: one after the other with ``batch_import_file``, timed each),
* the resolution (``resolution.resolve(full=True)``),
* the exports (``exports.export_links`` and ``export_persons``),
* the reference: Splink alone on the same records (``resolution.splink_reference()``),

and prints the machine, records/s end to end, peak memory, the ratio end-to-end /
Splink alone, and pairwise precision / recall / F1 of the links export against the
truth (from the contingency table of predicted cluster × true person, in DuckDB).

    uv run python bench/ingest.py                    # 2,000,000 people, ~3.6M records
    uv run python bench/ingest.py --people 20000     # quick
    uv run python bench/ingest.py --keep /tmp/ingest # keep database, files and exports
"""

from __future__ import annotations

import argparse
import importlib
import importlib.metadata
import os
import platform
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _machine import machine  # bench/ is the script directory

GOAL_SECONDS = 120.0  # 3.6 million records (about 2 million people) end to end
GOAL_RATIO = 2.0  # end to end / Splink alone
GOAL_F1 = 0.99
PROVINCE = "41"
# 办学类型 of the benchmark's schools: share, type, name suffix.
SCHOOL_MIX = (
    (0.60, "211", "小学"),
    (0.25, "311", "初级中学"),
    (0.15, "342", "高级中学"),
)
# Functions the benchmark drives, by module.
NEEDED = {
    "eduplus.governance.synth": ("persons_standalone", "write_sources"),
    "eduplus.governance.importing": ("batch_import_file", "batch_import_files"),
    "eduplus.governance.resolution": ("resolve", "splink_reference"),
    "eduplus.governance.exports": ("export_links", "export_persons"),
}


def check_modules() -> list[str]:
    """What is missing, as sentences; empty when the benchmark can run."""
    problems = []
    for module_name, names in NEEDED.items():
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            problems.append(f"module {module_name} cannot be imported ({exc})")
            continue
        for name in names:
            if not hasattr(module, name):
                problems.append(f"{module_name}.{name} does not exist")
    return problems


def versions() -> str:
    import sqlite3  # after _machine: the platform's SQLite

    import duckdb

    def version(dist: str) -> str:
        try:
            return importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            return "not installed"

    return (
        f"{platform.platform()}; SQLite {sqlite3.sqlite_version}, DuckDB {duckdb.__version__}, "
        f"Splink {version('splink')}, Django {version('django')}"
    )


def create_schools(total: int) -> tuple[list[str], list[str]]:
    """``total`` schools spread over the province's counties, in one bulk insert.

    Codes are ``<type prefix>41<sequence>`` with sequences below 990000 (the generator's
    unknown codes use 99xxxx). Returns (codes, county codes) in the same order.
    """
    from eduplus.regions.models import Region, RegionLevel
    from eduplus.schools.models import School
    from eduplus.schools.validators import school_code_problem

    counties = list(
        Region.objects.filter(level=RegionLevel.COUNTY, code__startswith=PROVINCE)
        .order_by("code")
        .values_list("code", "name")
    )
    if not counties:
        raise SystemExit(f"no counties of province {PROVINCE}: was the database migrated?")
    sequences: dict[str, int] = {}
    objects = []
    codes: list[str] = []
    county_codes: list[str] = []
    bounds = []
    acc = 0.0
    for share, school_type, suffix in SCHOOL_MIX:
        acc += share
        bounds.append((acc, school_type, suffix))
    for i in range(total):
        county, county_name = counties[i % len(counties)]
        position = (i * 0.6180339887) % 1.0  # evenly mixed types, deterministic
        school_type, suffix = next((t, s) for b, t, s in bounds if position < b)
        prefix = school_type[:2]
        seq = sequences.get(prefix, 0) + 1
        sequences[prefix] = seq
        code = f"{prefix}{PROVINCE}{seq:06d}"
        if i < 3:
            problem = school_code_problem(code)
            if problem:
                raise SystemExit(f"bad generated school code {code}: {problem}")
        objects.append(
            School(
                code=code,
                name=f"{county_name}第{seq}{suffix}",
                school_type=school_type,
                urban_rural="111",
                region_id=county,
            )
        )
        codes.append(code)
        county_codes.append(county)
    School.objects.bulk_create(objects, batch_size=5000)
    return codes, county_codes


def evaluate(truth_csv: Path, links_csv: Path) -> dict[str, float]:
    """Pairwise precision / recall / F1 from the contingency table of predicted cluster
    (person_id) × true person, over the records the truth lists. A truth record the
    links lack counts as a cluster of its own; links the truth lacks (rows that should
    have been rejected) are counted apart. Pairs are never enumerated."""
    import duckdb

    con = duckdb.connect()
    con.execute(
        "CREATE TABLE t AS SELECT source, record_key, person FROM read_csv("
        "?, header = true, all_varchar = true)",
        [str(truth_csv)],
    )
    con.execute(
        "CREATE TABLE l AS SELECT source, record_key, person_id FROM read_csv("
        "?, header = true, all_varchar = true)",
        [str(links_csv)],
    )
    con.execute(
        "CREATE TABLE j AS SELECT t.person AS tp, "
        "coalesce(l.person_id, '~' || t.source || ':' || t.record_key) AS pp "
        "FROM t LEFT JOIN l USING (source, record_key)"
    )

    def pairs(group_by: str) -> int:
        sql = f"SELECT coalesce(sum(n * (n - 1) // 2), 0) FROM (SELECT count(*) AS n FROM j GROUP BY {group_by})"  # noqa: E501
        return int(con.execute(sql).fetchone()[0])  # type: ignore[index]

    tp = pairs("tp, pp")
    predicted = pairs("pp")
    true = pairs("tp")
    one = lambda sql: int(con.execute(sql).fetchone()[0])  # type: ignore[index]  # noqa: E731
    figures: dict[str, float] = {
        "truth_records": one("SELECT count(*) FROM t"),
        "truth_persons": one("SELECT count(DISTINCT person) FROM t"),
        "linked_records": one("SELECT count(*) FROM l"),
        "missing": one("SELECT count(*) FROM t ANTI JOIN l USING (source, record_key)"),
        "extra": one("SELECT count(*) FROM l ANTI JOIN t USING (source, record_key)"),
        "predicted_persons": one("SELECT count(DISTINCT pp) FROM j"),
        "tp": tp,
        "predicted_pairs": predicted,
        "true_pairs": true,
    }
    precision = tp / predicted if predicted else 1.0
    recall = tp / true if true else 1.0
    figures["precision"] = precision
    figures["recall"] = recall
    figures["f1"] = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    con.close()
    return figures


def rejections_check(rejections_csv: Path) -> tuple[int, int, int]:
    """(expected rejections, rows the import rejected, expected ones it did reject)."""
    import csv

    from django.db import connection

    with rejections_csv.open(encoding="utf-8", newline="") as fh:
        expected = {(r[0], r[1]) for r in list(csv.reader(fh))[1:]}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT s.code, r.record_key FROM governance_sourcerecord r "
            "JOIN governance_sourcesystem s ON s.id = r.source_id WHERE r.status = 'rejected'"
        )
        rejected = {(a, b) for a, b in cursor.fetchall()}
    return len(expected), len(rejected), len(expected & rejected)


def peak_mib() -> tuple[float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, children


def batch_figures(batch: Any) -> str:
    fields = ("rows_read", "rows_accepted", "rows_suspicious", "rows_rejected")
    if all(hasattr(batch, f) for f in fields):
        status = getattr(batch, "status", "?")
        return (
            f"read {batch.rows_read:,}, accepted {batch.rows_accepted:,} "
            f"(suspicious {batch.rows_suspicious:,}), rejected {batch.rows_rejected:,}, "
            f"status {status}"
        )
    return repr(batch)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=2_000_000, help="true persons")
    parser.add_argument("--schools", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--keep", metavar="DIR", help="work in DIR and keep it (database, files, exports)"
    )
    parser.add_argument(
        "--sequential",
        action="store_true",
        help="import the files one after the other (each timed), not pipelined",
    )
    args = parser.parse_args()

    if args.keep:
        work = Path(args.keep).resolve()
        work.mkdir(parents=True, exist_ok=True)
        if (work / "ingest.sqlite3").exists():
            parser.error(f"{work} already holds a database: give an empty directory")
    else:
        work = Path(tempfile.mkdtemp(prefix="eduplus-bench-ingest-"))
    db_path = work / "ingest.sqlite3"
    os.environ["EDUPLUS_SQLITE_PATH"] = str(db_path)
    os.environ["EDUPLUS_VAR_DIR"] = str(work)
    os.environ["EDUPLUS_TASKS_IMMEDIATE"] = "1"  # background work runs inline
    # Imports are timed alone: no incremental resolution after each (one full run follows).
    os.environ["EDUPLUS_AUTO_RESOLVE"] = "0"
    (work / "static").mkdir(exist_ok=True)
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "eduplus.settings")
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
    import django

    django.setup()
    problems = check_modules()
    if problems:
        print("bench/ingest.py cannot run yet:", file=sys.stderr)
        for problem in problems:
            print(f"  - {problem}", file=sys.stderr)
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        raise SystemExit(2)

    import logging

    from django.core.management import call_command

    # Each import logs its phases (load, normalise, report, write) at INFO.
    logging.getLogger("eduplus.governance.importing").setLevel(logging.INFO)

    from eduplus.governance import bulk, exports, importing, resolution, synth

    print(f"machine: {machine()}")
    print(f"software: {versions()}")
    print(f"work directory: {work}")
    started = time.perf_counter()
    call_command("migrate", verbosity=0, skip_checks=True)
    print(f"migrate: {time.perf_counter() - started:.1f}s")
    started = time.perf_counter()
    codes, counties = create_schools(args.schools)
    print(
        f"schools: {len(codes):,} over {len(set(counties))} counties of province {PROVINCE} "
        f"in {time.perf_counter() - started:.1f}s"
    )

    # Generate.
    data = work / "data"
    started = time.perf_counter()
    persons = synth.persons_standalone(
        args.people, schools=codes, counties=counties, seed=args.seed
    )
    files = synth.write_sources(persons, data, seed=args.seed, formats=synth.BENCH_FORMATS)
    generate_s = time.perf_counter() - started
    records = sum(f.rows for f in files)
    size = sum(f.path.stat().st_size for f in files) / 2**20
    print(
        f"generate: {args.people:,} people → {records:,} records in {len(files)} files "
        f"({size:,.0f} MiB) in {generate_s:.1f}s"
    )
    for f in files:
        noise = ", ".join(f"{k} {v:,}" for k, v in sorted(f.noise.items()))
        print(
            f"  {f.source_code:<7} {synth.BENCH_FORMATS[f.source_code]:<12} "
            f"{f.rows:>10,} rows; {noise}"
        )

    # Import.
    print()
    phases: dict[str, float] = {}
    import_s = 0.0
    if args.sequential:
        for f in files:
            started = time.perf_counter()
            batch = importing.batch_import_file(
                source_code=f.source_code, path=f.path, region_code=PROVINCE
            )
            seconds = time.perf_counter() - started
            import_s += seconds
            phases[f"import {f.source_code}"] = seconds
            print(
                f"import {f.source_code:<7} {seconds:7.1f}s  {f.rows / seconds:>9,.0f} rows/s  "
                f"{batch_figures(batch)}"
            )
    else:
        # As `eduplus data import` with several files: the next file is read and
        # normalised while the current one is written.
        started = time.perf_counter()
        batches = importing.batch_import_files(
            [(f.source_code, f.path) for f in files], region_code=PROVINCE
        )
        import_s = time.perf_counter() - started
        phases["import"] = import_s
        for f, batch in zip(files, batches, strict=True):
            print(f"import {f.source_code:<7} {batch_figures(batch)}")
        print(
            f"import ({len(files)} files, pipelined) {import_s:7.1f}s  "
            f"{sum(f.rows for f in files) / import_s:>9,.0f} rows/s"
        )

    # Resolve.
    started = time.perf_counter()
    run = resolution.resolve(full=True)
    resolve_s = time.perf_counter() - started
    phases["resolve"] = resolve_s
    print(
        f"resolve          {resolve_s:7.1f}s  records {run.records:,}, pairs {run.pairs:,}, "
        f"persons created {run.persons_created:,}, review {run.review_items:,}, "
        f"conflicts {run.conflicts:,}; Splink inside {run.splink_seconds:.1f}s, "
        f"run total {run.total_seconds:.1f}s"
    )
    step_seconds = getattr(run, "step_seconds", {})
    if step_seconds:
        print("  resolve steps: " + ", ".join(f"{k} {v:.1f}s" for k, v in step_seconds.items()))

    # Export.
    links_csv = work / "links.csv"
    persons_csv = work / "persons.csv"
    started = time.perf_counter()
    links = exports.export_links(links_csv)
    links_s = time.perf_counter() - started
    started = time.perf_counter()
    golden = exports.export_persons(persons_csv)
    persons_s = time.perf_counter() - started
    phases["export links"] = links_s
    phases["export persons"] = persons_s
    print(f"export links     {links_s:7.1f}s  {links:,} rows")
    print(f"export persons   {persons_s:7.1f}s  {golden:,} rows")
    # The database file catches up with the write-ahead log in a second thread after
    # each big write (governance.bulk.sqlite_checkpoint_after): waited for and counted.
    started = time.perf_counter()
    bulk.checkpoints_wait()
    checkpoint_s = time.perf_counter() - started
    phases["checkpoint wait"] = checkpoint_s
    print(f"checkpoint wait  {checkpoint_s:7.1f}s")
    end_to_end = import_s + resolve_s + links_s + persons_s + checkpoint_s

    # Reference: Splink alone on the same records.
    started = time.perf_counter()
    reference_s = float(resolution.splink_reference())
    print(
        f"reference        Splink alone {reference_s:.1f}s "
        f"(call {time.perf_counter() - started:.1f}s with loading)"
    )

    # Quality of the result.
    figures = evaluate(data / synth.TRUTH_FILE, links_csv)
    expected_rej, rejected, both = rejections_check(data / synth.REJECTIONS_FILE)
    own, children = peak_mib()
    ratio = end_to_end / reference_s if reference_s else float("inf")

    print()
    print(
        f"records {records:,} (truth {figures['truth_records']:,} to accept), people "
        f"{figures['truth_persons']:,} true, {figures['predicted_persons']:,} predicted, "
        f"golden persons {golden:,}"
    )
    print(
        f"end to end {end_to_end:.1f}s = {records / end_to_end:,.0f} records/s "
        f"(import {import_s:.1f}s, resolve {resolve_s:.1f}s, exports {links_s + persons_s:.1f}s); "
        f"generation {generate_s:.1f}s not counted"
    )
    print(f"peak memory: self {own:,.0f} MiB, children {children:,.0f} MiB")
    print(f"ratio end to end / Splink alone: {ratio:.2f}")
    print(
        f"links: {figures['linked_records']:,} exported; truth records not linked "
        f"{figures['missing']:,}; linked records the truth rejects {figures['extra']:,}"
    )
    print(
        f"rejections: {expected_rej:,} expected, {rejected:,} rejected by the import, "
        f"{both:,} of the expected among them"
    )
    print(
        f"pairs: true {figures['true_pairs']:,}, predicted {figures['predicted_pairs']:,}, "
        f"correct {figures['tp']:,}"
    )
    print(
        f"precision {figures['precision']:.4f}  recall {figures['recall']:.4f}  "
        f"F1 {figures['f1']:.4f}"
    )
    scale = records / 3_600_000
    print()
    print("goals (for 3.6M records; printed, not enforced):")
    verdict = lambda ok: "met" if ok else "MISSED"  # noqa: E731
    print(
        f"  end to end < {GOAL_SECONDS:.0f}s for 3.6M records: {end_to_end:.1f}s for "
        f"{records:,} ({scale:.2f}× the goal's size) → "
        f"{'n/a at this scale' if scale < 0.9 else verdict(end_to_end < GOAL_SECONDS)}"
    )
    print(f"  ≤ {GOAL_RATIO:.0f}× Splink alone: {ratio:.2f} → {verdict(ratio <= GOAL_RATIO)}")
    print(f"  F1 ≥ {GOAL_F1}: {figures['f1']:.4f} → {verdict(figures['f1'] >= GOAL_F1)}")
    if args.keep:
        print(f"kept: {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
