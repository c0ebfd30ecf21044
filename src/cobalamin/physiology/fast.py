"""Population fast path: the day step of ``model.step`` compiled with numba, plus quantiles.

The arithmetic per person and day is exactly that of :func:`cobalamin.physiology.model.step`
(tests/physiology/test_physiology_fast.py holds the two equal). Two things make it fast:

- each person steps through a block of days with the state in registers (threads over groups
  of people), instead of ~40 numpy passes over arrays of 100,000 people per day;
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
PARALLEL = True
SHIFT = 14  # float32 bits dropped for a histogram bin: 512 bins per octave
BLOCK = 16  # days stepped per person before the quantiles of those days are taken
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
    def quantiles_of_day(vals: Any, bits: Any, qs: Any, out: Any, counts: Any, slot: Any) -> None:
        """numpy's default (linear) quantiles ``qs`` of each column of ``vals`` (N, M).

        Exact, in two passes over the people and without sorting everything: the bit pattern
        of a non-negative float32 grows with its value, so its top bits are a histogram bin
        (2**(23 - SHIFT) bins per octave). Pass 1 counts per bin (all columns at once); the
        cumulative counts give the bin of each wanted rank; pass 2 collects only the values
        of those bins, which are sorted. ``bits`` is ``vals`` viewed as int32; ``counts`` and
        ``slot`` (M, bins) must be zero / -1 on entry and are left so. ``out`` is (len(qs), M).
        """
        n, n_cols = vals.shape
        nq = qs.shape[0]
        m = 2 * nq
        ranks = np.empty(m, dtype=np.int64)
        for k in range(nq):
            lo = int(np.floor(qs[k] * (n - 1)))
            ranks[2 * k] = lo
            ranks[2 * k + 1] = min(lo + 1, n - 1)
        lo_bin = np.full(n_cols, counts.shape[1], dtype=np.int64)
        hi_bin = np.zeros(n_cols, dtype=np.int64)
        for i in range(n):
            for c in range(n_cols):
                b = bits[i, c] >> SHIFT
                counts[c, b] += 1
                lo_bin[c] = min(lo_bin[c], b)
                hi_bin[c] = max(hi_bin[c], b)
        target_bin = np.empty((n_cols, m), dtype=np.int64)
        before = np.empty((n_cols, m), dtype=np.int64)
        first_of = np.empty((n_cols, m), dtype=np.int64)
        n_slots = np.zeros(n_cols, dtype=np.int64)
        offsets = np.zeros((n_cols, m + 1), dtype=np.int64)
        for c in range(n_cols):
            acc = 0
            r = 0
            for b in range(lo_bin[c], hi_bin[c] + 1):
                cnt = counts[c, b]
                while r < m and ranks[r] < acc + cnt:
                    target_bin[c, r] = b
                    before[c, r] = acc
                    r += 1
                acc += cnt
                if r == m:
                    break
            for r in range(m):
                b = target_bin[c, r]
                if slot[c, b] < 0:
                    slot[c, b] = n_slots[c]
                    first_of[c, n_slots[c]] = b
                    n_slots[c] += 1
            for k in range(n_slots[c]):
                offsets[c, k + 1] = offsets[c, k] + counts[c, first_of[c, k]]
        total = 0
        for c in range(n_cols):
            total += offsets[c, n_slots[c]]
        buf = np.empty(total, dtype=np.float32)
        base = np.zeros(n_cols, dtype=np.int64)
        for c in range(1, n_cols):
            base[c] = base[c - 1] + offsets[c - 1, n_slots[c - 1]]
        fill = np.zeros((n_cols, m), dtype=np.int64)
        for i in range(n):
            for c in range(n_cols):
                k = slot[c, bits[i, c] >> SHIFT]
                if k >= 0:
                    buf[base[c] + offsets[c, k] + fill[c, k]] = vals[i, c]
                    fill[c, k] += 1
        for c in range(n_cols):
            for k in range(n_slots[c]):
                buf[base[c] + offsets[c, k] : base[c] + offsets[c, k + 1]].sort()
            for q in range(nq):
                stats = np.empty(2)
                for h in range(2):
                    r = 2 * q + h
                    k = slot[c, target_bin[c, r]]
                    stats[h] = buf[base[c] + offsets[c, k] + ranks[r] - before[c, r]]
                pos = qs[q] * (n - 1)
                t = pos - np.floor(pos)
                a, b2 = stats[0], stats[1]
                out[q, c] = a + (b2 - a) * t if t < 0.5 else b2 - (b2 - a) * (1 - t)
            for k in range(n_slots[c]):
                slot[c, first_of[c, k]] = -1
            counts[c, lo_bin[c] : hi_bin[c] + 1] = 0

    @jit(cache=True, error_model="numpy")
    def count_below(vals: Any, threshold: float) -> int:
        c = 0
        t = np.float32(threshold)
        for i in range(vals.shape[0]):
            c += vals[i] < t
        return c

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
        tasks: int,  # quantile tasks run at once (threads); each has its own scratch
    ) -> None:
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
        n = x0.shape[1]
        days = retained.shape[0]
        n_doses = dose_days.shape[0]
        inv_cap = 1.0 / capacity
        tc = x0[0].copy()
        hc = x0[1].copy()
        liver = x0[2].copy()
        tissue = x0[3].copy()
        bound = x0[4].copy()
        cell = cell0.copy()
        counts = np.zeros((tasks, 4, 1 << (31 - SHIFT)), dtype=np.int32)
        slots = np.full((tasks, 4, 1 << (31 - SHIFT)), -1, dtype=np.int16)
        q_day = np.empty((BLOCK, qs.shape[0], 4))
        chunks = 256
        thr_serum = thresholds[0]
        inv_lag = 1.0 / (1.0 + lag)
        inv_hc = 1.0 / (1.0 + k_hc)
        first = np.full(n, -1, dtype=np.int64)
        absorbed_today = np.empty(n)
        size = (n + chunks - 1) // chunks
        # markers of a block of days: (BLOCK, N, 4) float32 (sorted as float32; the state
        # itself is float64)
        mk = np.empty((BLOCK, n, 4), dtype=np.float32)
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
                            mk[j, i, 0] = liver[i] + tissue[i]
                            mk[j, i, 1] = serum
                            mk[j, i, 2] = tc[i] * conv
                            mk[j, i, 3] = cell[i]
                        continue
                    ret = retained[day - 1]
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
                    for i in range(lo, hi):
                        tc_i, hc_i, l_i, t_i = tc[i], hc[i], liver[i], tissue[i]
                        store = l_i + t_i
                        room = min(max(1.0 - store * inv_cap, 0.0), 1.0)
                        net = source[i] * room - demand
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
                        tc_new = (y_tc + rel * (y_l + y_t) * inv_out) / (
                            1.0 + k_tc - rel * k_tc * inv_out
                        )
                        l_new = (y_l + f_liver * k_tc * tc_new) * inv_out
                        t_new = (y_t + (1.0 - f_liver) * k_tc * tc_new) * inv_out
                        tc_i = max(tc_new, 0.0)
                        hc_i = max(hc_new, 0.0)
                        l_i = max(l_new, 0.0)
                        t_i = max(t_new, 0.0)
                        cell_i = (cell[i] + lag * tc_i * conv) * inv_lag
                        tc[i], hc[i], liver[i], tissue[i], cell[i] = tc_i, hc_i, l_i, t_i, cell_i
                        bound[i] = max(bound_new, 0.0)
                        serum = (tc_i + hc_i + bound[i]) * conv
                        f = first[i]
                        first[i] = day if (serum < thr_serum and f < 0) else f
                        mk[j, i, 0] = l_i + t_i
                        mk[j, i, 1] = serum
                        mk[j, i, 2] = tc_i * conv
                        mk[j, i, 3] = cell_i
            # phase 2: quantiles and shares of the reported days, one task per day
            # (each task reuses one scratch histogram, so that it stays in cache)
            for t in numba.prange(tasks):
                for j in range(t, block_end - block_start, tasks):
                    out = is_out[block_start + j]
                    if out >= 0:
                        quantiles_of_day(mk[j], mk_bits[j], qs, q_day[j], counts[t], slots[t])
                        for k in range(4):
                            for q in range(qs.shape[0]):
                                q_out[out, q, k] = q_day[j, q, k]
                            if k > 0:
                                frac_out[out, k - 1] = (
                                    count_below(mk[j, :, k], thresholds[k - 1]) / n
                                )
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
        max(1, min(numba.get_num_threads(), BLOCK)),
    )
    return RawSummary(days_out, q_out, frac_out, first)
