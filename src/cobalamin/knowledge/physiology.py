"""The physiology parameter file (``data/physiology.yaml``): every number with its provenance.

``parse_parameters(raw, path)`` is pure: it validates a parsed YAML mapping and returns the
:class:`Parameters` the absorption and store models use. ``load_parameters()`` reads the shipped
file once. Each number is ``{value, unit, status, source | calibrated_to, note}``; a value that
is not calibrated must name its source, a calibrated one the observation it reproduces.
``source`` holds ids of the bibliography (``data/sources.yaml``; the knowledge registry checks
them); ``detail`` says what was read there or how the number was derived.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from cobalamin.datafiles import data_path, read_yaml
from cobalamin.errors import KnowledgeError

__all__ = [
    "FILE",
    "InjectionKinetics",
    "Modifier",
    "Param",
    "Parameters",
    "all_params",
    "load_parameters",
    "parse_parameters",
    "raw_parameters",
]

FILE = "physiology.yaml"
_NOT_NUMBERS = ("not_modelled", "texts")


class Param(BaseModel):
    """One number with its provenance."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    value: float
    unit: str
    status: Literal["sourced", "derived", "assumption", "calibrated"]
    source: tuple[str, ...] = ()  # bibliography ids
    detail: str | None = None
    calibrated_to: str | None = None
    note: str | None = None

    @field_validator("source", mode="before")
    @classmethod
    def _ids(cls, value: Any) -> Any:
        return (value,) if isinstance(value, str) else value

    @model_validator(mode="after")
    def _provenance(self) -> Param:
        if self.status == "calibrated" and not self.calibrated_to:
            raise ValueError("a calibrated value must say what it was calibrated to")
        if not self.source:
            raise ValueError("every value must name its source (bibliography ids)")
        return self


@dataclass(frozen=True)
class Modifier:
    """How a condition or medication changes absorption (1 = no change)."""

    s_if: float = 1.0
    food_release: float = 1.0


@dataclass(frozen=True)
class InjectionKinetics:
    """Free B12 after an injection: renal clearance against saturable binding and uptake.

    dF/dt = -k_renal F - v_max F / (k_m + F); what is bound is retained, the rest is urine.
    """

    k_renal_per_h: float
    v_max_ug_per_h: float
    k_m_ug: float


@dataclass(frozen=True)
class Texts:
    """A text in both languages."""

    en: str
    nl: str

    def get(self, lang: str) -> str:
        return self.nl if lang == "nl" else self.en


@dataclass(frozen=True)
class Parameters:
    """All model parameters as plain floats (units in physiology.yaml)."""

    if_capacity_ug: float
    if_half_saturation_ug: float
    passive_fraction: float
    food_coefficient: float
    food_exponent: float
    food_meal_ceiling_ug: float
    if_window_hours: float
    dietary_bioavailability_reference: float
    modifiers: dict[str, Modifier]
    not_modelled: dict[str, Texts]
    liver_share_of_uptake: float
    k_urine: float
    k_bile: float
    bile_reabsorption_low: float
    bile_half_saturation_ug_per_day: float
    k_hc_clearance: float
    hc_capacity_pmol_l: float
    hc_half_saturation_ug: float
    k_tc_delivery: float
    k_store_release: float
    store_release_half_saturation_ug: float
    store_capacity_ug: float
    plasma_volume_l: float
    cellular_tau_days: float
    injections: dict[str, InjectionKinetics]
    injection_plasma_share: float
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
    texts: dict[str, Texts] = field(default_factory=dict)

    @property
    def pmol_per_ug(self) -> float:
        """Picomoles of cobalamin in one microgram (1e6 pmol per umol / molar mass)."""
        return 1e6 / self.molar_mass

    @property
    def pmol_l_per_ug(self) -> float:
        """Plasma concentration (pmol/L) of one microgram in the plasma volume."""
        return self.pmol_per_ug / self.plasma_volume_l

    @property
    def hc_capacity_ug(self) -> float:
        """Haptocorrin binding capacity of the plasma in micrograms."""
        return self.hc_capacity_pmol_l / self.pmol_l_per_ug

    def text(self, key: str, lang: str) -> str:
        entry = self.texts.get(key)
        return entry.get(lang) if entry is not None else key


def _walk(node: Any, where: str, out: dict[str, Param], path: str) -> None:
    if isinstance(node, dict) and "value" in node and "status" in node:
        try:
            out[where] = Param.model_validate(node)
        except ValidationError as exc:
            first = exc.errors(include_url=False)[0]
            raise KnowledgeError(f"{path}: {where}", first["msg"]) from None
    elif isinstance(node, dict):
        for key, val in node.items():
            _walk(val, f"{where}.{key}" if where else str(key), out, path)


def all_params(raw: dict[str, Any] | None = None, path: str = FILE) -> dict[str, Param]:
    """Every number of the file by dotted path (``kinetics.k_urine_per_day``)."""
    raw = raw_parameters() if raw is None else raw
    out: dict[str, Param] = {}
    for key, val in raw.items():
        if key not in _NOT_NUMBERS:
            _walk(val, str(key), out, path)
    return out


def _texts(node: Any, where: str, path: str) -> dict[str, Texts]:
    if node is None:
        return {}
    if not isinstance(node, dict):
        raise KnowledgeError(f"{path}: {where}", "must be a mapping of id -> {en, nl}")
    out = {}
    for key, val in node.items():
        if not isinstance(val, dict) or set(val) != {"en", "nl"}:
            raise KnowledgeError(f"{path}: {where}.{key}", "needs exactly the keys en and nl")
        out[str(key)] = Texts(en=str(val["en"]), nl=str(val["nl"]))
    return out


def parse_parameters(raw: Any, path: str = FILE) -> Parameters:
    """Validated :class:`Parameters` from the parsed YAML mapping (pure)."""
    if not isinstance(raw, dict):
        raise KnowledgeError(path, "must be a mapping")
    p = all_params(raw, path)

    def v(name: str) -> float:
        try:
            return p[name].value
        except KeyError:
            raise KnowledgeError(path, f"missing parameter {name}") from None

    modifiers: dict[str, Modifier] = {}
    for key, entry in (raw.get("modifiers") or {}).items():
        modifiers[key] = Modifier(
            s_if=v(f"modifiers.{key}.s_if") if "s_if" in entry else 1.0,
            food_release=(v(f"modifiers.{key}.food_release") if "food_release" in entry else 1.0),
        )
    injections = {
        form: InjectionKinetics(
            v(f"injections.{form}.k_renal_per_h"),
            v(f"injections.{form}.v_max_ug_per_h"),
            v(f"injections.{form}.k_m_ug"),
        )
        for form in (raw.get("injections") or {})
        if form != "plasma_share"
    }
    usual = {
        diet: v(f"usual_intake.{diet}")
        for diet in (raw.get("usual_intake") or {})
        if diet != "meals_per_day"
    }
    not_modelled = _texts(raw.get("not_modelled"), "not_modelled", path)
    overlap = set(not_modelled) & set(modifiers)
    if overlap:
        raise KnowledgeError(path, f"both modelled and not modelled: {sorted(overlap)}")
    return Parameters(
        if_capacity_ug=v("absorption.if_capacity_ug"),
        if_half_saturation_ug=v("absorption.if_half_saturation_ug"),
        passive_fraction=v("absorption.passive_fraction"),
        food_coefficient=v("absorption.food_coefficient_ug"),
        food_exponent=v("absorption.food_exponent"),
        food_meal_ceiling_ug=v("absorption.food_meal_ceiling_ug"),
        if_window_hours=v("absorption.if_window_hours"),
        dietary_bioavailability_reference=v("absorption.dietary_bioavailability_reference"),
        modifiers=modifiers,
        not_modelled=not_modelled,
        liver_share_of_uptake=v("kinetics.liver_share_of_uptake"),
        k_urine=v("kinetics.k_urine_per_day"),
        k_bile=v("kinetics.k_bile_per_day"),
        bile_reabsorption_low=v("kinetics.bile_reabsorption_at_low_flow"),
        bile_half_saturation_ug_per_day=v("kinetics.bile_reabsorption_half_saturation_ug_per_day"),
        k_hc_clearance=v("kinetics.k_hc_clearance_per_day"),
        hc_capacity_pmol_l=v("kinetics.hc_capacity_pmol_l"),
        hc_half_saturation_ug=v("kinetics.hc_half_saturation_liver_ug"),
        k_tc_delivery=v("kinetics.k_tc_delivery_per_day"),
        k_store_release=v("kinetics.k_store_release_per_day"),
        store_release_half_saturation_ug=v("kinetics.store_release_half_saturation_ug"),
        store_capacity_ug=v("kinetics.store_capacity_ug"),
        plasma_volume_l=v("kinetics.plasma_volume_l"),
        cellular_tau_days=v("kinetics.cellular_time_constant_days"),
        injections=injections,
        injection_plasma_share=v("injections.plasma_share"),
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
        texts=_texts(raw.get("texts"), "texts", path),
    )


@cache
def raw_parameters() -> dict[str, Any]:
    """The shipped YAML file as parsed."""
    path: Path = data_path(FILE)
    raw = read_yaml(path)
    if not isinstance(raw, dict):
        raise KnowledgeError(str(path), "must be a mapping")
    return raw


@cache
def load_parameters() -> Parameters:
    """The validated shipped parameter set (read once)."""
    return parse_parameters(raw_parameters(), FILE)
