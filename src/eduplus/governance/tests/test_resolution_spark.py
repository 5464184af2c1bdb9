"""The same resolution on Splink's Spark backend (a province's configuration), at
small scale: it must link exactly as the embedded DuckDB engine does."""

from __future__ import annotations

import importlib.util
import shutil
from typing import Any

import pytest
from django.test import override_settings

from eduplus.governance.models import RecordLink
from eduplus.governance.resolution import resolve
from eduplus.governance.tests.test_resolution import schools, three_sources  # noqa: F401

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        importlib.util.find_spec("pyspark") is None or shutil.which("java") is None,
        reason="PySpark and a Java runtime are needed (make test installs the spark group)",
    ),
]


def _partition() -> set[frozenset[int]]:
    groups: dict[int, set[int]] = {}
    for record_id, person_id in RecordLink.objects.values_list("record_id", "person_id"):
        groups.setdefault(person_id, set()).add(record_id)
    return {frozenset(g) for g in groups.values()}


def test_spark_backend_links_like_duckdb(three_sources: dict[str, Any]) -> None:  # noqa: F811
    with override_settings(GOVERNANCE_RESOLUTION_BACKEND="spark"):
        run = resolve()
    assert run.backend == "spark" and run.status == "done"
    spark_partition = _partition()
    run = resolve(full=True)
    assert run.backend == "duckdb"
    assert _partition() == spark_partition
    assert len(spark_partition) == 5
