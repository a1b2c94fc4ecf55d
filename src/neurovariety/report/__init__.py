"""Reports for people: a self-contained HTML page per architecture, with figures.

See :func:`build_report` (``neurovariety profile SPEC --report DIR``).
"""

from .build import ReportResult as ReportResult
from .build import build_report as build_report
from .figures import Figure as Figure
from .figures import atlas_figure as atlas_figure
from .figures import function_coordinates as function_coordinates
from .figures import landscape_figure as landscape_figure
from .figures import neuromanifold_figure as neuromanifold_figure
