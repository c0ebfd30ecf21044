"""What the simulation's two paths share: the prepared inputs, the starting point and the raw
population summary (``simulate`` builds them; ``fast`` and the reference loop fill them)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from cobalamin.knowledge.physiology import Modifier, Parameters
from cobalamin.physiology.model import Coefficients, Drive

__all__ = ["RawSummary", "SimulationInputs", "StartPoint", "output_days"]

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class StartPoint:
    """Where the simulation starts (repeated in the output)."""

    mode: str  # "switch_today" | "steady_state"
    usual_food_ug_per_day: float | None  # the diet before the switch (switch_today)
    stores_ug: float | None  # stores set by the scenario

    def to_dict(self, params: Parameters, lang: str) -> dict[str, Any]:
        if self.mode == "steady_state":
            text = params.text("start_steady_state", lang)
        else:
            usual = f"{self.usual_food_ug_per_day:g}"
            text = params.text("start_switch_today", lang).format(
                usual=usual.replace(".", ",") if lang == "nl" else usual
            )
        if self.stores_ug is not None:
            text += " " + params.text("start_stores", lang).format(stores=f"{self.stores_ug:g}")
        return {
            "mode": self.mode,
            "usual_food_ug_per_day": self.usual_food_ug_per_day,
            "stores_ug": self.stores_ug,
            "text": text,
        }


@dataclass(frozen=True)
class SimulationInputs:
    params: Parameters
    n: int
    drive: Drive
    x0: FloatArray  # (5, N)
    cell0: FloatArray  # (N,)
    coef: Coefficients
    events: tuple[dict[str, Any], ...]
    notes: dict[str, list[str]]
    modifier: Modifier
    start: StartPoint


@dataclass(frozen=True)
class RawSummary:
    """Population output before rounding: days (K,), quantiles (K, 5, 4) of stores, serum,
    holoTC and the cellular pool, fractions (K, 3), first day below the serum cut-off (N,)."""

    days: npt.NDArray[np.int64]
    quantiles: FloatArray
    fractions: FloatArray
    first_below: FloatArray


def output_days(days: int, every: int) -> npt.NDArray[np.int64]:
    out = np.arange(0, days + 1, every, dtype=np.int64)
    if out[-1] != days:
        out = np.append(out, days)
    return out
