"""The CDS services as an EHR sees them: a signed call in, cards out.

Rules behind the order cards (data/safety.yaml, seed 001 = Stichting B12 Tekort, 2017):
- "Dokters mogen pas foliumzuur voorschrijven als een B12-tekort met zekerheid is uitgesloten
  of als het tekort behandeld wordt." (folic acid only once B12 deficiency is excluded/treated)
- "Vraag dan om de ferritine (ijzervoorraad), B12 en foliumzuur te laten meten." (anaemia:
  measure ferritin, B12 and folate before iron)
- "Het kan namelijk ook veroorzaakt worden door een B12- of een foliumzuurtekort. In dat geval
  helpen de staalpillen helemaal niet." (iron does not help an anaemia from B12 deficiency)
"""

from __future__ import annotations

from typing import Any

import pytest
from fhir_validator import fhirjs

from cobalamin import default_knowledge
from cobalamin.interop.cds_hooks import ORDERS_SERVICE, PATIENT_SERVICE
from cobalamin.interop.cds_hooks_prefetch import prefetch_templates
from cobalamin.interop.fhir_terms import ATC, LOINC, RXNORM, UCUM

PATIENT = {"resourceType": "Patient", "id": "p1", "gender": "female", "birthDate": "1984-03-02"}


def observation(loinc: str, value: float, unit: str, date: str = "2026-05-02") -> dict[str, Any]:
    return {
        "resourceType": "Observation", "id": f"o-{loinc}", "status": "final",
        "code": {"coding": [{"system": LOINC, "code": loinc}]},
        "subject": {"reference": "Patient/p1"}, "effectiveDateTime": date,
        "valueQuantity": {"value": value, "unit": unit, "system": UCUM, "code": unit},
    }  # fmt: skip


def searchset(*resources: dict[str, Any]) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [{"resource": r} for r in resources],
    }


def prefetch(pack: str = "nice-ng239", **results: dict[str, Any]) -> dict[str, Any]:
    """Every key the service asks for: the given results as search Bundles, the rest null."""
    knowledge = default_knowledge()
    keys = [t.key for t in prefetch_templates(knowledge.pack(pack), knowledge)]
    data: dict[str, Any] = dict.fromkeys(keys)
    data["patient"] = PATIENT
    for key, resource in results.items():
        data[key] = searchset(resource)
    return data


def medication_order(ident: str, text: str, coding: dict[str, str] | None = None) -> dict[str, Any]:
    """A draft MedicationRequest as the CDS Hooks Sandbox sends it (category as an object)."""
    concept: dict[str, Any] = {"text": text}
    if coding:
        concept["coding"] = [coding | {"display": text}]
    return {
        "resourceType": "MedicationRequest", "id": ident, "status": "draft", "intent": "order",
        "category": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/medicationrequest-category", "code": "community"}]},
        "subject": {"reference": "Patient/p1"}, "medicationCodeableConcept": concept,
    }  # fmt: skip


def lab_order(ident: str, loinc: str) -> dict[str, Any]:
    return {
        "resourceType": "ServiceRequest", "id": ident, "status": "draft", "intent": "order",
        "code": {"coding": [{"system": LOINC, "code": loinc}]}, "subject": {"reference": "Patient/p1"},
    }  # fmt: skip


def order_call(
    hook: str,
    orders: list[dict[str, Any]],
    data: dict[str, Any],
    selections: list[str] | None = None,
) -> dict[str, Any]:
    context: dict[str, Any] = {
        "patientId": "p1", "userId": "Practitioner/example",
        "draftOrders": {"resourceType": "Bundle", "entry": [{"resource": o} for o in orders]},
    }  # fmt: skip
    if hook == "order-select":
        context["selections"] = (
            selections
            if selections is not None
            else [f"{o['resourceType']}/{o['id']}" for o in orders]
        )
    return {
        "hook": hook,
        "hookInstance": "7a3f",
        "fhirServer": "https://ehr.invalid/fhir",
        "context": context,
        "prefetch": data,
    }


def patient_view(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "hook": "patient-view",
        "hookInstance": "1b2c",
        "context": {"patientId": "p1", "userId": "Practitioner/example"},
        "prefetch": data,
    }


FOLIC = medication_order(
    "folic-1", "Folic Acid 5 MG Oral Tablet", {"system": RXNORM, "code": "199318"}
)
IRON = medication_order(
    "iron-1", "ferrous sulfate 200 mg tablet", {"system": ATC, "code": "B03AA07"}
)


@pytest.fixture
def service(make_service: Any) -> Any:
    return make_service()


def cards(answer: Any) -> list[dict[str, Any]]:
    assert answer.status_code == 200, answer.text
    found: list[dict[str, Any]] = answer.json()["cards"]
    for card in found:
        assert len(card["summary"]) < 140
        assert card["indicator"] in ("info", "warning", "critical")
        assert card["source"]["label"]
        assert card["uuid"]
        if "suggestions" in card:
            assert card["selectionBehavior"] in ("any", "at-most-one")
            assert all(s["uuid"] and s["label"] for s in card["suggestions"])
        for reason in card.get("overrideReasons", ()):
            assert reason["display"]
    return found


# --- discovery -------------------------------------------------------------------------------


def test_discovery_lists_the_services_and_their_prefetch(service: Any) -> None:
    answer = service.client.get("/cds-services")
    assert answer.status_code == 200
    services = answer.json()["services"]
    assert [(s["id"], s["hook"]) for s in services] == [
        (PATIENT_SERVICE, "patient-view"),
        (ORDERS_SERVICE, "order-select"),
        (ORDERS_SERVICE, "order-sign"),
    ]
    prefetch_keys = services[0]["prefetch"]
    # NICE reads b12, holotc and mma; the safety rules read hb, ferritin, folate, ... too
    assert prefetch_keys["b12"] == (
        f"Observation?patient={{{{context.patientId}}}}&code={LOINC}|14685-2,{LOINC}|2132-9"
        "&_sort=-date&_count=1"
    )
    assert {"patient", "holotc", "mma", "hb", "ferritin", "folate", "medications"} <= set(
        prefetch_keys
    )
    knowledge = default_knowledge()
    read = set(knowledge.pack("nice-ng239").reads) | set(knowledge.safety.pack.reads)
    tests = {key for key in prefetch_keys if key in knowledge.analytes}
    assert tests == read & set(knowledge.analytes)  # exactly the tests the rules read
    assert all(s["description"] and s["title"] for s in services)


def test_discovery_follows_the_pack(make_service: Any) -> None:
    service = make_service(pack="b12-tekort-nl")
    keys = service.client.get("/cds-services").json()["services"][0]["prefetch"]
    assert "hcy" in keys  # the Stichting B12 Tekort pack reads homocysteine


# --- patient-view ----------------------------------------------------------------------------


def test_low_b12_gives_a_verdict_card(service: Any) -> None:
    """NICE NG239: "Confirmed deficiency: total B12 less than 180 ng/L (133 pmol/L)"."""
    found = cards(
        service.post(
            PATIENT_SERVICE, patient_view(prefetch(b12=observation("14685-2", 110, "pmol/L")))
        )
    )
    (verdict,) = found
    assert verdict["indicator"] == "warning"
    assert verdict["summary"] == "B12 deficiency likely (nice-ng239): B12 110 pmol/L"
    assert verdict["source"]["url"] == "https://www.nice.org.uk/guidance/ng239"
    assert "confirmed deficiency" in verdict["detail"]
    assert "sha256:" in verdict["detail"]  # the pack's provenance
    (link,) = verdict["links"]
    assert link["type"] == "absolute"
    assert link["url"].startswith("https://cobalamin.test/assess?pack=nice-ng239&lang=en")
    assert "b12=110&b12_unit=pmol%2FL" in link["url"]
    assert "p1" not in link["url"]  # no identifier in the link


def test_cards_in_dutch(service: Any) -> None:
    answer = service.post(
        PATIENT_SERVICE, patient_view(prefetch(b12=observation("14685-2", 110, "pmol/L"))),
        **{"Accept-Language": "nl-NL,nl;q=0.9"},
    )  # fmt: skip
    (verdict,) = cards(answer)
    assert verdict["summary"].startswith("Kans op B12-tekort waarschijnlijk")


def test_next_test_becomes_a_suggested_service_request(make_service: Any) -> None:
    """Gelderse Vallei: "Wanneer uw vitamine B12 waarden tussen de 150 tot 220 pmol/L ligt,
    krijgt u automatisch aanvullend onderzoek." (MMA)"""
    service = make_service(pack="gelderse-vallei")
    data = prefetch("gelderse-vallei", b12=observation("14685-2", 180, "pmol/L"))
    (verdict,) = cards(service.post(PATIENT_SERVICE, patient_view(data)))
    (suggestion,) = verdict["suggestions"]
    (action,) = suggestion["actions"]
    assert action["type"] == "create"
    request = action["resource"]
    assert request["resourceType"] == "ServiceRequest"
    assert request["code"]["coding"][0]["code"] == "13964-2"  # MMA
    assert request["subject"] == {"reference": "Patient/p1"}
    (report,) = fhirjs([request])
    assert report["valid"], report


def test_normal_b12_informs(service: Any) -> None:
    (verdict,) = cards(
        service.post(
            PATIENT_SERVICE, patient_view(prefetch(b12=observation("14685-2", 400, "pmol/L")))
        )
    )
    assert verdict["indicator"] == "info"


def test_alerts_get_their_own_cards(service: Any) -> None:
    """Anaemic, no ferritin, B12 or folate: the anaemia work-up alert."""
    found = cards(
        service.post(PATIENT_SERVICE, patient_view(prefetch(hb=observation("718-7", 95, "g/L"))))
    )
    assert [c["indicator"] for c in found] == ["warning"]
    assert found[0]["summary"].startswith("Anaemia without ferritin")


def test_no_results_no_cards(service: Any) -> None:
    assert cards(service.post(PATIENT_SERVICE, patient_view(prefetch()))) == []


# --- orders ----------------------------------------------------------------------------------


@pytest.mark.parametrize("hook", ["order-sign", "order-select"])
def test_folic_acid_without_any_b12_result_warns(service: Any, hook: str) -> None:
    (card,) = cards(service.post(ORDERS_SERVICE, order_call(hook, [FOLIC], prefetch())))
    assert card["indicator"] == "critical"
    assert "measure B12 first" in card["summary"]
    assert "No total or active B12 result" in card["detail"]
    remove, order_b12 = card["suggestions"]
    assert remove["actions"] == [
        {
            "type": "delete",
            "description": remove["label"],
            "resourceId": "MedicationRequest/folic-1",
        }
    ]
    assert order_b12["actions"][0]["resource"]["code"]["coding"][0]["code"] == "14685-2"
    assert order_b12["isRecommended"] is True
    assert card["source"]["url"].startswith("https://")
    assert {r["code"] for r in card["overrideReasons"]} >= {"treatment_started"}


def test_folic_acid_with_unresolved_deficiency_warns(service: Any) -> None:
    data = prefetch(b12=observation("14685-2", 110, "pmol/L"))
    (card,) = cards(service.post(ORDERS_SERVICE, order_call("order-sign", [FOLIC], data)))
    assert card["indicator"] == "critical"
    assert "deficiency likely" in card["detail"]
    assert [s["actions"][0]["type"] for s in card["suggestions"]] == ["delete"]  # B12 is known


def test_folic_acid_with_normal_recent_b12_is_quiet(service: Any) -> None:
    data = prefetch(b12=observation("14685-2", 400, "pmol/L"))
    assert cards(service.post(ORDERS_SERVICE, order_call("order-sign", [FOLIC], data))) == []


def test_folic_acid_with_b12_treatment_drafted_is_quiet(service: Any) -> None:
    b12 = medication_order(
        "b12-1", "Hydroxocobalamin 1 mg/ml injection", {"system": ATC, "code": "B03BA03"}
    )
    assert (
        cards(service.post(ORDERS_SERVICE, order_call("order-sign", [FOLIC, b12], prefetch())))
        == []
    )


def test_order_select_looks_at_the_selected_orders_only(service: Any) -> None:
    other = medication_order("para-1", "Paracetamol 500 MG Oral Tablet")
    call = order_call(
        "order-select", [FOLIC, other], prefetch(), selections=["MedicationRequest/para-1"]
    )
    assert cards(service.post(ORDERS_SERVICE, call)) == []


def test_folic_acid_recognised_by_text_only(service: Any) -> None:
    """A Sandbox product whose RxNorm code we do not list: the text still tells."""
    order = medication_order(
        "folic-2", "Folic Acid 25 MG Oral Tablet", {"system": RXNORM, "code": "245562"}
    )
    (card,) = cards(service.post(ORDERS_SERVICE, order_call("order-select", [order], prefetch())))
    assert card["indicator"] == "critical"


def test_iron_for_anaemia_without_work_up_warns(service: Any) -> None:
    data = prefetch(hb=observation("718-7", 95, "g/L"))
    (card,) = cards(service.post(ORDERS_SERVICE, order_call("order-sign", [IRON], data)))
    assert card["indicator"] == "warning"
    suggested = {s["actions"][0]["resource"]["code"]["coding"][0]["code"]
                 for s in card["suggestions"] if s["actions"][0]["type"] == "create"}  # fmt: skip
    assert suggested == {"2276-4", "14685-2", "14732-2"}  # ferritin, B12, folate


def test_iron_with_work_up_done_and_normal_b12_is_quiet(service: Any) -> None:
    data = prefetch(
        hb=observation("718-7", 95, "g/L"), b12=observation("14685-2", 400, "pmol/L"),
        ferritin=observation("2276-4", 8, "ug/L"), folate=observation("14732-2", 20, "nmol/L"),
    )  # fmt: skip
    assert cards(service.post(ORDERS_SERVICE, order_call("order-sign", [IRON], data))) == []


def test_iron_for_anaemia_with_unresolved_b12_deficiency_warns(service: Any) -> None:
    data = prefetch(
        hb=observation("718-7", 95, "g/L"), b12=observation("14685-2", 110, "pmol/L"),
        ferritin=observation("2276-4", 8, "ug/L"), folate=observation("14732-2", 20, "nmol/L"),
    )  # fmt: skip
    (card,) = cards(service.post(ORDERS_SERVICE, order_call("order-sign", [IRON], data)))
    assert card["indicator"] == "warning"
    assert "anaemia may come from B12 deficiency" in card["summary"]


def test_iron_without_anaemia_is_quiet(service: Any) -> None:
    data = prefetch(hb=observation("718-7", 135, "g/L"))
    assert cards(service.post(ORDERS_SERVICE, order_call("order-sign", [IRON], data))) == []


def test_b12_lab_order_gets_advice_on_tests_to_add(service: Any) -> None:
    data = prefetch(hb=observation("718-7", 95, "g/L"))
    (card,) = cards(
        service.post(
            ORDERS_SERVICE, order_call("order-select", [lab_order("lab-1", "14685-2")], data)
        )
    )
    assert card["indicator"] == "info"
    assert card["summary"] == "B12 ordered: consider adding ferritin and folate."
    codes = [s["actions"][0]["resource"]["code"]["coding"][0]["code"] for s in card["suggestions"]]
    assert codes == ["2276-4", "14732-2"]


def test_b12_lab_order_with_nothing_to_add_is_quiet(service: Any) -> None:
    data = prefetch(hb=observation("718-7", 135, "g/L"))
    assert (
        cards(
            service.post(
                ORDERS_SERVICE, order_call("order-select", [lab_order("lab-1", "14685-2")], data)
            )
        )
        == []
    )


def test_sandbox_context_quirks_are_tolerated(service: Any) -> None:
    """The Sandbox sends draftOrders without Bundle.type and category as an object."""
    call = order_call("order-select", [FOLIC], prefetch())
    assert "type" not in call["context"]["draftOrders"]
    assert cards(service.post(ORDERS_SERVICE, call))


def test_summaries_fit_and_suggested_resources_are_valid_r4(service: Any) -> None:
    """Every card kind in both languages: summary under 140 characters (checked in ``cards``),
    and every resource a suggestion would create passes FHIR.js."""
    anaemic_low_b12 = prefetch(
        hb=observation("718-7", 95, "g/L"), b12=observation("14685-2", 110, "pmol/L")
    )
    anaemic = prefetch(hb=observation("718-7", 95, "g/L"))
    calls = [
        (PATIENT_SERVICE, patient_view(anaemic_low_b12)),
        (ORDERS_SERVICE, order_call("order-sign", [FOLIC, IRON], anaemic_low_b12)),
        (ORDERS_SERVICE, order_call("order-sign", [FOLIC, IRON], anaemic)),
        (ORDERS_SERVICE, order_call("order-select", [lab_order("lab-1", "14685-2")], anaemic)),
    ]
    resources = []
    kinds = set()
    for lang in ("en", "nl"):
        for service_id, call in calls:
            found = cards(service.post(service_id, call, **{"Accept-Language": lang}))
            assert found
            kinds |= {c["source"].get("topic", {}).get("code") for c in found}
            resources += [a["resource"] for c in found for s in c.get("suggestions", ())
                          for a in s["actions"] if "resource" in a]  # fmt: skip
    assert {"b12-status", "folic_acid_before_b12", "anaemia_workup_before_iron",
            "iron_unresolved_deficiency", "b12-lab-order"} <= kinds  # fmt: skip
    assert resources
    bad = [r for r in fhirjs(resources) if not r["valid"]]
    assert not bad, bad


# --- prefetch --------------------------------------------------------------------------------


def test_missing_prefetch_is_fetched_from_the_fhir_server(service: Any) -> None:
    server = service.server
    server.fhir.clear()
    server.fhir["Patient/p1"] = PATIENT
    for template in service.installed.hooks.templates[1:]:
        query = template.query.replace("{{context.patientId}}", "p1")
        server.fhir[query] = searchset()
    b12_query = service.installed.hooks.templates[1].query.replace("{{context.patientId}}", "p1")
    server.fhir[b12_query] = searchset(observation("14685-2", 110, "pmol/L"))
    call = patient_view({})
    call["fhirServer"] = server.fhir_base
    call["fhirAuthorization"] = {
        "access_token": "ehr-access-token", "token_type": "Bearer", "expires_in": 300,
        "scope": "patient/*.read", "subject": "cobalamin",
    }  # fmt: skip
    server.requests.clear()
    (verdict,) = cards(service.post(PATIENT_SERVICE, call))
    assert "110 pmol/L" in verdict["summary"]
    fetched = [r for r in server.requests if r[0].startswith("/fhir/")]
    assert len(fetched) == len(service.installed.hooks.templates)
    assert {auth for _, auth in fetched} == {"Bearer ehr-access-token"}


def test_null_prefetch_means_no_data_and_is_not_fetched(service: Any) -> None:
    call = patient_view(prefetch())
    call["fhirServer"] = service.server.fhir_base
    service.server.requests.clear()
    assert cards(service.post(PATIENT_SERVICE, call)) == []
    assert not [r for r in service.server.requests if r[0].startswith("/fhir/")]


def test_missing_prefetch_without_a_fhir_server_is_412(service: Any) -> None:
    call = patient_view({"patient": PATIENT})
    answer = service.post(PATIENT_SERVICE, call)
    assert answer.status_code == 412
    assert answer.json()["resourceType"] == "OperationOutcome"


def test_unreachable_fhir_server_is_412(service: Any) -> None:
    call = patient_view({"patient": PATIENT})
    call["fhirServer"] = service.server.base + "/nothing-here"
    assert service.post(PATIENT_SERVICE, call).status_code == 412


# --- requests and feedback -------------------------------------------------------------------


def test_bad_requests(service: Any) -> None:
    assert service.post("no-such-service", patient_view(prefetch())).status_code == 404
    wrong_hook = patient_view(prefetch()) | {"hook": "order-sign"}
    answer = service.post(PATIENT_SERVICE, wrong_hook)
    assert answer.status_code == 400
    assert answer.json()["issue"][0]["expression"] == ["hook"]
    no_patient = patient_view(prefetch())
    no_patient["context"] = {"userId": "Practitioner/1"}
    assert service.post(PATIENT_SERVICE, no_patient).status_code == 400


def test_feedback_is_stored_once(service: Any) -> None:
    item = {
        "card": "0f7c1a3e-6a5b-4c59-9a0b-2f3c8d1e7b21", "outcome": "overridden",
        "overrideReason": {"reason": {"code": "treatment_started", "system": "https://cobalamin.example.org/fhir/CodeSystem/override-reason"},
                           "userComment": "on injections"},
        "outcomeTimestamp": "2026-06-01T10:20:30Z",
    }  # fmt: skip
    for _ in range(2):  # "the same card instance multiple times"
        answer = service.post(ORDERS_SERVICE, {"feedback": [item]}, feedback=True)
        assert answer.status_code == 200 and answer.content == b""
    (stored,) = service.installed.feedback.stored(ORDERS_SERVICE)
    assert stored.outcome == "overridden"
    assert stored.override_reason["code"] == "treatment_started"
    assert stored.user_comment == "on injections"
    assert stored.iss == service.ehr.iss


def test_bad_feedback_is_400(service: Any) -> None:
    bad = {
        "feedback": [{"card": "x", "outcome": "liked", "outcomeTimestamp": "2026-06-01T10:20:30Z"}]
    }
    answer = service.post(ORDERS_SERVICE, bad, feedback=True)
    assert answer.status_code == 400
    assert answer.json()["issue"][0]["expression"] == ["feedback[0].outcome"]
    accepted = {
        "feedback": [
            {"card": "x", "outcome": "accepted", "outcomeTimestamp": "2026-06-01T10:20:30Z"}
        ]
    }
    assert service.post(ORDERS_SERVICE, accepted, feedback=True).status_code == 400
