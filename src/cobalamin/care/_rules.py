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

from dataclasses import dataclass
from functools import cache
from typing import Any

from cobalamin._data import data_path, read_yaml
from cobalamin.knowledge import loader as _loader
from cobalamin.knowledge.facts import FactSpec
from cobalamin.knowledge.model import DEFICIENCY_VALUES, Pack, Source

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
        name: _loader._cutoff(ctx, name, entry, sources, f"cutoffs.{name}")
        for name, entry in (raw.get("cutoffs") or {}).items()
    }
    tables, reads = _loader._tables(
        ctx,
        raw.get("tables"),
        cutoffs,
        sources,
        extra_facts=derived_facts(),
        required_outputs=required_outputs,
    )
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
