"""Patients and everything recorded about them: samples with results (assessed under the
patient's pack when stored), treatment plans, doses given; erasure and the full export.

Every function that reads or changes a patient's data adds its audit entry to the same
transaction, so no caller (API, page, command line) can forget it.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cobalamin.care.followup import follow_up
from cobalamin.care.treatment import parse_date, plan
from cobalamin.case import Case, parse_case
from cobalamin.errors import CobalaminError, InputError
from cobalamin.knowledge.registry import Knowledge
from cobalamin.person import parse_person
from cobalamin.pipeline import assess
from cobalamin.storage.audit import Actor, record
from cobalamin.storage.models import (
    Dose,
    Patient,
    Plan,
    ResultRow,
    Sample,
    StoredAssessment,
    utcnow,
)
from cobalamin.version import ENGINE_VERSION

__all__ = [
    "LANGS",
    "ConflictError",
    "NotFoundError",
    "add_dose",
    "add_plan",
    "add_results",
    "age_on",
    "create_patient",
    "erase_patient",
    "find_patients",
    "load_patient",
    "patient_record",
    "patient_summary",
    "read_patient",
    "update_patient",
]

LANGS = ("en", "nl")
_PATIENT_FIELDS = ("identifier", "name", "birth_date", "sex", "pack", "person")
_SEXES = ("female", "male")
_MAX_AGE = 125  # the Person model's own upper bound for age


class NotFoundError(CobalaminError):
    """No such record (HTTP 404)."""

    def __init__(self, what: str, record_id: str) -> None:
        self.what = what
        self.record_id = record_id
        super().__init__(f"no {what} {record_id!r}")


class ConflictError(CobalaminError):
    """The record would clash with one that exists (HTTP 409)."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


def _new_id() -> str:
    return uuid.uuid4().hex


def age_on(birth_date: dt.date, day: dt.date) -> int:
    """Completed years on ``day``."""
    before_birthday = (day.month, day.day) < (birth_date.month, birth_date.day)
    return day.year - birth_date.year - int(before_birthday)


def _object(data: Any, field: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise InputError(field, "must be a JSON object")
    return data


def _text(value: Any, field: str, limit: int) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InputError(field, "must be a non-empty text")
    if len(value.strip()) > limit:
        raise InputError(field, f"is longer than {limit} characters")
    return value.strip()


def _birth_date(value: Any) -> dt.date:
    born = parse_date(value if isinstance(value, str | dt.date) else str(value), "birth_date")
    today = dt.date.today()
    if born > today:
        raise InputError("birth_date", "is in the future")
    if age_on(born, today) > _MAX_AGE:
        raise InputError("birth_date", f"gives an age over {_MAX_AGE} years")
    return born


def _context(value: Any, knowledge: Knowledge) -> dict[str, Any]:
    """The person's context (pregnancy, diet, conditions, ...); age and sex come from the
    patient's birth date and sex."""
    data = _object(value, "person")
    for derived in ("age", "sex"):
        if derived in data:
            raise InputError(f"person.{derived}", "is taken from the patient's birth_date and sex")
    person = parse_person(data, knowledge.vocabulary)
    return person.model_dump(mode="json", exclude_defaults=True)


def _parse_patient(data: Any, knowledge: Knowledge, *, partial: bool) -> dict[str, Any]:
    data = _object(data, "patient")
    unknown = sorted(set(data) - set(_PATIENT_FIELDS))
    if unknown:
        raise InputError(unknown[0], "unknown field", ", ".join(_PATIENT_FIELDS))
    if not partial:
        for required in ("identifier", "birth_date"):
            if data.get(required) in (None, ""):
                raise InputError(required, "is required")
    parsed: dict[str, Any] = {}
    if "identifier" in data:
        parsed["identifier"] = _text(data["identifier"], "identifier", 100)
    if "name" in data:
        parsed["name"] = None if data["name"] in (None, "") else _text(data["name"], "name", 200)
    if "birth_date" in data:
        parsed["birth_date"] = _birth_date(data["birth_date"])
    if "sex" in data:
        if data["sex"] not in (*_SEXES, None):
            raise InputError("sex", f"unknown sex {data['sex']!r}", ", ".join(_SEXES))
        parsed["sex"] = data["sex"]
    if "pack" in data:
        ids = knowledge.packs.ids()
        if data["pack"] not in ids:
            raise InputError("pack", f"unknown pack {data['pack']!r}", ", ".join(ids))
        parsed["pack"] = data["pack"]
    if "person" in data:
        parsed["person"] = {} if data["person"] is None else _context(data["person"], knowledge)
    if parsed.get("sex") == "male" and parsed.get("person", {}).get("pregnant"):
        raise InputError("person.pregnant", "is true but sex is male")
    return parsed


def patient_summary(patient: Patient) -> dict[str, Any]:
    return {
        "id": patient.id,
        "identifier": patient.identifier,
        "name": patient.name,
        "birth_date": patient.birth_date.isoformat(),
        "sex": patient.sex,
        "pack": patient.pack,
        "person": patient.person,
        "created_at": patient.created_at.isoformat(),
        "updated_at": patient.updated_at.isoformat(),
    }


def _identifier_taken(session: Session, identifier: str, other_than: str | None) -> bool:
    query = select(Patient.id).where(Patient.identifier == identifier)
    if other_than is not None:
        query = query.where(Patient.id != other_than)
    return session.scalars(query).first() is not None


def create_patient(
    session: Session, actor: Actor, data: Any, knowledge: Knowledge, default_pack: str
) -> Patient:
    parsed = _parse_patient(data, knowledge, partial=False)
    if _identifier_taken(session, parsed["identifier"], None):
        raise ConflictError("identifier", "a patient with this identifier exists already")
    patient = Patient(
        id=_new_id(),
        identifier=parsed["identifier"],
        name=parsed.get("name"),
        birth_date=parsed["birth_date"],
        sex=parsed.get("sex"),
        pack=parsed.get("pack", default_pack),
        person=parsed.get("person", {}),
    )
    if patient.sex == "male" and patient.person.get("pregnant"):
        raise InputError("person.pregnant", "is true but sex is male")
    session.add(patient)
    session.flush()
    record(session, actor, "patient.create", patient.id)
    return patient


def load_patient(session: Session, patient_id: str) -> Patient:
    """The patient, without an audit entry (for callers that audit what they do with it)."""
    patient = session.get(Patient, patient_id)
    if patient is None:
        raise NotFoundError("patient", patient_id)
    return patient


def read_patient(session: Session, actor: Actor, patient_id: str) -> Patient:
    patient = load_patient(session, patient_id)
    record(session, actor, "patient.read", patient.id)
    return patient


def find_patients(
    session: Session,
    actor: Actor,
    *,
    identifier: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[Patient]:
    """Patients by exact identifier, or all of them a page at a time; each one returned is a
    read of that patient and is audited as such (the identifier searched for is not)."""
    query = select(Patient).order_by(Patient.created_at, Patient.id)
    if identifier is not None:
        query = query.where(Patient.identifier == identifier.strip())
    found = list(session.scalars(query.limit(limit).offset(offset)))
    record(
        session,
        actor,
        "patient.search",
        None,
        by_identifier=identifier is not None,
        count=len(found),
    )
    for patient in found:
        record(session, actor, "patient.list", patient.id)
    return found


def update_patient(
    session: Session, actor: Actor, patient_id: str, data: Any, knowledge: Knowledge
) -> Patient:
    patient = load_patient(session, patient_id)
    parsed = _parse_patient(data, knowledge, partial=True)
    if "identifier" in parsed and _identifier_taken(session, parsed["identifier"], patient.id):
        raise ConflictError("identifier", "another patient has this identifier")
    for name, value in parsed.items():
        setattr(patient, name, value)
    if patient.sex == "male" and patient.person.get("pregnant"):
        raise InputError("person.pregnant", "is true but sex is male")
    patient.updated_at = utcnow()
    record(session, actor, "patient.update", patient.id, fields=sorted(parsed))
    return patient


def erase_patient(session: Session, actor: Actor, patient_id: str) -> None:
    """Remove the patient and everything recorded about them (the database cascades). The
    audit keeps its entries, which hold only the internal id, plus the fact of erasure."""
    patient = load_patient(session, patient_id)
    counts = {
        name: session.scalar(
            select(func.count()).select_from(model).where(model.patient_id == patient.id)
        )
        for name, model in (
            ("samples", Sample),
            ("assessments", StoredAssessment),
            ("plans", Plan),
            ("doses", Dose),
        )
    }
    session.delete(patient)
    session.flush()
    record(session, actor, "patient.erase", patient_id, removed=counts)


def _doses(session: Session, patient_id: str) -> list[Dose]:
    return list(
        session.scalars(
            select(Dose).where(Dose.patient_id == patient_id).order_by(Dose.given_on, Dose.id)
        )
    )


def _case(
    session: Session, patient: Patient, sample_date: dt.date, results: Any, knowledge: Knowledge
) -> Case:
    if sample_date < patient.birth_date:
        raise InputError("sample_date", "is before the patient's birth date")
    person: dict[str, Any] = dict(patient.person)
    person["age"] = age_on(patient.birth_date, sample_date)
    if patient.sex is not None:
        person["sex"] = patient.sex
    if "last_b12_injection" not in person:
        injections = [
            d.given_on
            for d in _doses(session, patient.id)
            if d.route == "im" and d.given_on <= sample_date
        ]
        if injections:
            person["last_b12_injection"] = max(injections).isoformat()
    return parse_case(
        {"person": person, "results": results, "date": sample_date.isoformat()},
        knowledge.analytes,
        knowledge.vocabulary,
    )


def add_results(
    session: Session, actor: Actor, patient_id: str, data: Any, knowledge: Knowledge
) -> tuple[Sample, StoredAssessment]:
    """Store one sample's results and their assessment under the patient's pack."""
    data = _object(data, "body")
    unknown = sorted(set(data) - {"sample_date", "results"})
    if unknown:
        raise InputError(unknown[0], "unknown field", "sample_date, results")
    if data.get("sample_date") is None:
        raise InputError("sample_date", "is required", "YYYY-MM-DD")
    sample_date = parse_date(str(data["sample_date"]), "sample_date")
    if sample_date > dt.date.today():
        raise InputError("sample_date", "is in the future")
    if not data.get("results"):
        raise InputError("results", "at least one result is required", "[{test, value, unit}]")
    patient = load_patient(session, patient_id)
    case = _case(session, patient, sample_date, data["results"], knowledge)
    pack = knowledge.pack(patient.pack)
    assessment = assess(case, pack, knowledge)
    sample = Sample(
        id=_new_id(), patient_id=patient.id, sample_date=sample_date, created_by=actor.user_id
    )
    sample.results = [
        ResultRow(
            test=r.test,
            value=r.value if isinstance(r.value, float) else None,
            value_text=r.value if isinstance(r.value, str) else None,
            unit=r.unit,
            original_value=str(r.original_value),
            original_unit=r.original_unit,
        )
        for r in case.results.values()
    ]
    stored = StoredAssessment(
        id=_new_id(),
        patient_id=patient.id,
        sample_id=sample.id,
        pack=pack.id,
        pack_sha256=pack.sha256,
        engine_version=ENGINE_VERSION,
        deficiency=assessment.deficiency,
        severe=assessment.severe,
        output={lang: assessment.to_dict(lang) for lang in LANGS},
    )
    session.add_all([sample, stored])
    session.flush()
    record(
        session,
        actor,
        "results.add",
        patient.id,
        sample=sample.id,
        assessment=stored.id,
        tests=sorted(case.results),
    )
    return sample, stored


_PLAN_FIELDS = (
    "regimen",
    "start",
    "skip_weekends",
    "months",
    "until",
    "maintenance_form",
    "loading_doses",
)


def add_plan(
    session: Session, actor: Actor, patient_id: str, data: Any, knowledge: Knowledge
) -> Plan:
    """A treatment plan from a regimen (``care.treatment.plan``) with the guideline's
    follow-up (``care.followup.follow_up``), both kept as they were when planned."""
    data = _object(data, "body")
    unknown = sorted(set(data) - set(_PLAN_FIELDS))
    if unknown:
        raise InputError(unknown[0], "unknown field", ", ".join(_PLAN_FIELDS))
    for required in ("regimen", "start"):
        if data.get(required) in (None, ""):
            raise InputError(required, "is required")
    patient = load_patient(session, patient_id)
    options = {k: v for k, v in data.items() if v is not None}
    for flag in ("skip_weekends",):
        if flag in options and not isinstance(options[flag], bool):
            raise InputError(flag, "must be true or false")
    for number in ("months", "loading_doses"):
        if number in options and (
            isinstance(options[number], bool) or not isinstance(options[number], int)
        ):
            raise InputError(number, "must be a whole number")
    context = patient.person
    pregnant = bool(context.get("pregnant"))
    lactating = bool(context.get("lactating"))
    wish = bool(context.get("wish_to_conceive"))
    made = plan(
        str(options["regimen"]),
        str(options["start"]),
        knowledge,
        skip_weekends=bool(options.get("skip_weekends", False)),
        pregnant=pregnant,
        lactating=lactating,
        wish_to_conceive=wish,
        until=options.get("until"),
        months=int(options.get("months", 12)),
        maintenance_form=options.get("maintenance_form"),
        loading_doses=options.get("loading_doses"),
    )
    regimen = knowledge.regimens.regimens[made.regimen]
    followup_pack = regimen.followup or (
        patient.pack if patient.pack in knowledge.followup.packs else None
    )
    followup = None
    if followup_pack is not None:
        route: Literal["im", "oral"] = "im" if regimen.route == "im" else "oral"
        found = follow_up(
            followup_pack,
            made.start,
            knowledge,
            route=route,
            pregnant_or_lactating=pregnant or lactating,
            wish_to_conceive=wish,
        )
        followup = {lang: found.to_dict(lang) for lang in LANGS}
    stored = Plan(
        id=_new_id(),
        patient_id=patient.id,
        regimen=made.regimen,
        route=regimen.route,
        start_date=made.start,
        options=options,
        schedule={lang: made.to_dict(lang) for lang in LANGS},
        followup=followup,
        created_by=actor.user_id,
    )
    session.add(stored)
    session.flush()
    record(session, actor, "plan.add", patient.id, plan=stored.id, regimen=made.regimen)
    return stored


_DOSE_FIELDS = ("date", "dose_ug", "route", "form", "plan_id")
_ROUTES = ("im", "oral")


def _forms(knowledge: Knowledge) -> list[str]:
    forms: set[str] = set()
    for regimen in knowledge.regimens.regimens.values():
        if regimen.loading is not None:
            forms.add(regimen.loading.form)
        forms.update(o.form for o in regimen.maintenance.options)
    return sorted(forms)


def add_dose(
    session: Session, actor: Actor, patient_id: str, data: Any, knowledge: Knowledge
) -> Dose:
    """A dose that was given (not one planned)."""
    data = _object(data, "body")
    unknown = sorted(set(data) - set(_DOSE_FIELDS))
    if unknown:
        raise InputError(unknown[0], "unknown field", ", ".join(_DOSE_FIELDS))
    patient = load_patient(session, patient_id)
    if data.get("date") is None:
        raise InputError("date", "is required", "YYYY-MM-DD")
    given_on = parse_date(str(data["date"]), "date")
    if given_on > dt.date.today():
        raise InputError("date", "a dose given cannot be in the future")
    if given_on < patient.birth_date:
        raise InputError("date", "is before the patient's birth date")
    dose_ug = data.get("dose_ug")
    if isinstance(dose_ug, bool) or not isinstance(dose_ug, int | float) or not dose_ug > 0:
        raise InputError("dose_ug", "must be a number above 0", "micrograms, e.g. 1000")
    if data.get("route") not in _ROUTES:
        raise InputError("route", f"unknown route {data.get('route')!r}", ", ".join(_ROUTES))
    forms = _forms(knowledge)
    if data.get("form") not in forms:
        raise InputError("form", f"unknown form {data.get('form')!r}", ", ".join(forms))
    plan_id = data.get("plan_id")
    if plan_id is not None:
        owned = session.get(Plan, plan_id)
        if owned is None or owned.patient_id != patient.id:
            raise InputError("plan_id", "is not a plan of this patient")
    dose = Dose(
        id=_new_id(),
        patient_id=patient.id,
        plan_id=plan_id,
        given_on=given_on,
        dose_ug=float(dose_ug),
        route=str(data["route"]),
        form=str(data["form"]),
        created_by=actor.user_id,
    )
    session.add(dose)
    session.flush()
    record(session, actor, "dose.add", patient.id, dose=dose.id)
    return dose


def patient_record(
    session: Session, actor: Actor, patient_id: str, *, action: str = "patient.export"
) -> dict[str, Any]:
    """Everything stored about one patient, as JSON-ready data (the export)."""
    patient = load_patient(session, patient_id)
    samples = session.scalars(
        select(Sample).where(Sample.patient_id == patient.id).order_by(Sample.sample_date)
    ).all()
    assessments = session.scalars(
        select(StoredAssessment)
        .where(StoredAssessment.patient_id == patient.id)
        .order_by(StoredAssessment.created_at)
    ).all()
    plans = session.scalars(
        select(Plan).where(Plan.patient_id == patient.id).order_by(Plan.start_date)
    ).all()
    record(session, actor, action, patient.id)
    return {
        "patient": patient_summary(patient),
        "samples": [
            {
                "id": s.id,
                "sample_date": s.sample_date.isoformat(),
                "results": [
                    {
                        "test": r.test,
                        "value": r.value if r.value is not None else r.value_text,
                        "unit": r.unit,
                        "original_value": r.original_value,
                        "original_unit": r.original_unit,
                    }
                    for r in s.results
                ],
            }
            for s in samples
        ],
        "assessments": [
            {
                "id": a.id,
                "sample_id": a.sample_id,
                "pack": a.pack,
                "pack_sha256": a.pack_sha256,
                "engine_version": a.engine_version,
                "created_at": a.created_at.isoformat(),
                "output": a.output,
            }
            for a in assessments
        ],
        "plans": [
            {
                "id": p.id,
                "regimen": p.regimen,
                "route": p.route,
                "start": p.start_date.isoformat(),
                "options": p.options,
                "schedule": p.schedule,
                "followup": p.followup,
            }
            for p in plans
        ],
        "doses": [
            {
                "id": d.id,
                "plan_id": d.plan_id,
                "date": d.given_on.isoformat(),
                "dose_ug": d.dose_ug,
                "route": d.route,
                "form": d.form,
            }
            for d in _doses(session, patient.id)
        ],
        "engine_version": ENGINE_VERSION,
    }
