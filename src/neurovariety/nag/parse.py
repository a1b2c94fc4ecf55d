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
a :class:`~neurovariety.errors.PolynomialSystemError` naming the line and the fix. So are inputs
that would not parse in bounded time and memory: exponents above :data:`MAX_EXPONENT`, more than
:data:`MAX_NESTING` nested parentheses or signs, expansions costing more than
:data:`MAX_EXPANSION` term operations in all, more than :data:`MAX_NAMES` names, and coefficients
that overflow to infinity.
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

#: Largest exponent: a total-degree homotopy already has MAX_EXPONENT paths per variable.
MAX_EXPONENT = 1000
#: Deepest nesting of parentheses and unary signs (each level is a few Python frames).
MAX_NESTING = 100
#: Term operations a file may spend expanding (about half a second); (x+y+z)^60 needs ~3 * 10^5.
MAX_EXPANSION = 5 * 10**5
#: Most variables and parameters of one system.
MAX_NAMES = 1000


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
    shown = line.strip()
    if len(shown) > 80:
        shown = shown[:77] + "..."
    return PolynomialSystemError(f"line {lineno}: {msg} in {shown!r}. Fix: {fix}")


def _tokens(text: str, lineno: int) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    pos = 0
    stripped = text.rstrip().rstrip(";")
    while pos < len(stripped):
        m = _TOKEN.match(stripped, pos)
        if m is None or m.end() == pos:
            rest = stripped[pos:].strip()
            if not rest:
                break
            raise _error(
                lineno, text, f"unexpected character {rest[0]!r}", "use only + - * / ^ ( ) ="
            )
        kind = m.lastgroup or "op"
        tokens.append((kind, m.group(kind)))
        pos = m.end()
    return tokens


class _Parser:
    """Recursive descent over the tokens of one line; polynomials over a fixed name list.

    Every name of the file is known before parsing (a first pass), so exponent tuples never
    need re-padding; ``seen`` holds the names met so far, as a call like ``f(x)`` is refused
    unless ``f`` was already used as a name. ``work`` counts the cost of expansions, shared by
    the lines of a file.
    """

    def __init__(
        self,
        text: str,
        lineno: int,
        tokens: list[tuple[str, str]],
        names: list[str],
        seen: set[str],
        work: int = 0,
    ) -> None:
        self.text, self.lineno, self.tokens, self.names, self.seen = (
            text,
            lineno,
            tokens,
            names,
            seen,
        )
        self.index = {s: j for j, s in enumerate(names)}
        self.depth = 0  # current nesting of parentheses and signs
        self.work = work
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

    def charge(self, units: int) -> None:
        self.work += units
        if self.work > MAX_EXPANSION:
            raise self.err(
                f"expanding the system costs more than {MAX_EXPANSION} term operations",
                "give the polynomials expanded, or use smaller powers",
            )

    def add(self, p: Poly, q: Poly, sign: float = 1.0) -> Poly:
        # in place: every intermediate polynomial has one owner
        for e, c in q.items():
            v = p.get(e, 0) + sign * c
            if v == 0:
                p.pop(e, None)
            else:
                p[e] = v
        return p

    def mul(self, p: Poly, q: Poly) -> Poly:
        self.charge(len(p) * len(q) * (1 + len(self.names) // 8))
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
        if not all(math.isfinite(abs(c)) for c in lhs.values()):
            raise self.err("a coefficient overflows to infinity", "rescale the equation")
        return lhs

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
                q = self.factor()
                zero = (0,) * len(self.names)
                if set(q) - {zero}:
                    raise self.err(
                        "division by a non-constant",
                        "multiply the equation through by the denominator",
                    )
                if not q:
                    raise self.err("division by zero", "remove the division")
                self.charge(len(p))
                p = {e: c / q[zero] for e, c in p.items()}
            elif tok[0] in ("name", "num") or tok == ("op", "("):
                p = self.mul(p, self.factor())  # implicit multiplication: 3x, 2(x+1)
            else:
                break
        return p

    def nest(self) -> None:
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise self.err(
                f"more than {MAX_NESTING} nested parentheses or signs",
                "expand or simplify the expression",
            )

    def factor(self) -> Poly:
        tok = self.peek()
        if tok is not None and tok[0] == "op" and tok[1] in "+-":
            self.take()
            self.nest()
            p = self.factor()
            self.depth -= 1
            if tok[1] == "-":
                self.charge(len(p))
                p = {e: -c for e, c in p.items()}
            return p
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
            if len(val) > 6 or int(val) > MAX_EXPONENT:
                raise self.err(
                    f"exponent {val} is above {MAX_EXPONENT}",
                    "homotopy continuation needs one path per degree; use a lower degree",
                )
            return self.power_of(base, int(val))
        return base

    def power_of(self, base: Poly, k: int) -> Poly:
        """``base ** k`` by repeated squaring (log k products, not k)."""
        out = self.const(1.0)
        while k:
            if k & 1:
                out = self.mul(out, base)
            k >>= 1
            if k:
                base = self.mul(base, base)
        return out

    def atom(self) -> Poly:
        kind, val = self.take()
        if kind == "num":
            c = float(val)
            if not math.isfinite(c):
                raise self.err(f"number {val!r} is not finite", "use a finite coefficient")
            return self.const(c)
        if kind == "name":
            if self.peek() == ("op", "(") and val not in self.seen:
                what = "function" if val.lower() in _FUNCTIONS else "call"
                raise self.err(
                    f"{what} {val}(...) is not polynomial",
                    "only +, -, *, integer powers and constants are allowed",
                )
            if val.lower() in ("nan", "inf", "infinity"):
                raise self.err(f"coefficient {val!r} is not finite", "use a finite coefficient")
            if val == "I" and "I" not in self.index:
                return self.const(1j)
            if val not in self.index:
                raise self.err(
                    f"unknown symbol {val!r}",
                    "add it to the 'variables:' or 'parameters:' line, or fix the typo",
                )
            self.seen.add(val)
            e = [0] * len(self.names)
            e[self.index[val]] = 1
            return {tuple(e): 1.0 + 0j}
        if val == "(":
            self.nest()
            p = self.expr()
            if self.peek() != ("op", ")"):
                raise self.err("missing ')'", "balance the parentheses")
            self.take()
            self.depth -= 1
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
    names: list[str] = list(variables or []) + list(parameters)
    lexed = [(lineno, line, _tokens(line, lineno)) for lineno, line in raw]
    if variables is None:  # undeclared names, in order of first use
        known = set(names)
        for _, _, tokens in lexed:
            for kind, val in tokens:
                if kind == "name" and val not in known and val != "I":
                    known.add(val)
                    names.append(val)
    if len(names) > MAX_NAMES:
        raise PolynomialSystemError(
            f"the system has {len(names)} variables and parameters, more than {MAX_NAMES}. "
            "Fix: homotopy continuation at this size is out of reach; split the system"
        )
    seen = set(names) if variables is not None else set(parameters)
    polys: list[Poly] = []
    work = 0
    for lineno, line, tokens in lexed:
        parser = _Parser(line, lineno, tokens, names, seen, work)
        polys.append(parser.parse_line())
        work = parser.work
    if variables is None:
        variables = sorted(s for s in names if s not in parameters)
    order = [names.index(s) for s in variables] + [names.index(s) for s in parameters]
    polys = [{tuple(e[j] for j in order): c for e, c in p.items()} for p in polys]
    return ParsedSystem(tuple(variables), tuple(parameters), tuple(polys), tuple(r[0] for r in raw))
