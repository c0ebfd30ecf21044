"""Benchmark: the store model for 100,000 people over 10 years, daily quantiles.

Run: ``.venv/bin/python benchmarks/bench_population.py [n] [years] [every_days] [check_n]``.

Prints, from one run on the same machine:

1. the *previous* implementation (kept below as ``old_population``, a copy of the numpy
   stepping and quantile code of the store model before issue 15, with its own parameters):
   wall time for n people x years;
2. the current ``cobalamin.simulate`` population path (compiled with numba when installed):
   wall time for the same n x years, and the ratio;
3. the agreement of the current fast path with the straightforward step-by-step numpy
   implementation of the SAME current model (``simulate.summarise_reference``) on ``check_n``
   people: largest relative difference of any quantile, largest difference of any fraction,
   and whether everyone's first day below the serum cut-off is the same. The stated tolerance
   is 1e-5 relative for quantiles (markers are ranked as float32 in the fast path) and 1/n for
   fractions.

The two implementations model different physiology (issue 15 changed the structure), so their
outputs are not compared with each other; only their speed is.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

import cobalamin
from cobalamin import default_knowledge
from cobalamin.physiology import fast
from cobalamin.physiology.scenario import parse_scenario
from cobalamin.physiology.simulate import prepare, summarise_reference

FloatArray = npt.NDArray[np.float64]
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


# --- the previous implementation (before issue 15), kept for timing only ------------------


@dataclass(frozen=True)
class OldParams:
    """The previous model's parameter values (physiology.yaml before issue 15)."""

    if_capacity_ug: float = 1.18
    if_half_saturation_ug: float = 1.25
    passive_fraction: float = 0.0136
    liver_share: float = 0.5
    k_urine: float = 0.0003
    k_bile: float = 0.0017
    r0: float = 0.6
    k_hc: float = 0.1155
    k_tc: float = 30.7
    k_rel: float = 0.004
    k_lh: float = 0.0001353
    capacity_ug: float = 11100.0
    plasma_l: float = 3.0
    cell_tau: float = 60.0
    molar_mass: float = 1355.37
    threshold_serum: float = 148.0
    threshold_holotc: float = 25.0
    cell_at_mma_cutoff: float = 4.0 * ((3.85 / 0.25 - 1) ** (1 / 1.2))
    loss_cv: float = 0.23
    capacity_cv: float = 0.53


def _old_absorb(free: float, p: OldParams, capacity: FloatArray) -> FloatArray:
    a_if = capacity * p.if_capacity_ug * free / (p.if_half_saturation_ug + free)
    out: FloatArray = np.minimum(a_if + p.passive_fraction * free, free)
    return out


def old_population(n: int, days: int, every: int, seed: int = 1) -> FloatArray:
    """The previous population path for the benchmark scenario: quantiles (K, 5, 4)."""
    p = OldParams()
    rng = np.random.default_rng(seed)

    def lognormal(cv: float) -> FloatArray:
        sigma = np.sqrt(np.log1p(cv**2))
        out: FloatArray = rng.lognormal(-(sigma**2) / 2, sigma, n)
        return out

    capacity, loss = lognormal(p.capacity_cv), lognormal(p.loss_cv)
    kb, ku = p.k_bile * loss, p.k_urine * loss
    m = np.zeros((n, 4, 4))
    m[:, 0, 0] = -p.k_tc
    m[:, 0, 2] = m[:, 0, 3] = p.k_rel + p.r0 * kb
    m[:, 1, 1] = -p.k_hc
    m[:, 1, 2] = p.k_lh
    m[:, 2, 0] = p.liver_share * p.k_tc
    m[:, 2, 2] = -(p.k_rel + kb + ku + p.k_lh)
    m[:, 2, 1] = p.k_hc
    m[:, 3, 0] = (1 - p.liver_share) * p.k_tc
    m[:, 3, 3] = -(p.k_rel + kb + ku)
    step = np.linalg.inv(np.eye(4)[None] - m)
    green = -np.linalg.inv(m)[:, :, 0]
    usual = 3 * _old_absorb(6.0 / 3, p, capacity)
    c = green[:, 2] + green[:, 3]
    store = c * usual / (1 + c * usual / p.capacity_ug)
    x0 = green * (usual * (1 - store / p.capacity_ug))[:, None]
    base = 3 * _old_absorb(0.125 / 3, p, capacity)
    conv = 1e6 / p.molar_mass / p.plasma_l
    lag = 1.0 / p.cell_tau
    stp = np.ascontiguousarray(step.transpose(1, 2, 0))
    x = np.ascontiguousarray(x0.T)
    new = np.empty_like(x)
    y = np.empty_like(x)
    tmp = np.empty(n)
    cell = x[0] * conv
    first = np.full(n, np.nan)
    rows = []
    fractions = []

    def record(day: int) -> None:
        serum = (x[0] + x[1]) * conv
        below = serum < p.threshold_serum
        first[below & np.isnan(first)] = day
        if day % every and day != days:
            return
        stack = np.stack([x[2] + x[3], serum, x[0] * conv, cell])
        rows.append(np.quantile(stack, QUANTILES, axis=1))
        fractions.append(
            (
                below.mean(),
                (x[0] * conv < p.threshold_holotc).mean(),
                (cell < p.cell_at_mma_cutoff).mean(),
            )
        )

    record(0)
    for day in range(days):
        room = np.clip(1 - (x[2] + x[3]) / p.capacity_ug, 0.0, 1.0)
        net = base * room
        np.copyto(y, x)
        y[0] += np.maximum(net, 0.0)
        y[2] += np.minimum(net, 0.0)
        for i in range(4):
            np.multiply(stp[i, 0], y[0], out=new[i])
            for j in range(1, 4):
                np.multiply(stp[i, j], y[j], out=tmp)
                new[i] += tmp
        np.maximum(new, 0.0, out=new)
        x, new = new, x
        cell = (cell + lag * x[0] * conv) / (1 + lag)
        record(day + 1)
    return np.array(rows)


# --- the benchmark ---------------------------------------------------------------------


def scenario(n: int, years: int, every: int) -> dict[str, object]:
    return {
        "person": {"age": 45, "sex": "female", "diet": "vegan"},
        "intake": {"food_ug_per_day": 0.125, "meals_per_day": 3},
        "initial": {"start": "switch_today", "usual_food_ug_per_day": 6},
        "days": 365 * years,
        "population": {"n": n, "seed": 1, "every_days": every},
    }


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    years = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    every = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    check_n = int(sys.argv[4]) if len(sys.argv) > 4 else 10_000
    print(f"{n:,} people x {years} years ({365 * years} days), quantiles every {every} day(s)")
    print(f"numba available: {fast.available()}")

    # warm up the compiled kernel (compilation is cached on disk after the first run)
    start = time.perf_counter()
    cobalamin.simulate(scenario(max(fast.MIN_PEOPLE, 100), 1, 1))
    warm = time.perf_counter() - start
    print(f"warm-up (compilation or cache load, small run): {warm:.1f} s")

    start = time.perf_counter()
    cpu = time.process_time()
    old_population(n, 365 * years, every)
    t_old = time.perf_counter() - start
    cpu_old = time.process_time() - cpu
    print(f"previous implementation (numpy, before issue 15): {t_old:.1f} s (CPU {cpu_old:.1f} s)")

    threads = 1
    if fast.available() and fast.PARALLEL:
        import numba  # type: ignore[import-not-found,unused-ignore]

        threads = int(numba.get_num_threads())
    start = time.perf_counter()
    cpu = time.process_time()
    result = cobalamin.simulate(scenario(n, years, every)).to_dict()
    t_new = time.perf_counter() - start
    cpu_new = time.process_time() - cpu
    print(f"current fast path, {threads} thread(s): {t_new:.1f} s (CPU {cpu_new:.1f} s)")
    print(
        f"  speed-up: {t_old / t_new:.1f}x wall time, {cpu_old / cpu_new:.1f}x CPU time "
        "(on a shared machine the CPU-time ratio is the steadier figure)"
    )
    frac = dict(zip(result["day"], result["fraction_deficient"], strict=True))
    print(
        "unsupplemented vegan switching today, share with serum B12 < 148 pmol/L at the end: "
        f"{frac[365 * years]:.3f}; ever: {result['fraction_ever_deficient']:.3f}"
    )

    # agreement of the fast path with the step-by-step numpy implementation of the same model
    k = default_knowledge()
    inputs = prepare(parse_scenario(scenario(check_n, years, every), k), k)
    start = time.perf_counter()
    ref = summarise_reference(inputs, every)
    t_ref = time.perf_counter() - start
    if fast.available():
        start = time.perf_counter()
        got = fast.summarise(inputs, every)
        t_fast = time.perf_counter() - start
        rel = float(np.max(np.abs(got.quantiles - ref.quantiles) / np.abs(ref.quantiles)))
        dfrac = float(np.max(np.abs(got.fractions - ref.fractions)))
        same_first = bool(np.array_equal(got.first_below, ref.first_below, equal_nan=True))
        print(
            f"check on {check_n:,} people: step-by-step numpy {t_ref:.1f} s, fast path "
            f"{t_fast:.2f} s; largest relative quantile difference {rel:.1e} (tolerance 1e-5), "
            f"largest fraction difference {dfrac:.1e} (tolerance {1 / check_n:.0e}), same first "
            f"day below the cut-off for everyone: {same_first}"
        )
    else:
        print(f"check skipped (no numba): step-by-step numpy on {check_n:,} people {t_ref:.1f} s")


if __name__ == "__main__":
    main()
