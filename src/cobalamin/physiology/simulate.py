"""``cobalamin.simulate(scenario)``: one person or a population -> a typed SimulationResult."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from cobalamin.absorption import (
    FoodLookup,
    Meal,
    absorb_array,
    absorb_window,
    estimate,
    not_modelled_notes,
    person_modifier,
    window_totals,
)
from cobalamin.knowledge.physiology import Modifier, Parameters, load_parameters
from cobalamin.knowledge.registry import Knowledge
from cobalamin.person import Person
from cobalamin.physiology.injection import injection_fate
from cobalamin.physiology.inputs import RawSummary, SimulationInputs, StartPoint, output_days
from cobalamin.physiology.model import (
    Coefficients,
    Drive,
    cell_at_mma_cutoff,
    coefficients,
    hcy_of_mma,
    markers,
    mma_of_cell,
    run_reference,
    steady_state,
    step,
)
from cobalamin.physiology.scenario import Scenario, parse_scenario

__all__ = [
    "QUANTILES",
    "PersonSeries",
    "PopulationSummary",
    "SimulationInputs",
    "SimulationResult",
    "StartPoint",
    "prepare",
    "simulate",
    "simulate_scenario",
]

FloatArray = npt.NDArray[np.float64]
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
QUANTILE_NAMES = tuple(f"p{round(q * 100)}" for q in QUANTILES)


def daily_food_absorption(
    meals: tuple[Meal, ...] | None,
    food_ug_per_day: float,
    meals_per_day: float,
    person: Person,
    modifier: Modifier,
    params: Parameters,
    capacity: FloatArray,
    foods: FoodLookup | None = None,
) -> FloatArray:
    """Absorbed µg/day from food for each person (N,): per meal / IF window saturation."""
    if meals is not None:
        total = np.zeros_like(capacity)
        for w in window_totals(estimate(meals, person, params, foods), params):
            total += absorb_window(
                w.crystalline_ug, w.food_ug, params, s_if=modifier.s_if, capacity=capacity
            )
        return total
    released = food_ug_per_day / meals_per_day * modifier.food_release
    out: FloatArray = meals_per_day * absorb_window(
        0.0, released, params, s_if=modifier.s_if, capacity=capacity
    )
    return out


def _usual_intake(scenario: Scenario, params: Parameters) -> float:
    """The diet before a switch today: given, else a typical omnivore's."""
    if scenario.usual_food_ug_per_day is not None:
        return scenario.usual_food_ug_per_day
    return params.usual_intake_ug_per_day["omnivore"]


def _scenario_food(scenario: Scenario, params: Parameters) -> float:
    if scenario.food_ug_per_day is not None:
        return scenario.food_ug_per_day
    diet = scenario.person.diet
    if diet is not None and diet in params.usual_intake_ug_per_day:
        return params.usual_intake_ug_per_day[diet]
    return params.usual_intake_ug_per_day["omnivore"]


def _lognormal(rng: np.random.Generator, cv: float, n: int) -> FloatArray:
    sigma = np.sqrt(np.log1p(cv**2))
    out: FloatArray = rng.lognormal(-(sigma**2) / 2, sigma, n)
    return out


def prepare(
    scenario: Scenario,
    knowledge: Knowledge,
    params: Parameters | None = None,
    foods: FoodLookup | None = None,
) -> SimulationInputs:
    """Everything the day loop needs, from a validated scenario (pure)."""
    params = params or load_parameters()
    pop = scenario.population
    n = pop.n if pop else 1
    if pop:
        rng = np.random.default_rng(pop.seed)
        capacity = _lognormal(rng, params.absorption_capacity_cv, n)
        loss = _lognormal(rng, params.loss_rate_cv, n)
    else:
        capacity = np.ones(1)
        loss = np.ones(1)
    person = scenario.person
    modifier = person_modifier(person, params)
    meals_per_day = float(scenario.meals_per_day or params.usual_meals_per_day)
    food = _scenario_food(scenario, params)
    base = daily_food_absorption(
        scenario.meals, food, meals_per_day, person, modifier, params, capacity, foods
    )
    days = np.arange(scenario.days)
    doses = []
    retained = np.zeros(scenario.days)
    events: list[dict[str, Any]] = []
    daily_oral = np.zeros(n)
    for sup in scenario.supplements:
        end = sup.end_day if sup.end_day is not None else scenario.days
        mask = (
            (days >= sup.start_day) & (days < end) & ((days - sup.start_day) % sup.every_days == 0)
        )
        if sup.route == "oral":
            amount = absorb_array(sup.dose_ug, params, s_if=modifier.s_if, capacity=capacity)
            doses.append((mask, amount))
            if sup.start_day == 0:
                daily_oral = daily_oral + amount / sup.every_days
        else:
            fate = injection_fate(sup.dose_ug, sup.form, params)
            retained[mask] += fate.retained_ug
            events.extend(
                {"day": int(d), "kind": "injection", "dose_ug": sup.dose_ug, "form": sup.form}
                for d in np.flatnonzero(mask)
            )
    for inj in scenario.injections:
        retained[inj.day] += injection_fate(inj.dose_ug, inj.form, params).retained_ug
        events.append(
            {"day": inj.day, "kind": "injection", "dose_ug": inj.dose_ug, "form": inj.form}
        )
    surgery = knowledge.vocabulary.group_members("conditions", "surgery").intersection(
        person.conditions
    )
    events.extend({"day": 0, "kind": "condition", "id": c} for c in sorted(surgery))
    events.sort(key=lambda e: int(e["day"]))
    demand = 0.0
    if person.pregnant:
        demand += params.fetal_uptake_ug_per_day
    if person.lactating:
        demand += params.milk_output_ug_per_day
    coef = coefficients(params, modifier.s_if, loss)

    # the starting point
    if scenario.start == "steady_state":
        x0 = steady_state(params, coef, base + daily_oral, demand)
        usual: float | None = None
    else:
        usual = _usual_intake(scenario, params)
        healthy = Modifier()
        usual_absorbed = daily_food_absorption(
            None, usual, params.usual_meals_per_day, person, healthy, params, capacity
        )
        x0 = steady_state(params, coefficients(params, healthy.s_if, loss), usual_absorbed)
    if scenario.initial_stores_ug is not None:
        x0 = _with_stores(params, coef, x0, capacity, scenario.initial_stores_ug)
    cell0 = x0[0] * params.pmol_l_per_ug
    drive = Drive(scenario.days, base, tuple(doses), retained, demand)
    start = StartPoint(scenario.start, usual, scenario.initial_stores_ug)
    return SimulationInputs(
        params,
        n,
        drive,
        x0,
        cell0,
        coef,
        tuple(events),
        _notes(scenario, params),
        modifier,
        start,
    )


def _notes(scenario: Scenario, params: Parameters) -> dict[str, list[str]]:
    """What the model leaves out for this scenario: the person's unmodelled conditions, and the
    form of oral supplements (the model does not tell the forms apart)."""
    notes = not_modelled_notes(scenario.person, params)
    if any(s.route == "oral" for s in scenario.supplements):
        for lang in notes:
            notes[lang].append(f"oral_form: {params.not_modelled['oral_form'].get(lang)}")
    return notes


def _with_stores(
    params: Parameters, coef: Coefficients, x0: FloatArray, capacity: FloatArray, stores: float
) -> FloatArray:
    """The rest state with the given store: the steady state whose store equals ``stores``.

    Found by bisection on the absorption that sustains it (with healthy absorption), so that
    carriers and the cellular pool match the store instead of being scaled from another state.
    """
    healthy = coefficients(params, 1.0, coef.k_bile / params.k_bile)
    lo = np.zeros_like(capacity)
    hi = np.full_like(capacity, 1.0)
    while True:
        s_hi = steady_state(params, healthy, hi)
        if np.all(s_hi[2] + s_hi[3] >= stores) or np.all(hi > 1e5):
            break
        hi = hi * 4
    for _ in range(60):
        mid = (lo + hi) / 2
        s = steady_state(params, healthy, mid)
        below = s[2] + s[3] < stores
        lo = np.where(below, mid, lo)
        hi = np.where(below, hi, mid)
    return steady_state(params, healthy, (lo + hi) / 2)


@dataclass(frozen=True)
class PersonSeries:
    """Every day of one person."""

    day: tuple[int, ...]
    stores_ug: tuple[float, ...]
    serum_b12_pmol_l: tuple[float, ...]
    holotc_pmol_l: tuple[float, ...]
    mma_umol_l: tuple[float, ...]
    hcy_umol_l: tuple[float, ...]
    first_day_beyond_threshold: dict[str, int | None]

    @property
    def days_to_deficiency(self) -> int | None:
        return self.first_day_beyond_threshold["serum_b12_pmol_l"]


@dataclass(frozen=True)
class PopulationSummary:
    """Quantiles over people and shares beyond thresholds, per output day."""

    n: int
    seed: int
    every_days: int
    day: tuple[int, ...]
    quantiles: dict[str, dict[str, tuple[float, ...]]]
    fraction_deficient: tuple[float, ...]
    fraction_holotc_low: tuple[float, ...]
    fraction_mma_high: tuple[float, ...]
    fraction_ever_deficient: float
    median_days_to_deficiency: float | None


@dataclass(frozen=True)
class SimulationResult:
    """The result of ``simulate``: one person's days or a population summary."""

    days: int
    start: StartPoint
    thresholds: dict[str, float]
    modifier: Modifier
    events: tuple[dict[str, Any], ...]
    notes: dict[str, list[str]]
    params: Parameters = field(repr=False, compare=False)
    person: PersonSeries | None = None
    population: PopulationSummary | None = None

    def to_dict(self, lang: str = "en") -> dict[str, Any]:
        """The JSON the CLI prints (``lang`` sets the language of notes and texts)."""
        out: dict[str, Any] = {
            "days": self.days,
            "start": self.start.to_dict(self.params, lang),
            "thresholds": dict(self.thresholds),
            "modifier": {"s_if": self.modifier.s_if, "food_release": self.modifier.food_release},
            "events": [dict(e) for e in self.events],
            "notes": list(self.notes.get(lang, self.notes["en"])),
        }
        if self.person is not None:
            p = self.person
            out.update(
                {
                    "day": list(p.day),
                    "stores_ug": list(p.stores_ug),
                    "serum_b12_pmol_l": list(p.serum_b12_pmol_l),
                    "holotc_pmol_l": list(p.holotc_pmol_l),
                    "mma_umol_l": list(p.mma_umol_l),
                    "hcy_umol_l": list(p.hcy_umol_l),
                    "days_to_deficiency": p.days_to_deficiency,
                    "first_day_beyond_threshold": dict(p.first_day_beyond_threshold),
                }
            )
        if self.population is not None:
            s = self.population
            out.update(
                {
                    "population": {"n": s.n, "seed": s.seed, "every_days": s.every_days},
                    "day": list(s.day),
                    "quantiles": {
                        k: {q: list(v) for q, v in qs.items()} for k, qs in s.quantiles.items()
                    },
                    "fraction_deficient": list(s.fraction_deficient),
                    "fraction_holotc_low": list(s.fraction_holotc_low),
                    "fraction_mma_high": list(s.fraction_mma_high),
                    "fraction_ever_deficient": s.fraction_ever_deficient,
                    "median_days_to_deficiency": s.median_days_to_deficiency,
                }
            )
        return out


def _first_day(values: FloatArray, threshold: float, below: bool) -> int | None:
    hits = np.flatnonzero(values < threshold if below else values > threshold)
    return int(hits[0]) if hits.size else None


def _round(a: FloatArray, digits: int) -> tuple[float, ...]:
    return tuple(round(float(v), digits) for v in a)


def person_series(inputs: SimulationInputs) -> PersonSeries:
    p = inputs.params
    xs, cells = run_reference(inputs.coef, inputs.drive, inputs.x0, inputs.cell0)
    mk = markers(p, xs[:, :, 0].T, cells[:, 0])
    return PersonSeries(
        day=tuple(range(inputs.drive.days + 1)),
        stores_ug=_round(mk.stores_ug, 1),
        serum_b12_pmol_l=_round(mk.serum_b12, 1),
        holotc_pmol_l=_round(mk.holotc, 1),
        mma_umol_l=_round(mk.mma, 3),
        hcy_umol_l=_round(mk.hcy, 2),
        first_day_beyond_threshold={
            "serum_b12_pmol_l": _first_day(mk.serum_b12, p.threshold_serum, below=True),
            "holotc_pmol_l": _first_day(mk.holotc, p.threshold_holotc, below=True),
            "mma_umol_l": _first_day(mk.mma, p.threshold_mma, below=False),
            "hcy_umol_l": _first_day(mk.hcy, p.threshold_hcy, below=False),
            "stores_ug": _first_day(mk.stores_ug, p.threshold_store_ug, below=True),
        },
    )


def summarise_reference(inputs: SimulationInputs, every: int) -> RawSummary:
    """Population summary with the straightforward day loop and numpy quantiles."""
    p, c, drive = inputs.params, inputs.coef, inputs.drive
    conv = p.pmol_l_per_ug
    cut_cell = cell_at_mma_cutoff(p)
    keep = set(output_days(drive.days, every).tolist())
    first = np.full(inputs.n, np.nan)
    rows, fracs, kept = [], [], []
    x, cell = inputs.x0, inputs.cell0
    for day in range(drive.days + 1):
        if day > 0:
            x, cell = step(
                c,
                x,
                cell,
                drive.absorbed_on(day - 1),
                float(drive.retained_im[day - 1]),
                drive.demand_ug_per_day,
            )
        serum = (x[0] + x[1] + x[4]) * conv
        below = serum < p.threshold_serum
        first[below & np.isnan(first)] = day
        if day in keep:
            stack = np.stack([x[2] + x[3], serum, x[0] * conv, cell])
            rows.append(np.quantile(stack, QUANTILES, axis=1))
            fracs.append(
                (below.mean(), (x[0] * conv < p.threshold_holotc).mean(), (cell < cut_cell).mean())
            )
            kept.append(day)
    return RawSummary(np.array(kept), np.array(rows), np.array(fracs), first)


def population_summary(inputs: SimulationInputs, scenario: Scenario) -> PopulationSummary:
    assert scenario.population is not None
    every = scenario.population.every_days
    from cobalamin.physiology import fast

    raw = (
        fast.summarise(inputs, every)
        if fast.available() and inputs.n >= fast.MIN_PEOPLE
        else summarise_reference(inputs, every)
    )
    p = inputs.params
    q = raw.quantiles  # (K, 5, 4)
    # MMA and tHcy fall as the cellular pool rises: the p5 of MMA is the p95 of the pool
    mma_q = mma_of_cell(p, q[:, ::-1, 3])
    hcy_q = hcy_of_mma(p, mma_q)
    quantiles: dict[str, dict[str, tuple[float, ...]]] = {}
    for idx, key, digits in (
        (0, "stores_ug", 1),
        (1, "serum_b12_pmol_l", 1),
        (2, "holotc_pmol_l", 1),
    ):
        quantiles[key] = {nm: _round(q[:, j, idx], digits) for j, nm in enumerate(QUANTILE_NAMES)}
    quantiles["mma_umol_l"] = {nm: _round(mma_q[:, j], 3) for j, nm in enumerate(QUANTILE_NAMES)}
    quantiles["hcy_umol_l"] = {nm: _round(hcy_q[:, j], 2) for j, nm in enumerate(QUANTILE_NAMES)}
    first = raw.first_below
    ever = ~np.isnan(first)
    return PopulationSummary(
        n=inputs.n,
        seed=scenario.population.seed,
        every_days=every,
        day=tuple(int(d) for d in raw.days),
        quantiles=quantiles,
        fraction_deficient=_round(raw.fractions[:, 0], 4),
        fraction_holotc_low=_round(raw.fractions[:, 1], 4),
        fraction_mma_high=_round(raw.fractions[:, 2], 4),
        fraction_ever_deficient=round(float(ever.mean()), 4),
        median_days_to_deficiency=(float(np.median(first[ever])) if ever.mean() >= 0.5 else None),
    )


def simulate_scenario(
    scenario: Scenario,
    knowledge: Knowledge,
    params: Parameters | None = None,
    foods: FoodLookup | None = None,
) -> SimulationResult:
    """Run a validated scenario (pure: no I/O)."""
    inputs = prepare(scenario, knowledge, params, foods)
    p = inputs.params
    return SimulationResult(
        days=scenario.days,
        start=inputs.start,
        thresholds={
            "serum_b12_pmol_l": p.threshold_serum,
            "holotc_pmol_l": p.threshold_holotc,
            "mma_umol_l": p.threshold_mma,
            "hcy_umol_l": p.threshold_hcy,
            "stores_ug": p.threshold_store_ug,
        },
        modifier=inputs.modifier,
        events=inputs.events,
        notes=inputs.notes,
        params=p,
        person=person_series(inputs) if scenario.population is None else None,
        population=population_summary(inputs, scenario) if scenario.population else None,
    )


def simulate(
    scenario: Any, knowledge: Knowledge, foods: FoodLookup | None = None
) -> SimulationResult:
    """The store model: a scenario (JSON-like dict) -> :class:`SimulationResult`.

    ``foods`` resolves named foods in a diary intake (``cobalamin.simulate`` passes the food
    table); without it a diary may hold only ``b12_ug`` items.
    """
    return simulate_scenario(parse_scenario(scenario, knowledge), knowledge, foods=foods)
