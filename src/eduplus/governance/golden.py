"""Writing a resolution run's result into the operational database, set-based.

Input: the DuckDB tables the run built (``recs``, ``clusters``, ``cluster_people``,
``golden``, ``pairs``, ``edges``). Output, in one transaction: new ``people.Person``
rows, changed golden values on existing persons, each source record's link to its
person, one ``GoldenRecord`` per touched person with the provenance of every value,
the conflicts between sources, new review items, and an enrolment (学籍) or teaching
post for new people, so that the foundation's rosters are the golden records.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from eduplus.governance.bulk import (
    BULK_MIN_ROWS,
    missing_places,
    places_named,
    prefetched,
    sqlite_bulk,
    sqlite_checkpoint_after,
    sqlite_copy,
    sqlite_foreign_keys_unchecked,
)
from eduplus.governance.models import GOLDEN_TEXT_ITEMS, PROVENANCE_ITEMS
from eduplus.governance.normalize import sql_text
from eduplus.governance.resolution import (
    ITEM_VALUE_SQL,
    ResolutionError,
    Thresholds,
    arrow_insert,
)

if TYPE_CHECKING:
    import duckdb


CHUNK = 50_000


@dataclass
class Written:
    persons_created: int = 0
    persons_linked: int = 0
    review_items: int = 0
    conflicts: int = 0
    # Seconds per step, for the benchmark's breakdown.
    timings: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.timings[name] = self.timings.get(name, 0.0) + time.perf_counter() - started


def _chunks(rows: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def _executemany(sql: str, rows: Sequence[Sequence[Any]]) -> None:
    if not rows:
        return
    with connection.cursor() as cursor:
        for chunk in _chunks(rows):
            cursor.executemany(sql, chunk)


def _temp_table(name: str, columns: str, rows: Sequence[Sequence[Any]]) -> None:
    """A temporary table in the operational database, for UPDATE … FROM joins."""
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {name}")
        cursor.execute(f"CREATE TEMPORARY TABLE {name} ({columns})")
    marks = ", ".join(["%s"] * (columns.count(",") + 1))
    _executemany(f"INSERT INTO {name} VALUES ({marks})", rows)


def _drop(name: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {name}")


# A person's golden values as written to people_person, in this order.
PERSON_VALUES = ["name", "id_number", "gender", "birth_date", "ethnicity", "phone", "golden_id"]


# The temporary table the golden values of existing persons pass through.
_OLD_PEOPLE_COLUMNS = (
    "name varchar(64), id_number varchar(18), gender smallint, birth_date date, "
    "ethnicity varchar(2), phone varchar(20), golden_id varchar(32)"
)


def _update_people_from_old() -> None:
    """The golden values of existing persons, from temporary table ``gov_old`` (the
    values of PERSON_VALUES, then the person), in one ``UPDATE … FROM``. A value the
    sources do not give keeps what the person has."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE people_person SET name = COALESCE(NULLIF(o.name, ''), people_person.name), "
            "id_number = COALESCE(o.id_number, people_person.id_number), "
            "gender = COALESCE(o.gender, people_person.gender), "
            "birth_date = COALESCE(o.birth_date, people_person.birth_date), "
            "ethnicity = COALESCE(NULLIF(o.ethnicity, ''), people_person.ethnicity), "
            "phone = COALESCE(NULLIF(o.phone, ''), people_person.phone), "
            "golden_id = o.golden_id FROM gov_old o WHERE people_person.id = o.person_id"
        )
    _drop("gov_old")


def _golden_id_sql() -> str:
    """G + ID number; L (an ID was given but is invalid) / J (none) + region + person."""
    return (
        "CASE WHEN coalesce(g.v_id_number, e.id_number) IS NOT NULL "
        "    THEN 'G' || coalesce(g.v_id_number, e.id_number) "
        "WHEN e.golden_id IS NOT NULL THEN e.golden_id "
        "WHEN g.any_id THEN 'L' || coalesce(lpad(g.fallback_region, 6, '0'), '000000') "
        "    || lpad(CAST(g.person_id AS VARCHAR), 11, '0') "
        "ELSE 'J' || coalesce(lpad(g.fallback_region, 6, '0'), '000000') "
        "    || lpad(CAST(g.person_id AS VARCHAR), 11, '0') END"
    )


# Look values up by key (IN lists) while they are fewer than this share of the people
# table's rows; beyond it, one sequential scan of the table is cheaper.
LOOKUP_MAX_SHARE = 0.25


def people_rows(
    con: duckdb.DuckDBPyConnection, table: str, select: str, key: str, wanted_sql: str
) -> None:
    """Rows of ``people_person`` whose ``key`` is one of the values DuckDB query
    ``wanted_sql`` gives, into DuckDB ``table`` (columns in the order of ``select``)."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE wanted_keys AS {wanted_sql}")
    count = int(con.execute("SELECT count(*) FROM wanted_keys").fetchall()[0][0])
    columns = [c.strip() for c in select.split(",")]
    with connection.cursor() as cursor:
        if count and count < LOOKUP_MAX_SHARE * _people_count():
            wanted = [r[0] for r in con.execute("SELECT * FROM wanted_keys").fetchall()]
            for chunk in _chunks(wanted, 20_000):
                marks = ", ".join(["%s"] * len(chunk))
                cursor.execute(
                    f"SELECT {select} FROM people_person WHERE {key} IN ({marks})",
                    list(chunk),
                )
                arrow_insert(con, table, columns, cursor.fetchall())
        elif count:
            cursor.execute(f"SELECT {select} FROM people_person WHERE {key} IS NOT NULL")
            scanned = f"scanned_{table}"
            con.execute(f"CREATE OR REPLACE TEMP TABLE {scanned} AS FROM {table} LIMIT 0")
            while True:
                rows = cursor.fetchmany(200_000)
                if not rows:
                    break
                arrow_insert(con, scanned, columns, rows)
            con.execute(
                f"INSERT INTO {table} SELECT s.* FROM {scanned} s "
                f"SEMI JOIN wanted_keys w ON w.k = s.{key}"
            )
            con.execute(f"DROP TABLE {scanned}")
    con.execute("DROP TABLE wanted_keys")


def _people_count() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT max(id) FROM people_person")  # an upper bound, by key
        row = cursor.fetchone()
    return int(row[0] or 0) if row else 0


def _existing_people(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        "CREATE OR REPLACE TABLE existing (id BIGINT, golden_id VARCHAR, id_number VARCHAR)"
    )
    people_rows(
        con,
        "existing",
        "id, golden_id, id_number",
        "id",
        "SELECT person_id AS k FROM golden WHERE NOT is_new_person",
    )
    con.execute("ALTER TABLE existing RENAME COLUMN id TO person_id")


def _taken_id_numbers(con: duckdb.DuckDBPyConnection) -> None:
    """ID numbers a person would take that another person outside the run holds."""
    con.execute("CREATE OR REPLACE TABLE taken (id_number VARCHAR, id BIGINT)")
    people_rows(
        con,
        "taken",
        "id_number, id",
        "id_number",
        "SELECT DISTINCT v_id_number AS k FROM golden WHERE v_id_number IS NOT NULL",
    )
    con.execute("ALTER TABLE taken RENAME COLUMN id TO person_id")
    # Held by someone else, or claimed by two persons of this run: drop it from all
    # but one (the lowest person id keeps it).
    con.execute(
        """
        UPDATE golden SET v_id_number = NULL
        WHERE person_id IN (
            SELECT g.person_id FROM golden g JOIN taken t ON t.id_number = g.v_id_number
            WHERE t.person_id <> g.person_id
            UNION ALL
            SELECT person_id FROM (
                SELECT person_id, row_number() OVER (
                    PARTITION BY v_id_number ORDER BY person_id) AS n
                FROM golden WHERE v_id_number IS NOT NULL
            ) WHERE n > 1
        )
        """
    )


def write_golden(
    con: duckdb.DuckDBPyConnection, *, thresholds: Thresholds, enrol_new: bool = True
) -> Written:
    written = Written()
    prepare_started = time.perf_counter()
    # The time stamp of every row written, as the database stores it: a constant of
    # the DuckDB results, not a value added to each row in Python.
    stamp_sql = sql_text(str(connection.ops.adapt_datetimefield_value(timezone.now())))
    _existing_people(con)
    _taken_id_numbers(con)
    # Each result is built in DuckDB first; the rows reach Python below, in a second
    # thread while the writes before them run.
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE w_people AS
        SELECT g.person_id, g.is_new_person, left(coalesce(g.v_name, ''), 64) AS name,
               g.v_id_number AS id_number, TRY_CAST(g.v_gender AS SMALLINT) AS gender,
               TRY_CAST(g.v_birth_date AS DATE) AS birth_date,
               left(coalesce(g.v_ethnicity, ''), 2) AS ethnicity,
               left(coalesce(g.v_phone, g.v_guardian_phone, ''), 20) AS phone,
               {_golden_id_sql()} AS golden_id
        FROM golden g LEFT JOIN existing e USING (person_id)
        """
    )
    person_values = "name, id_number, gender, birth_date, ethnicity, phone, golden_id"
    new_people_sql = (
        f"SELECT person_id, {person_values} FROM w_people WHERE is_new_person ORDER BY person_id"
    )
    old_people_sql = (
        f"SELECT {person_values}, person_id FROM w_people WHERE NOT is_new_person "
        "ORDER BY person_id"
    )
    # On SQLite every write below goes DuckDB → CSV → SQLite's vsv reader (no Python
    # tuple per row, governance.bulk.sqlite_copy); elsewhere the rows pass through
    # Python (executemany, in a second thread while the writes before them run).
    copying = connection.vendor == "sqlite"
    new_count = int(
        con.execute("SELECT count(*) FROM w_people WHERE is_new_person").fetchall()[0][0]
    )
    old_count = int(con.execute("SELECT count(*) FROM w_people").fetchall()[0][0]) - new_count
    # A run numbers its new persons from one id on, without gaps (resolution's
    # _assign_people): their enrolments are chosen by that range.
    first_new, last_new = con.execute(
        "SELECT min(person_id), max(person_id) FROM w_people WHERE is_new_person"
    ).fetchall()[0]
    if new_count and last_new - first_new + 1 != new_count:
        raise ResolutionError("new persons are not numbered without gaps")
    new_ids = (int(first_new or 0), int(last_new or 0))
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE w_links AS
        WITH best AS (
            SELECT id, max(p) AS p FROM (
                SELECT unique_id_l AS id, match_probability AS p FROM edges
                UNION ALL SELECT unique_id_r, match_probability FROM edges
            ) GROUP BY id
        )
        SELECT r.unique_id, cp.person_id, best.p
        FROM clusters c
        JOIN recs r USING (unique_id)
        JOIN cluster_people cp USING (cluster_id)
        LEFT JOIN best ON best.id = r.unique_id
        WHERE r.person_id IS DISTINCT FROM cp.person_id OR r.is_new
        """
    )
    src_cols = ", ".join(f"g.s_{item}" for item in PROVENANCE_ITEMS)
    # In person order, so that the golden table's rows lie in the order of the persons
    # (the persons export and every roster read them together); written in the table's
    # own order.
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE w_golden AS
        SELECT g.person_id, coalesce(g.person_type, 'student') AS person_type,
               coalesce(school_rec.region_id, g.fallback_region) AS region_id,
               TRY_CAST(g.v_school AS BIGINT) AS school_id, TRY_CAST(g.v_grade AS INTEGER),
               left(coalesce(g.v_class_name, ''), 32), left(coalesce(g.v_address, ''), 255),
               left(coalesce(g.v_guardian_phone, ''), 20), left(coalesce(g.v_aid_status, ''), 32),
               left(coalesce(g.v_health_result, ''), 16), left(coalesce(g.v_subject, ''), 32),
               left(coalesce(g.v_title, ''), 32), g.record_count, g.source_count,
               {stamp_sql} AS updated_at, {src_cols}
        FROM golden g LEFT JOIN recs school_rec ON school_rec.unique_id = g.s_school
        ORDER BY g.person_id
        """
    )
    conflict_parts = []
    for item in PROVENANCE_ITEMS:
        expr = ITEM_VALUE_SQL[item]
        conflict_parts.append(
            f"""
            SELECT cp.person_id, '{item}' AS item, nullif({expr}, '') AS value,
                   r.source, r.batch_id, r.unique_id, r.region_id
            FROM clusters c JOIN recs r USING (unique_id) JOIN cluster_people cp USING (cluster_id)
            WHERE cp.person_id IN (SELECT person_id FROM golden WHERE c_{item})
              AND nullif({expr}, '') IS NOT NULL
            """
        )
    chosen_cases = " ".join(f"WHEN '{item}' THEN g.v_{item}" for item in PROVENANCE_ITEMS)
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE w_conflicts AS
        WITH v AS ({" UNION ALL ".join(conflict_parts)})
        SELECT v.person_id, v.item,
               left(coalesce(CASE v.item {chosen_cases} END, ''), 255) AS chosen,
               to_json(list(struct_pack(source := v.source, batch := v.batch_id,
                                        record := v.unique_id, value := v.value)
                            ORDER BY v.batch_id, v.unique_id)[1:20]) AS vals,
               max(v.region_id) AS region, {stamp_sql} AS detected_at
        FROM v JOIN golden g USING (person_id)
        GROUP BY v.person_id, v.item, g.v_name, g.v_id_number, g.v_birth_date, g.v_gender,
                 g.v_ethnicity, g.v_school, g.v_grade, g.v_class_name, g.v_address, g.v_phone,
                 g.v_guardian_phone, g.v_aid_status, g.v_health_result, g.v_subject, g.v_title
        """
    )
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE w_reviews AS
        SELECT least(p.unique_id_l, p.unique_id_r), greatest(p.unique_id_l, p.unique_id_r),
               max(p.match_probability), max(rl.region_id), {stamp_sql} AS created_at
        FROM pairs p
        JOIN clusters cl ON cl.unique_id = p.unique_id_l
        JOIN clusters cr ON cr.unique_id = p.unique_id_r
        JOIN recs rl ON rl.unique_id = p.unique_id_l
        WHERE p.match_probability >= {thresholds.review}
          AND p.match_probability < {thresholds.match}
          AND cl.cluster_id <> cr.cluster_id
        GROUP BY 1, 2
        """
    )

    def count(table: str) -> int:
        return int(con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0])

    links_count, golden_count = count("w_links"), count("w_golden")
    conflicts_count, reviews_count = count("w_conflicts"), count("w_reviews")
    places = places_named(con, "w_golden")  # checked in the write transaction
    # In this order the writes below take them (the links by record, the rest by person).
    fetches = (
        ("new people", new_people_sql),
        ("old people", old_people_sql),
        ("links", "SELECT * FROM w_links ORDER BY unique_id"),
        # Only persons that existed before can hold golden records and conflicts to
        # replace (a person's are deleted with it, and new ids were never used).
        ("touched", "SELECT person_id FROM w_people WHERE NOT is_new_person ORDER BY person_id"),
        ("golden", "SELECT * FROM w_golden"),  # in person order (above)
        ("conflicts", "SELECT * FROM w_conflicts"),
        ("reviews", "SELECT * FROM w_reviews"),
    )
    results = prefetched(
        ((name, con.execute(sql).fetchall()) for name, sql in ([] if copying else fetches)),
        depth=1,
    )

    def rows_of(name: str) -> list[Any]:
        got, rows = next(results)
        assert got == name, (got, name)
        return rows

    def write(
        name: str,
        table: str,
        columns: list[str],
        *,
        constants: dict[str, str] | None = None,
        conflict: str = "",
        whole: str | None = None,
    ) -> None:
        """The rows of fetch ``name`` into ``table``: copied on SQLite, else through
        Python (``constants``: further columns as SQL; ``conflict``: an upsert clause;
        ``whole``: the one DuckDB table the fetch reads whole, in its own order)."""
        if copying:
            sqlite_copy(
                con,
                dict(fetches)[name],
                table,
                columns,
                constants=constants,
                conflict=conflict,
                rows_of=whole,
            )
            return
        consts = constants or {}
        names = ", ".join(connection.ops.quote_name(c) for c in [*columns, *consts])
        values = ", ".join([*(["%s"] * len(columns)), *consts.values()])
        _executemany(
            f"INSERT INTO {table} ({names}) VALUES ({values}) {conflict}",
            rows_of(name),
        )

    person_columns = {"name", "id_number", "gender", "birth_date", "ethnicity", "phone"}
    writes: dict[str, tuple[int, set[str] | None]] = {
        "people_person": (
            new_count + old_count,
            None if new_count else person_columns | {"golden_id"},
        ),
        "governance_recordlink": (links_count, None),
        "governance_goldenrecord": (golden_count, None),
        "governance_valueconflict": (conflicts_count, None),
    }
    if enrol_new:
        writes["people_student"] = (new_count, None)
        writes["people_teacher"] = (new_count, None)

    written.timings["prepare"] = time.perf_counter() - prepare_started
    # Every reference written comes from this run (its persons) or was read within it
    # (schools, regions): checked once per value below, not by SQLite once per row.
    writing = sum(rows for rows, _c in writes.values())
    unchecked = sqlite_foreign_keys_unchecked(writing > 0)
    try:
        with (
            sqlite_checkpoint_after(writing >= BULK_MIN_ROWS),
            unchecked as references_unchecked,
            transaction.atomic(),
        ):
            # Enrolments and posts are written in person order, with no class yet.
            in_order = {
                "people_student": {"person_id", "klass_id"},
                "people_teacher": {"person_id"},
            }
            with sqlite_bulk(writes, in_order):
                if references_unchecked:
                    _check_references(places)
                with written.step("persons"):
                    write("new people", "people_person", ["id", *PERSON_VALUES])
                    if connection.vendor == "postgresql" and new_count:
                        with connection.cursor() as cursor:
                            cursor.execute(
                                "SELECT setval(pg_get_serial_sequence('people_person', 'id'), "
                                "(SELECT max(id) FROM people_person))"
                            )
                    _temp_table("gov_old", f"{_OLD_PEOPLE_COLUMNS}, person_id {_key_type()}", [])
                    write("old people", "gov_old", [*PERSON_VALUES, "person_id"])
                    if old_count:
                        _update_people_from_old()
                    _drop("gov_old")
                with written.step("links"):
                    # One narrow row per record (the record's own wide row is not touched);
                    # a record linked before gets its new person in place.
                    write(
                        "links",
                        "governance_recordlink",
                        ["record_id", "person_id", "match_probability"],
                        conflict="ON CONFLICT (record_id) DO UPDATE "
                        "SET person_id = excluded.person_id, "
                        "match_probability = excluded.match_probability",
                    )
                with written.step("golden records"):
                    _temp_table("gov_touched", f"person_id {_key_type()}", [])
                    write("touched", "gov_touched", ["person_id"])
                    if old_count:
                        with connection.cursor() as cursor:
                            cursor.execute(
                                "DELETE FROM governance_goldenrecord WHERE person_id IN "
                                "(SELECT person_id FROM gov_touched)"
                            )
                            cursor.execute(
                                "DELETE FROM governance_valueconflict WHERE person_id IN "
                                "(SELECT person_id FROM gov_touched)"
                            )
                    _drop("gov_touched")
                    write(
                        "golden",
                        "governance_goldenrecord",
                        [
                            "person_id",
                            "person_type",
                            "region_id",
                            "school_id",
                            "grade",
                            *GOLDEN_TEXT_ITEMS,
                            "record_count",
                            "source_count",
                            "updated_at",
                            *(f"src_{item}" for item in PROVENANCE_ITEMS),
                        ],
                        whole="w_golden",
                    )
                with written.step("conflicts and reviews"):
                    write(
                        "conflicts",
                        "governance_valueconflict",
                        ["person_id", "item", "chosen_value", "values", "region_id", "detected_at"],
                    )
                    write(
                        "reviews",
                        "governance_matchreview",
                        ["left_id", "right_id", "probability", "region_id", "created_at"],
                        constants={"status": "'open'", "note": "''"},
                        conflict="ON CONFLICT DO NOTHING",
                    )
                with written.step("enrolment"):
                    if enrol_new and new_count:
                        _enrol_new_people(new_ids)
                rebuild_started = time.perf_counter()  # the dropped indexes, on the way out
            commit_started = time.perf_counter()
        written.timings["index rebuild"] = commit_started - rebuild_started
        written.timings["commit"] = time.perf_counter() - commit_started
    finally:
        # Stops the reading thread (on an error) before the caller closes DuckDB.
        results.close()
    written.persons_created = new_count
    written.persons_linked = old_count
    written.conflicts = conflicts_count
    written.review_items = reviews_count
    return written


def _key_type() -> str:
    """A temporary table's key column: on SQLite the rowid itself (no separate index)."""
    return "INTEGER PRIMARY KEY" if connection.vendor == "sqlite" else "BIGINT PRIMARY KEY"


def _check_references(places: dict[str, list[Any]]) -> None:
    """The regions and schools golden records name exist (once per distinct value)."""
    missing = missing_places(places)
    if missing:
        raise ResolutionError(
            _("解析期间有学校或区域被删除（%(v)s），请重新运行身份解析")
            % {"v": ", ".join(str(v) for v in missing[:5])}
        )


def _enrol_new_people(ids: tuple[int, int]) -> None:
    """New golden students (person ids ``ids[0]``…``ids[1]``) get an enrolment at their
    golden school, teachers a post."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO people_student (person_id, school_id, region_id, grade, "
            "student_number, status, klass_id) "
            "SELECT g.person_id, g.school_id, s.region_id, coalesce(g.grade, 1), '', "
            "'enrolled', NULL FROM governance_goldenrecord g "
            "JOIN schools_school s ON s.id = g.school_id "
            "WHERE g.person_id BETWEEN %s AND %s AND g.person_type = 'student' "
            "ORDER BY g.person_id",
            list(ids),
        )
        cursor.execute(
            "INSERT INTO people_teacher (person_id, school_id, region_id, subject, title, active) "
            "SELECT g.person_id, g.school_id, s.region_id, g.subject, g.title, %s "
            "FROM governance_goldenrecord g "
            "JOIN schools_school s ON s.id = g.school_id "
            "WHERE g.person_id BETWEEN %s AND %s AND g.person_type = 'teacher' "
            "ORDER BY g.person_id",
            [True, *ids],
        )
