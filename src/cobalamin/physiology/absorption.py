"""Absorption of one intrinsic-factor window (a meal, or meals close together, or a tablet).

    X      = free B12 in the window: crystalline + released food B12 (µg)
    A_IF   = s_IF * c * Amax * X / (K + X)      saturable, intrinsic-factor mediated
    A_pas  = f_pas * X                           passive diffusion, works without IF
    A      = min(A_IF + A_pas, X)

Amax, K and f_pas come from ``data/physiology.yaml``; ``c`` scales Amax for one person
(between-person variation in population mode). Works on floats and numpy arrays alike.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from cobalamin.physiology.parameters import Modifier, Parameters

__all__ = ["absorb", "absorb_array", "combined_modifier"]

FloatArray = npt.NDArray[np.float64]


def absorb_array(
    free_ug: FloatArray | float,
    params: Parameters,
    *,
    s_if: float = 1.0,
    capacity: FloatArray | float = 1.0,
) -> FloatArray:
    """Micrograms absorbed from ``free_ug`` micrograms of free B12 taken in one window."""
    x = np.maximum(np.asarray(free_ug, dtype=np.float64), 0.0)
    amax = s_if * np.asarray(capacity, dtype=np.float64) * params.if_capacity_ug
    a_if = amax * x / (params.if_half_saturation_ug + x)
    out: FloatArray = np.minimum(a_if + params.passive_fraction * x, x)
    return out


def absorb(free_ug: float, params: Parameters, *, s_if: float = 1.0) -> float:
    """Scalar form of :func:`absorb_array` for one person with the reference capacity."""
    return float(absorb_array(free_ug, params, s_if=s_if))


def combined_modifier(ids: list[str] | tuple[str, ...], params: Parameters) -> Modifier:
    """The modifier of several conditions/medications: the most severe of each factor."""
    s_if, release = 1.0, 1.0
    for key in ids:
        mod = params.modifiers.get(key)
        if mod is not None:
            s_if = min(s_if, mod.s_if)
            release = min(release, mod.food_release)
    return Modifier(s_if=s_if, food_release=release)
