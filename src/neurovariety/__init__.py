"""neurovariety: the neuroalgebraic geometry of polynomial neural networks."""

from .errors import ActivationError as ActivationError
from .errors import ArchitectureError as ArchitectureError
from .errors import BackendUnavailableError as BackendUnavailableError
from .errors import BudgetExceededError as BudgetExceededError
from .errors import CertificationError as CertificationError
from .errors import FieldError as FieldError
from .errors import NeurovarietyError as NeurovarietyError
from .errors import PathTrackingError as PathTrackingError
from .errors import PolynomialSystemError as PolynomialSystemError
from .errors import RankDisagreementError as RankDisagreementError
from .results import Result as Result
from .results import Verdict as Verdict

__version__ = "0.1.0"
