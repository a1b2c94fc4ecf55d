"""Polynomial activation functions: monomials, given polynomials, generic polynomials.

All activations have exact rational coefficients, so every architecture can be evaluated over the
integers, over prime fields and in floating point from the same description.
"""

from __future__ import annotations

import dataclasses
import random
import re
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from ..errors import ActivationError

MAX_DEGREE = 64
GENERIC_COEFF_RANGE = 97  # |a_i| ≤ 97: small, but random enough to avoid special structure
MAX_ACTIVATION_LENGTH = 2_000  # characters of an activation's text
MAX_COEFF_DIGITS = 100  # digits of one numerator or denominator in the text
MAX_SEED = 2**63 - 1


def _as_fraction(c: Any) -> Fraction:
    if isinstance(c, bool):
        raise ActivationError(f"coefficient {c!r} is a bool; give numbers, e.g. (0, 1, 1)")
    if isinstance(c, (int, Fraction)):
        return Fraction(c)
    if isinstance(c, float):
        if c != c or c in (float("inf"), float("-inf")):
            raise ActivationError(
                f"coefficient {c!r} is not finite; activations need finite rational coefficients"
            )
        return Fraction(str(c))
    if isinstance(c, str):
        try:
            return Fraction(c)
        except ValueError:
            pass
    raise ActivationError(
        f"coefficient {c!r} is not a rational number; use int, Fraction or float values"
    )


def _format_coeff_term(c: Fraction, e: int, first: bool) -> str:
    sign = "-" if c < 0 else ("" if first else "+")
    a = abs(c)
    mono = "" if e == 0 else ("x" if e == 1 else f"x^{e}")
    if e == 0:
        body = str(a)
    elif a == 1:
        body = mono
    else:
        body = f"{a}*{mono}"
    return sign + body


class Activation:
    """Common interface of activations (a polynomial σ with rational coefficients)."""

    @property
    def coefficients(self) -> tuple[Fraction, ...]:
        """Coefficients ``(c_0, c_1, …, c_r)`` of σ(x) = Σ c_i x^i, ascending, ``c_r ≠ 0``."""
        raise NotImplementedError

    @property
    def exponents(self) -> tuple[int, ...]:
        """Exponents with non-zero coefficient, ascending."""
        return tuple(i for i, c in enumerate(self.coefficients) if c != 0)

    @property
    def is_monomial(self) -> bool:
        """True when σ = c·x^r: then the network has the rescaling symmetries."""
        return len(self.exponents) == 1 and self.exponents[0] >= 1

    @property
    def is_linear(self) -> bool:
        return self.exponents == (1,)

    @property
    def spec(self) -> str:
        raise NotImplementedError

    if TYPE_CHECKING:

        @property
        def degree(self) -> int: ...

    def __str__(self) -> str:
        return self.spec

    def __call__(self, x: Any) -> Any:
        """Evaluate σ by Horner's rule on numbers or arrays (floats)."""
        cs = [float(c) for c in self.coefficients]
        y = x * 0 + cs[-1]
        for c in reversed(cs[:-1]):
            y = y * x + c
        return y


def _poly_spec(coeffs: tuple[Fraction, ...]) -> str:
    terms = [(c, e) for e, c in enumerate(coeffs) if c != 0]
    terms.reverse()
    return "".join(_format_coeff_term(c, e, i == 0) for i, (c, e) in enumerate(terms))


@dataclasses.dataclass(frozen=True)
class Monomial(Activation):
    """σ(x) = x^r.

    >>> Monomial(2).spec
    'x^2'
    >>> Monomial(3).coefficients
    (Fraction(0, 1), Fraction(0, 1), Fraction(0, 1), Fraction(1, 1))
    """

    r: int

    def __post_init__(self) -> None:
        if not isinstance(self.r, int) or isinstance(self.r, bool):
            raise ActivationError(
                f"monomial degree must be an int, got {self.r!r}; e.g. Monomial(2)"
            )
        if self.r < 1:
            raise ActivationError(
                f"monomial degree r={self.r} must be ≥ 1 (r=0 is a constant, not an activation)"
            )
        if self.r > MAX_DEGREE:
            raise ActivationError(
                f"monomial degree r={self.r} is absurdly large (limit {MAX_DEGREE}); "
                "use a smaller r"
            )

    @property
    def coefficients(self) -> tuple[Fraction, ...]:
        return (Fraction(0),) * self.r + (Fraction(1),)

    @property
    def degree(self) -> int:
        return self.r

    @property
    def spec(self) -> str:
        return "x" if self.r == 1 else f"x^{self.r}"


@dataclasses.dataclass(frozen=True)
class Polynomial(Activation):
    """A given polynomial σ(x) = Σ c_i x^i, coefficients ascending (c_0 first).

    >>> Polynomial((0, 0, 1, 1)).spec
    'x^3+x^2'
    >>> Polynomial((0, Fraction(1, 2), 0, -3)).spec
    '-3*x^3+1/2*x'
    """

    coeffs: tuple[Fraction, ...]

    def __post_init__(self) -> None:
        raw = self.coeffs
        if isinstance(raw, (str, bytes)) or not hasattr(raw, "__iter__"):
            raise ActivationError(
                f"Polynomial needs a sequence of coefficients (ascending), got {raw!r}; "
                "e.g. Polynomial((0, 0, 1, 1)) for x^3+x^2"
            )
        cs = [_as_fraction(c) for c in raw]
        while cs and cs[-1] == 0:
            cs.pop()
        if len(cs) < 2:
            raise ActivationError(
                "activation polynomial is constant; it needs degree ≥ 1, e.g. (0, 0, 1) for x^2"
            )
        if len(cs) - 1 > MAX_DEGREE:
            raise ActivationError(
                f"activation degree {len(cs) - 1} is absurdly large (limit {MAX_DEGREE})"
            )
        object.__setattr__(self, "coeffs", tuple(cs))

    @property
    def coefficients(self) -> tuple[Fraction, ...]:
        return self.coeffs

    @property
    def degree(self) -> int:
        return len(self.coeffs) - 1

    @property
    def spec(self) -> str:
        return _poly_spec(self.coeffs)


@dataclasses.dataclass(frozen=True)
class GenericPolynomial(Activation):
    """A generic polynomial of the given degree: random non-zero integer coefficients, σ(0) = 0.

    The coefficients are drawn from ``seed`` only, so the activation is a reproducible value.

    >>> s = GenericPolynomial(4, seed=1)
    >>> s.degree, s.spec
    (4, 'generic:4@1')
    >>> all(c != 0 for c in s.coefficients[1:]) and s.coefficients[0] == 0
    True
    """

    degree: int  # type: ignore[misc]
    seed: int = 0

    def __post_init__(self) -> None:
        d = self.degree
        if not isinstance(d, int) or isinstance(d, bool) or d < 2:
            raise ActivationError(
                f"generic activation degree must be an int ≥ 2, got {d!r}; e.g. generic:4"
            )
        if d > MAX_DEGREE:
            raise ActivationError(f"generic degree {d} is absurdly large (limit {MAX_DEGREE})")
        if not isinstance(self.seed, int) or self.seed < 0:
            raise ActivationError(f"seed must be a non-negative int, got {self.seed!r}")

    @property
    def coefficients(self) -> tuple[Fraction, ...]:
        rng = random.Random(f"generic-activation:{self.degree}:{self.seed}")
        cs = [Fraction(0)]
        for _ in range(self.degree):
            c = rng.randint(1, GENERIC_COEFF_RANGE) * rng.choice((-1, 1))
            cs.append(Fraction(c))
        return tuple(cs)

    @property
    def spec(self) -> str:
        return f"generic:{self.degree}" + (f"@{self.seed}" if self.seed else "")


_TERM = re.compile(
    r"""\s*(?P<sign>[+-])?\s*
        (?P<coef>\d+(?:/\d+)?(?:\.\d+)?)?\s*
        (?P<star>\*)?\s*
        (?P<var>x(?:\s*\^\s*(?P<exp>\d+))?)?\s*""",
    re.VERBOSE | re.ASCII,
)


def _coefficient(coef_text: str, text: str) -> Fraction:
    if any(len(part) > MAX_COEFF_DIGITS for part in re.split(r"[/.]", coef_text)):
        raise ActivationError(
            f"a coefficient of {text[:40]!r}… has more than {MAX_COEFF_DIGITS} digits; "
            "give a smaller rational number"
        )
    try:
        return Fraction(coef_text)
    except ZeroDivisionError:
        raise ActivationError(
            f"coefficient {coef_text!r} in {text!r} divides by zero; give a rational number"
        ) from None
    except ValueError:
        raise ActivationError(
            f"coefficient {coef_text!r} in {text!r} is not a rational number; write 3, 1/2 or 0.25"
        ) from None


def parse_activation(text: str) -> Activation:
    """Parse an activation: a polynomial in ``x`` or ``generic:DEGREE[@SEED]``.

    A single monomial ``x^r`` gives :class:`Monomial`; any other polynomial :class:`Polynomial`.

    >>> parse_activation("x^2")
    Monomial(r=2)
    >>> parse_activation("x^3 + x^2").spec
    'x^3+x^2'
    >>> parse_activation("generic:4@7").spec
    'generic:4@7'
    """
    s = text.strip().replace("**", "^")
    if not s:
        raise ActivationError("empty activation; give a polynomial in x such as x^2 or generic:4")
    if len(s) > MAX_ACTIVATION_LENGTH:
        raise ActivationError(
            f"activation text of {len(s)} characters is too long (limit "
            f"{MAX_ACTIVATION_LENGTH}); give a polynomial of degree ≤ {MAX_DEGREE}"
        )
    m = re.fullmatch(r"generic\s*:\s*(\d{1,6})\s*(?:@\s*(\d{1,19}))?", s, re.ASCII)
    if m:
        seed = int(m.group(2) or 0)
        if seed > MAX_SEED:
            raise ActivationError(f"generic seed {seed} is too large; use 0 ≤ SEED < 2**63")
        return GenericPolynomial(int(m.group(1)), seed=seed)
    if s.startswith("generic"):
        raise ActivationError(
            f"cannot read {text!r}; write generic:DEGREE or generic:DEGREE@SEED, e.g. generic:4"
        )
    if s in ("id", "identity", "linear"):
        return Monomial(1)
    coeffs: dict[int, Fraction] = {}
    pos = 0
    first = True
    while pos < len(s):
        m = _TERM.match(s, pos)
        if m is None or m.end() == pos:
            break
        if not first and m.group("sign") is None:
            break
        coef_text, var = m.group("coef"), m.group("var")
        if coef_text is None and var is None:
            break
        if m.group("star") and (coef_text is None or var is None):
            break
        c = _coefficient(coef_text, text) if coef_text else Fraction(1)
        if m.group("sign") == "-":
            c = -c
        exp = m.group("exp") or "1"
        e = 0 if var is None else (int(exp) if len(exp) <= 6 else MAX_DEGREE + 1)
        if e > MAX_DEGREE:
            raise ActivationError(
                f"activation degree {e} in {text!r} is absurdly large (limit {MAX_DEGREE})"
            )
        coeffs[e] = coeffs.get(e, Fraction(0)) + c
        pos = m.end()
        first = False
    if pos < len(s) or first:
        raise ActivationError(
            f"activation {text!r} is not a polynomial in x (could not read {s[pos:]!r}); "
            "write e.g. x^2, x^3+x^2, 2*x^3-1/2*x or generic:4"
        )
    top = max((e for e, c in coeffs.items() if c != 0), default=0)
    if top == 0:
        raise ActivationError(f"activation {text!r} is constant; it needs degree ≥ 1, e.g. x^2")
    cs = tuple(coeffs.get(i, Fraction(0)) for i in range(top + 1))
    nonzero = [i for i, c in enumerate(cs) if c != 0]
    if nonzero == [top] and cs[top] == 1:
        return Monomial(top)
    return Polynomial(cs)
