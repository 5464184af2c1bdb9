"""``eduplus schools import`` / ``eduplus schools export`` (the operator's CLI)."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from eduplus.core.models import AuditEntry
from eduplus.schools.management.commands.schools import Command
from eduplus.schools.models import School
from eduplus.schools.registry import EXPORT_HEADER
from eduplus.schools.tests.test_registry import (
    MOE_BAD_ROWS,
    MOE_ROWS,
    MOE_VALID,
    csv_bytes,
    make_registry,
    xls_bytes,
)
from eduplus.testing import factories as f

pytestmark = pytest.mark.django_db

GOOD = [
    ["学校标识码", "学校名称", "办学类型", "城乡类型", "区划代码"],
    ["2141016001", "命令行实验小学", "211", "111", "410102"],
    ["2141016002", "命令行第二小学", "小学", "村庄", "410202"],
]


@pytest.fixture
def cli(monkeypatch, capsys):
    """Run ``eduplus schools ...`` as the console script does; (exit code, out, err).

    run_from_argv closes every database connection when it ends, which would end the
    test's transaction; that one step is skipped.
    """
    from django.core.management import base

    monkeypatch.setattr(base.connections, "close_all", lambda: None)

    def run(*args: str) -> tuple[int, str, str]:
        code = 0
        try:
            Command().run_from_argv(["eduplus", "schools", *args])
        except SystemExit as exc:
            code = int(exc.code or 0)
        out, err = capsys.readouterr()
        return code, out, err

    return run


def test_import_all_valid_exits_0_and_prints_counts(cli, tmp_path):
    path = tmp_path / "good.csv"
    path.write_bytes(csv_bytes(GOOD, "gbk"))
    code, out, err = cli("import", str(path))
    assert code == 0, err
    assert "读取行数：2" in out
    assert "新增：2" in out
    assert "更新：0" in out and "未变化：0" in out and "拒绝：0" in out
    assert School.objects.get(code="2141016002").urban_rural == "220"
    entry = AuditEntry.objects.get(action="school.import")
    assert entry.actor_id is None
    assert entry.details["via"] == "cli"
    assert entry.details["created"] == 2
    assert entry.details["filename"] == "good.csv"

    code, out, _err = cli("import", str(path))
    assert code == 0
    assert "新增：0" in out and "未变化：2" in out


def test_import_with_rejected_rows_exits_1_and_writes_the_valid_ones(cli, tmp_path):
    path = tmp_path / "名单.xls"
    path.write_bytes(xls_bytes(MOE_ROWS))
    code, out, err = cli("import", str(path))
    assert code == 1
    assert f"新增：{MOE_VALID}" in out
    assert f"拒绝：{len(MOE_BAD_ROWS)}" in out
    assert "第20行: 学校标识码应为10位数字（414101046）" in out
    assert "第21行: 学校标识码 4141010459 与第16行重复" in out
    assert "第22行: 缺少学校名称" in out
    assert "提示：" in out and "第23行: 所在地“火星市”" in out
    assert "3 行被拒绝" in err
    assert School.objects.count() == MOE_VALID


def test_import_dry_run_writes_nothing(cli, tmp_path):
    path = tmp_path / "good.csv"
    path.write_bytes(csv_bytes(GOOD))
    code, out, _err = cli("import", str(path), "--dry-run")
    assert code == 0
    assert "仅检查" in out and "新增：2" in out
    assert not School.objects.exists()
    assert AuditEntry.objects.get(action="school.import").details["dry_run"] is True


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "文件为空"),
        (b"\x00\x01\x02garbage" * 100, "二进制"),
        ("学校,名字\n1,2\n".encode(), "未找到表头"),
        ("学校标识码,学校名称,校长电话\n".encode(), "无法识别的列"),
    ],
)
def test_unimportable_file_exits_2_with_the_reason_on_stderr(cli, tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    code, out, err = cli("import", str(path))
    assert code == 2
    assert message in err
    assert "新增" not in out
    assert not School.objects.exists()


def test_missing_file_exits_2(cli, tmp_path):
    code, _out, err = cli("import", str(tmp_path / "none.csv"))
    assert code == 2
    assert "文件不存在" in err


def test_export_writes_bom_csv_of_every_school(cli, tmp_path):
    make_registry()
    out_path = tmp_path / "schools.csv"
    code, out, err = cli("export", "--out", str(out_path))
    assert code == 0, err
    assert "已导出 5 所学校" in out
    data = out_path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == EXPORT_HEADER
    assert len(rows) == 6
    assert rows[-1][0] == "2141017000"  # the teaching point after its parent
    entry = AuditEntry.objects.get(action="school.export")
    assert entry.actor_id is None
    assert entry.details == {"via": "cli", "out": str(out_path), "region": "", "rows": 5}

    # ... and imports back unchanged.
    code, out, err = cli("import", str(out_path))
    assert code == 0, out + err
    assert "未变化：5" in out and "新增：0" in out and "更新：0" in out


def test_export_by_region_subtree(cli, tmp_path):
    make_registry()
    f.SchoolFactory(code="2141016101", region=f.region("410202"))
    out_path = tmp_path / "zz.csv"
    code, out, _err = cli("export", "--out", str(out_path), "--region", "4101")
    assert code == 0
    rows = list(csv.reader(io.StringIO(out_path.read_text(encoding="utf-8-sig"))))
    assert sorted(r[0] for r in rows[1:]) == ["2141017000", "2141017001", "2141017003"]
    assert "已导出 3 所学校" in out
    code, _out, err = cli("export", "--out", str(out_path), "--region", "9999")
    assert code == 2
    assert "9999" in err


def test_call_command_raises_with_the_exit_code(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes(b"")
    with pytest.raises(CommandError) as excinfo:
        call_command("schools", "import", str(path))
    assert excinfo.value.returncode == 2
    out = io.StringIO()
    good = tmp_path / "good.csv"
    good.write_bytes(csv_bytes(GOOD))
    call_command("schools", "import", str(good), stdout=out)
    assert "新增：2" in out.getvalue()
