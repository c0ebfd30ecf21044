"""The codes and conventions cobalamin uses towards a health record (``data/ehr.yaml``).

FHIR R4 wire format: the resources are built with the R4B models of ``fhir.resources`` (no
release ships R4 models on pydantic 2); every type we emit is structurally identical in R4 and
R4B, and the test suite validates what we emit with an independent R4 validator (FHIR.js).

``EhrTerms.load(knowledge)`` reads the data file once; the FHIR and CDS Hooks services take the
result explicitly, like they take ``Knowledge``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

from cobalamin.datafiles import load_model
from cobalamin.knowledge.registry import Knowledge

__all__ = [
    "ATC",
    "LOINC",
    "RXNORM",
    "SNOMED",
    "UCUM",
    "BibliographyEntry",
    "EhrTerms",
    "Indicator",
    "UnresolvedDeficiency",
]

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
SNOMED = "http://snomed.info/sct"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
ATC = "http://www.whocc.no/atc"

Indicator = Literal["info", "warning", "critical"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Interpretation(_Frozen):
    system: str
    codes: dict[str, str]
    bands: dict[str, str]
    qualitative: dict[str, str]


class QualitativeCodes(_Frozen):
    system: str
    codes: dict[str, str]


class UnresolvedDeficiency(_Frozen):
    verdicts: tuple[str, ...]
    indicator: Indicator
    source: str


class OrderCheck(_Frozen):
    alerts: tuple[str, ...] = ()
    unresolved_deficiency: UnresolvedDeficiency | None = None


class BibliographyEntry(_Frozen):
    title: str
    url: str | None = None


class CardSources(_Frozen):
    packs: dict[str, str]  # pack id -> bibliography id of the guideline behind it
    alerts: dict[str, str] = {}  # alert code -> bibliography id (default: the alert's first)


class EhrTerms(_Frozen):
    """Everything in ``data/ehr.yaml``."""

    canonical: str
    interpretation: Interpretation
    qualitative_codes: QualitativeCodes
    medication_text: dict[str, tuple[str, ...]]
    injection_words: tuple[str, ...]
    orders: dict[str, OrderCheck]
    b12_lab_tests: tuple[str, ...]
    verdict_indicator: dict[str, Indicator]
    severe_indicator: Indicator
    card_sources: CardSources
    bibliography: dict[str, BibliographyEntry] = {}  # filled from data/sources.yaml

    @classmethod
    def load(cls, knowledge: Knowledge) -> EhrTerms:
        """The data file, with card titles and URLs from the bibliography (one place)."""
        terms = cls.read(knowledge.data_folder / "ehr.yaml")
        entries = {
            ref.id: BibliographyEntry(title=ref.title, url=ref.link)
            for ref in knowledge.sources.values()
        }
        alerts = {
            code: definition.source_ids[0]
            for code, definition in knowledge.alerts.items()
            if definition.source_ids
        }
        cards = CardSources(
            packs=terms.card_sources.packs, alerts={**alerts, **terms.card_sources.alerts}
        )
        return terms.model_copy(update={"bibliography": entries, "card_sources": cards})

    @classmethod
    def read(cls, path: Path) -> EhrTerms:
        return load_model(path, cls)

    def code_system(self, name: str) -> str:
        """The URL of one of cobalamin's own CodeSystems (``alert``, ``verdict``, ...)."""
        return f"{self.canonical}/CodeSystem/{name}"

    def identifier_system(self, name: str) -> str:
        """The namespace of one of cobalamin's own identifiers (``pack-sha256``)."""
        return f"{self.canonical}/identifier/{name}"

    def interpretation_code(self, band_or_word: str) -> tuple[str, str] | None:
        """(code, display) for a pack's band value or a qualitative result, if it has one."""
        code = self.interpretation.bands.get(band_or_word)
        code = code or self.interpretation.qualitative.get(band_or_word)
        if code is None:
            return None
        return code, self.interpretation.codes[code]

    def pack_source(self, pack_id: str) -> BibliographyEntry | None:
        key = self.card_sources.packs.get(pack_id)
        return None if key is None else self.bibliography[key]

    def alert_source(self, code: str) -> BibliographyEntry | None:
        key = self.card_sources.alerts.get(code)
        return None if key is None else self.bibliography[key]
