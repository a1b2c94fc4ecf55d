"""The nag tests drive the tracker's programs, pools and predictors with arrays they build
themselves: JAX's 64-bit mode must be on before those arrays exist, as the library's own entry
points turn it on before theirs (:func:`neurovariety.jaxconfig.ensure_x64`)."""

from neurovariety.jaxconfig import ensure_x64

ensure_x64()
