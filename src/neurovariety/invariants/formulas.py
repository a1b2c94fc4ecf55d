"""Closed formulas of neuroalgebraic geometry: dimensions, degrees and ED degrees.

Every function here is a pure function of plain integers and tuples, computed in exact integer or
:class:`fractions.Fraction` arithmetic. The library uses them as proven upper bounds and exact
values, and the tests use them as independent oracles for the numerical code. Which of them applies
to an architecture is decided in :mod:`.formula_choice`.

Why one long module (~1,350 lines): two thirds of it are docstrings — every formula carries
its source, hypotheses and a doctested example, because the tests quote them as oracles — and the
families (monomial MLPs, linear networks, Segre–Veronese, convolutions) share the validation
helpers at the top. Split it by family if a family grows its own helpers.

Sources (short names used below):

- KTB: Kileel, Trager, Bruna, *On the Expressive Power of Deep Polynomial Neural Networks*,
  arXiv:1905.12207.
- FRWY: Finkel, Rodriguez, Wu, Yahl, *Activation thresholds and expressiveness of polynomial
  neural networks*, arXiv:2408.04569.
- AH: Alexander, Hirschowitz, *Polynomial interpolation in several variables*, J. Algebraic Geom.
  4 (1995) — the dimensions of secant varieties of Veronese varieties.
- PCN: Shahverdi, Marchetti, Kohn, *On the Geometry and Optimization of Polynomial Convolutional
  Networks*, arXiv:2410.00722.
- KMST: Kohn, Montúfar, Shahverdi, Trager, *Function Space and Critical Points of Linear
  Convolutional Networks*, arXiv:2304.05752.
- LCN: Shahverdi, *Algebraic Complexity and Neurovariety of Linear Convolutional Networks*,
  arXiv:2401.16613.
- Invitation: Marchetti, Shahverdi, Mereta, Trager, Kohn, *An Invitation to Neuroalgebraic
  Geometry*, arXiv:2501.18915.
- DHOST: Draisma, Horobeț, Ottaviani, Sturmfels, Thomas, *The Euclidean distance degree of an
  algebraic variety*, arXiv:1309.0049 (Found. Comput. Math. 2016).
- FO: Friedland, Ottaviani, *The number of singular vector tuples and uniqueness of best rank-one
  approximation of tensors*, Found. Comput. Math. 14 (2014), doi:10.1007/s10208-014-9194-z.
- Harris: J. Harris, *Algebraic Geometry: A First Course*, Example 19.10 (degree of determinantal
  varieties).

All dimensions are dimensions of **affine** cones (function spaces are vector spaces of
polynomials); degrees are degrees of the corresponding projective varieties (equivalently of the
affine cones).
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from math import comb, factorial, prod

from neurovariety.errors import ArchitectureError, FieldError

__all__ = [
    "LinearNetworkInvariants",
    "cnn_filter_size",
    "determinantal_degree",
    "eckart_young_ed_degree",
    "friedland_ottaviani_count",
    "generic_ed_degree_from_chern",
    "is_alexander_hirschowitz_defective",
    "lcn_degree",
    "lcn_dim",
    "lcn_ed_degree",
    "lcn_is_filling",
    "linear_network_degree",
    "linear_network_dim",
    "linear_network_ed_degree",
    "linear_network_fiber_dim",
    "linear_network_invariants",
    "mlp_ambient_dim",
    "mlp_composition_bound",
    "mlp_expected_dim",
    "mlp_known_dim",
    "mlp_n_params",
    "mlp_naive_bound",
    "mlp_upper_bound",
    "pcn_degree",
    "pcn_dim",
    "pcn_ed_degree",
    "schwartz_zippel_bound",
    "segre_veronese_chern_degrees",
    "segre_veronese_degree",
    "segre_veronese_generic_ed_degree",
    "shallow_mlp_dim",
]

# The four exceptional (d0, r, d1) of the Alexander–Hirschowitz theorem with r >= 3, in the
# notation of a shallow single-output network: d0 inputs, activation x^r, d1 hidden neurons.
_AH_EXCEPTIONS: frozenset[tuple[int, int, int]] = frozenset(
    {(3, 4, 5), (4, 4, 9), (5, 4, 14), (5, 3, 7)}
)


# --------------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------------


def _as_int(name: str, value: object, minimum: int | None, hint: str) -> int:
    """Return ``value`` as an ``int`` (>= ``minimum`` unless None) or raise ArchitectureError."""
    if isinstance(value, bool):
        raise ArchitectureError(f"{name} must be an integer, got the bool {value!r}; {hint}")
    try:
        number = operator.index(value)  # type: ignore[arg-type]
    except TypeError:
        raise ArchitectureError(
            f"{name} must be an integer, got {type(value).__name__} {value!r}; {hint}"
        ) from None
    if minimum is not None and number < minimum:
        raise ArchitectureError(f"{name} must be >= {minimum}, got {number}; {hint}")
    return int(number)


def _as_int_tuple(
    name: str, values: Sequence[int], minimum: int, min_length: int, hint: str
) -> tuple[int, ...]:
    """Return ``values`` as a tuple of ints >= ``minimum`` of length >= ``min_length``."""
    if isinstance(values, str | bytes) or not isinstance(values, Sequence):
        raise ArchitectureError(
            f"{name} must be a sequence of integers, got {type(values).__name__}; {hint}"
        )
    if len(values) < min_length:
        raise ArchitectureError(
            f"{name} needs at least {min_length} entries, got {len(values)}; {hint}"
        )
    return tuple(_as_int(f"{name}[{i}]", v, minimum, hint) for i, v in enumerate(values))


# name -> (minimum length, how to fix it) for the sequences of sizes >= 1 the formulas take
_SIZE_SEQUENCES: dict[str, tuple[int, str]] = {
    "widths": (2, "give the layer widths input first, e.g. widths=(2, 3, 1)"),
    "filters": (1, "give the filter sizes input side first, e.g. filters=(3, 2)"),
}


def _widths(widths: Sequence[int]) -> tuple[int, ...]:
    min_length, hint = _SIZE_SEQUENCES["widths"]
    return _as_int_tuple("widths", widths, 1, min_length, hint)


def _filters(filters: Sequence[int]) -> tuple[int, ...]:
    min_length, hint = _SIZE_SEQUENCES["filters"]
    return _as_int_tuple("filters", filters, 1, min_length, hint)


def _degree_r(r: int, minimum: int = 1) -> int:
    hint = "the activation is x^r with an integer r >= 1, e.g. r=2"
    if minimum > 1:
        hint = f"this formula needs r >= {minimum}; for r = 1 use the LCN / linear functions"
    return _as_int("r", r, minimum, hint)


def _strides(strides: Sequence[int], n_layers: int) -> tuple[int, ...]:
    hint = f"give one stride per layer ({n_layers} here), input side first, e.g. strides=(2, 1)"
    result = _as_int_tuple("strides", strides, minimum=1, min_length=n_layers, hint=hint)
    if len(result) != n_layers:
        raise ArchitectureError(
            f"strides has {len(result)} entries but there are {n_layers} filters; {hint}"
        )
    return result


def _exact_int(value: Fraction, what: str) -> int:
    if value.denominator != 1:  # pragma: no cover - guards the mathematics, never expected
        raise ArithmeticError(f"{what} evaluated to the non-integer {value}")
    return value.numerator


# --------------------------------------------------------------------------------------------
# Monomial MLPs
# --------------------------------------------------------------------------------------------


def mlp_ambient_dim(widths: Sequence[int], r: int) -> int:
    """Dimension of the ambient space of a monomial MLP.

    Parameters
    ----------
    widths
        ``(d_0, ..., d_L)`` with ``L >= 1``; only ``d_0``, ``d_L`` and ``L`` enter.
    r
        Exponent of the activation ``σ(z) = z^r`` (``>= 1``), fixing ``D = r^(L-1)``.

    Returns
    -------
    int
        ``A = d_L · C(D + d_0 - 1, d_0 - 1)`` with ``D = r^(L-1)``: every output is a form of
        degree ``D`` in ``d_0`` variables.

    Notes
    -----
    KTB, arXiv:1905.12207 (the functional space ``(Sym_D C^{d_0})^{d_L}``).

    Examples
    --------
    >>> mlp_ambient_dim((2, 3, 2, 3, 4), 2)  # 4 binary forms of degree 8
    36
    """
    d = _widths(widths)
    rr = _degree_r(r)
    degree = rr ** (len(d) - 2)
    return d[-1] * comb(degree + d[0] - 1, d[0] - 1)


def mlp_n_params(widths: Sequence[int]) -> int:
    """Number of weights ``N = Σ_i d_i d_(i-1)`` of an MLP without biases.

    Parameters
    ----------
    widths
        Layer widths of a bias-free MLP, input layer first.

    Returns
    -------
    int
        ``N``.

    Notes
    -----
    KTB, arXiv:1905.12207 (one matrix ``W_i ∈ R^{d_i × d_(i-1)}`` per layer).

    Examples
    --------
    >>> mlp_n_params((2, 3, 1))
    9
    """
    d = _widths(widths)
    return sum(a * b for a, b in zip(d, d[1:], strict=False))


def mlp_naive_bound(widths: Sequence[int]) -> int:
    """Parameter count minus the rescaling symmetries: ``n = N - Σ_hidden d_i``.

    Parameters
    ----------
    widths
        The architecture ``(d_0, ..., d_L)``; hidden widths are ``d_1, ..., d_(L-1)``.

    Returns
    -------
    int
        ``n = d_L + Σ_i (d_(i-1) - 1) d_i``, an upper bound on the dimension of the neurovariety
        for any monomial activation (each hidden neuron carries a 1-dimensional rescaling).

    Notes
    -----
    KTB, arXiv:1905.12207 (the naive bound).

    Examples
    --------
    >>> mlp_naive_bound((2, 3, 2, 3, 4))
    22
    """
    d = _widths(widths)
    return mlp_n_params(d) - sum(d[1:-1])


def mlp_expected_dim(widths: Sequence[int], r: int) -> int:
    """Expected dimension ``min(A, n)`` of a monomial MLP neurovariety.

    Parameters
    ----------
    widths
        Widths of the monomial MLP, the input ``d_0`` first and the output ``d_L`` last.
    r
        Degree of the monomial activation.

    Returns
    -------
    int
        ``min(mlp_ambient_dim, mlp_naive_bound)``; the *defect* is this minus the true
        dimension.

    Notes
    -----
    KTB, arXiv:1905.12207 (expected dimension and defect).

    Examples
    --------
    >>> mlp_expected_dim((2, 3, 2, 3, 4), 2)
    22
    """
    return min(mlp_ambient_dim(widths, r), mlp_naive_bound(widths))


def _interval_bounds(d: tuple[int, ...], r: int, use_known: bool) -> dict[tuple[int, int], int]:
    """Best upper bound of every sub-architecture ``(d_i, ..., d_j)``, by a DP on intervals.

    ``best[i, j] = min(ambient, naive, min_k best[i, k] + best[k, j] - d_k)`` and, when
    ``use_known``, also the exact dimension wherever a theorem gives it.
    """
    best: dict[tuple[int, int], int] = {}
    n = len(d)
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            sub = d[i : j + 1]
            value = min(mlp_ambient_dim(sub, r), mlp_naive_bound(sub))
            for k in range(i + 1, j):
                value = min(value, best[i, k] + best[k, j] - d[k])
            if use_known:
                known = mlp_known_dim(sub, r)
                if known is not None:
                    value = min(value, known)
            best[i, j] = value
    return best


def mlp_composition_bound(widths: Sequence[int], r: int) -> int:
    """The recursive composition upper bound on the dimension of a monomial MLP neurovariety.

    Parameters
    ----------
    widths
        Architecture ``(d_0, ..., d_L)`` to split at each hidden layer ``0 < i < L``.
    r
        Activation exponent, shared by every sub-architecture of the split.

    Returns
    -------
    int
        ``min_{0<i<L} [B(d_0..d_i) + B(d_i..d_L) - d_i]`` where ``B`` of a sub-architecture is its
        own best bound ``min(ambient, naive, composition bound)`` and ``B(a, b) = ab``. For
        ``L = 1`` there is no split and the exact value ``d_0 d_1`` is returned.

    Notes
    -----
    KTB, arXiv:1905.12207: ``V_d`` is the image of ``V_(d_0..d_i) × V_(d_i..d_L)`` under
    ``(h, g) ↦ g ∘ σ ∘ h``, whose fibers contain the ``d_i``-dimensional rescaling torus.
    Computed by dynamic programming over the ``O(L^2)`` index intervals. KTB's example
    ``d = (2, 3, 2, 3, 4)``: bound 16 for ``r = 2`` and 21 for ``r = 3`` (both the true
    dimension; expected 22).

    Examples
    --------
    >>> mlp_composition_bound((2, 3, 2, 3, 4), 2), mlp_composition_bound((2, 3, 2, 3, 4), 3)
    (16, 21)
    """
    d = _widths(widths)
    rr = _degree_r(r)
    if len(d) == 2:
        return d[0] * d[1]
    best = _interval_bounds(d, rr, use_known=False)
    last = len(d) - 1
    return min(best[0, k] + best[k, last] - d[k] for k in range(1, last))


def shallow_mlp_dim(d0: int, d1: int, r: int) -> int:
    """Exact dimension of a shallow single-output monomial MLP ``(d0, d1, 1)``.

    Parameters
    ----------
    d0
        Input dimension ``>= 1`` (number of variables of the forms).
    d1
        Number of hidden neurons ``>= 1`` (number of powers summed).
    r
        Power ``>= 1`` applied to each hidden linear form.

    Returns
    -------
    int
        The dimension of the Zariski closure of ``{Σ_{i<=d1} a_i (w_i·x)^r}``, i.e. of the affine
        cone over the secant variety ``σ_{d1}(ν_r(P^{d0-1}))``:

        - ``r = 1``: ``d0`` (all linear forms);
        - ``r = 2``: symmetric ``d0 × d0`` matrices of rank ``<= d1``:
          ``d1·d0 - C(d1, 2)`` if ``d1 <= d0``, else ``C(d0 + 1, 2)``;
        - ``r >= 3``: ``min(d1·d0, C(d0 + r - 1, r))``, minus one for
          ``(d0, r, d1) ∈ {(3,4,5), (4,4,9), (5,4,14), (5,3,7)}``.

    Notes
    -----
    Alexander–Hirschowitz theorem (AH 1995): for ``n >= 1``, ``d >= 2`` the projective secant
    variety ``σ_k(ν_d(P^n))`` has the expected dimension ``min(k(n+1), C(n+d, d)) - 1``
    except for ``d = 2, 2 <= k <= n`` and ``(n, d, k) ∈ {(2,4,5), (3,4,9), (4,4,14), (4,3,7)}``,
    where it is a hypersurface instead of filling (defect one). Here ``n = d0 - 1``,
    ``d = r``, ``k = d1`` and the affine cone adds one. For ``r = 2`` the defect is
    ``C(d1, 2)``, not one (the dimension of rank-``<= d1`` symmetric matrices).
    KLW, arXiv:2402.00949, and Invitation, arXiv:2501.18915, for the network interpretation.

    Examples
    --------
    >>> shallow_mlp_dim(3, 2, 2)  # widths (3, 2, 1), x^2: rank <= 2 ternary quadrics
    5
    >>> shallow_mlp_dim(3, 5, 4)  # AH exception: 5 fourth powers in 3 variables
    14
    """
    n_in = _as_int("d0", d0, 1, "the number of inputs is an integer >= 1")
    width = _as_int("d1", d1, 1, "the hidden width is an integer >= 1")
    rr = _degree_r(r)
    if rr == 2:
        if width <= n_in:
            return width * n_in - comb(width, 2)
        return comb(n_in + 1, 2)
    expected = min(width * n_in, comb(n_in + rr - 1, rr))
    return expected - 1 if (n_in, rr, width) in _AH_EXCEPTIONS else expected


def is_alexander_hirschowitz_defective(d0: int, r: int, d1: int) -> bool:
    """Whether the shallow single-output MLP ``(d0, d1, 1)`` with ``x^r`` is defective.

    Parameters
    ----------
    d0
        Input dimension ``>= 1``.
    r
        Activation exponent ``>= 1``.
    d1
        Hidden width ``>= 1`` (argument order as in the AH tuples ``(d0, r, d1)``).

    Returns
    -------
    bool
        ``True`` iff ``r = 2`` and ``2 <= d1 <= d0 - 1``, or
        ``(d0, r, d1) ∈ {(3,4,5), (4,4,9), (5,4,14), (5,3,7)}``; exactly when
        :func:`shallow_mlp_dim` is below ``min(d1·d0, C(d0 + r - 1, r))``.

    Notes
    -----
    Alexander–Hirschowitz theorem (AH 1995; see :func:`shallow_mlp_dim`).

    Examples
    --------
    >>> is_alexander_hirschowitz_defective(5, 3, 7), is_alexander_hirschowitz_defective(5, 3, 8)
    (True, False)
    """
    n_in = _as_int("d0", d0, 1, "the number of inputs is an integer >= 1")
    rr = _degree_r(r)
    width = _as_int("d1", d1, 1, "the hidden width is an integer >= 1")
    if rr == 2:
        return 2 <= width <= n_in - 1
    return (n_in, rr, width) in _AH_EXCEPTIONS


def mlp_known_dim(widths: Sequence[int], r: int) -> int | None:
    """The exact dimension of a monomial MLP neurovariety where a theorem gives it, else None.

    Parameters
    ----------
    widths
        Any monomial MLP architecture, input width first.
    r
        Its activation exponent, ``r >= 1`` (``r = 1`` is a linear network).

    Returns
    -------
    int or None
        - ``L = 1``: ``d_0 d_1`` (all linear maps);
        - ``r = 1``: :func:`linear_network_dim` (a linear network);
        - ``L = 2``, ``d_2 = 1``: :func:`shallow_mlp_dim` (Alexander–Hirschowitz);
        - all widths equal: the expected dimension ``min(A, n)`` (FRWY);
        - otherwise ``None``.

    Notes
    -----
    FRWY, arXiv:2408.04569: equi-width architectures have activation degree threshold one,
    i.e. attain the expected dimension for every ``r``. Only the case of all widths equal
    (``d_0 = ... = d_L``) is used here; the tests confirm it by exact Jacobian ranks. For the
    other cases see the functions named above.

    Examples
    --------
    >>> mlp_known_dim((3, 2, 1), 2), mlp_known_dim((2, 3, 2, 3, 4), 2) is None
    (5, True)
    """
    d = _widths(widths)
    rr = _degree_r(r)
    if len(d) == 2:
        return d[0] * d[1]
    if rr == 1:
        return linear_network_dim(d)
    if len(d) == 3 and d[2] == 1:
        return shallow_mlp_dim(d[0], d[1], rr)
    if len(set(d)) == 1:
        return mlp_expected_dim(d, rr)
    return None


def mlp_upper_bound(widths: Sequence[int], r: int) -> int:
    """Best proven upper bound on the dimension of a monomial MLP neurovariety.

    Parameters
    ----------
    widths
        Architecture whose neurovariety dimension is bounded, ``(d_0, ..., d_L)``.
    r
        Exponent ``r >= 1`` of ``σ = x^r``.

    Returns
    -------
    int
        The minimum of the ambient dimension, the naive bound, the composition bound and every
        exact formula of :func:`mlp_known_dim`, where in the composition recursion each
        sub-architecture also uses its exact dimension when known. A numerical rank that meets
        this number certifies the dimension.

    Notes
    -----
    KTB, arXiv:1905.12207 (bounds); Alexander–Hirschowitz; FRWY, arXiv:2408.04569.

    Examples
    --------
    >>> mlp_upper_bound((2, 3, 2, 3, 4), 2), mlp_upper_bound((3, 2, 1), 2)
    (16, 5)
    """
    d = _widths(widths)
    rr = _degree_r(r)
    best = _interval_bounds(d, rr, use_known=True)
    return best[0, len(d) - 1]


# --------------------------------------------------------------------------------------------
# Linear networks (σ = identity) and determinantal varieties
# --------------------------------------------------------------------------------------------


def _matrix_args(m: int, n: int, rank: int) -> tuple[int, int, int]:
    hint = "give the matrix size m x n (>= 1) and a rank >= 0"
    return (
        _as_int("m", m, 1, hint),
        _as_int("n", n, 1, hint),
        _as_int("rank", rank, 0, hint),
    )


def determinantal_degree(m: int, n: int, rank: int) -> int:
    """Degree of the variety of ``m × n`` matrices of rank ``<= rank``.

    Parameters
    ----------
    m, n
        Numbers of rows and columns, ``>= 1`` (the formula is symmetric in them).
    rank
        Bound ``ρ >= 0``; ``ρ >= min(m, n)`` is the whole space and ``ρ = 0`` the origin
        (degree 1 in both cases).

    Returns
    -------
    int
        ``Π_{0 <= i < min(m,n) - ρ} C(max(m,n) + i, ρ) / C(ρ + i, ρ)``.

    Notes
    -----
    Invitation, arXiv:2501.18915, appendix (two-layer linear networks). Equal to the
    Giambelli–Thom–Porteous formula
    ``Π_{i < n-ρ} (m+i)! i! / ((ρ+i)! (m-ρ+i)!)`` of Harris, Example 19.10 (tested).

    Examples
    --------
    >>> determinantal_degree(3, 3, 2), determinantal_degree(4, 4, 2)
    (3, 20)
    """
    m_, n_, rho = _matrix_args(m, n, rank)
    small, big = min(m_, n_), max(m_, n_)
    if rho >= small:
        return 1
    value = prod(
        (Fraction(comb(big + i, rho), comb(rho + i, rho)) for i in range(small - rho)),
        start=Fraction(1),
    )
    return _exact_int(value, "determinantal degree")


def eckart_young_ed_degree(m: int, n: int, rank: int) -> int:
    """Frobenius ED degree of ``m × n`` matrices of rank ``<= rank``: ``C(min(m, n), ρ)``.

    Parameters
    ----------
    m, n
        Shape of the matrices, each ``>= 1``.
    rank
        ``ρ >= 0``; a bound ``ρ >= min(m, n)`` gives the whole space (ED degree 1).

    Returns
    -------
    int
        The number of complex critical points of ``‖X - U‖_F^2`` on the rank-``<= ρ`` matrices
        for generic ``U``: choose ``ρ`` of the ``min(m, n)`` singular values.

    Notes
    -----
    Eckart–Young theorem (see DHOST, arXiv:1309.0049, §2); Invitation, arXiv:2501.18915,
    appendix. This is the **Frobenius** ED degree, not the generic one (for ``2 × 2`` rank one:
    2 versus 6).

    Examples
    --------
    >>> eckart_young_ed_degree(3, 5, 2)
    3
    """
    m_, n_, rho = _matrix_args(m, n, rank)
    small = min(m_, n_)
    return comb(small, min(rho, small))


def _end_to_end_matrix(widths: Sequence[int]) -> tuple[int, int, int]:
    """``(d_L, d_0, min(widths))``: rows, columns and generic rank of ``W_L ⋯ W_1``."""
    d = _widths(widths)
    return d[-1], d[0], min(d)


def linear_network_dim(widths: Sequence[int], bias: bool = False) -> int:
    """Dimension of the function space of a linear network (σ = identity).

    Parameters
    ----------
    widths
        Widths of a linear network (identity activation), input first.
    bias
        Whether every layer is affine.

    Returns
    -------
    int
        ``ρ (d_0 + d_L - ρ)`` with ``ρ = min(widths)``: the ``d_L × d_0`` matrices of
        rank ``<= ρ``; with bias ``+ d_L``, the translations.

    Notes
    -----
    Invitation, arXiv:2501.18915, appendix (two layers; deeper products of generic matrices
    give the same determinantal variety). With bias the network computes ``x ↦ A x + c``: ``A``
    is the product of the weights (rank ``<= ρ``, each such ``A`` reached) and ``c`` is free
    through the last layer's bias, so the function space is that variety times ``C^{d_L}``.

    Examples
    --------
    >>> linear_network_dim((4, 2, 5)), linear_network_dim((1, 3, 1), bias=True)
    (14, 2)
    """
    d = _widths(widths)
    rho = min(d)
    return rho * (d[0] + d[-1] - rho) + (d[-1] if bias else 0)


def linear_network_degree(widths: Sequence[int]) -> int:
    """Degree of the function space of a linear network: :func:`determinantal_degree`.

    Parameters
    ----------
    widths
        ``(d_0, ..., d_L)`` of the linear network; the matrices are ``d_L × d_0``.

    Returns
    -------
    int
        ``determinantal_degree(d_L, d_0, min(widths))``.

    Notes
    -----
    Invitation, arXiv:2501.18915, appendix.

    Examples
    --------
    >>> linear_network_degree((3, 2, 3))  # the determinant
    3
    """
    return determinantal_degree(*_end_to_end_matrix(widths))


def linear_network_ed_degree(widths: Sequence[int]) -> int:
    """Frobenius ED degree of a linear network's function space (Eckart–Young).

    Parameters
    ----------
    widths
        Linear network architecture, input width ``d_0`` first.

    Returns
    -------
    int
        ``C(min(d_0, d_L), min(widths))``.

    Notes
    -----
    Invitation, arXiv:2501.18915, appendix; Eckart–Young. Frobenius, not generic ED degree.

    Examples
    --------
    >>> linear_network_ed_degree((4, 2, 5))
    6
    """
    return eckart_young_ed_degree(*_end_to_end_matrix(widths))


def linear_network_fiber_dim(widths: Sequence[int]) -> int:
    """Dimension of a generic fiber of ``(W_1, ..., W_L) ↦ W_L ⋯ W_1``.

    Parameters
    ----------
    widths
        The linear network ``(d_0, ..., d_L)``; ``N`` counts its weights.

    Returns
    -------
    int
        ``N - ρ(d_0 + d_L - ρ)``; for two layers with ``d_1 <= min(d_0, d_2)`` this is ``d_1^2``
        (the fiber is a ``GL(d_1)``-orbit).

    Notes
    -----
    Invitation, arXiv:2501.18915, appendix (fiber ≅ ``GL(N_1)``); in general by the fiber
    dimension theorem.

    Examples
    --------
    >>> linear_network_fiber_dim((4, 2, 5))
    4
    """
    return mlp_n_params(widths) - linear_network_dim(widths)


@dataclass(frozen=True)
class LinearNetworkInvariants:
    """The closed invariants of a linear network's function space (a determinantal variety).

    Attributes
    ----------
    rank
        ``ρ = min(widths)``; the function space is the ``d_L × d_0`` matrices of rank ``<= ρ``.
    dim
        Affine dimension ``ρ(d_0 + d_L - ρ)``.
    degree
        Degree of the determinantal variety.
    frobenius_ed_degree
        Eckart–Young ED degree ``C(min(d_0, d_L), ρ)`` (Frobenius, not generic).
    fiber_dim
        Dimension of a generic fiber of the parametrization.
    filling
        Whether ``ρ = min(d_0, d_L)`` (all matrices; otherwise the singular locus is rank
        ``< ρ``).
    """

    rank: int
    dim: int
    degree: int
    frobenius_ed_degree: int
    fiber_dim: int
    filling: bool


def linear_network_invariants(widths: Sequence[int]) -> LinearNetworkInvariants:
    """All closed invariants of a linear network (Invitation appendix) in one value.

    Parameters
    ----------
    widths
        ``(N_0, N_1, N_2)`` in the appendix's notation, or any deeper linear architecture.

    Returns
    -------
    LinearNetworkInvariants
        Rank, dimension, degree, Frobenius ED degree, fiber dimension, filling.

    Notes
    -----
    Invitation, arXiv:2501.18915, appendix (two-layer linear networks ``N_0 → N_1 → N_2``).

    Examples
    --------
    >>> linear_network_invariants((3, 1, 2))
    LinearNetworkInvariants(rank=1, dim=4, degree=3, frobenius_ed_degree=2, fiber_dim=1, ...)
    """
    d = _widths(widths)
    rho = min(d)
    return LinearNetworkInvariants(
        rank=rho,
        dim=linear_network_dim(d),
        degree=linear_network_degree(d),
        frobenius_ed_degree=linear_network_ed_degree(d),
        fiber_dim=linear_network_fiber_dim(d),
        filling=rho == min(d[0], d[-1]),
    )


# --------------------------------------------------------------------------------------------
# Segre–Veronese varieties: degree, Chern classes, generic ED degree
# --------------------------------------------------------------------------------------------


def _segre_veronese_args(
    dims: Sequence[int], weights: Sequence[int] | None
) -> tuple[tuple[int, ...], tuple[int, ...]]:
    m = _as_int_tuple(
        "dims",
        dims,
        minimum=0,
        min_length=1,
        hint="give the projective dimensions m_j of P^{m_1} x ... x P^{m_p}, e.g. dims=(1, 2)",
    )
    if weights is None:
        return m, (1,) * len(m)
    w = _as_int_tuple(
        "weights",
        weights,
        minimum=1,
        min_length=1,
        hint="give one positive degree ω_j per factor, e.g. weights=(2, 1)",
    )
    if len(w) != len(m):
        raise ArchitectureError(
            f"weights has {len(w)} entries but dims has {len(m)}; give one weight per factor"
        )
    return m, w


def segre_veronese_degree(dims: Sequence[int], weights: Sequence[int] | None = None) -> int:
    """Degree of the Segre–Veronese ``P^{m_1} × ⋯ × P^{m_p}`` embedded by ``O(ω_1, ..., ω_p)``.

    Parameters
    ----------
    dims
        Projective dimensions ``(m_1, ..., m_p)``, each ``>= 0``.
    weights
        Line-bundle degrees ``(ω_1, ..., ω_p)``, each ``>= 1``; ``None``: all 1 (Segre).

    Returns
    -------
    int
        ``(Σ m_j)! / Π m_j! · Π ω_j^{m_j}`` (``= ∫ H^m`` with ``H = Σ ω_j h_j``).

    Notes
    -----
    PCN, arXiv:2410.00722 (degree of the polynomial-CNN neuromanifold).

    Examples
    --------
    >>> segre_veronese_degree((1, 1)), segre_veronese_degree((1,), (3,))  # quadric, cubic
    (2, 3)
    """
    m, w = _segre_veronese_args(dims, weights)
    multinomial = factorial(sum(m)) // prod(factorial(mj) for mj in m)
    return multinomial * prod(wj**mj for wj, mj in zip(w, m, strict=True))


def segre_veronese_chern_degrees(
    dims: Sequence[int], weights: Sequence[int] | None = None
) -> tuple[int, ...]:
    """Degrees ``deg c_i(X) = ∫_X c_i(TX) H^{m-i}`` of a Segre–Veronese ``X``, ``i = 0..m``.

    Parameters
    ----------
    dims
        ``(m_1, ..., m_p)`` with ``m = Σ m_j = dim X``.
    weights
        Embedding degrees ``ω_j >= 1``; default all ones.

    Returns
    -------
    tuple of int
        ``(deg c_0, ..., deg c_m)``; ``deg c_0`` is the degree and ``deg c_m`` the Euler
        characteristic ``Π (m_j + 1)``.

    Notes
    -----
    ``c(TX) = Π_j (1 + h_j)^{m_j+1}``, ``H = Σ_j ω_j h_j``, ``∫ Π h_j^{m_j} = 1`` (the Euler
    sequence of each factor ``P^{m_j}``). Expanding, ``deg c_i = (m - i)! · [t^i] Π_j P_j(t)`` with
    ``P_j(t) = Σ_a C(m_j+1, a) ω_j^{m_j-a} t^a / (m_j - a)!``, because the coefficient of
    ``Π h_j^{b_j}`` in ``H^{|b|}`` is ``|b|! Π ω_j^{b_j} / b_j!``. Exact rational arithmetic on
    univariate polynomials: ``O(p · m^2)`` operations, instant for ``m`` in the hundreds.

    Examples
    --------
    >>> segre_veronese_chern_degrees((1, 1))  # P^1 x P^1 in P^3: degree 2, Euler char 4
    (2, 4, 4)
    """
    m, w = _segre_veronese_args(dims, weights)
    total = sum(m)
    series = [Fraction(1)]
    for mj, wj in zip(m, w, strict=True):
        factor = [
            Fraction(comb(mj + 1, a) * wj ** (mj - a), factorial(mj - a)) for a in range(mj + 1)
        ]
        product = [Fraction(0)] * (len(series) + len(factor) - 1)
        for i, x in enumerate(series):
            for j, y in enumerate(factor):
                product[i + j] += x * y
        series = product
    return tuple(
        _exact_int(factorial(total - i) * series[i], "Chern degree") for i in range(total + 1)
    )


def generic_ed_degree_from_chern(chern_degrees: Sequence[int]) -> int:
    """Generic ED degree of a smooth projective variety from the degrees of its Chern classes.

    Parameters
    ----------
    chern_degrees
        ``(deg c_0(X), ..., deg c_m(X))`` with ``deg c_i = ∫_X c_i(TX) H^{m-i}``, ``m = dim X``.

    Returns
    -------
    int
        ``Σ_{i=0}^{m} (-1)^i (2^{m+1-i} - 1) deg c_i(X)``: the number of complex critical points
        of a generic quadratic distance ``Q(x - u)`` on the smooth affine cone over ``X``.

    Notes
    -----
    DHOST, arXiv:1309.0049, Theorem 5.8 (``X`` smooth and transversal to the isotropic
    quadric, which holds for a generic quadratic form ``Q``).

    Examples
    --------
    >>> generic_ed_degree_from_chern((2, 2))  # a conic: deg 2, Euler characteristic 2
    4
    """
    hint = "give (deg c_0, ..., deg c_m), e.g. (2, 2) for a conic"
    if isinstance(chern_degrees, str | bytes) or not isinstance(chern_degrees, Sequence):
        raise ArchitectureError(f"chern_degrees must be a sequence of integers; {hint}")
    if not chern_degrees:
        raise ArchitectureError(f"chern_degrees is empty; {hint}")
    c = [_as_int(f"chern_degrees[{i}]", x, None, hint) for i, x in enumerate(chern_degrees)]
    m = len(c) - 1
    return sum((-1) ** i * (2 ** (m + 1 - i) - 1) * ci for i, ci in enumerate(c))


def segre_veronese_generic_ed_degree(
    dims: Sequence[int], weights: Sequence[int] | None = None
) -> int:
    """Generic ED degree of the Segre–Veronese ``P^{m_1} × ⋯ × P^{m_p}`` in ``O(ω_1, ..., ω_p)``.

    Parameters
    ----------
    dims
        The factors ``P^{m_j}`` as their dimensions ``m_j >= 0``.
    weights
        Multidegree of the embedding ``O(ω_1, ..., ω_p)``; default the Segre embedding.

    Returns
    -------
    int
        The number of complex critical points of ``Q(x - u)`` on the affine cone for a generic
        quadratic form ``Q`` and generic ``u`` (not the Frobenius count; compare
        :func:`friedland_ottaviani_count`).

    Notes
    -----
    DHOST, arXiv:1309.0049, Theorem 5.8 applied to :func:`segre_veronese_chern_degrees`.
    Checks (tests): ``P^1×P^1``: 6, ``P^1×P^2``: 10, ``P^1×P^1×P^1``: 34, conic: 4, twisted
    cubic: 7, ``P^1×P^1`` in ``O(2,1)``: 14, ``ν_d(P^1)``: ``3d - 2``, ``P^n``: 1.

    Examples
    --------
    >>> segre_veronese_generic_ed_degree((1, 1)), segre_veronese_generic_ed_degree((1, 1, 1))
    (6, 34)
    """
    return generic_ed_degree_from_chern(segre_veronese_chern_degrees(dims, weights))


# --------------------------------------------------------------------------------------------
# Friedland–Ottaviani: singular-vector tuples (Frobenius ED degree of the Segre)
# --------------------------------------------------------------------------------------------


def _truncated_product(
    a: dict[tuple[int, ...], int], b: dict[tuple[int, ...], int], caps: tuple[int, ...]
) -> dict[tuple[int, ...], int]:
    out: dict[tuple[int, ...], int] = {}
    for ea, ca in a.items():
        for eb, cb in b.items():
            e = tuple(x + y for x, y in zip(ea, eb, strict=True))
            if all(x <= cap for x, cap in zip(e, caps, strict=True)):
                out[e] = out.get(e, 0) + ca * cb
    return {e: c for e, c in out.items() if c}


@lru_cache(maxsize=256)
def _friedland_ottaviani(shape: tuple[int, ...]) -> int:
    k = len(shape)
    caps = tuple(n - 1 for n in shape)
    unit = tuple(0 for _ in shape)

    def monomial(i: int, power: int) -> dict[tuple[int, ...], int]:
        return {tuple(power if j == i else 0 for j in range(k)): 1}

    result: dict[tuple[int, ...], int] = {unit: 1}
    for i, n in enumerate(shape):
        # (t̂^n - t^n) / (t̂ - t) = Σ_{a<n} t̂^a t^{n-1-a}, t̂ = Σ_{j≠i} t_j
        t_hat: dict[tuple[int, ...], int] = {}
        for j in range(k):
            if j != i:
                t_hat.update(monomial(j, 1))
        factor: dict[tuple[int, ...], int] = {}
        power: dict[tuple[int, ...], int] = {unit: 1}
        for a in range(n):
            for e, c in _truncated_product(power, monomial(i, n - 1 - a), caps).items():
                factor[e] = factor.get(e, 0) + c
            power = _truncated_product(power, t_hat, caps)
        result = _truncated_product(result, factor, caps)
    return result.get(caps, 0)


def friedland_ottaviani_count(shape: Sequence[int]) -> int:
    """Number of singular-vector tuples of a generic ``n_1 × ⋯ × n_k`` tensor.

    Parameters
    ----------
    shape
        ``(n_1, ..., n_k)``, each ``>= 1``, ``k >= 1``.

    Returns
    -------
    int
        The coefficient of ``Π t_i^{n_i - 1}`` in ``Π_i (t̂_i^{n_i} - t_i^{n_i}) / (t̂_i - t_i)``,
        ``t̂_i = Σ_{j≠i} t_j``. For a matrix this is ``min(m, n)``.

    Notes
    -----
    FO (Found. Comput. Math. 2014, doi:10.1007/s10208-014-9194-z), the main counting formula;
    beyond the boundary format ``n_k - 1 >= Σ_{i<k} (n_i - 1)`` it no longer grows. This is the
    ED degree of the Segre variety ``P^{n_1-1} × ⋯ × P^{n_k-1}`` for the **Frobenius**
    (invariant) inner product — *not* the generic ED degree (``2 × 2``: 2 here versus 6 from
    :func:`segre_veronese_generic_ed_degree`). The critical-point counts of CNNs/LCNs with
    generic data are generic ED degrees. Cost grows like ``(Π n_i)^2``; keep ``Π n_i`` in the
    low thousands.

    Examples
    --------
    >>> friedland_ottaviani_count((2, 2, 2)), friedland_ottaviani_count((3, 3, 3))
    (6, 37)
    """
    n = _as_int_tuple(
        "shape",
        shape,
        minimum=1,
        min_length=1,
        hint="give the tensor format (n_1, ..., n_k), e.g. shape=(2, 2, 2)",
    )
    return _friedland_ottaviani(n)


# --------------------------------------------------------------------------------------------
# Convolutional networks: polynomial (PCN, σ = x^r) and linear (LCN, σ = id)
# --------------------------------------------------------------------------------------------


def cnn_filter_size(filters: Sequence[int], strides: Sequence[int]) -> int:
    """Size of the end-to-end filter of a 1D CNN: ``k_1 + Σ_{i>=2} (k_i - 1) S_(i-1)``.

    Parameters
    ----------
    filters
        Filter sizes ``(k_1, ..., k_L)``, the input-side layer first.
    strides
        ``(s_1, ..., s_L)``, one per layer, each ``>= 1``; ``s_L`` does not enter.

    Returns
    -------
    int
        The number of inputs the first output depends on; ``S_i = s_1 ⋯ s_i``.

    Notes
    -----
    KMST, arXiv:2304.05752 (the size of the end-to-end filter).

    Examples
    --------
    >>> cnn_filter_size((3, 2), (2, 1))
    5
    """
    k = _filters(filters)
    s = _strides(strides, len(k))
    size, stride_product = k[0], 1
    for i in range(1, len(k)):
        stride_product *= s[i - 1]
        size += (k[i] - 1) * stride_product
    return size


def pcn_dim(filters: Sequence[int]) -> int:
    """Dimension of the neurovariety of a polynomial CNN: ``|k| - L + 1``.

    Parameters
    ----------
    filters
        ``(k_1, ..., k_L)`` of the polynomial CNN (any strides, any ``r``).

    Returns
    -------
    int
        ``Σ k_i - L + 1`` (affine); the generic fiber is the ``(L-1)``-dimensional rescaling
        torus. Independent of the strides and of ``r``.

    Notes
    -----
    PCN, arXiv:2410.00722 (the parametrization is regular and birational up to rescaling).

    Examples
    --------
    >>> pcn_dim((3, 2))
    4
    """
    k = _filters(filters)
    return sum(k) - len(k) + 1


def pcn_degree(filters: Sequence[int], r: int) -> int:
    """Degree of the neurovariety of a polynomial CNN with ``σ = x^r``, ``r >= 2``.

    Parameters
    ----------
    filters
        Sizes ``(k_1, ..., k_L)``, input side first; ``j = 0`` below indexes ``k_1``.
    r
        Exponent of the activation, ``>= 2``.

    Returns
    -------
    int
        ``(|k| - L)! · Π_j r^{(L-j-1)(k_j-1)} / (k_j - 1)!``, the degree of the Segre–Veronese
        ``P^{k_1-1} × ⋯ × P^{k_L-1}`` in ``O(r^{L-1}, ..., r, 1)``.

    Notes
    -----
    PCN, arXiv:2410.00722 (degree formula, for ``r > 1``). For ``r = 1`` see
    :func:`lcn_degree` (stride-one LCNs are filling).

    Examples
    --------
    >>> pcn_degree((2, 2), 2)  # P^1 x P^1 in O(2, 1)
    4
    """
    k = _filters(filters)
    rr = _degree_r(r, minimum=2)
    n_layers = len(k)
    value = Fraction(factorial(sum(k) - n_layers))
    for j, kj in enumerate(k):
        value *= Fraction(rr ** ((n_layers - j - 1) * (kj - 1)), factorial(kj - 1))
    return _exact_int(value, "PCN degree")


def pcn_ed_degree(filters: Sequence[int], r: int) -> int:
    """Number of complex critical points of the MSE of a polynomial CNN for generic large data.

    Parameters
    ----------
    filters
        Filter sizes of the polynomial CNN, input-side layer first.
    r
        Activation degree ``>= 2``, giving the weights ``ω_j = r^(L-1-j)``.

    Returns
    -------
    int
        The generic ED degree of the Segre–Veronese ``P^{k_1-1} × ⋯ × P^{k_L-1}`` in
        ``O(r^{L-1}, ..., r, 1)``.

    Notes
    -----
    PCN, arXiv:2410.00722 (critical points for a generic large dataset); DHOST,
    arXiv:1309.0049, Theorem 5.8 for the value.

    Examples
    --------
    >>> pcn_ed_degree((2, 2), 2)
    14
    """
    k = _filters(filters)
    rr = _degree_r(r, minimum=2)
    n_layers = len(k)
    weights = tuple(rr ** (n_layers - 1 - j) for j in range(n_layers))
    return segre_veronese_generic_ed_degree(tuple(kj - 1 for kj in k), weights)


def lcn_dim(filters: Sequence[int]) -> int:
    """Dimension of the function space of a linear CNN: ``Σ k_i - L + 1`` (any strides).

    Parameters
    ----------
    filters
        Filter sizes ``k_i >= 1`` of the linear CNN (strides do not matter).

    Returns
    -------
    int
        ``Σ k_i - (L - 1)``.

    Notes
    -----
    KMST, arXiv:2304.05752. For all strides one this equals the end-to-end filter size: the
    function space is full-dimensional (filling over ``C``).

    Examples
    --------
    >>> lcn_dim((3, 2))
    4
    """
    return pcn_dim(filters)


def lcn_is_filling(filters: Sequence[int], strides: Sequence[int]) -> bool:
    """Whether the LCN's Zariski closure is the whole space of end-to-end filters.

    Parameters
    ----------
    filters
        ``(k_1, ..., k_L)``, validated but not otherwise used.
    strides
        The strides, one per layer; only ``s_1, ..., s_(L-1)`` matter.

    Returns
    -------
    bool
        ``True`` iff ``s_1 = ⋯ = s_{L-1} = 1`` (or ``L = 1``): every polynomial factors over
        ``C`` into factors of the right degrees. With a stride ``> 1`` the dimension
        ``Σ k_i - L + 1`` is below the end-to-end filter size.

    Notes
    -----
    KMST, arXiv:2304.05752 (with stride 1 the function space is full-dimensional). Over ``R``
    a filling LCN is full-dimensional but not all of ``R^k``.

    Examples
    --------
    >>> lcn_is_filling((2, 2), (1, 1)), lcn_is_filling((3, 2), (2, 1))
    (True, False)
    """
    k = _filters(filters)
    s = _strides(strides, len(k))
    return all(si == 1 for si in s[:-1])


def _lcn_blocks(filters: Sequence[int], strides: Sequence[int] | None) -> tuple[int, ...]:
    """Projective dimensions of the Segre factors of the reduced LCN architecture.

    Consecutive layers joined by stride one multiply two polynomials in the same variable
    ``x^{S}``, which (over ``C``) gives every polynomial of the summed degree; so they merge
    into one factor ``P^{Σ (k_i - 1)}``.
    """
    k = _filters(filters)
    if strides is None:
        return tuple(ki - 1 for ki in k)
    s = _strides(strides, len(k))
    blocks = [k[0] - 1]
    for i in range(1, len(k)):
        if s[i - 1] == 1:
            blocks[-1] += k[i] - 1
        else:
            blocks.append(k[i] - 1)
    return tuple(blocks)


def lcn_degree(filters: Sequence[int], strides: Sequence[int] | None = None) -> int:
    """Degree of the neurovariety of a linear CNN.

    Parameters
    ----------
    filters
        ``(k_1, ..., k_L)`` of the linear CNN, input side first.
    strides
        One stride per layer, or ``None`` for the regime of KMST and LCN: every one of
        ``s_1, ..., s_(L-1)`` greater than one.

    Returns
    -------
    int
        For strides ``> 1``: ``(Σ (k_i - 1))! / Π (k_i - 1)!``, the degree of the Segre
        ``P^{k_1-1} × ⋯ × P^{k_L-1}``. For all strides one: 1 (filling). Mixed strides: the
        Segre degree of the reduced architecture in which layers joined by stride one are merged
        (see Notes).

    Notes
    -----
    LCN, arXiv:2401.16613, and KMST, arXiv:2304.05752: for strides ``> 1`` the neurovariety is
    a regular birational projection of the Segre variety, which preserves the degree.
    The mixed-stride case is *derived here*, not quoted: a stride-one junction multiplies two
    polynomials in the same variable, whose products are (over ``C``) all polynomials of the
    summed degree, so the Zariski closure equals that of the merged architecture.

    Examples
    --------
    >>> lcn_degree((3, 2)), lcn_degree((3, 2), (1, 1)), lcn_degree((2, 2, 2), (2, 1, 1))
    (3, 1, 3)
    """
    return segre_veronese_degree(_lcn_blocks(filters, strides))


def lcn_ed_degree(filters: Sequence[int], strides: Sequence[int] | None = None) -> int:
    """Number of complex critical points of the squared loss of a linear CNN, generic data.

    Parameters
    ----------
    filters
        Linear CNN filter sizes, input-side layer first.
    strides
        ``(s_1, ..., s_L)``, or ``None`` meaning all junction strides exceed one.

    Returns
    -------
    int
        The generic ED degree of the Segre ``P^{k_1-1} × ⋯ × P^{k_L-1}`` (strides ``> 1``); 1
        for stride one (a linear space); for mixed strides that of the merged architecture as in
        :func:`lcn_degree`.

    Notes
    -----
    LCN, arXiv:2401.16613 ("the number of all complex critical points ... equals the generic
    Euclidean distance degree of a Segre variety"); DHOST, arXiv:1309.0049, Theorem 5.8 for
    the value. The mixed-stride reduction is derived here, not quoted.

    Examples
    --------
    >>> lcn_ed_degree((2, 2)), lcn_ed_degree((2, 2), (1, 1))
    (6, 1)
    """
    return segre_veronese_generic_ed_degree(_lcn_blocks(filters, strides))


# --------------------------------------------------------------------------------------------
# Probability
# --------------------------------------------------------------------------------------------


def schwartz_zippel_bound(degree: int, field_size: int) -> Fraction:
    """Schwartz–Zippel: chance that a non-zero polynomial vanishes at a random point.

    Parameters
    ----------
    degree
        Total degree ``>= 0`` of a non-zero polynomial ``f`` (e.g. a minor of the Jacobian,
        whose non-vanishing witnesses the generic rank).
    field_size
        Size ``>= 1`` of the finite set ``S`` (e.g. ``F_p``) the coordinates are drawn from,
        uniformly and independently.

    Returns
    -------
    Fraction
        ``min(1, degree / field_size)``, an upper bound on ``P[f(x) = 0]``; so also on the
        probability that a rank computed at a random point is *below* the generic rank.
        Exact; use ``float(...)`` to print.

    Raises
    ------
    FieldError
        If ``degree < 0`` or ``field_size < 1``.

    Notes
    -----
    Schwartz (1980), Zippel (1979): ``P[f(x) = 0] <= deg f / |S|``.

    Examples
    --------
    >>> schwartz_zippel_bound(30, 2**31 - 1)
    Fraction(30, 2147483647)
    >>> schwartz_zippel_bound(10, 7)
    Fraction(1, 1)
    """
    try:
        deg = _as_int("degree", degree, 0, "the polynomial degree is an integer >= 0")
        size = _as_int("field_size", field_size, 1, "e.g. the prime p for sampling in F_p")
    except ArchitectureError as error:
        raise FieldError(str(error)) from None
    return min(Fraction(1), Fraction(deg, size))
