"""Reading tabular files schools really send: CSV in UTF-8 (with or without BOM),
GBK or GB18030, Excel .xlsx and legacy .xls (python-calamine reads both).

Every reader yields rows as lists of strings with their 1-based row number in the
file, so that errors can name the row a person sees in Excel.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from python_calamine import CalamineWorkbook

EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"}


class TabularError(ValueError):
    """The file cannot be read at all (format, encoding): a clear reason."""


@dataclass(frozen=True)
class Row:
    number: int  # 1-based row number in the file (as Excel shows it)
    cells: list[str]

    def is_blank(self) -> bool:
        return not any(c.strip() for c in self.cells)


def detect_encoding(data: bytes) -> str:
    """UTF-8 (BOM or not) first; then GB18030, a superset of GBK and GB2312.

    A strict UTF-8 decode of Chinese GBK text fails quickly, and GB18030 decodes every
    byte sequence GBK produces, so the order is safe.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"  # Excel's "Unicode 文本" (tab-separated UTF-16 with a BOM)
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        return "utf-8"
    try:
        data.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise TabularError(
            f"无法识别文件编码（已尝试 UTF-8、GBK、GB18030），第 {exc.start} 字节处有非法字符"
        ) from exc
    return "gb18030"


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        # Excel stores codes typed as numbers as floats: 4111010001.0 -> "4111010001".
        if value.is_integer():
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def read_rows(source: str | Path | IO[bytes], *, filename: str | None = None) -> Iterator[Row]:
    """Yield the rows of the first sheet (Excel) or of the CSV file."""
    if isinstance(source, (str, Path)):
        path = Path(source)
        name = filename or path.name
        with path.open("rb") as fh:
            data = fh.read()
    else:
        name = filename or getattr(source, "name", "") or ""
        data = source.read()
    if not data:
        raise TabularError("文件为空")
    suffix = Path(name).suffix.lower()
    if suffix in EXCEL_SUFFIXES or data[:4] in (b"PK\x03\x04", b"\xd0\xcf\x11\xe0"):
        yield from _read_excel(data)
    else:
        yield from _read_csv(data)


def _read_csv(data: bytes) -> Iterator[Row]:
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise TabularError(
            "文件不是文本格式的 CSV（含有二进制内容）；请另存为 CSV 或 Excel 后再导入"
        )
    text = data.decode(detect_encoding(data))
    # Only the delimiter is sniffed. The sniffer also guesses quoting from the sample
    # and answers doublequote=False when no "" happens to occur in it, which mangles
    # a later "二小""东""校区"; Excel writes standard quoting, so keep that.
    try:
        delimiter = csv.Sniffer().sniff(text[:4096], delimiters=",\t;，").delimiter
    except csv.Error:
        delimiter = ","
    reader = csv.reader(io.StringIO(text, newline=""), csv.excel, delimiter=delimiter)
    for index, cells in enumerate(reader, start=1):
        yield Row(index, [c.strip() for c in cells])


def _read_excel(data: bytes) -> Iterator[Row]:
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception as exc:  # calamine raises several error types for corrupt files
        raise TabularError(f"无法读取 Excel 文件：{exc}") from exc
    if not workbook.sheet_names:
        raise TabularError("Excel 文件中没有工作表")
    try:
        sheet = workbook.get_sheet_by_index(0)
        # skip_empty_area=False keeps leading blank rows, so numbers match Excel's.
        table = sheet.to_python(skip_empty_area=False)
    except Exception as exc:  # a corrupt sheet fails here rather than on opening
        raise TabularError(f"无法读取 Excel 文件：{exc}") from exc
    for index, values in enumerate(table, start=1):
        yield Row(index, [_cell_text(v) for v in values])
