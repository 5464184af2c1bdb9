"""School registry writes. Bulk import and export live in schools.registry."""

from __future__ import annotations

from typing import Any

from django.db import connection, transaction
from django.http import HttpRequest

from eduplus.core.audit import audit_record
from eduplus.schools.models import School


@transaction.atomic
def school_create(
    *, actor: Any = None, request: HttpRequest | None = None, **fields: Any
) -> School:
    school = School(**fields)
    school.full_clean()
    school.save()
    audit_record(
        actor=actor,
        action="school.create",
        target_type="schools.school",
        target_id=str(school.pk),
        target_repr=school.name,
        request=request,
    )
    return school


def school_headcounts_refresh(*, school_ids: list[int] | None = None) -> int:
    """Recompute 在校生数 / 专任教师数 / 班级数 from the rosters, set-based.

    Schools without any roster keep the headcounts their registry declared.
    """
    where = ""
    params: list[Any] = []
    if school_ids is not None:
        if not school_ids:
            return 0
        where = f" AND s.id IN ({','.join(['%s'] * len(school_ids))})"
        params = list(school_ids)
    sql = f"""
        UPDATE schools_school AS s SET
          student_count = (SELECT COUNT(*) FROM people_student st
                           WHERE st.school_id = s.id AND st.status = 'enrolled'),
          teacher_count = (SELECT COUNT(*) FROM people_teacher t
                           WHERE t.school_id = s.id AND t.active),
          class_count = (SELECT COUNT(*) FROM schools_schoolclass c WHERE c.school_id = s.id)
        WHERE (EXISTS (SELECT 1 FROM people_student st WHERE st.school_id = s.id)
           OR EXISTS (SELECT 1 FROM people_teacher t WHERE t.school_id = s.id)){where}
    """  # noqa: S608
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount
