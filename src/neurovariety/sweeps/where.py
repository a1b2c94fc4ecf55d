"""``--where``: a small condition language over the atlas's columns, compiled to parameterised SQL.

The condition is never pasted into SQL: it is parsed by this grammar (keywords in any case) ::

    condition := conjunction ("OR" conjunction)*
    conjunction := negation ("AND" negation)*
    negation  := "NOT" negation | "(" condition ")" | test
    test      := value ("=" | "==" | "!=" | "<>" | "<" | "<=" | ">" | ">=") value
               | value ["NOT"] "IN" "(" literal ("," literal)* ")"
               | value "IS" ["NOT"] "NULL"
    value     := COLUMN | literal
    literal   := ["-" | "+"] NUMBER | 'STRING' | TRUE | FALSE

COLUMN is one of the atlas's columns (:data:`~neurovariety.sweeps.store.ATLAS_COLUMNS`); strings
take single quotes (``''`` inside is a quote). Columns are written into the SQL as quoted names
from that fixed list and every literal becomes a ``?`` parameter, so no text of the condition
reaches SQLite as code. The size of a condition is bounded (:data:`MAX_LENGTH` characters,
:data:`MAX_NESTING` levels, :data:`MAX_IN` values per ``IN``), so a query stays a scan of the
view.

>>> compile_where("defect > 0 AND degree = 2", ("defect", "degree"))
('("defect" > ? AND "degree" = ?)', [0, 2])
>>> compile_where("kind IN ('mlp', 'cnn') OR NOT certified IS NULL", ("kind", "certified"))
('("kind" IN (?, ?) OR NOT ("certified" IS NULL))', ['mlp', 'cnn'])
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from ..errors import StoreError

__all__ = ["MAX_IN", "MAX_LENGTH", "MAX_NESTING", "compile_where"]

MAX_LENGTH = 4000
MAX_NESTING = 50
MAX_IN = 500
_MAX_NUMBER_LENGTH = 40
_INT64 = 2**63

_TOKEN = re.compile(
    r"\s*(?:(?P<num>(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)"
    r"|(?P<str>'(?:[^']|'')*')"
    r"|(?P<name>[A-Za-z_][A-Za-z_0-9]*)"
    r"|(?P<op><=|>=|<>|!=|==|[=<>(),+-]))",
    re.ASCII,
)
_COMPARISONS = {
    **{"=": "=", "==": "=", "!=": "!=", "<>": "!="},
    **{"<": "<", "<=": "<=", ">": ">", ">=": ">="},
}
_KEYWORDS = {"and", "or", "not", "in", "is", "null", "true", "false"}
_EXAMPLE = "e.g. \"defect > 0 AND degree = 2\" or \"kind IN ('mlp', 'cnn')\""


class _Parser:
    def __init__(self, text: str, columns: Sequence[str]) -> None:
        self.text = text
        self.columns = {c.lower(): c for c in columns}
        self.tokens: list[tuple[str, str, int]] = []  # kind, text, position
        self.params: list[Any] = []
        self.depth = 0
        pos = 0
        while pos < len(text):
            m = _TOKEN.match(text, pos)
            if m is None:
                if not text[pos:].strip():
                    break
                at = pos + len(text[pos:]) - len(text[pos:].lstrip())
                raise self.error(f"unexpected character {text[at]!r} at position {at}")
            kind = m.lastgroup or "op"
            self.tokens.append((kind, m.group(kind), m.start(kind)))
            pos = m.end()
        self.i = 0

    def error(self, problem: str) -> StoreError:
        return StoreError(f"bad --where {self.text[:80]!r}: {problem}; {_EXAMPLE}")

    def peek(self) -> tuple[str, str, int] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def keyword(self, word: str) -> bool:
        tok = self.peek()
        if tok is not None and tok[0] == "name" and tok[1].lower() == word:
            self.i += 1
            return True
        return False

    def op(self, symbol: str) -> bool:
        tok = self.peek()
        if tok is not None and tok[0] == "op" and tok[1] == symbol:
            self.i += 1
            return True
        return False

    def expect(self, symbol: str) -> None:
        if not self.op(symbol):
            tok = self.peek()
            found = "the end" if tok is None else repr(tok[1])
            raise self.error(f"expected {symbol!r}, found {found}")

    def condition(self) -> str:
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise self.error(f"more than {MAX_NESTING} nested parentheses or NOTs")
        parts = [self.conjunction()]
        while self.keyword("or"):
            parts.append(self.conjunction())
        self.depth -= 1
        return parts[0] if len(parts) == 1 else "(" + " OR ".join(parts) + ")"

    def conjunction(self) -> str:
        parts = [self.negation()]
        while self.keyword("and"):
            parts.append(self.negation())
        return parts[0] if len(parts) == 1 else "(" + " AND ".join(parts) + ")"

    def negation(self) -> str:
        if self.keyword("not"):
            self.depth += 1
            if self.depth > MAX_NESTING:
                raise self.error(f"more than {MAX_NESTING} nested parentheses or NOTs")
            inner = self.negation()
            self.depth -= 1
            return f"NOT ({inner})"
        if self.op("("):
            inner = self.condition()
            self.expect(")")
            return f"({inner})"
        return self.test()

    def test(self) -> str:
        left = self.value()
        if self.keyword("is"):
            negated = self.keyword("not")
            if not self.keyword("null"):
                raise self.error("IS is followed by NULL or NOT NULL")
            return f"{left} IS {'NOT ' if negated else ''}NULL"
        negated = self.keyword("not")
        if self.keyword("in"):
            self.expect("(")
            marks = [self.literal()]
            while self.op(","):
                if len(marks) == MAX_IN:
                    raise self.error(f"more than {MAX_IN} values in an IN list")
                marks.append(self.literal())
            self.expect(")")
            return f"{left} {'NOT ' if negated else ''}IN ({', '.join(marks)})"
        if negated:
            raise self.error("NOT here must be followed by IN")
        tok = self.peek()
        if tok is None or tok[0] != "op" or tok[1] not in _COMPARISONS:
            found = "the end" if tok is None else repr(tok[1])
            raise self.error(f"expected a comparison (=, !=, <, <=, >, >=, IN, IS), found {found}")
        self.i += 1
        return f"{left} {_COMPARISONS[tok[1]]} {self.value()}"

    def value(self) -> str:
        tok = self.peek()
        if tok is not None and tok[0] == "name" and tok[1].lower() not in _KEYWORDS:
            self.i += 1
            column = self.columns.get(tok[1].lower())
            if column is None:
                raise self.error(
                    f"no such column {tok[1]!r}; columns: {', '.join(self.columns.values())}"
                )
            return f'"{column}"'
        return self.literal()

    def literal(self) -> str:
        tok = self.peek()
        if tok is None:
            raise self.error("unexpected end; a column, number or 'string' is missing")
        self.i += 1
        kind, text, _ = tok
        sign = ""
        if kind == "op" and text in "+-":
            sign = text
            tok = self.peek()
            if tok is None or tok[0] != "num":
                raise self.error(f"{text!r} must be followed by a number")
            self.i += 1
            kind, text, _ = tok
        if kind == "num":
            self.params.append(_number(sign + text, self))
        elif kind == "str":
            self.params.append(text[1:-1].replace("''", "'"))
        elif kind == "name" and text.lower() in ("true", "false"):
            self.params.append(int(text.lower() == "true"))
        elif kind == "name" and text.lower() == "null":
            raise self.error("compare with NULL by 'IS NULL' or 'IS NOT NULL'")
        else:
            raise self.error(f"unexpected {text!r}; expected a column, number or 'string'")
        return "?"


def _number(text: str, parser: _Parser) -> int | float:
    if len(text) > _MAX_NUMBER_LENGTH:
        raise parser.error(f"number {text[:20]}… is too long")
    if re.fullmatch(r"[+-]?[0-9]+", text):
        n = int(text)
        if -_INT64 <= n < _INT64:  # SQLite's integers
            return n
    return float(text)


def compile_where(text: str, columns: Sequence[str]) -> tuple[str, list[Any]]:
    """The SQL condition and its parameters for a ``--where`` text over ``columns``.

    Raises :class:`~neurovariety.errors.StoreError` naming the problem (unknown column, syntax)
    and an example.
    """
    if len(text) > MAX_LENGTH:
        raise StoreError(
            f"--where of {len(text)} characters is too long (limit {MAX_LENGTH}); {_EXAMPLE}"
        )
    parser = _Parser(text, columns)
    if parser.peek() is None:
        raise parser.error("empty condition")
    sql = parser.condition()
    tok = parser.peek()
    if tok is not None:
        raise parser.error(f"unexpected {tok[1]!r} at position {tok[2]}")
    return sql, parser.params
