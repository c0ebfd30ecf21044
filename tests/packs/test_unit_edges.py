"""Every cut-off, in every unit spelling and unit system, at and beside its edge, classifies the
same way: 180 pg/mL is NICE's 180 ng/L, 0.40 nmol/mL is the 0.40 µmol/L MMA limit.

Exhaustive: every cut-off of every pack and care rule file x every spelling of its test's unit
(same dimension: the decimal a person would type; other unit system: the exact conversion) x
{at the edge, just below, just above}. Each comparison that names the cut-off must give the same
answer as the cut-off's own value in its own unit.
"""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction

import pytest

from cobalamin import default_knowledge
from cobalamin.knowledge.logic import holds
from cobalamin.knowledge.model import Comparison, Cutoff, Pack
from cobalamin.pipeline import assess
from cobalamin.units import conversion_factor

# Spellings a laboratory or a person may use, per test (every one converts to the canonical unit).
SPELLINGS: dict[str, tuple[str, ...]] = {
    "b12": ("pmol/L", "nmol/L", "pmol/mL", "ng/L", "pg/mL", "ng/mL", "ug/L", "µg/L", "pg/L"),
    "holotc": ("pmol/L", "nmol/L", "pmol/mL", "ng/L", "pg/mL"),
    "mma": ("umol/L", "µmol/L", "μmol/L", "nmol/L", "nmol/mL", "mmol/L", "ug/L", "mg/L"),
    "hcy": ("umol/L", "µmol/L", "nmol/mL", "nmol/L", "mg/L", "ug/mL"),
    "folate": ("nmol/L", "ng/mL", "ug/L", "µg/L", "pmol/mL"),
    "rbc_folate": ("nmol/L", "ng/mL", "ug/L"),
    "hb": ("g/L", "g/dL", "mg/mL", "mmol/L"),
    "ferritin": ("ug/L", "ng/mL", "µg/L"),
    "creatinine": ("umol/L", "mg/dL", "mg/L"),
    "mcv": ("fL",),
}
BESIDE = 1e-6  # a relative step far above conversion noise and far below any lab's precision


def _rule_files() -> list[tuple[str, Pack]]:
    knowledge = default_knowledge()
    files = [(pack_id, knowledge.pack(pack_id)) for pack_id in knowledge.packs.builtin_ids()]
    files += [("safety", knowledge.safety.pack), ("workup", knowledge.workup.pack)]
    files += [
        (f"screening/{p}", knowledge.screening(p).pack) for p in knowledge.screening_pack_ids()
    ]
    return files


def _cases() -> list[tuple[str, Pack, Cutoff, str]]:
    knowledge = default_knowledge()
    found = []
    for name, pack in _rule_files():
        for cutoff in pack.cutoffs.values():
            if cutoff.fact not in knowledge.analytes:
                continue  # age and days are not converted
            for unit in SPELLINGS[cutoff.fact]:
                found.append((f"{name}:{cutoff.name}@{unit}", pack, cutoff, unit))
    return found


def _comparisons(pack: Pack, cutoff: Cutoff) -> list[Comparison]:
    return [c for t in pack.tables for r in t.rules for c in r.when if c.cutoff == cutoff.name]


def _typed(cutoff: Cutoff, unit: str) -> float:
    """The edge as a person types it in ``unit``: the exact decimal when the units differ by a
    power of ten, else the full-precision conversion (another unit system)."""
    analyte = default_knowledge().analytes[cutoff.fact]
    ratio = Fraction(conversion_factor(analyte, cutoff.unit)) / Fraction(
        conversion_factor(analyte, unit)
    )
    exponent = math.log10(ratio) if ratio > 0 else 0
    if abs(exponent - round(exponent)) < 1e-12:
        return float(Decimal(str(cutoff.value)).scaleb(round(exponent)))
    return cutoff.value * float(ratio)


def _canonical(cutoff: Cutoff, value: float, unit: str) -> float:
    return value * conversion_factor(default_knowledge().analytes[cutoff.fact], unit)


CASES = _cases()


def test_every_cut_off_of_every_rule_file_is_covered() -> None:
    assert len(CASES) > 150
    packs = {name.split(":")[0] for name, *_ in CASES}
    assert {"nice-ng239", "bsh-2014", "nhg-anemie", "safety"} <= packs


@pytest.mark.parametrize(("name", "pack", "cutoff", "unit"), CASES, ids=[c[0] for c in CASES])
def test_a_value_at_and_beside_a_cut_off_classifies_the_same_in_every_unit(
    name: str, pack: Pack, cutoff: Cutoff, unit: str
) -> None:
    comparisons = _comparisons(pack, cutoff)
    edge = _typed(cutoff, unit)
    for step, label in ((0.0, "at"), (-BESIDE, "below"), (BESIDE, "above")):
        reference = _canonical(cutoff, cutoff.value * (1 + step), cutoff.unit)
        typed = _canonical(cutoff, edge * (1 + step), unit)
        for comparison in comparisons:
            assert holds(comparison, typed) == holds(comparison, reference), (
                f"{name}: {edge * (1 + step)!r} {unit} ({label} the edge) "
                f"{comparison.op} {cutoff.display()}"
            )
    # the edge itself meets the cut-off on the side the source's wording puts it
    at = _canonical(cutoff, edge, unit)
    for comparison in comparisons:
        if comparison.op in ("le", "ge"):
            assert holds(comparison, at), f"{name}: {edge!r} {unit} {comparison.op} edge"
        elif comparison.op in ("lt", "gt"):
            assert not holds(comparison, at), f"{name}: {edge!r} {unit} {comparison.op} edge"


@pytest.mark.parametrize(
    ("pack_id", "result", "same_as"),
    [
        ("nice-ng239", {"test": "b12", "value": 180, "unit": "pg/mL"}, (180, "ng/L")),
        ("nice-ng239", {"test": "b12", "value": 0.18, "unit": "ug/L"}, (180, "ng/L")),
        ("nice-ng239", {"test": "b12", "value": 0.18, "unit": "ng/mL"}, (180, "ng/L")),
        ("nice-ng239", {"test": "holotc", "value": 0.07, "unit": "nmol/L"}, (70, "pmol/L")),
        ("bsh-2014", {"test": "b12", "value": 200, "unit": "pg/mL"}, (200, "ng/L")),
        ("gelderse-vallei", {"test": "b12", "value": 0.22, "unit": "nmol/L"}, (220, "pmol/L")),
        ("nhg-anemie", {"test": "b12", "value": 0.25, "unit": "nmol/L"}, (250, "pmol/L")),
        ("nhg-anemie", {"test": "holotc", "value": 0.035, "unit": "nmol/L"}, (35, "pmol/L")),
    ],
)  # fmt: skip
def test_the_review_examples_get_the_same_verdict_as_the_source_unit(
    pack_id: str, result: dict[str, object], same_as: tuple[float, str]
) -> None:
    knowledge = default_knowledge()
    pack = knowledge.pack(pack_id)
    given = assess({"results": [result]}, pack, knowledge)
    value, unit = same_as
    source = assess({"results": [{**result, "value": value, "unit": unit}]}, pack, knowledge)
    assert given.deficiency == source.deficiency
    assert [f.rule for f in given.findings] == [f.rule for f in source.findings]
    assert given.next_tests == source.next_tests


def test_mma_at_0_40_nmol_per_ml_is_not_raised() -> None:
    """Mayo reports MMA in nmol/mL with a normal range of <= 0.40 nmol/mL."""
    knowledge = default_knowledge()
    for pack_id in knowledge.packs.builtin_ids():
        case = {"results": [{"test": "mma", "value": 0.40, "unit": "nmol/mL"}]}
        rules = {f.rule for f in assess(case, knowledge.pack(pack_id), knowledge).findings}
        assert not any("raised" in rule for rule in rules), (pack_id, rules)
