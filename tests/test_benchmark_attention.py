"""The closed form that ``benchmarks/attention.py`` checks every dimension against."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def _load_script() -> object:
    # A script, not a package: it imports _machine from its own folder, which must not stay on
    # sys.path (benchmarks/dimension.py would shadow other imports).
    spec = importlib.util.spec_from_file_location("bench_attention", BENCHMARKS / "attention.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(BENCHMARKS))
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(BENCHMARKS))
    return module


hmk_formula = _load_script().hmk_formula  # type: ignore[attr-defined]


@pytest.mark.parametrize("a, expected", [(1, 34), (2, 49), (3, 58), (4, 61)])
def test_hmk_formula_gives_the_authors_figure(a: int, expected: int) -> None:
    # HMK arXiv:2408.17221, the authors' dimension figure: t = 3, d_i = 4, L = 3, a = 1..4.
    assert hmk_formula(3, (4, 4, 4, 4), (a, a, a)) == expected


def test_hmk_formula_one_layer_by_hand() -> None:
    # t=2 d=2 a=1: 2·1·2 + 2·2 = 8 parameters, minus GL(1) on (Q, K) and the rescaling of (A, V).
    assert hmk_formula(2, (2, 2), (1,)) == 6


@pytest.mark.parametrize(
    "t, d, a",
    [
        (1, (4, 4), (2,)),  # one token
        (2, (3, 3), (4,)),  # a_1 > d_0
        (2, (2, 3, 2), (1, 1)),  # an inner width above its input
        (2, (3, 2, 2), (1, 2)),  # layer 2 (a = 2) fed rank-one tokens: dimension 12, not 13
    ],
)
def test_hmk_formula_refuses_outside_its_hypotheses(
    t: int, d: tuple[int, ...], a: tuple[int, ...]
) -> None:
    assert hmk_formula(t, d, a) is None
