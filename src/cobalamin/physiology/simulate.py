"""``cobalamin.simulate(scenario)``: one person or a population, JSON-ready output."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from cobalamin.defaults import default_knowledge  # TEMPORARY until knowledge is passed in
from cobalamin.nutrition.intake import Meal, estimate, person_modifier
from cobalamin.person import Person
from cobalamin.physiology.absorption import absorb_array
from cobalamin.physiology.model import (
    Drive,
    Recorder,
    hcy_of_mma,
    markers,
    mma_of_cell,
    run,
    steady_state,
    system,
)
from cobalamin.physiology.parameters import Modifier, Parameters, load_parameters
from cobalamin.physiology.scenario import Scenario, parse_scenario

__all__ = ["QUANTILES", "SimulationInputs", "prepare", "simulate", "simulate_scenario"]

FloatArray = npt.NDArray[np.float64]
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


def _meal_absorption(
    meals: tuple[Meal, ...] | None,
    food_ug_per_day: float,
    meals_per_day: float,
    person: Person,
    modifier: Modifier,
    params: Parameters,
    capacity: FloatArray,
) -> FloatArray:
    """Absorbed µg/day from food for each person (N,)."""
    if meals is not None:
        results = estimate(meals, person, params)
        windows: dict[float, float] = {}
        # re-group by window start so that each person's capacity applies per window
        start: float | None = None
        for m in results:
            if start is None or m.hours - start >= params.if_window_hours:
                start = m.hours
            windows[start] = windows.get(start, 0.0) + m.free_ug
        total = np.zeros_like(capacity)
        for free in windows.values():
            total += absorb_array(free, params, s_if=modifier.s_if, capacity=capacity)
        return total
    free = food_ug_per_day / meals_per_day * modifier.food_release
    out: FloatArray = meals_per_day * absorb_array(
        free, params, s_if=modifier.s_if, capacity=capacity
    )
    return out


def _retained_im(dose: float, form: str, params: Parameters) -> float:
    bind = params.injections[form]
    return bind.r_max_ug * dose / (bind.k_d_ug + dose)


@dataclass(frozen=True)
class SimulationInputs:
    params: Parameters
    n: int
    drive: Drive
    x0: FloatArray
    system_scenario: Any
    events: list[dict[str, Any]]
    notes: list[str]
    modifier: Modifier


def _usual_intake(scenario: Scenario, params: Parameters) -> float:
    if scenario.usual_food_ug_per_day is not None:
        return scenario.usual_food_ug_per_day
    diet = scenario.person.diet
    if diet is not None and diet in params.usual_intake_ug_per_day:
        return params.usual_intake_ug_per_day[diet]
    if scenario.food_ug_per_day is not None:
        return scenario.food_ug_per_day
    return params.usual_intake_ug_per_day["omnivore"]


def prepare(scenario: Scenario, params: Parameters | None = None) -> SimulationInputs:
    """Everything the day loop needs, from a validated scenario (pure)."""
    params = params or load_parameters()
    pop = scenario.population
    n = pop.n if pop else 1
    if pop:
        rng = np.random.default_rng(pop.seed)

        def lognormal(cv: float) -> FloatArray:
            sigma = np.sqrt(np.log1p(cv**2))
            out: FloatArray = rng.lognormal(-(sigma**2) / 2, sigma, n)
            return out

        capacity = lognormal(params.absorption_capacity_cv)
        loss = lognormal(params.loss_rate_cv)
    else:
        capacity = np.ones(1)
        loss = np.ones(1)
    person = scenario.person
    modifier = person_modifier(person, params)
    healthy = Modifier()
    usual_meals = params.usual_meals_per_day
    meals_per_day = float(scenario.meals_per_day or usual_meals)

    # initial state: steady state of the usual diet with healthy absorption
    usual = _usual_intake(scenario, params)
    usual_absorbed = _meal_absorption(None, usual, usual_meals, person, healthy, params, capacity)
    sys0 = system(params, healthy.s_if, loss)
    x0 = steady_state(params, sys0, usual_absorbed)
    if scenario.initial_stores_ug is not None:
        shape = x0
        if not np.all(x0[:, 2] + x0[:, 3] > 0):  # a zero usual intake has no shape: use omnivore
            reference = params.usual_intake_ug_per_day["omnivore"]
            shape = steady_state(
                params,
                sys0,
                _meal_absorption(None, reference, usual_meals, person, healthy, params, capacity),
            )
        store = shape[:, 2] + shape[:, 3]
        x0 = shape * (scenario.initial_stores_ug / store)[:, None]

    food = scenario.food_ug_per_day if scenario.food_ug_per_day is not None else usual
    base = _meal_absorption(scenario.meals, food, meals_per_day, person, modifier, params, capacity)
    doses = []
    retained = np.zeros(scenario.days)
    events: list[dict[str, Any]] = []
    for sup in scenario.supplements:
        days = np.arange(scenario.days)
        end = sup.end_day if sup.end_day is not None else scenario.days
        mask = (
            (days >= sup.start_day) & (days < end) & ((days - sup.start_day) % sup.every_days == 0)
        )
        if sup.route == "oral":
            amount = absorb_array(sup.dose_ug, params, s_if=modifier.s_if, capacity=capacity)
            doses.append((mask, amount))
        else:
            retained[mask] += _retained_im(sup.dose_ug, sup.form, params)
            events.extend(
                {"day": int(d), "kind": "injection", "dose_ug": sup.dose_ug, "form": sup.form}
                for d in np.flatnonzero(mask)
            )
    for inj in scenario.injections:
        retained[inj.day] += _retained_im(inj.dose_ug, inj.form, params)
        events.append(
            {"day": inj.day, "kind": "injection", "dose_ug": inj.dose_ug, "form": inj.form}
        )
    surgery = (
        default_knowledge()
        .vocabulary.group_members("conditions", "surgery")
        .intersection(person.conditions)
    )
    events.extend({"day": 0, "kind": "condition", "id": c} for c in sorted(surgery))
    events.sort(key=lambda e: int(e["day"]))
    demand = 0.0
    if person.pregnant:
        demand += params.fetal_uptake_ug_per_day
    if person.lactating:
        demand += params.milk_output_ug_per_day
    notes = [
        f"{key}: {params.not_modelled[key]}"
        for key in (*person.conditions, *person.medication_ids)
        if key in params.not_modelled
    ]
    drive = Drive(scenario.days, base, tuple(doses), retained, demand)
    sys1 = system(params, modifier.s_if, loss)
    return SimulationInputs(params, n, drive, x0, sys1, events, notes, modifier)


@dataclass
class _Full(Recorder):
    """Every day of one person."""

    states: list[FloatArray] = field(default_factory=list)
    cells: list[FloatArray] = field(default_factory=list)

    def __call__(self, day: int, x: FloatArray, cell: FloatArray) -> None:
        self.states.append(x[0].copy())
        self.cells.append(np.array(cell[0]))


@dataclass
class _Summary(Recorder):
    """Quantiles and fractions below thresholds over people, per day.

    Serum B12, holoTC and stores are monotone in one state quantity each, and MMA and tHcy are
    monotone (decreasing) in the cellular pool, so five quantile calls per day become one call
    on a (4, N) stack.
    """

    params: Parameters
    every: int
    last: int
    days: list[int] = field(default_factory=list)
    rows: list[FloatArray] = field(default_factory=list)
    fractions: list[tuple[float, float, float]] = field(default_factory=list)
    first_below: FloatArray | None = None

    def __call__(self, day: int, x: FloatArray, cell: FloatArray) -> None:
        p = self.params
        conv = p.pmol_per_ug / p.plasma_volume_l
        serum = (x[:, 0] + x[:, 1]) * conv
        below = serum < p.threshold_serum
        if self.first_below is None:
            self.first_below = np.full(x.shape[0], np.nan)
        newly = below & np.isnan(self.first_below)
        self.first_below[newly] = day
        if day % self.every and day != self.last:
            return
        stack = np.stack([x[:, 2] + x[:, 3], serum, x[:, 0] * conv, cell])
        self.rows.append(np.quantile(stack, QUANTILES, axis=1))  # (q, 4)
        self.days.append(day)
        self.fractions.append(
            (
                float(below.mean()),
                float((x[:, 0] * conv < p.threshold_holotc).mean()),
                float((cell < _cell_at_mma_cutoff(p)).mean()),
            )
        )


def _cell_at_mma_cutoff(p: Parameters) -> float:
    """The cellular pool at which MMA equals its cut-off (inverse of the Hill curve)."""
    span = p.mma_ceiling - p.mma_baseline
    ratio = (span / (p.threshold_mma - p.mma_baseline) - 1) ** (1 / p.mma_hill)
    return float(p.mma_half_holotc * ratio)


def _first_day(values: FloatArray, threshold: float, below: bool) -> int | None:
    hits = np.flatnonzero(values < threshold if below else values > threshold)
    return int(hits[0]) if hits.size else None


def _round(a: FloatArray, digits: int) -> list[float]:
    return [round(float(v), digits) for v in a]


def simulate_scenario(scenario: Scenario, params: Parameters | None = None) -> dict[str, Any]:
    """Run a validated scenario (pure: no I/O)."""
    inputs = prepare(scenario, params)
    p = inputs.params
    base: dict[str, Any] = {
        "days": scenario.days,
        "thresholds": {
            "serum_b12_pmol_l": p.threshold_serum,
            "holotc_pmol_l": p.threshold_holotc,
            "mma_umol_l": p.threshold_mma,
            "hcy_umol_l": p.threshold_hcy,
            "stores_ug": p.threshold_store_ug,
        },
        "modifier": {"s_if": inputs.modifier.s_if, "food_release": inputs.modifier.food_release},
        "events": inputs.events,
        "notes": inputs.notes,
    }
    if scenario.population is None:
        full = _Full()
        run(p, inputs.system_scenario, inputs.drive, inputs.x0, full)
        x = np.array(full.states)
        cell = np.array(full.cells)
        mk = markers(p, x, cell)
        days_def = _first_day(mk.serum_b12, p.threshold_serum, below=True)
        return {
            **base,
            "day": list(range(scenario.days + 1)),
            "stores_ug": _round(mk.stores_ug, 1),
            "serum_b12_pmol_l": _round(mk.serum_b12, 1),
            "holotc_pmol_l": _round(mk.holotc, 1),
            "mma_umol_l": _round(mk.mma, 3),
            "hcy_umol_l": _round(mk.hcy, 2),
            "days_to_deficiency": days_def,
            "first_day_beyond_threshold": {
                "serum_b12_pmol_l": days_def,
                "holotc_pmol_l": _first_day(mk.holotc, p.threshold_holotc, below=True),
                "mma_umol_l": _first_day(mk.mma, p.threshold_mma, below=False),
                "hcy_umol_l": _first_day(mk.hcy, p.threshold_hcy, below=False),
                "stores_ug": _first_day(mk.stores_ug, p.threshold_store_ug, below=True),
            },
        }
    summary = _Summary(params=p, every=scenario.population.every_days, last=scenario.days)
    run(p, inputs.system_scenario, inputs.drive, inputs.x0, summary)
    q = np.array(summary.rows)  # (days+1, nq, 4)
    conv_cell = q[:, :, 3]
    # MMA and tHcy fall as the cellular pool rises: the p5 of MMA is the p95 of the pool
    mma_q = mma_of_cell(p, conv_cell[:, ::-1])
    hcy_q = hcy_of_mma(p, mma_q)
    names = [f"p{round(v * 100)}" for v in QUANTILES]
    quantiles: dict[str, dict[str, list[float]]] = {}
    for idx, key, digits in (
        (0, "stores_ug", 1),
        (1, "serum_b12_pmol_l", 1),
        (2, "holotc_pmol_l", 1),
    ):
        quantiles[key] = {nm: _round(q[:, j, idx], digits) for j, nm in enumerate(names)}
    quantiles["mma_umol_l"] = {nm: _round(mma_q[:, j], 3) for j, nm in enumerate(names)}
    quantiles["hcy_umol_l"] = {nm: _round(hcy_q[:, j], 2) for j, nm in enumerate(names)}
    fr = np.array(summary.fractions)
    first = summary.first_below if summary.first_below is not None else np.array([np.nan])
    ever = ~np.isnan(first)
    return {
        **base,
        "population": {
            "n": inputs.n,
            "seed": scenario.population.seed,
            "every_days": scenario.population.every_days,
        },
        "day": summary.days,
        "quantiles": quantiles,
        "fraction_deficient": _round(fr[:, 0], 4),
        "fraction_holotc_low": _round(fr[:, 1], 4),
        "fraction_mma_high": _round(fr[:, 2], 4),
        "fraction_ever_deficient": round(float(ever.mean()), 4),
        "median_days_to_deficiency": (
            float(np.median(first[ever])) if ever.mean() >= 0.5 else None
        ),
    }


def simulate(scenario: Any) -> dict[str, Any]:
    """The public store model: a scenario (JSON-like dict, issue 4 s5) -> JSON-ready result."""
    return simulate_scenario(parse_scenario(scenario))
