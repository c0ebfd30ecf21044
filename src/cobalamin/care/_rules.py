"""Reading care rule files (safety alerts, screening) into the pack model.

A care rule file has the same shape as a pack (sources, cut-offs, decision tables) and is read
with the pack loader's own functions, so its tables are ``Pack`` tables that ``engine.evaluate``
runs and the batch compiler can compile. Differences from a pack:

- no table has to set ``deficiency``; instead the file may require its own outputs
  (screening files must set ``test_now``, ``first_test`` and ``retest``);
- rules may read the pack's conclusions ``deficiency`` and ``severe`` as optional facts
  (missing when no pack ran, e.g. in ``screen``);
- cut-offs on facts that are not lab tests (``days_since_b12_injection``) are given in the
  fact's own unit;
- every source carries a ``status`` (VERIFIED, SECONDARY or SEED) as in
  shared/knowledge/clinical.md; UNVERIFIED facts are not encoded.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from cobalamin._data import data_path, read_yaml
from cobalamin.analytes import catalogue
from cobalamin.knowledge import loader as _loader
from cobalamin.knowledge.coverage import check_coverage
from cobalamin.knowledge.facts import FactSpec, base_facts
from cobalamin.knowledge.model import DEFICIENCY_VALUES, Cutoff, Pack, Source, Table

__all__ = ["CareRules", "derived_facts", "load_care_rules", "parse_care_rules"]

STATUSES = ("VERIFIED", "SECONDARY", "SEED")
_KEYS = {"id", "title", "publisher", "date", "language", "description", "sources", "cutoffs",
         "tables", "pack"}  # fmt: skip


@dataclass(frozen=True)
class CareRules:
    """A care rule file: a Pack (for the engine) plus each source's evidence status."""

    pack: Pack
    status: dict[str, str]  # source key -> VERIFIED | SECONDARY | SEED
    for_pack: str | None = None  # the guideline pack these rules belong to (screening)

    def source_text(self, key: str | None) -> str:
        if key is None:
            return self.pack.id
        source: Source = self.pack.sources[key]
        return f"{self.pack.id}/{key}: {source.citation} [{self.status[key]}]"


def derived_facts() -> dict[str, FactSpec]:
    """Facts a care rule may read besides the base facts: a pack's conclusions, if it ran."""
    return {
        "deficiency": FactSpec("deficiency", "category", values=DEFICIENCY_VALUES),
        "severe": FactSpec("severe", "boolean"),
    }


def _cutoff(ctx: Any, name: str, entry: Any, sources: Mapping[str, Source], where: str) -> Cutoff:
    fact = entry.get("fact") if isinstance(entry, dict) else None
    spec = base_facts().get(fact) if isinstance(fact, str) else None
    if spec is None or spec.kind != "number" or fact in catalogue() or fact == "age":
        return _loader._cutoff(ctx, name, entry, sources, where)
    # A number that is no lab test: the cut-off is written in the fact's own unit.
    unknown = set(entry) - {"fact", "value", "unit", "source", "statement"}
    if unknown:
        raise ctx.error(f"{where}.{sorted(unknown)[0]}", "unknown field")
    value = _loader._require(ctx, entry, "value", where, float)
    if entry.get("unit") != spec.unit:
        raise ctx.error(f"{where}.unit", f"{fact} cut-offs are in {spec.unit}")
    source = _loader._require(ctx, entry, "source", where)
    if source not in sources:
        raise ctx.error(f"{where}.source", f"unknown source {source!r}; add it under sources")
    return Cutoff(name, str(fact), value, str(spec.unit), value, source, entry.get("statement"))


def _tables(
    ctx: Any,
    raw: Any,
    cutoffs: Mapping[str, Cutoff],
    sources: Mapping[str, Source],
    required_outputs: tuple[str, ...],
) -> tuple[tuple[Table, ...], tuple[str, ...]]:
    if not isinstance(raw, list) or not raw:
        raise ctx.error("tables", "must be a non-empty list")
    facts = {**base_facts(), **derived_facts()}
    tables: list[Table] = []
    rule_ids: set[str] = set()
    reads: list[str] = []
    for index, entry in enumerate(raw):
        where = f"tables[{index}]"
        if not isinstance(entry, dict):
            raise ctx.error(where, "must be a mapping")
        table_id = _loader._require(ctx, entry, "id", where)
        where = f"tables[{table_id}]"
        policy = entry.get("hit_policy")
        if policy not in ("unique", "first", "collect"):
            raise ctx.error(f"{where}.hit_policy", "must be unique, first or collect")
        outputs = tuple(entry.get("outputs") or ())
        if policy == "collect" and outputs:
            raise ctx.error(f"{where}.outputs", "a collect table sets no facts")
        if policy != "collect" and not outputs:
            raise ctx.error(f"{where}.outputs", "a unique or first table must name its outputs")
        for name in outputs:
            if name in facts:
                raise ctx.error(f"{where}.outputs", f"{name!r} is already a fact")
        raw_rules = entry.get("rules")
        if not isinstance(raw_rules, list) or not raw_rules:
            raise ctx.error(f"{where}.rules", "must be a non-empty list")
        rules = []
        for r_index, raw_rule in enumerate(raw_rules):
            rule = _loader._rule(
                ctx, raw_rule, f"{where}.rules[{r_index}]", facts, cutoffs, sources, outputs
            )
            if rule.id in rule_ids:
                raise ctx.error(f"{where}.rules[{rule.id}]", "rule id is used twice in this file")
            rule_ids.add(rule.id)
            rules.append(rule)
            reads.extend(c.fact for c in rule.when if c.fact in base_facts())
        table = Table(table_id, policy, outputs, tuple(rules), entry.get("description"))
        if policy != "collect":
            problem = check_coverage(table, facts)
            if problem:
                raise ctx.error(where, problem)
        for name in outputs:
            produced = {str(v) for r in rules for k, v in r.sets if k == name}
            facts[name] = FactSpec(name, "category", values=tuple(sorted(produced)), optional=False)
        tables.append(table)
    for name in required_outputs:
        if name not in facts or name in base_facts():
            raise ctx.error("tables", f"no table sets {name}")
    return tuple(tables), tuple(dict.fromkeys(reads))


def parse_care_rules(raw: Any, path: str, required_outputs: tuple[str, ...] = ()) -> CareRules:
    """Build care rules from parsed YAML; errors name the file, table, rule and field."""
    ctx = _loader._Ctx(path)
    if not isinstance(raw, dict):
        raise ctx.error("", "a care rule file must be a YAML mapping")
    unknown = set(raw) - _KEYS
    if unknown:
        raise ctx.error(sorted(unknown)[0], f"unknown field (allowed: {', '.join(sorted(_KEYS))})")
    sources = _loader._sources(ctx, raw.get("sources"))
    status: dict[str, str] = {}
    for key, entry in raw["sources"].items():
        value = entry.get("status")
        if value not in STATUSES:
            raise ctx.error(
                f"sources.{key}.status",
                f"must be {', '.join(STATUSES)} (UNVERIFIED facts are not encoded)",
            )
        status[key] = value
    cutoffs = {
        name: _cutoff(ctx, name, entry, sources, f"cutoffs.{name}")
        for name, entry in (raw.get("cutoffs") or {}).items()
    }
    tables, reads = _tables(ctx, raw.get("tables"), cutoffs, sources, required_outputs)
    pack = Pack(
        id=_loader._require(ctx, raw, "id", ""),
        title=_loader._require(ctx, raw, "title", ""),
        publisher=_loader._require(ctx, raw, "publisher", ""),
        date=str(_loader._require(ctx, raw, "date", "", object)),
        language=_loader._require(ctx, raw, "language", ""),
        description=_loader._text(ctx, raw.get("description"), "description", cutoffs),
        sources=sources,
        cutoffs=cutoffs,
        tables=tables,
        path=path,
        reads=reads,
    )
    for_pack = raw.get("pack")
    if for_pack is not None and not isinstance(for_pack, str):
        raise ctx.error("pack", "must be a pack id")
    return CareRules(pack, status, for_pack)


@cache
def load_care_rules(*parts: str, required_outputs: tuple[str, ...] = ()) -> CareRules:
    """Care rules from a file under ``cobalamin/data``."""
    path = data_path(*parts)
    return parse_care_rules(read_yaml(path), str(path), required_outputs)
