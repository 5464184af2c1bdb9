"""The small, safe language of indicator numerators, denominators and filters.

An expression is a sum of aggregates over the facts of one year (``f``) joined to the
school (``s``)::

    count()                              every school counted
    count(fibre)                         schools where a yes/no fact is yes
    count(bandwidth_mbps >= 100)         schools where a number meets a bound
    count(fibre and bandwidth_mbps >= 100)
    sum(multimedia_classrooms)           the sum of a number over the schools
    sum(teachers_space_regular + students_space_regular)
    count(ipv6) + count(wireless_full)   aggregates may be added

Only the fact columns named in :data:`FIELDS` may appear; numbers are literals; nothing
else is accepted, and the SQL is built from whitelisted pieces with parameters, never by
evaluating the text. ``count(cond)`` counts schools where ``cond`` holds (an unreported
fact never does); ``sum`` ignores unreported values.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from eduplus.schools.codes import RURAL_CODES, TOWN_CODES, URBAN_CODES, SchoolType

BOOL, NUMBER = "bool", "number"
FIELDS: dict[str, str] = {
    "bandwidth_mbps": NUMBER,
    "fibre": BOOL,
    "wireless_full": BOOL,
    "all_optical": BOOL,
    "multimedia_classrooms": NUMBER,
    "ordinary_classrooms": NUMBER,
    "teacher_terminals": NUMBER,
    "ipv6": BOOL,
    "digital_campus_score": NUMBER,
    "digital_campus_compliant": BOOL,
    "smart_campus_score": NUMBER,
    "smart_campus_compliant": BOOL,
    "teachers_total": NUMBER,
    "teachers_space_active": NUMBER,
    "teachers_space_regular": NUMBER,
    "students_total": NUMBER,
    "students_g3_total": NUMBER,
    "students_g3_space_active": NUMBER,
    "students_space_regular": NUMBER,
    "three_classrooms": BOOL,
}
OPERATORS = {">=": ">=", "<=": "<=", ">": ">", "<": "<", "=": "=", "!=": "<>"}
FILTER_KEYS = {"school_types", "exclude_school_types", "urban_rural", "teaching_points"}

_TOKEN = re.compile(r"\s*(?:(>=|<=|!=|[()+<>=])|(\d+(?:\.\d+)?)|([A-Za-z_][A-Za-z0-9_]*))")


@dataclass(frozen=True)
class Compiled:
    sql: str
    params: tuple[Any, ...]


class ExpressionError(ValueError):
    pass


def _tokens(text: str) -> list[str]:
    pos, out = 0, []
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise ExpressionError(_("无法识别的内容：%(rest)s") % {"rest": text[pos : pos + 20]})
        out.append(m.group(1) or m.group(2) or m.group(3))
        pos = m.end()
    return out


class _Parser:
    def __init__(self, text: str) -> None:
        if not text or not text.strip():
            raise ExpressionError(_("表达式不能为空"))
        if len(text) > 255:
            raise ExpressionError(_("表达式过长"))
        self.tokens = _tokens(text)
        self.i = 0
        self.params: list[Any] = []

    def peek(self) -> str | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self, expected: str | None = None) -> str:
        token = self.peek()
        if token is None:
            raise ExpressionError(_("表达式不完整"))
        if expected is not None and token.lower() != expected:
            raise ExpressionError(
                _("此处应为“%(expected)s”，却是“%(got)s”") % {"expected": expected, "got": token}
            )
        self.i += 1
        return token

    def field(self) -> tuple[str, str]:
        name = self.take()
        if name not in FIELDS:
            raise ExpressionError(_("未知的数据项：%(name)s") % {"name": name})
        return f"f.{name}", FIELDS[name]

    def number(self) -> float:
        token = self.take()
        try:
            return float(token)
        except ValueError:
            raise ExpressionError(_("此处应为数字，却是“%(got)s”") % {"got": token}) from None

    def comparison(self) -> str:
        column, kind = self.field()
        op = self.peek()
        if op in OPERATORS:
            self.take()
            value = self.number()
            if kind == BOOL:
                if value not in (0, 1) or op not in ("=", "!="):
                    raise ExpressionError(_("是/否数据项只能与0或1比较（= 或 !=）"))
                self.params.append(value == 1)
            else:
                self.params.append(value)
            return f"{column} {OPERATORS[op]} %s"
        if kind != BOOL:
            raise ExpressionError(
                _("数值数据项需要比较条件，例如 %(name)s >= 100") % {"name": column[2:]}
            )
        self.params.append(True)
        return f"{column} = %s"

    def condition(self) -> str:
        parts = [self.comparison()]
        while (self.peek() or "").lower() == "and":
            self.take()
            parts.append(self.comparison())
        return " AND ".join(parts)

    def aggregate(self) -> str:
        name = self.take().lower()
        self.take("(")
        if name == "count":
            if self.peek() == ")":
                self.take(")")
                return "COUNT(*)"
            cond = self.condition()
            self.take(")")
            return f"SUM(CASE WHEN {cond} THEN 1 ELSE 0 END)"
        if name == "sum":
            columns = [self._number_field()]
            while self.peek() == "+":
                self.take("+")
                columns.append(self._number_field())
            self.take(")")
            inner = " + ".join(f"COALESCE({c}, 0)" for c in columns)
            return f"COALESCE(SUM({inner}), 0)"
        raise ExpressionError(_("只支持 count(...) 和 sum(...)，却是“%(got)s”") % {"got": name})

    def _number_field(self) -> str:
        column, kind = self.field()
        if kind == BOOL:
            return f"CASE WHEN {column} THEN 1 ELSE 0 END"
        return column

    def expression(self) -> str:
        parts = [self.aggregate()]
        while self.peek() == "+":
            self.take("+")
            parts.append(self.aggregate())
        if self.peek() is not None:
            raise ExpressionError(
                _("多余的内容：%(rest)s") % {"rest": " ".join(self.tokens[self.i :])}
            )
        return " + ".join(parts) if len(parts) == 1 else "(" + " + ".join(parts) + ")"


def compile_expression(text: str) -> Compiled:
    """SQL for an aggregate expression over ``f`` (facts) rows. Raises ExpressionError."""
    parser = _Parser(text)
    sql = parser.expression()
    return Compiled(sql, tuple(parser.params))


def compile_filters(filters: dict[str, Any]) -> Compiled:
    """SQL conditions on ``s`` (the school) for an indicator's filters."""
    if not isinstance(filters, dict):
        raise ExpressionError(_("统计范围应为键值对象"))
    unknown = set(filters) - FILTER_KEYS
    if unknown:
        raise ExpressionError(_("未知的统计范围：%(keys)s") % {"keys": ", ".join(sorted(unknown))})
    parts: list[str] = []
    params: list[Any] = []
    valid_types = set(SchoolType.values)
    for key, negate in (("school_types", False), ("exclude_school_types", True)):
        types = filters.get(key) or []
        if not isinstance(types, list) or not all(t in valid_types for t in types):
            raise ExpressionError(_("办学类型代码无效：%(v)s") % {"v": types})
        if types:
            marks = ", ".join(["%s"] * len(types))
            parts.append(f"s.school_type {'NOT ' if negate else ''}IN ({marks})")
            params.extend(sorted(types))
    ur = filters.get("urban_rural") or ""
    if ur:
        codes = {
            "urban": URBAN_CODES,
            "town": TOWN_CODES,
            "rural": RURAL_CODES,
            "urban_town": URBAN_CODES | TOWN_CODES,
        }.get(ur)
        if codes is None:
            raise ExpressionError(_("城乡范围应为 urban、town、rural 或 urban_town"))
        parts.append(f"s.urban_rural IN ({', '.join(['%s'] * len(codes))})")
        params.extend(sorted(codes))
    tp = filters.get("teaching_points") or ""
    if tp:
        if tp not in ("only", "exclude"):
            raise ExpressionError(_("教学点范围应为 only 或 exclude"))
        parts.append("s.school_type " + ("= %s" if tp == "only" else "<> %s"))
        params.append(SchoolType.TEACHING_POINT.value)
    return Compiled(" AND ".join(parts) if parts else "1 = 1", tuple(params))


def validate_indicator(indicator: Any) -> None:
    errors: dict[str, str] = {}
    for field in ("numerator", "denominator"):
        try:
            compile_expression(getattr(indicator, field))
        except ExpressionError as exc:
            errors[field] = str(exc)
    try:
        compile_filters(indicator.filters or {})
    except ExpressionError as exc:
        errors["filters"] = str(exc)
    if errors:
        raise ValidationError(errors)


def school_condition_sql(text: str) -> Compiled | None:
    """For ``count(cond)``: the condition alone (which schools pass), else None."""
    parser = _Parser(text)
    if parser.take().lower() != "count":
        return None
    parser.take("(")
    if parser.peek() == ")":
        return None
    cond = parser.condition()
    parser.take(")")
    if parser.peek() is not None:
        return None
    return Compiled(cond, tuple(parser.params))


def describe_filters(filters: dict[str, Any]) -> str:
    """The schools an indicator counts, in words (for pages and reports)."""
    labels = dict(SchoolType.choices)
    parts = []
    if filters.get("school_types"):
        parts.append(
            _("办学类型：") + "、".join(str(labels.get(t, t)) for t in filters["school_types"])
        )
    if filters.get("exclude_school_types"):
        excluded = "、".join(str(labels.get(t, t)) for t in filters["exclude_school_types"])
        parts.append(_("不含：") + excluded)
    ur = {"urban": _("城区"), "town": _("镇区"), "rural": _("乡村"), "urban_town": _("城镇")}
    if filters.get("urban_rural") in ur:
        parts.append(_("城乡：") + str(ur[filters["urban_rural"]]))
    if filters.get("teaching_points") == "only":
        parts.append(str(_("只统计教学点")))
    elif filters.get("teaching_points") == "exclude":
        parts.append(str(_("不含教学点")))
    return "；".join(parts) if parts else str(_("全部学校"))
