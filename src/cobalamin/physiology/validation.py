"""Validation of the model against the points of shared/knowledge/physiology.md s4.

Each point runs the model, compares with the observation and its tolerance, and says pass or
fail. Points used to calibrate a parameter are marked: they are not independent checks. Points
the model cannot evaluate say why. Pure: no I/O (the CLI writes the report).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from cobalamin.nutrition.intake import estimate, parse_meals
from cobalamin.person import Person
from cobalamin.physiology.absorption import absorb
from cobalamin.physiology.model import _rate_matrix, mma_of_cell
from cobalamin.physiology.parameters import Parameters, load_parameters
from cobalamin.physiology.simulate import simulate

__all__ = ["ValidationPoint", "report_markdown", "validate"]


@dataclass(frozen=True)
class ValidationPoint:
    id: str
    title: str
    observation: str
    model: str
    tolerance: str
    passed: bool | None  # None: not evaluated
    calibration: bool = False
    note: str = ""

    @property
    def status(self) -> str:
        if self.passed is None:
            return "not evaluated"
        return "pass" if self.passed else "fail"

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "observation": self.observation,
            "model": self.model,
            "tolerance": self.tolerance,
            "status": self.status,
            "calibration": self.calibration,
            "note": self.note,
        }


def _sim(**scenario: Any) -> dict[str, Any]:
    return simulate(scenario)


def _frac(dose: float, p: Parameters) -> float:
    return absorb(dose, p) / dose


def _p1(p: Parameters) -> list[ValidationPoint]:
    out = []
    relative = [
        (1, 0.50, "Adams 1971 via IOM"),
        (5, 0.20, "Adams 1971 via IOM"),
        (10, 0.16, "compilation (secondary)"),
        (25, 0.05, "Adams 1971 via IOM: 'just over 5 %'"),
        (50, 0.03, "compilation (secondary)"),
    ]
    for dose, obs, src in relative:
        f = _frac(dose, p)
        out.append(
            ValidationPoint(
                f"1-{dose}ug",
                f"Crystalline B12 {dose} µg, one dose: fraction absorbed",
                f"{obs:.0%} ({src})",
                f"{f:.1%}",
                "±30 % relative",
                abs(f - obs) <= 0.3 * obs,
                calibration=True,
                note="absorption parameters are a fit to these points (physiology.md s2)",
            )
        )
    for dose, obs in ((500, 0.02), (1000, 0.013)):
        f = _frac(dose, p)
        out.append(
            ValidationPoint(
                f"1-{dose}ug",
                f"Crystalline B12 {dose} µg, one dose: fraction absorbed",
                f"{obs:.1%} (compilation, secondary)",
                f"{f:.2%}",
                "1.0-1.8 %",
                0.010 <= f <= 0.018,
                calibration=True,
                note="absorption parameters are a fit to these points",
            )
        )
    return out


def _food_absorbed(ug: float, person: Person | None = None) -> float:
    meals = parse_meals([{"time": "08:00", "items": [{"b12_ug": ug, "form": "food"}]}], "meals")
    return estimate(meals, person or Person())[0].absorbed_ug


def _p2_to_7(p: Parameters) -> list[ValidationPoint]:
    out = []
    a14, a26 = _food_absorbed(1.4), _food_absorbed(2.6)
    out.append(
        ValidationPoint(
            "2",
            "Food B12 1.4 and 2.6 µg (eggs): amount absorbed",
            "0.5-0.8 µg absorbed, mean 0.55 (Garrod 2019)",
            f"{a14:.2f} and {a26:.2f} µg",
            "0.4-1.0 µg",
            0.4 <= a14 <= 1.0 and 0.4 <= a26 <= 1.0,
            note="generic food B12 (release factor 1); the seed's egg bioavailability (< 9 %) "
            "would give far less, see docs/intake-and-model.md",
        )
    )
    f25 = _frac(2.5, p)
    out.append(
        ValidationPoint(
            "3",
            "Tracer 2.5 µg crystalline: fraction absorbed",
            "63 ± 10 % over 12 h (Kurpad 2023)",
            f"{f25:.1%}",
            "35-75 %",
            0.35 <= f25 <= 0.75,
            note="Kurpad's value is above the Adams curve the model is fitted to",
        )
    )
    a38 = _food_absorbed(38)
    out.append(
        ValidationPoint(
            "4",
            "38 µg B12 as liver paste: amount absorbed",
            "mean 4.1 µg (11 %) (Heyssel 1966 via IOM)",
            f"{a38:.2f} µg",
            "2-6 µg",
            2 <= a38 <= 6,
            note="one saturable window per meal caps a large food dose near Amax + passive; the "
            "notes say this point needs a soft cap or several IF windows during slow digestion",
        )
    )
    two = parse_meals(
        [
            {"time": "08:00", "items": [{"b12_ug": 1, "form": "crystalline"}]},
            {"time": "14:00", "items": [{"b12_ug": 1, "form": "crystalline"}]},
        ],
        "m",
    )
    a_two = sum(m.absorbed_ug for m in estimate(two, Person()))
    ratio = a_two / (2 * absorb(1.0, p))
    out.append(
        ValidationPoint(
            "5",
            "Two 1 µg doses 6 h apart",
            "second dose absorbed as well as the first (Heyssel via IOM)",
            f"{ratio:.0%} of twice one dose",
            "≥ 90 %",
            ratio >= 0.9,
        )
    )
    out.extend(_p6())
    ppi = Person.model_validate({"medications": ["ppi"]})
    food_cut = 1 - _food_absorbed(1.0, ppi) / _food_absorbed(1.0)
    meals = parse_meals([{"time": "08:00", "items": [{"b12_ug": 1, "form": "crystalline"}]}], "m")
    cryst_change = (
        estimate(meals, ppi)[0].absorbed_ug / estimate(meals, Person())[0].absorbed_ug - 1
    )
    out.append(
        ValidationPoint(
            "7",
            "PPI: absorption of protein-bound and of crystalline B12",
            "food B12 -59 to -88 %, unbound unchanged (Marcuard 1994, Schenk 1996)",
            f"food {-food_cut:+.0%}, crystalline {cryst_change:+.0%}",
            "food -55 to -90 %, crystalline ±10 %",
            0.55 <= food_cut <= 0.90 and abs(cryst_change) <= 0.1,
            calibration=True,
            note="the PPI release factor is the midpoint of these studies",
        )
    )
    return out


def _low_status_initial(target_serum: float) -> float:
    """Usual intake (µg/day) whose steady state has the given serum B12 (bisection)."""
    lo, hi = 0.0, 20.0
    for _ in range(40):
        mid = (lo + hi) / 2
        serum = _sim(
            intake={"food_ug_per_day": mid}, initial={"usual_food_ug_per_day": mid}, days=1
        )["serum_b12_pmol_l"][0]
        lo, hi = (mid, hi) if serum < target_serum else (lo, mid)
    return (lo + hi) / 2


def _p6() -> list[ValidationPoint]:
    usual = _low_status_initial(150)
    rises = {}
    for dose in (1.5, 3, 6):
        r = _sim(
            intake={"food_ug_per_day": usual},
            initial={"usual_food_ug_per_day": usual},
            supplements=[{"dose_ug": dose, "every_days": 1}],
            days=2,
        )
        rises[dose] = r["holotc_pmol_l"][2] - r["holotc_pmol_l"][0]
    usual_n = _low_status_initial(330)
    r = _sim(
        intake={"food_ug_per_day": usual_n},
        initial={"usual_food_ug_per_day": usual_n},
        supplements=[{"dose_ug": 9, "every_days": 1}],
        days=2,
    )
    rises[9] = r["holotc_pmol_l"][2] - r["holotc_pmol_l"][0]
    obs = {1.5: 19, 3: 23, 6: 30, 9: 30}
    within = all(abs(rises[d] - obs[d]) <= 0.4 * obs[d] for d in obs)
    plateau = rises[3] / rises[1.5] < 1.5 and rises[9] / rises[6] < 1.5
    return [
        ValidationPoint(
            "6",
            "HoloTC rise after 2 days of oral B12 (CobaSorb)",
            "+19 / 23 / 30 pmol/L at 1.5 / 3 / 6 µg (low status), +30 at 9 µg (normal) (Greibe 2018)",
            " / ".join(f"{rises[d]:+.0f}" for d in (1.5, 3, 6, 9)) + " pmol/L",
            "±40 % and a plateau (ratio < 1.5 between 1.5 and 3 µg and between 6 and 9 µg)",
            within and plateau,
            note="dose modelled as one daily tablet on days 0 and 1 on top of the usual diet; the "
            "study's exact dosing was not in the notes",
        )
    ]


def _loss_rate(person: dict[str, Any], days: int = 365) -> float:
    r = _sim(person=person, intake={"food_ug_per_day": 0}, initial={"stores_ug": 2500}, days=days)
    s = r["stores_ug"]
    return -math.log(s[-1] / s[0]) / days


def _p8_to_11(p: Parameters) -> list[ValidationPoint]:
    out = []
    k = _loss_rate({})
    half = math.log(2) / k
    out.append(
        ValidationPoint(
            "8",
            "Loss rate with zero intake, intact enterohepatic circulation",
            "0.10-0.13 %/day (IOM; Doets 2013 0.13 ± 0.03)",
            f"{k:.3%}/day (half-life {half:.0f} d)",
            "0.075-0.163 %/day (±25 %)",
            0.00075 <= k <= 0.001625,
            calibration=True,
            note="k_bile and r0 are derived from the 0.1 %/day figure",
        )
    )
    m = _rate_matrix(p, 1.0, np.ones(1))[0]
    slowest = float(np.max(np.linalg.eigvals(m).real))
    half_e = math.log(2) / -slowest
    out.append(
        ValidationPoint(
            "9",
            "Slowest phase of plasma tracer decline",
            "half-time ≈ 690 d (57Co study)",
            f"{half_e:.0f} d",
            "500-900 d",
            500 <= half_e <= 900,
        )
    )
    k_pa = _loss_rate({"conditions": ["pernicious_anaemia"]})
    out.append(
        ValidationPoint(
            "10",
            "Loss rate: pernicious anaemia vs normal",
            "≈0.2 vs 0.1 %/day (IOM, Boddy & Adams)",
            f"ratio {k_pa / k:.2f}",
            "1.7-2.3",
            1.7 <= k_pa / k <= 2.3,
            calibration=True,
            note="k_bile and r0 are derived from this ratio",
        )
    )
    for label, person, years in (
        ("normal absorber", {}, 5.8),
        ("pernicious anaemia", {"conditions": ["pernicious_anaemia"]}, 2.9),
    ):
        r = _sim(
            person=person,
            intake={"food_ug_per_day": 0},
            initial={"stores_ug": 2500},
            days=int(years * 365 * 1.6),
        )
        d = r["first_day_beyond_threshold"]["stores_ug"]
        y = d / 365 if d is not None else float("inf")
        out.append(
            ValidationPoint(
                f"11-{'pa' if person else 'normal'}",
                f"Time from 2.5 mg to 300 µg stores, zero intake, {label}",
                f"≈{years} y (IOM App. N logic)",
                f"{y:.1f} y",
                "±30 %",
                abs(y - years) <= 0.3 * years,
            )
        )
    return out


def _rel(a: float, b: float) -> float:
    return a / b - 1


def _p13_16_17(p: Parameters) -> list[ValidationPoint]:
    out = []
    r = _sim(
        person={"conditions": ["gastric_bypass"], "diet": "omnivore"},
        intake={"food_ug_per_day": 6},
        days=180,
    )
    h60, s60 = (
        _rel(r["holotc_pmol_l"][60], r["holotc_pmol_l"][0]),
        _rel(r["serum_b12_pmol_l"][60], r["serum_b12_pmol_l"][0]),
    )
    m60 = _rel(r["mma_umol_l"][60], r["mma_umol_l"][0])
    s180 = _rel(r["serum_b12_pmol_l"][180], r["serum_b12_pmol_l"][0])
    out.append(
        ValidationPoint(
            "13a",
            "RYGB, 2 months: holoTC and MMA",
            "holoTC fell and MMA rose by 2 months (Clin Nutr 2019;38:906)",
            f"holoTC {h60:+.0%}, MMA {m60:+.0%}",
            "holoTC ≤ -15 %, MMA ≥ +3 %",
            h60 <= -0.15 and m60 >= 0.03,
            calibration=True,
            note="the store release rate and the cellular lag were chosen with this point in mind",
        )
    )
    out.append(
        ValidationPoint(
            "13b",
            "RYGB, 2 months: total serum B12",
            "total B12 decline not evident at 2 months",
            f"{s60:+.0%}",
            "change < 10 %",
            abs(s60) < 0.10,
        )
    )
    out.append(
        ValidationPoint(
            "13c",
            "RYGB, 6 months: total serum B12",
            "total B12 down by 6 months",
            f"{s180:+.0%}",
            "≤ -5 %",
            s180 <= -0.05,
        )
    )
    r = _sim(
        person={"diet": "vegan"},
        intake={"food_ug_per_day": 0.125},
        initial={"usual_food_ug_per_day": 6},
        days=28,
    )
    h, m, y = (_rel(r[k][28], r[k][0]) for k in ("holotc_pmol_l", "mma_umol_l", "hcy_umol_l"))
    out.append(
        ValidationPoint(
            "16",
            "Switch from a meat-rich to a vegan diet, 4 weeks",
            "holoTC fell; MMA and tHcy unchanged (Lederer 2019)",
            f"holoTC {h:+.0%}, MMA {m:+.0%}, tHcy {y:+.0%}",
            "holoTC ≤ -10 %, MMA and tHcy within ±10 %",
            h <= -0.10 and abs(m) < 0.10 and abs(y) < 0.10,
            calibration=True,
            note="the cellular lag was chosen with this point in mind",
        )
    )
    order = []
    for label, person, food in (
        ("PA", {"conditions": ["pernicious_anaemia"]}, 6),
        ("vegan", {"diet": "vegan"}, 0.125),
        ("gastrectomy", {"conditions": ["total_gastrectomy"]}, 6),
    ):
        r = _sim(
            person=person,
            intake={"food_ug_per_day": food},
            initial={"usual_food_ug_per_day": 6},
            days=3650 * 2,
        )
        f = r["first_day_beyond_threshold"]
        order.append((label, f["holotc_pmol_l"], f["serum_b12_pmol_l"]))
    ok = all(h is not None and (s is None or h < s) for _, h, s in order)
    out.append(
        ValidationPoint(
            "17",
            "Herbert ordering: holoTC low before total B12 low",
            "holoTC falls first (Herbert staging; disputed by SpringerPlus 2016, soft)",
            "; ".join(f"{lab}: holoTC day {h}, serum day {s}" for lab, h, s in order),
            "holoTC crosses 25 pmol/L before serum crosses 148 pmol/L",
            ok,
        )
    )
    return out


def _steady(food: float) -> dict[str, Any]:
    return _sim(intake={"food_ug_per_day": food}, initial={"usual_food_ug_per_day": food}, days=1)


def _p19_20_23(p: Parameters) -> list[ValidationPoint]:
    out = []
    a, b = _steady(2.4), _steady(4.8)
    serum_slope = _rel(b["serum_b12_pmol_l"][0], a["serum_b12_pmol_l"][0])
    mma_slope = _rel(b["mma_umol_l"][0], a["mma_umol_l"][0])
    out.append(
        ValidationPoint(
            "19",
            "Intake-status slope per doubling of intake (2.4 -> 4.8 µg/day)",
            "serum B12 +11 % (adults +8 %), MMA -7 % (dose-response meta-analysis, PMID 23269815)",
            f"serum {serum_slope:+.0%}, MMA {mma_slope:+.0%}",
            "within ±50 % of +11 % and -7 %",
            0.055 <= serum_slope <= 0.165 and -0.105 <= mma_slope <= -0.035,
            note="steady-state stores are proportional to absorbed B12, so serum rises more than "
            "observed; the notes suggest losses that slow at low stores (not implemented)",
        )
    )
    s = _steady(4.5)
    split = s["holotc_pmol_l"][0] / s["serum_b12_pmol_l"][0]
    out.append(
        ValidationPoint(
            "20",
            "Carrier split at steady state",
            "holoTC ≈ 25 % (10-30 %) of total (Nexo 2011)",
            f"{split:.0%}",
            "10-30 %",
            0.10 <= split <= 0.30,
            calibration=True,
            note="k_tc_delivery is calibrated to 25 %",
        )
    )
    usual = _low_status_initial(128)
    r = _sim(
        intake={"food_ug_per_day": usual},
        initial={"usual_food_ug_per_day": usual},
        supplements=[{"dose_ug": 3, "every_days": 1}],
        days=56,
    )
    s0, s1 = r["serum_b12_pmol_l"][0], r["serum_b12_pmol_l"][56]
    out.append(
        ValidationPoint(
            "23a",
            "3 µg/day for 8 weeks in deficient adults: serum B12",
            "128 -> 168 pmol/L (Greibe 2019)",
            f"{s0:.0f} -> {s1:.0f} pmol/L",
            "rise 20-60 % and still < 200 pmol/L",
            0.2 <= s1 / s0 - 1 <= 0.6 and s1 < 200,
        )
    )
    mma16 = float(mma_of_cell(p, np.array(16.0)))
    mma19 = float(mma_of_cell(p, np.array(19.0)))
    out.append(
        ValidationPoint(
            "23b",
            "Same study: MMA at holoTC 16 and 19 pmol/L",
            "MMA 0.8 and 0.7 µmol/L (Greibe 2019, before and after)",
            f"{mma16:.2f} and {mma19:.2f} µmol/L",
            "±25 %",
            abs(mma16 / 0.8 - 1) <= 0.25 and abs(mma19 / 0.7 - 1) <= 0.25,
            calibration=True,
            note="the MMA curve is calibrated to these pairs (at a steady cellular pool)",
        )
    )
    h0 = r["holotc_pmol_l"][0]
    out.append(
        ValidationPoint(
            "23c",
            "Same study: holoTC at serum B12 128 pmol/L",
            "holoTC 16 pmol/L (Greibe 2019)",
            f"{h0:.0f} pmol/L",
            "±40 %",
            abs(h0 / 16 - 1) <= 0.4,
            note="in the model holoTC stays about a quarter of total B12 at every store size; in "
            "deficient people its share is lower (here 12 %)",
        )
    )
    return out


def _p24_to_30(p: Parameters) -> list[ValidationPoint]:
    out = []
    ret = {
        f: p.injections[f].r_max_ug * 1000 / (p.injections[f].k_d_ug + 1000) / 1000
        for f in ("cyanocobalamin", "hydroxocobalamin")
    }
    out.append(
        ValidationPoint(
            "24a",
            "IM 1 mg: retained fraction",
            "CN ~20-31 %, OH ~73-75 % (1961/1964 studies)",
            f"CN {ret['cyanocobalamin']:.0%}, OH {ret['hydroxocobalamin']:.0%}",
            "CN 15-35 %, OH 65-85 %",
            0.15 <= ret["cyanocobalamin"] <= 0.35 and 0.65 <= ret["hydroxocobalamin"] <= 0.85,
            calibration=True,
            note="binding parameters are calibrated to the 72 h losses",
        )
    )
    serum = {}
    for form in ("cyanocobalamin", "hydroxocobalamin"):
        r = _sim(
            person={"conditions": ["pernicious_anaemia"]},
            intake={"food_ug_per_day": 6},
            initial={"stores_ug": 300, "usual_food_ug_per_day": 6},
            injections=[{"day": 0, "dose_ug": 1000, "form": form}],
            days=28,
        )
        serum[form] = r["serum_b12_pmol_l"]
    ratios = [serum["hydroxocobalamin"][d] / serum["cyanocobalamin"][d] for d in (14, 28)]
    out.append(
        ValidationPoint(
            "24b",
            "IM 1 mg OH vs CN: serum ratio at 2 and 4 weeks",
            "OH 2.4× CN (Blood 1961)",
            f"{ratios[0]:.2f} and {ratios[1]:.2f}",
            "1.5-3.5",
            all(1.5 <= x <= 3.5 for x in ratios),
        )
    )
    r = _sim(
        person={"diet": "omnivore"},
        intake={"food_ug_per_day": 6},
        supplements=[{"dose_ug": 2000, "every_days": 1}],
        days=3650,
    )
    peak = max(r["stores_ug"])
    out.append(
        ValidationPoint(
            "25",
            "Stores under 2 mg oral daily for 10 years",
            "largest measured store 11.1 mg (Gräsbeck via IOM)",
            f"max {peak / 1000:.1f} mg",
            "≤ 11 mg",
            peak <= 11_000,
            calibration=True,
            note="holds by construction: the store capacity is this observation",
        )
    )
    base = _sim(person={"sex": "female"}, intake={"food_ug_per_day": 6}, days=280)
    preg = _sim(person={"sex": "female", "pregnant": True}, intake={"food_ug_per_day": 6}, days=280)
    drop = _rel(preg["stores_ug"][-1], base["stores_ug"][-1])
    fetal = p.fetal_uptake_ug_per_day * 280
    out.append(
        ValidationPoint(
            "26",
            "Pregnancy: fetal accretion and maternal stores",
            "newborn ≈ 25-50 µg; pregnancy alone does not materially deplete stores (IOM)",
            f"fetus {fetal:.0f} µg; maternal stores {drop:+.1%} vs not pregnant",
            "fetus 25-50 µg, maternal stores within -5 %",
            25 <= fetal <= 50 and drop > -0.05,
        )
    )
    out.append(
        ValidationPoint(
            "27",
            "Milk output",
            "0.33 µg/day (IOM p.341)",
            f"{p.milk_output_ug_per_day} µg/day",
            "0.33 µg/day",
            None,
            note="an input of the model, not a check",
        )
    )
    out.append(
        ValidationPoint(
            "29",
            "Maternal intake dominates milk B12",
            "milk B12 tracks current intake (IOM p.341)",
            "-",
            "-",
            None,
            note="milk concentration is not modelled (fixed output)",
        )
    )
    out.append(
        ValidationPoint(
            "14",
            "RYGB cohorts with routine supplementation",
            "low B12 7.5 % -> 2.3 % at 4 y (PMC7847875)",
            "-",
            "≤ 10 % at 4 y",
            None,
            note="the dose of routine supplementation is not in the sources read",
        )
    )
    r = _sim(
        person={"diet": "omnivore", "medications": ["ppi"]},
        intake={"food_ug_per_day": 6},
        days=1825,
    )
    change = _rel(r["serum_b12_pmol_l"][-1], r["serum_b12_pmol_l"][0])
    out.append(
        ValidationPoint(
            "30",
            "PPI for 5 years, omnivore",
            "serum 298 -> 261 pg/mL, n.s. (Schenk 1996); OR 1.65 for deficiency (Lam 2013)",
            f"{change:+.0%}, days to deficiency {r['days_to_deficiency']}",
            "decline ≤ 25 %, stays ≥ 148 pmol/L",
            change >= -0.25 and r["days_to_deficiency"] is None,
        )
    )
    return out


CHECKS: tuple[Callable[[Parameters], list[ValidationPoint]], ...] = (
    _p1,
    _p2_to_7,
    _p8_to_11,
    _p13_16_17,
    _p19_20_23,
    _p24_to_30,
)


def validate(params: Parameters | None = None) -> list[ValidationPoint]:
    """Every validation point with the model's value and pass / fail."""
    p = params or load_parameters()
    if p is not load_parameters():  # the simulations read the shipped parameters
        raise ValueError("validate() runs on the shipped parameters only")
    points = [pt for check in CHECKS for pt in check(p)]
    return sorted(points, key=_order)


def _order(pt: ValidationPoint) -> tuple[int, str]:
    head = pt.id.split("-")[0].rstrip("abc")
    return (int(head), pt.id)


def report_markdown(points: list[ValidationPoint]) -> str:
    """The validation report as Markdown (docs/model-validation.md)."""
    n_pass = sum(pt.passed is True for pt in points)
    n_fail = sum(pt.passed is False for pt in points)
    n_none = sum(pt.passed is None for pt in points)
    n_cal = sum(pt.calibration and pt.passed is not None for pt in points)
    lines = [
        "# Store model: validation report",
        "",
        "Generated by `cobalamin validate-model` from the validation points of "
        "`shared/knowledge/physiology.md` s4. Do not edit by hand.",
        "",
        f"**{n_pass} pass, {n_fail} fail, {n_none} not evaluated** "
        f"({n_cal} of the evaluated points were used to calibrate a parameter and are "
        "therefore not independent checks; they are marked *calibration*).",
        "",
        "| Point | What | Observation | Model | Tolerance | Result |",
        "|---|---|---|---|---|---|",
    ]
    for pt in points:
        result = pt.status + (" (calibration)" if pt.calibration else "")
        lines.append(
            f"| {pt.id} | {pt.title} | {pt.observation} | {pt.model} | {pt.tolerance} | {result} |"
        )
    lines += ["", "## Notes", ""]
    lines += [f"- **{pt.id}**: {pt.note}" for pt in points if pt.note]
    return "\n".join(lines) + "\n"
