"""The store model: compartments, daily time step, vectorised over people.

State per person (µg): ``TC`` holo-transcobalamin in plasma, ``HC`` holo-haptocorrin in plasma,
``L`` liver store, ``T`` peripheral tissue store. Flows per day (parameters in
``data/physiology.yaml``)::

    absorbed A           -> TC           (scaled by 1 - S/capacity; the rest spills to urine)
    k_tc * TC            -> L (share f) and T (share 1 - f)
    k_rel * L, k_rel * T -> TC           (release from stores)
    k_bile * (L, T)      -> bile; r0 * s_IF of it reabsorbed into TC, the rest lost
    k_u * L, k_u * T     -> urine
    k_lh * L -> HC,  k_hc * HC -> L      (haptocorrin pool)
    IM dose D            -> L, retained part r_max * D / (k_d + D) (the rest: urine)
    fetal / milk demand  -> taken from absorbed B12, the shortfall from L

The linear part is stepped with backward Euler (stable for the fast holoTC turnover); the
saturable parts (absorption, capacity, injection binding) are evaluated once per day.
Markers: holoTC = TC / V, serum B12 = (TC + HC) / V (pmol/L); a cellular pool C follows holoTC
with a lag and drives MMA (Hill curve) and tHcy (scaled from MMA).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from cobalamin.physiology.parameters import Parameters

__all__ = ["Drive", "Markers", "Trajectory", "markers", "run", "steady_state", "system"]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
TC, HC, L, T = 0, 1, 2, 3


def _rate_matrix(params: Parameters, s_if: float, loss: FloatArray) -> FloatArray:
    """dx/dt = M x for each person: M has shape (N, 4, 4)."""
    n = loss.shape[0]
    k_tc, k_rel, k_lh, k_hc = (
        params.k_tc_delivery,
        params.k_store_release,
        params.k_liver_to_hc,
        params.k_hc_clearance,
    )
    k_bile = params.k_bile * loss
    k_u = params.k_urine * loss
    r = params.bile_reabsorption_r0 * s_if
    f = params.liver_share_of_uptake
    m = np.zeros((n, 4, 4))
    m[:, TC, TC] = -k_tc
    m[:, TC, L] = k_rel + r * k_bile
    m[:, TC, T] = k_rel + r * k_bile
    m[:, HC, HC] = -k_hc
    m[:, HC, L] = k_lh
    m[:, L, TC] = f * k_tc
    m[:, L, L] = -(k_rel + k_bile + k_u + k_lh)
    m[:, L, HC] = k_hc
    m[:, T, TC] = (1 - f) * k_tc
    m[:, T, T] = -(k_rel + k_bile + k_u)
    return m


@dataclass(frozen=True)
class System:
    step: FloatArray  # (N, 4, 4): inv(I - M), one backward-Euler day
    green: FloatArray  # (N, 4): steady state per µg/day absorbed into TC (-inv(M)[:, :, TC])


def system(params: Parameters, s_if: float, loss: FloatArray) -> System:
    m = _rate_matrix(params, s_if, loss)
    eye = np.eye(4)[None, :, :]
    step = np.asarray(np.linalg.inv(eye - m), dtype=np.float64)
    green = np.asarray(-np.linalg.inv(m)[:, :, TC], dtype=np.float64)
    return System(step=step, green=green)


def steady_state(params: Parameters, sys: System, absorbed: FloatArray) -> FloatArray:
    """The state (N, 4) at which a constant absorption (N,) µg/day is balanced by losses.

    The store S = L + T is linear in the absorption that reaches it, A_eff = A (1 - S/Smax),
    so S = cA / (1 + cA / Smax) in closed form.
    """
    c = sys.green[:, L] + sys.green[:, T]
    ca = c * absorbed
    store = ca / (1 + ca / params.store_capacity_ug)
    a_eff = absorbed * (1 - store / params.store_capacity_ug)
    out: FloatArray = sys.green * a_eff[:, None]
    return out


@dataclass(frozen=True)
class Drive:
    """What goes in, per day. ``doses`` are (day mask of shape (days,), µg absorbed (N,))."""

    days: int
    base_absorbed: FloatArray  # (N,) absorbed from food every day
    doses: tuple[tuple[BoolArray, FloatArray], ...]  # oral supplements
    retained_im: FloatArray  # (days,) µg retained from injections on each day
    demand_ug_per_day: float  # fetal uptake + milk output


@dataclass(frozen=True)
class Markers:
    stores_ug: FloatArray
    serum_b12: FloatArray
    holotc: FloatArray
    mma: FloatArray
    hcy: FloatArray


def markers(params: Parameters, x: FloatArray, cell: FloatArray) -> Markers:
    """Serum markers of states x (..., 4) and cellular pools (...)."""
    conv = params.pmol_per_ug / params.plasma_volume_l
    holotc = x[..., TC] * conv
    serum = (x[..., TC] + x[..., HC]) * conv
    mma = mma_of_cell(params, cell)
    hcy = hcy_of_mma(params, mma)
    return Markers(x[..., L] + x[..., T], serum, holotc, mma, hcy)


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


class Recorder:
    """Receives (day, state, cellular pool) each day; subclasses keep what they need."""

    def __call__(self, day: int, x: FloatArray, cell: FloatArray) -> None:  # pragma: no cover
        raise NotImplementedError


@dataclass
class Trajectory:
    """Per-day records: either full arrays (one person) or summaries (population)."""

    x: FloatArray  # final state (N, 4)
    cell: FloatArray  # final cellular pool (N,)


def run(
    params: Parameters,
    sys: System,
    drive: Drive,
    x0: FloatArray,
    record: Recorder,
) -> Trajectory:
    """Step the model ``drive.days`` days from x0 (N, 4); ``record`` sees every day.

    Internally the state is kept as (4, N) rows and the daily 4x4 step is written out as 16
    vector operations: several times faster than a batched matrix product for large N.
    """
    step = np.ascontiguousarray(sys.step.transpose(1, 2, 0))  # (4, 4, N)
    x = np.ascontiguousarray(x0.T)  # (4, N)
    y = np.empty_like(x)
    new = np.empty_like(x)
    tmp = np.empty(x.shape[1])
    conv = params.pmol_per_ug / params.plasma_volume_l
    cell = x[TC] * conv
    lag = 1.0 / params.cellular_tau_days
    capacity = params.store_capacity_ug
    record(0, x.T, cell)
    for day in range(drive.days):
        absorbed = drive.base_absorbed
        for mask, amount in drive.doses:
            if mask[day]:
                absorbed = absorbed + amount
        room = np.clip(1 - (x[L] + x[T]) / capacity, 0.0, 1.0)
        net = absorbed * room - drive.demand_ug_per_day
        np.copyto(y, x)
        y[TC] += np.maximum(net, 0.0)
        y[L] += np.minimum(net, 0.0) + drive.retained_im[day]
        for i in range(4):
            np.multiply(step[i, 0], y[0], out=new[i])
            for j in range(1, 4):
                np.multiply(step[i, j], y[j], out=tmp)
                new[i] += tmp
        np.maximum(new, 0.0, out=new)
        x, new = new, x
        cell = (cell + lag * x[TC] * conv) / (1 + lag)
        record(day + 1, x.T, cell)
    return Trajectory(x=np.ascontiguousarray(x.T), cell=cell)
