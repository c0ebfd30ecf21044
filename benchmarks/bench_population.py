"""Benchmark: the store model for 100,000 people over 10 years (population mode).

Run: ``.venv/bin/python benchmarks/bench_population.py [n] [years]``. Prints the wall time.
"""

from __future__ import annotations

import sys
import time

from cobalamin.physiology.simulate import simulate


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    years = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    scenario = {
        "person": {"age": 45, "sex": "female", "diet": "vegan"},
        "intake": {"food_ug_per_day": 0.125, "meals_per_day": 3},
        "initial": {"usual_food_ug_per_day": 6},
        "days": 365 * years,
        "population": {"n": n, "seed": 1},
    }
    start = time.perf_counter()
    result = simulate(scenario)
    elapsed = time.perf_counter() - start
    frac = result["fraction_deficient"]
    print(f"population model: {n:,} people x {years} years ({365 * years} days) "
          f"in {elapsed:.1f} s")
    print(f"fraction deficient (serum B12 < 148 pmol/L) at 1, 5 and {years} years: "
          f"{frac[365]:.3f}, {frac[min(5 * 365, len(frac) - 1)]:.3f}, {frac[-1]:.3f}")


if __name__ == "__main__":
    main()
