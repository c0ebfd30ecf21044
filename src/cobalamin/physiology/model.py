"""The store model: compartments, one day per step, vectorised over people.

State per person (µg): ``TC`` holo-transcobalamin in plasma, ``HC`` holo-haptocorrin in plasma,
``L`` liver store, ``T`` peripheral tissue store, ``P`` injected B12 bound in plasma; and ``C``, a cellular pool (pmol/L) that
follows holoTC with a lag and drives MMA and tHcy. Flows per day (``data/physiology.yaml``)::

    absorbed A              -> TC   scaled by (1 - S/S_max); the rest spills into urine
    k_tc * TC               -> L (share f) and T (share 1 - f)
    k_rel(S) * (L, T)       -> TC   release from stores, saturable in the store S:
                               k_rel(S) = k_rel * K_r / (K_r + S), so holoTC is concave in S
    bile B = k_bile * (L+T) -> gut; R = s_IF * r_low * B * K_b / (K_b + B) reabsorbed into TC
                               (saturable IF route: the reabsorbed share rises as stores fall)
    k_u * (L, T)            -> urine
    L <-> HC                loading k_on * L * (H_cap - HC), clearance k_hc * HC back to L
                               (haptocorrin saturates: holoHC = H_cap * L / (K_h + L) at rest)
    injection D             -> free B12: early urinary loss (injection.py); of the bound part a
                               share phi circulates bound to plasma proteins (P, counted in
                               serum B12) and is cleared to L at k_hc; the rest goes to L
    fetal / milk demand     -> taken from absorbed B12, the shortfall from L

One day: the nonlinear fluxes (reabsorption, spill-over) are evaluated at the start of the day;
HC and the linear TC/L/T exchange are stepped with backward Euler (stable for the 30-minute
holoTC turnover). ``step`` below is the straightforward implementation; ``fast.py`` runs the
same arithmetic compiled, for populations.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from cobalamin.knowledge.physiology import Parameters

__all__ = [
    "Coefficients",
    "Drive",
    "Markers",
    "coefficients",
    "hcy_of_mma",
    "markers",
    "mma_of_cell",
    "run_reference",
    "steady_state",
    "step",
]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
TC, HC, L, T, P = 0, 1, 2, 3, 4


@dataclass(frozen=True)
class Coefficients:
    """Per-person rate constants (arrays of shape (N,)) and shared scalars."""

    k_tc: float
    k_rel: float  # release rate per µg of store when the store is small
    k_rel_km: float  # store (µg) at which release is half of k_rel * store (saturable release)
    f_liver: float
    k_bile: FloatArray
    k_urine: FloatArray
    reab_vmax: float  # s_IF * r_low * K_b (µg/day)
    reab_km: float  # K_b (µg/day of biliary flow)
    k_on: float  # HC loading per µg of liver per day
    hc_cap: float  # µg
    k_hc: float
    capacity: float  # store capacity (µg)
    phi: float  # share of a retained injection that circulates bound in plasma
    lag: float  # 1 / cellular time constant
    conv: float  # pmol/L per µg in plasma


def coefficients(params: Parameters, s_if: float, loss: FloatArray) -> Coefficients:
    """Rate constants for people with loss multipliers ``loss`` (N,) and IF factor ``s_if``."""
    k_b = params.bile_half_saturation_ug_per_day
    return Coefficients(
        k_tc=params.k_tc_delivery,
        k_rel=params.k_store_release,
        k_rel_km=params.store_release_half_saturation_ug,
        f_liver=params.liver_share_of_uptake,
        k_bile=params.k_bile * loss,
        k_urine=params.k_urine * loss,
        reab_vmax=s_if * params.bile_reabsorption_low * k_b,
        reab_km=k_b,
        k_on=params.k_hc_clearance / params.hc_half_saturation_ug,
        hc_cap=params.hc_capacity_ug,
        k_hc=params.k_hc_clearance,
        capacity=params.store_capacity_ug,
        phi=params.injection_plasma_share,
        lag=1.0 / params.cellular_tau_days,
        conv=params.pmol_l_per_ug,
    )


@dataclass(frozen=True)
class Drive:
    """What goes in, per day.

    ``base_absorbed`` (N,) from food every day; ``doses`` are (day mask (days,), µg absorbed
    per person (N,)) for oral supplements; ``retained_im`` (days,) µg retained from injections.
    """

    days: int
    base_absorbed: FloatArray
    doses: tuple[tuple[BoolArray, FloatArray], ...]
    retained_im: FloatArray
    demand_ug_per_day: float

    def absorbed_on(self, day: int) -> FloatArray:
        absorbed = self.base_absorbed
        for mask, amount in self.doses:
            if mask[day]:
                absorbed = absorbed + amount
        return absorbed


def step(
    c: Coefficients,
    x: FloatArray,
    cell: FloatArray,
    absorbed: FloatArray,
    retained: float,
    demand: float,
) -> tuple[FloatArray, FloatArray]:
    """One day for every person: state x (5, N) and cellular pool (N,) -> the next day's."""
    tc, hc, liver, tissue, bound = x[TC], x[HC], x[L], x[T], x[P]
    store = liver + tissue
    room = np.clip(1.0 - store / c.capacity, 0.0, 1.0)
    net = absorbed * room - demand
    bile = c.k_bile * store
    reab = c.reab_vmax * bile / (c.reab_km + bile)
    k_rel = release_rate(c, store)
    # haptocorrin: backward Euler with the liver store of the start of the day
    load = c.k_on * liver
    hc_new = (hc + load * c.hc_cap) / (1.0 + load + c.k_hc)
    # injected B12 bound in plasma: backward Euler, cleared to the liver
    bound_in = bound + c.phi * retained
    bound_new = bound_in * (1.0 / (1.0 + c.k_hc))
    # linear exchange TC <-> L, T with bile and urine losses: backward Euler, solved in closed form
    y_tc = tc + np.maximum(net, 0.0) + reab
    y_l = liver + np.minimum(net, 0.0) - (hc_new - hc) + (1.0 - c.phi) * retained
    y_l = y_l + (bound_in - bound_new)
    y_t = tissue
    out_rate = 1.0 + k_rel + c.k_bile + c.k_urine
    tc_new = (y_tc + k_rel * (y_l + y_t) / out_rate) / (1.0 + c.k_tc - k_rel * c.k_tc / out_rate)
    l_new = (y_l + c.f_liver * c.k_tc * tc_new) / out_rate
    t_new = (y_t + (1.0 - c.f_liver) * c.k_tc * tc_new) / out_rate
    new = np.maximum(np.stack([tc_new, hc_new, l_new, t_new, bound_new]), 0.0)
    cell_new = (cell + c.lag * new[TC] * c.conv) * (1.0 / (1.0 + c.lag))
    return new, cell_new


def release_rate(c: Coefficients, store: FloatArray) -> FloatArray:
    """Release from the stores into holoTC per µg of store and day (saturable in the store)."""
    out: FloatArray = c.k_rel * c.k_rel_km / (c.k_rel_km + store)
    return out


def steady_state(
    params: Parameters, c: Coefficients, absorbed: FloatArray, demand: float = 0.0
) -> FloatArray:
    """The state (5, N) at which a constant daily absorption (N,) is balanced by losses.

    At rest L = f S, T = (1 - f) S and the store S solves
    (k_u + k_bile + A / S_max) S - R(k_bile S) = A - demand, a quadratic in S.
    The backward-Euler day has the same fixed point as the differential equations.
    """
    a = np.asarray(absorbed, dtype=np.float64)
    kb, ku = c.k_bile, c.k_urine
    lin = ku + kb + a / c.capacity
    # (lin S - A')(K + kb S) = vmax kb S  ->  lin kb S^2 + (lin K - A' kb - vmax kb) S - A' K = 0
    a_net = np.maximum(a - demand, 0.0)
    qa = lin * kb
    qb = lin * c.reab_km - a_net * kb - c.reab_vmax * kb
    qc = -a_net * c.reab_km
    store = (-qb + np.sqrt(qb * qb - 4 * qa * qc)) / (2 * qa)
    liver = c.f_liver * store
    tissue = (1 - c.f_liver) * store
    tc = (release_rate(c, store) + kb + ku) * store / c.k_tc
    hc = c.hc_cap * liver / (params.hc_half_saturation_ug + liver)
    out: FloatArray = np.stack([tc, hc, liver, tissue, np.zeros_like(store)])
    return out


@dataclass(frozen=True)
class Markers:
    stores_ug: FloatArray
    serum_b12: FloatArray
    holotc: FloatArray
    mma: FloatArray
    hcy: FloatArray


def markers(params: Parameters, x: FloatArray, cell: FloatArray) -> Markers:
    """Serum markers of states x (5, ...) and cellular pools (...)."""
    conv = params.pmol_l_per_ug
    holotc = x[TC] * conv
    serum = (x[TC] + x[HC] + x[P]) * conv
    mma = mma_of_cell(params, cell)
    return Markers(x[L] + x[T], serum, holotc, mma, hcy_of_mma(params, mma))


def mma_of_cell(params: Parameters, cell: FloatArray) -> FloatArray:
    ratio = np.maximum(cell, 0.0) / params.mma_half_holotc
    span = params.mma_ceiling - params.mma_baseline
    out: FloatArray = params.mma_baseline + span / (1 + ratio**params.mma_hill)
    return out


def hcy_of_mma(params: Parameters, mma: FloatArray) -> FloatArray:
    slope = (params.hcy_at_mma_cutoff - params.hcy_baseline) / (
        params.threshold_mma - params.mma_baseline
    )
    out: FloatArray = params.hcy_baseline + slope * (mma - params.mma_baseline)
    return out


def cell_at_mma_cutoff(params: Parameters) -> float:
    """The cellular pool at which MMA equals its cut-off (inverse of the Hill curve)."""
    span = params.mma_ceiling - params.mma_baseline
    ratio = (span / (params.threshold_mma - params.mma_baseline) - 1) ** (1 / params.mma_hill)
    return float(params.mma_half_holotc * ratio)


def run_reference(
    c: Coefficients, drive: Drive, x0: FloatArray, cell0: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Every day of every person, step by step: states (days+1, 5, N), pools (days+1, N).

    The straightforward implementation: one person or a few; the population fast path in
    ``fast.py`` must agree with it (tests/physiology/test_physiology_fast.py).
    """
    xs = np.empty((drive.days + 1, *x0.shape))
    cells = np.empty((drive.days + 1, x0.shape[1]))
    xs[0], cells[0] = x0, cell0
    x, cell = x0, cell0
    for day in range(drive.days):
        x, cell = step(
            c,
            x,
            cell,
            drive.absorbed_on(day),
            float(drive.retained_im[day]),
            drive.demand_ug_per_day,
        )
        xs[day + 1], cells[day + 1] = x, cell
    return xs, cells
