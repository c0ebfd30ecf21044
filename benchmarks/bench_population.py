"""Benchmark: the store model for 100,000 people over 10 years (population mode).

Run: ``.venv/bin/python benchmarks/bench_population.py [n] [years] [every_days]``. Prints the
wall time. ``every_days`` (default 1: quantiles for every day, as in the output contract) thins
the quantile output; the model itself always steps one day at a time.
"""

from __future__ import annotations

import sys
import time

from cobalamin.physiology.simulate import simulate


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    years = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    every = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    scenario = {
        "person": {"age": 45, "sex": "female", "diet": "vegan"},
        "intake": {"food_ug_per_day": 0.125, "meals_per_day": 3},
        "initial": {"usual_food_ug_per_day": 6},
        "days": 365 * years,
        "population": {"n": n, "seed": 1, "every_days": every},
    }
    start = time.perf_counter()
    result = simulate(scenario)
    elapsed = time.perf_counter() - start
    frac = dict(zip(result["day"], result["fraction_deficient"], strict=True))
    print(
        f"population model: {n:,} people x {years} years ({365 * years} days, quantiles every "
        f"{every} day(s)) in {elapsed:.1f} s"
    )
    print(
        "unsupplemented vegan, fraction with serum B12 < 148 pmol/L at the end: "
        f"{frac[365 * years]:.3f}; ever deficient: {result['fraction_ever_deficient']:.3f}"
    )


if __name__ == "__main__":
    main()
