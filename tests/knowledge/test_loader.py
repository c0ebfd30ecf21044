"""Pack loading: shape errors, bad references, gaps, overlaps, extends/override, the schema."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from cobalamin import PackError, assess, builtin_pack_ids, default_knowledge, load_pack
from cobalamin.datafiles import data_path
from cobalamin.knowledge.loader import parse_pack
from cobalamin.knowledge.schema import pack_json_schema

EXAMPLES = Path(__file__).parents[2] / "examples"
CATALOGUES = default_knowledge().rule_catalogues

MINI = """
id: mini
title: Mini
publisher: tests
date: "2026"
language: en
description: {en: a toy pack, nl: een speelgoedpakket}
sources:
  - {id: toy, title: a toy source, publisher: tests, year: 2026, kind: cobalamin-convention, note: a toy}
cutoffs:
  low: {fact: b12, value: 100, unit: pmol/L, source: toy}
  high: {fact: b12, value: 200, unit: pmol/L, source: toy}
tables:
  - id: conclusion
    hit_policy: unique
    outputs: [deficiency]
    rules:
      - {id: r_missing, when: {b12: missing}, set: {deficiency: unknown}, source: toy}
      - {id: r_low, when: {b12: {lt: low}}, set: {deficiency: likely}, source: toy}
      - {id: r_mid, when: {b12: {ge: low, le: high}}, set: {deficiency: indeterminate}, source: toy}
      - {id: r_high, when: {b12: {gt: high}}, set: {deficiency: unlikely}, source: toy}
"""


def mini(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(MINI)
    data.update(changes)
    return data


def test_mini_pack_loads_and_evaluates() -> None:
    pack = parse_pack(mini(), "mini.yaml", CATALOGUES)
    assert pack.reads == ("b12",)
    assert (
        assess({"results": [{"test": "b12", "value": 100, "unit": "pmol/L"}]}, pack).deficiency
        == "indeterminate"
    )


def _rules(*rules: str) -> list[dict[str, Any]]:
    table = yaml.safe_load(MINI)["tables"][0]
    table["rules"] = [yaml.safe_load(r) for r in rules]
    return [table]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {
                "tables": _rules(
                    "{id: a, when: {b12: {lt: low}}, set: {deficiency: likely}, source: toy}",
                    "{id: b, when: {b12: {gt: high}}, set: {deficiency: unlikely}, source: toy}",
                    "{id: c, when: {b12: missing}, set: {deficiency: unknown}, source: toy}",
                )
            },
            "gap: no rule covers b12=100",
        ),
        (
            {
                "tables": _rules(
                    "{id: a, when: {b12: {le: high}}, set: {deficiency: likely}, source: toy}",
                    "{id: b, when: {b12: {ge: low}}, set: {deficiency: unlikely}, source: toy}",
                    "{id: c, when: {b12: missing}, set: {deficiency: unknown}, source: toy}",
                )
            },
            "overlap: rules a and b both match b12=100",
        ),
        (
            {
                "tables": _rules(
                    "{id: a, when: {b12: {lt: nope}}, set: {deficiency: likely}, source: toy}"
                )
            },
            "tables[conclusion].rules[a].when.b12.lt: unknown cut-off 'nope'",
        ),
        (
            {"tables": _rules("{id: a, when: {b12: {lt: low}}, set: {deficiency: likely}}")},
            "rules[a].source: a rule that concludes something must name its source",
        ),
        (
            {
                "tables": _rules(
                    "{id: a, when: {b12: {lt: low}}, set: {deficiency: maybe}, source: toy}"
                )
            },
            "set.deficiency: must be one of",
        ),
        (
            {
                "tables": _rules(
                    "{id: a, when: {b12: {lt: low}}, set: {deficiency: likely}, source: toy, alerts: [no_such]}"
                )
            },
            "unknown alert code 'no_such'",
        ),
        (
            {
                "tables": _rules(
                    "{id: a, when: {symptoms: {any_of: [sneezing]}}, set: {deficiency: likely}, source: toy}"
                )
            },
            "unknown symptoms id 'sneezing'",
        ),
        (
            {
                "tables": _rules(
                    "{id: a, when: {b12: {lt: low}}, set: {deficiency: likely}, source: toy, finding: {en: 'below {lowest}', nl: x}}"
                )
            },
            "placeholder {lowest} names no cut-off",
        ),
        (
            {"cutoffs": {"low": {"fact": "b12", "value": 100, "unit": "fL", "source": "toy"}}},
            "cutoffs.low.unit",
        ),
        (
            {
                "cutoffs": {
                    "low": {"fact": "b12", "value": 100, "unit": "pmol/L", "source": "nobody"}
                }
            },
            "unknown source id 'nobody': not in the bibliography",
        ),
        (
            {"sources": ["nice-ng239", "no-such-guideline"]},
            "sources[1]: unknown source id 'no-such-guideline'",
        ),
        (
            {
                "cutoffs": {
                    "low": {"fact": "b12", "value": 100, "unit": "pmol/L", "source": "bsh-2014"}
                }
            },
            "cutoffs.low.source: 'bsh-2014' is not listed under this file's sources",
        ),
        (
            {
                "tables": _rules(
                    "{id: a, when: {b12: {lt: low}}, set: {deficiency: likely}, source: [toy, nice-ng239]}"
                )
            },
            "source[1]: 'nice-ng239' is not listed under this file's sources",
        ),
        (
            {"sources": [{"id": "lab", "title": "our report", "kind": "lab-catalogue"}]},
            "sources[0]: give a publisher or authors",
        ),
        (
            {
                "sources": [
                    {"id": "nice-ng239", "title": "x", "publisher": "y", "kind": "guideline"}
                ]
            },
            "'nice-ng239' is a bibliography id",
        ),
        (
            {"description": {"en": "only English"}},
            "description: must have exactly an English (en) and a Dutch (nl) text",
        ),
        ({"colour": "blue"}, "colour: unknown field"),
    ],
)
def test_invalid_packs_name_file_rule_and_field(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(PackError) as info:
        parse_pack(mini(**changes), "mini.yaml", CATALOGUES)
    assert str(info.value).startswith("mini.yaml")
    assert message in str(info.value)


def test_crossed_cutoffs_in_a_site_pack_are_caught() -> None:
    # Overriding the low cut-off above the high one makes bands overlap: the load fails.
    def resolve(_: str) -> tuple[dict[str, Any], None]:
        return mini(), None

    own = [{"id": "lab", "title": "the site's own validation", "publisher": "a site",
            "year": 2026, "kind": "lab-catalogue", "evidence": "VERIFIED",
            "unavailable_online": "ask the laboratory"}]  # fmt: skip
    low = {"value": 300, "source": "lab", "statement": "our assay's own limit"}
    child = {"id": "site", "extends": "mini", "sources": own, "override": {"cutoffs": {"low": low}}}
    with pytest.raises(PackError, match="overlap"):
        parse_pack(child, "site.yaml", CATALOGUES, resolve)


def test_site_pack_extends_and_overrides() -> None:
    site = load_pack(str(EXAMPLES / "site-pack.yaml"))
    parent = load_pack("gelderse-vallei")
    case = {"results": [{"test": "b12", "value": 240, "unit": "pmol/L"}]}
    assert assess(case, parent).deficiency == "unlikely"
    result = assess(case, site)
    assert result.deficiency == "indeterminate"
    assert result.reflex_tests == ("mma",)
    assert site.cutoffs["b12_high"].source == "example-lab-b12-validation-2026"
    assert site.sources["example-lab-b12-validation-2026"].local
    assert site.cutoffs["b12_low"].canonical == parent.cutoffs["b12_low"].canonical


def test_site_pack_may_not_redefine_cutoffs_silently() -> None:
    def resolve(_: str) -> tuple[dict[str, Any], None]:
        return mini(), None

    with pytest.raises(PackError, match="only under override"):
        parse_pack(
            {"id": "s", "extends": "mini", "cutoffs": {"low": {}}}, "s.yaml", CATALOGUES, resolve
        )
    with pytest.raises(PackError, match="has no cut-off 'lowest'"):
        parse_pack(
            {"id": "s", "extends": "mini", "override": {"cutoffs": {"lowest": {"value": 1}}}},
            "s.yaml",
            CATALOGUES,
            resolve,
        )


@pytest.mark.parametrize("pack_id", builtin_pack_ids())
def test_builtin_packs_match_the_json_schema(pack_id: str) -> None:
    raw = yaml.safe_load(data_path("packs", f"{pack_id}.yaml").read_text(encoding="utf-8"))
    jsonschema.validate(raw, pack_json_schema(default_knowledge().facts))


def test_every_number_in_a_builtin_pack_has_a_known_source() -> None:
    bibliography = default_knowledge().sources
    for pack_id in builtin_pack_ids():
        pack = load_pack(pack_id)
        for cutoff in pack.cutoffs.values():
            assert set(cutoff.sources) <= set(pack.sources), (pack_id, cutoff.name)
            assert set(cutoff.sources) <= set(bibliography), (pack_id, cutoff.name)


def test_shipped_schema_file_is_current() -> None:
    import json

    shipped = json.loads(
        (Path(__file__).parents[2] / "docs" / "pack.schema.json").read_text(encoding="utf-8")
    )
    assert shipped == pack_json_schema(default_knowledge().facts), (
        "regenerate: cobalamin packs schema > docs/pack.schema.json"
    )
