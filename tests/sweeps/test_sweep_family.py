"""Families, task keys and the invariant registry (no cluster needed)."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from neurovariety import parse_architecture
from neurovariety.errors import FamilyError
from neurovariety.sweeps import (
    family_from_dict,
    get_invariant,
    invariant_names,
    load_family,
    register_invariant,
    unregister_invariant,
)
from neurovariety.sweeps.family import MAX_TASKS, parse_range, task_key

MLP_FAMILY = """
name = "mlp-defects"
invariants = ["dim"]
timeout = 30
memory_limit = "1GiB"

[[mlp]]
depth = [2, 3]
widths = "1..4"
outputs = "1..3"
degrees = [2, 3]
"""


def test_the_480_mlp_family_enumerates_every_mlp(tmp_path: Path) -> None:
    path = tmp_path / "fam.toml"
    path.write_text(MLP_FAMILY)
    fam = load_family(path)
    # independent enumeration: L ∈ {2, 3}, d_0..d_(L-1) ∈ 1..4, d_L ∈ 1..3, r ∈ {2, 3}
    want = {
        f"mlp {'-'.join(map(str, (*ws, out)))} x^{r}"
        for L in (2, 3)
        for ws in itertools.product(range(1, 5), repeat=L)
        for out in (1, 2, 3)
        for r in (2, 3)
    }
    assert set(fam.specs) == want
    assert len(fam.specs) == (4**2 + 4**3) * 3 * 2 == 480
    assert fam.name == "mlp-defects"
    assert fam.timeout == 30.0
    assert fam.memory_limit == 2**30
    tasks = fam.tasks()
    assert len({t.key for t in tasks}) == len(tasks) == 480


def test_explicit_specs_and_canonical_dedup() -> None:
    fam = family_from_dict(
        {"specs": ["mlp 2-3-1 x^2", "MLP 2-3-1   x^2", "lcn k=3,2 s=2"], "invariants": ["dim"]}
    )
    assert fam.specs == ("mlp 2-3-1 x^2", "lcn k=3,2 s=2")


def test_cnn_and_lcn_blocks() -> None:
    fam = family_from_dict(
        {
            "cnn": {"depth": 2, "filters": "2..3", "strides": [1, 2], "degrees": [2]},
            "lcn": [{"depth": [1, 2], "filters": 2}],
            "invariants": ["expected"],
        }
    )
    cnns = [s for s in fam.specs if s.startswith("cnn")]
    assert len(cnns) == 2 * 2 * 2  # k_1 × k_2 × stride
    assert "cnn k=3,2 s=2 x^2" in cnns
    assert [s for s in fam.specs if s.startswith("lcn")] == ["lcn k=2", "lcn k=2,2"]
    for s in fam.specs:
        assert parse_architecture(s).spec == s


def test_activations_block_and_bias() -> None:
    fam = family_from_dict(
        {
            "mlp": {
                "depth": 2,
                "widths": 2,
                "outputs": 1,
                "activations": ["x^2+x", "generic:3"],
                "bias": True,
            },
            "invariants": ["dim"],
        }
    )
    assert len(fam.specs) == 2
    assert all(s.endswith(" bias") for s in fam.specs)


def test_keys_depend_on_options_and_version_only() -> None:
    a = family_from_dict({"specs": ["mlp 2-3-1 x^2"], "invariants": ["dim"]}).tasks()[0]
    b = family_from_dict(
        {"specs": ["mlp 2-3-1 x^2"], "invariants": {"dim": {"method": "exact", "seed": 0}}}
    ).tasks()[0]
    c = family_from_dict({"specs": ["mlp 2-3-1 x^2"], "invariants": {"dim": {"seed": 1}}}).tasks()[
        0
    ]
    assert a.key == b.key  # spelling out a default does not change the key
    assert a.key != c.key
    assert a.key != task_key(a.arch_key, "dim", a.options_json, "999")
    assert a.key == task_key(
        parse_architecture("mlp 2-3-1 x^2").key, "dim", a.options_json, a.version
    )
    assert json.loads(c.options_json) == {"method": "exact", "primes": 2, "seed": 1}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"specs": ["mlp 2-3-1 x^2"]}, "missing invariants"),
        ({"specs": ["mlp 2-3-1 x^2"], "invariants": ["nope"]}, "unknown invariant 'nope'"),
        ({"specs": ["mlp 2-3-1 x^2"], "invariants": {"dim": {"prime": 3}}}, "no option"),
        ({"specs": ["mlp 2-0-1 x^2"], "invariants": ["dim"]}, "invalid architecture"),
        ({"invariants": ["dim"]}, "no architectures"),
        ({"specs": [], "mlp": {"depth": 2}, "invariants": ["dim"]}, "missing widths"),
        (
            {
                "mlp": {"depth": 2, "widths": "4..1", "outputs": 1, "degrees": 2},
                "invariants": ["dim"],
            },
            "empty range",
        ),
        (
            {"mlp": {"depth": 2, "widths": 2, "outputs": 1, "degree": 2}, "invariants": ["dim"]},
            "unknown key",
        ),
        ({"specs": ["mlp 2-3-1 x^2"], "invariants": ["dim"], "timeout": -1}, "timeout"),
        (
            {"specs": ["mlp 2-3-1 x^2"], "invariants": ["dim"], "memory_limit": "3 apples"},
            "memory_limit",
        ),
        ({"specz": ["mlp 2-3-1 x^2"], "invariants": ["dim"]}, "unknown key"),
        (
            {
                "mlp": {"depth": 40, "widths": "1..9", "outputs": 1, "degrees": 2},
                "invariants": ["dim"],
            },
            f"more than {MAX_TASKS}",
        ),
    ],
)
def test_bad_families_are_refused_with_a_fix(data: dict, message: str) -> None:
    with pytest.raises(FamilyError, match=message):
        family_from_dict(data)


def test_bad_toml_and_missing_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("specs = [")
    with pytest.raises(FamilyError, match="not valid TOML"):
        load_family(bad)
    with pytest.raises(FamilyError, match="cannot read"):
        load_family(tmp_path / "missing.toml")


def test_parse_range() -> None:
    assert parse_range("2..2", "x") == (2,)
    assert parse_range([3, 1, 3], "x") == (3, 1)
    for bad in ("1-4", "a..b", [], [1, "2"], True, 0):
        with pytest.raises(FamilyError):
            parse_range(bad, "x")


def test_registry_plugs_in_new_invariants_by_import_path() -> None:
    assert {"dim", "expected"} <= set(invariant_names())
    inv = register_invariant(
        "test-bounds",
        "neurovariety.invariants.dimension:upper_bounds",
        value="value",
        description="a later invariant",
    )
    try:
        fam = family_from_dict({"specs": ["mlp 2-3-1 x^2"], "invariants": ["test-bounds"]})
        (task,) = fam.tasks()
        assert task.target == inv.target
        with pytest.raises(FamilyError, match="already registered"):
            register_invariant("test-bounds", inv.target, value="value")
    finally:
        unregister_invariant("test-bounds")
    assert "test-bounds" not in invariant_names()
    with pytest.raises(FamilyError, match="package.module:function"):
        register_invariant("x", "no_colon", value="v")
    assert get_invariant("dim").value == "dimension"
