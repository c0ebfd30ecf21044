"""Population fast path (placeholder until the compiled kernel lands)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cobalamin.physiology.simulate import RawSummary, SimulationInputs

MIN_PEOPLE = 1


def available() -> bool:
    return False


def summarise(inputs: SimulationInputs, every: int) -> RawSummary:  # pragma: no cover
    raise NotImplementedError
