"""Macaulay2 as the independent judge of the Razor examples (arXiv:2505.11846).

Each Macaulay2 script below builds its variety from the network written out by hand (no code of
ours): the implicit ideal as the kernel of the parametrization, Sing V by the Jacobian criterion
and a primary decomposition; ED / learning degrees as the degree of the Lagrange ideal on the
hypersurface, saturated by its singular locus. Our answers come from ``singular_locus`` and
``edd``; the closed forms in the comments are the ones the default suite checks.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from neurovariety import parse_architecture
from neurovariety.invariants.exact_counts import available

pytestmark = [
    pytest.mark.slow,
    pytest.mark.external,
    pytest.mark.skipif(shutil.which("M2") is None, reason="Macaulay2 (M2) not on PATH"),
    pytest.mark.skipif(not available(), reason="msolve is not installed"),
]


def _m2(script: str) -> list[str]:
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "script.m2"
        path.write_text(script)
        out = subprocess.run(
            ["M2", "--script", str(path)], capture_output=True, text=True, timeout=300
        )
    assert out.returncode == 0, out.stderr
    return out.stdout.split()


SINGULAR_LOCUS = """
singularComponents = (A, cs) -> (
    S := QQ[vars(0..#cs-1)];
    I := ker map(A, S, cs);
    apply(decompose(I + minors(codim I, jacobian I)), p -> {dim p, degree p})
    );
{SPEC}
print toString sort locus;
"""

RAZOR_MLP = """
A = QQ[w11,w12,w21,w22,v1,v2];
R = A[x1,x2];
s = t -> t^3 + t^2;
f = v1*s(w11*x1 + w12*x2) + v2*s(w21*x1 + w22*x2);
mons = {x1^3, x1^2*x2, x1*x2^2, x2^3, x1^2, x1*x2, x2^2};
locus = singularComponents(A, apply(mons, m -> coefficient(m, f)));
"""

# lcn k=3,2 s=2: (a0 + a1 x + a2 x^2)(b0 + b1 x^2)
LCN = """
A = QQ[a0,a1,a2,b0,b1];
locus = singularComponents(A, {a0*b0, a1*b0, a2*b0 + a0*b1, a1*b1, a2*b1});
"""


@pytest.mark.parametrize(
    ("spec", "script"),
    [("mlp 2-2-1 x^3+x^2", RAZOR_MLP), ("lcn k=3,2 s=2", LCN)],
    ids=["razor-mlp", "lcn"],
)
def test_singular_locus_matches_macaulay2(spec: str, script: str) -> None:
    from neurovariety.invariants.singular_locus import singular_locus

    text = " ".join(_m2(SINGULAR_LOCUS.replace("{SPEC}", script)))
    theirs = sorted((int(d), int(e)) for d, e in re.findall(r"\{(\d+), (\d+)\}", text))
    r = singular_locus(parse_architecture(spec))
    assert r.exact
    ours = sorted((c.dimension, c.degree) for c in r.components)
    assert ours == theirs
    # the Razor appendix: the 2-1-1 image (dim 3, degree 5) and the linear {cubic part = 0}
    assert theirs == {"mlp 2-2-1 x^3+x^2": [(3, 1), (3, 5)], "lcn k=3,2 s=2": [(3, 1)]}[spec]


ED_COUNT = """
edCount = (F, Q, u) -> (
    R := ring F;
    n := numgens R;
    Rl := (coefficientRing R)[gens R | {symbol l}];
    c := transpose matrix {take(gens Rl, n)};
    grad := submatrix(transpose jacobian ideal sub(F, Rl), , toList(0..n-1));
    lag := ideal(sub(Q, Rl) * (c - sub(u, Rl)) - (last gens Rl) * transpose grad);
    degree saturate(lag + ideal sub(F, Rl), ideal(grad) + ideal sub(F, Rl))
    );
kk = ZZ/32003;
setRandomSeed 1;
-- mlp 3-2-1 x^2: quadratic forms of rank <= 2 in the monomial coefficients, generic loss
R3 = kk[c0,c1,c2,c3,c4,c5];
M = matrix{{2*c0, c1, c2}, {c1, 2*c3, c4}, {c2, c4, 2*c5}};
B = random(kk^6, kk^6);
print edCount(det M, transpose B * B, random(kk^6, kk^1));
-- whitened data on a rank-one linear network (mlp 2-1-2 x, lcn k=2,2 s=2): 2x2 matrices of
-- rank <= 1 in the Frobenius metric
R2 = kk[d0,d1,d2,d3];
print edCount(d0*d3 - d1*d2, id_(kk^4), random(kk^4, kk^1));
"""


def test_learning_and_whitened_degrees_match_macaulay2() -> None:
    from neurovariety.landscape.edd import edd

    learning, whitened = (int(v) for v in _m2(ED_COUNT))
    # DHOST: the generic ED degree of the 3x3 symmetric determinant is (3^3 - 1)/2 = 13;
    # Eckart-Young: a rank-one 2x2 matrix has 2 critical rank-one approximations
    assert (learning, whitened) == (13, 2)
    assert edd(parse_architecture("mlp 3-2-1 x^2"), method="function-space").count == learning
    for spec in ("mlp 2-1-2 x", "lcn k=2,2 s=2"):
        assert edd(parse_architecture(spec), form="data", whiten=True).count == whitened
