"""Generic ED degrees by Gröbner bases in Macaulay2 (``m2_edd``) against the closed formulas.

Independent of the monodromy in ``neurovariety.landscape.edd``: it checks the formulas of
``invariants.formulas`` and the M2 formulation that ``benchmarks/landscape.py`` compares with.
"""

from __future__ import annotations

import shutil

import pytest
from m2_edd import m2_ed_degree

from neurovariety import parse_architecture
from neurovariety.invariants import formulas

pytestmark = [
    pytest.mark.slow,
    pytest.mark.external,
    pytest.mark.skipif(shutil.which("M2") is None, reason="Macaulay2 (M2) not on PATH"),
]


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("lcn k=3,2 s=2", formulas.lcn_ed_degree((3, 2), (2, 1))),  # Segre P²×P¹: 10
        ("cnn k=2,2 x^2", formulas.pcn_ed_degree((2, 2), 2)),  # P¹×P¹ in O(2,1): 14
    ],
)
def test_m2_count_equals_formula(spec: str, expected: int) -> None:
    r = m2_ed_degree(parse_architecture(spec), seed=0, timeout=300)
    assert r is not None and "error" not in r, r
    assert r["saturation"] == "minors"  # the full degenerate locus, not random minors
    assert r["count"] == expected == {"lcn k=3,2 s=2": 10, "cnn k=2,2 x^2": 14}[spec]


def test_m2_divides_out_the_fiber() -> None:
    # Stride-one LCN k = (2, 2): 2 parameter critical points (swap the factors), one function.
    r = m2_ed_degree(parse_architecture("lcn k=2,2"), seed=0, timeout=300)
    assert r is not None and (r["critical_degree"], r["fiber_degree"], r["count"]) == (2, 2, 1)
