import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eduplus.monitoring.expressions import (
    ExpressionError,
    compile_expression,
    compile_filters,
    school_condition_sql,
)


@pytest.mark.parametrize(
    ("text", "sql_part", "params"),
    [
        ("count()", "COUNT(*)", ()),
        ("count(fibre)", "f.fibre = %s", (True,)),
        ("count(bandwidth_mbps >= 100)", "f.bandwidth_mbps >= %s", (100.0,)),
        (
            "count(fibre and bandwidth_mbps>=100)",
            "f.fibre = %s AND f.bandwidth_mbps >= %s",
            (True, 100.0),
        ),
        ("count(ipv6 = 0)", "f.ipv6 = %s", (False,)),
        ("sum(multimedia_classrooms)", "SUM(COALESCE(f.multimedia_classrooms, 0))", ()),
        ("sum(teachers_total + students_total)", "COALESCE(f.students_total, 0)", ()),
        ("COUNT(fibre) + count(ipv6)", " + ", (True, True)),
    ],
)
def test_valid_expressions_compile_to_whitelisted_sql(text, sql_part, params):
    compiled = compile_expression(text)
    assert sql_part in compiled.sql
    assert compiled.params == params


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "不能为空"),
        ("count(password)", "未知的数据项"),
        ("sum(fibre", "不完整"),
        ("avg(bandwidth_mbps)", "只支持"),
        ("count(bandwidth_mbps)", "需要比较条件"),
        ("count(fibre >= 2)", "只能与0或1比较"),
        ("count() ; DROP TABLE x", "无法识别"),
        ("count() count()", "多余的内容"),
        ("count(bandwidth_mbps >= abc)", "数字"),
        ("x" * 300, "过长"),
    ],
)
def test_bad_expressions_are_refused_with_a_reason(text, reason):
    with pytest.raises(ExpressionError, match=reason):
        compile_expression(text)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_any_text_compiles_or_is_refused_cleanly(text):
    try:
        compiled = compile_expression(text)
    except ExpressionError:
        return
    # Whatever compiles uses only placeholders for values: no quote or semicolon leaks.
    assert ";" not in compiled.sql and "'" not in compiled.sql and '"' not in compiled.sql


def test_filters_compile_and_refuse_unknown_keys_and_codes():
    compiled = compile_filters({"school_types": ["211", "218"], "teaching_points": "exclude"})
    assert "s.school_type IN (%s, %s)" in compiled.sql
    assert compiled.params == ("211", "218", "218")
    assert compile_filters({}).sql == "1 = 1"
    for bad in ({"school_types": ["999"]}, {"colour": "red"}, {"urban_rural": "moon"},
                {"teaching_points": "some"}, []):  # fmt: skip
        with pytest.raises(ExpressionError):
            compile_filters(bad)  # type: ignore[arg-type]


def test_school_condition_only_for_conditional_counts():
    assert school_condition_sql("count(fibre)") is not None
    assert school_condition_sql("sum(multimedia_classrooms)") is None
    assert school_condition_sql("count()") is None
