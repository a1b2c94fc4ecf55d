"""Lifting certificates: when every critical point of a smaller network lifts to the full loss.

A parameter u of the smaller network is put into the stratum by a lift θ = λ(u, e) (e: the
lift's free weights). When (Razor, arXiv:2505.11846)

    f_{λ(u,e)} = f_red,u   and   ∂f/∂θ ∘ λ = A(e) · ∂f_red/∂u      (as polynomials in u, e, x)

the full gradient at the lift is ∇L(λ(u, e)) = A(e)·∇L_red(u): every critical point of the
smaller network's loss lifts to a critical point of the full loss, for every dataset. The
identity is checked exactly in Q[u, e, x] (:func:`lifting_certificate`); the lifts are

- inactive neuron, incoming row 0 and outgoing column e: the gradient of the row is
  σ'(0)·(…), so every such lift works when σ(0) = σ'(0) = 0 (σ = x^r, r ≥ 2);
- inactive neuron, incoming row e and outgoing column 0: the gradient of the column is
  Σ_j δ(x_j)·σ(e·h(x_j)), not 0 for e ≠ 0; only e = 0 (the whole neuron zero, σ(0) = 0) works;
- redundant pair: both rows equal the smaller network's row w, the outgoing column c split as
  t·c and (1 − t)·c: the rows' gradients are t and 1 − t times the smaller network's.

The hidden channels of a multi-channel convolution are units like neurons (an inactive channel:
its in- or out-filters zero; a redundant pair: equal in-filters), and the same lifts are checked
for them, by the same exact identity. Zero-padded filters have no such argument (Razor):
:func:`lifting_certificate` says so, and :mod:`.critical` estimates their exposure instead.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from typing import Any

import numpy as np

from ..architectures.base import Architecture
from ..architectures.mlp import MLP
from ..invariants.strata import Stratum, embed_unit, unit_filters

MAX_CERTIFICATE_TERMS = 200_000  # polynomial terms of the exact lifting check
MAX_CERTIFICATE_WORK = 3 * 10**6  # terms σ(z) may have: refuse before expanding, not after


# A lift assigns each full parameter a value: ("u", k, c) = c·u_k, ("e", m, c) = e_m, or None (0),
# with c ∈ {"1", "t", "1-t"} and t = e_0. Its claimed Jacobian rule maps each full parameter to
# c·∂f_red/∂u_k, ("u", k, c), or to 0 (None).
_Rule = tuple[str, int, str] | None


@dataclasses.dataclass(frozen=True)
class Lift:
    family: str
    text: str  # which lifts, in words
    n_free: int
    values: tuple[_Rule, ...]
    jacobian: tuple[_Rule, ...]


def unit_lifts(arch: Architecture, stratum: Stratum) -> list[Lift]:
    """Lifts of the reduced network into ``stratum`` (an MLP neuron or a ConvNet hidden channel),
    most general first."""
    red = stratum.reduced
    assert red is not None
    i = stratum.layer
    rin, dout = (len(x) for x in unit_filters(arch, i, 0))
    n = arch.n_params

    def mark(kind: str, m: int) -> np.ndarray:
        out = np.empty(m, dtype=object)
        out[:] = [(kind, j) for j in range(m)]
        return out

    def embed(row: np.ndarray, col: np.ndarray) -> list[tuple[str, int]]:
        # embed_unit copies entries, so it places symbolic markers as well as numbers
        placed = list(embed_unit(arch, i, mark("u", red.n_params), row, col))
        assert all(isinstance(x, tuple) for x in placed), "a parameter left unplaced"
        return placed

    placed = embed(mark("row", rin), mark("col", dout))
    ones: list[_Rule] = [("u", k, "1") if s == "u" else None for s, k in placed]
    lifts: list[Lift] = []
    zero = Lift(
        "zero", "the neuron's incoming row and outgoing column 0", 0, tuple(ones), tuple(ones)
    )
    if stratum.kind in ("inactive-out", "inactive-in"):
        # the most general lift first: the weights the stratum leaves free are free variables
        part, n_free, text = (
            ("row", rin, "outgoing column 0, incoming row arbitrary")
            if stratum.kind == "inactive-out"
            else ("col", dout, "incoming row 0, outgoing column arbitrary")
        )
        free: list[_Rule] = [
            ("e", k, "1") if s == part else r for (s, k), r in zip(placed, ones, strict=True)
        ]
        family = "row" if part == "row" else "column"
        lifts += [Lift(family, text, n_free, tuple(free), tuple(ones)), zero]
    else:  # redundant: the new unit 0 copies the reduced unit 0 (full unit 1)
        w, c = ([int(k) for k in x] for x in unit_filters(red, i, 0))
        w_set, c_set = set(w), set(c)
        vals: list[_Rule] = [None] * n
        jac: list[_Rule] = [None] * n
        for j, (s, k) in enumerate(placed):
            if s == "u" and k in c_set:
                vals[j], jac[j] = ("u", k, "1-t"), ("u", k, "1")
            elif s == "u" and k in w_set:
                vals[j], jac[j] = ("u", k, "1"), ("u", k, "1-t")
            elif s == "u":
                vals[j] = jac[j] = ("u", k, "1")
            elif s == "row":
                vals[j], jac[j] = ("u", w[k], "1"), ("u", w[k], "t")
            else:
                vals[j], jac[j] = ("u", c[k], "t"), ("u", c[k], "1")
        lifts.append(
            Lift(
                "split",
                "both rows equal, outgoing columns t·c and (1 − t)·c",
                1,
                tuple(vals),
                tuple(jac),
            )
        )
    return [dataclasses.replace(lf, text=_in_words_of(arch, lf.text)) for lf in lifts]


def _in_words_of(arch: Architecture, text: str) -> str:
    """A lift's description for ``arch``: an MLP neuron's rows and columns, a ConvNet channel's
    in- and out-filters."""
    if isinstance(arch, MLP):
        return text
    for a, b in (
        ("the neuron's incoming row and outgoing column", "the channel's in- and out-filters"),
        ("both rows equal", "both in-filters equal"),
        ("outgoing columns", "out-filters"),
        ("incoming row", "in-filters"),
        ("outgoing column", "out-filters"),
        ("the neuron's own weights", "the channel's own filters"),
    ):
        text = text.replace(a, b)
    return text


def lift_theta(lift: Lift, u: np.ndarray, e: np.ndarray) -> np.ndarray:
    t = float(e[0]) if lift.family == "split" else 0.0
    coef = {"1": 1.0, "t": t, "1-t": 1.0 - t}
    theta = np.zeros(len(lift.values))
    for j, rule in enumerate(lift.values):
        if rule is not None:
            src, k, c = rule
            theta[j] = coef[c] * (u[k] if src == "u" else e[k])
    return theta


class _TooLarge(Exception):
    pass


def _poly_jacobian(
    arch: Architecture, theta: list[Any], xs: list[Any], sigma: list[Any], one: Any
) -> tuple[list[Any], list[list[Any]]]:
    """Outputs f_o and ∂f_o/∂θ_j as polynomials, by the chain rule (reverse mode) over the
    polynomial entries ``theta``; ``sigma`` holds σ's coefficients, ascending."""
    dsigma = [k * c for k, c in enumerate(sigma)][1:]

    def horner(cs: list[Any], z: Any) -> Any:
        y = one * 0
        for c in reversed(cs):
            y = y * z + c
        return y

    hbs, zs = [], []
    h = list(xs)
    last = len(arch.layers) - 1
    for li, layer in enumerate(arch.layers):
        hb = h + ([one] if layer.bias else [])
        W = [[theta[layer.offset + k] if k >= 0 else None for k in row] for row in layer.pattern]
        z = [
            sum((w * v for w, v in zip(row, hb, strict=True) if w is not None), one * 0)
            for row in W
        ]
        if sum(len(p) for p in z) > MAX_CERTIFICATE_TERMS:
            raise _TooLarge
        # z^d has at most C(t + d − 1, d) terms for t terms of z
        if li < last and max(math.comb(len(p) + len(sigma) - 2, len(sigma) - 1) for p in z) > (
            MAX_CERTIFICATE_WORK
        ):
            raise _TooLarge
        hbs.append(hb)
        zs.append(z)
        h = z if li == last else [horner(sigma, p) for p in z]
    outputs = h
    jac: list[list[Any]] = []
    for o in range(arch.n_outputs):
        row = [one * 0] * arch.n_params
        g = [one if a == o else one * 0 for a in range(arch.layers[-1].n_out)]
        for li in range(last, -1, -1):
            layer = arch.layers[li]
            for a, prow in enumerate(layer.pattern):
                for b, k in enumerate(prow):
                    if k >= 0:
                        row[layer.offset + k] = row[layer.offset + k] + g[a] * hbs[li][b]
            if li == 0:
                break
            back = [one * 0] * layer.n_in
            for a, prow in enumerate(layer.pattern):
                for b, k in enumerate(prow[: layer.n_in]):
                    if k >= 0:
                        back[b] = back[b] + theta[layer.offset + k] * g[a]
            g = [bb * horner(dsigma, zz) for bb, zz in zip(back, zs[li - 1], strict=True)]
            if sum(len(p) for p in g) > MAX_CERTIFICATE_TERMS:
                raise _TooLarge
        jac.append(row)
    return outputs, jac


def _check_lift_exactly(arch: Architecture, red: Architecture, lift: Lift) -> tuple[bool, int, str]:
    """Decide f∘λ = f_red and ∂f/∂θ∘λ = A·∂f_red/∂u in Q[u, e, x] (FLINT).

    Returns (holds, identities checked, the first failing parameter's role or "")."""
    import flint

    names = (
        *(f"u{k}" for k in range(red.n_params)),
        *(f"e{m}" for m in range(lift.n_free)),
        *(f"x{i}" for i in range(arch.n_inputs)),
    )
    ctx = flint.fmpq_mpoly_ctx.get(names, "lex")
    gens = ctx.gens()
    u, e, xs = (
        gens[: red.n_params],
        gens[red.n_params : red.n_params + lift.n_free],
        gens[red.n_params + lift.n_free :],
    )
    one = ctx.from_dict({(0,) * len(names): 1})
    t = e[0] if lift.family == "split" else one * 0
    coef = {"1": one, "t": t, "1-t": one - t}
    sigma = [flint.fmpq(c.numerator, c.denominator) for c in arch.activation.coefficients]
    theta = []
    for rule in lift.values:
        if rule is None:
            theta.append(one * 0)
        else:
            src, k, c = rule
            theta.append(coef[c] * (u[k] if src == "u" else e[k]))
    f_full, J_full = _poly_jacobian(arch, theta, list(xs), sigma, one)
    f_red, J_red = _poly_jacobian(red, list(u), list(xs), sigma, one)
    checked = 0
    for o in range(arch.n_outputs):
        checked += 1
        if f_full[o] != f_red[o]:
            return False, checked, "the lift changes the function"
        for j, rule in enumerate(lift.jacobian):
            claim = one * 0 if rule is None else coef[rule[2]] * J_red[o][rule[1]]
            checked += 1
            if J_full[o][j] != claim:
                return False, checked, _role(arch, lift, j)
    return True, checked, ""


def _role(arch: Architecture, lift: Lift, j: int) -> str:
    rule = lift.values[j]
    if rule is None or rule[0] == "e":
        return _in_words_of(arch, "the gradient of the neuron's own weights is not identically 0")
    return "the gradient of the smaller network's weights changes"


@dataclasses.dataclass(frozen=True)
class LiftingCertificate:
    """Whether every lift (of a stated family) of a critical point of the smaller network's loss
    is a critical point of the full loss, for every dataset; and how that was decided."""

    proven: bool
    lifts: str  # the family of lifts the proof covers ("" when not proven)
    method: str
    statement: str
    refused: str = ""  # more general lifts that the exact check refuted

    @property
    def summary(self) -> str:
        also = f"; not at every lift with {self.refused}" if self.refused else ""
        return f"{self.statement} [{self.method}]{also}"


@functools.lru_cache(maxsize=256)
def lifting_certificate(arch: Architecture, stratum: Stratum) -> LiftingCertificate:
    """Decide the lifting argument for ``stratum`` exactly (see the module docstring).

    The families of lifts are tried from the most general; each is decided by expanding
    f∘λ − f_red and ∂f/∂θ∘λ − A·∂f_red/∂u in Q[u, e, x]: zero polynomials prove it, a non-zero
    one refutes it (for that family). Past :data:`MAX_CERTIFICATE_TERMS` terms the chain-rule
    argument is applied instead, its hypotheses (σ(0) = 0, σ'(0) = 0) checked on σ's rational
    coefficients.

    >>> from neurovariety import parse_architecture
    >>> from neurovariety.invariants.strata import parse_stratum
    >>> f = parse_architecture("mlp 2-2-1 x^2")
    >>> c = lifting_certificate(f, parse_stratum(f, "inactive-in layer 1 neurons 0"))
    >>> c.proven, c.lifts
    (True, 'incoming row 0, outgoing column arbitrary')
    """
    if stratum.kind in ("padding", "interior-zero"):
        return LiftingCertificate(
            False,
            "",
            "none",
            "no lifting argument for zero-padded filters (Razor: CNN strata are not critically "
            "exposed away from the zero fiber)",
        )
    red = stratum.reduced
    if red is None:
        return LiftingCertificate(
            False,
            "",
            "none",
            "the stratum computes only the zero function: its critical points lie on the zero "
            "fiber, which Razor's statements exclude",
        )
    c0, c1 = arch.activation.coefficients[0], arch.activation.coefficients[1:2]
    refuted: list[str] = []
    for lift in unit_lifts(arch, stratum):
        try:
            holds, checked, why = _check_lift_exactly(arch, red, lift)
            method = f"exact: {checked} polynomial identities in Q[u, e, x] (FLINT)"
        except _TooLarge:
            needs_c1 = lift.family == "column"
            holds = lift.family == "split" or (
                lift.family != "row" and c0 == 0 and (not needs_c1 or not c1 or c1[0] == 0)
            )
            checked, why = 0, "the chain rule: σ(0) or σ'(0) is not 0"
            method = "chain rule, σ's coefficients checked exactly (too large to expand)"
        if holds:
            return LiftingCertificate(
                True,
                lift.text,
                method,
                f"every critical point u of the {red.spec} loss, lifted with {lift.text}, is "
                "a critical point of the full loss (∇L(λ(u, e)) = A(e)·∇L_red(u))",
                "; ".join(refuted),
            )
        refuted.append(f"{lift.text} ({why}, decided exactly)")
    return LiftingCertificate(
        False,
        "",
        "exact: the lifting identity fails",
        "no lift of the smaller network's critical points is critical for every dataset: "
        + "; ".join(refuted),
    )
