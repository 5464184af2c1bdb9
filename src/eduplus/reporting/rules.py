"""The rule language between fields of a form (校验规则), parsed and evaluated without eval().

Grammar (whitespace is free)::

    rule       := condition (("且" | "and" | "&&") condition)*
    condition  := sum ("<=" | "<" | ">=" | ">" | "==" | "!=" | "=" | "≤" | "≥" | "≠") sum
    sum        := product (("+" | "-") product)*
    product    := unary ("*" unary)*
    unary      := "-" unary | atom
    atom       := NUMBER | FIELD_CODE | "(" sum ")"

``FIELD_CODE`` names a numeric (integer or decimal) field of the form. Arithmetic is
exact (Decimal). A rule whose fields are not all answered is not checked: whether a
field must be answered is the field's own "required" flag.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Union

from django.utils.translation import gettext as _

MAX_RULE_LENGTH = 255
MAX_NODES = 200


class RuleError(ValueError):
    """The expression cannot be parsed or names unknown fields (message in Chinese)."""


@dataclass(frozen=True)
class Num:
    value: Decimal


@dataclass(frozen=True)
class Ref:
    code: str


@dataclass(frozen=True)
class Neg:
    operand: Expr


@dataclass(frozen=True)
class BinOp:
    op: str  # + - *
    left: Expr
    right: Expr


Expr = Union[Num, Ref, Neg, BinOp]  # noqa: UP007 - dataclass forward references


@dataclass(frozen=True)
class Comparison:
    op: str  # < <= > >= == !=
    left: Expr
    right: Expr


@dataclass(frozen=True)
class Rule:
    conditions: tuple[Comparison, ...]

    @property
    def codes(self) -> frozenset[str]:
        found: set[str] = set()
        for c in self.conditions:
            found |= _codes(c.left) | _codes(c.right)
        return frozenset(found)


_TOKEN = re.compile(
    r"\s*(?:(?P<num>\d+(?:\.\d+)?)|(?P<name>[a-z][a-z0-9_]*)"
    r"|(?P<op><=|>=|==|!=|&&|[<>=+\-*()≤≥≠])|(?P<and>且))",
)
_COMPARE = {"<": "<", "<=": "<=", ">": ">", ">=": ">=", "==": "==", "=": "==", "!=": "!="}
_COMPARE.update({"≤": "<=", "≥": ">=", "≠": "!="})


def _tokens(text: str) -> list[tuple[str, str]]:
    pos, out = 0, []
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            bad = text[pos:].strip()[:10]
            raise RuleError(_("规则中有无法识别的内容：“%(text)s”") % {"text": bad})
        pos = m.end()
        kind = m.lastgroup or ""
        text_of = m.group(kind) if kind else ""
        if kind == "and" or (kind, text_of) in (("name", "and"), ("op", "&&")):
            out.append(("and", "and"))
        else:
            out.append((kind, m.group(kind)))
        if len(out) > MAX_NODES:
            raise RuleError(_("规则过长"))
    return out


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens = tokens
        self.i = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        tok = self.peek()
        if tok is None:
            raise RuleError(_("规则不完整"))
        self.i += 1
        return tok

    def rule(self) -> Rule:
        conditions = [self.condition()]
        while self.peek() == ("and", "and"):
            self.take()
            conditions.append(self.condition())
        if self.peek() is not None:
            raise RuleError(_("规则中“%(text)s”的位置不对") % {"text": self.peek()[1]})  # type: ignore[index]
        return Rule(tuple(conditions))

    def condition(self) -> Comparison:
        left = self.sum()
        tok = self.peek()
        if tok is None or tok[0] != "op" or tok[1] not in _COMPARE:
            raise RuleError(_("每个条件都需要一个比较符号（<=、<、>=、>、=、!=）"))
        self.take()
        right = self.sum()
        return Comparison(_COMPARE[tok[1]], left, right)

    def sum(self) -> Expr:
        node = self.product()
        while self.peek() in (("op", "+"), ("op", "-")):
            op = self.take()[1]
            node = BinOp(op, node, self.product())
        return node

    def product(self) -> Expr:
        node = self.unary()
        while self.peek() == ("op", "*"):
            self.take()
            node = BinOp("*", node, self.unary())
        return node

    def unary(self) -> Expr:
        if self.peek() == ("op", "-"):
            self.take()
            return Neg(self.unary())
        return self.atom()

    def atom(self) -> Expr:
        kind, text = self.take()
        if kind == "num":
            try:
                return Num(Decimal(text))
            except InvalidOperation:  # pragma: no cover - the pattern admits digits only
                raise RuleError(_("数字格式不正确")) from None
        if kind == "name":
            return Ref(text)
        if (kind, text) == ("op", "("):
            node = self.sum()
            if self.peek() != ("op", ")"):
                raise RuleError(_("括号不配对"))
            self.take()
            return node
        raise RuleError(_("规则中“%(text)s”的位置不对") % {"text": text})


def parse_rule(text: str, *, numeric_codes: Iterable[str] | None = None) -> Rule:
    """Parse a rule; with ``numeric_codes``, every field it names must be one of them."""
    if not text.strip():
        raise RuleError(_("请填写规则表达式"))
    if len(text) > MAX_RULE_LENGTH:
        raise RuleError(_("规则过长"))
    rule = _Parser(_tokens(text)).rule()
    if numeric_codes is not None:
        allowed = set(numeric_codes)
        unknown = sorted(rule.codes - allowed)
        if unknown:
            raise RuleError(
                _("规则引用了不存在或非数值的字段：%(codes)s") % {"codes": "、".join(unknown)}
            )
    return rule


def _codes(node: Expr) -> frozenset[str]:
    if isinstance(node, Ref):
        return frozenset({node.code})
    if isinstance(node, Neg):
        return _codes(node.operand)
    if isinstance(node, BinOp):
        return _codes(node.left) | _codes(node.right)
    return frozenset()


def _value(node: Expr, values: Mapping[str, Decimal]) -> Decimal:
    if isinstance(node, Num):
        return node.value
    if isinstance(node, Ref):
        return values[node.code]
    if isinstance(node, Neg):
        return -_value(node.operand, values)
    left, right = _value(node.left, values), _value(node.right, values)
    if node.op == "+":
        return left + right
    if node.op == "-":
        return left - right
    return left * right


def _compare(op: str, left: Decimal, right: Decimal) -> bool:
    return {
        "<": left < right,
        "<=": left <= right,
        ">": left > right,
        ">=": left >= right,
        "==": left == right,
        "!=": left != right,
    }[op]


def rule_holds(rule: Rule, values: Mapping[str, Decimal | None]) -> bool | None:
    """True or False; None when a field the rule names is not answered (not checked)."""
    known: dict[str, Decimal] = {}
    for code in rule.codes:
        v = values.get(code)
        if v is None:
            return None
        known[code] = v
    return all(
        _compare(c.op, _value(c.left, known), _value(c.right, known)) for c in rule.conditions
    )
