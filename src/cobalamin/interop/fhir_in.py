"""An R4 Bundle in: the Patient, the Observations coded in LOINC, and context (medications,
conditions) read into the case contract (README, "Input and output").

- A Bundle, or a ``Parameters`` whose ``resource`` parameter holds the Bundle, is accepted.
- Observations: the LOINC code picks the test through the analyte catalogue
  (``AnalyteCatalogue.for_loinc``); ``valueQuantity`` gives value and unit (the UCUM ``code``,
  else ``unit``); a ``comparator`` makes a censored value in the contract's text form
  (``"<50"``); qualitative tests take ``valueCodeableConcept`` (SNOMED CT qualifier codes of
  data/ehr.yaml or the words themselves) or ``valueString``. Observations with other codes,
  without a value, or entered in error are not read. When a test appears more than once, the
  latest (by effective date, then by position) is read.
- Patient: ``gender`` gives sex; ``birthDate`` the age on the date of the latest result.
- MedicationStatement (active, intended, on hold) and MedicationRequest (active, draft, on hold)
  give medications; Condition (not refuted, not resolved) gives conditions whose vocabulary
  label or code it carries.

Each Patient and Observation is checked against the R4 structure (R4B models, identical for
these types); a problem is an ``InputError`` naming the entry and field.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from cobalamin.analytes import Analyte
from cobalamin.case import normalise_result
from cobalamin.errors import InputError
from cobalamin.interop.fhir_medications import MedicationIndex, concept_texts
from cobalamin.interop.fhir_terms import LOINC, UCUM, EhrTerms
from cobalamin.knowledge.registry import Knowledge

__all__ = ["BundleCase", "ReadObservation", "bundle_entries", "read_bundle", "resource_date"]

# R4 observation-status (required binding; fhir.resources does not check codes)
_OBSERVATION_STATUS = (
    "registered", "preliminary", "final", "amended", "corrected", "cancelled",
    "entered-in-error", "unknown",
)  # fmt: skip
_SKIPPED_STATUS = {"entered-in-error", "cancelled", "registered"}
_MEDICATION_STATUS = {  # what the person takes or is about to take
    "MedicationStatement": {"active", "intended", "on-hold"},
    "MedicationRequest": {"active", "draft", "on-hold"},
}
_CONDITION_INACTIVE = {"inactive", "resolved", "remission"}
_CONDITION_UNCONFIRMED = {"refuted", "entered-in-error"}
_COMPARATORS = ("<", "<=", ">=", ">")


@dataclass(frozen=True)
class ReadObservation:
    """One Observation that was read into the case."""

    test: str
    index: int  # its position in Bundle.entry
    resource: dict[str, Any]  # the JSON as it came in
    full_url: str | None
    date: dt.date | None
    value: float | str  # as the contract takes it: a number, "<50", or a word
    unit: str | None


@dataclass(frozen=True)
class BundleCase:
    case: dict[str, Any]  # the contract JSON
    patient: dict[str, Any] | None
    patient_full_url: str | None
    subject: str | None  # how the input refers to the patient
    observations: tuple[ReadObservation, ...]


def bundle_entries(data: Any) -> list[tuple[int, str | None, dict[str, Any]]]:
    """(position, fullUrl, resource) of every entry; the Bundle may come in a Parameters."""
    if not isinstance(data, Mapping):
        raise InputError("Bundle", "the body must be a FHIR Bundle (JSON object)")
    if data.get("resourceType") == "Parameters":
        found = [
            p.get("resource")
            for p in data.get("parameter") or []
            if isinstance(p, Mapping) and isinstance(p.get("resource"), Mapping)
        ]
        if len(found) != 1:
            raise InputError("Parameters.parameter", "needs exactly one resource: the Bundle")
        data = found[0]
    if data.get("resourceType") != "Bundle":
        raise InputError(
            "resourceType", f"{data.get('resourceType')!r} is not a Bundle", "Bundle, Parameters"
        )
    entries = data.get("entry") or []
    if not isinstance(entries, list):
        raise InputError("Bundle.entry", "must be a list")
    out: list[tuple[int, str | None, dict[str, Any]]] = []
    for index, entry in enumerate(entries):
        resource = entry.get("resource") if isinstance(entry, Mapping) else None
        if not isinstance(resource, dict):
            raise InputError(f"Bundle.entry[{index}].resource", "a resource is required")
        full_url = entry.get("fullUrl")
        out.append((index, full_url if isinstance(full_url, str) else None, resource))
    return out


def _validate(resource: dict[str, Any], where: str) -> None:
    """Check the structure of a Patient or Observation with the R4B model."""
    kind = resource.get("resourceType")
    if kind == "Patient":
        from fhir.resources.R4B.patient import Patient as Model
    else:
        from fhir.resources.R4B.observation import Observation as Model  # type: ignore[assignment]
    try:
        Model.model_validate(resource)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        loc = ".".join(str(p) for p in first["loc"] if p != "__root__")
        raise InputError(f"{where}.{loc}" if loc else where, str(first["msg"])) from None


def resource_date(resource: Mapping[str, Any]) -> dt.date | None:
    """The clinically relevant date of an Observation (effective, else issued)."""
    for raw in (
        resource.get("effectiveDateTime"),
        (resource.get("effectivePeriod") or {}).get("start"),
        resource.get("effectiveInstant"),
        resource.get("issued"),
    ):
        if isinstance(raw, str) and len(raw) >= 10:
            try:
                return dt.date.fromisoformat(raw[:10])
            except ValueError:
                continue
    return None


def _loinc_analyte(resource: Mapping[str, Any], knowledge: Knowledge) -> Analyte | None:
    code = resource.get("code")
    if not isinstance(code, Mapping):
        return None
    for coding in code.get("coding") or []:
        if isinstance(coding, Mapping) and coding.get("system") == LOINC:
            found = knowledge.analytes.for_loinc(str(coding.get("code", "")))
            if found is not None:
                return found
    return None


def _quantity(
    resource: Mapping[str, Any], item: Analyte, where: str, knowledge: Knowledge
) -> tuple[float | str, str]:
    quantity = resource.get("valueQuantity")
    if not isinstance(quantity, Mapping):
        raise InputError(f"{where}.valueQuantity", f"{item.id} needs a valueQuantity")
    number = quantity.get("value")
    if isinstance(number, bool) or not isinstance(number, int | float):
        raise InputError(f"{where}.valueQuantity.value", "a number is required")
    code, text = quantity.get("code"), quantity.get("unit")
    unit = code if quantity.get("system") == UCUM and isinstance(code, str) else text
    if not isinstance(unit, str) or not unit.strip():
        raise InputError(
            f"{where}.valueQuantity.code", "a UCUM unit is required", ", ".join(item.example_units)
        )
    try:  # unit and range checked here, so the error names the FHIR field
        normalise_result(knowledge.analytes, item.id, float(number), unit, where)
    except InputError as exc:
        field = "code" if exc.field.endswith(".unit") else "value"
        raise InputError(f"{where}.valueQuantity.{field}", exc.message, exc.allowed) from None
    comparator = quantity.get("comparator")
    if comparator is None:
        return float(number), unit
    if comparator not in _COMPARATORS:
        raise InputError(
            f"{where}.valueQuantity.comparator",
            f"{comparator!r} is not a comparator",
            " ".join(_COMPARATORS),
        )
    return f"{comparator}{number:g}", unit


def _word(resource: Mapping[str, Any], item: Analyte, where: str, terms: EhrTerms) -> str:
    concept = resource.get("valueCodeableConcept")
    candidates: list[str] = []
    if isinstance(concept, Mapping):
        for coding in concept.get("coding") or []:
            if (
                isinstance(coding, Mapping)
                and coding.get("system") == terms.qualitative_codes.system
            ):
                word = terms.qualitative_codes.codes.get(str(coding.get("code")))
                if word:
                    return word
        candidates = concept_texts(concept)
    if isinstance(resource.get("valueString"), str):
        candidates.append(resource["valueString"])
    for text in candidates:
        if text.strip().lower() in item.values:
            return text.strip().lower()
    raise InputError(
        f"{where}.valueCodeableConcept", f"no result of {item.id} found", ", ".join(item.values)
    )


def _has_value(resource: Mapping[str, Any]) -> bool:
    return any(key.startswith("value") for key in resource)


def _age(birth: str, on: dt.date, where: str) -> float:
    # FHIR allows a partial birth date (YYYY or YYYY-MM): its first day is used, so the age
    # is at most that year or month too high
    padded = {4: birth + "-01-01", 7: birth + "-01"}.get(len(birth), birth)
    try:
        born = dt.date.fromisoformat(padded[:10])
    except ValueError:
        raise InputError(f"{where}.birthDate", f"{birth!r} is not a date", "YYYY-MM-DD") from None
    years = on.year - born.year - ((on.month, on.day) < (born.month, born.day))
    if years < 0:
        raise InputError(f"{where}.birthDate", "lies after the date of the results")
    return float(years)


def _reference_to(full_url: str | None, resource: Mapping[str, Any]) -> str | None:
    if full_url:
        return full_url
    if isinstance(resource.get("id"), str):
        return f"{resource.get('resourceType')}/{resource['id']}"
    return None


def _subject(resource: Mapping[str, Any]) -> str | None:
    for key in ("subject", "patient"):
        value = resource.get(key)
        if isinstance(value, Mapping) and isinstance(value.get("reference"), str):
            return str(value["reference"])
    return None


def _same_patient(reference: str, patient_refs: set[str]) -> bool:
    """Whether a reference points at the Bundle's Patient (by fullUrl or Patient/id)."""
    return any(reference == r or r.endswith("/" + reference) or reference.endswith("/" + r)
               for r in patient_refs)  # fmt: skip


def _conditions(resource: Mapping[str, Any], knowledge: Knowledge) -> set[str]:
    status = concept_texts(resource.get("clinicalStatus")) + [
        str(c.get("code")) for c in (resource.get("clinicalStatus") or {}).get("coding") or []
    ]
    verification = [
        str(c.get("code")) for c in (resource.get("verificationStatus") or {}).get("coding") or []
    ]
    if set(status) & _CONDITION_INACTIVE or set(verification) & _CONDITION_UNCONFIRMED:
        return set()
    concept = resource.get("code") or {}
    codings = {
        (str(c.get("system")), str(c.get("code")))
        for c in concept.get("coding") or []
        if isinstance(c, Mapping)
    }
    words = {t.strip().lower() for t in concept_texts(concept)}
    found: set[str] = set()
    for condition_id, term in knowledge.vocabulary.terms("conditions").items():
        if any((c.system, c.code) in codings for c in term.codes) or (
            words & {term.en.lower(), term.nl.lower()}
        ):
            found.add(condition_id)
    return found


def read_bundle(
    data: Any,
    knowledge: Knowledge,
    terms: EhrTerms,
    medications: MedicationIndex,
    *,
    today: dt.date,
    require_results: bool = True,
) -> BundleCase:
    """The case a Bundle describes, and which Observations it was read from."""
    entries = bundle_entries(data)
    patients = [(i, u, r) for i, u, r in entries if r.get("resourceType") == "Patient"]
    if len(patients) > 1:
        raise InputError(
            f"Bundle.entry[{patients[1][0]}]", "the Bundle holds more than one Patient"
        )
    patient = patients[0] if patients else None
    patient_refs: set[str] = set()
    if patient is not None:
        _validate(patient[2], f"Bundle.entry[{patient[0]}].resource")
        patient_refs = {r for r in (patient[1], _reference_to(None, patient[2])) if r}

    by_url = {u: r for _, u, r in entries if u}
    by_url |= {
        f"{r.get('resourceType')}/{r['id']}": r
        for _, _, r in entries
        if isinstance(r.get("id"), str)
    }

    latest: dict[str, ReadObservation] = {}
    subjects: set[str] = set()
    medication_ids: set[str] = set()
    condition_ids: set[str] = set()
    for index, full_url, resource in entries:
        where = f"Bundle.entry[{index}].resource"
        kind = resource.get("resourceType")
        subject = _subject(resource)
        about_patient = kind in ("Observation", "Condition", *_MEDICATION_STATUS)
        if about_patient and subject and patient_refs and not _same_patient(subject, patient_refs):
            raise InputError(f"{where}.subject", f"{subject} is not the Bundle's Patient")
        if kind == "Observation":
            if resource.get("status") not in _OBSERVATION_STATUS:
                raise InputError(
                    f"{where}.status",
                    f"{resource.get('status')!r} is not an Observation status",
                    ", ".join(_OBSERVATION_STATUS),
                )
            item = _loinc_analyte(resource, knowledge)
            if (
                item is None
                or resource.get("status") in _SKIPPED_STATUS
                or not _has_value(resource)
            ):
                continue
            _validate(resource, where)
            if item.kind == "quantitative":
                value, unit = _quantity(resource, item, where, knowledge)
            else:
                value, unit = _word(resource, item, where, terms), None
            read = ReadObservation(
                item.id, index, resource, full_url, resource_date(resource), value, unit
            )
            before = latest.get(item.id)
            if before is None or (read.date or dt.date.min) >= (before.date or dt.date.min):
                latest[item.id] = read
            if subject:
                subjects.add(subject)
        elif resource.get("status") in _MEDICATION_STATUS.get(str(kind), ()):
            medication_ids |= medications.resource(resource, by_url.get).ids
        elif kind == "Condition":
            condition_ids |= _conditions(resource, knowledge)

    if not latest and require_results:
        raise InputError(
            "Bundle.entry", "no Observation with a LOINC code cobalamin reads and a value"
        )
    if patient is None and len(subjects) > 1:
        raise InputError("Bundle.entry", "the Observations are about more than one patient")
    observations = tuple(sorted(latest.values(), key=lambda o: o.index))
    dates = [o.date for o in observations if o.date is not None]
    on = max(dates) if dates else None

    person: dict[str, Any] = {}
    if patient is not None:
        gender = patient[2].get("gender")
        if gender in ("female", "male"):
            person["sex"] = gender
        birth = patient[2].get("birthDate")
        if isinstance(birth, str):
            person["age"] = _age(birth, on or today, f"Bundle.entry[{patient[0]}].resource")
    if medication_ids:
        person["medications"] = sorted(medication_ids)
    if condition_ids:
        person["conditions"] = sorted(condition_ids)
    results = [
        {"test": o.test, "value": o.value, **({"unit": o.unit} if o.unit else {})}
        for o in observations
    ]
    case: dict[str, Any] = {"person": person, "results": results}
    if on is not None:
        case["date"] = on.isoformat()
    if patient is not None:
        subject = _reference_to(patient[1], patient[2])
    else:
        subject = next(iter(subjects), None)
    return BundleCase(
        case=case,
        patient=patient[2] if patient is not None else None,
        patient_full_url=patient[1] if patient is not None else None,
        subject=subject,
        observations=observations,
    )
