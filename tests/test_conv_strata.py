"""Strata of multi-channel and 2D convolutions, against hand counts, a hand-written forward pass
and the single-channel dimension formulas of PCN (arXiv:2410.00722) and KMST (arXiv:2304.05752).

The forward pass below shares no code with the package: it reads the documented parameter layout
(layer by layer, filters (out channel, in channel, taps row-major)) and the input layout (channel
first, then positions row-major), and evaluates the convolutions with explicit loops.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from neurovariety import parse_architecture
from neurovariety.errors import ArchitectureError
from neurovariety.invariants.dimension import dimension
from neurovariety.invariants.singularities import singular
from neurovariety.invariants.strata import (
    count_strata,
    image_inputs,
    iter_strata,
    parse_stratum,
    placements,
)
from neurovariety.results import Certainty, Verdict


def _grids(k: list[tuple[int, ...]], s: list[tuple[int, ...]]) -> list[tuple[int, ...]]:
    """Grid per layer from the output side: n_L = 1, n_{i−1} = (n_i − 1)·s_i + k_i."""
    grids = [(1,) * len(k[0])]
    for i in range(len(k) - 1, -1, -1):
        st = s[i] if i < len(k) - 1 else (1,) * len(k[0])
        grids.insert(0, tuple((n - 1) * a + b for n, a, b in zip(grids[0], st, k[i], strict=True)))
    return grids


def _hand_forward(k, c, s, sigma, theta, x):
    """One output position, all output channels, by loops over positions and taps."""
    grids = _grids(k, s)
    h = np.asarray(x, dtype=float).reshape((c[0], *grids[0]))
    at = 0
    for i, ki in enumerate(k):
        w = np.asarray(theta[at : at + c[i + 1] * c[i] * math.prod(ki)], dtype=float)
        w = w.reshape((c[i + 1], c[i], *ki))
        at += w.size
        g = h if i == 0 else sigma(h)
        st = s[i] if i < len(k) - 1 else (1,) * len(ki)
        out = np.zeros((c[i + 1], *grids[i + 1]))
        for t in itertools.product(*[range(n) for n in grids[i + 1]]):
            for m in itertools.product(*[range(kk) for kk in ki]):
                pos = tuple(a * b + mm for a, b, mm in zip(t, st, m, strict=True))
                out[(slice(None), *t)] += w[(slice(None), slice(None), *m)] @ g[(slice(None), *pos)]
        h = out
    return h.reshape(-1)


SQUARE = lambda h: h**2  # noqa: E731
CUBE_SQUARE = lambda h: h**3 + h**2  # noqa: E731
LINEAR = lambda h: h  # noqa: E731


# --- counting by hand -------------------------------------------------------------------------
# paddings: Π over layers and axes of k(k+1)/2 choices (a, b) with a + b ≤ k − 1, minus none;
# channels, per hidden layer: inactive-out, inactive-in when σ(0) = 0, redundant when c_i ≥ 2.


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("cnn k=2,2 c=1,2,1 x^2", 3 * 3 - 1 + 3),
        ("cnn k=2,2 c=1,2,1 x^2+1", 3 * 3 - 1 + 2),  # σ(0) = 1: no inactive-in
        # filter 1 with its middle tap zero (dilation 2 divides stride 2) × 3 paddings of filter 2
        ("lcn k=3,2 c=1,3,2 s=2", 6 * 3 - 1 + 1 * 3 + 3),
        ("cnn k=2,2,2 c=1,2,1,1 x^2", 3**3 - 1 + 3 + 2),  # the second hidden layer has 1 channel
        ("cnn k=2x2,2x1 x^2", (3 * 3) * (3 * 1) - 1 + 2),
        ("cnn k=1,1 c=2,1,1 x^2", 0 + 2),
        ("cnn k=3,2 c=1,2,1 s=2 x^2", 6 * 3 - 1 + 1 * 3 + 3),  # as above, with σ = x²
    ],
)
def test_strata_counted_by_hand(spec: str, expected: int) -> None:
    arch = parse_architecture(spec)
    found = list(iter_strata(arch))
    assert count_strata(arch) == len(found) == expected
    names = [s.name for s in found]
    assert len(set(names)) == len(names)
    assert all(parse_stratum(arch, n) == s for n, s in zip(names, found, strict=True))


def test_bad_conv_stratum_names_are_refused() -> None:
    arch = parse_architecture("cnn k=2x2,2x1 x^2")
    for bad in ("padding 0|1 1|0", "padding 0|2x0|0 0|0x0|0", "padding 0|0x0|0 0|0x0|0"):
        with pytest.raises(ArchitectureError, match="no stratum"):
            parse_stratum(arch, bad)
    with pytest.raises(ArchitectureError, match="dilated.*2D filters are not implemented"):
        parse_stratum(arch, "interior-zero 0|0:2x0|0 0|0x0|0")


# --- the image of a stratum is the smaller network, on the inputs it reads --------------------


@pytest.mark.parametrize(
    ("spec", "stratum", "small", "inputs"),
    [
        # offset a_1 + a_2·s_1 = 1; inputs 5 = (2 − 1)·2 + 3, the smaller network reads 2
        ("cnn k=3,2 c=1,2,1 s=2 x^2", "padding 1|0 0|1", "cnn k=2,1 c=1,2,1 s=2 x^2", [1, 2]),
        # two input channels of 3 positions: the window 1..2 in each
        ("cnn k=2,2 c=2,2,1 x^2", "padding 1|0 0|0", "cnn k=1,2 c=2,2,1 x^2", [1, 2, 4, 5]),
        # 2D: offset (0·1 + 1·1, 1·1 + 0·1) = (1, 1) on the 3×2 input grid: index 1·2 + 1
        ("cnn k=2x2,2x1 x^2", "padding 0|1x1|0 1|0x0|0", "cnn k=1x1,1x1 x^2", [3]),
        ("cnn k=2,2 c=1,2,1 x^2", "inactive-out layer 1 channels 0", "cnn k=2,2 x^2", [0, 1, 2]),
        ("lcn k=2,2 c=1,3,1 s=2", "redundant layer 1 channels 0,1", "lcn k=2,2 c=1,2,1 s=2",
         [0, 1, 2, 3]),
        # taps 0 and 2 of filter 1 at stride 2 read x_2t, x_2t+2: stride 1 on the even inputs
        ("cnn k=3,2 c=1,2,1 s=2 x^2", "interior-zero 0|0:2 0|0", "cnn k=2,2 c=1,2,1 x^2",
         [0, 2, 4]),
        # taps 0 and 2 of the last filter read layer 1 at t and t + 2: its stride becomes 4; two
        # input channels of 7 positions, all read
        ("lcn k=3,3 c=2,2,1 s=2", "interior-zero 0|0 0|0:2", "lcn k=3,2 c=2,2,1 s=4",
         list(range(14))),
    ],
)  # fmt: skip
def test_stratum_image_is_the_smaller_network(
    spec: str, stratum: str, small: str, inputs: list[int]
) -> None:
    arch = parse_architecture(spec)
    s = parse_stratum(arch, stratum)
    assert s.reduced is not None and s.reduced.spec == parse_architecture(small).spec
    assert image_inputs(s).tolist() == inputs
    # a random point of the stratum computes, on those inputs, the smaller network at the
    # hand-derived smaller parameters
    rng = np.random.default_rng(3)
    theta = s.basis @ rng.standard_normal(s.basis.shape[1])
    act = SQUARE if spec.endswith("x^2") else LINEAR
    for x in rng.standard_normal((4, arch.n_inputs)):
        big = _hand_forward(*_sizes(spec), act, theta, x)
        small_out = _hand_forward(*_sizes(small), act, _small_parameters(arch, s, theta), x[inputs])
        assert np.allclose(big, small_out)


def _sizes(spec: str) -> tuple[list[tuple[int, ...]], list[int], list[tuple[int, ...]]]:
    """Filter shapes, channels and per-layer strides read off a spec string by hand."""
    words = dict(w.split("=") for w in spec.split() if "=" in w)
    k = [tuple(int(v) for v in f.split("x")) for f in words["k"].split(",")]
    c = [int(v) for v in words.get("c", ",".join(["1"] * (len(k) + 1))).split(",")]
    s = [tuple([int(words.get("s", "1"))] * len(k[0]))] * (len(k) - 1)
    return k, c, s


def _small_parameters(arch, s, theta: np.ndarray) -> np.ndarray:
    """The smaller network's parameters, by hand: the kept taps of each filter (padding), or the
    other channels' filters, channel 1 taking channel 0's out-filters too (redundant)."""
    out, at = [], 0
    c = arch.channels
    for i, k in enumerate(arch.filters):
        w = theta[at : at + c[i + 1] * c[i] * math.prod(k)].reshape((c[i + 1], c[i], *k))
        at += w.size
        if s.kind in ("padding", "interior-zero"):
            D, d = len(k), (s.dilation[i] if s.dilation else 1)
            pads = s.padding[i * D : (i + 1) * D]
            box = [slice(a, n - b, d) for n, (a, b) in zip(k, pads, strict=True)]
            w = w[(slice(None), slice(None), *box)]
        elif i == s.layer - 1:
            w = w[1:]
        elif i == s.layer:
            kept = w[:, 1:].copy()
            if s.kind == "redundant":
                kept[:, 0] += w[:, 0]
            w = kept
        out.append(w.reshape(-1))
    return np.concatenate(out)


# --- image dimensions: closed formulas, and a second method ------------------------------------


def _restricted_rank(spec: str, s, act, seed: int = 0) -> int:
    """Numerical rank of d(φ restricted to the stratum) at a random point: central differences
    of the hand forward pass along the stratum's basis, at many random inputs."""
    rng = np.random.default_rng(seed)
    B = s.basis
    theta = B @ rng.standard_normal(B.shape[1])
    X = rng.standard_normal((3 * B.shape[1] + 5, s.arch.n_inputs))
    sizes, h = _sizes(spec), 1e-5
    cols = []
    for b in B.T:
        plus = [_hand_forward(*sizes, act, theta + h * b, x) for x in X]
        minus = [_hand_forward(*sizes, act, theta - h * b, x) for x in X]
        cols.append((np.ravel(plus) - np.ravel(minus)) / (2 * h))
    sv = np.linalg.svd(np.array(cols).T, compute_uv=False)
    return int(np.sum(sv > 1e-6 * sv[0]))


@pytest.mark.parametrize(
    ("spec", "stratum", "expected"),
    [
        # the smaller network is single-channel: Σ k_i − L + 1 (PCN for x^2, KMST for linear)
        ("cnn k=2,2 c=1,2,1 x^2", "inactive-out layer 1 channels 0", 2 + 2 - 1),
        ("cnn k=2,2 c=1,2,1 x^2", "redundant layer 1 channels 0,1", 2 + 2 - 1),
        ("lcn k=3,2 c=1,2,1 s=2", "inactive-in layer 1 channels 0", 3 + 2 - 1),
        # Σ_j v_j·w_j²·(x0², x1²): the span of x0² and x1²
        ("cnn k=2,2 c=1,2,1 x^2", "padding 0|1 0|0", 2),
    ],
)
def test_image_dimension_by_formula_and_by_the_hand_jacobian(spec, stratum, expected) -> None:
    arch = parse_architecture(spec)
    s = parse_stratum(arch, stratum)
    assert s.reduced is not None
    d = dimension(s.reduced)
    assert d.certified and d.dimension == expected
    act = SQUARE if spec.endswith("x^2") else LINEAR
    assert _restricted_rank(spec, s, act) == expected


def test_multichannel_2d_image_dimension_by_the_hand_jacobian() -> None:
    # no closed formula here: the exact rank of the smaller network against the numerical rank
    # of the larger one's hand-written forward pass restricted to the stratum
    spec = "cnn k=2x2,2x1 c=1,2,1 x^2"
    arch = parse_architecture(spec)
    for name in ("padding 0|1x0|0 0|0x0|0", "inactive-out layer 1 channels 0"):
        s = parse_stratum(arch, name)
        assert s.reduced is not None
        assert dimension(s.reduced).dimension == _restricted_rank(spec, s, SQUARE)


# --- fiber points and verdicts ------------------------------------------------------------------


def test_placements_compute_the_same_function() -> None:
    # layer 1 padded at its end and layer 2 at its start on axis 0, or the other way round: the
    # same offset 0·1 + 1·1 = 1 = 1·1 + 0·1, so the same functions (the 2D form of PCN's node)
    spec = "cnn k=2x2,2x1 c=1,2,1 x^2"
    arch = parse_architecture(spec)
    s = parse_stratum(arch, "padding 0|1x0|0 1|0x0|0")
    rng = np.random.default_rng(5)
    theta = s.basis @ rng.standard_normal(s.basis.shape[1])
    points = placements(s, theta)
    assert len(points) == 2 and not np.allclose(points[0], points[1])
    for x in rng.standard_normal((3, arch.n_inputs)):
        values = [_hand_forward(*_sizes(spec), SQUARE, p, x) for p in points]
        assert np.allclose(values[0], values[1])
        assert np.allclose(values[0], _hand_forward(*_sizes(spec), SQUARE, theta, x))


def test_filling_linear_network_is_smooth_everywhere() -> None:
    # Σ_j (a_j + b_j x)(c_j + d_j x) is any quadratic: V = C³, every stratum smooth (proven)
    arch = parse_architecture("lcn k=2,2 c=1,2,1")
    results = [singular(arch, s) for s in iter_strata(arch)]
    assert len(results) == 11
    assert all(r.verdict is Verdict.NO and r.certainty is Certainty.PROVEN for r in results)


def test_cone_vertex_from_a_dead_channel_is_singular() -> None:
    # v·(w0 x0 + w1 x1)²: the rank-≤1 binary quadrics, the quadric cone c1² = 4 c0 c2; a dead
    # channel computes 0, its vertex, a singular point (a node of the cone, rank 3)
    arch = parse_architecture("cnn k=1,1 c=2,1,1 x^2")
    for s in iter_strata(arch):
        r = singular(arch, s)
        assert r.image == "0" and r.verdict is Verdict.YES and r.certified
        assert r.local_type["type"] == "node" and r.local_type["tangent_cone_rank"] == 3


def test_fisher_rank_bounds_hold_on_channel_strata() -> None:
    # rank dφ at a point of a stratum ≤ dim of its image + the parameters it zeroes or ties
    from neurovariety.experiments.fisher import _stratum_upper_bound
    from neurovariety.invariants.singularities import rank_at

    arch = parse_architecture("cnn k=2,2 c=1,2,1 x^2")
    dim = dimension(arch).dimension
    rng = np.random.default_rng(2)
    for s in iter_strata(arch):
        theta = s.basis @ rng.integers(1, 9, s.basis.shape[1])
        assert rank_at(arch, theta) <= _stratum_upper_bound(arch, s, dim), s.name


def test_slice_through_the_vertex_of_the_channel_cone() -> None:
    # F = c1² − 4c0c2 has Hessian eigenvalues 4, 2, −4; the normal plane through 0 takes the
    # largest and smallest, along which F = 4s² − 4t² (up to scale): two real lines, a node
    from neurovariety.report.slices import variety_slice

    arch = parse_architecture("cnn k=1,1 c=2,1,1 x^2")
    r = variety_slice(arch, parse_stratum(arch, "inactive-out layer 1 channels 0"), reach=0)
    assert r.multiplicity == 2 and r.local_type.startswith("node")
    assert r.transversal_rank == 3 and r.certainty is Certainty.PROVEN


@pytest.mark.parametrize("spec", ["cnn k=2,2 c=1,2,1 x^2", "cnn k=3,2 c=1,2,1 s=2 x^2"])
def test_every_image_dimension_against_the_hand_jacobian(spec: str) -> None:
    # each stratum's image is its smaller network's neuromanifold: its exact dimension must be
    # the generic rank of the larger network's hand forward pass restricted to the stratum
    arch = parse_architecture(spec)
    for s in iter_strata(arch):
        expected = dimension(s.reduced).dimension if s.reduced is not None else 0
        assert _restricted_rank(spec, s, SQUARE, seed=1) == expected, s.name
