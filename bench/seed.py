"""Seed throughput: `eduplus seed` into a fresh SQLite database, against a bare
`executemany` of the same number of similar tuples into an empty table measured in the
same run. Prints the machine, rows written, elapsed time per phase, rows/s and the ratio
to the reference.

    uv run python bench/seed.py                    # small
    uv run python bench/seed.py --scale province   # 20,000 schools, 10 million students
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from _machine import machine  # bench/ is the script directory


def bare_insert_rate(path: Path, rows: int, batch: int = 100_000) -> tuple[float, float]:
    """(rows/s, seconds) of executemany of ``rows`` person-like tuples into an empty table
    without secondary indexes, same journal settings as the application, one transaction."""
    import sqlite3  # after _machine: the platform's SQLite

    conn = sqlite3.connect(path, isolation_level=None)
    conn.executescript(
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-65536;"
        "CREATE TABLE ref (id integer PRIMARY KEY, name varchar(64) NOT NULL, "
        "id_number varchar(18), gender smallint, birth_date date, ethnicity varchar(2) NOT NULL, "
        "phone varchar(20) NOT NULL);"
    )
    template = [
        (f"张{i % 997}", f"41010220150305{i % 1000:03d}X", 1 + i % 2, "2015-03-05", "01", "")
        for i in range(batch)
    ]
    started = time.perf_counter()
    conn.execute("BEGIN")
    next_id = 1
    left = rows
    while left > 0:
        n = min(batch, left)
        chunk = [(next_id + i, *template[i]) for i in range(n)]
        conn.executemany("INSERT INTO ref VALUES (?, ?, ?, ?, ?, ?, ?)", chunk)
        next_id += n
        left -= n
    conn.execute("COMMIT")
    seconds = time.perf_counter() - started
    conn.close()
    return rows / seconds, seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", default="small", choices=["small", "county", "province"])
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--keep", action="store_true", help="keep the temporary database")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="eduplus-bench-seed-"))
    db_path = tmp / "seed.sqlite3"
    os.environ["EDUPLUS_SQLITE_PATH"] = str(db_path)
    os.environ["EDUPLUS_VAR_DIR"] = str(tmp)
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "eduplus.settings")
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
    import django

    django.setup()
    from django.core.management import call_command

    from eduplus.demo.services import seed_province

    print(f"machine: {machine()}")
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    print(f"migrate: {time.perf_counter() - started:.1f}s")
    report = seed_province(scale=args.scale, seed=args.seed, stdout=sys.stdout)
    size = sum(p.stat().st_size for p in tmp.glob("seed.sqlite3*")) / 2**20

    # The reference: the same number of rows, bare executemany, same machine, same run.
    ref_rate, ref_seconds = bare_insert_rate(tmp / "reference.sqlite3", report.rows)
    print()
    print(f"scale {args.scale}, seed {args.seed}, database {size:,.0f} MiB")
    for p in report.phases:
        rate = f"{p.rate:>12,.0f} rows/s" if p.written else " " * 19
        print(f"  {p.name:<11} {p.rows:>12,} {'rows' if p.written else '    '} "
              f"{p.seconds:8.1f}s {rate}")  # fmt: skip
    print(f"seed:      {report.rows:,} rows in {report.seconds:.1f}s = {report.rate:,.0f} rows/s")
    print(
        f"reference: bare executemany of {report.rows:,} rows in {ref_seconds:.1f}s "
        f"= {ref_rate:,.0f} rows/s"
    )
    # The load alone: rows of the data phases over the time of the data phases (schools,
    # people, index rebuild, statistics, headcounts), without the fixed cost of hashing
    # the demo accounts' passwords.
    load = [p for p in report.phases if p.name != "accounts"]
    load_rows = sum(p.rows for p in load if p.written)
    load_seconds = sum(p.seconds for p in load)
    load_rate = load_rows / load_seconds if load_seconds else 0.0
    print(f"load:      {load_rows:,} rows in {load_seconds:.1f}s = {load_rate:,.0f} rows/s")
    print(
        f"ratio seed / bare insert: {report.rate / ref_rate:.2f} overall, "
        f"{load_rate / ref_rate:.2f} for the load"
    )
    if args.keep:
        print(f"kept: {db_path}")
    else:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
