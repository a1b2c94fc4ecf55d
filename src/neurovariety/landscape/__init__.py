"""The squared-error loss on a neuromanifold: critical points, exposure, Hessians."""

from .critical import CriticalPointResult as CriticalPointResult
from .critical import ExposureResult as ExposureResult
from .critical import critical_exposure as critical_exposure
from .critical import hessian_signature as hessian_signature
from .critical import stratum_critical_point as stratum_critical_point
from .edd import EDDegreeResult as EDDegreeResult
from .edd import edd as edd
