"""Shared fixtures of the governance tests: a data steward, a few schools with known
codes in two counties, and a helper that imports a small CSV.

Every governance test gets its own ``GOVERNANCE_DIR`` (uploads, error reports, the
columnar copies, progress files), so that files never leak from one test to another.
"""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from eduplus.testing import factories as f
from eduplus.testing.database import committed_db  # noqa: F401 - a fixture of the package

# 学校标识码 of the fixture schools (far from the factories' sequence).
CODE_A1 = "2141990101"  # primary school, 中原区 410102
CODE_A2 = "3141990102"  # junior middle school, 中原区 410102
CODE_B1 = "2141990201"  # primary school, 龙亭区 410202


@pytest.fixture(autouse=True)
def checkpoints_finished() -> Iterator[None]:
    """A test's big commits are copied into the database file before the next test
    (and its flush) begins."""
    yield
    from eduplus.governance import bulk

    bulk.checkpoints_wait()


@pytest.fixture(autouse=True)
def governance_dir(settings: Any, tmp_path: Path) -> Path:
    path = tmp_path / "governance"
    settings.GOVERNANCE_DIR = path
    return path


@pytest.fixture
def steward(db: Any) -> Any:
    """The province's data steward (数据管理员, region 41)."""
    return f.user_with_role("data_steward", region="41", username="gov-steward")


@dataclass
class GovSchools:
    a1: Any
    a2: Any
    b1: Any


@pytest.fixture
def gov_schools(db: Any) -> GovSchools:
    return GovSchools(
        a1=f.SchoolFactory(code=CODE_A1, name="中原治理实验小学", region=f.region("410102")),
        a2=f.SchoolFactory(
            code=CODE_A2, name="中原治理初级中学", school_type="311", region=f.region("410102")
        ),
        b1=f.SchoolFactory(code=CODE_B1, name="龙亭治理小学", region=f.region("410202")),
    )


_files = itertools.count(1)


def csv_bytes(
    header: Sequence[str], rows: Sequence[Sequence[Any]], *, encoding: str = "utf-8"
) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    return buffer.getvalue().encode(encoding)


@pytest.fixture
def import_csv(tmp_path: Path) -> Callable[..., Any]:
    """``import_csv(source_code, header, rows, encoding="utf-8", region_code=None,
    actor=None, mapping=None)`` writes a CSV and imports it synchronously (the batch)."""
    from eduplus.governance.importing import batch_import_file

    def _import(
        source_code: str,
        header: Sequence[str],
        rows: Sequence[Sequence[Any]],
        *,
        encoding: str = "utf-8",
        region_code: str | None = None,
        actor: Any = None,
        mapping: dict[str, str] | None = None,
    ) -> Any:
        path = tmp_path / f"{source_code}-{next(_files)}.csv"
        path.write_bytes(csv_bytes(header, rows, encoding=encoding))
        return batch_import_file(
            source_code=source_code,
            path=path,
            region_code=region_code,
            actor=actor,
            mapping=mapping,
        )

    return _import
