"""The graph of a monodromy search: parameter nodes with their known solutions, edges, and the
crossings (one path along one edge) that carry solutions between nodes.

Loops of the graph act on the fiber by permutations (Duff, Hill, Jensen, Lee, Leykin & Sommars,
IMA J. Numer. Anal. 39, 2019); the graph records what was carried along each edge so that no
solution crosses an edge twice in one direction, nor back the way it came.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from .parameter_paths import _random_params


def _merge(known: np.ndarray, x: np.ndarray, tol: float) -> tuple[np.ndarray, int]:
    """``known`` with the point ``x`` appended unless it is there already; and its row.

    Same rule as :func:`~neurovariety.nag.result.cluster`: two points are one when their
    max-norm distance is at most ``tol * max(1, |x|_inf)``.
    """
    scale = max(1.0, float(np.max(np.abs(x))))
    if known.shape[0]:
        dist = np.max(np.abs(known - x), axis=1)
        i = int(np.argmin(dist))
        if dist[i] <= tol * scale:
            return known, i
    return np.concatenate([known, x[None, :]]), known.shape[0]


class Crossing(NamedTuple):
    """One path of a monodromy search: solution ``row`` of node ``here`` along ``edge``."""

    row: int
    here: int
    there: int
    edge: int
    side: int  # the end of the edge where it starts (0 or 1)
    retry: int = 0  # earlier tries that failed


@dataclass
class ParameterGraph:
    """Nodes (parameter points) with their known solutions, and the edges between them.

    Edge ``e`` joins nodes ``ends[e] = (i, j)`` by the path ``t p_i + (1 - t) p_j + t (1 - t) c_e``.
    ``sent[e]`` counts the solutions at each end already carried along ``e`` (a prefix: solutions
    are appended); ``arrived[e][side]`` holds the solutions at that end that came along ``e``,
    whose way back is known (an edge is a bijection): they are never carried back.
    """

    p0: np.ndarray
    rng: np.random.Generator
    bend_range: tuple[float, float]
    nodes: list[np.ndarray]
    sols: list[np.ndarray]
    ends: list[tuple[int, int]] = field(default_factory=list)
    bends: list[np.ndarray] = field(default_factory=list)
    sent: list[list[int]] = field(default_factory=list)
    arrived: list[tuple[set[int], set[int]]] = field(default_factory=list)
    oneway: list[bool] = field(default_factory=list)  # crossed from their first end only

    def add_node(self, p: np.ndarray | None = None, x: np.ndarray | None = None) -> int:
        self.nodes.append(_random_params(self.rng, self.p0) if p is None else p)
        empty = np.zeros((0, self.sols[0].shape[1]), complex)
        self.sols.append(empty if x is None else x)
        return len(self.nodes) - 1

    def add_edge(self, i: int, j: int, one_way: bool = False, straight: bool = False) -> int:
        scale = 0.0 if straight else np.exp(self.rng.uniform(*np.log(self.bend_range)))
        self.ends.append((i, j))
        self.bends.append(scale * _random_params(self.rng, self.p0))
        self.sent.append([0, 0])
        self.arrived.append((set(), set()))
        self.oneway.append(one_way)
        return len(self.bends) - 1

    def known(self, node: int = 0) -> int:
        """Solutions known at ``node`` (at ``p0`` by default)."""
        return int(self.sols[node].shape[0])
