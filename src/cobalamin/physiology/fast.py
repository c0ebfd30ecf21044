"""Population fast path: the day step of ``model.step`` compiled with numba, plus quantiles.

The arithmetic per person and day is exactly that of :func:`cobalamin.physiology.model.step`
(tests/physiology/test_physiology_fast.py holds the two equal). What makes it fast:

- each group of people steps through a block of days with its state in cache (instead of ~40
  numpy passes over arrays of 100,000 people per day), in a loop over 1-D views from index 0,
  which the compiler vectorises (``step_people``);
- the markers of a day are written per marker (contiguous float32 columns), so that the
  quantiles read each column in order;
- daily quantiles are exact order statistics found in two passes without sorting: the bit
  pattern of a non-negative float32 grows with its value, so its top bits are a histogram bin;
  only the few bins holding the wanted ranks are collected and sorted. Markers are sorted as
  float32 (relative rounding 6e-8); the state stays float64.

numba is optional: without it :func:`available` is False and ``simulate`` uses the numpy day
loop (``simulate.summarise_reference``), which gives the same numbers more slowly.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, cast

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from cobalamin.physiology.inputs import RawSummary, SimulationInputs

__all__ = ["MIN_PEOPLE", "available", "summarise"]

MIN_PEOPLE = 20_000  # below this the numpy loop is fast enough and needs no compilation
# One thread: on the shared 2-core machine two threads were 3.5 times slower than one (each
# block of days ends in a barrier, and a thread waits whenever the other core is busy); see
# benchmarks/bench_population.py.
PARALLEL = False
SHIFT = 12  # float32 bits dropped for a histogram bin: 2048 bins per octave (fastest measured)
BLOCK = 4  # days stepped per group of people before the quantiles of those days are taken
# (the block's markers, 4 x 4 x N float32, stay in cache for the quantiles)
QUANTILES = np.array([0.05, 0.25, 0.5, 0.75, 0.95])


def available() -> bool:
    """Whether numba is installed (the compiled path can be used)."""
    return importlib.util.find_spec("numba") is not None


if available():  # pragma: no branch
    import numba  # type: ignore[import-not-found,unused-ignore]

    F = TypeVar("F", bound=Callable[..., Any])
    # numba.njit, typed as a decorator that keeps the function's signature
    jit = cast(Callable[..., Callable[[F], F]], numba.njit)

    @jit(cache=True, error_model="numpy")
    def histogram_order_stats(
        vals: Any, bits: Any, ranks: Any, stats: Any, counts: Any, slot: Any
    ) -> None:
        """The values of ``vals`` (N,) at ``ranks`` (ascending) as if sorted: ``stats``.

        Exact, in two passes and without sorting everything: the bit pattern of a
        non-negative float32 grows with its value, so its top bits are a histogram bin
        (2**(23 - SHIFT) bins per octave). Pass 1 counts per bin; the cumulative counts give
        the bin of each wanted rank; pass 2 collects only the values of those bins, which are
        sorted. ``bits`` is ``vals`` viewed as int32; ``counts`` and ``slot`` (bins,) must be
        zero / -1 on entry and are left so.
        """
        n = vals.shape[0]
        m = ranks.shape[0]
        lo_bin, hi_bin = counts.shape[0], 0
        for i in range(n):
            b = bits[i] >> SHIFT
            counts[b] += 1
            lo_bin = min(lo_bin, b)
            hi_bin = max(hi_bin, b)
        target = np.empty(m, dtype=np.int64)
        before = np.empty(m, dtype=np.int64)
        acc = 0
        r = 0
        for b in range(lo_bin, hi_bin + 1):
            while r < m and ranks[r] < acc + counts[b]:
                target[r] = b
                before[r] = acc
                r += 1
            acc += counts[b]
            if r == m:
                break
        first_of = np.empty(m, dtype=np.int64)
        n_slots = 0
        for r in range(m):
            if slot[target[r]] < 0:
                slot[target[r]] = n_slots
                first_of[n_slots] = target[r]
                n_slots += 1
        offsets = np.zeros(n_slots + 1, dtype=np.int64)
        for k in range(n_slots):
            offsets[k + 1] = offsets[k] + counts[first_of[k]]
        buf = np.empty(offsets[n_slots], dtype=np.float32)
        fill = np.zeros(n_slots, dtype=np.int64)
        for i in range(n):
            k = slot[bits[i] >> SHIFT]
            if k >= 0:
                buf[offsets[k] + fill[k]] = vals[i]
                fill[k] += 1
        for k in range(n_slots):
            buf[offsets[k] : offsets[k + 1]].sort()
        for r in range(m):
            stats[r] = buf[offsets[slot[target[r]]] + ranks[r] - before[r]]
        for k in range(n_slots):
            slot[first_of[k]] = -1
        counts[lo_bin : hi_bin + 1] = 0

    @jit(cache=True, error_model="numpy")
    def column_quantiles(vals: Any, bits: Any, qs: Any, out: Any, counts: Any, slot: Any) -> None:
        """numpy's default (linear) quantiles ``qs`` of ``vals`` (N,) into ``out``."""
        n = vals.shape[0]
        nq = qs.shape[0]
        ranks = np.empty(2 * nq, dtype=np.int64)
        for k in range(nq):
            low = int(np.floor(qs[k] * (n - 1)))
            ranks[2 * k] = low
            ranks[2 * k + 1] = min(low + 1, n - 1)
        stats = np.empty(2 * nq, dtype=np.float32)
        histogram_order_stats(vals, bits, ranks, stats, counts, slot)
        for q in range(nq):
            pos = qs[q] * (n - 1)
            t = pos - np.floor(pos)
            a, b = stats[2 * q], stats[2 * q + 1]
            out[q] = a + (b - a) * t if t < 0.5 else b - (b - a) * (1 - t)

    @jit(cache=True, error_model="numpy")
    def count_below(vals: Any, threshold: float) -> int:
        c = np.int32(0)  # int32 and a loop from 0: the compiler vectorises it
        t = np.float32(threshold)
        for i in range(vals.shape[0]):
            c += np.int32(vals[i] < t)
        return int(c)

    @jit(cache=True, error_model="numpy", fastmath=True)
    def step_people(
        tc: Any,
        hc: Any,
        liver: Any,
        tissue: Any,
        bound: Any,
        cell: Any,
        absorbed: Any,
        k_bile: Any,
        k_urine: Any,
        first: Any,
        stores: Any,  # float32 markers of this day: stores, serum, holoTC, cellular pool
        serum_out: Any,
        holotc: Any,
        pool: Any,
        day: int,
        ret: float,
        demand: float,
        sc: Any,
        thr_serum: float,
    ) -> None:
        """One day of ``model.step`` for a group of people (1-D views of the state, updated
        in place). The loop runs from index 0 over views, so that the compiler knows the
        indices are not negative and vectorises it (about 2.5 times faster)."""
        k_tc, k_rel, f_liver, vmax, km, k_on, hc_cap, k_hc, capacity, lag, conv, phi, rel_km = (
            sc[0],
            sc[1],
            sc[2],
            sc[3],
            sc[4],
            sc[5],
            sc[6],
            sc[7],
            sc[8],
            sc[9],
            sc[10],
            sc[11],
            sc[12],
        )
        inv_cap = 1.0 / capacity
        inv_lag = 1.0 / (1.0 + lag)
        inv_hc = 1.0 / (1.0 + k_hc)
        for i in range(tc.shape[0]):
            tc_i, hc_i, l_i, t_i = tc[i], hc[i], liver[i], tissue[i]
            store = l_i + t_i
            room = min(max(1.0 - store * inv_cap, 0.0), 1.0)
            net = absorbed[i] * room - demand
            bile = k_bile[i] * store
            reab = vmax * bile / (km + bile)
            rel = k_rel * rel_km / (rel_km + store)
            inv_out = 1.0 / (1.0 + rel + k_bile[i] + k_urine[i])
            load = k_on * l_i
            hc_new = (hc_i + load * hc_cap) / (1.0 + load + k_hc)
            bound_in = bound[i] + phi * ret
            bound_new = bound_in * inv_hc
            y_tc = tc_i + max(net, 0.0) + reab
            y_l = l_i + min(net, 0.0) - (hc_new - hc_i) + (1.0 - phi) * ret
            y_l = y_l + (bound_in - bound_new)
            y_t = t_i
            tc_new = (y_tc + rel * (y_l + y_t) * inv_out) / (1.0 + k_tc - rel * k_tc * inv_out)
            l_new = (y_l + f_liver * k_tc * tc_new) * inv_out
            t_new = (y_t + (1.0 - f_liver) * k_tc * tc_new) * inv_out
            tc_i = max(tc_new, 0.0)
            hc_i = max(hc_new, 0.0)
            l_i = max(l_new, 0.0)
            t_i = max(t_new, 0.0)
            b_i = max(bound_new, 0.0)
            cell_i = (cell[i] + lag * tc_i * conv) * inv_lag
            tc[i], hc[i], liver[i], tissue[i], bound[i], cell[i] = tc_i, hc_i, l_i, t_i, b_i, cell_i
            serum = (tc_i + hc_i + b_i) * conv
            f = first[i]
            first[i] = day if (serum < thr_serum and f < 0) else f
            stores[i] = l_i + t_i
            serum_out[i] = serum
            holotc[i] = tc_i * conv
            pool[i] = cell_i

    @jit(cache=True, parallel=PARALLEL, error_model="numpy")
    def run(
        x0: Any,  # (5, N)
        cell0: Any,  # (N,)
        base: Any,  # (N,) absorbed from food per day
        dose_days: Any,  # (n_doses, days) bool
        dose_amounts: Any,  # (n_doses, N)
        retained: Any,  # (days,)
        demand: float,
        k_bile: Any,  # (N,)
        k_urine: Any,  # (N,)
        sc: Any,  # scalars: k_tc, k_rel, f, vmax, km, k_on, hc_cap, k_hc, capacity, lag, conv, phi,
        # k_rel_km
        thresholds: Any,  # serum, holoTC, cellular pool at the MMA cut-off
        is_out: Any,  # (days+1,) output index of each day, -1 if not reported
        qs: Any,
        q_out: Any,  # (K, n_q, 4): stores, serum, holoTC, cellular pool
        frac_out: Any,  # (K, 3)
        first_below: Any,  # (N,) NaN until the first day serum < threshold
    ) -> None:
        conv = sc[10]
        n = x0.shape[1]
        days = retained.shape[0]
        n_doses = dose_days.shape[0]
        tc = x0[0].copy()
        hc = x0[1].copy()
        liver = x0[2].copy()
        tissue = x0[3].copy()
        bound = x0[4].copy()
        cell = cell0.copy()
        # histogram scratch and quantiles per marker (phase 2 can run one marker per thread)
        counts = np.zeros((4, 1 << (31 - SHIFT)), dtype=np.int32)
        slots = np.full((4, 1 << (31 - SHIFT)), -1, dtype=np.int16)
        q_col = np.empty((4, qs.shape[0]))
        chunks = 256
        thr_serum = thresholds[0]
        first = np.full(n, -1, dtype=np.int64)
        absorbed_today = np.empty(n)
        size = (n + chunks - 1) // chunks
        # markers of a block of days: (BLOCK, 4, N) float32 (sorted as float32; the state
        # itself is float64)
        mk = np.empty((BLOCK, 4, n), dtype=np.float32)
        mk_bits = mk.view(np.int32)
        block_start = 0  # first day of the block (day 0 is the starting state)
        while block_start <= days:
            block_end = min(block_start + BLOCK, days + 1)
            # phase 1: each group of people steps through the block's days (the group's state
            # stays in cache; the inner loop over people has no dependencies and vectorises)
            for ch in numba.prange(chunks):
                lo = ch * size
                hi = min((ch + 1) * size, n)
                for day in range(block_start, block_end):
                    j = day - block_start
                    if day == 0:
                        for i in range(lo, hi):
                            serum = (tc[i] + hc[i] + bound[i]) * conv
                            first[i] = 0 if serum < thr_serum else -1
                            mk[j, 0, i] = liver[i] + tissue[i]
                            mk[j, 1, i] = serum
                            mk[j, 2, i] = tc[i] * conv
                            mk[j, 3, i] = cell[i]
                        continue
                    dosed = False
                    for d in range(n_doses):
                        dosed = dosed or dose_days[d, day - 1]
                    if dosed:
                        for i in range(lo, hi):
                            absorbed_today[i] = base[i]
                        for d in range(n_doses):
                            if dose_days[d, day - 1]:
                                for i in range(lo, hi):
                                    absorbed_today[i] += dose_amounts[d, i]
                    source = absorbed_today if dosed else base
                    step_people(
                        tc[lo:hi],
                        hc[lo:hi],
                        liver[lo:hi],
                        tissue[lo:hi],
                        bound[lo:hi],
                        cell[lo:hi],
                        source[lo:hi],
                        k_bile[lo:hi],
                        k_urine[lo:hi],
                        first[lo:hi],
                        mk[j, 0, lo:hi],
                        mk[j, 1, lo:hi],
                        mk[j, 2, lo:hi],
                        mk[j, 3, lo:hi],
                        day,
                        retained[day - 1],
                        demand,
                        sc,
                        thr_serum,
                    )
            # phase 2: quantiles and shares of the reported days, marker by marker
            for k in numba.prange(4):
                for j in range(block_end - block_start):
                    out = is_out[block_start + j]
                    if out >= 0:
                        column_quantiles(mk[j, k], mk_bits[j, k], qs, q_col[k], counts[k], slots[k])
                        for q in range(qs.shape[0]):
                            q_out[out, q, k] = q_col[k, q]
                        if k > 0:
                            frac_out[out, k - 1] = count_below(mk[j, k], thresholds[k - 1]) / n
            block_start = block_end
        for i in range(n):
            if first[i] >= 0:
                first_below[i] = first[i]


def summarise(inputs: SimulationInputs, every: int) -> RawSummary:
    """Population summary with the compiled day loop (same numbers as the numpy loop)."""
    from cobalamin.physiology.inputs import RawSummary, output_days
    from cobalamin.physiology.model import cell_at_mma_cutoff

    p, c, drive = inputs.params, inputs.coef, inputs.drive
    n = inputs.n
    days_out = output_days(drive.days, every)
    if drive.doses:
        dose_days = np.stack([mask for mask, _ in drive.doses])
        dose_amounts = np.stack([np.broadcast_to(a, (n,)) for _, a in drive.doses])
    else:
        dose_days = np.zeros((0, drive.days), dtype=np.bool_)
        dose_amounts = np.zeros((0, n))
    scalars = np.array(
        [
            c.k_tc,
            c.k_rel,
            c.f_liver,
            c.reab_vmax,
            c.reab_km,
            c.k_on,
            c.hc_cap,
            c.k_hc,
            c.capacity,
            c.lag,
            c.conv,
            c.phi,
            c.k_rel_km,
        ]
    )
    thresholds = np.array([p.threshold_serum, p.threshold_holotc, cell_at_mma_cutoff(p)])
    is_out = np.full(drive.days + 1, -1, dtype=np.int64)
    is_out[days_out] = np.arange(days_out.size)
    q_out = np.empty((days_out.size, QUANTILES.size, 4))
    frac_out = np.empty((days_out.size, 3))
    first: npt.NDArray[np.float64] = np.full(n, np.nan)
    run(
        np.ascontiguousarray(inputs.x0, dtype=np.float64),
        np.ascontiguousarray(inputs.cell0, dtype=np.float64),
        np.ascontiguousarray(np.broadcast_to(drive.base_absorbed, (n,)), dtype=np.float64),
        np.ascontiguousarray(dose_days),
        np.ascontiguousarray(dose_amounts, dtype=np.float64),
        np.ascontiguousarray(drive.retained_im, dtype=np.float64),
        float(drive.demand_ug_per_day),
        np.ascontiguousarray(c.k_bile, dtype=np.float64),
        np.ascontiguousarray(c.k_urine, dtype=np.float64),
        scalars,
        thresholds,
        is_out,
        QUANTILES,
        q_out,
        frac_out,
        first,
    )
    return RawSummary(days_out, q_out, frac_out, first)
