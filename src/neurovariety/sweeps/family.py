"""Families of architectures and the tasks of a sweep: TOML files, ranges, explicit spec lists.

A family file lists architectures — explicitly, by generator blocks over ranges, or both — and
the invariants to compute on each, with their options and a per-task budget::

    name = "mlp-defects"
    invariants = ["dim"]              # or a table: [invariants.dim] primes = 3
    timeout = 60                      # seconds per task (default 600)
    memory_limit = "2GiB"             # per task and per Dask worker (default: none)
    specs = ["mlp 2-3-1 x^2", "lcn k=3,2 s=2"]

    [[mlp]]
    depth = [2, 3]                    # number of layers L
    widths = "1..4"                   # input and hidden widths d_0 .. d_(L-1)
    outputs = "1..3"                  # output width d_L
    degrees = [2, 3]                  # σ = x^r; or activations = ["x^2+x", "generic:3"]

    [[cnn]]                           # also [[lcn]] (no activation)
    depth = 2
    filters = "2..3"
    strides = [1, 2]
    degrees = [2]
    channels = "1..2"                 # hidden channels c_1 .. c_(L-1); c_0 = c_L = 1 (default 1)
    axes = [1, 2]                     # 1D filters k, or square 2D filters kxk (default 1)

    [[attn]]                          # lightning self-attention (HMK arXiv:2408.17221)
    depth = [1, 2]
    tokens = [2, 3]                   # sequence length t
    widths = "2..3"                   # embedding widths d_0 .. d_(L-1)
    outputs = "1..2"                  # output width d_L (default: widths)
    attention = "1..2"                # attention widths a_1 .. a_L

A range is an int, a list of ints, or ``"a..b"`` (inclusive). Every generated spec is parsed, so
the sweep sees only valid, canonical architectures; duplicates are dropped.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import itertools
import json
import math
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from ..architectures import parse_activation, parse_architecture
from ..architectures.activations import MAX_DEGREE
from ..architectures.attention import MAX_TOKENS
from ..architectures.base import MAX_DEPTH, MAX_WIDTH
from ..errors import ArchitectureError, FamilyError
from .registry import get_invariant

__all__ = [
    "DEFAULT_TIMEOUT",
    "MAX_TASKS",
    "Family",
    "Task",
    "family_from_dict",
    "load_family",
    "parse_range",
    "task_key",
]

DEFAULT_TIMEOUT = 600.0
MAX_TASKS = 1_000_000
MAX_MEMORY = 2**50  # bytes (1 PiB): anything larger is a typo
_MEMORY = re.compile(r"\s*[0-9]+(?:\.[0-9]+)?\s*(?:[kKmMgGtTpP]i?)?[bB]?\s*", re.ASCII)

_TOP_KEYS = {"name", "specs", "invariants", "timeout", "memory_limit", "mlp", "cnn", "lcn", "attn"}
_BLOCK_KEYS = {
    "mlp": {"depth", "widths", "inputs", "outputs", "degrees", "activations", "bias"},
    "cnn": {"depth", "filters", "strides", "channels", "axes", "degrees", "activations"},
    "lcn": {"depth", "filters", "strides", "channels", "axes"},
    "attn": {"depth", "tokens", "widths", "outputs", "attention"},
}


def _library_version() -> str:
    from .. import __version__

    return __version__


def task_key(arch_key: str, invariant: str, options_json: str, version: str) -> str:
    """The store key of a task: a hash of the architecture's key, invariant, options and version.

    >>> task_key("abc", "dim", "{}", "0.1.0") == task_key("abc", "dim", "{}", "0.1.0")
    True
    >>> task_key("abc", "dim", "{}", "0.1.0") == task_key("abc", "dim", "{}", "0.2.0")
    False
    """
    blob = json.dumps([arch_key, invariant, options_json, version], separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


@dataclasses.dataclass(frozen=True)
class Task:
    """One invariant of one architecture: the unit of work and the key of one stored row."""

    spec: str
    arch_key: str
    invariant: str
    target: str
    value_field: str
    options_json: str
    version: str

    @functools.cached_property
    def key(self) -> str:
        """The store key, :func:`task_key` of this task's fields."""
        return task_key(self.arch_key, self.invariant, self.options_json, self.version)

    @functools.cached_property
    def options(self) -> dict[str, Any]:
        return dict(json.loads(self.options_json))


def parse_range(
    value: Any, what: str, minimum: int = 1, maximum: int = MAX_WIDTH
) -> tuple[int, ...]:
    """Integers in ``[minimum, maximum]`` from an int, a list of ints or an inclusive ``"a..b"``.

    >>> parse_range("1..4", "widths"), parse_range([2, 3], "depth"), parse_range(5, "filters")
    ((1, 2, 3, 4), (2, 3), (5,))
    """
    if isinstance(value, bool):
        raise FamilyError(f"{what} = {value!r}: give an int, a list of ints or 'a..b'")
    if isinstance(value, int):
        out: tuple[int, ...] = (value,)
    elif isinstance(value, str):
        m = re.fullmatch(r"\s*([0-9]{1,9})\s*\.\.\s*([0-9]{1,9})\s*", value, re.ASCII)
        if m is None:
            raise FamilyError(
                f"{what} = {value[:40]!r}: a range is written 'a..b' with ASCII digits, e.g. '1..4'"
            )
        a, b = int(m[1]), int(m[2])
        if a > b:
            raise FamilyError(f"{what} = {value!r}: empty range (start > end)")
        if b - a > 10_000:
            raise FamilyError(f"{what} = {value!r}: range too long (more than 10000 values)")
        out = tuple(range(a, b + 1))
    elif isinstance(value, list) and value:
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
            raise FamilyError(f"{what} = {value!r}: a list must hold ints only")
        out = tuple(dict.fromkeys(value))
    else:
        raise FamilyError(f"{what} = {value!r}: give an int, a non-empty list of ints or 'a..b'")
    bad = [v for v in out if not minimum <= v <= maximum]
    if bad:
        raise FamilyError(f"{what}: values must lie in {minimum}..{maximum}, got {_short(bad)}")
    return out


def _short(values: Sequence[int]) -> str:
    """A list of ints for a message, each number and the list cut to a readable length."""
    shown = [str(v) if len(str(v)) <= 20 else str(v)[:17] + "..." for v in values[:5]]
    return "[" + ", ".join(shown) + (", ...]" if len(values) > 5 else "]")


def _activations(block: Mapping[str, Any], where: str) -> tuple[str, ...]:
    if "degrees" in block and "activations" in block:
        raise FamilyError(f"{where}: give either degrees or activations, not both")
    if "activations" in block:
        acts = block["activations"]
        if not isinstance(acts, list) or not acts or not all(isinstance(a, str) for a in acts):
            raise FamilyError(f"{where}: activations must be a list of strings, e.g. ['x^2+x']")
        try:
            return tuple(parse_activation(a).spec for a in acts)
        except ArchitectureError as e:
            raise FamilyError(f"{where}: {e}") from None
    if "degrees" not in block:
        raise FamilyError(f"{where}: missing degrees (e.g. degrees = [2, 3]) or activations")
    degrees = parse_range(block["degrees"], "degrees", maximum=MAX_DEGREE)
    return tuple(f"x^{r}" if r > 1 else "x" for r in degrees)


def _block_specs(kind: str, block: Mapping[str, Any], where: str) -> Iterable[str]:
    if not isinstance(block, Mapping):
        raise FamilyError(f"{where} must be a table, e.g. [[{kind}]] depth = 2")
    unknown = sorted(set(block) - _BLOCK_KEYS[kind])
    if unknown:
        raise FamilyError(
            f"{where}: unknown key(s) {unknown}; allowed: {sorted(_BLOCK_KEYS[kind])}"
        )
    if "depth" not in block:
        raise FamilyError(f"{where}: missing depth (number of layers), e.g. depth = [2, 3]")
    depths = parse_range(block["depth"], f"{where} depth", maximum=MAX_DEPTH)
    if kind == "attn":
        yield from _attention_specs(block, depths, where)
        return
    if kind == "mlp":
        for key in ("widths", "outputs"):
            if key not in block:
                raise FamilyError(f"{where}: missing {key}, e.g. {key} = '1..3'")
        widths = parse_range(block["widths"], f"{where} widths")
        inputs = parse_range(block.get("inputs", block["widths"]), f"{where} inputs")
        outputs = parse_range(block["outputs"], f"{where} outputs")
        acts = _activations(block, where)
        bias = block.get("bias", False)
        if not isinstance(bias, bool):
            raise FamilyError(f"{where}: bias must be true or false")
        tail = " bias" if bias else ""
        _check_count(
            where,
            [len(inputs) * len(widths) ** (L - 1) * len(outputs) * len(acts) for L in depths],
        )
        for L in depths:
            for d0, hidden, out, act in itertools.product(
                inputs, itertools.product(widths, repeat=L - 1), outputs, acts
            ):
                ws = (d0, *hidden, out)
                yield f"mlp {'-'.join(map(str, ws))} {act}{tail}"
        return
    if "filters" not in block:
        raise FamilyError(f"{where}: missing filters, e.g. filters = '2..3'")
    filters = parse_range(block["filters"], f"{where} filters")
    strides = parse_range(block.get("strides", 1), f"{where} strides")
    channels = parse_range(block.get("channels", 1), f"{where} channels")
    axes = parse_range(block.get("axes", 1), f"{where} axes", maximum=2)
    acts = _activations(block, where) if kind == "cnn" else ("",)
    _check_count(
        where,
        [
            (len(filters) ** L * (len(strides) * len(channels)) ** max(L - 1, 0))
            * len(acts)
            * len(axes)
            for L in depths
        ],
    )
    for L in depths:
        for ks, ss, cs, D, act in itertools.product(
            itertools.product(filters, repeat=L),
            itertools.product(strides, repeat=max(L - 1, 1)) if L > 1 else [(1,)],
            itertools.product(channels, repeat=L - 1),
            axes,
            acts,
        ):
            spec = f"{kind} k={','.join('x'.join([str(k)] * D) for k in ks)}"
            if any(c != 1 for c in cs):
                spec += f" c=1,{','.join(map(str, cs))},1"
            if L > 1:
                spec += f" s={','.join(map(str, ss))}"
            yield f"{spec} {act}".strip()


def _attention_specs(block: Mapping[str, Any], depths: Sequence[int], where: str) -> Iterable[str]:
    """``attn t=… d=… a=…`` over every choice of t, d_0..d_(L−1), d_L and a_1..a_L."""
    for key in ("tokens", "widths", "attention"):
        if key not in block:
            raise FamilyError(f"{where}: missing {key}, e.g. {key} = '1..3'")
    tokens = parse_range(block["tokens"], f"{where} tokens", maximum=MAX_TOKENS)
    widths = parse_range(block["widths"], f"{where} widths")
    outputs = parse_range(block.get("outputs", block["widths"]), f"{where} outputs")
    attention = parse_range(block["attention"], f"{where} attention")
    _check_count(
        where,
        [len(tokens) * (len(widths) * len(attention)) ** L * len(outputs) for L in depths],
    )
    for L in depths:
        for t, ws, out, a in itertools.product(
            tokens,
            itertools.product(widths, repeat=L),
            outputs,
            itertools.product(attention, repeat=L),
        ):
            yield f"attn t={t} d={','.join(map(str, (*ws, out)))} a={','.join(map(str, a))}"


def _check_count(where: str, counts: Sequence[int]) -> None:
    if sum(counts) > MAX_TASKS:
        raise FamilyError(
            f"{where} generates {sum(counts)} architectures, more than {MAX_TASKS}; "
            "narrow the ranges or split the family"
        )


def _parse_memory(value: Any) -> int | None:
    if value is None:
        return None
    from dask.utils import parse_bytes

    bad = FamilyError(f"memory_limit = {str(value)[:40]!r}: use bytes or a size like '2GiB'")
    if isinstance(value, str):
        if not _MEMORY.fullmatch(value):
            raise bad
        try:
            n = int(parse_bytes(value))
        except (ValueError, OverflowError):
            raise bad from None
    elif isinstance(value, int | float) and not isinstance(value, bool):
        if not math.isfinite(value):
            raise bad
        n = int(value)
    else:
        raise bad
    if n < 16 * 2**20:
        raise FamilyError(f"memory_limit = {value!r} is below 16 MiB; a task cannot run in that")
    if n > MAX_MEMORY:
        raise FamilyError(f"memory_limit = {str(value)[:40]!r} is above 1 PiB; give a real size")
    return n


@dataclasses.dataclass(frozen=True)
class Family:
    """A set of architectures (canonical specs) × invariants, with a per-task budget.

    Examples
    --------
    >>> fam = family_from_dict({"specs": ["mlp 2-3-1 x^2", "mlp 2-3-1 x^2"], "invariants": ["dim"]})
    >>> fam.specs, len(fam.tasks())
    (('mlp 2-3-1 x^2',), 1)
    """

    name: str
    specs: tuple[str, ...]
    invariants: tuple[tuple[str, str], ...]  # (name, canonical options JSON)
    timeout: float | None = DEFAULT_TIMEOUT
    memory_limit: int | None = None

    def tasks(self) -> list[Task]:
        """Every (architecture, invariant) task, architectures in family order, keys unique."""
        version = _library_version()
        out = []
        for spec in self.specs:
            arch = parse_architecture(spec)
            for name, options_json in self.invariants:
                inv = get_invariant(name)
                out.append(
                    Task(arch.spec, arch.key, name, inv.target, inv.value, options_json, version)
                )
        return out


def family_from_dict(
    data: Mapping[str, Any], *, default_name: str = "family", source: str = "family"
) -> Family:
    """Build a :class:`Family` from a parsed TOML document (or the same keys given in Python).

    >>> fam = family_from_dict({"mlp": [{"depth": 2, "widths": "1..2", "outputs": 1,
    ...                                  "degrees": [2]}], "invariants": {"dim": {"primes": 3}}})
    >>> fam.specs
    ('mlp 1-1-1 x^2', 'mlp 1-2-1 x^2', 'mlp 2-1-1 x^2', 'mlp 2-2-1 x^2')
    >>> fam.invariants
    (('dim', '{"method": "exact", "primes": 3, "seed": 0}'),)
    """
    unknown = sorted(set(data) - _TOP_KEYS)
    if unknown:
        raise FamilyError(f"{source}: unknown key(s) {unknown}; allowed: {sorted(_TOP_KEYS)}")
    name = data.get("name", default_name)
    if not isinstance(name, str):
        raise FamilyError(f"{source}: name must be a string")

    raw_specs: list[str] = []
    explicit = data.get("specs", [])
    if not isinstance(explicit, list) or not all(isinstance(s, str) for s in explicit):
        raise FamilyError(f"{source}: specs must be a list of strings, e.g. ['mlp 2-3-1 x^2']")
    raw_specs += explicit
    for kind in ("mlp", "cnn", "lcn", "attn"):
        blocks = data.get(kind, [])
        if isinstance(blocks, Mapping):
            blocks = [blocks]
        if not isinstance(blocks, list):
            raise FamilyError(f"{source}: {kind} must be a table or an array of tables")
        for i, block in enumerate(blocks):
            raw_specs += _block_specs(kind, block, f"{source} [[{kind}]] #{i + 1}")
            if len(raw_specs) > MAX_TASKS:
                raise FamilyError(f"{source}: more than {MAX_TASKS} architectures; narrow it")
    specs: dict[str, None] = {}
    for s in raw_specs:
        try:
            specs[parse_architecture(s).spec] = None
        except ArchitectureError as e:
            raise FamilyError(f"{source}: invalid architecture {s!r}: {e}") from None
    if not specs:
        raise FamilyError(f"{source}: no architectures; add specs = [...] or an [[mlp]] block")

    invs = data.get("invariants")
    if invs is None:
        raise FamilyError(f"{source}: missing invariants, e.g. invariants = ['dim']")
    if isinstance(invs, list):
        if not invs or not all(isinstance(i, str) for i in invs):
            raise FamilyError(f"{source}: invariants must be a non-empty list of names")
        pairs: list[tuple[str, dict[str, Any]]] = [(i, {}) for i in invs]
    elif isinstance(invs, Mapping):
        pairs = []
        for k, v in invs.items():
            if not isinstance(v, Mapping):
                raise FamilyError(f"{source}: [invariants.{k}] must be a table of options")
            pairs.append((k, dict(v)))
    else:
        raise FamilyError(f"{source}: invariants must be a list of names or a table")
    inv_list = tuple(
        dict.fromkeys(
            (n, json.dumps(get_invariant(n).options(o), sort_keys=True)) for n, o in pairs
        )
    )
    if len(specs) * len(inv_list) > MAX_TASKS:
        raise FamilyError(f"{source}: more than {MAX_TASKS} tasks; narrow the family")

    timeout = data.get("timeout", DEFAULT_TIMEOUT)
    if timeout is not None and (
        isinstance(timeout, bool)
        or not isinstance(timeout, int | float)
        or not (timeout > 0 and math.isfinite(timeout))
    ):
        raise FamilyError(f"{source}: timeout = {timeout!r} must be a positive number of seconds")
    return Family(
        name=name,
        specs=tuple(specs),
        invariants=inv_list,
        timeout=None if timeout is None else float(timeout),
        memory_limit=_parse_memory(data.get("memory_limit")),
    )


def load_family(path: str | Path) -> Family:
    """Read a family TOML file (see the module docstring for its keys)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as e:
        raise FamilyError(f"cannot read family file {str(p)!r}: {e.strerror}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise FamilyError(f"{p}: not valid TOML: {e}") from None
    return family_from_dict(data, default_name=p.stem, source=str(p))
