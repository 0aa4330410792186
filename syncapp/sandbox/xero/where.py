"""Xero's `where` and `order` query parameters.

Xero evaluates `where` as a .NET Dynamic LINQ expression
(https://developer.xero.com/documentation/api/accounting/requests-and-responses#retrieving-a-filtered-set-of-results).
We support what the product and the common SDKs send: `==`/`=`, `!=`/`<>`, `<`, `<=`, `>`, `>=`,
`AND`/`&&`, `OR`/`||`, `NOT`/`!`, parentheses, `null`, `true`/`false`, numbers, `"strings"`,
`guid("...")`, `DateTime(2024,01,01[,h,m,s])`, and the methods `ToLower()`, `ToUpper()`,
`Contains(..)`, `StartsWith(..)`, `EndsWith(..)` on dotted field paths such as
`Contact.ContactID`.

String comparisons are case-insensitive, as Xero's database collation makes them; an empty
string counts as null (Xero omits empty elements).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

Getter = Callable[[Any, tuple[str, ...]], Any]


class QueryParseError(ValueError):
    """A where/order expression Xero would refuse (QueryParseException, ErrorNumber 16)."""


_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>"(?:[^"\\]|\\.)*")
      | (?P<number>-?\d+(?:\.\d+)?)
      | (?P<op>==|!=|<>|>=|<=|&&|\|\||[=<>!(),.])
      | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
    )""",
    re.VERBOSE,
)
_WORD_OPS = {"and": "&&", "or": "||", "not": "!"}
_METHODS = {"tolower", "toupper", "contains", "startswith", "endswith", "trim"}


@dataclass
class _Tok:
    kind: str
    value: str


def _tokenize(text: str) -> list[_Tok]:
    tokens: list[_Tok] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            raise QueryParseError(f"unexpected character at {pos}: {text[pos:pos + 10]!r}")
        pos = match.end()
        kind = match.lastgroup or ""
        value = match.group(kind)
        if kind == "name" and value.lower() in _WORD_OPS:
            tokens.append(_Tok("op", _WORD_OPS[value.lower()]))
        else:
            tokens.append(_Tok(kind, value))
    return tokens


def _norm(value: Any) -> Any:
    """Bring field and literal values onto comparable ground."""
    if value == "":
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)  # noqa: DTZ001 - compared naive UTC
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return Decimal(str(value))
    return value


def _cmp_key(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def _compare(op: str, left: Any, right: Any) -> bool:
    left, right = _norm(left), _norm(right)
    if op in ("==", "="):
        return _cmp_key(left) == _cmp_key(right)
    if op in ("!=", "<>"):
        return _cmp_key(left) != _cmp_key(right)
    if left is None or right is None:
        return False
    try:
        lk, rk = _cmp_key(left), _cmp_key(right)
        if op == ">":
            return lk > rk
        if op == ">=":
            return lk >= rk
        if op == "<":
            return lk < rk
        return lk <= rk
    except TypeError:
        return False


class _Parser:
    def __init__(self, tokens: list[_Tok], getter: Getter) -> None:
        self.tokens = tokens
        self.pos = 0
        self.getter = getter

    def peek(self) -> _Tok | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, kind: str | None = None, value: str | None = None) -> _Tok:
        tok = self.peek()
        if tok is None:
            raise QueryParseError("unexpected end of expression")
        if (kind and tok.kind != kind) or (value and tok.value != value):
            raise QueryParseError(f"unexpected {tok.value!r}")
        self.pos += 1
        return tok

    def at_op(self, *values: str) -> bool:
        tok = self.peek()
        return tok is not None and tok.kind == "op" and tok.value in values

    def parse(self) -> Callable[[Any], Any]:
        expr = self.parse_or()
        if self.peek() is not None:
            raise QueryParseError(f"unexpected {self.peek().value!r}")
        return expr

    def parse_or(self) -> Callable[[Any], Any]:
        left = self.parse_and()
        while self.at_op("||"):
            self.take()
            right = self.parse_and()
            left = (lambda a, b: lambda r: bool(a(r)) or bool(b(r)))(left, right)
        return left

    def parse_and(self) -> Callable[[Any], Any]:
        left = self.parse_not()
        while self.at_op("&&"):
            self.take()
            right = self.parse_not()
            left = (lambda a, b: lambda r: bool(a(r)) and bool(b(r)))(left, right)
        return left

    def parse_not(self) -> Callable[[Any], Any]:
        if self.at_op("!"):
            self.take()
            inner = self.parse_not()
            return lambda r: not inner(r)
        return self.parse_comparison()

    def parse_comparison(self) -> Callable[[Any], Any]:
        left = self.parse_operand()
        if self.at_op("==", "=", "!=", "<>", ">", ">=", "<", "<="):
            op = self.take().value
            right = self.parse_operand()
            return lambda r: _compare(op, left(r), right(r))
        return left

    def parse_operand(self) -> Callable[[Any], Any]:
        tok = self.take()
        if tok.kind == "op" and tok.value == "(":
            inner = self.parse_or()
            self.take("op", ")")
            return self.parse_methods(inner)
        if tok.kind == "string":
            literal = _unquote(tok.value)
            return self.parse_methods(lambda r: literal)
        if tok.kind == "number":
            number = Decimal(tok.value)
            return lambda r: number
        if tok.kind != "name":
            raise QueryParseError(f"unexpected {tok.value!r}")
        lowered = tok.value.lower()
        if lowered in ("true", "false"):
            flag = lowered == "true"
            return lambda r: flag
        if lowered == "null":
            return lambda r: None
        if lowered == "guid" and self.at_op("("):
            self.take()
            value = _unquote(self.take("string").value).lower()
            self.take("op", ")")
            return lambda r: value
        if lowered == "datetime" and self.at_op("("):
            value = self.parse_datetime_args()
            return lambda r: value
        path = [tok.value]
        while self.at_op(".") and self._next_is_field():
            self.take()
            path.append(self.take("name").value)
        fields = tuple(path)
        getter = self.getter
        return self.parse_methods(lambda r: getter(r, fields))

    def _next_is_field(self) -> bool:
        """After a `.`: a field name, unless it is a method call such as `.ToLower()`."""
        nxt = self.tokens[self.pos + 1] if self.pos + 1 < len(self.tokens) else None
        if nxt is None or nxt.kind != "name":
            return False
        after = self.tokens[self.pos + 2] if self.pos + 2 < len(self.tokens) else None
        is_call = after is not None and after.kind == "op" and after.value == "("
        return not (is_call and nxt.value.lower() in _METHODS)

    def parse_methods(self, base: Callable[[Any], Any]) -> Callable[[Any], Any]:
        while self.at_op("."):
            self.take()
            name = self.take("name").value.lower()
            if name not in _METHODS:
                raise QueryParseError(f"unsupported method {name!r}")
            self.take("op", "(")
            arg = None
            if not self.at_op(")"):
                arg = self.parse_operand()
            self.take("op", ")")
            base = _method(name, base, arg)
        return base

    def parse_datetime_args(self) -> datetime:
        self.take("op", "(")
        parts: list[int] = []
        while True:
            parts.append(int(self.take("number").value))
            if self.at_op(","):
                self.take()
                continue
            break
        self.take("op", ")")
        if len(parts) < 3:
            raise QueryParseError("DateTime needs year, month and day")
        try:
            return datetime(*parts)  # noqa: DTZ001 - compared as naive UTC
        except ValueError as exc:
            raise QueryParseError(str(exc)) from exc


def _method(name: str, base: Callable[[Any], Any], arg: Callable[[Any], Any] | None):
    def call(record: Any) -> Any:
        value = base(record)
        if name in ("tolower", "toupper", "trim"):
            if value is None:
                return None
            text = str(value)
            return text.lower() if name == "tolower" else text.upper() if name == "toupper" else text.strip()
        needle = arg(record) if arg is not None else None
        if value is None or needle is None:
            return False
        hay, pin = str(value).lower(), str(needle).lower()
        if name == "contains":
            return pin in hay
        if name == "startswith":
            return hay.startswith(pin)
        return hay.endswith(pin)

    return call


def _unquote(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text[1:-1])


def where_compile(*, expression: str, getter: Getter) -> Callable[[Any], bool]:
    """Compile `expression` once; the result tests one record (fields read through `getter`)."""
    tokens = _tokenize(expression)
    if not tokens:
        return lambda record: True
    predicate = _Parser(tokens, getter).parse()
    return lambda record: bool(predicate(record))


def order_apply(*, records: list[Any], order: str, getter: Getter) -> list[Any]:
    """Sort by `Field [ASC|DESC], ...`; nulls sort first ascending, as SQL Server does."""
    keys: list[tuple[tuple[str, ...], bool]] = []
    for part in order.split(","):
        words = part.split()
        if not words:
            continue
        if len(words) > 2 or (len(words) == 2 and words[1].upper() not in ("ASC", "DESC")):
            raise QueryParseError(f"bad order clause {part.strip()!r}")
        descending = len(words) == 2 and words[1].upper() == "DESC"
        keys.append((tuple(words[0].split(".")), descending))
    result = list(records)
    for fields, descending in reversed(keys):
        def sort_key(record: Any, fields: tuple[str, ...] = fields) -> tuple[int, Any]:
            value = _cmp_key(_norm(getter(record, fields)))
            return (0, "") if value is None else (1, value)

        result.sort(key=sort_key, reverse=descending)
    return result
