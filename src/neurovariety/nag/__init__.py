"""Numerical algebraic geometry: homotopy continuation in JAX (complex128), batched over paths.

The folder reads as the algorithm: ``parse`` / ``system`` (polynomial systems) → ``homotopy``
(total-degree and parameter homotopies on a random patch) → ``tracker`` (batched RK4 or Hermite
predictor, Newton corrector) → ``endgame`` (power series) → ``result`` (paths, ledger) → ``solve``,
``monodromy``, ``witness`` → ``certify`` (Krawczyk with interval arithmetic).

>>> from neurovariety.nag import parse_system, solve
>>> solve(parse_system("x^3 - 1"), seed=0).nsolutions
3
"""

import jax

jax.config.update("jax_enable_x64", True)

from .certify import CertificationResult as CertificationResult  # noqa: E402
from .certify import certify as certify  # noqa: E402
from .endgame import EndgameOptions as EndgameOptions  # noqa: E402
from .endgame import power_series_endgame as power_series_endgame  # noqa: E402
from .homotopy import Homotopy as Homotopy  # noqa: E402
from .homotopy import parameter_homotopy as parameter_homotopy  # noqa: E402
from .homotopy import total_degree_homotopy as total_degree_homotopy  # noqa: E402
from .monodromy import MonodromyResult as MonodromyResult  # noqa: E402
from .monodromy import SearchProgress as SearchProgress  # noqa: E402
from .monodromy import TraceTest as TraceTest  # noqa: E402
from .monodromy import find_start_pair as find_start_pair  # noqa: E402
from .monodromy import monodromy_solve as monodromy_solve  # noqa: E402
from .monodromy import trace_test as trace_test  # noqa: E402
from .parse import parse_text as parse_text  # noqa: E402
from .result import PathResult as PathResult  # noqa: E402
from .result import PathStatus as PathStatus  # noqa: E402
from .result import SolveResult as SolveResult  # noqa: E402
from .solve import solve as solve  # noqa: E402
from .solve import solve_many as solve_many  # noqa: E402
from .system import System as System  # noqa: E402
from .system import detect_degrees as detect_degrees  # noqa: E402
from .system import parse_system as parse_system  # noqa: E402
from .system import read_system as read_system  # noqa: E402
from .system import system_from_callable as system_from_callable  # noqa: E402
from .tracker import TrackerOptions as TrackerOptions  # noqa: E402
from .tracker import track as track  # noqa: E402
from .witness import WitnessSet as WitnessSet  # noqa: E402
from .witness import witness_set as witness_set  # noqa: E402
