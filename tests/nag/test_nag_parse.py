"""Parser and system construction: grammar, exact degrees, and errors that name the fix."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest

from neurovariety.errors import NeurovarietyError, PolynomialSystemError
from neurovariety.nag import (
    detect_degrees,
    parse_system,
    parse_text,
    read_system,
    system_from_callable,
)


def test_grammar_implicit_multiplication_comments_and_order():
    ps = parse_text("# a comment\n3x^2y - 2(x + 1)  # trailing\ny**3 = 2x\n")
    assert ps.variables == ("x", "y")  # sorted by name
    assert ps.polynomials[0] == {(2, 1): 3, (1, 0): -2, (0, 0): -2}
    assert ps.polynomials[1] == {(0, 3): 1, (1, 0): -2}
    assert ps.lines == (2, 3)


def test_variables_line_fixes_order_and_parameters_are_separate():
    F = parse_system("variables: y, x\nparameters: a\nx^2 - a*y\nx + y - 1")
    assert F.variables == ("y", "x") and F.parameters == ("a",)
    assert F.degrees == (2, 1)  # parameters do not count towards the degree
    np.testing.assert_allclose(F.evaluate([2.0, 3.0], [1.5]), [9 - 3.0, 4.0])


def test_division_by_a_constant_and_imaginary_unit():
    F = parse_system("x/2 - I")
    np.testing.assert_allclose(F.evaluate([2j]), [0.0], atol=1e-15)


def test_jacobian_matches_finite_differences():
    F = parse_system("x^3*y - 2y^2 + 1\nx*y^4 - x")
    x = np.array([0.3 + 0.1j, -0.7 + 0.2j])
    J = F.jacobian(x)
    h = 1e-7
    for j in range(2):
        e = np.zeros(2)
        e[j] = h
        fd = (F.evaluate(x + e) - F.evaluate(x - e)) / (2 * h)
        np.testing.assert_allclose(J[:, j], fd, rtol=1e-6)


@pytest.mark.parametrize(
    "text, words",
    [
        ("sin(x) + y\nx - y", ["line 1", "sin", "not polynomial"]),
        ("x^2 - 1\n1/x + y", ["line 2", "division by a non-constant", "multiply"]),
        ("x^-1 + y\nx - y", ["exponent", "non-negative integer"]),
        ("x^0.5 + y\nx - y", ["exponent '0.5'"]),
        ("variables: x, y\nx + z\nx - y", ["unknown symbol 'z'", "variables:"]),
        ("x + nan\nx - 1", ["not finite"]),
        ("# nothing here\n\n", ["empty"]),
        ("x + y + z\nx - y", ["3 unknowns but only 2 equations", "parameters"]),
        ("x^2 - 1\n3", ["non-zero constant", "no solutions"]),
        ("x - x\nx - 1", ["identically zero"]),
        ("x + (y\nx - y", ["')'"]),
        ("x + 1e999\nx", ["not finite"]),
        ("x $ y\nx", ["unexpected character"]),
    ],
)
def test_bad_input_is_refused_with_the_fix(text, words):
    with pytest.raises(PolynomialSystemError) as info:
        parse_system(text)
    msg = str(info.value)
    for w in words:
        assert w in msg, (w, msg)
    assert isinstance(info.value, NeurovarietyError)


def test_read_system_missing_file(tmp_path):
    with pytest.raises(PolynomialSystemError, match="no such file"):
        read_system(tmp_path / "nope.txt")


def test_wrong_number_of_parameter_values():
    F = parse_system("parameters: a, b\nx^2 - a - b")
    with pytest.raises(PolynomialSystemError, match="expected 2 parameter value"):
        F.evaluate([1.0], [1.0])
    with pytest.raises(PolynomialSystemError, match="finite"):
        F.evaluate([1.0], [1.0, float("nan")])


def test_callable_degrees_detected_and_given():
    def f(x, p):
        return jnp.stack([x[0] ** 3 * x[1] - p[0], x[0] * x[1] - 1.0, x[2] ** 2 - x[0]])

    F = system_from_callable(f, 3, n_parameters=1)
    assert F.degrees == (4, 2, 2) and F.degree_source == "detected"
    G = system_from_callable(f, 3, n_parameters=1, degrees=(4, 2, 2))
    assert G.degree_source == "given"
    x, p = np.array([0.5, 2.0, 1.0j]), np.array([3.0])
    np.testing.assert_allclose(F.evaluate(x, p), np.asarray(f(jnp.asarray(x), jnp.asarray(p))))


def test_callable_non_polynomial_and_nan_are_refused():
    with pytest.raises(PolynomialSystemError, match="not a polynomial"):
        detect_degrees(lambda x, p: jnp.stack([jnp.sin(x[0]), x[1]]), 2, np.zeros(0))
    with pytest.raises(PolynomialSystemError, match="NaN"):
        system_from_callable(lambda x, p: jnp.stack([x[0] * jnp.nan, x[1]]), 2)


@pytest.mark.parametrize(
    "text, words",
    [
        ("x^99999999999 - 1", ["exponent 99999999999 is above 1000"]),
        ("x^1001 - 1", ["exponent 1001 is above 1000"]),
        ("(" * 101 + "x" + ")" * 101, ["more than 100 nested"]),
        ("-" * 101 + "x", ["more than 100 nested"]),
        ("(x + y + z + w)^200", ["term operations"]),
        ("\n".join(["(x + y + z)^60"] * 2), ["line 2", "term operations"]),  # one budget per file
        ("+".join(f"x{i}" for i in range(1001)), ["1001 variables and parameters"]),
        ("1e308 * 1e308 * x - 1", ["overflows"]),
    ],
)
def test_inputs_that_would_not_parse_in_bounded_time_are_refused(text, words):
    with pytest.raises(PolynomialSystemError) as info:
        parse_text(text)
    for w in words:
        assert w in str(info.value), (w, str(info.value))
    assert len(str(info.value)) < 400  # the offending line is shown cut short


def test_the_largest_allowed_inputs_parse():
    # binomial expansion by hand: (x + 1)^1000 has the 1001 coefficients C(1000, k)
    (p,) = parse_text("(x + 1)^1000").polynomials
    assert len(p) == 1001 and p[(0,)] == 1 and p[(1,)] == 1000 and p[(2,)] == 499500
    (q,) = parse_text("(" * 100 + "x" + ")" * 100).polynomials
    assert q == {(1,): 1}
    # (x + y + z)^40: C(42, 2) = 861 monomials, the coefficient of x^40 is 1, of x^39 y is 40
    (r,) = parse_text("(x + y + z)^40").polynomials
    assert len(r) == 861 and r[(40, 0, 0)] == 1 and r[(39, 1, 0)] == 40


def test_names_read_ahead_keep_order_and_call_rules():
    ps = parse_text("b*a + c\na - c")
    assert ps.variables == ("a", "b", "c")
    assert ps.polynomials[0] == {(1, 1, 0): 1, (0, 0, 1): 1}
    # a name used before may multiply a parenthesis; a first use followed by '(' is a call
    assert parse_text("x*y + x(y + 1)").polynomials[0] == {(1, 1): 2, (1, 0): 1}
    with pytest.raises(PolynomialSystemError, match="call f"):
        parse_text("f(x) + x")
    with pytest.raises(PolynomialSystemError, match="call f"):
        parse_text("x - 1\nf(x) + f")
    assert parse_text("parameters: a\na(x + 1) - 2").polynomials[0] == {
        (1, 1): 1,
        (0, 1): 1,
        (0, 0): -2,
    }
