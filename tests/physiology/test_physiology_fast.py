"""The compiled population path gives the numbers of the step-by-step numpy loop.

Tolerance: quantiles 1e-5 relative (the fast path ranks markers as float32, relative rounding
6e-8), fractions exactly (or within one person), first day below the cut-off identical.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from cobalamin import default_knowledge
from cobalamin.physiology import fast
from cobalamin.physiology.scenario import parse_scenario
from cobalamin.physiology.simulate import prepare, summarise_reference

pytestmark = pytest.mark.skipif(not fast.available(), reason="numba is not installed")

SCENARIOS: list[dict[str, Any]] = [
    {
        "person": {"diet": "vegan"},
        "intake": {"food_ug_per_day": 0.125},
        "supplements": [{"dose_ug": 50, "every_days": 7, "start_day": 100}],
        "injections": [{"day": 30, "dose_ug": 1000, "form": "cyanocobalamin"}],
        "days": 300,
    },
    {
        "person": {"conditions": ["pernicious_anaemia"], "sex": "female", "pregnant": True},
        "intake": {"food_ug_per_day": 5},
        "supplements": [{"route": "im", "dose_ug": 1000, "every_days": 60, "start_day": 200}],
        "start": "steady_state",
        "days": 400,
    },
]


@pytest.mark.parametrize("scenario", SCENARIOS)
@pytest.mark.parametrize("every", [1, 7])
def test_fast_path_equals_step_by_step(scenario: dict[str, Any], every: int) -> None:
    n = 700
    k = default_knowledge()
    inputs = prepare(parse_scenario({**scenario, "population": {"n": n, "seed": 5}}, k), k)
    ref = summarise_reference(inputs, every)
    got = fast.summarise(inputs, every)
    assert np.array_equal(got.days, ref.days)
    np.testing.assert_allclose(got.quantiles, ref.quantiles, rtol=1e-5, atol=1e-9)
    assert np.max(np.abs(got.fractions - ref.fractions)) <= 1 / n
    assert np.array_equal(got.first_below, ref.first_below, equal_nan=True)


def test_large_populations_use_the_fast_path(monkeypatch: pytest.MonkeyPatch) -> None:
    from cobalamin.physiology import simulate as sim

    called = []

    def spy(inputs: Any, every: int) -> Any:
        called.append(inputs.n)
        return summarise_reference(inputs, every)

    monkeypatch.setattr(fast, "summarise", spy)
    monkeypatch.setattr(fast, "MIN_PEOPLE", 50)
    k = default_knowledge()
    sim.simulate({"intake": {"food_ug_per_day": 2}, "days": 3, "population": {"n": 60}}, k)
    sim.simulate({"intake": {"food_ug_per_day": 2}, "days": 3, "population": {"n": 40}}, k)
    assert called == [60]
