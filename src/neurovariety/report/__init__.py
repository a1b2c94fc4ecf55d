"""Reports for people: a self-contained HTML page per architecture, with figures.

See :func:`build_report` (``neurovariety profile SPEC --report DIR``). Names load on first use,
so registering the ``plot`` command keeps ``neurovariety --help`` free of NumPy and JAX.
"""

from typing import TYPE_CHECKING

from .. import lazy_exports

lazy_exports(
    __name__,
    {
        "ReportResult": ".build",
        "build_report": ".build",
        "Figure": ".figures",
        "atlas_figure": ".figures",
        "function_coordinates": ".figures",
        "landscape_figure": ".figures",
        "neuromanifold_figure": ".figures",
    },
)

if TYPE_CHECKING:
    from .build import ReportResult as ReportResult
    from .build import build_report as build_report
    from .figures import Figure as Figure
    from .figures import atlas_figure as atlas_figure
    from .figures import function_coordinates as function_coordinates
    from .figures import landscape_figure as landscape_figure
    from .figures import neuromanifold_figure as neuromanifold_figure
