"""``Knowledge``: every data file cobalamin applies, loaded by one loader, passed into services.

One object holds the package data plus a site's folders (packs by id, whatever their file
name). Each part is read the first time it is needed and kept for the object's life: a
long-running server builds a new ``Knowledge`` to pick up changed files, and a one-case
``assess`` never reads the food table. The cached default instance lives only at the public
facade (``cobalamin.default_knowledge``).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from pathlib import Path

from cobalamin.analytes import AnalyteCatalogue
from cobalamin.datafiles import data_path, load_model
from cobalamin.errors import InputError, KnowledgeError
from cobalamin.knowledge.alerts import AlertCatalogue
from cobalamin.knowledge.care_rules import CareRules, load_care_rules, load_screening_rules
from cobalamin.knowledge.cb12_constants import CB12Constants
from cobalamin.knowledge.facts import FactSpec, base_facts
from cobalamin.knowledge.followup import FollowUpFile
from cobalamin.knowledge.loader import RuleCatalogues
from cobalamin.knowledge.model import Pack
from cobalamin.knowledge.packs import PackRegistry
from cobalamin.knowledge.regimens import RegimenFile
from cobalamin.knowledge.sources import (
    Bibliography,
    LeftOutFile,
    check_citations,
    fast_yaml_document,
)
from cobalamin.knowledge.texts import Texts
from cobalamin.knowledge.trend_data import BiologicalVariation, TrendDisplay
from cobalamin.vocabulary import Vocabulary

__all__ = ["Knowledge"]

_FIRST_SCREENING = ("nice-ng239", "nhg-anemie")  # shown first: the two main guidelines
# Catalogue files whose `source` fields cite the bibliography (rule files are checked by the
# rule-file reader as they load).
_CITING_FILES = (
    "analytes.yaml",
    "vocabulary.yaml",
    "alerts.yaml",
    "cb12.yaml",
    "regimens.yaml",
    "followup.yaml",
    "left_out.yaml",
    "physiology.yaml",
    "foods.yaml",
    "reference_intakes.yaml",
)


class Knowledge:
    """The package's knowledge plus ``site_folders`` (extra packs)."""

    def __init__(self, site_folders: Sequence[Path] = (), *, data_folder: Path | None = None):
        self.data_folder = Path(data_folder) if data_folder is not None else data_path()
        self.site_folders = tuple(Path(p) for p in site_folders)
        self._screening: dict[str, CareRules] = {}

    def _file(self, *parts: str) -> Path:
        return self.data_folder.joinpath(*parts)

    # --- layer 1: the contract's catalogues -------------------------------------------------
    @cached_property
    def analytes(self) -> AnalyteCatalogue:
        return AnalyteCatalogue.load(self._file("analytes.yaml"))

    @cached_property
    def vocabulary(self) -> Vocabulary:
        return Vocabulary.load(self._file("vocabulary.yaml"))

    @cached_property
    def sources(self) -> Bibliography:
        """The bibliography; every catalogue file's citations are checked against it here."""
        bibliography = Bibliography.load(self._file("sources.yaml"))
        for name in _CITING_FILES:
            check_citations(fast_yaml_document(self._file(name)), bibliography)
        return bibliography

    @cached_property
    def left_out(self) -> LeftOutFile:
        """What no source read states, and what cobalamin does instead (data/left_out.yaml)."""
        _ = self.sources  # its citations are checked with the other catalogue files
        path = self._file("left_out.yaml")
        return LeftOutFile.model_validate({"items": fast_yaml_document(path).data})

    # --- rule files -------------------------------------------------------------------------
    @cached_property
    def facts(self) -> dict[str, FactSpec]:
        """Every fact that exists before any table runs (tests and the person's context)."""
        return base_facts(self.analytes, self.vocabulary)

    @cached_property
    def alerts(self) -> AlertCatalogue:
        return AlertCatalogue.load(self._file("alerts.yaml"))

    @cached_property
    def rule_catalogues(self) -> RuleCatalogues:
        return RuleCatalogues(self.analytes, self.vocabulary, self.facts, self.alerts, self.sources)

    @cached_property
    def packs(self) -> PackRegistry:
        return PackRegistry(self._file("packs"), self.site_folders, self.rule_catalogues)

    def pack(self, ref: str) -> Pack:
        """A pack by id (built in or in a site folder) or by the path of a pack file."""
        return self.packs.load(ref)

    @cached_property
    def safety(self) -> CareRules:
        return load_care_rules(self._file("safety.yaml"), self.rule_catalogues)

    @cached_property
    def workup(self) -> CareRules:
        return load_care_rules(self._file("workup.yaml"), self.rule_catalogues)

    def screening_pack_ids(self) -> list[str]:
        """Packs with screening rules (NICE and NHG first, then by id)."""
        ids = sorted(p.stem for p in self._file("screening").glob("*.yaml"))
        return [i for i in _FIRST_SCREENING if i in ids] + [
            i for i in ids if i not in _FIRST_SCREENING
        ]

    def screening(self, pack_id: str) -> CareRules:
        """One guideline's screening rules."""
        if pack_id not in self._screening:
            if pack_id not in self.screening_pack_ids():
                raise InputError(
                    "pack",
                    f"no screening rules for {pack_id!r}",
                    ", ".join(self.screening_pack_ids()),
                )
            path = self._file("screening", f"{pack_id}.yaml")
            self._screening[pack_id] = load_screening_rules(path, self.rule_catalogues)
        return self._screening[pack_id]

    @cached_property
    def texts(self) -> Texts:
        return Texts.load(self._file("texts.yaml"))

    # --- other knowledge --------------------------------------------------------------------
    @cached_property
    def cb12(self) -> CB12Constants:
        return load_model(self._file("cb12.yaml"), CB12Constants)

    @cached_property
    def regimens(self) -> RegimenFile:
        path = self._file("regimens.yaml")
        data = load_model(path, RegimenFile)
        for key, regimen in data.regimens.items():
            if regimen.followup is not None and regimen.followup not in self.followup.packs:
                raise KnowledgeError(
                    f"{path}: regimens.{key}.followup",
                    f"no follow-up data for {regimen.followup!r}",
                )
        return data

    @cached_property
    def followup(self) -> FollowUpFile:
        return load_model(self._file("followup.yaml"), FollowUpFile)

    @cached_property
    def biological_variation(self) -> BiologicalVariation:
        """Within-subject CVs with their sources, for reference change values (trend)."""
        return load_model(self._file("biological_variation.yaml"), BiologicalVariation)

    @cached_property
    def trend_display(self) -> TrendDisplay:
        """How many decimals each test is shown with in a trend (a display convention)."""
        return load_model(self._file("trend.yaml"), TrendDisplay)
