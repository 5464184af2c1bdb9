import io

import openpyxl
import pytest

from eduplus.core.tabular import TabularError, detect_encoding, read_rows

TEXT = "学校标识码,学校名称\n2141000001,中原区实验小学\n"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_csv_in_every_encoding_schools_send(encoding):
    rows = list(read_rows(io.BytesIO(TEXT.encode(encoding)), filename="x.csv"))
    assert rows[1].cells == ["2141000001", "中原区实验小学"]
    assert rows[1].number == 2


def test_gbk_is_detected_as_gb18030_superset():
    assert detect_encoding("中原区".encode("gbk")) == "gb18030"
    assert detect_encoding(b"\xef\xbb\xbfabc") == "utf-8-sig"


def test_xlsx_numbers_become_integer_text_and_rows_keep_excel_numbers():
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["全国高等学校名单"])
    ws.append([])
    ws.append(["学校标识码", "学校名称"])
    ws.append([4141010459, "郑州大学"])
    buf = io.BytesIO()
    wb.save(buf)
    buf.seek(0)
    rows = list(read_rows(buf, filename="list.xlsx"))
    assert rows[3].number == 4
    assert rows[3].cells == ["4141010459", "郑州大学"]


def test_empty_and_binary_files_are_refused_with_a_reason():
    with pytest.raises(TabularError, match="为空"):
        list(read_rows(io.BytesIO(b""), filename="x.csv"))
    with pytest.raises(TabularError):
        list(read_rows(io.BytesIO(b"\x00\x01\x02\xff" * 50), filename="x.csv"))
    with pytest.raises(TabularError, match="Excel"):
        list(read_rows(io.BytesIO(b"PK\x03\x04garbage"), filename="x.xlsx"))


def test_excel_unicode_text_utf16_is_read():
    data = "学校标识码\t学校名称\r\n2141000001\t中原区实验小学\r\n".encode("utf-16")
    rows = list(read_rows(io.BytesIO(data), filename="export.txt"))
    assert rows[1].cells == ["2141000001", "中原区实验小学"]
