"""Datasets for training experiments: teacher networks, random targets, a user's CSV/NPZ file.

Inputs are standard Gaussian unless read from a file. A teacher may be a smaller architecture with
the same inputs and outputs (a *subnetwork* teacher: its function lies on a stratum of the
student's neuromanifold).
"""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

import numpy as np

from ..architectures.attention import Attention
from ..architectures.base import Architecture
from ..errors import ExperimentError
from ..parametrization.numeric import forward

__all__ = [
    "Dataset",
    "load_data",
    "output_linear_params",
    "random_targets",
    "read_csv",
    "teacher_data",
]


@dataclasses.dataclass(frozen=True, eq=False)
class Dataset:
    """Inputs ``X`` (S × n_inputs), targets ``Y`` (S × n_outputs) and where they came from."""

    X: np.ndarray
    Y: np.ndarray
    source: str
    teacher_theta: np.ndarray | None = None

    def __post_init__(self) -> None:
        X = np.asarray(self.X, dtype=float)
        Y = np.asarray(self.Y, dtype=float)
        if Y.ndim == 1:
            Y = Y[:, None]
        if X.ndim != 2 or Y.ndim != 2 or X.shape[0] != Y.shape[0] or X.shape[0] == 0:
            raise ExperimentError(
                f"data must be X (samples × inputs) and Y (samples × outputs) with the same "
                f"number of samples ≥ 1; got X {X.shape}, Y {Y.shape}"
            )
        if not (np.isfinite(X).all() and np.isfinite(Y).all()):
            raise ExperimentError("data contain NaN or infinite values; clean the file first")
        object.__setattr__(self, "X", X)
        object.__setattr__(self, "Y", Y)

    @property
    def n_samples(self) -> int:
        return int(self.X.shape[0])

    @property
    def fingerprint(self) -> str:
        """Hash of the numbers (part of the key of stored runs)."""
        h = hashlib.sha256(self.X.tobytes())
        h.update(self.Y.tobytes())
        return h.hexdigest()[:16]

    def check(self, arch: Architecture) -> None:
        """Raise :class:`ExperimentError` unless the shapes fit ``arch``."""
        if self.X.shape[1] != arch.n_inputs or self.Y.shape[1] != arch.n_outputs:
            raise ExperimentError(
                f"{arch.spec} takes {arch.n_inputs} inputs and gives {arch.n_outputs} outputs, "
                f"but the data have {self.X.shape[1]} input and {self.Y.shape[1]} target "
                "columns; choose a matching architecture or data"
            )


def _inputs(n_inputs: int, n: int, rng: np.random.Generator) -> np.ndarray:
    if n < 1:
        raise ExperimentError(f"samples={n} must be ≥ 1")
    return rng.standard_normal((n, n_inputs))


def output_linear_params(arch: Architecture) -> slice:
    """Where θ holds parameters that f_θ is linear in: the last layer of a Layer stack, the last
    V of attention (Y = (X Qᵀ K Xᵀ) X Vᵀ). Dividing them by s divides the outputs by s.

    >>> from neurovariety import parse_architecture
    >>> output_linear_params(parse_architecture("attn t=2 d=2 a=1"))
    slice(4, 8, None)
    """
    if isinstance(arch, Attention):
        _, _, v, end = arch.layer_offsets()[-1]
        return slice(v, end)
    return arch.layers[-1].params


def teacher_data(
    teacher: Architecture,
    n: int,
    *,
    seed: int,
    noise: float = 0.0,
    theta: np.ndarray | None = None,
    normalize: bool = True,
) -> Dataset:
    """Gaussian inputs labelled by a teacher network with N(0, 1) parameters (or ``theta``).

    With ``normalize`` (the default, and only for random teachers) the parameters the output is
    linear in (:func:`output_linear_params`) are divided by the targets' standard deviation:
    the teacher is still a network of its architecture, and its outputs have unit scale (plain
    gradient descent on polynomial networks diverges on large targets). Gaussian noise of
    standard deviation ``noise`` is then added.

    >>> from neurovariety import parse_architecture
    >>> d = teacher_data(parse_architecture("mlp 2-1-1 x^2"), 5, seed=0)
    >>> d.X.shape, d.Y.shape, d.source
    ((5, 2), (5, 1), 'teacher mlp 2-1-1 x^2, noise 0')
    """
    rng = np.random.default_rng([seed, 1])
    scale = normalize and theta is None
    if theta is None:
        theta = rng.standard_normal(teacher.n_params)
    theta = np.array(theta, dtype=float)
    if theta.shape != (teacher.n_params,):
        raise ExperimentError(f"teacher parameters must have shape ({teacher.n_params},)")
    X = _inputs(teacher.n_inputs, n, rng)
    Y = forward(teacher, theta, X)
    sd = float(np.std(Y))
    if scale and sd > 0:
        theta[output_linear_params(teacher)] /= sd
        Y = Y / sd
    if noise:
        Y = Y + noise * rng.standard_normal(Y.shape)
    return Dataset(X, Y, f"teacher {teacher.spec}, noise {noise:g}", teacher_theta=theta)


def random_targets(arch: Architecture, n: int, *, seed: int) -> Dataset:
    """Gaussian inputs with independent N(0, 1) targets (no network fits them exactly).

    >>> from neurovariety import parse_architecture
    >>> random_targets(parse_architecture("cnn k=2,2 x^2"), 4, seed=1).X.shape
    (4, 3)
    """
    rng = np.random.default_rng([seed, 2])
    X = _inputs(arch.n_inputs, n, rng)
    return Dataset(X, rng.standard_normal((n, arch.n_outputs)), "random N(0,1) targets")


def read_csv(path: str | Path) -> np.ndarray:
    """The numbers of a comma-separated file, one row a line; a first line that is not all
    numbers is a header and skipped, a later one is an error that names its line.

    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "d.csv")
    >>> _ = open(p, "w").write("x0, y\\n1, 2\\n\\n3, 4\\n")
    >>> read_csv(p).tolist()
    [[1.0, 2.0], [3.0, 4.0]]
    >>> _ = open(p, "w").write("1,2\\n3,four\\n")
    >>> read_csv(p)
    Traceback (most recent call last):
    ...
    neurovariety.errors.ExperimentError: d.csv, line 2: 'four' is not a number; ...
    """
    p = Path(path)
    try:
        lines = p.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as e:
        raise ExperimentError(f"cannot read {str(p)!r}: {e}; give a CSV file of numbers") from None
    rows: list[list[float]] = []
    first = True
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        cells = [c.strip() for c in line.split(",")]
        try:
            row = [float(c) for c in cells]
        except ValueError:
            if first:  # a header line: column names
                first = False
                continue
            bad = next(c for c in cells if not _is_number(c))
            raise ExperimentError(
                f"{p.name}, line {number}: {bad!r} is not a number; only the first line may be "
                "a header, fix or remove this line"
            ) from None
        first = False
        if rows and len(row) != len(rows[0]):
            raise ExperimentError(
                f"{p.name}, line {number}: {len(row)} columns where the lines before have "
                f"{len(rows[0])}; give every line the same columns"
            )
        rows.append(row)
    if not rows:
        raise ExperimentError(f"{p.name} holds no rows of numbers; give one sample per line")
    return np.array(rows)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def load_data(path: str | Path, n_inputs: int, n_outputs: int) -> Dataset:
    """Read a user's data: NPZ with arrays ``X`` and ``Y``, or CSV whose first ``n_inputs``
    columns are inputs and the next ``n_outputs`` targets (a non-numeric header line is skipped).

    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "d.csv")
    >>> _ = open(p, "w").write("x0,x1,y\\n1,2,3\\n4,5,6\\n")
    >>> load_data(p, 2, 1).Y.ravel().tolist()
    [3.0, 6.0]
    """
    p = Path(path)
    if not p.is_file():
        raise ExperimentError(f"data file {str(p)!r} does not exist; pass a CSV or NPZ file")
    if p.suffix.lower() == ".npz":
        try:
            with np.load(p) as z:
                if "X" not in z or "Y" not in z:
                    raise ExperimentError(
                        f"{p.name} must contain arrays named X and Y; it has {sorted(z.files)}"
                    )
                X, Y = z["X"], z["Y"]
        except (OSError, ValueError) as e:
            raise ExperimentError(f"cannot read {p.name} as NPZ: {e}") from None
    else:
        A = read_csv(p)
        if A.shape[1] != n_inputs + n_outputs:
            raise ExperimentError(
                f"{p.name} has {A.shape[1]} columns; expected {n_inputs} inputs + {n_outputs} "
                "targets"
            )
        X, Y = A[:, :n_inputs], A[:, n_inputs:]
    return Dataset(X, Y, f"file {p.name}")
