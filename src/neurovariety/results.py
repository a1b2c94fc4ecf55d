"""Base class of every result: named fields, provenance, a short human summary and a JSON form."""

from __future__ import annotations

import dataclasses
import enum
import functools
import html
import json
import math
from typing import Any


def _jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        if hasattr(value, "to_dict"):
            return value.to_dict()
        return {f.name: _jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, complex):
        return [value.real, value.imag]
    if isinstance(value, float) and not math.isfinite(value):
        return None if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if getattr(value, "ndim", 0) and hasattr(value, "tolist"):  # numpy / JAX arrays
        return _jsonable(value.tolist())
    if hasattr(value, "item") and callable(value.item):  # numpy scalars, 0-d arrays
        return _jsonable(value.item())
    if hasattr(value, "tolist"):
        return _jsonable(value.tolist())
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """``count`` and the noun, plural unless it is exactly 1.

    >>> plural(1, "equation"), plural(3, "task"), plural(1_000, "stratum", "strata")
    ('1 equation', '3 tasks', '1,000 strata')
    """
    return f"{count:,} {noun if count == 1 else (nouns or noun + 's')}"


def _public_properties(cls: type) -> list[str]:
    """Names of the public properties of ``cls`` and its bases, in definition order."""
    names: list[str] = []
    for klass in reversed(cls.__mro__):
        for name, attr in vars(klass).items():
            public = not name.startswith("_") and name not in names
            if public and isinstance(attr, (property, functools.cached_property)):
                names.append(name)
    return names


class Verdict(enum.StrEnum):
    """A three-valued answer: a decision is made only with evidence."""

    YES = "yes"
    NO = "no"
    UNKNOWN = "unknown"


class Certainty(enum.StrEnum):
    """How far a result's value can be trusted, strongest first.

    One scale for every result, so a sweep, a report or a user can compare a certified dimension
    with a numerical degree. ``certified`` is true for the two levels that need no trust in
    floating point or in luck.

    - ``PROVEN``: exact arithmetic, or a theorem whose hypotheses were checked.
    - ``CERTIFIED``: numerics with rigorous error control (interval arithmetic, Krawczyk or α-theory
      certificates, rank bounds from both sides that meet).
    - ``PROBABLE``: exact arithmetic at random points or primes; wrong only with a stated small
      probability (Schwartz–Zippel) or if a stopping rule named in the evidence fails.
    - ``NUMERICAL``: floating point with a stated margin (singular-value gap, residual), no proof.
    - ``BOUND``: only a bound on the value is established, not the value itself.
    - ``UNKNOWN``: nothing decided (failed, timed out, out of budget).

    >>> Certainty.PROVEN.certified, Certainty.PROBABLE.certified
    (True, False)
    >>> weakest(Certainty.CERTIFIED, Certainty.NUMERICAL, Certainty.PROVEN)
    <Certainty.NUMERICAL: 'numerical'>
    >>> Certainty.CERTIFIED.at_least(Certainty.PROBABLE), Certainty.BOUND.at_least("numerical")
    (True, False)
    """

    PROVEN = "proven"
    CERTIFIED = "certified"
    PROBABLE = "probable"
    NUMERICAL = "numerical"
    BOUND = "bound"
    UNKNOWN = "unknown"

    @property
    def strength(self) -> int:
        """Higher is stronger: ``UNKNOWN`` is 0, ``PROVEN`` is 5."""
        return len(_CERTAINTY_ORDER) - 1 - _CERTAINTY_ORDER.index(self)

    @property
    def certified(self) -> bool:
        """True for ``PROVEN`` and ``CERTIFIED``: no floating-point trust, no luck involved."""
        return self.strength >= Certainty.CERTIFIED.strength

    def at_least(self, other: Certainty | str) -> bool:
        """Whether this level is as strong as ``other`` (a level or its value)."""
        return self.strength >= Certainty(other).strength


_CERTAINTY_ORDER = list(Certainty)  # strongest first, as declared


def weakest(*levels: Certainty | str) -> Certainty:
    """The weakest of ``levels``: a value built from several inherits the least certain one.

    With no levels there is nothing to vouch for, so ``UNKNOWN``.

    >>> weakest("proven", Certainty.BOUND), weakest()
    (<Certainty.BOUND: 'bound'>, <Certainty.UNKNOWN: 'unknown'>)
    """
    if not levels:
        return Certainty.UNKNOWN
    return min((Certainty(level) for level in levels), key=lambda c: c.strength)


@dataclasses.dataclass(frozen=True, kw_only=True, eq=False, repr=False)
class Provenance:
    """Mixin: what a result was computed for, from which seed, and in how long.

    Keyword-only, so a subclass keeps its own positional fields (with or without defaults) in
    any order; ``dataclasses.fields`` lists these three first.

    >>> @dataclasses.dataclass(frozen=True, repr=False)
    ... class R(Result, Provenance):
    ...     value: int
    >>> r = R(7, architecture="mlp 2-2-1 x^2", seed=0, seconds=0.5)
    >>> r.to_dict(), r.provenance_bullet()
    ({'architecture': 'mlp 2-2-1 x^2', 'seed': 0, 'seconds': 0.5, 'value': 7}, 'seed 0 · 0.5 s')
    """

    architecture: str
    seed: int
    seconds: float

    def provenance_bullet(self) -> str:
        """The closing bullet of a summary: seed and wall time."""
        return f"seed {self.seed} · {self.seconds:.3g} s"


@dataclasses.dataclass(frozen=True, kw_only=True, eq=False, repr=False)
class Graded:
    """Mixin: one ``certainty`` field, and ``certified`` derived from it (exported by ``to_dict``).

    >>> @dataclasses.dataclass(frozen=True, repr=False)
    ... class R(Result, Graded):
    ...     value: int
    >>> R(7, certainty=Certainty.PROVEN).to_dict()
    {'certainty': 'proven', 'value': 7, 'certified': True}
    """

    certainty: Certainty

    @property
    def certified(self) -> bool:
        """True when the certainty is ``PROVEN`` or ``CERTIFIED``."""
        return Certainty(self.certainty).certified


@dataclasses.dataclass(frozen=True)
class Result:
    """Base of all results.

    Subclasses are frozen dataclasses; they implement :meth:`title` and :meth:`bullets`, and get
    ``summary()``, ``__repr__``, ``to_dict()`` and ``to_json()`` from here.
    """

    def title(self) -> str:
        return type(self).__name__

    def bullets(self) -> list[str]:
        return []

    def summary(self) -> str:
        lines = [self.title()]
        lines += [f"• {b}" for b in self.bullets()]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.summary()

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        """The summary as an HTML table (Jupyter renders results with it).

        >>> @dataclasses.dataclass(frozen=True, repr=False)
        ... class R(Result):
        ...     def bullets(self) -> list[str]:
        ...         return ["dimension 3 < 4", "seed 0"]
        >>> print(R()._repr_html_())
        <table class="neurovariety-result">
        <thead><tr><th style="text-align:left">R</th></tr></thead>
        <tbody>
        <tr><td style="text-align:left">dimension 3 &lt; 4</td></tr>
        <tr><td style="text-align:left">seed 0</td></tr>
        </tbody></table>
        """
        cell = 'style="text-align:left"'
        rows = "".join(f"<tr><td {cell}>{html.escape(b)}</td></tr>\n" for b in self.bullets())
        return (
            f'<table class="neurovariety-result">\n<thead><tr><th {cell}>'
            f"{html.escape(self.title())}</th></tr></thead>\n<tbody>\n{rows}</tbody></table>"
        )

    def to_dict(self) -> dict[str, Any]:
        """Every field, then every public property (``nsolutions``, ``complete``, …), as JSON.

        >>> @dataclasses.dataclass(frozen=True, repr=False)
        ... class R(Result):
        ...     n: int
        ...     @property
        ...     def double(self) -> int:
        ...         return 2 * self.n
        >>> R(3).to_dict()
        {'n': 3, 'double': 6}
        """
        out = {f.name: _jsonable(getattr(self, f.name)) for f in dataclasses.fields(self)}
        for name in _public_properties(type(self)):
            out.setdefault(name, _jsonable(getattr(self, name)))
        return out

    def to_json(self, **kwargs: Any) -> str:
        return json.dumps(self.to_dict(), **kwargs)
