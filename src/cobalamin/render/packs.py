"""A pack as data a reader can review (``cobalamin packs list|show --format json``, the web's
``/packs`` pages and ``/api/v1/packs``): sources, cut-offs with their numbers, rules in words."""

from __future__ import annotations

from typing import Any

from cobalamin.knowledge.model import Comparison, Pack
from cobalamin.knowledge.registry import Knowledge

__all__ = ["describe_condition", "pack_list", "pack_summary"]

_SYMBOL = {"lt": "<", "le": "≤", "gt": ">", "ge": "≥", "eq": "="}


def describe_condition(comparison: Comparison, pack: Pack) -> str:
    """A rule condition as a clinician reads it: the cut-off's number and unit included."""
    if comparison.cutoff:
        cutoff = pack.cutoffs.get(comparison.cutoff)
        shown = f"{comparison.cutoff} ({cutoff.display()})" if cutoff else comparison.cutoff
        return f"{comparison.fact} {_SYMBOL.get(comparison.op, comparison.op)} {shown}"
    if comparison.values:
        return f"{comparison.fact} {comparison.op} {' / '.join(comparison.values)}"
    if comparison.flag is not None:
        return f"{comparison.fact} is {str(comparison.flag).lower()}"
    if comparison.number is not None:
        return f"{comparison.fact} {comparison.op} {comparison.number:g}"
    return f"{comparison.fact} {comparison.op}"


def pack_list(knowledge: Knowledge) -> list[dict[str, Any]]:
    """Every pack: id, title, publisher, date, status, what it extends, built in or not, sha256."""
    return [
        {
            "id": p.id,
            "title": p.title,
            "publisher": p.publisher,
            "date": p.date,
            "status": p.status,
            "extends": p.extends,
            "builtin": knowledge.packs.is_builtin(p.id),
            "sha256": p.sha256,
        }
        for p in (knowledge.pack(i) for i in knowledge.packs.ids())
    ]


def pack_summary(pack: Pack, lang: str) -> dict[str, Any]:
    """A pack's sources, cut-offs and rules, with each rule's texts in ``lang``."""
    return {
        "id": pack.id, "sha256": pack.sha256, "title": pack.title, "publisher": pack.publisher,
        "date": pack.date, "status": pack.status, "extends": pack.extends,
        "description": pack.description.get(lang), "reads": list(pack.reads),
        "sources": {k: s.to_dict() for k, s in pack.sources.items()},
        "cutoffs": {k: {"fact": c.fact, "value": c.value, "unit": c.unit, "canonical": c.canonical,
                        "source_ids": list(c.sources), "statement": c.statement}
                    for k, c in pack.cutoffs.items()},
        "tables": [
            {"id": t.id, "hit_policy": t.hit_policy, "outputs": list(t.outputs), "description": t.description,
             "rules": [{"id": r.id, "when": [describe_condition(c, pack) for c in r.when], "set": dict(r.sets),
                        "next_tests": [{"test": n.test, "reflex": n.reflex, "reason": n.reason.get(lang)} for n in r.next_tests],
                        "alerts": list(r.alerts), "finding": None if r.finding is None else r.finding.get(lang),
                        "source_ids": list(r.sources), "statement": r.statement} for r in t.rules]}
            for t in pack.tables
        ],
    }  # fmt: skip
