"""neurovariety: the neuroalgebraic geometry of polynomial neural networks."""

from .architectures import CNN as CNN
from .architectures import LCN as LCN
from .architectures import MLP as MLP
from .architectures import Activation as Activation
from .architectures import Architecture as Architecture
from .architectures import GenericPolynomial as GenericPolynomial
from .architectures import Monomial as Monomial
from .architectures import Polynomial as Polynomial
from .architectures import parse_activation as parse_activation
from .architectures import parse_architecture as parse_architecture
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
from .invariants.dimension import DimensionResult as DimensionResult
from .invariants.dimension import dimension as dimension
from .invariants.profile import profile as profile
from .results import Result as Result
from .results import Verdict as Verdict

__version__ = "0.1.0"
