"""Units: every value into its test's canonical UCUM unit.

UCUM strings are parsed by ucumvert into pint units; pint does the dimensional arithmetic.
Converting between mass and substance concentration (ng/L <-> pmol/L) uses the molar mass in
the analyte catalogue. Factors are computed once per (analyte, unit) and cached, so the batch
engine multiplies a whole column by one float and gets bit-identical results to ``assess``.
"""

from __future__ import annotations

import sys
import threading
from fractions import Fraction
from functools import cache
from typing import Any

from cobalamin.analytes import Analyte
from cobalamin.errors import UnitError

__all__ = ["conversion_factor", "from_canonical", "normalise_unit_text", "to_canonical"]

_MICRO_SIGNS = ("µ", "μ")


_REGISTRY_LOCK = threading.Lock()


def _registry() -> Any:
    # built once; a server's first requests arrive on several threads at the same time
    with _REGISTRY_LOCK:
        return _build_registry()


@cache
def _build_registry() -> Any:
    # pint probes for dask when it is first imported; cobalamin never gives pint dask arrays,
    # so hide dask for that one import (a one-case assess must not load it).
    hidden = "dask" not in sys.modules
    if hidden:
        sys.modules["dask"] = None  # type: ignore[assignment]
    try:
        from ucumvert import PintUcumRegistry
    finally:
        if hidden:
            del sys.modules["dask"]
    try:  # pint keeps its parsed definitions in the user's cache: 5x faster from the 2nd start
        return PintUcumRegistry(cache_folder=":auto:")
    except OSError:  # pragma: no cover - no writable cache folder
        return PintUcumRegistry()


def normalise_unit_text(text: str) -> str:
    """The UCUM spelling of a lab's unit text: micro sign to ``u``, spaces removed."""
    cleaned = text.strip().replace(" ", "")
    for sign in _MICRO_SIGNS:
        cleaned = cleaned.replace(sign, "u")
    return cleaned


@cache
def _parse(unit_text: str) -> Any:
    return _registry().from_ucum(unit_text)


def _allowed(item: Analyte) -> str:
    return ", ".join(item.example_units) or str(item.canonical_unit)


def conversion_factor(item: Analyte, unit_text: str) -> float:
    """Factor f such that ``value[unit] * f`` is the value in the analyte's canonical unit."""
    molar_mass = None if item.molar_mass is None else item.molar_mass.value
    return _factor(item.id, item.kind, item.canonical_unit, molar_mass, unit_text, _allowed(item))


@cache
def _factor(
    test_id: str,
    kind: str,
    canonical_unit: str | None,
    molar_mass: float | None,
    unit_text: str,
    allowed: str,
) -> float:
    field = f"{test_id}.unit"
    if kind != "quantitative" or canonical_unit is None:
        raise UnitError(field, "this test is qualitative and takes no unit")
    unit = normalise_unit_text(unit_text)
    if not unit:
        raise UnitError(field, "a unit is required", allowed)
    if unit == canonical_unit:
        return 1.0
    return _exact(_pint_factor(unit, unit_text, canonical_unit, molar_mass, field, allowed))


def _exact(factor: float) -> float:
    """The factor as the float nearest its exact ratio. pint reaches the same ratio along
    different paths (pg/mL, ng/L) with different rounding in the last digit; every factor here is
    a ratio of small decimals (powers of ten, a molar mass), which ``limit_denominator`` recovers,
    so a value at a cut-off classifies the same in every spelling of the same unit."""
    return float(Fraction(factor).limit_denominator(10**9))


def _pint_factor(
    unit: str,
    unit_text: str,
    canonical_unit: str,
    molar_mass: float | None,
    field: str,
    allowed: str,
) -> float:
    try:
        quantity = 1.0 * _parse(unit)
    except Exception:
        raise UnitError(field, f"unknown unit {unit_text!r}", allowed) from None
    canonical = 1.0 * _parse(canonical_unit)
    if quantity.dimensionality == canonical.dimensionality:
        return float((quantity / canonical).to("dimensionless").magnitude)
    if molar_mass is not None:
        mass = molar_mass * _parse("g/mol")
        for converted in (quantity / mass, quantity * mass):
            if converted.dimensionality == canonical.dimensionality:
                return float((converted / canonical).to("dimensionless").magnitude)
    raise UnitError(field, f"{unit_text!r} cannot be converted to {canonical_unit}", allowed)


def to_canonical(item: Analyte, value: float, unit: str) -> float:
    """The value in the analyte's canonical unit."""
    return value * conversion_factor(item, unit)


def from_canonical(item: Analyte, value: float, unit: str) -> float:
    """A canonical value expressed in another unit (for display)."""
    return value / conversion_factor(item, unit)
