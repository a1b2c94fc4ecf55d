"""Sweeps: invariants over families of architectures, on Dask, into a resumable SQLite atlas.

>>> from neurovariety.sweeps import family_from_dict
>>> fam = family_from_dict({"specs": ["mlp 2-3-1 x^2", "lcn k=3,2 s=2"], "invariants": ["dim"]})
>>> [t.spec for t in fam.tasks()]
['mlp 2-3-1 x^2', 'lcn k=3,2 s=2']
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import lazy_exports

lazy_exports(
    __name__,
    {
        "Family": ".family",
        "Task": ".family",
        "family_from_dict": ".family",
        "load_family": ".family",
        "Invariant": ".registry",
        "get_invariant": ".registry",
        "invariant_names": ".registry",
        "register_invariant": ".registry",
        "unregister_invariant": ".registry",
        "SweepProgress": ".run",
        "SweepReport": ".run",
        "open_client": ".run",
        "run_sweep": ".run",
        "Outcome": ".sandbox",
        "Sandbox": ".sandbox",
        "ATLAS_COLUMNS": ".store",
        "Store": ".store",
    },
)

if TYPE_CHECKING:
    from .family import Family as Family
    from .family import Task as Task
    from .family import family_from_dict as family_from_dict
    from .family import load_family as load_family
    from .registry import Invariant as Invariant
    from .registry import get_invariant as get_invariant
    from .registry import invariant_names as invariant_names
    from .registry import register_invariant as register_invariant
    from .registry import unregister_invariant as unregister_invariant
    from .run import SweepProgress as SweepProgress
    from .run import SweepReport as SweepReport
    from .run import open_client as open_client
    from .run import run_sweep as run_sweep
    from .sandbox import Outcome as Outcome
    from .sandbox import Sandbox as Sandbox
    from .store import ATLAS_COLUMNS as ATLAS_COLUMNS
    from .store import Store as Store
