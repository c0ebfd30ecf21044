"""FHIR R4 ``$interpret``: a Bundle of a Patient and lab Observations in, the interpretation out.

    read_bundle (fhir_in)      the case contract from the Patient, Observations and context
    parse_case + assess        the one pipeline, under the chosen pack
    this module                each Observation gets an interpretation
    report_entries (fhir_out)  DiagnosticReport, ServiceRequests, DetectedIssues, Provenance

An Observation's interpretation: the pack's class of the test (the fact ``<test>_band``, with
the finding of the rule that set it) coded with the v3 ObservationInterpretation code
``data/ehr.yaml`` gives that class; a qualitative result's own word; else, when the laboratory
sent a reference range in the same unit, the laboratory's range; else a text saying the pack
reads the test only together with the others. cobalamin's interpretation replaces the one the
Observation came with.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from fhir.resources.R4B.observation import Observation

from cobalamin.assessment import Assessment
from cobalamin.case import Case, parse_case
from cobalamin.errors import InputError
from cobalamin.interop.fhir_in import BundleCase, ReadObservation, read_bundle
from cobalamin.interop.fhir_medications import MedicationIndex
from cobalamin.interop.fhir_out import (
    Entry,
    collection,
    new_full_url,
    operation_outcome,
    report_entries,
)
from cobalamin.interop.fhir_terms import EhrTerms
from cobalamin.knowledge.model import Pack
from cobalamin.knowledge.registry import Knowledge
from cobalamin.pipeline import assess

__all__ = ["Interpreter", "operation_outcome"]

_RESULT_FIELD = re.compile(r"^results\[(\d+)\]\.(\w+)")


class Interpreter:
    """``$interpret`` for one knowledge: holds the EHR terms and the medication index."""

    def __init__(self, knowledge: Knowledge, terms: EhrTerms | None = None) -> None:
        self.knowledge = knowledge
        self.terms = terms or EhrTerms.load(knowledge)
        self.medications = MedicationIndex(knowledge.vocabulary, self.terms)

    def read(self, data: Any, today: dt.date, *, require_results: bool = True) -> BundleCase:
        return read_bundle(
            data,
            self.knowledge,
            self.terms,
            self.medications,
            today=today,
            require_results=require_results,
        )

    def assess(self, read: BundleCase, pack: Pack) -> Assessment:
        return assess(self.case(read), pack, self.knowledge)

    def case(self, read: BundleCase) -> Case:
        """The parsed case of a read Bundle; errors in a result name its FHIR entry."""
        try:
            return parse_case(read.case, self.knowledge.analytes, self.knowledge.vocabulary)
        except InputError as exc:
            match = _RESULT_FIELD.match(exc.field)
            if match is None:
                raise
            observation = read.observations[int(match.group(1))]
            part = "valueQuantity" if observation.unit else "value[x]"
            field = f"Bundle.entry[{observation.index}].resource.{part}"
            if match.group(2) == "value" and observation.unit:
                field += ".value"
            raise InputError(field, exc.message, exc.allowed) from None

    def interpret(
        self, data: Any, pack: Pack, *, lang: str = "en", now: dt.datetime | None = None
    ) -> dict[str, Any]:
        """The output Bundle (JSON) for an input Bundle (JSON)."""
        now = now or dt.datetime.now(dt.UTC)
        read = self.read(data, now.date())
        assessment = self.assess(read, pack)
        entries: list[Entry] = []
        subject = read.subject
        if read.patient is not None:
            patient_url = read.patient_full_url or new_full_url()
            entries.append(Entry(patient_url, read.patient))
            subject = subject or patient_url
        if subject is None:
            raise InputError(
                "Bundle.entry", "a Patient, or Observations with a subject, is required"
            )
        observation_urls: list[str] = []
        for observation in read.observations:
            url = observation.full_url or new_full_url()
            resource = dict(observation.resource)
            resource["interpretation"] = [self.interpretation(observation, assessment, pack, lang)]
            Observation.model_validate(resource)  # still R4 with our interpretation
            entries.append(Entry(url, resource))  # as it came, so decimals keep their digits
            observation_urls.append(url)
        dated = [o.date for o in read.observations if o.date is not None]
        entries += report_entries(
            assessment.to_dict(lang),
            knowledge=self.knowledge,
            terms=self.terms,
            subject=subject,
            results=observation_urls,
            lang=lang,
            now=now,
            effective=max(dated) if dated else None,
            pack_title=pack.title,
            sources=observation_urls,
        )
        return collection(entries, now)

    def interpretation(
        self, observation: ReadObservation, assessment: Assessment, pack: Pack, lang: str
    ) -> dict[str, Any]:
        """One Observation's interpretation (a CodeableConcept as JSON)."""
        texts = self.knowledge.texts
        system = self.terms.interpretation.system
        band = assessment.facts.get(f"{observation.test}_band")
        findings = [
            f.text.get(lang) for f in assessment.findings if f.table == f"{observation.test}_band"
        ]
        found = self.terms.interpretation_code(band) if band else None
        if found is None and isinstance(observation.value, str) and observation.unit is None:
            found = self.terms.interpretation_code(observation.value)
        text = " ".join(findings)
        if found is None and not findings:
            found = _by_reference_range(observation, self.terms)
            text = texts.get(
                "fhir.lab_range" if found else "fhir.not_classified", lang, pack=pack.title
            )
        concept: dict[str, Any] = {"text": text} if text else {}
        if found is not None:
            concept["coding"] = [{"system": system, "code": found[0], "display": found[1]}]
        if not concept:
            concept["text"] = texts.get("fhir.not_classified", lang, pack=pack.title)
        return concept


def _unit(quantity: Any) -> Any:
    return quantity.get("code") or quantity.get("unit") if isinstance(quantity, dict) else None


def _by_reference_range(observation: ReadObservation, terms: EhrTerms) -> tuple[str, str] | None:
    """L, H or N from the laboratory's own reference range, when it is in the result's unit."""
    value = observation.value
    if not isinstance(value, float):
        return None
    unit = _unit(observation.resource.get("valueQuantity"))
    for reference in observation.resource.get("referenceRange") or []:
        if not isinstance(reference, dict):
            continue
        bounds = {
            side: bound["value"]
            for side in ("low", "high")
            if isinstance(bound := reference.get(side), dict)
            and isinstance(bound.get("value"), int | float)
            and _unit(bound) == unit
        }
        if not bounds:
            continue
        code = (
            "L"
            if value < bounds.get("low", value)
            else "H"
            if value > bounds.get("high", value)
            else "N"
        )
        return code, terms.interpretation.codes[code]
    return None
