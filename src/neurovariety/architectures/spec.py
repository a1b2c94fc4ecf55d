"""The text spec of architectures: ``mlp 2-3-1 x^2 [bias]``, ``cnn k=3,2 s=2 x^2``, ``lcn k=3,2``.

Grammar (whitespace separates fields)::

    spec  := "mlp" WIDTHS ACT ["bias"]
           | "cnn" "k=" SHAPES ["c=" INTS] ["s=" SHAPES] ACT
           | "lcn" "k=" SHAPES ["c=" INTS] ["s=" SHAPES]
    WIDTHS := INT ("-" INT)+          input width first
    INTS   := INT ("," INT)*          channels c_0..c_L, input channels first
    SHAPES := SHAPE ("," SHAPE)*      filters from the input side; strides of layers 1..L−1
    SHAPE  := INT ("x" INT)*          3 (1D), 3x3 (2D); a stride INT applies to every axis
    ACT    := polynomial in x (x^2, x^3+x^2, 2*x^3-1/2*x) | generic:DEGREE[@SEED]

Lightning self-attention (docs/attention.md): ``attn t=TOKENS d=D_0,…,D_L a=A_1,…,A_L``; one
``d`` value is repeated over the layers (``attn t=3 d=4 a=2,2``), as is one ``a``.

The printed form :attr:`Architecture.spec` parses back to an equal architecture.
"""

from __future__ import annotations

import re

from ..errors import ArchitectureError
from .activations import parse_activation
from .base import MAX_DEPTH, Architecture
from .conv import conv_network
from .mlp import MLP

MAX_SPEC_LENGTH = 10_000  # characters; the longest valid spec is far shorter

_EXAMPLES = "e.g. 'mlp 2-3-1 x^2', 'mlp 2-3-1 generic:4 bias', 'cnn k=3,2 s=2 x^2', 'lcn k=3,2 s=2'"


def _ints(text: str, what: str, sep: str) -> tuple[int, ...]:
    parts = text.split(sep)
    if len(parts) > MAX_DEPTH + 1:
        raise ArchitectureError(
            f"{what} {text[:40]!r}…: more than {MAX_DEPTH + 1} values (depth limit {MAX_DEPTH})"
        )
    out = []
    for p in parts:
        p = p.strip()
        if not re.fullmatch(r"[0-9]+", p):
            raise ArchitectureError(
                f"{what} {text!r} must be positive integers separated by {sep!r}; {_EXAMPLES}"
            )
        if len(p) > 7:
            raise ArchitectureError(f"{what} value {p} is absurdly large; {_EXAMPLES}")
        out.append(int(p))
    return tuple(out)


def _shapes(text: str, what: str) -> tuple[tuple[int, ...], ...]:
    """Comma-separated sizes, each an int or ``AxB`` for a 2D filter or stride."""
    low = text.lower()
    if not re.fullmatch(r"[0-9]+(x[0-9]+)*(,[0-9]+(x[0-9]+)*)*", low):
        raise ArchitectureError(
            f"{what} {text!r} must be positive integers: sizes such as 3 or 3x3 separated "
            f"by ','; {_EXAMPLES}"
        )
    _ints(low.replace("x", ","), what, ",")  # at most MAX_DEPTH + 1 numbers, none too large
    return tuple(_ints(part, what, "x") for part in low.split(","))


def parse_architecture(text: str) -> Architecture:
    """Parse an architecture spec.

    >>> parse_architecture("mlp 2-3-1 x^2")
    MLP(widths=(2, 3, 1), activation=Monomial(r=2), bias=False)
    >>> parse_architecture("cnn k=3,2 s=2 x^2+x").spec
    'cnn k=3,2 s=2 x^2+x'
    >>> parse_architecture("lcn k=3,2,2 s=2,1").strides
    (2, 1)
    """
    if not isinstance(text, str):
        raise ArchitectureError(f"a spec is a string, got {type(text).__name__}; {_EXAMPLES}")
    if len(text) > MAX_SPEC_LENGTH:
        raise ArchitectureError(
            f"spec of {len(text)} characters is too long (limit {MAX_SPEC_LENGTH}); {_EXAMPLES}"
        )
    tokens = text.strip().split()
    if not tokens:
        raise ArchitectureError(f"empty architecture spec; {_EXAMPLES}")
    kind = tokens[0].lower()
    rest = tokens[1:]
    if kind == "mlp":
        if not rest:
            raise ArchitectureError(f"'mlp' needs widths and an activation; {_EXAMPLES}")
        widths = _ints(rest[0], "widths", "-")
        if len(widths) < 2:
            raise ArchitectureError(
                f"widths {rest[0]!r} need at least an input and an output width, e.g. 2-3-1"
            )
        bias = False
        if rest and rest[-1].lower() == "bias":
            bias, rest = True, rest[:-1]
        act_text = " ".join(rest[1:])
        if not act_text:
            raise ArchitectureError(
                f"missing activation in {text!r}; add one such as x^2 or generic:4"
            )
        return MLP(widths, parse_activation(act_text), bias=bias)
    if kind in ("cnn", "lcn"):
        filters: tuple[tuple[int, ...], ...] | None = None
        channels: tuple[int, ...] | None = None
        strides: tuple[tuple[int, ...], ...] = ((1,),)
        act_tokens = []
        for tok in rest:
            low = tok.lower()
            if low.startswith("k="):
                filters = _shapes(tok[2:], "filters")
            elif low.startswith("c="):
                channels = _ints(tok[2:], "channels", ",")
            elif low.startswith("s="):
                strides = _shapes(tok[2:], "strides")
            else:
                act_tokens.append(tok)
        if filters is None:
            raise ArchitectureError(f"{kind} spec {text!r} has no filter sizes; add k=3,2")
        act_text = " ".join(act_tokens)
        if kind == "lcn" and act_text and parse_activation(act_text).spec != "x":
            raise ArchitectureError(
                f"an LCN is linear; drop the activation {act_text!r} or use 'cnn' instead"
            )
        if kind == "cnn" and not act_text:
            raise ArchitectureError(
                f"missing activation in {text!r}; add one such as x^2 or generic:4"
            )
        act = parse_activation(act_text) if kind == "cnn" else None
        return conv_network(filters, channels or (1,) * (len(filters) + 1), strides, act)
    if kind == "attn":
        from .attention import parse_attention

        return parse_attention(rest, text)
    raise ArchitectureError(f"unknown architecture kind {tokens[0]!r}; {_EXAMPLES}")
