"""Identity resolution (身份解析): one golden person per real person, across every
source and batch (一人一档).

The run, set-based from end to end:

1. The usable source records (accepted and suspicious) are loaded into DuckDB, from
   each batch's columnar copy (written by the import) or from the database.
2. Splink 5 scores candidate pairs. Blocking: the ID number, name + birth date,
   birth date + school, name + school (never the name alone). Comparisons: ID number
   (exact, one edit or transposition), name (exact, one character), birth date (exact,
   day and month swapped, one digit), gender, school, phone. Exact valid ID numbers are
   a match whatever else differs.
3. Pairs at or above the match threshold are edges; a steward's decisions are applied
   (merged pairs always link, split pairs never link directly); connected components
   are the people. In an incremental run only pairs that involve a new record are
   scored, and the existing links join the graph as edges, so new batches are matched
   against the golden records rather than redoing everything.
4. Each cluster becomes a ``people.Person``: the person its records already belong to,
   or the person holding its valid ID number, or a new one. Its identifier follows the
   national student-number style: ``G`` + ID number when a valid ID is known, ``L``
   (temporary) when an ID was given but is invalid, ``J`` when there is none.
5. Every golden value is taken from the item's authoritative source (一数一源) when it
   has one, else from the newest batch; the winning record is remembered per item, and
   items on which the sources disagree are listed as conflicts.
6. Pairs between the review threshold and the match threshold go to the steward's
   review queue.

The engine is chosen by ``settings.GOVERNANCE_RESOLUTION_BACKEND``: ``duckdb`` here;
``spark`` scores the pairs with Splink's Spark backend for a province (see
:func:`_spark_predict`); clustering and the golden values stay set-based in DuckDB.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
from django.conf import settings
from django.db import connection
from django.utils import timezone

from eduplus.governance.models import (
    PROVENANCE_ITEMS,
    BatchStatus,
    ItemAuthority,
    MatchReview,
    ResolutionRun,
    ReviewStatus,
)
from eduplus.governance.normalize import sql_text

logger = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]

# Columns of the records table (DuckDB) and where each comes from in SourceRecord.
RECORD_COLUMNS = (
    "unique_id",
    "batch_id",
    "source",
    "person_type",
    "name",
    "id_number",
    "id_valid",
    "birth_date",
    "gender",
    "ethnicity",
    "school_code",
    "school_id",
    "region_id",
    "grade",
    "class_name",
    "address",
    "phone",
    "guardian_phone",
    "aid_status",
    "health_result",
    "subject",
    "title",
    "person_id",
)
_SELECT_RECORDS = (
    "SELECT r.id, r.batch_id, s.code, r.person_type, r.name, r.id_number, r.id_valid, "
    "r.birth_date, r.gender, r.ethnicity, r.school_code, r.school_id, r.region_id, "
    "r.grade, r.class_name, r.address, r.phone, r.guardian_phone, r.aid_status, "
    "r.health_result, r.subject, r.title, l.person_id "
    "FROM governance_sourcerecord r "
    "LEFT JOIN governance_recordlink l ON l.record_id = r.id "
    "JOIN governance_sourcesystem s ON s.id = r.source_id "
    "JOIN governance_importbatch b ON b.id = r.batch_id "
    "WHERE r.status IN ('accepted', 'suspicious') AND b.status = 'done'"
)
_DUCK_TYPES = {
    "unique_id": "BIGINT",
    "batch_id": "BIGINT",
    "id_valid": "BOOLEAN",
    "birth_date": "VARCHAR",
    "gender": "INTEGER",
    "school_id": "BIGINT",
    "grade": "INTEGER",
    "person_id": "BIGINT",
}

# Item → the records-table expression of its value (text; '' or NULL when missing).
ITEM_VALUE_SQL: dict[str, str] = {
    "name": "name",
    "id_number": "CASE WHEN id_valid THEN id_number END",
    # A valid ID number states the birth date and gender (GB 11643): it wins over the
    # record's own, possibly mistyped, fields (the import flagged such rows).
    "birth_date": (
        "CASE WHEN id_valid AND id_number IS NOT NULL THEN substr(id_number, 7, 4) || '-' "
        "|| substr(id_number, 11, 2) || '-' || substr(id_number, 13, 2) ELSE birth_date END"
    ),
    "gender": (
        "CASE WHEN id_valid AND id_number IS NOT NULL "
        "THEN CAST(2 - CAST(substr(id_number, 17, 1) AS INTEGER) % 2 AS VARCHAR) "
        "ELSE CAST(gender AS VARCHAR) END"
    ),
    "ethnicity": "ethnicity",
    "school": "CAST(school_id AS VARCHAR)",
    "grade": "CAST(grade AS VARCHAR)",
    "class_name": "class_name",
    "address": "address",
    "phone": "phone",
    "guardian_phone": "guardian_phone",
    "aid_status": "aid_status",
    "health_result": "health_result",
    "subject": "subject",
    "title": "title",
}


@dataclass(frozen=True)
class Thresholds:
    match: float
    review: float

    @classmethod
    def from_settings(cls) -> Thresholds:
        return cls(
            match=float(getattr(settings, "GOVERNANCE_MATCH_THRESHOLD", 0.95)),
            review=float(getattr(settings, "GOVERNANCE_REVIEW_THRESHOLD", 0.5)),
        )


class ResolutionError(RuntimeError):
    """The run cannot proceed; the message says why."""


# ----------------------------------------------------------------------- Splink model


def _level(sql: str, label: str, m: float, u: float) -> dict[str, Any]:
    return {"sql_condition": sql, "label_for_charts": label, "m_probability": m, "u_probability": u}


def _null_level(column: str) -> dict[str, Any]:
    return {
        "sql_condition": f"{column}_l IS NULL OR {column}_r IS NULL",
        "label_for_charts": "null",
        "is_null_level": True,
    }


def splink_settings(*, incremental: bool = False, dialect: str = "duckdb") -> dict[str, Any]:
    """The Splink model. Parameters are set from what the sources are known to be
    like (m: how often a true match agrees at a level; u: how often two different
    people do), so a run is deterministic and needs no training pass.
    """
    new = " AND (l.is_new OR r.is_new)" if incremental else ""
    rules = [
        "l.id_number = r.id_number",
        "l.name = r.name AND l.birth_date = r.birth_date",
        "l.birth_date = r.birth_date AND l.school_code = r.school_code",
        "l.name = r.name AND l.school_code = r.school_code",
    ]
    return {
        "link_type": "dedupe_only",
        "unique_id_column_name": "unique_id",
        "probability_two_random_records_match": 1e-6,
        "blocking_rules_to_generate_predictions": [
            {"blocking_rule": rule + new, "sql_dialect": dialect} for rule in rules
        ],
        "retain_matching_columns": False,
        "retain_intermediate_calculation_columns": False,
        "additional_columns_to_retain": [],
        "comparisons": [
            {
                "output_column_name": "id_number",
                "comparison_levels": [
                    _null_level("id_number"),
                    _level(
                        "id_number_l = id_number_r AND id_valid_l AND id_valid_r",
                        "exact valid",
                        0.93,
                        1e-9,
                    ),
                    _level("id_number_l = id_number_r", "exact", 0.02, 1e-7),
                    _level(
                        "damerau_levenshtein(id_number_l, id_number_r) <= 1",
                        "one edit",
                        0.04,
                        1e-6,
                    ),
                    _level("ELSE", "different", 0.01, 0.999999),
                ],
            },
            {
                "output_column_name": "name",
                "comparison_levels": [
                    _null_level("name"),
                    _level("name_l = name_r", "exact", 0.9, 0.0005),
                    _level(
                        "levenshtein(name_l, name_r) <= 1 AND length(name_l) = length(name_r)",
                        "one character",
                        0.08,
                        0.004,
                    ),
                    _level("ELSE", "different", 0.02, 0.9955),
                ],
            },
            {
                "output_column_name": "birth_date",
                "comparison_levels": [
                    _null_level("birth_date"),
                    _level("birth_date_l = birth_date_r", "exact", 0.9, 0.0004),
                    _level(
                        "substr(birth_date_l, 1, 4) = substr(birth_date_r, 1, 4) "
                        "AND substr(birth_date_l, 6, 2) = substr(birth_date_r, 9, 2) "
                        "AND substr(birth_date_l, 9, 2) = substr(birth_date_r, 6, 2)",
                        "day and month swapped",
                        0.05,
                        0.00003,
                    ),
                    _level(
                        "levenshtein(birth_date_l, birth_date_r) <= 1",
                        "one digit",
                        0.03,
                        0.01,
                    ),
                    _level("ELSE", "different", 0.02, 0.98957),
                ],
            },
            {
                "output_column_name": "gender",
                "comparison_levels": [
                    _null_level("gender"),
                    _level("gender_l = gender_r", "same", 0.98, 0.5),
                    _level("ELSE", "different", 0.02, 0.5),
                ],
            },
            {
                "output_column_name": "school_code",
                "comparison_levels": [
                    _null_level("school_code"),
                    _level("school_code_l = school_code_r", "same", 0.85, 0.002),
                    _level("ELSE", "different", 0.15, 0.998),
                ],
            },
            {
                "output_column_name": "contact_phone",
                "comparison_levels": [
                    _null_level("contact_phone"),
                    _level("contact_phone_l = contact_phone_r", "same", 0.8, 0.0001),
                    _level("ELSE", "different", 0.2, 0.9999),
                ],
            },
        ],
    }


# ------------------------------------------------------------------------ loading


def arrow_insert(
    con: duckdb.DuckDBPyConnection, table: str, columns: list[str], rows: list[Any]
) -> None:
    """Append Python rows to a DuckDB table through Arrow (DuckDB's ``executemany``
    costs about half a millisecond a row)."""
    import pyarrow as pa

    if not rows:
        return
    data = {
        name: list(values) for name, values in zip(columns, zip(*rows, strict=True), strict=True)
    }
    frame = pa.table(data)
    con.register("_arrow_rows", frame)
    try:
        con.execute(f"INSERT INTO {table} SELECT {', '.join(columns)} FROM _arrow_rows")
    finally:
        con.unregister("_arrow_rows")


def columnar_path(batch_id: int) -> Path:
    """Where the import keeps a batch's normalised records as Parquet."""
    return Path(settings.GOVERNANCE_DIR) / "columnar" / f"batch-{batch_id}.parquet"


def _prepare_records(con: duckdb.DuckDBPyConnection) -> int:
    """Ready ``recs`` for comparison, however it was loaded; returns its row count."""
    # Splink compares text; empty strings are missing values, not agreements.
    for column in ("name", "id_number", "birth_date", "school_code", "phone", "guardian_phone"):
        con.execute(f'UPDATE recs SET "{column}" = NULL WHERE "{column}" = \'\'')
    # One phone to compare: a teacher's own, a student's guardian's.
    con.execute("ALTER TABLE recs ADD COLUMN contact_phone VARCHAR")
    con.execute("UPDATE recs SET contact_phone = coalesce(phone, guardian_phone)")
    return int(con.execute("SELECT count(*) FROM recs").fetchall()[0][0])


def _load_records(con: duckdb.DuckDBPyConnection) -> int:
    """Fill DuckDB table ``recs`` with the usable records of every done batch."""
    columns = ", ".join(f'"{c}" {_DUCK_TYPES.get(c, "VARCHAR")}' for c in RECORD_COLUMNS)
    con.execute(f"CREATE OR REPLACE TABLE recs ({columns})")
    with connection.cursor() as cursor:
        cursor.execute(_SELECT_RECORDS)
        while True:
            rows = cursor.fetchmany(200_000)
            if not rows:
                break
            arrow_insert(
                con,
                "recs",
                list(RECORD_COLUMNS),
                [
                    tuple(v.isoformat() if hasattr(v, "isoformat") else v for v in row)
                    for row in rows
                ],
            )
    return _prepare_records(con)


def _load_records_fast(con: duckdb.DuckDBPyConnection) -> int:
    """Like :func:`_load_records`, reading the import's Parquet copies when every done
    batch has one (the link to a person still comes from the database)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM governance_importbatch WHERE status = %s", ["done"])
        batch_ids = [row[0] for row in cursor.fetchall()]
    paths = [columnar_path(b) for b in batch_ids]
    if not batch_ids or not all(p.exists() for p in paths):
        return _load_records(con)
    files = ", ".join(f"'{p}'" for p in paths)
    select = ", ".join(
        f'CAST("{c}" AS {_DUCK_TYPES.get(c, "VARCHAR")}) AS "{c}"'
        for c in RECORD_COLUMNS
        if c != "person_id"
    )
    con.execute(
        f"CREATE OR REPLACE TABLE recs AS SELECT {select}, CAST(NULL AS BIGINT) AS person_id "
        f"FROM read_parquet([{files}]) WHERE status IN ('accepted', 'suspicious')"
    )
    # Existing links (person_id) from the database: only the linked records.
    con.execute("CREATE OR REPLACE TEMP TABLE links (unique_id BIGINT, person_id BIGINT)")
    with connection.cursor() as cursor:
        cursor.execute("SELECT record_id, person_id FROM governance_recordlink")
        while True:
            rows = cursor.fetchmany(200_000)
            if not rows:
                break
            arrow_insert(con, "links", ["unique_id", "person_id"], rows)
    con.execute(
        "UPDATE recs SET person_id = links.person_id FROM links "
        "WHERE recs.unique_id = links.unique_id"
    )
    return _prepare_records(con)


# ------------------------------------------------------------------- predict, cluster


def _splink_predict(con: duckdb.DuckDBPyConnection, *, incremental: bool, threshold: float) -> str:
    """Score candidate pairs with Splink; returns the DuckDB table of pairs."""
    from splink import DuckDBAPI, Linker

    db_api = DuckDBAPI(con)
    sdf = db_api.register("recs")
    linker = Linker(sdf, splink_settings(incremental=incremental), log_level=logging.WARNING)
    predictions = linker.inference.predict(
        threshold_match_probability=threshold, warning_mode="never"
    )
    con.execute(
        "CREATE OR REPLACE TABLE pairs AS SELECT unique_id_l, unique_id_r, match_probability "
        f"FROM {predictions.physical_name}"
    )
    return "pairs"


def spark_session() -> Any:
    """A Spark session with Splink's similarity functions (damerau_levenshtein …).

    ``EDUPLUS_SPARK_MASTER`` names the cluster (``spark://host:7077``, ``yarn``);
    ``local[2]`` runs Spark inside this process, as the tests do.
    """
    from pyspark.sql import SparkSession
    from splink.backends.spark import similarity_jar_location

    master = getattr(settings, "GOVERNANCE_SPARK_MASTER", "local[2]")
    spark = (
        SparkSession.builder.master(master)
        .appName("eduplus-resolution")
        .config("spark.jars", similarity_jar_location())
        .config("spark.sql.shuffle.partitions", "8")
        .config("spark.ui.enabled", "false")
        .getOrCreate()
    )
    checkpoints = Path(settings.GOVERNANCE_DIR) / "spark-checkpoints"
    checkpoints.mkdir(parents=True, exist_ok=True)
    spark.sparkContext.setCheckpointDir(str(checkpoints))
    return spark


def _spark_predict(con: duckdb.DuckDBPyConnection, *, incremental: bool, threshold: float) -> str:
    """Score the pairs on Spark (Splink's Spark backend); the pairs come back to DuckDB
    for clustering and the golden values. For a province the records would be read by
    Spark from the batches' Parquet copies rather than shipped from here."""
    from splink import Linker
    from splink.backends.spark import SparkAPI

    spark = spark_session()
    columns = (
        "unique_id, name, id_number, id_valid, birth_date, gender, school_code, "
        "contact_phone, is_new"
    )
    frame = spark.createDataFrame(con.sql(f"SELECT {columns} FROM recs").to_arrow_table())
    db_api = SparkAPI(spark_session=spark)
    linker = Linker(
        db_api.register(frame),
        splink_settings(incremental=incremental, dialect="spark"),
        log_level=logging.WARNING,
    )
    predictions = linker.inference.predict(
        threshold_match_probability=threshold, warning_mode="never"
    )
    pairs = (
        predictions.as_spark_dataframe()
        .select("unique_id_l", "unique_id_r", "match_probability")
        .toArrow()
    )
    con.register("spark_pairs", pairs)
    con.execute("CREATE OR REPLACE TABLE pairs AS SELECT * FROM spark_pairs")
    con.unregister("spark_pairs")
    return "pairs"


def _decisions(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("CREATE OR REPLACE TABLE decisions (l BIGINT, r BIGINT, merged BOOLEAN)")
    rows = list(
        MatchReview.objects.exclude(status=ReviewStatus.OPEN).values_list(
            "left_id", "right_id", "status"
        )
    )
    arrow_insert(
        con,
        "decisions",
        ["l", "r", "merged"],
        [(a, b, s == ReviewStatus.MERGED) for a, b, s in rows],
    )


def _cluster(con: duckdb.DuckDBPyConnection, *, threshold: float, keep_links: bool) -> None:
    """Connected components over the match edges (+ merges − splits + existing links)."""
    from splink import DuckDBAPI
    from splink.clustering import cluster_pairwise_predictions_at_threshold

    con.execute(
        f"""
        CREATE OR REPLACE TABLE edges AS
        WITH scored AS (
            SELECT least(unique_id_l, unique_id_r) AS l, greatest(unique_id_l, unique_id_r) AS r,
                   match_probability AS p
            FROM pairs WHERE match_probability >= {threshold}
        ),
        merged AS (SELECT l, r, 1.0 AS p FROM decisions WHERE merged),
        linked AS (
            -- records already belonging to one person stay together
            SELECT min(unique_id) OVER (PARTITION BY person_id) AS l, unique_id AS r, 1.0 AS p
            FROM recs WHERE person_id IS NOT NULL AND {"true" if keep_links else "false"}
        ),
        valid_id AS (
            -- one valid ID number is one person
            SELECT min(unique_id) OVER (PARTITION BY id_number) AS l, unique_id AS r, 1.0 AS p
            FROM recs WHERE id_valid AND id_number IS NOT NULL
        ),
        everything AS (
            SELECT * FROM scored UNION ALL SELECT * FROM merged
            UNION ALL SELECT * FROM linked WHERE l <> r
            UNION ALL SELECT * FROM valid_id WHERE l <> r
        )
        SELECT e.l AS unique_id_l, e.r AS unique_id_r, max(e.p) AS match_probability
        FROM everything e
        WHERE NOT EXISTS (
            SELECT 1 FROM decisions d WHERE NOT d.merged AND d.l = e.l AND d.r = e.r
        )
        GROUP BY e.l, e.r
        """
    )
    db_api = DuckDBAPI(con)
    clusters = cluster_pairwise_predictions_at_threshold(
        con.table("recs").select("unique_id"),
        con.table("edges"),
        db_api=db_api,
        node_id_column_name="unique_id",
        threshold_match_probability=0.0,
    )
    con.execute(
        "CREATE OR REPLACE TABLE clusters AS SELECT unique_id, cluster_id "
        f"FROM {clusters.physical_name}"
    )
    # A split pair may still meet through other records: the right-hand record then
    # stands on its own (the steward can merge it with its true person).
    con.execute(
        """
        UPDATE clusters SET cluster_id = -unique_id WHERE unique_id IN (
            SELECT d.r FROM decisions d
            JOIN clusters a ON a.unique_id = d.l
            JOIN clusters b ON b.unique_id = d.r
            WHERE NOT d.merged AND a.cluster_id = b.cluster_id
        )
        """
    )


# ----------------------------------------------------------------- persons and values


def _existing_people_by_id(con: duckdb.DuckDBPyConnection) -> None:
    """Persons already holding a valid ID number a cluster carries (e.g. the roster)."""
    from eduplus.governance.golden import people_rows

    con.execute("CREATE OR REPLACE TABLE known_ids (id_number VARCHAR, person_id BIGINT)")
    # Looked up by key while they are few against the people table, else one scan of
    # it (a first run over 2 million ID numbers: 98 lookups of 20,000 each, 4 s).
    people_rows(
        con,
        "known_ids",
        "id_number, id",
        "id_number",
        "SELECT DISTINCT id_number AS k FROM recs WHERE id_valid AND id_number IS NOT NULL "
        "AND person_id IS NULL",
    )


def _roster_people(con: duckdb.DuckDBPyConnection) -> None:
    """Roster persons (an enrolment or post at the school) with the same name and birth
    date as a new record without a valid ID: only where exactly one person fits."""
    con.execute(
        "CREATE OR REPLACE TABLE roster (name VARCHAR, birth_date VARCHAR, school_id BIGINT, "
        "person_id BIGINT)"
    )
    wanted = con.execute(
        "SELECT DISTINCT name, birth_date, school_id FROM recs WHERE person_id IS NULL "
        "AND NOT coalesce(id_valid, false) AND name IS NOT NULL AND birth_date IS NOT NULL "
        "AND school_id IS NOT NULL"
    ).fetchall()
    keys = {(n, b, sc) for n, b, sc in wanted}
    names = sorted({n for n, _b, _sc in wanted})
    found: list[tuple[Any, ...]] = []
    with connection.cursor() as cursor:
        for start in range(0, len(names), 5_000):
            chunk = names[start : start + 5_000]
            marks = ", ".join(["%s"] * len(chunk))
            for table, status in (
                ("people_student", "status = 'enrolled'"),
                ("people_teacher", "active"),
            ):
                cursor.execute(
                    f"SELECT p.name, p.birth_date, x.school_id, p.id FROM people_person p "
                    f"JOIN {table} x ON x.person_id = p.id WHERE x.{status} "
                    f"AND p.name IN ({marks})",
                    chunk,
                )
                for name, birth, school_id, person_id in cursor.fetchall():
                    key = (name, birth.isoformat() if birth else None, school_id)
                    if key in keys:
                        found.append((*key, person_id))
    arrow_insert(con, "roster", ["name", "birth_date", "school_id", "person_id"], found)
    con.execute(
        "DELETE FROM roster WHERE (name, birth_date, school_id) IN ("
        "SELECT name, birth_date, school_id FROM roster GROUP BY ALL "
        "HAVING count(DISTINCT person_id) > 1)"
    )


def _assign_people(con: duckdb.DuckDBPyConnection, *, next_person_id: int) -> None:
    """cluster → person: its existing person, else the holder of its valid ID, else new."""
    con.execute(
        """
        CREATE OR REPLACE TABLE cluster_people AS
        WITH members AS (
            SELECT c.cluster_id, r.person_id, r.id_number, r.id_valid, r.name,
                   r.birth_date, r.school_id
            FROM clusters c JOIN recs r USING (unique_id)
        ),
        votes AS (
            SELECT cluster_id, person_id, count(*) AS n
            FROM members WHERE person_id IS NOT NULL GROUP BY cluster_id, person_id
        ),
        existing AS (
            -- the person most of the cluster's records already belong to
            SELECT cluster_id, arg_max(person_id, n * 1e12 - person_id) AS person_id,
                   count(*) AS persons
            FROM votes GROUP BY cluster_id
        ),
        by_id AS (
            SELECT m.cluster_id, min(k.person_id) AS person_id
            FROM members m JOIN known_ids k ON k.id_number = m.id_number AND m.id_valid
            GROUP BY m.cluster_id
        ),
        by_roster AS (
            SELECT m.cluster_id, min(ro.person_id) AS person_id
            FROM members m JOIN roster ro
              ON ro.name = m.name AND ro.birth_date = m.birth_date AND ro.school_id = m.school_id
            GROUP BY m.cluster_id
        ),
        ids AS (SELECT DISTINCT cluster_id FROM clusters)
        SELECT ids.cluster_id,
               coalesce(e.person_id, b.person_id, ro.person_id) AS person_id,
               coalesce(e.persons, 0) AS persons_before
        FROM ids LEFT JOIN existing e USING (cluster_id) LEFT JOIN by_id b USING (cluster_id)
        LEFT JOIN by_roster ro USING (cluster_id)
        """
    )
    # Two clusters may not claim the same existing person (a steward split them):
    # the first keeps it, the others become new people.
    con.execute(
        """
        UPDATE cluster_people SET person_id = NULL
        WHERE cluster_id IN (
            SELECT cluster_id FROM (
                SELECT cluster_id, row_number() OVER (
                    PARTITION BY person_id ORDER BY cluster_id) AS n
                FROM cluster_people WHERE person_id IS NOT NULL
            ) WHERE n > 1
        )
        """
    )
    con.execute(
        f"""
        CREATE OR REPLACE TABLE cluster_people AS
        SELECT cluster_id,
               coalesce(person_id, {next_person_id} - 1 + row_number() OVER (
                   PARTITION BY person_id IS NULL ORDER BY cluster_id)) AS person_id,
               person_id IS NULL AS is_new_person,
               persons_before
        FROM cluster_people
        """
    )


# Batch and record ids below which the golden values' ranking number fits a BIGINT.
NARROW_KEY_LIMITS = (2**22, 2**40)
# Persons of one record skip the golden values' aggregate (tests compare both ways).
SPLIT_SINGLES = True
# Sources counted per person through a 64-bit mask while there are at most this many.
SOURCE_MASK_MAX = 62


def _golden_values(con: duckdb.DuckDBPyConnection, authority: dict[str, str]) -> None:
    """One winning value and its record per person and item (一数一源)."""
    # The authoritative source first, then the latest batch, then the latest row, as
    # one number per record and authority: arg_max over a number, where a row() key
    # compared structs and count(DISTINCT …) kept a set per person and item (measured
    # on 3.6 million records, 2 million persons: 25–28 s before, 11–12 s now). The
    # number is a BIGINT while batch and record ids leave room (batch < 2^22, record
    # < 2^40), else a HUGEINT (a quarter slower).
    bounds = con.execute("SELECT max(batch_id), max(unique_id) FROM recs").fetchall()[0]
    narrow = (bounds[0] or 0) < NARROW_KEY_LIMITS[0] and (bounds[1] or 0) < NARROW_KEY_LIMITS[1]
    number, batch_shift, source_shift = ("BIGINT", 40, 62) if narrow else ("HUGEINT", 50, 100)
    if (bounds[1] or 0) >= 1 << batch_shift:  # the record's bits would reach the batch's
        raise ResolutionError("record ids beyond 2^50 cannot be ranked")
    record_mask = (1 << batch_shift) - 1  # the ranking number's unique_id bits
    authorities = sorted({authority.get(item, "") for item in PROVENANCE_ITEMS} | {""})
    key_of = {auth: f"k{i}" for i, auth in enumerate(authorities)}
    keys = ", ".join(
        f"(CAST(source = {sql_text(auth)} AS {number}) << {source_shift}) + base AS {key_of[auth]}"
        for auth in authorities
    )
    parts, single_parts = [], []
    for item in PROVENANCE_ITEMS:
        expr = ITEM_VALUE_SQL[item]
        key = key_of[authority.get(item, "")]
        present = f"nullif({expr}, '') IS NOT NULL"
        # c_<item>: the sources disagree (two or more distinct values), a conflict;
        # compared by 64-bit hash, so that no copy of each text is kept per person.
        hashed = f"CASE WHEN {present} THEN hash({expr}) END"
        # s_<item>, the winning record: the low bits of the largest ranking number (a
        # max, where an arg_max kept a second value per person and item).
        parts.append(
            f"arg_max({expr}, {key}) FILTER (WHERE {present}) AS v_{item}, "
            f"CAST(max({key}) FILTER (WHERE {present}) & {record_mask} AS BIGINT) AS s_{item}, "
            f"min({hashed}) IS DISTINCT FROM max({hashed}) AS c_{item}"
        )
        single_parts.append(
            f"CASE WHEN {present} THEN {expr} END AS v_{item}, "
            f"CASE WHEN {present} THEN unique_id END AS s_{item}, false AS c_{item}"
        )
    # The number of sources of a person: the bits of a mask of them (a count(DISTINCT)
    # is a second aggregate joined back), while there are few enough sources.
    sources = sorted(
        row[0]
        for row in con.execute(
            "SELECT DISTINCT source FROM recs WHERE source IS NOT NULL"
        ).fetchall()
    )
    source_count = "count(DISTINCT r.source)"
    if 0 < len(sources) <= SOURCE_MASK_MAX:
        whens = " ".join(f"WHEN {sql_text(code)} THEN {bit}" for bit, code in enumerate(sources))
        mask = f"bit_or(CAST(1 AS BIGINT) << CASE r.source {whens} END)"
        source_count = f"CAST(coalesce(bit_count({mask}), 0) AS BIGINT)"
    name_key = key_of[authority.get("name", "")]
    # A person of one record takes that record's values as they are: only the others
    # go through the aggregate (a third of the persons of a province have one record,
    # and the aggregate's table of states outgrows the caches as it grows).
    singles = "count(*) = 1" if SPLIT_SINGLES else "false"
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE cluster_single AS SELECT cluster_id, {singles} AS single "
        "FROM clusters GROUP BY cluster_id"
    )
    con.execute(
        f"""
        CREATE OR REPLACE TABLE golden AS
        WITH r AS (
            SELECT *, {keys} FROM (
                SELECT *, (CAST(batch_id AS {number}) << {batch_shift}) + unique_id AS base
                FROM recs
            )
        )
        SELECT cp.person_id, cp.is_new_person, cp.persons_before,
               count(*) AS record_count, {source_count} AS source_count,
               bool_or(r.id_number IS NOT NULL) AS any_id,
               arg_max(r.region_id, r.base) AS fallback_region,
               arg_max(r.person_type, {name_key}) AS person_type,
               {", ".join(parts)}
        FROM clusters c
        JOIN cluster_single s USING (cluster_id)
        JOIN r USING (unique_id)
        JOIN cluster_people cp USING (cluster_id)
        WHERE NOT s.single
        GROUP BY cp.person_id, cp.is_new_person, cp.persons_before
        UNION ALL
        SELECT cp.person_id, cp.is_new_person, cp.persons_before,
               CAST(1 AS BIGINT), CAST(r.source IS NOT NULL AS BIGINT),
               r.id_number IS NOT NULL, r.region_id, r.person_type,
               {", ".join(single_parts)}
        FROM clusters c
        JOIN cluster_single s USING (cluster_id)
        JOIN recs r USING (unique_id)
        JOIN cluster_people cp USING (cluster_id)
        WHERE s.single
        """
    )
    con.execute("DROP TABLE cluster_single")


@dataclass
class RunFigures:
    records: int = 0
    new_records: int = 0
    pairs: int = 0
    persons_created: int = 0
    persons_linked: int = 0
    review_items: int = 0
    conflicts: int = 0
    splink_seconds: float = 0.0


# ---------------------------------------------------------------------- the run


def resolve(
    *,
    full: bool = False,
    actor: Any = None,
    progress: Progress | None = None,
    enrol_new: bool = True,
) -> ResolutionRun:
    """Resolve identities and write the golden records; returns the run's figures.

    Incremental unless ``full`` (or nothing was resolved yet): only pairs that involve a
    record without a person are scored.
    """
    started = time.perf_counter()
    report = progress or (lambda phase, done, total: None)
    # Seconds per phase, kept on the returned run (not stored) for the benchmark.
    steps: dict[str, float] = {}
    phase_at = [started]
    phase_name = [""]

    def say(phase: str, done: int, total: int) -> None:
        now = time.perf_counter()
        if phase_name[0]:
            steps[phase_name[0]] = steps.get(phase_name[0], 0.0) + now - phase_at[0]
        phase_at[0], phase_name[0] = now, phase
        report(phase, done, total)

    backend = getattr(settings, "GOVERNANCE_RESOLUTION_BACKEND", "duckdb")
    thresholds = Thresholds.from_settings()
    stale = timezone.now() - dt.timedelta(hours=2)
    if ResolutionRun.objects.filter(status="running", started_at__gte=stale).exists():
        raise ResolutionError("另一次身份解析正在进行，请待其完成后再试")
    run = ResolutionRun.objects.create(
        mode="full" if full else "incremental", backend=backend, created_by=actor
    )
    figures = RunFigures()
    try:
        con = duckdb.connect()
        con.execute(f"SET threads = {max(1, int(getattr(settings, 'DUCKDB_THREADS', 2)))}")
        say("load", 0, 1)
        figures.records = _load_records_fast(con)
        con.execute("ALTER TABLE recs ADD COLUMN is_new BOOLEAN")
        con.execute("UPDATE recs SET is_new = person_id IS NULL")
        figures.new_records = int(
            con.execute("SELECT count(*) FROM recs WHERE is_new").fetchall()[0][0]
        )
        # A full run scores every pair again and ignores the existing links (a steward's
        # decisions still hold); its clusters keep the person most of their records had.
        if full:
            con.execute("UPDATE recs SET is_new = true")
        incremental = not full and figures.new_records < figures.records
        if figures.new_records == 0 and not full:
            run.status = "done"
            run.records = figures.records
            run.total_seconds = time.perf_counter() - started
            run.finished_at = timezone.now()
            run.save()
            return run
        say("predict", 0, 1)
        t0 = time.perf_counter()
        if backend == "spark":
            _spark_predict(con, incremental=incremental, threshold=thresholds.review)
        else:
            _splink_predict(con, incremental=incremental, threshold=thresholds.review)
        figures.pairs = int(con.execute("SELECT count(*) FROM pairs").fetchall()[0][0])
        _decisions(con)
        say("cluster", 0, 1)
        _cluster(con, threshold=thresholds.match, keep_links=incremental)
        figures.splink_seconds = time.perf_counter() - t0
        say("persons", 0, 1)
        if incremental:
            # Only the clusters that contain a new record change.
            con.execute(
                "DELETE FROM clusters WHERE cluster_id NOT IN ("
                "SELECT c.cluster_id FROM clusters c JOIN recs r USING (unique_id) "
                "WHERE r.is_new)"
            )
        _existing_people_by_id(con)
        _roster_people(con)
        with connection.cursor() as cursor:
            cursor.execute("SELECT coalesce(max(id), 0) FROM people_person")
            next_id = int(cursor.fetchone()[0]) + 1
        _assign_people(con, next_person_id=next_id)
        authority = dict(ItemAuthority.objects.values_list("item", "source__code"))
        say("golden values", 0, 1)
        _golden_values(con, authority)
        say("write", 0, 1)
        from eduplus.governance.golden import write_golden

        written = write_golden(con, thresholds=thresholds, enrol_new=enrol_new)
        figures.persons_created = written.persons_created
        figures.persons_linked = written.persons_linked
        figures.review_items = written.review_items
        figures.conflicts = written.conflicts
        con.close()
        steps.pop(phase_name[0], None)  # "write": broken down below
        steps.update({f"write: {k}": v for k, v in written.timings.items()})
    except Exception as exc:
        run.status = "failed"
        run.failure = str(exc)[:2000]
        run.total_seconds = time.perf_counter() - started
        run.finished_at = timezone.now()
        run.save()
        raise
    run.status = "done"
    for name, value in figures.__dict__.items():
        setattr(run, name, value)
    run.total_seconds = time.perf_counter() - started
    run.finished_at = timezone.now()
    run.save()
    from eduplus.governance.lineage import lineage_emit

    batch_codes = [f"batch:{b}" for b in _done_batch_ids()]
    lineage_emit(
        job_name="governance.resolve",
        inputs=batch_codes,
        outputs=["golden:students", "golden:teachers"],
        run_facets={
            "eduplus_run": {
                "mode": run.mode,
                "records": run.records,
                "pairs": run.pairs,
                "persons_created": run.persons_created,
            }
        },
    )
    report("done", 1, 1)
    run.step_seconds = steps  # type: ignore[attr-defined]
    return run


def _done_batch_ids() -> list[int]:
    from eduplus.governance.models import ImportBatch

    return list(ImportBatch.objects.filter(status=BatchStatus.DONE).values_list("id", flat=True))


def splink_reference() -> float:
    """Seconds Splink alone takes to score and cluster the same records (the benchmark's
    reference): the records are already in DuckDB; nothing is written back."""
    con = duckdb.connect()
    con.execute(f"SET threads = {max(1, int(getattr(settings, 'DUCKDB_THREADS', 2)))}")
    _load_records_fast(con)
    con.execute("ALTER TABLE recs ADD COLUMN is_new BOOLEAN DEFAULT true")
    thresholds = Thresholds.from_settings()
    t0 = time.perf_counter()
    from splink import DuckDBAPI, Linker

    db_api = DuckDBAPI(con)
    linker = Linker(
        db_api.register("recs"), splink_settings(incremental=False), log_level=logging.WARNING
    )
    predictions = linker.inference.predict(
        threshold_match_probability=thresholds.review, warning_mode="never"
    )
    linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=thresholds.match
    )
    seconds = time.perf_counter() - t0
    con.close()
    return seconds
