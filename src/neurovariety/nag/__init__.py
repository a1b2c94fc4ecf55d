"""Numerical algebraic geometry: homotopy continuation in JAX (complex128), batched over paths.

The folder reads as the algorithm: ``parse`` / ``system`` (polynomial systems) → ``homotopy``
(total-degree and parameter homotopies on a random patch) → ``tracker`` (batched RK4 or Hermite
predictor, Newton corrector) → ``endgame`` (power series) → ``result`` (paths, ledger) → ``solve``,
``monodromy``, ``witness`` → ``certify`` (Krawczyk with interval arithmetic).

>>> from neurovariety.nag import parse_system, solve
>>> solve(parse_system("x^3 - 1"), seed=0).nsolutions
3
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import lazy_exports

lazy_exports(
    __name__,
    {
        "CertificationResult": ".certify",
        "certify": ".certify",
        "EndgameOptions": ".endgame",
        "power_series_endgame": ".endgame",
        "Homotopy": ".homotopy",
        "parameter_homotopy": ".homotopy",
        "total_degree_homotopy": ".homotopy",
        "MonodromyResult": ".monodromy",
        "SearchProgress": ".monodromy",
        "TraceTest": ".monodromy",
        "find_start_pair": ".monodromy",
        "monodromy_solve": ".monodromy",
        "trace_test": ".monodromy",
        "parse_text": ".parse",
        "PathResult": ".result",
        "PathStatus": ".result",
        "SolveResult": ".result",
        "solve": ".solve",
        "solve_many": ".solve",
        "System": ".system",
        "detect_degrees": ".system",
        "parse_system": ".system",
        "read_system": ".system",
        "system_from_callable": ".system",
        "TrackerOptions": ".tracker",
        "track": ".tracker",
        "WitnessSet": ".witness",
        "witness_set": ".witness",
    },
)

if TYPE_CHECKING:
    from .certify import CertificationResult as CertificationResult
    from .certify import certify as certify
    from .endgame import EndgameOptions as EndgameOptions
    from .endgame import power_series_endgame as power_series_endgame
    from .homotopy import Homotopy as Homotopy
    from .homotopy import parameter_homotopy as parameter_homotopy
    from .homotopy import total_degree_homotopy as total_degree_homotopy
    from .monodromy import MonodromyResult as MonodromyResult
    from .monodromy import SearchProgress as SearchProgress
    from .monodromy import TraceTest as TraceTest
    from .monodromy import find_start_pair as find_start_pair
    from .monodromy import monodromy_solve as monodromy_solve
    from .monodromy import trace_test as trace_test
    from .parse import parse_text as parse_text
    from .result import PathResult as PathResult
    from .result import PathStatus as PathStatus
    from .result import SolveResult as SolveResult
    from .solve import solve as solve
    from .solve import solve_many as solve_many
    from .system import System as System
    from .system import detect_degrees as detect_degrees
    from .system import parse_system as parse_system
    from .system import read_system as read_system
    from .system import system_from_callable as system_from_callable
    from .tracker import TrackerOptions as TrackerOptions
    from .tracker import track as track
    from .witness import WitnessSet as WitnessSet
    from .witness import witness_set as witness_set
