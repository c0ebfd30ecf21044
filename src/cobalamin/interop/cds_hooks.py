"""CDS Hooks 2.0 services: discovery, ``patient-view`` and ``order-select``/``order-sign``.

Pure functions over JSON (dicts): the web layer (``cobalamin.web.cds_api``) authenticates the
call, passes the body and a ``Fetch`` for missing prefetch, and turns the exceptions into HTTP
statuses (``UnknownService`` 404, ``InputError`` 400, ``PrefetchUnavailable`` 412).

- ``cobalamin-b12`` (patient-view): the latest B12-related Observations are read like a FHIR
  Bundle (``fhir_in``) and assessed under the configured pack: a card with the verdict, the
  findings and the next tests (each next test a suggested draft ServiceRequest), and a card
  per safety alert.
- ``cobalamin-orders`` (order-select and order-sign; one id, so a client replaces the cards of
  one hook by those of the next): each draft MedicationRequest is recognised by its codes
  (``fhir_medications``); the patient is assessed as if the drafted medicines were taken.
  A medicine listed under ``orders`` in data/ehr.yaml gets a card for each of its safety
  alerts that fires (folic acid before B12; anaemia work-up before iron; ...), with
  suggestions to remove the draft order and to order the tests whose absence made the rule
  fire; iron for an anaemic patient with an unresolved B12 verdict gets a warning. A draft
  lab order for B12 gets advice on the tests to add. order-select looks only at the orders in
  ``selections``; order-sign at every draft order.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from cobalamin.assessment import Alert, Assessment
from cobalamin.case import Case
from cobalamin.engine import Evaluation, case_facts, evaluate
from cobalamin.errors import InputError
from cobalamin.interop.cds_hooks_cards import (
    card,
    create_action,
    delete_action,
    link,
    source,
    suggestion,
)
from cobalamin.interop.cds_hooks_prefetch import (
    Fetch,
    PrefetchTemplate,
    prefetch_templates,
    resolve_prefetch,
    resources_of,
)
from cobalamin.interop.fhir import Interpreter
from cobalamin.interop.fhir_in import BundleCase
from cobalamin.interop.fhir_out import service_request
from cobalamin.interop.fhir_terms import (
    LOINC,
    BibliographyEntry,
    EhrTerms,
    Indicator,
    UnresolvedDeficiency,
)
from cobalamin.knowledge.model import Pack
from cobalamin.knowledge.registry import Knowledge
from cobalamin.pipeline import assess, assessment_pipeline
from cobalamin.version import provenance

__all__ = [
    "ORDERS_SERVICE",
    "ORDER_HOOKS",
    "PATIENT_SERVICE",
    "CdsHooks",
    "Service",
    "UnknownService",
    "assess_link",
]

PATIENT_SERVICE = "cobalamin-b12"
ORDERS_SERVICE = "cobalamin-orders"
ORDER_HOOKS = ("order-select", "order-sign")


class UnknownService(Exception):
    """No service with this id (HTTP 404)."""


@dataclass(frozen=True)
class Service:
    id: str
    hook: str
    text: str  # key under cds.service in data/texts.yaml


SERVICES = (
    Service(PATIENT_SERVICE, "patient-view", "patient_view"),
    Service(ORDERS_SERVICE, "order-select", "order_select"),
    Service(ORDERS_SERVICE, "order-sign", "order_sign"),
)


@dataclass(frozen=True)
class Assessed:
    """A patient read from the prefetch and assessed."""

    read: BundleCase
    case: Case
    assessment: Assessment
    evaluation: Evaluation


def assess_link(public_url: str, pack_id: str, case: Mapping[str, Any], lang: str) -> str:
    """The web app's assessment form for this case: contract ids as query fields (values only;
    no name, identifier or birth date)."""
    fields: list[tuple[str, str]] = [("pack", pack_id), ("lang", lang)]
    person = case.get("person") or {}
    for name in ("age", "sex"):
        if person.get(name) is not None:
            fields.append((name, f"{person[name]:g}" if name == "age" else str(person[name])))
    fields += [("medications", m) for m in person.get("medications", ())]
    fields += [("conditions", c) for c in person.get("conditions", ())]
    for result in case.get("results", ()):
        value = result["value"]
        fields.append((result["test"], f"{value:g}" if isinstance(value, float) else str(value)))
        if result.get("unit"):
            fields.append((f"{result['test']}_unit", str(result["unit"])))
    return f"{public_url.rstrip('/')}/assess?{urlencode(fields)}"


def _request_part(request: Mapping[str, Any], name: str, kind: type) -> Any:
    value = request.get(name)
    if not isinstance(value, kind):
        raise InputError(name, f"is required and must be a JSON {kind.__name__}")
    return value


class CdsHooks:
    """The CDS services of one knowledge and pack, answering for ``public_url``."""

    def __init__(
        self,
        knowledge: Knowledge,
        pack: Pack,
        *,
        public_url: str,
        interpreter: Interpreter | None = None,
    ) -> None:
        self.knowledge = knowledge
        self.pack = pack
        self.public_url = public_url.rstrip("/")
        self.interpreter = interpreter or Interpreter(knowledge)
        self.terms: EhrTerms = self.interpreter.terms
        self.templates: tuple[PrefetchTemplate, ...] = prefetch_templates(pack, knowledge)
        self.pipeline = assessment_pipeline(pack, knowledge)

    # --- discovery ---------------------------------------------------------------------------
    def discovery(self, lang: str = "en") -> dict[str, Any]:
        texts = self.knowledge.texts
        prefetch = {t.key: t.query for t in self.templates}
        return {
            "services": [
                {
                    "hook": s.hook,
                    "title": texts.get(f"cds.service.{s.text}.title", lang),
                    "description": texts.get(f"cds.service.{s.text}.description", lang),
                    "id": s.id,
                    "prefetch": prefetch,
                }
                for s in SERVICES
            ]
        }

    def hooks(self, service_id: str) -> tuple[str, ...]:
        found = tuple(s.hook for s in SERVICES if s.id == service_id)
        if not found:
            raise UnknownService(service_id)
        return found

    # --- a call ------------------------------------------------------------------------------
    def call(
        self,
        service_id: str,
        request: Any,
        fetch: Fetch | None = None,
        *,
        lang: str = "en",
        today: dt.date | None = None,
    ) -> dict[str, Any]:
        """The response (``{"cards": [...]}``) to one service call."""
        hooks = self.hooks(service_id)
        if not isinstance(request, Mapping):
            raise InputError("request", "must be a JSON object")
        hook = _request_part(request, "hook", str)
        if hook not in hooks:
            raise InputError("hook", f"{hook!r} is not a hook of {service_id}", ", ".join(hooks))
        _request_part(request, "hookInstance", str)
        context = _request_part(request, "context", dict)
        if not isinstance(context.get("patientId"), str) or not context["patientId"]:
            raise InputError("context.patientId", "is required")
        data = resolve_prefetch(self.templates, request, fetch)
        today = today or dt.date.today()
        if hook == "patient-view":
            return {"cards": self._patient_view(data, context, lang, today)}
        return {"cards": self._orders(hook, data, context, lang, today)}

    # --- reading the patient -----------------------------------------------------------------
    def _assess(
        self, data: Mapping[str, Any], today: dt.date, planned: Iterable[str] = ()
    ) -> Assessed:
        origins: list[str] = []
        resources: list[dict[str, Any]] = []
        for key, value in data.items():
            for resource in resources_of(value):
                origins.append(f"prefetch.{key}")
                resources.append(resource)
        bundle = {"resourceType": "Bundle", "entry": [{"resource": r} for r in resources]}
        try:
            read = self.interpreter.read(bundle, today, require_results=False)
            medications = set(read.case["person"].get("medications", ())) | set(planned)
            if medications:
                read.case["person"]["medications"] = sorted(medications)
            case = self.interpreter.case(read)
        except InputError as exc:
            raise InputError(_origin(exc.field, origins), exc.message, exc.allowed) from None
        evaluation = evaluate(self.pipeline.combined, case_facts(case))
        return Assessed(read, case, assess(case, self.pack, self.knowledge), evaluation)

    # --- patient-view ------------------------------------------------------------------------
    def _patient_view(
        self, data: Mapping[str, Any], context: Mapping[str, Any], lang: str, today: dt.date
    ) -> list[dict[str, Any]]:
        assessed = self._assess(data, today)
        cards: list[dict[str, Any]] = []
        if assessed.read.observations and assessed.assessment.deficiency != "unknown":
            cards.append(self._verdict_card(assessed, str(context["patientId"]), lang))
        cards += [self._alert_card(a, assessed, lang) for a in assessed.assessment.alerts]
        return cards

    def _results_line(self, assessed: Assessed, lang: str, limit: int = 2) -> str:
        texts = self.knowledge.texts
        parts = []
        for observation in assessed.read.observations[:limit]:
            value = observation.value
            shown = f"{value:g}" if isinstance(value, float) else str(value)
            name = texts.get(f"cds.test.{observation.test}", lang)
            parts.append(" ".join(p for p in (name, shown, observation.unit or "") if p))
        return "; ".join(parts)

    def _verdict_card(self, assessed: Assessed, patient_id: str, lang: str) -> dict[str, Any]:
        texts = self.knowledge.texts
        result = assessed.assessment
        verdict = texts.get(f"verdict.{result.deficiency}", lang)
        pack_name = self.pack.id
        results = self._results_line(assessed, lang)
        if result.severe:
            summary = texts.get("cds.verdict.severe", lang, pack=pack_name, results=results)
            indicator: Indicator = self.terms.severe_indicator
        else:
            summary = texts.get(
                "cds.verdict.summary", lang, verdict=verdict, pack=pack_name, results=results
            )
            indicator = self.terms.verdict_indicator.get(result.deficiency, "info")
        lines = [f"**{texts.get('cds.verdict.results_heading', lang)}**", ""]
        for observation in assessed.read.observations:
            value = observation.value
            lines.append(
                "- "
                + texts.get(
                    "cds.verdict.result_line",
                    lang,
                    test=texts.get(f"cds.test.{observation.test}", lang),
                    value=f"{value:g}" if isinstance(value, float) else value,
                    unit=observation.unit or "",
                    date=observation.date.isoformat()
                    if observation.date
                    else texts.get("cds.verdict.undated", lang),
                )
            )
        if result.findings:
            lines += ["", f"**{texts.get('cds.verdict.findings_heading', lang)}**", ""]
            lines += [f"- {f.text.get(lang)}" for f in result.findings]
        if result.next_tests:
            lines += ["", f"**{texts.get('cds.verdict.next_tests_heading', lang)}**", ""]
            lines += [
                f"- {texts.get(f'cds.test.{t.test}', lang)}: {t.reason.get(lang)}"
                for t in result.next_tests
            ]
        lines += ["", result.disclaimer.get(lang), "", self._provenance_line(lang)]
        subject = f"Patient/{patient_id}"
        present = set(assessed.case.results)
        suggestions = [
            self._order_suggestion(t.test, subject, lang, reflex=t.reflex)
            for t in result.next_tests
            if t.test not in present
        ]
        return card(
            summary,
            indicator,
            self._pack_source(),
            detail="\n".join(lines),
            suggestions=suggestions,
            links=[self._link(assessed, lang)],
        )

    def _alert_card(
        self, alert: Alert, assessed: Assessed, lang: str, *, detail_before: Sequence[str] = ()
    ) -> dict[str, Any]:
        texts = self.knowledge.texts
        entry = self.terms.alert_source(alert.code)
        label = entry.title if entry is not None else alert.source
        detail = [
            *detail_before,
            alert.text.get(lang),
            "",
            texts.get("cds.source_line", lang, source=alert.source),
        ]
        return card(
            texts.get(f"cds.alert.{alert.code}", lang),
            alert.level,  # type: ignore[arg-type]
            source(label, entry, self._topic(alert.code)),
            detail="\n".join(detail),
            links=[self._link(assessed, lang)],
        )

    # --- orders ------------------------------------------------------------------------------
    def _orders(
        self,
        hook: str,
        data: Mapping[str, Any],
        context: Mapping[str, Any],
        lang: str,
        today: dt.date,
    ) -> list[dict[str, Any]]:
        drafts = list(resources_of(context.get("draftOrders")))
        selected: set[str] | None = None
        if hook == "order-select":
            selections = context.get("selections")
            selected = (
                {s for s in selections or () if isinstance(s, str)}
                if isinstance(selections, list)
                else set()
            )
        focus = [r for r in drafts if selected is None or _reference(r) in selected]
        index = self.interpreter.medications
        planned_medicines = {m for r in drafts if r.get("resourceType") == "MedicationRequest"
                             for m in index.resource(r).ids}  # fmt: skip
        planned_tests = {t for r in drafts if r.get("resourceType") == "ServiceRequest"
                         for t in self._tests_of(r)}  # fmt: skip
        assessed = self._assess(data, today, planned_medicines)
        subject = f"Patient/{context['patientId']}"
        cards: list[dict[str, Any]] = []
        for resource in focus:
            if resource.get("resourceType") == "MedicationRequest":
                cards += self._medication_cards(resource, assessed, subject, planned_tests, lang)
            elif resource.get("resourceType") == "ServiceRequest":
                tests = self._tests_of(resource)
                if tests & set(self.terms.b12_lab_tests):
                    found = self._lab_card(assessed, subject, planned_tests, lang)
                    cards += [found] if found is not None else []
        return cards

    def _tests_of(self, resource: Mapping[str, Any]) -> set[str]:
        concept = resource.get("code")
        tests: set[str] = set()
        if isinstance(concept, Mapping):
            for coding in concept.get("coding") or []:
                if isinstance(coding, Mapping) and coding.get("system") == LOINC:
                    item = self.knowledge.analytes.for_loinc(str(coding.get("code", "")))
                    if item is not None:
                        tests.add(item.id)
        return tests

    def _medication_cards(
        self,
        order: Mapping[str, Any],
        assessed: Assessed,
        subject: str,
        planned_tests: set[str],
        lang: str,
    ) -> list[dict[str, Any]]:
        texts = self.knowledge.texts
        recognised = self.interpreter.medications.resource(order)
        result = assessed.assessment
        name = recognised.name or ", ".join(
            self.knowledge.vocabulary.label("medications", m, lang) for m in sorted(recognised.ids)
        )
        status = (
            texts.get("cds.order.b12_never_measured", lang)
            if not ({"b12", "holotc"} & set(assessed.case.results))
            else texts.get(
                "cds.order.b12_status",
                lang,
                pack=self.pack.title,
                verdict=texts.get(f"verdict.{result.deficiency}", lang),
            )
        )
        before = [texts.get("cds.order.ordered", lang, medication=name), "", status, ""]
        cards: list[dict[str, Any]] = []
        for medicine in sorted(recognised.ids):
            check = self.terms.orders.get(medicine)
            if check is None:
                continue
            for alert in result.alerts:
                if alert.code not in check.alerts:
                    continue
                found = self._alert_card(alert, assessed, lang, detail_before=before)
                wanted = self._missing_tests(assessed.evaluation, planned_tests, {alert.code})
                found["suggestions"] = [
                    *self._remove_suggestion(order, name, lang),
                    *(self._order_suggestion(t, subject, lang, recommended=True) for t in wanted),
                ]
                if found["suggestions"]:
                    found["selectionBehavior"] = "any"
                else:
                    del found["suggestions"]
                found["overrideReasons"] = self._override_reasons(lang)
                cards.append(found)
            unresolved = check.unresolved_deficiency
            if (
                unresolved is not None
                and assessed.evaluation.facts.get("anaemia") == "yes"
                and result.deficiency in unresolved.verdicts
            ):
                cards.append(self._unresolved_card(unresolved, order, name, assessed, before, lang))
        return cards

    def _unresolved_card(
        self,
        check: UnresolvedDeficiency,
        order: Mapping[str, Any],
        name: str,
        assessed: Assessed,
        before: Sequence[str],
        lang: str,
    ) -> dict[str, Any]:
        """A medicine for anaemia while the B12 verdict is open (data/ehr.yaml, ``orders``)."""
        texts = self.knowledge.texts
        verdict = texts.get(f"verdict.{assessed.assessment.deficiency}", lang)
        entry = self.terms.bibliography[check.source]
        detail = [
            *before,
            texts.get("cds.order.unresolved_iron.detail", lang),
            "",
            *(f"- {f.text.get(lang)}" for f in assessed.assessment.findings),
        ]
        return card(
            texts.get("cds.order.unresolved_iron.summary", lang, verdict=verdict),
            check.indicator,
            source(entry.title, entry, self._topic("iron_unresolved_deficiency")),
            detail="\n".join(detail),
            suggestions=self._remove_suggestion(order, name, lang),
            links=[self._link(assessed, lang)],
            override_reasons=self._override_reasons(lang),
        )

    def _lab_card(
        self, assessed: Assessed, subject: str, planned_tests: set[str], lang: str
    ) -> dict[str, Any] | None:
        texts = self.knowledge.texts
        present = set(assessed.case.results)
        reasons: dict[str, str] = {}
        first_source: BibliographyEntry | None = None
        label = self.pack.title
        for test, codes in self._missing_tests_with_alerts(assessed.evaluation, planned_tests):
            if test in reasons or test in present:
                continue
            alert = next((a for a in assessed.assessment.alerts if a.code in codes), None)
            reasons[test] = alert.text.get(lang) if alert is not None else ""
            if alert is not None and first_source is None:
                first_source = self.terms.alert_source(alert.code)
                label = first_source.title if first_source is not None else alert.source
        for advice in assessed.assessment.next_tests:
            if advice.test not in reasons and advice.test not in present | planned_tests:
                reasons[advice.test] = advice.reason.get(lang)
        if not reasons:
            return None
        names = [texts.get(f"cds.test.{t}", lang) for t in reasons]
        joined = names[0] if len(names) == 1 else (
            ", ".join(names[:-1]) + f" {texts.get('cds.and', lang)} {names[-1]}"
        )  # fmt: skip
        detail = [f"**{texts.get('cds.order.lab.detail_heading', lang)}**", ""]
        detail += [f"- {texts.get(f'cds.test.{t}', lang)}: {why}" for t, why in reasons.items()]
        return card(
            texts.get("cds.order.lab.summary", lang, tests=joined),
            "info",
            source(
                label,
                first_source or self.terms.pack_source(self.pack.id),
                self._topic("b12-lab-order"),
            ),
            detail="\n".join(detail),
            suggestions=[self._order_suggestion(t, subject, lang) for t in reasons],
            links=[self._link(assessed, lang)],
        )

    # --- pieces ------------------------------------------------------------------------------
    def _missing_tests_with_alerts(
        self, evaluation: Evaluation, planned: set[str]
    ) -> list[tuple[str, tuple[str, ...]]]:
        """Tests whose absence made an alert rule fire: (first such test, the rule's alerts).
        A rule is passed over when one of its missing tests is already ordered."""
        found: list[tuple[str, tuple[str, ...]]] = []
        for _, rule in evaluation.fired:
            if not rule.alerts:
                continue
            missing = [
                c.fact for c in rule.when if c.op == "missing" and c.fact in self.knowledge.analytes
            ]
            if missing and not set(missing) & planned:
                found.append((missing[0], rule.alerts))
        return found

    def _missing_tests(
        self, evaluation: Evaluation, planned: set[str], codes: set[str]
    ) -> list[str]:
        tests = [
            t
            for t, alerts in self._missing_tests_with_alerts(evaluation, planned)
            if set(alerts) & codes
        ]
        return list(dict.fromkeys(tests))

    def _order_suggestion(
        self, test: str, subject: str, lang: str, *, reflex: bool = False, recommended: bool = False
    ) -> dict[str, Any]:
        texts = self.knowledge.texts
        name = texts.get(f"cds.test.{test}", lang)
        resource = service_request(self.knowledge, test, subject=subject, lang=lang, reflex=reflex)
        return suggestion(
            texts.get("cds.suggestion.order_test", lang, test=name),
            [
                create_action(
                    texts.get("cds.suggestion.order_test_action", lang, test=name), resource
                )
            ],
            recommended=recommended,
        )

    def _remove_suggestion(
        self, order: Mapping[str, Any], name: str, lang: str
    ) -> list[dict[str, Any]]:
        reference = _reference(order)
        if reference is None:
            return []
        label = self.knowledge.texts.get("cds.order.remove", lang, medication=name)
        return [suggestion(label, [delete_action(label, reference)])]

    def _override_reasons(self, lang: str) -> list[dict[str, str]]:
        system = self.terms.code_system("override-reason")
        return [
            {
                "system": system,
                "code": code,
                "display": self.knowledge.texts.get(f"cds.override.{code}", lang),
            }
            for code in ("excluded_elsewhere", "treatment_started", "not_relevant")
        ]

    def _topic(self, code: str) -> dict[str, str]:
        return {"system": self.terms.code_system("card-topic"), "code": code}

    def _pack_source(self) -> dict[str, Any]:
        entry = self.terms.pack_source(self.pack.id)
        if entry is None:  # a site pack: the first source it gives a URL for
            url = next((s.url for s in self.pack.sources.values() if s.url), None)
            entry = BibliographyEntry(title=self.pack.title, url=url)
        return source(self.pack.title, entry, self._topic("b12-status"))

    def _provenance_line(self, lang: str) -> str:
        line = provenance(self.pack.id, self.pack.sha256)
        return self.knowledge.texts.get("cds.provenance", lang, provenance=line)

    def _link(self, assessed: Assessed, lang: str) -> dict[str, Any]:
        url = assess_link(self.public_url, self.pack.id, assessed.read.case, lang)
        return link(self.knowledge.texts.get("cds.link.assess", lang), url)


def _reference(resource: Mapping[str, Any]) -> str | None:
    kind, ident = resource.get("resourceType"), resource.get("id")
    return f"{kind}/{ident}" if isinstance(kind, str) and isinstance(ident, str) and ident else None


def _origin(field: str, origins: Sequence[str]) -> str:
    """``Bundle.entry[3].resource.x`` of the assembled Bundle as ``prefetch.<key>.x``."""
    prefix = "Bundle.entry["
    if field.startswith(prefix):
        number, _, rest = field[len(prefix) :].partition("]")
        if number.isdigit() and int(number) < len(origins):
            rest = rest.removeprefix(".resource")
            return origins[int(number)] + rest
    return field
