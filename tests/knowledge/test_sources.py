"""The bibliography: every citation in the data and in every output is a real, findable
reference (or one of cobalamin's own conventions, labelled as such), and nothing names a working
file."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from cobalamin import Knowledge, KnowledgeError, builtin_pack_ids, default_knowledge
from cobalamin.care.followup import follow_up
from cobalamin.care.screening import screen_all
from cobalamin.care.treatment import plan
from cobalamin.care.workup import workup
from cobalamin.case import parse_case
from cobalamin.cli.app import app
from cobalamin.datafiles import data_path
from cobalamin.knowledge.sources import CONVENTION, KINDS
from cobalamin.person import parse_person
from cobalamin.pipeline import assess

DATA = data_path()
# Working notes a user never has: no data file and no output may name them.
FORBIDDEN = ("clinical.md", "codes-and-units", "shared/seeds", "seed 00", "Seed 00", "§")
runner = CliRunner()


def _data_files() -> list[Path]:
    return sorted(p for p in DATA.rglob("*.yaml"))


@pytest.mark.parametrize("path", _data_files(), ids=lambda p: str(p.relative_to(DATA)))
def test_no_data_file_names_a_working_file(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert [word for word in FORBIDDEN if word in text] == []


def test_every_reference_can_be_found_or_is_a_labelled_convention() -> None:
    bibliography = default_knowledge().sources
    assert len(bibliography) >= 120
    for ref in bibliography.values():
        assert ref.kind in KINDS
        assert ref.publisher or ref.authors or ref.journal or ref.url, ref.id
        if ref.kind == CONVENTION:
            assert ref.evidence is None and ref.note, ref.id
            assert ref.citation().startswith("cobalamin convention: ")
        else:
            assert ref.link or ref.journal or ref.unavailable_online, ref.id
            assert ref.evidence in ("VERIFIED", "SECONDARY", "UNVERIFIED"), ref.id
        for other in ref.based_on:
            assert other in bibliography, (ref.id, other)


def _outputs() -> Iterator[tuple[str, dict[str, Any]]]:
    """The JSON of every kind of output cobalamin gives, for cases that make many rules fire."""
    knowledge = default_knowledge()
    cases = [
        {"results": [{"test": "b12", "value": 150, "unit": "pmol/L"}]},
        {
            "person": {"sex": "female", "age": 30, "pregnant": True, "trimester": 3,
                       "medications": ["folic_acid"], "symptoms": ["paraesthesia"]},
            "results": [{"test": "b12", "value": 140, "unit": "pmol/L"},
                        {"test": "hb", "value": 100, "unit": "g/L"}],
        },
        {
            "person": {"age": 25, "medications": ["nitrous_oxide"], "symptoms": ["paraesthesia"]},
            "results": [{"test": "b12", "value": 400, "unit": "pmol/L"},
                        {"test": "mma", "value": 0.5, "unit": "umol/L"},
                        {"test": "if_ab", "value": "positive"}],
        },
        {
            "person": {"sex": "female", "age": 30, "lactating": True, "diet": "vegan",
                       "medications": ["biotin"], "symptoms": ["glossitis"]},
            "results": [{"test": "holotc", "value": 20, "unit": "pmol/L"},
                        {"test": "hcy", "value": 30, "unit": "umol/L"}],
        },
    ]  # fmt: skip
    for raw in cases:
        case = parse_case(raw, knowledge.analytes, knowledge.vocabulary)
        for pack_id in builtin_pack_ids():
            pack = knowledge.pack(pack_id)
            result = assess(case, pack, knowledge)
            yield f"assess {pack_id}", result.to_dict("en")
            yield f"assess {pack_id} nl", result.to_dict("nl")
            yield f"workup {pack_id}", workup(case, result, pack, knowledge).to_dict("en")
        person = parse_person(raw.get("person", {}), knowledge.vocabulary)
        for item in screen_all(person, knowledge):
            yield f"screen {item.pack}", item.to_dict("en")
    start = dt.date(2026, 1, 5)
    for regimen in knowledge.regimens.regimens:
        loading = {"loading_doses": 3} if regimen == "nice-im-neuro" else {}
        yield f"plan {regimen}", plan(regimen, start, knowledge, pregnant=True, **loading).to_dict()
    for pack_id in knowledge.followup.packs:
        for response in ("improved", "not_improved", "new_symptoms"):
            result = follow_up(pack_id, start, knowledge, response=response)
            yield f"follow-up {pack_id}", result.to_dict()


def _cited(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        if "source_ids" in node:
            yield node
        for value in node.values():
            yield from _cited(value)
    elif isinstance(node, list):
        for item in node:
            yield from _cited(item)


def test_every_citation_in_every_output_resolves_to_a_findable_reference() -> None:
    bibliography = default_knowledge().sources
    seen: set[str] = set()
    items = 0
    for where, output in _outputs():
        text = json.dumps(output, ensure_ascii=False)
        assert [word for word in FORBIDDEN if word in text] == [], where
        for item in _cited(output):
            items += 1
            assert item["source_ids"], (where, item)
            assert item["source_id"] == item["source_ids"][0]
            for source in item["source_ids"]:
                ref = bibliography[source]
                seen.add(source)
                # a reader can follow it: an address, or (one review only) where to ask for it
                assert ref.convention or ref.link or ref.unavailable_online, (where, source)
                assert ref.citation() in item["source"], (where, source)
    assert items > 300
    no_address = {s for s in seen if not bibliography[s].link and not bibliography[s].convention}
    assert no_address == {"be-review-b12"}  # no online copy exists; the entry says so


def _copy_data(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    shutil.copytree(DATA, folder)
    return folder


@pytest.mark.parametrize(
    ("name", "edit", "field"),
    [
        ("alerts.yaml", ("source: leeds-gifab", "source: leeds-gifabb"), "ifab_after_injection.source"),
        ("analytes.yaml", ("source: mayo-mmap}", "source: mayo-mmapp}"), "mma.loinc[0].source"),
        ("followup.yaml", ("source: bnssg-remedy-b12", "source: bnssg"), "packs.nice-ng239.notes[0].source"),
        ("vocabulary.yaml", ("source: topvitamine-2025}", "source: seed 003}"), "symptoms.pallor.source"),
    ],
)  # fmt: skip
def test_an_unknown_source_id_is_refused_with_file_line_and_field(
    tmp_path: Path, name: str, edit: tuple[str, str], field: str
) -> None:
    folder = _copy_data(tmp_path)
    path = folder / name
    text = path.read_text(encoding="utf-8")
    assert edit[0] in text
    path.write_text(text.replace(edit[0], edit[1], 1), encoding="utf-8")
    with pytest.raises(KnowledgeError) as info:
        _ = Knowledge(data_folder=folder).sources
    message = str(info.value)
    assert message.startswith(f"{path}, line ")
    assert f": {field}" in message and "unknown source id" in message


def test_a_pack_citing_an_id_it_does_not_list_is_refused(tmp_path: Path) -> None:
    folder = _copy_data(tmp_path)
    path = folder / "packs" / "gelderse-vallei.yaml"
    text = path.read_text(encoding="utf-8")
    cited = "source: [gelderse-vallei-leaflet, cobalamin-band-edges]"
    assert cited in text
    path.write_text(text.replace(cited, "source: [nice-ng239, cobalamin-band-edges]", 1))
    with pytest.raises(
        KnowledgeError,
        match=r"line \d+, col \d+: cutoffs\.b12_low\.source\[0\]: 'nice-ng239' is not listed",
    ):
        Knowledge(data_folder=folder).pack("gelderse-vallei")


def test_a_bibliography_entry_without_an_address_is_refused(tmp_path: Path) -> None:
    folder = _copy_data(tmp_path)
    path = folder / "sources.yaml"
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    del raw["saltro-actief-b12"]["url"]
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(KnowledgeError, match=r"line \d+, col \d+: saltro-actief-b12: give a url"):
        _ = Knowledge(data_folder=folder).sources


def test_sources_command_lists_the_bibliography() -> None:
    result = runner.invoke(app, ["sources", "--format", "json"])
    assert result.exit_code == 0, result.output
    listed = {item["id"]: item for item in json.loads(result.stdout)}
    assert set(listed) == set(default_knowledge().sources)
    nice = listed["nice-ng239"]
    assert nice["title"].startswith("Vitamin B12 deficiency in over 16s")
    assert nice["publisher"].startswith("National Institute for Health and Care Excellence")
    assert (nice["year"], nice["url"], nice["kind"]) == (
        2024,
        "https://www.nice.org.uk/guidance/ng239",
        "guideline",
    )
    assert listed["metz-1995-ajh"]["doi"] == "10.1002/ajh.2830480409"
    text = runner.invoke(app, ["sources", "--kind", "cobalamin-convention"])
    assert text.exit_code == 0 and "cobalamin-default-mma-uln" in text.stdout
    assert "nice-ng239 " not in text.stdout
    bad = runner.invoke(app, ["sources", "--kind", "blog"])
    assert bad.exit_code == 2 and "kind" in bad.output


def test_sources_of_one_pack_include_a_sites_own_validation_report(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    shutil.copy(Path(__file__).parents[2] / "examples" / "site-pack.yaml", site / "lab.yaml")
    result = runner.invoke(
        app, ["sources", "--pack", "example-site", "--pack-path", str(site), "-f", "json"]
    )
    assert result.exit_code == 0, result.output
    listed = {item["id"]: item for item in json.loads(result.stdout)}
    assert listed["example-lab-b12-validation-2026"]["local"] is True
    assert "gelderse-vallei-leaflet" in listed


def test_what_was_left_out_is_listed_with_the_documents_read() -> None:
    result = runner.invoke(app, ["sources", "--left-out", "--format", "json"])
    assert result.exit_code == 0, result.output
    items = {item["id"]: item for item in json.loads(result.stdout)}
    assert {"mma-cut-off", "kidney-function-limit", "doubled-maintenance"} <= set(items)
    bibliography = default_knowledge().sources
    for item in items.values():
        assert item["topic"] and item["decision"] and item["source_ids"]
        assert set(item["source_ids"]) <= set(bibliography)
    dutch = runner.invoke(app, ["sources", "--left-out", "--lang", "nl"])
    assert "standaardwaarde van cobalamin" in dutch.stdout
