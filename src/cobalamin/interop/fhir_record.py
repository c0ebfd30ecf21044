"""A patient's record as one FHIR R4 Bundle (``GET /api/v1/patients/{id}/export``).

``record_bundle`` takes plain data, as the records store keeps it:

    patient      {"id": "17", "sex": "female", "birth_date": "1984-03-02",
                  "identifier": {"system": "...", "value": "..."}}        (all but id optional)
    results      [{"test": "b12", "value": 180 | "<50" | "positive", "unit": "pmol/L",
                   "date": "2026-05-02"}, ...]                             (the contract's result)
    assessments  [{...the assess JSON (Assessment.to_dict)..., "date": "2026-05-02",
                   "engine_version": "0.1.0"}, ...]

and returns a Bundle (type ``collection``) of the Patient, an Observation per result (the value
in the test's canonical unit, coded with the LOINC code of that unit; a censored value keeps
its comparator), and per assessment a DiagnosticReport (its results: the Observations of the
same date, or all when dates are missing), ServiceRequests, DetectedIssues and a Provenance
that names the pack, its sha256 and the engine version that made the assessment.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.patient import Patient

from cobalamin.errors import InputError
from cobalamin.interop.fhir_out import (
    Entry,
    collection,
    new_full_url,
    report_entries,
    test_coding,
)
from cobalamin.interop.fhir_terms import UCUM, EhrTerms
from cobalamin.knowledge.registry import Knowledge
from cobalamin.units import to_canonical
from cobalamin.version import ENGINE_VERSION

__all__ = ["record_bundle"]

_COMPARATORS = ("<=", ">=", "<", ">")
_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"


def _split_censored(value: Any, where: str) -> tuple[str | None, float]:
    if isinstance(value, bool):
        raise InputError(where, "must be a number")
    if isinstance(value, int | float):
        return None, float(value)
    text = str(value).strip()
    comparator = next((c for c in _COMPARATORS if text.startswith(c)), None)
    try:
        return comparator, float(text[len(comparator or "") :])
    except ValueError:
        raise InputError(where, f"{value!r} is not a number") from None


def _observation(
    result: Mapping[str, Any],
    index: int,
    knowledge: Knowledge,
    terms: EhrTerms,
    subject: str,
    lang: str,
) -> dict[str, Any]:
    where = f"results[{index}]"
    test = str(result.get("test"))
    item = knowledge.analytes.analyte(test, field=f"{where}.test")
    data: dict[str, Any] = {
        "status": "final",
        "category": [
            {"coding": [{"system": _CATEGORY, "code": "laboratory", "display": "Laboratory"}]}
        ],
        "code": test_coding(knowledge, test, lang),
        "subject": {"reference": subject},
    }
    if result.get("date"):
        data["effectiveDateTime"] = str(result["date"])
    if item.kind == "qualitative":
        word = str(result.get("value", "")).strip().lower()
        if word not in item.values:
            raise InputError(
                f"{where}.value", f"{word!r} is not a result of {test}", ", ".join(item.values)
            )
        data["valueCodeableConcept"] = {"text": word}
        found = terms.interpretation_code(word)
        if found is not None:
            data["interpretation"] = [
                {
                    "coding": [
                        {
                            "system": terms.interpretation.system,
                            "code": found[0],
                            "display": found[1],
                        }
                    ]
                }
            ]
    else:
        comparator, number = _split_censored(result.get("value"), f"{where}.value")
        unit = str(result.get("unit") or item.canonical_unit)
        try:
            canonical = round(to_canonical(item, number, unit), 6)
        except InputError as exc:
            raise InputError(f"{where}.unit", exc.message, exc.allowed) from None
        quantity: dict[str, Any] = {"value": canonical, "unit": item.canonical_unit,
                                    "system": UCUM, "code": item.canonical_unit}  # fmt: skip
        if comparator:
            quantity["comparator"] = comparator
        data["valueQuantity"] = quantity
    return Observation.model_validate(data).model_dump(mode="json", exclude_none=True)


def record_bundle(
    patient: Mapping[str, Any],
    results: Sequence[Mapping[str, Any]],
    assessments: Sequence[Mapping[str, Any]],
    *,
    knowledge: Knowledge,
    terms: EhrTerms | None = None,
    lang: str = "en",
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """The record as a FHIR R4 Bundle (JSON). Bad data raises ``InputError`` naming the field."""
    terms = terms or EhrTerms.load(knowledge)
    now = now or dt.datetime.now(dt.UTC)
    person: dict[str, Any] = {"id": str(patient["id"])}
    if patient.get("sex") in ("female", "male"):
        person["gender"] = patient["sex"]
    if patient.get("birth_date"):
        person["birthDate"] = str(patient["birth_date"])
    identifier = patient.get("identifier")
    if isinstance(identifier, Mapping) and identifier.get("value"):
        person["identifier"] = [
            {k: str(v) for k, v in identifier.items() if k in ("system", "value")}
        ]
    patient_url = new_full_url()
    patient_json = Patient.model_validate(person).model_dump(mode="json", exclude_none=True)
    entries = [Entry(patient_url, patient_json)]
    by_date: dict[str | None, list[str]] = {}
    for index, result in enumerate(results):
        url = new_full_url()
        entries.append(Entry(url, _observation(result, index, knowledge, terms, patient_url, lang)))
        by_date.setdefault(str(result["date"]) if result.get("date") else None, []).append(url)
    every = [url for urls in by_date.values() for url in urls]
    for index, assessment in enumerate(assessments):
        pack_id = str(assessment.get("pack", ""))
        if not pack_id:
            raise InputError(f"assessments[{index}].pack", "is required")
        date = str(assessment["date"]) if assessment.get("date") else None
        title = knowledge.pack(pack_id).title if pack_id in knowledge.packs.ids() else pack_id
        observed = by_date.get(date, every) if date else every
        entries += report_entries(
            assessment,
            knowledge=knowledge,
            terms=terms,
            subject=patient_url,
            results=observed,
            lang=lang,
            now=now,
            effective=dt.date.fromisoformat(date[:10]) if date else None,
            pack_title=title,
            engine_version=str(assessment.get("engine_version") or ENGINE_VERSION),
            sources=observed,
        )
    return collection(entries, now)
