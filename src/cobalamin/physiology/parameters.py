"""The model's parameters, read from ``data/physiology.yaml``; each has a source or calibration."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from cobalamin.datafiles import data_path, read_yaml
from cobalamin.errors import KnowledgeError

__all__ = ["Modifier", "Param", "Parameters", "load_parameters", "raw_parameters"]

FILE = "physiology.yaml"


class Param(BaseModel):
    """One number with its provenance."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    value: float
    unit: str
    status: Literal["sourced", "derived", "assumption", "calibrated"]
    source: str | None = None
    calibrated_to: str | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _provenance(self) -> Param:
        if self.status == "calibrated" and not self.calibrated_to:
            raise ValueError("a calibrated value must say what it was calibrated to")
        if self.status != "calibrated" and not self.source:
            raise ValueError("a value that is not calibrated must name its source")
        return self


@dataclass(frozen=True)
class Modifier:
    """How a condition or medication changes absorption (1 = no change)."""

    s_if: float = 1.0
    food_release: float = 1.0


@dataclass(frozen=True)
class InjectionBinding:
    r_max_ug: float
    k_d_ug: float


@dataclass(frozen=True)
class Parameters:
    """All model parameters as plain floats (units in physiology.yaml)."""

    if_capacity_ug: float
    if_half_saturation_ug: float
    passive_fraction: float
    if_window_hours: float
    dietary_bioavailability_reference: float
    modifiers: dict[str, Modifier]
    not_modelled: dict[str, str]
    liver_share_of_uptake: float
    k_urine: float
    k_bile: float
    bile_reabsorption_r0: float
    k_hc_clearance: float
    k_tc_delivery: float
    k_store_release: float
    k_liver_to_hc: float
    store_capacity_ug: float
    plasma_volume_l: float
    cellular_tau_days: float
    injections: dict[str, InjectionBinding]
    fetal_uptake_ug_per_day: float
    milk_output_ug_per_day: float
    usual_meals_per_day: float
    usual_intake_ug_per_day: dict[str, float]
    molar_mass: float
    mma_baseline: float
    mma_ceiling: float
    mma_half_holotc: float
    mma_hill: float
    hcy_baseline: float
    hcy_at_mma_cutoff: float
    threshold_serum: float
    threshold_holotc: float
    threshold_mma: float
    threshold_hcy: float
    threshold_store_ug: float
    loss_rate_cv: float
    absorption_capacity_cv: float

    @property
    def pmol_per_ug(self) -> float:
        """Picomoles of cobalamin in one microgram (1e6 pmol per umol / molar mass)."""
        return 1e6 / self.molar_mass


@cache
def raw_parameters() -> dict[str, Any]:
    """The YAML file as parsed, every parameter validated for provenance."""
    path = data_path(FILE)
    raw = read_yaml(path)
    if not isinstance(raw, dict):
        raise KnowledgeError(str(path), "must be a mapping")
    return raw


def _walk(node: Any, where: str, out: dict[str, Param]) -> None:
    if isinstance(node, dict) and "value" in node and "status" in node:
        try:
            out[where] = Param.model_validate(node)
        except ValidationError as exc:
            first = exc.errors(include_url=False)[0]
            raise KnowledgeError(f"{FILE}: {where}", first["msg"]) from None
    elif isinstance(node, dict):
        for key, val in node.items():
            _walk(val, f"{where}.{key}" if where else str(key), out)


@cache
def all_params() -> dict[str, Param]:
    """Every parameter of the file by dotted path (``kinetics.k_urine_per_day``)."""
    out: dict[str, Param] = {}
    raw = raw_parameters()
    for key, val in raw.items():
        if key != "not_modelled":
            _walk(val, str(key), out)
    return out


@cache
def load_parameters() -> Parameters:
    """The validated parameter set."""
    p = all_params()

    def v(name: str) -> float:
        try:
            return p[name].value
        except KeyError:
            raise KnowledgeError(FILE, f"missing parameter {name}") from None

    raw = raw_parameters()
    modifiers: dict[str, Modifier] = {}
    for key, entry in raw.get("modifiers", {}).items():
        modifiers[key] = Modifier(
            s_if=v(f"modifiers.{key}.s_if") if "s_if" in entry else 1.0,
            food_release=(v(f"modifiers.{key}.food_release") if "food_release" in entry else 1.0),
        )
    injections = {
        form: InjectionBinding(v(f"injections.{form}.r_max_ug"), v(f"injections.{form}.k_d_ug"))
        for form in raw.get("injections", {})
    }
    usual = {
        diet: v(f"usual_intake.{diet}")
        for diet in raw.get("usual_intake", {})
        if diet != "meals_per_day"
    }
    return Parameters(
        if_capacity_ug=v("absorption.if_capacity_ug"),
        if_half_saturation_ug=v("absorption.if_half_saturation_ug"),
        passive_fraction=v("absorption.passive_fraction"),
        if_window_hours=v("absorption.if_window_hours"),
        dietary_bioavailability_reference=v("absorption.dietary_bioavailability_reference"),
        modifiers=modifiers,
        not_modelled={str(k): str(t) for k, t in raw.get("not_modelled", {}).items()},
        liver_share_of_uptake=v("kinetics.liver_share_of_uptake"),
        k_urine=v("kinetics.k_urine_per_day"),
        k_bile=v("kinetics.k_bile_per_day"),
        bile_reabsorption_r0=v("kinetics.bile_reabsorption_r0"),
        k_hc_clearance=v("kinetics.k_hc_clearance_per_day"),
        k_tc_delivery=v("kinetics.k_tc_delivery_per_day"),
        k_store_release=v("kinetics.k_store_release_per_day"),
        k_liver_to_hc=v("kinetics.k_liver_to_hc_per_day"),
        store_capacity_ug=v("kinetics.store_capacity_ug"),
        plasma_volume_l=v("kinetics.plasma_volume_l"),
        cellular_tau_days=v("kinetics.cellular_time_constant_days"),
        injections=injections,
        fetal_uptake_ug_per_day=v("pregnancy.fetal_uptake_ug_per_day"),
        milk_output_ug_per_day=v("lactation.milk_output_ug_per_day"),
        usual_meals_per_day=v("usual_intake.meals_per_day"),
        usual_intake_ug_per_day=usual,
        molar_mass=v("markers.cobalamin_molar_mass_g_per_mol"),
        mma_baseline=v("markers.mma_baseline_umol_l"),
        mma_ceiling=v("markers.mma_ceiling_umol_l"),
        mma_half_holotc=v("markers.mma_half_effect_holotc_pmol_l"),
        mma_hill=v("markers.mma_hill_exponent"),
        hcy_baseline=v("markers.hcy_baseline_umol_l"),
        hcy_at_mma_cutoff=v("markers.hcy_at_mma_cutoff_umol_l"),
        threshold_serum=v("thresholds.serum_b12_pmol_l"),
        threshold_holotc=v("thresholds.holotc_pmol_l"),
        threshold_mma=v("thresholds.mma_umol_l"),
        threshold_hcy=v("thresholds.hcy_umol_l"),
        threshold_store_ug=v("thresholds.store_ug"),
        loss_rate_cv=v("population.loss_rate_cv"),
        absorption_capacity_cv=v("population.absorption_capacity_cv"),
    )
