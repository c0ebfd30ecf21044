"""Reading care rule files (safety alerts, screening, work-up) into the pack model.

A care rule file has the same shape as a pack (sources, cut-offs, decision tables) and is read
by the pack loader's own ``RuleFileReader``, so its tables are ``Pack`` tables that
``engine.evaluate`` runs and the batch compiler can compile. Differences from a pack:

- no table has to set ``deficiency``; instead the file may require its own outputs
  (screening files must set ``test_now``, ``first_test`` and ``retest``);
- rules may read the pack's conclusions ``deficiency`` and ``severe`` as optional facts
  (missing when no pack ran, e.g. in ``screen``);
- cut-offs on facts that are not lab tests (``days_since_b12_injection``) are given in the
  fact's own unit;
- sources are bibliography ids, like a pack's; UNVERIFIED facts are not encoded.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cobalamin.knowledge.facts import FactSpec
from cobalamin.knowledge.loader import RuleCatalogues, RuleFileReader
from cobalamin.knowledge.model import DEFICIENCY_VALUES, Pack, Rule
from cobalamin.knowledge.sources import fast_yaml_document

__all__ = [
    "SCREENING_OUTPUTS",
    "CareRules",
    "derived_facts",
    "load_care_rules",
    "load_screening_rules",
    "parse_care_rules",
]

SCREENING_OUTPUTS: dict[str, tuple[str, ...]] = {
    "test_now": ("yes", "consider", "no", "not_covered"),
    "first_test": ("b12", "total_b12", "holotc", "hcy", "none"),
    "retest": ("if_symptoms", "periodic", "not_stated", "none"),
}
_KEYS = {"id", "title", "publisher", "date", "language", "description", "sources", "cutoffs",
         "tables", "pack"}  # fmt: skip


@dataclass(frozen=True)
class CareRules:
    """A care rule file: a Pack the engine runs (and the batch compiler compiles)."""

    pack: Pack
    for_pack: str | None = None  # the guideline pack these rules belong to (screening)

    def citation(self, rule: Rule) -> tuple[str, tuple[str, ...]]:
        """The readable citation of a rule and the source ids behind it."""
        ids = self.pack.citation_ids(rule)
        return self.pack.cite(ids), ids


def derived_facts() -> dict[str, FactSpec]:
    """Facts a care rule may read besides the base facts: a pack's conclusions, if it ran."""
    return {
        "deficiency": FactSpec("deficiency", "category", values=DEFICIENCY_VALUES),
        "severe": FactSpec("severe", "boolean"),
    }


def parse_care_rules(
    raw: Any,
    path: str,
    catalogues: RuleCatalogues,
    required_outputs: tuple[str, ...] = (),
    reader: RuleFileReader | None = None,
) -> CareRules:
    """Build care rules from parsed YAML; errors name the file, table, rule and field."""
    reader = reader or RuleFileReader(path, catalogues)
    if not isinstance(raw, dict):
        raise reader.error("", "a care rule file must be a YAML mapping")
    unknown = set(raw) - _KEYS
    if unknown:
        raise reader.error(
            sorted(unknown)[0], f"unknown field (allowed: {', '.join(sorted(_KEYS))})"
        )
    sources = reader.sources(raw.get("sources"))
    cutoffs = {
        name: reader.cutoff(name, entry, sources, f"cutoffs.{name}")
        for name, entry in (raw.get("cutoffs") or {}).items()
    }
    tables, reads = reader.tables(
        raw.get("tables"),
        cutoffs,
        sources,
        extra_facts=derived_facts(),
        required_outputs=required_outputs,
    )
    pack = reader.pack(raw, path, sources, cutoffs, tables, reads)
    for_pack = raw.get("pack")
    if for_pack is not None and not isinstance(for_pack, str):
        raise reader.error("pack", "must be a pack id")
    return CareRules(pack, for_pack)


def load_care_rules(
    path: Path, catalogues: RuleCatalogues, required_outputs: tuple[str, ...] = ()
) -> CareRules:
    """Care rules from a YAML file; errors carry the file's line and column."""
    document = fast_yaml_document(path)
    reader = RuleFileReader(str(path), catalogues, document)
    return parse_care_rules(document.data, str(path), catalogues, required_outputs, reader)


def load_screening_rules(path: Path, catalogues: RuleCatalogues) -> CareRules:
    """One guideline's screening rules: they must set the screening outputs, with known words,
    and name the pack they belong to as their file name does."""
    document = fast_yaml_document(path)
    reader = RuleFileReader(str(path), catalogues, document)
    rules = parse_care_rules(document.data, str(path), catalogues, tuple(SCREENING_OUTPUTS), reader)
    for table in rules.pack.tables:
        for rule in table.rules:
            for name, value in rule.sets:
                if name in SCREENING_OUTPUTS and value not in SCREENING_OUTPUTS[name]:
                    raise reader.error(
                        f"tables[{table.id}].rules[{rule.id}].set.{name}",
                        f"must be one of {', '.join(SCREENING_OUTPUTS[name])}",
                    )
    if rules.for_pack != path.stem:
        raise reader.error("pack", f"must be {path.stem!r} (the file's name)")
    return rules
