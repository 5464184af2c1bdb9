"""Exports for stewards and for checking from outside (CSV, UTF-8 with BOM for Excel).

- links: one row per usable source record → ``source, record_key, person_id``
  (person_id is the golden identifier, G/L/J…; rejected rows have no person and are
  not exported).
- persons: one row per golden person with its golden values.
"""

from __future__ import annotations

import csv
from pathlib import Path

from django.db import connection

from eduplus.governance.bulk import sqlite_big_cache

LINK_COLUMNS = ["source", "record_key", "person_id"]
PERSON_COLUMNS = [
    "person_id",
    "name",
    "gender",
    "birth_date",
    "id_number",
    "ethnicity",
    "person_type",
    "school_code",
    "school_name",
    "region_code",
    "grade",
    "class_name",
    "address",
    "guardian_phone",
    "aid_status",
    "health_result",
    "subject",
    "title",
    "records",
    "sources",
]

_LINKS_SQL = (
    "SELECT s.code, r.record_key, p.golden_id "
    "FROM governance_sourcerecord r "
    "JOIN governance_sourcesystem s ON s.id = r.source_id "
    "JOIN governance_recordlink l ON l.record_id = r.id "
    "JOIN people_person p ON p.id = l.person_id "
    "ORDER BY r.batch_id, r.row_number"
)
_PERSONS_SQL = (
    # The date as stored (ISO text): no conversion to a date object and back per row.
    "SELECT p.golden_id, p.name, p.gender, p.birth_date || '', p.id_number, p.ethnicity, "
    "g.person_type, sc.code, sc.name, g.region_id, g.grade, g.class_name, g.address, "
    "g.guardian_phone, g.aid_status, g.health_result, g.subject, g.title, "
    "g.record_count, g.source_count "
    "FROM governance_goldenrecord g "
    "JOIN people_person p ON p.id = g.person_id "
    "LEFT JOIN schools_school sc ON sc.id = g.school_id "
    # In the golden table's own order: sequential reads, where the order of the
    # golden identifier made every row a random lookup (2 million people: 125 s).
    "ORDER BY g.person_id"
)


def _write(path: Path, header: list[str], sql: str) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with (
        path.open("w", encoding="utf-8-sig", newline="") as fh,
        sqlite_big_cache(),
        connection.cursor() as cursor,
    ):
        writer = csv.writer(fh)
        writer.writerow(header)
        cursor.execute(sql)
        while True:
            rows = cursor.fetchmany(50_000)
            if not rows:
                break
            writer.writerows(rows)  # the csv module writes None as an empty cell
            count += len(rows)
    return count


def export_links(path: str | Path) -> int:
    """Write the links file; returns the number of records written."""
    return _write(Path(path), LINK_COLUMNS, _LINKS_SQL)


def export_persons(path: str | Path) -> int:
    """Write the golden persons file; returns the number of persons written."""
    return _write(Path(path), PERSON_COLUMNS, _PERSONS_SQL)
