"""Reading packs: YAML -> model, ``extends``/``override``, reference and coverage checks.

Every error names the file, the table and rule, and the field, e.g.
``packs/nice-ng239.yaml: tables[b12_band].rules[nice_b12_low].when.b12: unknown cut-off 'x'``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

from cobalamin._data import data_path, read_yaml
from cobalamin._errors import CobalaminError, PackError
from cobalamin.analytes import catalogue
from cobalamin.knowledge.alerts import alert_catalogue
from cobalamin.knowledge.coverage import check_coverage
from cobalamin.knowledge.facts import FactSpec, base_facts
from cobalamin.knowledge.model import (
    DEFICIENCY_VALUES,
    NUMERIC_OPS,
    Comparison,
    Cutoff,
    NextTest,
    Pack,
    Rule,
    Source,
    Table,
    Text,
)
from cobalamin.units import to_canonical
from cobalamin.vocabulary import group_members

__all__ = ["builtin_pack_ids", "load_pack", "parse_pack"]

_PLACEHOLDER = re.compile(r"\{([a-z0-9_]+)\}")
_PACK_KEYS = {
    "id", "title", "publisher", "date", "language", "description", "status", "extends",
    "sources", "cutoffs", "override", "tables",
}  # fmt: skip
_RULE_KEYS = {"id", "when", "set", "next_tests", "alerts", "finding", "source", "statement"}


class _Ctx:
    """Where we are in the file, for error messages."""

    def __init__(self, path: str) -> None:
        self.path = path

    def error(self, where: str, message: str) -> PackError:
        return PackError(f"{self.path}: {where}" if where else self.path, message)


def _require(ctx: _Ctx, data: Mapping[str, Any], key: str, where: str, kind: type = str) -> Any:
    if key not in data or data[key] is None:
        raise ctx.error(f"{where}.{key}" if where else key, "is required")
    value = data[key]
    if kind is float and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if not isinstance(value, kind):
        raise ctx.error(f"{where}.{key}" if where else key, f"must be a {kind.__name__}")
    return value


def _text(ctx: _Ctx, raw: Any, where: str, cutoffs: Mapping[str, Cutoff]) -> Text:
    if not isinstance(raw, dict) or set(raw) != {"en", "nl"}:
        raise ctx.error(where, "must have exactly an English (en) and a Dutch (nl) text")
    rendered = {}
    for lang in ("en", "nl"):
        text = raw[lang]
        if not isinstance(text, str) or not text.strip():
            raise ctx.error(f"{where}.{lang}", "must be a non-empty text")
        for name in _PLACEHOLDER.findall(text):
            if name not in cutoffs:
                raise ctx.error(f"{where}.{lang}", f"placeholder {{{name}}} names no cut-off")
        rendered[lang] = _PLACEHOLDER.sub(lambda m: cutoffs[m.group(1)].display(), text)
    return Text(rendered["en"], rendered["nl"])


def _sources(ctx: _Ctx, raw: Any) -> dict[str, Source]:
    if not isinstance(raw, dict) or not raw:
        raise ctx.error("sources", "must list at least one source")
    sources = {}
    for key, entry in raw.items():
        where = f"sources.{key}"
        if not isinstance(entry, dict):
            raise ctx.error(where, "must be a mapping with citation and evidence")
        evidence = _require(ctx, entry, "evidence", where)
        if evidence not in ("primary", "secondary", "seed", "convention"):
            raise ctx.error(f"{where}.evidence", "must be primary, secondary, seed or convention")
        sources[key] = Source(
            key, _require(ctx, entry, "citation", where), evidence, entry.get("url")
        )
    return sources


def _cutoff(ctx: _Ctx, name: str, entry: Any, sources: Mapping[str, Source], where: str) -> Cutoff:
    if not isinstance(entry, dict):
        raise ctx.error(where, "must be a mapping with fact, value, unit and source")
    unknown = set(entry) - {"fact", "value", "unit", "source", "statement"}
    if unknown:
        raise ctx.error(f"{where}.{sorted(unknown)[0]}", "unknown field")
    fact = _require(ctx, entry, "fact", where)
    spec = base_facts().get(fact)
    if spec is None or spec.kind != "number":
        raise ctx.error(f"{where}.fact", f"{fact!r} is not a numeric fact")
    value = _require(ctx, entry, "value", where, float)
    unit = _require(ctx, entry, "unit", where)
    source = _require(ctx, entry, "source", where)
    if source not in sources:
        raise ctx.error(f"{where}.source", f"unknown source {source!r}; add it under sources")
    if fact not in catalogue():  # age, days: written in the fact's own unit
        if unit != spec.unit:
            raise ctx.error(f"{where}.unit", f"{fact} cut-offs are in {spec.unit}")
        canonical = value
    else:
        try:
            canonical = to_canonical(fact, value, unit)
        except CobalaminError as exc:
            raise ctx.error(f"{where}.unit", str(exc)) from None
    return Cutoff(name, fact, value, unit, canonical, source, entry.get("statement"))


def _comparisons(
    ctx: _Ctx,
    fact: str,
    raw: Any,
    where: str,
    facts: Mapping[str, FactSpec],
    cutoffs: Mapping[str, Cutoff],
) -> list[Comparison]:
    spec = facts.get(fact)
    if spec is None:
        raise ctx.error(where, f"unknown fact {fact!r}")
    if raw in ("missing", "present"):
        if not spec.optional:
            raise ctx.error(where, f"{fact} is never missing")
        return [Comparison(fact, raw)]
    if spec.kind == "boolean":
        if not isinstance(raw, bool):
            raise ctx.error(where, "must be true or false")
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
            raise ctx.error(where, "must be a value, {in: [values]}, missing or present")
        for value in values:
            if str(value) not in spec.values:
                raise ctx.error(
                    where,
                    f"{value!r} is not a value of {fact}",
                )
        return [Comparison(fact, "in", values=tuple(str(v) for v in values))]
    if not isinstance(raw, dict) or not raw:
        raise ctx.error(where, "must be a mapping of comparisons such as {lt: cut_off_name}")
    result = []
    for op, operand in raw.items():
        if spec.kind == "number":
            if op not in NUMERIC_OPS:
                raise ctx.error(f"{where}.{op}", "numbers compare with lt, le, gt or ge")
            cutoff = cutoffs.get(operand) if isinstance(operand, str) else None
            if cutoff is None:
                raise ctx.error(
                    f"{where}.{op}",
                    f"unknown cut-off {operand!r} (thresholds are named cut-offs with a source)",
                )
            if cutoff.fact != fact:
                raise ctx.error(
                    f"{where}.{op}", f"cut-off {operand!r} is for {cutoff.fact}, not {fact}"
                )
            result.append(Comparison(fact, op, number=cutoff.canonical, cutoff=cutoff.name))
        else:  # set
            if op not in ("any_of", "none_of") or not isinstance(operand, list) or not operand:
                raise ctx.error(
                    f"{where}.{op}", "lists compare with any_of or none_of and a list of ids"
                )
            members_all: set[str] = set()
            for item in operand:
                if isinstance(item, str) and item.startswith("group:"):
                    members = group_members(spec.vocabulary or "", item[6:])
                    if not members:
                        raise ctx.error(f"{where}.{op}", f"unknown group {item!r}")
                    members_all |= members
                elif item in spec.values:
                    members_all.add(item)
                else:
                    raise ctx.error(f"{where}.{op}", f"unknown {fact} id {item!r}")
            result.append(Comparison(fact, op, values=tuple(sorted(members_all))))
    return result


def _next_tests(
    ctx: _Ctx, raw: Any, where: str, cutoffs: Mapping[str, Cutoff]
) -> tuple[NextTest, ...]:
    if not isinstance(raw, list):
        raise ctx.error(where, "must be a list of {test, reflex, reason}")
    tests = []
    for index, entry in enumerate(raw):
        here = f"{where}[{index}]"
        if not isinstance(entry, dict):
            raise ctx.error(here, "must be a mapping {test, reflex, reason}")
        test = _require(ctx, entry, "test", here)
        if test not in base_facts():
            raise ctx.error(f"{here}.test", f"unknown test {test!r}")
        reflex = entry.get("reflex", False)
        if not isinstance(reflex, bool):
            raise ctx.error(f"{here}.reflex", "must be true or false")
        tests.append(
            NextTest(test, reflex, _text(ctx, entry.get("reason"), f"{here}.reason", cutoffs))
        )
    return tuple(tests)


def _rule(
    ctx: _Ctx, raw: Any, where: str, facts: dict[str, FactSpec], cutoffs: Mapping[str, Cutoff],
    sources: Mapping[str, Source], outputs: tuple[str, ...],
) -> Rule:  # fmt: skip
    if not isinstance(raw, dict):
        raise ctx.error(where, "must be a mapping")
    rule_id = _require(ctx, raw, "id", where)
    where = f"{where.rsplit('[', 1)[0]}[{rule_id}]"
    unknown = set(raw) - _RULE_KEYS
    if unknown:
        raise ctx.error(
            f"{where}.{sorted(unknown)[0]}",
            f"unknown field (allowed: {', '.join(sorted(_RULE_KEYS))})",
        )
    when_raw = raw.get("when") or {}
    if not isinstance(when_raw, dict):
        raise ctx.error(f"{where}.when", "must be a mapping of fact: condition")
    when: list[Comparison] = []
    for fact, condition in when_raw.items():
        when.extend(_comparisons(ctx, fact, condition, f"{where}.when.{fact}", facts, cutoffs))
    sets_raw = raw.get("set") or {}
    if set(sets_raw) != set(outputs):
        raise ctx.error(
            f"{where}.set", f"must set exactly the table outputs: {', '.join(outputs) or 'none'}"
        )
    for name, value in sets_raw.items():
        if name == "deficiency" and value not in DEFICIENCY_VALUES:
            raise ctx.error(
                f"{where}.set.deficiency", f"must be one of {', '.join(DEFICIENCY_VALUES)}"
            )
        if name == "severe" and not isinstance(value, bool):
            raise ctx.error(f"{where}.set.severe", "must be true or false")
        if name not in ("severe",) and not isinstance(value, str):
            raise ctx.error(f"{where}.set.{name}", "must be a word")
    alerts = tuple(raw.get("alerts") or ())
    for code in alerts:
        if code not in alert_catalogue():
            raise ctx.error(f"{where}.alerts", f"unknown alert code {code!r}")
    finding = _text(ctx, raw["finding"], f"{where}.finding", cutoffs) if "finding" in raw else None
    source = raw.get("source")
    if source is not None and source not in sources:
        raise ctx.error(f"{where}.source", f"unknown source {source!r}")
    concludes = finding or raw.get("next_tests") or {"deficiency", "severe"} & set(sets_raw)
    if concludes and source is None:
        raise ctx.error(f"{where}.source", "a rule that concludes something must name its source")
    return Rule(
        id=rule_id,
        when=tuple(when),
        sets=tuple(sets_raw.items()),
        next_tests=_next_tests(ctx, raw.get("next_tests") or [], f"{where}.next_tests", cutoffs),
        alerts=alerts,
        finding=finding,
        source=source,
        statement=raw.get("statement"),
    )


def _tables(
    ctx: _Ctx,
    raw: Any,
    cutoffs: Mapping[str, Cutoff],
    sources: Mapping[str, Source],
    *,
    extra_facts: Mapping[str, FactSpec] | None = None,
    required_outputs: tuple[str, ...] = ("deficiency",),
) -> tuple[tuple[Table, ...], tuple[str, ...]]:
    """Tables in order; each may read base facts, ``extra_facts`` and earlier tables' outputs."""
    if not isinstance(raw, list) or not raw:
        raise ctx.error("tables", "must be a non-empty list")
    facts = {**base_facts(), **(extra_facts or {})}
    tables: list[Table] = []
    rule_ids: set[str] = set()
    reads: list[str] = []
    for index, entry in enumerate(raw):
        where = f"tables[{index}]"
        if not isinstance(entry, dict):
            raise ctx.error(where, "must be a mapping")
        table_id = _require(ctx, entry, "id", where)
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
            rule = _rule(
                ctx, raw_rule, f"{where}.rules[{r_index}]", facts, cutoffs, sources, outputs
            )
            if rule.id in rule_ids:
                raise ctx.error(f"{where}.rules[{rule.id}]", "rule id is used twice in this pack")
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
            if name == "severe":
                facts[name] = FactSpec(name, "boolean", optional=False)
            else:
                facts[name] = FactSpec(
                    name, "category", values=tuple(sorted(produced)), optional=False
                )
        tables.append(table)
    for name in required_outputs:
        if name not in facts or name in base_facts() or name in (extra_facts or {}):
            raise ctx.error("tables", f"no table sets {name}")
    return tuple(tables), tuple(dict.fromkeys(reads))


def _merge_override(ctx: _Ctx, parent_raw: dict[str, Any], child: dict[str, Any]) -> dict[str, Any]:
    merged = dict(parent_raw)
    for key in ("id", "title", "publisher", "date", "language", "description", "status"):
        if key in child:
            merged[key] = child[key]
    merged["extends"] = child["extends"]
    merged["sources"] = {**parent_raw.get("sources", {}), **(child.get("sources") or {})}
    if "tables" in child:
        raise ctx.error(
            "tables", "a pack that extends another cannot redefine tables; override cut-offs"
        )
    if "cutoffs" in child:
        raise ctx.error(
            "cutoffs", "a pack that extends another changes cut-offs only under override:"
        )
    override = child.get("override") or {}
    unknown = set(override) - {"cutoffs"}
    if unknown:
        raise ctx.error(f"override.{sorted(unknown)[0]}", "only cutoffs can be overridden")
    cutoffs = dict(parent_raw.get("cutoffs", {}))
    for name, entry in (override.get("cutoffs") or {}).items():
        if name not in cutoffs:
            raise ctx.error(f"override.cutoffs.{name}", f"the parent pack has no cut-off {name!r}")
        if not isinstance(entry, dict):
            raise ctx.error(
                f"override.cutoffs.{name}", "must be a mapping with value, unit and source"
            )
        cutoffs[name] = {**cutoffs[name], **entry}
    merged["cutoffs"] = cutoffs
    return merged


def parse_pack(raw: Any, path: str, resolve: Any = None) -> Pack:
    """Build a Pack from parsed YAML. ``resolve(pack_id)`` returns a parent's raw data."""
    ctx = _Ctx(path)
    if not isinstance(raw, dict):
        raise ctx.error("", "a pack file must be a YAML mapping")
    unknown = set(raw) - _PACK_KEYS
    if unknown:
        raise ctx.error(
            sorted(unknown)[0], f"unknown field (allowed: {', '.join(sorted(_PACK_KEYS))})"
        )
    if raw.get("extends"):
        if resolve is None:
            raise ctx.error("extends", "cannot resolve parent packs here")
        parent_raw = resolve(raw["extends"])
        raw = _merge_override(ctx, parent_raw, raw)
    elif "override" in raw:
        raise ctx.error("override", "override needs extends: <parent pack id>")
    sources = _sources(ctx, raw.get("sources"))
    cutoffs_raw = raw.get("cutoffs") or {}
    cutoffs = {
        name: _cutoff(ctx, name, entry, sources, f"cutoffs.{name}")
        for name, entry in cutoffs_raw.items()
    }
    tables, reads = _tables(ctx, raw.get("tables"), cutoffs, sources)
    return Pack(
        id=_require(ctx, raw, "id", ""),
        title=_require(ctx, raw, "title", ""),
        publisher=_require(ctx, raw, "publisher", ""),
        date=str(_require(ctx, raw, "date", "", object)),
        language=_require(ctx, raw, "language", ""),
        description=_text(ctx, raw.get("description"), "description", cutoffs),
        sources=sources,
        cutoffs=cutoffs,
        tables=tables,
        status=raw.get("status", "current"),
        extends=raw.get("extends"),
        path=path,
        reads=reads,
    )


def builtin_pack_ids() -> list[str]:
    """Ids of the packs shipped with cobalamin."""
    return sorted(p.stem for p in data_path("packs").glob("*.yaml"))


def _raw_pack(ref: str, search: Iterable[Path]) -> tuple[dict[str, Any], str]:
    candidate = Path(ref)
    if candidate.suffix in (".yaml", ".yml") and candidate.is_file():
        return read_yaml(candidate), str(candidate)
    for folder in (*search, data_path("packs")):
        path = Path(folder) / f"{ref}.yaml"
        if path.is_file():
            return read_yaml(path), str(path)
    from cobalamin._errors import InputError

    raise InputError(
        "pack",
        f"unknown pack {ref!r}",
        ", ".join(builtin_pack_ids()) + ", or a path to a .yaml pack",
    )


def load_pack(ref: str, search: Iterable[Path] = ()) -> Pack:
    """A pack by id (built in, or in a search folder) or by path to a YAML file."""
    folders = tuple(Path(p) for p in search)
    return _load_cached(ref, folders)


@cache
def _load_cached(ref: str, folders: tuple[Path, ...]) -> Pack:
    raw, path = _raw_pack(ref, folders)
    seen: list[str] = [ref]

    def resolve(parent: str) -> dict[str, Any]:
        if parent in seen:
            raise PackError(path, f"extends: cycle through {parent!r}")
        seen.append(parent)
        parent_raw, parent_path = _raw_pack(parent, folders)
        if parent_raw.get("extends"):
            return _merge_override(_Ctx(parent_path), resolve(parent_raw["extends"]), parent_raw)
        return dict(parent_raw)

    return parse_pack(raw, path, resolve)
