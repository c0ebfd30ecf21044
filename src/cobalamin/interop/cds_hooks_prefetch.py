"""CDS Hooks prefetch: the templates a service asks for, and getting the data when the client
did not send it.

Templates come from what the pack and the safety rules read (``Pack.reads``): the Patient
(age, sex), one Observation search per test (all its LOINC codes, latest first), and active
MedicationRequests and Conditions when a rule reads medications or conditions.

CDS Hooks 2.0, "Prefetch": a key the client could not satisfy is left out; a key with value
null means "no data"; errors come as OperationOutcome. A key that is missing, or holds an
OperationOutcome, is fetched from ``fhirServer`` (with ``fhirAuthorization.access_token``
when given, never stored or logged); "If the CDS Service is unable to obtain required data
because it cannot access the FHIR server and the request did not contain the necessary
prefetch keys, the service SHALL respond with an HTTP 412 Precondition Failed status code."
Search results are followed through ``Bundle.link`` next pages (at most ``MAX_PAGES``).

The fetching itself is a function the web layer passes in (``Fetch``); this module does no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

from cobalamin.interop.fhir_terms import LOINC
from cobalamin.knowledge.model import Pack
from cobalamin.knowledge.registry import Knowledge

__all__ = [
    "MAX_PAGES",
    "Fetch",
    "FetchError",
    "PrefetchTemplate",
    "PrefetchUnavailable",
    "fill_template",
    "prefetch_templates",
    "resolve_prefetch",
    "resources_of",
]

MAX_PAGES = 5
PATIENT = "patient"
_TOKEN = re.compile(r"\{\{\s*([A-Za-z.]+)\s*\}\}")
_USER_TOKENS = {
    "userPractitionerId": "Practitioner",
    "userPractitionerRoleId": "PractitionerRole",
    "userPatientId": "Patient",
    "userRelatedPersonId": "RelatedPerson",
}


class FetchError(Exception):
    """The FHIR server could not give the data (network, status, not JSON)."""


class PrefetchUnavailable(Exception):
    """Required data is neither in the prefetch nor obtainable: answer 412."""

    def __init__(self, key: str) -> None:
        self.key = key
        super().__init__(f"prefetch {key!r} is missing and the FHIR server cannot be reached")


# (absolute URL, bearer token or None) -> parsed JSON
Fetch = Callable[[str, str | None], Any]


@dataclass(frozen=True)
class PrefetchTemplate:
    key: str
    query: str
    required: bool  # without it the service cannot answer (412)


def prefetch_templates(pack: Pack, knowledge: Knowledge) -> tuple[PrefetchTemplate, ...]:
    """What a service asks the client for, derived from what the pack and safety rules read."""
    reads = set(pack.reads) | set(knowledge.safety.pack.reads)
    patient = "{{context.patientId}}"
    templates = [PrefetchTemplate(PATIENT, f"Patient/{patient}", True)]
    for test, item in knowledge.analytes.items():
        if test in reads and item.loinc:
            codes = ",".join(f"{LOINC}|{code.code}" for code in item.loinc)
            query = f"Observation?patient={patient}&code={codes}&_sort=-date&_count=1"
            templates.append(PrefetchTemplate(test, query, True))
    if "medications" in reads:
        query = f"MedicationRequest?patient={patient}&status=active"
        templates.append(PrefetchTemplate("medications", query, False))
    if "conditions" in reads:
        query = f"Condition?patient={patient}&clinical-status=active"
        templates.append(PrefetchTemplate("conditions", query, False))
    return tuple(templates)


def fill_template(query: str, context: Mapping[str, Any]) -> str | None:
    """The query with its tokens filled from the hook context; None if a token has no value.

    Tokens are ``{{context.<field>}}`` (root-level primitive fields only) and the user
    identifiers ``{{userPractitionerId}}`` and the like, taken from ``context.userId``."""
    missing = False

    def value(match: re.Match[str]) -> str:
        nonlocal missing
        name = match.group(1)
        found: Any = None
        if name.startswith("context."):
            found = context.get(name.removeprefix("context."))
        elif name in _USER_TOKENS:
            kind, _, ident = str(context.get("userId", "")).partition("/")
            found = ident if kind == _USER_TOKENS[name] else None
        if not isinstance(found, str | int) or isinstance(found, bool) or str(found) == "":
            missing = True
            return ""
        return quote(str(found), safe="")

    filled = _TOKEN.sub(value, query)
    return None if missing else filled


def _has_outcome(value: Any) -> bool:
    if not isinstance(value, Mapping):
        return False
    if value.get("resourceType") == "OperationOutcome":
        return True
    return any(
        isinstance(e, Mapping)
        and (e.get("resource") or {}).get("resourceType") == "OperationOutcome"
        for e in value.get("entry") or []
    )


def _next_page(bundle: Any) -> str | None:
    if not isinstance(bundle, Mapping):
        return None
    for link in bundle.get("link") or []:
        if isinstance(link, Mapping) and link.get("relation") == "next" and link.get("url"):
            return str(link["url"])
    return None


def resources_of(value: Any) -> Iterator[dict[str, Any]]:
    """The resources in a prefetch value: a Bundle's entries (not OperationOutcomes), or the
    resource itself."""
    if not isinstance(value, Mapping):
        return
    if value.get("resourceType") == "Bundle":
        for entry in value.get("entry") or []:
            resource = entry.get("resource") if isinstance(entry, Mapping) else None
            if isinstance(resource, dict) and resource.get("resourceType") != "OperationOutcome":
                yield resource
    elif value.get("resourceType") not in (None, "OperationOutcome"):
        yield dict(value)


def _server(request: Mapping[str, Any]) -> tuple[str | None, str | None]:
    server = request.get("fhirServer")
    auth = request.get("fhirAuthorization")
    token = auth.get("access_token") if isinstance(auth, Mapping) else None
    if not isinstance(server, str) or not server.strip():
        return None, None
    return server.rstrip("/"), token if isinstance(token, str) and token else None


def resolve_prefetch(
    templates: tuple[PrefetchTemplate, ...], request: Mapping[str, Any], fetch: Fetch | None
) -> dict[str, Any]:
    """Every template's data by key (None = no data). Raises ``PrefetchUnavailable`` when a
    required key is neither sent nor fetchable."""
    sent = request.get("prefetch")
    sent = sent if isinstance(sent, Mapping) else {}
    context = request.get("context")
    context = context if isinstance(context, Mapping) else {}
    server, token = _server(request)
    can_fetch = server is not None and fetch is not None
    data: dict[str, Any] = {}
    for template in templates:
        if template.key in sent and not _has_outcome(sent[template.key]):
            value = sent[template.key]
        else:
            query = fill_template(template.query, context)
            if not can_fetch or query is None:
                if template.required:
                    raise PrefetchUnavailable(template.key)
                data[template.key] = None
                continue
            assert fetch is not None and server is not None
            try:
                value = fetch(f"{server}/{query}", token)
            except FetchError:
                if template.required:
                    raise PrefetchUnavailable(template.key) from None
                value = None
        data[template.key] = _all_pages(value, fetch if can_fetch else None, token, server)
    return data


def _all_pages(value: Any, fetch: Fetch | None, token: str | None, server: str | None) -> Any:
    """A search Bundle with the entries of its next pages added (same server only)."""
    next_url = _next_page(value)
    if next_url is None or fetch is None or server is None:
        return value
    entries = list(value.get("entry") or [])
    for _ in range(MAX_PAGES - 1):
        if next_url is None or urlsplit(next_url).netloc != urlsplit(server).netloc:
            break
        try:
            page = fetch(next_url, token)
        except FetchError:
            break
        entries += list(page.get("entry") or []) if isinstance(page, Mapping) else []
        next_url = _next_page(page)
    merged = {k: v for k, v in value.items() if k != "link"}
    merged["entry"] = entries
    return merged
