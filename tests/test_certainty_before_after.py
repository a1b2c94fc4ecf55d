"""Every result has one ``Certainty`` field; no result may claim more than its
evidence allows, and the JSON keys ``certified``/``status`` keep their values.

Expected values: the JSON of the code before the change (commit d5aecf2, run with the same seeds)
and the scale's own definitions in ``results.Certainty`` — msolve counts over random primes and
exact ranks below a bound are probable, a floating-point monodromy count is numerical."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from neurovariety import parse_architecture
from neurovariety.cli import app
from neurovariety.invariants.identifiability import fiber, grade
from neurovariety.results import Certainty, Verdict


def _json(*args: str) -> dict:
    r = CliRunner().invoke(app, [*args, "--json", "-q"])
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


@pytest.mark.parametrize(
    ("spec", "certified", "status", "certainty"),
    [
        # before: certified true, status 'certified' (a rank meeting the composition bound)
        ("mlp 2-3-2-3-4 x^2", True, "certified", "proven"),
        # before: certified false, status 'probable' (rank 16 below the symmetry bound 18)
        ("mlp 2-3-2-2 x^2 bias", False, "probable", "probable"),
    ],
)
def test_dimension_json_keeps_its_keys_and_claims_no_more(
    spec: str, certified: bool, status: str, certainty: str
) -> None:
    out = _json("dim", spec)
    assert (out["certified"], out["status"], out["certainty"]) == (certified, status, certainty)


def test_numeric_dimension_is_numerical_not_certified() -> None:
    # before: certified false, status 'numeric' (an SVD gap)
    out = _json("dim", "mlp 2-2-1 x^2", "--method", "numeric")
    assert (out["certified"], out["status"], out["certainty"]) == (False, "numeric", "numerical")


def test_msolve_degree_count_is_probable() -> None:
    # the degree of lcn k=3,2 s=2 is 3 (LCN Segre degree); msolve over two random primes
    out = _json("degree", "lcn k=3,2 s=2", "--method", "exact")
    assert (out["degree"], out["certainty"], out["certified"]) == (3, "probable", False)


def test_a_monodromy_fiber_verdict_is_never_certified() -> None:
    # the rule "size a multiple of the order" says certified, but the points are path ends
    for verdict in (Verdict.YES, Verdict.NO):
        assert grade(verdict, True, method="monodromy") is Certainty.NUMERICAL
    assert grade(Verdict.UNKNOWN, False, method="monodromy") is Certainty.UNKNOWN
    # rank: proven with a proven dimension, probable with a probable one
    assert grade(Verdict.NO, True, method="rank") is Certainty.PROVEN
    assert grade(Verdict.NO, False, method="rank") is Certainty.PROBABLE


@pytest.mark.slow
def test_monodromy_fiber_of_lcn_k32_is_not_identifiable_but_only_numerically() -> None:
    # (a0 + a1 x + a2 x²)(b0 + b1 x): a generic cubic has 3 roots, any one the linear factor's,
    # so 3 points over f (up to rescaling) and no swap (different sizes): identifiable no.
    # This once said certified true; docs/fibers.md says a monodromy count never is.
    r = fiber(parse_architecture("lcn k=3,2"), seed=0, method="monodromy")
    assert (r.size, r.symmetry_order, r.identifiable) == (3, 1, Verdict.NO)
    assert r.certainty is Certainty.NUMERICAL and not r.certified
    assert "(certified)" not in r.summary()


def test_a_superset_component_matched_to_a_stratum_is_probable() -> None:
    # cnn k=2,2 x^2 (PCN): the superset's one component is the line of x1² = c2, singular as
    # the image of the padding strata (their node). The match of component and image rests on
    # random image points mod p and msolve degrees over random primes, so the component's
    # verdict is probable — the locus itself is a superset (bound), as before.
    from neurovariety.invariants.exact_counts import available
    from neurovariety.invariants.singular_locus import singular_locus

    if not available():
        pytest.skip("msolve is not installed")
    r = singular_locus(parse_architecture("cnn k=2,2 x^2"))
    (comp,) = r.components
    assert not r.exact and r.certainty is Certainty.BOUND
    assert comp.verdict is Verdict.YES and comp.certainty is Certainty.PROBABLE
    # the vertex of a cone that is not a linear space is singular by a theorem: proven
    (vertex,) = singular_locus(parse_architecture("cnn k=2,2 s=2 x^2")).components
    assert vertex.dimension == 0 and vertex.certainty is Certainty.PROVEN
