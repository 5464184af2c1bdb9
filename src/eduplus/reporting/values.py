"""Turning what a school typed into stored values, with Chinese messages per field.

Stored values (``Submission.values``, JSON): integer → int, decimal → str ("12.5", exact),
text → str, yes/no → bool, date → "YYYY-MM-DD", single choice → the option code,
multiple choice → a list of option codes. An unanswered field is absent.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from eduplus.reporting.models import FieldKind, ReportField, ReportRule
from eduplus.reporting.rules import RuleError, parse_rule, rule_holds

TRUE_WORDS = frozenset({"1", "true", "yes", "y", "是", "有"})
FALSE_WORDS = frozenset({"0", "false", "no", "n", "否", "无"})
MAX_TEXT = 2000  # a text field without its own maximum


class FieldError(ValueError):
    pass


@dataclass
class Cleaned:
    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)  # code → messages; "" = form
    raw: dict[str, Any] = field(default_factory=dict)  # echoed back to the form on error

    def add(self, code: str, message: str) -> None:
        self.errors.setdefault(code, []).append(message)

    @property
    def ok(self) -> bool:
        return not self.errors


def _fmt(d: Decimal | None) -> str:
    if d is None:
        return ""
    text = format(d.normalize(), "f")
    return text


def _as_decimal(text: str) -> Decimal:
    text = text.replace(",", "").replace("，", "").strip()
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise FieldError(_("请输入数字")) from None
    if not value.is_finite():
        raise FieldError(_("请输入数字"))
    return value


def _check_range(f: ReportField, value: Decimal) -> None:
    if f.min_value is not None and value < f.min_value:
        raise FieldError(_("不能小于 %(min)s") % {"min": _fmt(f.min_value)})
    if f.max_value is not None and value > f.max_value:
        raise FieldError(_("不能大于 %(max)s") % {"max": _fmt(f.max_value)})


def clean_one(f: ReportField, raw: Sequence[str]) -> Any:
    """The stored value of one field, None when unanswered; FieldError when invalid."""
    items = [str(r).strip() for r in raw if str(r).strip()]
    if not items:
        return None
    text = items[0]
    if f.kind == FieldKind.INTEGER:
        number = _as_decimal(text)
        if number != number.to_integral_value():
            raise FieldError(_("请输入整数"))
        _check_range(f, number)
        return int(number)
    if f.kind == FieldKind.DECIMAL:
        number = _as_decimal(text)
        exponent = number.normalize().as_tuple().exponent
        if isinstance(exponent, int) and exponent < -4:
            raise FieldError(_("最多保留4位小数"))
        _check_range(f, number)
        return _fmt(number)
    if f.kind == FieldKind.TEXT:
        limit = f.max_length or MAX_TEXT
        if len(text) > limit:
            raise FieldError(
                _("最多 %(max)d 个字，当前 %(n)d 个字") % {"max": limit, "n": len(text)}
            )
        return text
    if f.kind == FieldKind.BOOLEAN:
        word = text.lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise FieldError(_("请选择“是”或“否”"))
    if f.kind == FieldKind.DATE:
        try:
            return dt.date.fromisoformat(text.replace("/", "-")).isoformat()
        except ValueError:
            raise FieldError(_("请输入有效日期，格式如 2026-09-01")) from None
    labels = f.option_labels
    if f.kind == FieldKind.CHOICE:
        if text not in labels:
            raise FieldError(_("请从选项中选择"))
        return text
    if f.kind == FieldKind.MULTICHOICE:
        unknown = [i for i in items if i not in labels]
        if unknown:
            raise FieldError(_("请从选项中选择"))
        chosen = set(items)
        return [code for code in labels if code in chosen]  # option order, no repeats
    raise FieldError(_("未知的字段类型"))  # pragma: no cover


def numeric_values(fields: Iterable[ReportField], values: Mapping[str, Any]) -> dict[str, Decimal]:
    out: dict[str, Decimal] = {}
    for f in fields:
        if f.is_numeric and values.get(f.code) is not None:
            out[f.code] = Decimal(str(values[f.code]))
    return out


def clean_values(
    fields: Sequence[ReportField],
    rules: Sequence[ReportRule],
    raw: Mapping[str, Sequence[str]],
    *,
    final: bool,
) -> Cleaned:
    """Check every field; on ``final`` (submission) also required fields and the rules.

    ``raw`` maps a field code to what was typed (a list: multiple choice has several).
    """
    result = Cleaned()
    for f in fields:
        given = list(raw.get(f.code, []))
        result.raw[f.code] = (
            given if f.kind == FieldKind.MULTICHOICE else (given[0] if given else "")
        )
        try:
            value = clean_one(f, given)
        except FieldError as exc:
            result.add(f.code, str(exc))
            continue
        if value is None:
            if final and f.required:
                result.add(f.code, _("此项为必填项"))
            continue
        result.values[f.code] = value
    if final:
        numbers = numeric_values(fields, result.values)
        for rule in rules:
            try:
                parsed = parse_rule(rule.expression)
            except RuleError:
                continue  # checked when the rule was added; a form is frozen once used
            if rule_holds(parsed, numbers) is False:
                # The message goes to every field the rule names (and the form top).
                result.add("", rule.message)
                for code in sorted(parsed.codes):
                    if rule.message not in result.errors.get(code, []):
                        result.add(code, rule.message)
    return result


def display_value(f: ReportField, value: Any) -> str:
    """A stored value as a person reads it (exports and pages)."""
    if value is None or value == "" or value == []:
        return ""
    if f.kind == FieldKind.BOOLEAN:
        return str(_("是")) if value else str(_("否"))
    if f.kind == FieldKind.CHOICE:
        return f.option_labels.get(str(value), str(value))
    if f.kind == FieldKind.MULTICHOICE:
        labels = f.option_labels
        return "；".join(labels.get(str(v), str(v)) for v in value)
    return str(value)


def raw_from_values(fields: Iterable[ReportField], values: Mapping[str, Any]) -> dict[str, Any]:
    """Stored values as the form's initial input."""
    raw: dict[str, Any] = {}
    for f in fields:
        v = values.get(f.code)
        if f.kind == FieldKind.MULTICHOICE:
            raw[f.code] = list(v or [])
        elif f.kind == FieldKind.BOOLEAN:
            raw[f.code] = "" if v is None else ("1" if v else "0")
        else:
            raw[f.code] = "" if v is None else str(v)
    return raw
