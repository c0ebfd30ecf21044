"""FHIR R4 resources out: the report of an assessment as DiagnosticReport, ServiceRequest,
DetectedIssue and Provenance, and the Bundle that carries them.

Built with the R4B models of ``fhir.resources`` (structurally identical to R4 for these types;
see ``fhir_terms``) and returned as plain JSON dicts. The assessment comes in its contract JSON
form (``Assessment.to_dict``), so a stored assessment exports exactly like a fresh one.

Conventions (docs/ehr.md):
- ServiceRequest ``status`` is ``draft``; ``intent`` is ``reflex-order`` for a reflex test
  (the laboratory adds it to the same sample) and ``proposal`` for an advised test.
- DetectedIssue ``severity``: critical -> high, warning -> moderate, info -> low.
- Provenance: the agent (assembler) is the engine and its version; the entity (source) names
  the pack, and its identifier is the pack's sha256.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from fhir.resources.R4B.bundle import Bundle, BundleEntry
from fhir.resources.R4B.detectedissue import DetectedIssue
from fhir.resources.R4B.diagnosticreport import DiagnosticReport
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.provenance import Provenance
from fhir.resources.R4B.resource import Resource
from fhir.resources.R4B.servicerequest import ServiceRequest

from cobalamin.errors import InputError
from cobalamin.interop.fhir_terms import LOINC, EhrTerms
from cobalamin.knowledge.registry import Knowledge
from cobalamin.version import ENGINE_VERSION

__all__ = [
    "Entry",
    "collection",
    "new_full_url",
    "operation_outcome",
    "report_entries",
    "service_request",
    "test_coding",
]

_SEVERITY = {"critical": "high", "warning": "moderate", "info": "low"}
_V2_0074 = "http://terminology.hl7.org/CodeSystem/v2-0074"
_PARTICIPANT = "http://terminology.hl7.org/CodeSystem/provenance-participant-type"


@dataclass(frozen=True)
class Entry:
    """One Bundle entry: its fullUrl and the resource as JSON."""

    full_url: str
    resource: dict[str, Any]


def new_full_url() -> str:
    return f"urn:uuid:{uuid.uuid4()}"


def _json(model: Resource | BundleEntry) -> dict[str, Any]:
    return model.model_dump(mode="json", exclude_none=True)


def _instant(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def test_coding(knowledge: Knowledge, test: str, lang: str) -> dict[str, Any]:
    """The CodeableConcept of a test: its LOINC code for the canonical unit, and its name."""
    item = knowledge.analytes[test]
    concept: dict[str, Any] = {"text": item.name.get(lang) or item.name.get("en") or test}
    if item.loinc:
        code = item.loinc[0]
        concept["coding"] = [{"system": LOINC, "code": code.code, "display": code.name}]
    return concept


def service_request(
    knowledge: Knowledge,
    test: str,
    *,
    subject: str,
    lang: str,
    reflex: bool = False,
    note: str = "",
    reason: str | None = None,
    authored: dt.datetime | None = None,
) -> dict[str, Any]:
    """A draft ServiceRequest for one test (``intent`` reflex-order or proposal)."""
    request = ServiceRequest.model_validate(
        {
            "status": "draft",
            "intent": "reflex-order" if reflex else "proposal",
            "code": test_coding(knowledge, test, lang),
            "subject": {"reference": subject},
            **({"authoredOn": _instant(authored)} if authored else {}),
            **({"reasonReference": [{"reference": reason}]} if reason else {}),
            **({"note": [{"text": note}]} if note else {}),
        }
    )
    return _json(request)


def report_entries(
    assessment: Mapping[str, Any],
    *,
    knowledge: Knowledge,
    terms: EhrTerms,
    subject: str,
    results: Sequence[str],
    lang: str,
    now: dt.datetime,
    effective: dt.date | None = None,
    pack_title: str | None = None,
    engine_version: str = ENGINE_VERSION,
    sources: Sequence[str] = (),
) -> list[Entry]:
    """DiagnosticReport, a ServiceRequest per next test, a DetectedIssue per alert, and the
    Provenance of all of them and of ``sources`` (fullUrls of the resources that were read),
    from an assessment in its contract JSON form (``Assessment.to_dict(lang)``)."""
    texts = knowledge.texts
    pack_id = str(assessment["pack"])
    sha256 = str(assessment.get("pack_sha256", ""))
    title = pack_title or pack_id
    verdict = str(assessment["deficiency"])
    report_url = new_full_url()
    parts = [
        texts.get(
            "fhir.conclusion", lang, pack=title, verdict=texts.get(f"verdict.{verdict}", lang)
        )
    ]
    if assessment.get("severe"):
        parts.append(texts.get("fhir.severe", lang))
    parts += [str(f["text"]) for f in assessment.get("findings", ()) if f.get("text")]
    parts.append(texts.get("disclaimer", lang))
    report = DiagnosticReport.model_validate(
        {
            "status": "final",
            "category": [
                {"coding": [{"system": _V2_0074, "code": "LAB", "display": "Laboratory"}]}
            ],
            "code": {
                "coding": [{"system": terms.code_system("report"), "code": "b12-status"}],
                "text": texts.get("fhir.report_code", lang),
            },
            "subject": {"reference": subject},
            **({"effectiveDateTime": effective.isoformat()} if effective else {}),
            "issued": _instant(now),
            **({"result": [{"reference": r} for r in results]} if results else {}),
            "conclusion": " ".join(parts),
            "conclusionCode": [
                {
                    "coding": [
                        {
                            "system": terms.code_system("verdict"),
                            "code": verdict,
                            "display": texts.get(f"verdict.{verdict}", "en"),
                        }
                    ],
                    "text": texts.get(f"verdict.{verdict}", lang),
                }
            ],
        }
    )
    entries = [Entry(report_url, _json(report))]
    for test in assessment.get("next_tests", ()):
        key = "fhir.reflex" if test.get("reflex") else "fhir.advised"
        note = " ".join(
            p for p in (str(test.get("reason") or ""), texts.get(key, lang, pack=title)) if p
        )
        entries.append(
            Entry(
                new_full_url(),
                service_request(
                    knowledge,
                    str(test["test"]),
                    subject=subject,
                    lang=lang,
                    reflex=bool(test.get("reflex")),
                    note=note,
                    reason=report_url,
                    authored=now,
                ),
            )
        )
    for alert in assessment.get("alerts", ()):
        code = str(alert["code"])
        source = terms.alert_source(code)
        issue = DetectedIssue.model_validate(
            {
                "status": "final",
                "severity": _SEVERITY[str(alert["level"])],
                "code": {
                    "coding": [{"system": terms.code_system("alert"), "code": code}],
                    "text": texts.get(f"cds.alert.{code}", lang),
                },
                "patient": {"reference": subject},
                "identifiedDateTime": _instant(now),
                "detail": str(alert["text"]),
                **({"reference": source.url} if source is not None and source.url else {}),
            }
        )
        entries.append(Entry(new_full_url(), _json(issue)))
    targets = [e.full_url for e in entries] + list(sources)
    record = Provenance.model_validate(
        {
            "target": [{"reference": t} for t in targets],
            "recorded": _instant(now),
            "agent": [
                {
                    "type": {
                        "coding": [
                            {"system": _PARTICIPANT, "code": "assembler", "display": "Assembler"}
                        ]
                    },
                    "who": {"display": texts.get("fhir.engine", lang, version=engine_version)},
                }
            ],
            "entity": [
                {
                    "role": "source",
                    "what": {
                        "identifier": {
                            "system": terms.identifier_system("pack-sha256"),
                            "value": sha256,
                        },
                        "display": f"{title} ({pack_id})",
                    },
                }
            ],
        }
    )
    entries.append(Entry(new_full_url(), _json(record)))
    return entries


def collection(entries: Sequence[Entry], now: dt.datetime) -> dict[str, Any]:
    """A Bundle of type collection holding the entries, in order.

    Each resource was built (and so validated) by its own model; the envelope is validated
    here without validating every resource a second time, which would double the cost."""
    envelope = _json(Bundle.model_validate({"type": "collection", "timestamp": _instant(now)}))
    envelope["entry"] = [
        _json(BundleEntry.model_validate({"fullUrl": e.full_url})) | {"resource": e.resource}
        for e in entries
    ]
    return envelope


def operation_outcome(error: InputError, code: str = "invalid") -> dict[str, Any]:
    """The OperationOutcome of a bad request, naming the field and what is allowed."""
    text = error.message + (f" (allowed: {error.allowed})" if error.allowed else "")
    outcome = OperationOutcome.model_validate(
        {
            "issue": [
                {
                    "severity": "error",
                    "code": code,
                    "diagnostics": f"{error.field}: {text}",
                    **({"expression": [error.field]} if error.field else {}),
                }
            ]
        }
    )
    return _json(outcome)
