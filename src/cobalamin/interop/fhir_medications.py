"""Which vocabulary medicines a FHIR medication resource stands for.

Codes first: every ``codes:`` entry of ``data/vocabulary.yaml`` (ATC, SNOMED CT, RxNorm), each
verified in the source it names; an ATC group code stands for every code under it (ATC is a
hierarchy written into the code). Text is the last resort: the word beginnings listed in
``data/ehr.yaml`` (``medication_text``), matched in the concept's text and displays.

Resources are read as plain JSON (dicts), leniently: order contexts from real clients are not
always strictly valid FHIR (the CDS Hooks Sandbox sends ``MedicationRequest.category`` as an
object), and a recognisable medicine must not be missed over that.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cobalamin.interop.fhir_terms import ATC, EhrTerms
from cobalamin.vocabulary import Vocabulary

__all__ = ["MedicationIndex", "Recognised"]

B12_ORAL, B12_INJECTION = "b12_oral", "b12_injection"

Resolver = Callable[[str], Mapping[str, Any] | None]


@dataclass(frozen=True)
class Recognised:
    """The medicines found, and whether only the text gave them away."""

    ids: frozenset[str]
    by_text: bool = False
    name: str = ""


def _dicts(value: Any) -> Iterator[Mapping[str, Any]]:
    """Items of a JSON list that are objects; a lone object counts as a list of one."""
    if isinstance(value, Mapping):
        yield value
    elif isinstance(value, list):
        yield from (item for item in value if isinstance(item, Mapping))


def concept_texts(concept: Any) -> list[str]:
    """``text`` and every coding ``display`` of a CodeableConcept."""
    if not isinstance(concept, Mapping):
        return []
    texts = [concept["text"]] if isinstance(concept.get("text"), str) else []
    texts += [
        c["display"] for c in _dicts(concept.get("coding")) if isinstance(c.get("display"), str)
    ]
    return texts


class MedicationIndex:
    """Recognises vocabulary medication ids in CodeableConcepts and medication resources."""

    def __init__(self, vocabulary: Vocabulary, terms: EhrTerms) -> None:
        self._exact: dict[tuple[str, str], set[str]] = {}
        self._atc: list[tuple[str, str]] = []  # (code prefix, medication id)
        for med_id, term in vocabulary.terms("medications").items():
            for code in term.codes:
                if code.system == ATC:
                    self._atc.append((code.code.upper(), med_id))
                else:
                    self._exact.setdefault((code.system, code.code), set()).add(med_id)
        self._text = [
            (re.compile(r"(?<![a-z0-9])" + re.escape(stem.lower())), med_id)
            for med_id, stems in terms.medication_text.items()
            for stem in stems
        ]
        self._injection = tuple(w.lower() for w in terms.injection_words)

    def by_codes(self, concept: Any) -> frozenset[str]:
        found: set[str] = set()
        if not isinstance(concept, Mapping):
            return frozenset()
        for coding in _dicts(concept.get("coding")):
            system, code = coding.get("system"), coding.get("code")
            if not isinstance(system, str) or not isinstance(code, str):
                continue
            if system == ATC:
                upper = code.strip().upper()
                found.update(m for prefix, m in self._atc if upper.startswith(prefix))
            else:
                found.update(self._exact.get((system, code.strip()), ()))
        return frozenset(found)

    def by_text(self, texts: Sequence[str]) -> frozenset[str]:
        lowered = [t.lower() for t in texts]
        return frozenset(m for pattern, m in self._text for t in lowered if pattern.search(t))

    def concept(self, concept: Any, route_texts: Sequence[str] = ()) -> Recognised:
        """The medicines a CodeableConcept names; B12 is oral unless the route says injection."""
        texts = concept_texts(concept)
        ids = self.by_codes(concept)
        by_text = not ids
        if by_text:
            ids = self.by_text(texts)
        if B12_ORAL in ids or B12_INJECTION in ids:
            words = " ".join([*texts, *route_texts]).lower()
            injected = any(w in words for w in self._injection)
            ids = (ids - {B12_ORAL, B12_INJECTION}) | {B12_INJECTION if injected else B12_ORAL}
        name = texts[0] if texts else ""
        return Recognised(frozenset(ids), by_text and bool(ids), name)

    def resource(self, resource: Mapping[str, Any], resolve: Resolver | None = None) -> Recognised:
        """The medicines of a MedicationRequest, MedicationStatement or Medication (lenient).

        ``medicationReference`` is followed into ``contained`` resources or through ``resolve``
        (a reference -> resource lookup, e.g. the Bundle's entries)."""
        concept: Any = (
            resource.get("code") if resource.get("resourceType") == "Medication" else None
        )
        concept = concept or resource.get("medicationCodeableConcept")
        form_texts: list[str] = []
        reference = resource.get("medicationReference")
        if concept is None and isinstance(reference, Mapping):
            target = _resolve(resource, str(reference.get("reference", "")), resolve)
            if target is not None:
                concept = target.get("code")
                form_texts = concept_texts(target.get("form"))
            elif isinstance(reference.get("display"), str):
                concept = {"text": reference["display"]}
        route_texts = form_texts + [
            text
            for dosage in _dicts(resource.get("dosageInstruction") or resource.get("dosage"))
            for text in concept_texts(dosage.get("route")) + concept_texts(dosage.get("method"))
        ]
        if resource.get("resourceType") == "Medication":
            route_texts += concept_texts(resource.get("form"))
        return self.concept(concept, route_texts)


def _resolve(
    resource: Mapping[str, Any], reference: str, resolve: Resolver | None
) -> Mapping[str, Any] | None:
    if reference.startswith("#"):
        for item in _dicts(resource.get("contained")):
            if item.get("id") == reference[1:]:
                return item
        return None
    return None if resolve is None or not reference else resolve(reference)
