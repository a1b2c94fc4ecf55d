"""Text format of polynomial systems: a small tokenizer and recursive-descent parser.

Grammar (one polynomial per line)::

    line    := expr [ '=' expr ] [';']          # 'a = b' means a - b
    expr    := term (('+' | '-') term)*
    term    := factor (['*' | '/'] factor)*     # '*' optional: 3x, 2(x+1), x y
    factor  := ('-' | '+') factor | power
    power   := atom [('^' | '**') INTEGER]
    atom    := NUMBER | NAME | '(' expr ')'

``#`` starts a comment; ``variables: x, y`` fixes the variable order (otherwise the names are
sorted); ``parameters: a, b`` names parameters. ``I`` is the imaginary unit unless declared
as a name.
Division is allowed only by a non-zero constant. Anything else (functions, negative or fractional
exponents, division by a variable, undeclared names once ``variables:`` is given) is refused with
a :class:`~neurovariety.errors.PolynomialSystemError` naming the line and the fix.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from ..errors import PolynomialSystemError

# A sparse polynomial: exponent tuple over the names (in parse order) -> coefficient.
Poly = dict[tuple[int, ...], complex]

_TOKEN = re.compile(
    r"\s*(?:(?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)|(?P<name>[A-Za-z_][A-Za-z_0-9]*)"
    r"|(?P<op>\*\*|[-+*/^()=]))"
)
_FUNCTIONS = {"sin", "cos", "tan", "exp", "log", "sqrt", "abs", "tanh", "relu", "sigmoid"}


@dataclass(frozen=True)
class ParsedSystem:
    """The parsed content of a system file: names and sparse polynomials.

    ``polynomials[i]`` maps exponent tuples over ``variables + parameters`` to coefficients.
    """

    variables: tuple[str, ...]
    parameters: tuple[str, ...]
    polynomials: tuple[Poly, ...]
    lines: tuple[int, ...]  # source line number of each polynomial


def _error(lineno: int, line: str, msg: str, fix: str) -> PolynomialSystemError:
    return PolynomialSystemError(f"line {lineno}: {msg} in {line.strip()!r}. Fix: {fix}")


class _Parser:
    """Recursive descent over the tokens of one line; polynomials over a growing name list."""

    def __init__(self, text: str, lineno: int, names: list[str], closed: bool) -> None:
        self.text, self.lineno, self.names, self.closed = text, lineno, names, closed
        self.tokens: list[tuple[str, str]] = []
        pos = 0
        stripped = text.rstrip().rstrip(";")
        while pos < len(stripped):
            m = _TOKEN.match(stripped, pos)
            if m is None or m.end() == pos:
                rest = stripped[pos:].strip()
                if not rest:
                    break
                raise self.err(f"unexpected character {rest[0]!r}", "use only + - * / ^ ( ) =")
            kind = m.lastgroup or "op"
            self.tokens.append((kind, m.group(kind)))
            pos = m.end()
        self.i = 0

    def err(self, msg: str, fix: str) -> PolynomialSystemError:
        return _error(self.lineno, self.text, msg, fix)

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        tok = self.peek()
        if tok is None:
            raise self.err("unexpected end of line", "complete the expression")
        self.i += 1
        return tok

    def const(self, c: complex) -> Poly:
        return {(0,) * len(self.names): complex(c)} if c != 0 else {}

    def pad(self, p: Poly) -> Poly:
        n = len(self.names)
        return {e + (0,) * (n - len(e)): c for e, c in p.items()}

    def add(self, p: Poly, q: Poly, sign: float = 1.0) -> Poly:
        p, q = self.pad(p), self.pad(q)
        out = dict(p)
        for e, c in q.items():
            v = out.get(e, 0) + sign * c
            if v == 0:
                out.pop(e, None)
            else:
                out[e] = v
        return out

    def mul(self, p: Poly, q: Poly) -> Poly:
        p, q = self.pad(p), self.pad(q)
        out: Poly = {}
        for e1, c1 in p.items():
            for e2, c2 in q.items():
                e = tuple(a + b for a, b in zip(e1, e2, strict=True))
                out[e] = out.get(e, 0) + c1 * c2
        return {e: c for e, c in out.items() if c != 0}

    def parse_line(self) -> Poly:
        lhs = self.expr()
        tok = self.peek()
        if tok == ("op", "="):
            self.take()
            lhs = self.add(lhs, self.expr(), -1.0)
            tok = self.peek()
        if tok is not None:
            raise self.err(f"unexpected {tok[1]!r}", "check for a missing operator or parenthesis")
        return self.pad(lhs)

    def expr(self) -> Poly:
        p = self.term()
        while (tok := self.peek()) is not None and tok[1] in "+-" and tok[0] == "op":
            self.take()
            p = self.add(p, self.term(), 1.0 if tok[1] == "+" else -1.0)
        return p

    def term(self) -> Poly:
        p = self.factor()
        while (tok := self.peek()) is not None:
            if tok == ("op", "*"):
                self.take()
                p = self.mul(p, self.factor())
            elif tok == ("op", "/"):
                self.take()
                q = self.pad(self.factor())
                zero = (0,) * len(self.names)
                if set(q) - {zero}:
                    raise self.err(
                        "division by a non-constant",
                        "multiply the equation through by the denominator",
                    )
                if not q:
                    raise self.err("division by zero", "remove the division")
                p = {e: c / q[zero] for e, c in self.pad(p).items()}
            elif tok[0] in ("name", "num") or tok == ("op", "("):
                p = self.mul(p, self.factor())  # implicit multiplication: 3x, 2(x+1)
            else:
                break
        return p

    def factor(self) -> Poly:
        tok = self.peek()
        if tok is not None and tok[0] == "op" and tok[1] in "+-":
            self.take()
            p = self.factor()
            return p if tok[1] == "+" else {e: -c for e, c in p.items()}
        return self.power()

    def power(self) -> Poly:
        base = self.atom()
        tok = self.peek()
        if tok is not None and tok[1] in ("^", "**"):
            self.take()
            sign = 1
            nxt = self.peek()
            if nxt is not None and nxt[1] in "+-" and nxt[0] == "op":
                self.take()
                sign = -1 if nxt[1] == "-" else 1
            if self.peek() == ("op", "("):
                self.take()
                kind, val = self.take()
                if self.take() != ("op", ")"):
                    raise self.err("bad exponent", "write the exponent as a plain integer")
            else:
                kind, val = self.take()
            if kind != "num" or not re.fullmatch(r"\d+", val) or sign < 0:
                sval = ("-" if sign < 0 else "") + val
                raise self.err(
                    f"exponent {sval!r} is not a non-negative integer",
                    "a polynomial allows only exponents 0, 1, 2, ...; clear negative powers "
                    "by multiplying through",
                )
            k = int(val)
            out = self.const(1.0)
            for _ in range(k):
                out = self.mul(out, base)
            return out
        return base

    def atom(self) -> Poly:
        kind, val = self.take()
        if kind == "num":
            c = float(val)
            if not math.isfinite(c):
                raise self.err(f"number {val!r} is not finite", "use a finite coefficient")
            return self.const(c)
        if kind == "name":
            if self.peek() == ("op", "(") and val not in self.names:
                what = "function" if val.lower() in _FUNCTIONS else "call"
                raise self.err(
                    f"{what} {val}(...) is not polynomial",
                    "only +, -, *, integer powers and constants are allowed",
                )
            if val.lower() in ("nan", "inf", "infinity"):
                raise self.err(f"coefficient {val!r} is not finite", "use a finite coefficient")
            if val == "I" and "I" not in self.names:
                return self.const(1j)
            if val not in self.names:
                if self.closed:
                    raise self.err(
                        f"unknown symbol {val!r}",
                        "add it to the 'variables:' or 'parameters:' line, or fix the typo",
                    )
                self.names.append(val)
            e = [0] * len(self.names)
            e[self.names.index(val)] = 1
            return {tuple(e): 1.0 + 0j}
        if val == "(":
            p = self.expr()
            if self.peek() != ("op", ")"):
                raise self.err("missing ')'", "balance the parentheses")
            self.take()
            return p
        raise self.err(f"unexpected {val!r}", "check the expression")


def _names(spec: str, lineno: int, line: str) -> list[str]:
    names = [s.strip() for s in spec.replace(";", ",").split(",") if s.strip()]
    for s in names:
        if not re.fullmatch(r"[A-Za-z_][A-Za-z_0-9]*", s):
            raise _error(lineno, line, f"bad name {s!r}", "names are letters, digits and _")
    if len(set(names)) != len(names):
        raise _error(lineno, line, "repeated name", "list each name once")
    return names


def parse_text(text: str) -> ParsedSystem:
    """Parse the text form of a polynomial system.

    Examples
    --------
    >>> ps = parse_text("x^2*y - 3*z + 1\\n2x - y  # a comment\\nz - 1")
    >>> ps.variables
    ('x', 'y', 'z')
    >>> ps.polynomials[1] == {(1, 0, 0): 2, (0, 1, 0): -1}
    True
    """
    variables: list[str] | None = None
    parameters: list[str] = []
    raw: list[tuple[int, str]] = []
    for lineno, full in enumerate(text.splitlines(), start=1):
        line = full.split("#", 1)[0]
        if not line.strip():
            continue
        head = line.strip().lower()
        if head.startswith("variables:") or head.startswith("parameters:"):
            key, spec = line.split(":", 1)
            declared = _names(spec, lineno, full)
            if key.strip().lower() == "variables":
                if variables is not None:
                    raise _error(lineno, full, "second 'variables:' line", "merge them")
                variables = declared
            else:
                parameters = parameters + declared
            continue
        raw.append((lineno, full.split("#", 1)[0]))
    if variables is not None and set(variables) & set(parameters):
        raise PolynomialSystemError(
            f"names {sorted(set(variables) & set(parameters))} are both variables and parameters; "
            "Fix: list each name on one line only"
        )
    if not raw:
        raise PolynomialSystemError(
            "the system is empty: no polynomial lines found. Fix: write one polynomial per line, "
            "e.g. 'x^2 + y^2 - 1'"
        )
    closed = variables is not None
    names: list[str] = list(variables or []) + list(parameters)
    polys: list[Poly] = []
    for lineno, line in raw:
        polys.append(_Parser(line, lineno, names, closed).parse_line())
    n = len(names)
    polys = [{e + (0,) * (n - len(e)): c for e, c in p.items()} for p in polys]
    if variables is None:
        variables = sorted(s for s in names if s not in parameters)
    order = [names.index(s) for s in variables] + [names.index(s) for s in parameters]
    polys = [{tuple(e[j] for j in order): c for e, c in p.items()} for p in polys]
    return ParsedSystem(tuple(variables), tuple(parameters), tuple(polys), tuple(r[0] for r in raw))
