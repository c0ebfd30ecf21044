"""Reading rule files (packs and care rule files): YAML -> model, reference and coverage checks,
``extends``/``override``, and each pack's content hash.

Every error names the file, the line and column, the table and rule, and the field, e.g.
``packs/nice-ng239.yaml, line 66, col 9: tables[b12_band].rules[nice_b12_low].when.b12: unknown
cut-off 'x'``.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from cobalamin.analytes import AnalyteCatalogue
from cobalamin.datafiles import YamlDocument
from cobalamin.errors import CobalaminError, PackError
from cobalamin.knowledge.alerts import AlertCatalogue
from cobalamin.knowledge.coverage import check_coverage
from cobalamin.knowledge.facts import FactSpec
from cobalamin.knowledge.model import (
    DEFICIENCY_VALUES,
    NUMERIC_OPS,
    Comparison,
    Cutoff,
    NextTest,
    Pack,
    Rule,
    Table,
    Text,
)
from cobalamin.knowledge.sources import Reference, reference_from, source_ids, unknown_source
from cobalamin.units import to_canonical
from cobalamin.vocabulary import Vocabulary

__all__ = [
    "EDGE_TOLERANCE",
    "PackResolver",
    "RuleCatalogues",
    "RuleFileReader",
    "merge_override",
    "pack_sha256",
    "parse_pack",
]

_PLACEHOLDER = re.compile(r"\{([a-z0-9_]+)\}")
_PACK_KEYS = {
    "id", "title", "publisher", "date", "language", "description", "status", "extends",
    "sources", "cutoffs", "override", "tables",
}  # fmt: skip
_RULE_KEYS = {"id", "when", "set", "next_tests", "alerts", "finding", "source", "statement"}
# A result within one part in 10^9 of a cut-off is *at* the cut-off. Unit conversion leaves
# float noise in the last digits (0.18 ng/mL and 180 pg/mL differ by one ulp once converted), so
# every comparison absorbs it: the value at an edge classifies the same in every spelling and
# unit system. No laboratory reports nine significant digits.
EDGE_TOLERANCE = 1e-9

PackResolver = Callable[[str], tuple[dict[str, Any], YamlDocument | None]]


@dataclass(frozen=True)
class RuleCatalogues:
    """What a rule file is checked against: tests, vocabulary, base facts and alert codes."""

    analytes: AnalyteCatalogue
    vocabulary: Vocabulary
    facts: Mapping[str, FactSpec]
    alerts: AlertCatalogue
    sources: Mapping[str, Reference]  # the bibliography (data/sources.yaml)


class RuleFileReader:
    """Reads the parts of one rule file; knows where it is for error messages."""

    def __init__(
        self, path: str, catalogues: RuleCatalogues, document: YamlDocument | None = None
    ) -> None:
        self.path = path
        self.catalogues = catalogues
        self.document = document
        self.overridden: frozenset[str] = frozenset()  # cut-offs this file sets under override:

    def error(self, where: str, message: str) -> PackError:
        name = where.split(".")[1] if where.startswith("cutoffs.") else None
        if name in self.overridden:  # a merged cut-off: point at the override that set it
            where = f"override.{where}"
        if self.document is not None:
            return PackError(self.document.where(where), message)
        return PackError(f"{self.path}: {where}" if where else self.path, message)

    def pack(
        self,
        raw: Mapping[str, Any],
        path: str,
        sources: Mapping[str, Any],
        cutoffs: Mapping[str, Cutoff],
        tables: tuple[Table, ...],
        reads: tuple[str, ...],
        **extra: Any,
    ) -> Pack:
        """A Pack from a rule file's header fields and its parsed parts."""
        titles = self.title(self.require(raw, "title", "", object))
        return Pack(
            id=self.require(raw, "id", ""),
            title=titles.en,
            titles=titles,
            publisher=self.require(raw, "publisher", ""),
            date=str(self.require(raw, "date", "", object)),
            language=self.require(raw, "language", ""),
            description=self.text(raw.get("description"), "description", cutoffs),
            sources=dict(sources),
            cutoffs=dict(cutoffs),
            tables=tables,
            path=path,
            reads=reads,
            **extra,
        )

    def require(self, data: Mapping[str, Any], key: str, where: str, kind: type = str) -> Any:
        if key not in data or data[key] is None:
            raise self.error(f"{where}.{key}" if where else key, "is required")
        value = data[key]
        if kind is float and isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        if not isinstance(value, kind):
            raise self.error(f"{where}.{key}" if where else key, f"must be a {kind.__name__}")
        return value

    def text(self, raw: Any, where: str, cutoffs: Mapping[str, Cutoff]) -> Text:
        if not isinstance(raw, dict) or set(raw) != {"en", "nl"}:
            raise self.error(where, "must have exactly an English (en) and a Dutch (nl) text")
        rendered = {}
        for lang in ("en", "nl"):
            text = raw[lang]
            if not isinstance(text, str) or not text.strip():
                raise self.error(f"{where}.{lang}", "must be a non-empty text")
            for name in _PLACEHOLDER.findall(text):
                if name not in cutoffs:
                    raise self.error(f"{where}.{lang}", f"placeholder {{{name}}} names no cut-off")
            rendered[lang] = _PLACEHOLDER.sub(_shown_cutoff(cutoffs, lang), text)
        return Text(rendered["en"], rendered["nl"])

    def title(self, raw: Any) -> Text:
        """A title: one text (the same in both languages) or {en, nl}."""
        if isinstance(raw, str) and raw.strip():
            return Text(raw, raw)
        if isinstance(raw, dict):
            return self.text(raw, "title", {})
        raise self.error("title", "must be a text or {en: ..., nl: ...}")

    def sources(self, raw: Any) -> dict[str, Reference]:
        """The ``sources:`` list: bibliography ids, or a site's own sources written inline."""
        if not isinstance(raw, list) or not raw:
            raise self.error(
                "sources",
                "must list the bibliography ids this file cites (data/sources.yaml), "
                "and any local source of the site as {id, title, publisher, date, kind, url}",
            )
        bibliography = self.catalogues.sources
        found: dict[str, Reference] = {}
        for index, entry in enumerate(raw):
            where = f"sources[{index}]"
            if isinstance(entry, str):
                if entry not in bibliography:
                    raise self.error(where, unknown_source(entry))
                reference = bibliography[entry]
            elif isinstance(entry, dict):
                key = entry.get("id")
                if not isinstance(key, str) or not key:
                    raise self.error(f"{where}.id", "a local source needs an id")
                if key in bibliography:
                    raise self.error(
                        f"{where}.id", f"{key!r} is a bibliography id; list it as - {key}"
                    )
                fields = {k: v for k, v in entry.items() if k != "id"}
                reference = reference_from(fields, key, self.error, where, local=True)
            else:
                raise self.error(where, "must be a source id or a local source {id, title, ...}")
            if reference.id in found:
                raise self.error(where, f"{reference.id!r} is listed twice")
            found[reference.id] = reference
        return found

    def source_ids(self, raw: Any, where: str, sources: Mapping[str, Reference]) -> tuple[str, ...]:
        """A ``source`` field: one id or a list, each listed under the file's ``sources``."""
        ids = source_ids(raw)
        if ids is None:
            raise self.error(where, "must be a source id or a list of source ids")
        for index, key in enumerate(ids):
            if key not in sources:
                spot = where if len(ids) == 1 else f"{where}[{index}]"
                if key not in self.catalogues.sources:
                    raise self.error(spot, unknown_source(key))
                raise self.error(spot, f"{key!r} is not listed under this file's sources")
        return ids

    def cutoff(self, name: str, entry: Any, sources: Mapping[str, Reference], where: str) -> Cutoff:
        if not isinstance(entry, dict):
            raise self.error(where, "must be a mapping with fact, value, unit and source")
        unknown = set(entry) - {"fact", "value", "unit", "source", "statement"}
        if unknown:
            raise self.error(f"{where}.{sorted(unknown)[0]}", "unknown field")
        fact = self.require(entry, "fact", where)
        spec = self.catalogues.facts.get(fact)
        if spec is None or spec.kind != "number":
            raise self.error(f"{where}.fact", f"{fact!r} is not a numeric fact")
        value = self.require(entry, "value", where, float)
        unit = self.require(entry, "unit", where)
        if entry.get("source") is None:
            raise self.error(f"{where}.source", "is required")
        cited = self.source_ids(entry["source"], f"{where}.source", sources)
        if fact not in self.catalogues.analytes:  # age, days: written in the fact's own unit
            if unit != spec.unit:
                raise self.error(f"{where}.unit", f"{fact} cut-offs are in {spec.unit}")
            canonical = value
        else:
            try:
                canonical = to_canonical(self.catalogues.analytes[fact], value, unit)
            except CobalaminError as exc:
                raise self.error(f"{where}.unit", str(exc)) from None
        return Cutoff(name, fact, value, unit, canonical, cited, entry.get("statement"))

    def comparisons(
        self,
        fact: str,
        raw: Any,
        where: str,
        facts: Mapping[str, FactSpec],
        cutoffs: Mapping[str, Cutoff],
    ) -> list[Comparison]:
        spec = facts.get(fact)
        if spec is None:
            raise self.error(where, f"unknown fact {fact!r}")
        if raw in ("missing", "present"):
            if not spec.optional:
                raise self.error(where, f"{fact} is never missing")
            return [Comparison(fact, raw)]
        if spec.kind == "boolean":
            if not isinstance(raw, bool):
                raise self.error(where, "must be true or false")
            return [Comparison(fact, "is", flag=raw)]
        if spec.kind == "category":
            values = (
                [raw]
                if isinstance(raw, str | int)
                else raw.get("in")
                if isinstance(raw, dict)
                else None
            )
            if not isinstance(values, list):
                raise self.error(where, "must be a value, {in: [values]}, missing or present")
            for value in values:
                if str(value) not in spec.values:
                    raise self.error(
                        where,
                        f"{value!r} is not a value of {fact}",
                    )
            return [Comparison(fact, "in", values=tuple(str(v) for v in values))]
        if not isinstance(raw, dict) or not raw:
            raise self.error(where, "must be a mapping of comparisons such as {lt: cut_off_name}")
        result = []
        for op, operand in raw.items():
            if spec.kind == "number":
                if op not in NUMERIC_OPS:
                    raise self.error(f"{where}.{op}", "numbers compare with lt, le, gt or ge")
                cutoff = cutoffs.get(operand) if isinstance(operand, str) else None
                if cutoff is None:
                    raise self.error(
                        f"{where}.{op}",
                        f"unknown cut-off {operand!r} (thresholds are named cut-offs with a source)",
                    )
                if cutoff.fact != fact:
                    raise self.error(
                        f"{where}.{op}", f"cut-off {operand!r} is for {cutoff.fact}, not {fact}"
                    )
                number = _absorb_noise(cutoff.canonical, op)
                result.append(Comparison(fact, op, number=number, cutoff=cutoff.name))
            else:  # set
                if op not in ("any_of", "none_of") or not isinstance(operand, list) or not operand:
                    raise self.error(
                        f"{where}.{op}", "lists compare with any_of or none_of and a list of ids"
                    )
                members_all: set[str] = set()
                for item in operand:
                    if isinstance(item, str) and item.startswith("group:"):
                        members = self.catalogues.vocabulary.group_members(
                            spec.vocabulary or "", item[6:]
                        )
                        if not members:
                            raise self.error(f"{where}.{op}", f"unknown group {item!r}")
                        members_all |= members
                    elif item in spec.values:
                        members_all.add(item)
                    else:
                        raise self.error(f"{where}.{op}", f"unknown {fact} id {item!r}")
                result.append(Comparison(fact, op, values=tuple(sorted(members_all))))
        return result

    def next_tests(
        self, raw: Any, where: str, cutoffs: Mapping[str, Cutoff]
    ) -> tuple[NextTest, ...]:
        if not isinstance(raw, list):
            raise self.error(where, "must be a list of {test, reflex, reason}")
        tests = []
        for index, entry in enumerate(raw):
            here = f"{where}[{index}]"
            if not isinstance(entry, dict):
                raise self.error(here, "must be a mapping {test, reflex, reason}")
            test = self.require(entry, "test", here)
            if test not in self.catalogues.facts:
                raise self.error(f"{here}.test", f"unknown test {test!r}")
            reflex = entry.get("reflex", False)
            if not isinstance(reflex, bool):
                raise self.error(f"{here}.reflex", "must be true or false")
            tests.append(
                NextTest(test, reflex, self.text(entry.get("reason"), f"{here}.reason", cutoffs))
            )
        return tuple(tests)

    def rule(
        self, raw: Any, where: str, facts: dict[str, FactSpec], cutoffs: Mapping[str, Cutoff],
        sources: Mapping[str, Reference], outputs: tuple[str, ...],
    ) -> Rule:  # fmt: skip
        if not isinstance(raw, dict):
            raise self.error(where, "must be a mapping")
        rule_id = self.require(raw, "id", where)
        where = f"{where.rsplit('[', 1)[0]}[{rule_id}]"
        unknown = set(raw) - _RULE_KEYS
        if unknown:
            raise self.error(
                f"{where}.{sorted(unknown)[0]}",
                f"unknown field (allowed: {', '.join(sorted(_RULE_KEYS))})",
            )
        when_raw = raw.get("when") or {}
        if not isinstance(when_raw, dict):
            raise self.error(f"{where}.when", "must be a mapping of fact: condition")
        when: list[Comparison] = []
        for fact, condition in when_raw.items():
            when.extend(self.comparisons(fact, condition, f"{where}.when.{fact}", facts, cutoffs))
        sets_raw = raw.get("set") or {}
        if set(sets_raw) != set(outputs):
            raise self.error(
                f"{where}.set",
                f"must set exactly the table outputs: {', '.join(outputs) or 'none'}",
            )
        for name, value in sets_raw.items():
            if name == "deficiency" and value not in DEFICIENCY_VALUES:
                raise self.error(
                    f"{where}.set.deficiency", f"must be one of {', '.join(DEFICIENCY_VALUES)}"
                )
            if name == "severe" and not isinstance(value, bool):
                raise self.error(f"{where}.set.severe", "must be true or false")
            if name not in ("severe",) and not isinstance(value, str):
                raise self.error(f"{where}.set.{name}", "must be a word")
        alerts = tuple(raw.get("alerts") or ())
        for code in alerts:
            if code not in self.catalogues.alerts:
                raise self.error(f"{where}.alerts", f"unknown alert code {code!r}")
        finding = (
            self.text(raw["finding"], f"{where}.finding", cutoffs) if "finding" in raw else None
        )
        cited = (
            self.source_ids(raw["source"], f"{where}.source", sources)
            if raw.get("source") is not None
            else ()
        )
        concludes = finding or raw.get("next_tests") or {"deficiency", "severe"} & set(sets_raw)
        if concludes and not cited:
            raise self.error(
                f"{where}.source", "a rule that concludes something must name its source"
            )
        named = [c.cutoff for c in when if c.cutoff]
        for text in (raw.get("finding"), *[t.get("reason") for t in raw.get("next_tests") or []]):
            if isinstance(text, dict):
                named += [n for lang in ("en", "nl") for n in _PLACEHOLDER.findall(text[lang])]
        return Rule(
            id=rule_id,
            when=tuple(when),
            cutoffs=tuple(dict.fromkeys(named)),
            sets=tuple(sets_raw.items()),
            next_tests=self.next_tests(raw.get("next_tests") or [], f"{where}.next_tests", cutoffs),
            alerts=alerts,
            finding=finding,
            sources=cited,
            statement=raw.get("statement"),
        )

    def tables(
        self,
        raw: Any,
        cutoffs: Mapping[str, Cutoff],
        sources: Mapping[str, Reference],
        *,
        extra_facts: Mapping[str, FactSpec] | None = None,
        required_outputs: tuple[str, ...] = ("deficiency",),
    ) -> tuple[tuple[Table, ...], tuple[str, ...]]:
        """Tables in order; each may read base facts, ``extra_facts`` and earlier tables' outputs."""
        if not isinstance(raw, list) or not raw:
            raise self.error("tables", "must be a non-empty list")
        base = self.catalogues.facts
        facts = {**base, **(extra_facts or {})}
        tables: list[Table] = []
        rule_ids: set[str] = set()
        reads: list[str] = []
        for index, entry in enumerate(raw):
            where = f"tables[{index}]"
            if not isinstance(entry, dict):
                raise self.error(where, "must be a mapping")
            table_id = self.require(entry, "id", where)
            where = f"tables[{table_id}]"
            policy = entry.get("hit_policy")
            if policy not in ("unique", "first", "collect"):
                raise self.error(f"{where}.hit_policy", "must be unique, first or collect")
            outputs = tuple(entry.get("outputs") or ())
            if policy == "collect" and outputs:
                raise self.error(f"{where}.outputs", "a collect table sets no facts")
            if policy != "collect" and not outputs:
                raise self.error(
                    f"{where}.outputs", "a unique or first table must name its outputs"
                )
            for name in outputs:
                if name in facts:
                    raise self.error(f"{where}.outputs", f"{name!r} is already a fact")
            raw_rules = entry.get("rules")
            if not isinstance(raw_rules, list) or not raw_rules:
                raise self.error(f"{where}.rules", "must be a non-empty list")
            rules = []
            for r_index, raw_rule in enumerate(raw_rules):
                rule = self.rule(
                    raw_rule, f"{where}.rules[{r_index}]", facts, cutoffs, sources, outputs
                )
                if rule.id in rule_ids:
                    raise self.error(
                        f"{where}.rules[{rule.id}]", "rule id is used twice in this pack"
                    )
                rule_ids.add(rule.id)
                rules.append(rule)
                reads.extend(c.fact for c in rule.when if c.fact in base)
            table = Table(table_id, policy, outputs, tuple(rules), entry.get("description"))
            if policy != "collect":
                problem = check_coverage(table, facts)
                if problem:
                    raise self.error(where, problem)
            for name in outputs:
                produced = {str(v) for r in rules for k, v in r.sets if k == name}
                if name == "severe":
                    facts[name] = FactSpec(name, "boolean", optional=False)
                else:
                    facts[name] = FactSpec(
                        name, "category", values=tuple(sorted(produced)), optional=False
                    )
            tables.append(table)
        for name in required_outputs:
            if name not in facts or name in base or name in (extra_facts or {}):
                raise self.error("tables", f"no table sets {name}")
        return tuple(tables), tuple(dict.fromkeys(reads))


def merge_override(
    reader: RuleFileReader, parent_raw: dict[str, Any], child: dict[str, Any]
) -> dict[str, Any]:
    merged = dict(parent_raw)
    for key in ("id", "title", "publisher", "date", "language", "description", "status"):
        if key in child:
            merged[key] = child[key]
    merged["extends"] = child["extends"]
    parent_sources = parent_raw.get("sources") or []
    if not isinstance(parent_sources, list):
        parent_sources = []
    # the site's own sources: what it lists that its parent does not (a parent's source can
    # never vouch for a site's number)
    own_sources = _listed_ids(child.get("sources")) - _listed_ids(parent_sources)
    child_sources = child.get("sources") or []
    if not isinstance(child_sources, list):
        raise reader.error("sources", "must be a list of source ids or local sources")
    merged["sources"] = [
        *parent_sources,
        *(s for s in child_sources if _listed_ids([s]) <= own_sources),
    ]
    if "tables" in child:
        raise reader.error(
            "tables", "a pack that extends another cannot redefine tables; override cut-offs"
        )
    if "cutoffs" in child:
        raise reader.error(
            "cutoffs", "a pack that extends another changes cut-offs only under override:"
        )
    override = child.get("override") or {}
    unknown = set(override) - {"cutoffs"}
    if unknown:
        raise reader.error(f"override.{sorted(unknown)[0]}", "only cutoffs can be overridden")
    cutoffs = dict(parent_raw.get("cutoffs", {}))
    for name, entry in (override.get("cutoffs") or {}).items():
        where = f"override.cutoffs.{name}"
        if name not in cutoffs:
            raise reader.error(where, f"the parent pack has no cut-off {name!r}")
        if not isinstance(entry, dict):
            raise reader.error(where, "must be a mapping with value, unit, source and statement")
        # Provenance: a site's own number must never be shown with the parent's citation.
        cited = source_ids(entry.get("source"))
        if not cited or not set(cited) <= own_sources:
            raise reader.error(
                f"{where}.source",
                "an override must cite its own source, one listed under this pack's sources: "
                f"(allowed: {', '.join(sorted(own_sources)) or 'none listed yet'})",
            )
        if not isinstance(entry.get("statement"), str) or not entry["statement"].strip():
            raise reader.error(
                f"{where}.statement", "an override must restate the statement its source makes"
            )
        cutoffs[name] = {**cutoffs[name], **entry}
    merged["cutoffs"] = cutoffs
    return merged


def _shown_cutoff(cutoffs: Mapping[str, Cutoff], lang: str) -> Callable[[re.Match[str]], str]:
    """The replacement of a {cutoff} placeholder: the cut-off as a reader sees it in ``lang``."""

    def shown(match: re.Match[str]) -> str:
        return cutoffs[match.group(1)].display(lang)

    return shown


def _listed_ids(raw: Any) -> set[str]:
    """The ids a ``sources:`` list names (bibliography ids and local sources' ids)."""
    if not isinstance(raw, list):
        return set()
    ids = {item for item in raw if isinstance(item, str)}
    ids |= {str(item["id"]) for item in raw if isinstance(item, dict) and "id" in item}
    return ids


def _absorb_noise(canonical: float, op: str) -> float:
    """The number a comparison uses: the cut-off moved by the float noise of unit conversion,
    towards the side that keeps a value at the edge on the edge's side of the comparison."""
    slack = abs(canonical) * EDGE_TOLERANCE
    return canonical - slack if op in ("lt", "ge") else canonical + slack


def pack_sha256(raw: Mapping[str, Any]) -> str:
    """The content hash of a pack: sha256 of its canonical JSON after extends and overrides."""
    canonical = json.dumps(
        raw, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def parse_pack(
    raw: Any,
    path: str,
    catalogues: RuleCatalogues,
    resolve: PackResolver | None = None,
    document: YamlDocument | None = None,
) -> Pack:
    """Build a Pack from parsed YAML. ``resolve(pack_id)`` gives a parent's merged raw data
    (its own ``extends`` already applied) and its document."""
    reader = RuleFileReader(path, catalogues, document)
    if not isinstance(raw, dict):
        raise reader.error("", "a pack file must be a YAML mapping")
    unknown = set(raw) - _PACK_KEYS
    if unknown:
        raise reader.error(
            sorted(unknown)[0], f"unknown field (allowed: {', '.join(sorted(_PACK_KEYS))})"
        )
    if raw.get("extends"):
        if resolve is None:
            raise reader.error("extends", "cannot resolve parent packs here")
        parent_raw, _parent_document = resolve(str(raw["extends"]))
        reader.overridden = frozenset((raw.get("override") or {}).get("cutoffs") or {})
        raw = merge_override(reader, parent_raw, raw)
    elif "override" in raw:
        raise reader.error("override", "override needs extends: <parent pack id>")
    sources = reader.sources(raw.get("sources"))
    cutoffs_raw = raw.get("cutoffs") or {}
    cutoffs = {
        name: reader.cutoff(name, entry, sources, f"cutoffs.{name}")
        for name, entry in cutoffs_raw.items()
    }
    tables, reads = reader.tables(raw.get("tables"), cutoffs, sources)
    return reader.pack(
        raw, path, sources, cutoffs, tables, reads,
        status=raw.get("status", "current"), extends=raw.get("extends"), sha256=pack_sha256(raw),
    )  # fmt: skip
