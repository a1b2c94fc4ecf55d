"""Benchmark and test systems with known root counts (text form)."""

from __future__ import annotations

import numpy as np


def katsura(n: int) -> str:
    """Katsura-n: n + 1 unknowns, 2^n isolated solutions (all paths finite)."""
    v = [f"u{i}" for i in range(n + 1)]

    def u(i: int) -> str | None:
        i = abs(i)
        return v[i] if i <= n else None

    eqs = [" + ".join([v[0]] + [f"2*{v[i]}" for i in range(1, n + 1)]) + " - 1"]
    for m in range(n):
        terms = []
        for k in range(-n, n + 1):
            a, b = u(k), u(m - k)
            if a is not None and b is not None:
                terms.append(f"{a}*{b}")
        eqs.append(" + ".join(terms) + f" - {v[m]}")
    return "variables: " + ", ".join(v) + "\n" + "\n".join(eqs)


def cyclic(n: int) -> str:
    """Cyclic-n roots; cyclic-5 has 70 isolated solutions (Bézout 120)."""
    v = [f"z{i}" for i in range(n)]
    eqs = []
    for k in range(1, n):
        eqs.append(" + ".join("*".join(v[(i + j) % n] for j in range(k)) for i in range(n)))
    eqs.append("*".join(v) + " - 1")
    return "variables: " + ", ".join(v) + "\n" + "\n".join(eqs)


def dense(degrees: tuple[int, ...], seed: int) -> str:
    """A dense system with random integer coefficients: Bézout many solutions, generically."""
    rng = np.random.default_rng(seed)
    n = len(degrees)
    names = [f"x{i}" for i in range(n)]
    lines = []
    for d in degrees:
        terms = []
        for e in np.ndindex(*(d + 1,) * n):
            if sum(e) <= d:
                c = int(rng.integers(1, 10)) * (1 if rng.uniform() < 0.5 else -1)
                mono = "*".join(f"{names[j]}^{k}" for j, k in enumerate(e) if k)
                terms.append(f"{c}" + (f"*{mono}" if mono else ""))
        lines.append(" + ".join(terms).replace("+ -", "- "))
    return "variables: " + ", ".join(names) + "\n" + "\n".join(lines)


def noon(n: int) -> str:
    """Noon's neural network model ``x_i (sum_{j != i} x_j^2) - 1.1 x_i + 1``; noon-3 has 21
    isolated solutions, noon-4 73 (both the mixed volume)."""
    v = [f"x{i}" for i in range(n)]
    eqs = []
    for i in range(n):
        s = " + ".join(f"{v[j]}^2" for j in range(n) if j != i)
        eqs.append(f"{v[i]}*({s}) - 1.1*{v[i]} + 1")
    return "variables: " + ", ".join(v) + "\n" + "\n".join(eqs)
