"""The HTML pages: server-rendered with Jinja2, every word through the babel catalogue (or,
for clinical texts, from the data in the chosen language). Forms post without JavaScript;
``static/app.js`` only adds conveniences (live food search, rows, print button)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.concurrency import run_in_threadpool

from cobalamin.assessment import Assessment
from cobalamin.care.screening import Screening, screen_all
from cobalamin.errors import InputError, KnowledgeError
from cobalamin.facade import intake, simulate
from cobalamin.knowledge.model import Pack
from cobalamin.knowledge.registry import Knowledge
from cobalamin.nutrition.foods import food_table, midpoint
from cobalamin.person import parse_person
from cobalamin.render.ics import plan_ics
from cobalamin.render.packs import pack_summary
from cobalamin.version import ENGINE_VERSION
from cobalamin.web import charts
from cobalamin.web.access import csrf_token_of, require_calculators
from cobalamin.web.calculators import (
    DEFAULT_PACK,
    assess_all,
    assess_one,
    follow_up_dict,
    food_rows,
    make_plan,
)
from cobalamin.web.forms import FormState, case_from_form, form_field, person_from_form
from cobalamin.web.i18n import LANGUAGES, N_, choose_language, format_number, translator
from cobalamin.web.settings import Settings

__all__ = ["NavItem", "default_nav", "error_page", "language", "render", "router"]

TEMPLATES = Path(__file__).parent / "templates"
_env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(("html", "xml")),
    extensions=["jinja2.ext.i18n"],
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)

DIARY_ROWS = 6
WHAT_IF_YEARS = 5
DAYS_PER_YEAR = 365


@dataclass(frozen=True)
class NavItem:
    """A link in the header: ``label`` is an English message id (translated on render)."""

    path: str
    label: str


def default_nav(settings: Settings) -> list[NavItem]:
    items = [
        NavItem("/self-check", N_("Self-check")),
        NavItem("/assess", N_("Assess")),
        NavItem("/compare", N_("Compare")),
        NavItem("/plan", N_("Plan")),
        NavItem("/packs", N_("Packs")),
        NavItem("/model", N_("Model")),
    ]
    if settings.lab_enabled:
        items.append(NavItem("/lab", N_("Laboratory")))
    return items


# Plain words for a patient, per alert code (the clinical text stays for the GP).
PATIENT_ALERTS = {
    "folic_acid_before_b12": N_(
        "You take folic acid or plan to. Folic acid can hide a B12 shortage and make its nerve "
        "problems worse. Ask your GP to check your B12 first. Do not stop folic acid you were "
        "told to take in pregnancy: talk to your GP or midwife about it."
    ),
    "nitrous_oxide": N_(
        "Laughing gas (nitrous oxide) stops B12 from working, even when a blood test looks "
        "normal. If you have tingling, numbness or trouble walking after using it, see a "
        "doctor soon."
    ),
    "vegan_mother_infant": N_(
        "A baby who is breastfed by a vegan mother, or a mother who lacks B12, can run short of "
        "B12 from 2 to 6 months after birth. Make sure you get enough B12 and see your GP or "
        "child health clinic if you worry about feeding, growth or development."
    ),
    "neurological_urgent": N_(
        "Nerve problems can be a sign of a serious B12 shortage. Contact your GP this week, or "
        "sooner if it gets worse."
    ),
    "biotin_interference": N_(
        "Biotin, in some supplements, can upset some blood tests. Tell the doctor or "
        "laboratory that you take it before your blood is taken."
    ),
}


def language(request: Request) -> str:
    """``?lang=``, then the cookie, then Accept-Language."""
    return choose_language(
        request.query_params.get("lang"),
        request.cookies.get("lang"),
        request.headers.get("accept-language"),
    )


def _knowledge(request: Request) -> Knowledge:
    knowledge: Knowledge = request.app.state.knowledge
    return knowledge


def render(
    request: Request, template: str, context: dict[str, Any] | None = None, status: int = 200
) -> HTMLResponse:
    """A page in the request's language."""
    lang = language(request)
    words = translator(lang)
    knowledge = _knowledge(request)
    values = {
        "request": request,
        "lang": lang,
        "languages": LANGUAGES,
        "_": words.gettext,
        "gettext": words.gettext,
        "ngettext": words.ngettext,
        "nav": request.app.state.nav,
        "path": request.url.path,
        "texts": knowledge.texts,
        "num": lambda value, digits=1: format_number(float(value), lang, digits),
        "engine_version": ENGINE_VERSION,
        "csrf_token": csrf_token_of(request),
        "state": FormState(),
        "error_summary": [],
    }
    values.update(context or {})
    html = _env.get_template(template).render(values)
    return HTMLResponse(html, status_code=status)


def error_page(request: Request, status: int, message: str) -> HTMLResponse:
    return render(request, "error.html", {"status": status, "message": message}, status)


def _fail(state: FormState, error: InputError | KnowledgeError, order: Sequence[str] = ()) -> str:
    """Note an input error at its field; returns the field."""
    if isinstance(error, InputError):
        name = form_field(error, list(order))
        message = error.message + (f" ({error.allowed})" if error.allowed else "")
    else:
        name, message = "pack", str(error)
    state.errors[name] = message
    return name


router = APIRouter(tags=["pages"], include_in_schema=False)
calculators = APIRouter(
    tags=["pages"], include_in_schema=False, dependencies=[Depends(require_calculators)]
)


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> HTMLResponse:
    return render(request, "index.html")


# --- patients ----------------------------------------------------------------------------


def _overall(results: Sequence[Screening]) -> str:
    answers = {r.test_now for r in results}
    return "yes" if "yes" in answers else "consider" if "consider" in answers else "no"


def _told(person: Any, knowledge: Knowledge, lang: str) -> list[str]:
    """What the person told us that the guidelines weigh, in their words."""
    words = translator(lang)
    vocabulary = knowledge.vocabulary
    told = []
    if person.pregnant:
        told.append(words.gettext("you are pregnant"))
    if person.wish_to_conceive:
        told.append(words.gettext("you want to become pregnant"))
    if person.lactating:
        told.append(words.gettext("you breastfeed"))
    if person.diet in ("vegan", "vegetarian"):
        told.append(vocabulary.label("diet", person.diet, lang))
    told += [vocabulary.label("conditions", c, lang) for c in person.conditions]
    told += [vocabulary.label("medications", m, lang) for m in person.medication_ids]
    told += [vocabulary.label("symptoms", s, lang) for s in person.symptoms]
    return told


def _patient_alert(code: str, text: str, lang: str) -> str:
    plain = PATIENT_ALERTS.get(code)
    if plain is not None:
        return translator(lang).gettext(plain)
    marker = "Patiënten:" if lang == "nl" else "Patients:"
    return text.split(marker, 1)[1].strip() if marker in text else text


@calculators.get("/self-check", response_class=HTMLResponse)
def self_check_form(request: Request) -> HTMLResponse:
    return render(request, "self_check.html", _self_check_context(request))


def _self_check_context(request: Request) -> dict[str, Any]:
    return {"vocabulary": _knowledge(request).vocabulary, "result": None}


@calculators.post("/self-check", response_class=HTMLResponse)
async def self_check(request: Request) -> HTMLResponse:
    form = await request.form()
    knowledge = _knowledge(request)
    lang = language(request)
    state = FormState()
    context = _self_check_context(request)
    try:
        person = parse_person(person_from_form(form, state), knowledge.vocabulary)
        results = screen_all(person, knowledge)
    except InputError as exc:
        _fail(state, exc)
        return render(request, "self_check.html", {**context, "state": state}, 422)
    alerts = {a.code: a for r in results for a in r.alerts}
    context.update(
        state=state,
        result={
            "answer": _overall(results),
            "screenings": [r.to_dict(lang) for r in results],
            "alerts": [
                {
                    "code": code,
                    "plain": _patient_alert(code, a.text.get(lang), lang),
                    "level": a.level,
                }
                for code, a in alerts.items()
            ],
            "told": _told(person, knowledge, lang),
        },
    )
    return render(request, "self_check.html", context)


def _diary_from_form(form: Any, state: FormState) -> dict[str, Any]:
    meals: dict[str, list[dict[str, Any]]] = {}
    for row in range(DIARY_ROWS):
        food = str(form.get(f"food_{row}") or "").strip()
        amount = str(form.get(f"amount_{row}") or "").strip()
        time = str(form.get(f"time_{row}") or "").strip() or "12:00"
        state.values.update({f"food_{row}": food, f"amount_{row}": amount, f"time_{row}": time})
        if not food:
            continue
        item: dict[str, Any] = {"food": food}
        if amount:
            try:
                item["amount_g"] = float(amount.replace(",", "."))
            except ValueError:
                raise InputError(f"amount_{row}", f"must be a number, got {amount!r}") from None
        meals.setdefault(time, []).append(item)
    if not meals:
        raise InputError("food_0", "write at least one food", "a food from the list")
    return {"meals": [{"time": t, "items": items} for t, items in sorted(meals.items())]}


def _diary_field(error: InputError, diary: dict[str, Any] | None) -> str:
    """``meals[1].items[0].food`` back to the row's ``food_N`` field."""
    name = error.field
    if diary is None or not name.startswith("meals["):
        return name
    meal = int(name[len("meals[") :].split("]")[0])
    item = int(name.split("items[")[1].split("]")[0]) if "items[" in name else 0
    row = sum(len(m["items"]) for m in diary["meals"][:meal]) + item
    return f"amount_{row}" if name.endswith("amount_g") else f"food_{row}"


def _what_if_chart(
    person: dict[str, Any], daily_ug: float, reference_ug: float, meals: int, lang: str
) -> str:
    """Stores over years: on this day's intake every day, and on the reference intake."""
    words = translator(lang)
    days = WHAT_IF_YEARS * DAYS_PER_YEAR
    lines = []
    for label, food in (
        (words.gettext("if every day is like this one"), daily_ug),
        (words.gettext("with the recommended amount"), reference_ug),
    ):
        scenario = {
            "person": person,
            "intake": {"food_ug_per_day": food, "meals_per_day": max(1, meals)},
            "initial": {"usual_food_ug_per_day": reference_ug},
            "days": days,
        }
        result = simulate(scenario).to_dict()
        lines.append((label, result))
    x = [d / DAYS_PER_YEAR for d in lines[0][1]["day"]]
    series = [
        charts.Series(label, [v / 1000 for v in result["stores_ug"]]) for label, result in lines
    ]
    limit = lines[0][1]["thresholds"]["stores_ug"] / 1000
    return charts.line_chart(
        words.gettext("Your body's B12 store in the coming years"),
        x,
        series,
        x_label=words.gettext("years from now"),
        y_label=words.gettext("B12 store (milligrams)"),
        limits=[charts.Limit(words.gettext("running low"), limit)],
        description=words.gettext(
            "A model estimate of the B12 stored in your body, not a measurement."
        ),
        decimal_comma=lang == "nl",
    )


@calculators.get("/self-check/diary", response_class=HTMLResponse)
def diary_form(request: Request, q: str | None = None) -> HTMLResponse:
    return render(request, "diary.html", _diary_context(request, q))


def _diary_context(request: Request, q: str | None) -> dict[str, Any]:
    return {
        "foods": food_table().foods,
        "rows": DIARY_ROWS,
        "query": q or "",
        "hits": [{**row, "b12_mid": midpoint(row["b12_ug_per_portion"])} for row in food_rows(q)]
        if q
        else None,
        "vocabulary": _knowledge(request).vocabulary,
        "result": None,
    }


@calculators.post("/self-check/diary", response_class=HTMLResponse)
async def diary(request: Request) -> HTMLResponse:
    form = await request.form()
    lang = language(request)
    words = translator(lang)
    knowledge = _knowledge(request)
    state = FormState()
    context = _diary_context(request, None)
    diary_data: dict[str, Any] | None = None
    try:
        person = person_from_form(form, state)
        parse_person(person, knowledge.vocabulary)
        diary_data = _diary_from_form(form, state)
        result = (await run_in_threadpool(intake, {**diary_data, "person": person})).to_dict(lang)
        reference = result["reference"]["value_ug"]
        bars = [
            charts.Bar(words.gettext("Taken in"), result["ingested_ug"], f"{format_number(result['ingested_ug'], lang, 2)} µg"),
            charts.Bar(words.gettext("Absorbed by your body"), result["absorbed_ug"], f"{format_number(result['absorbed_ug'], lang, 2)} µg"),
        ]  # fmt: skip
        if reference is not None:
            bars.append(charts.Bar(words.gettext("Recommended intake"), reference, f"{format_number(reference, lang, 1)} µg"))  # fmt: skip
        bar_svg = charts.bar_chart(
            words.gettext("Your B12 today"),
            bars,
            unit_label=words.gettext("micrograms (µg) of B12"),
            description=words.gettext(
                "What you ate and absorbed today, and the recommended intake."
            ),
        )
        what_if = None
        if reference is not None:
            what_if = await run_in_threadpool(
                _what_if_chart, person, result["ingested_ug"], reference, len(result["meals"]), lang
            )
    except InputError as exc:
        name = (
            _diary_field(exc, diary_data) if exc.field.startswith("meals[") else form_field(exc, [])
        )
        state.errors[name] = exc.message + (f" ({exc.allowed})" if exc.allowed else "")
        return render(request, "diary.html", {**context, "state": state}, 422)
    context.update(state=state, result=result, bar_svg=bar_svg, what_if_svg=what_if)
    return render(request, "diary.html", context)


# --- clinicians --------------------------------------------------------------------------


def _clinical_context(request: Request) -> dict[str, Any]:
    knowledge = _knowledge(request)
    return {
        "packs": [knowledge.pack(i) for i in knowledge.packs.ids()],
        "analytes": knowledge.analytes,
        "vocabulary": knowledge.vocabulary,
        "default_pack": DEFAULT_PACK,
        "result": None,
    }


def _source_link(pack: Pack, source_id: str | None, knowledge: Knowledge) -> str | None:
    """Where a reader checks a finding: the source on the pack's page, else the document."""
    if source_id is None:
        return None
    if source_id in pack.sources:
        return f"/packs/{pack.id}#source-{source_id}"
    reference = knowledge.sources.get(source_id)
    return None if reference is None else reference.link


def _assessment_view(item: Assessment, lang: str, knowledge: Knowledge) -> dict[str, Any]:
    data = item.to_dict(lang)
    data["title"] = item.pack_title
    data["verdict"] = knowledge.texts.get(f"verdict.{item.deficiency}", lang)
    pack = knowledge.pack(item.pack)
    for entry in (*data["findings"], *data["next_tests"]):
        entry["link"] = _source_link(pack, entry.get("source_id"), knowledge)
    for entry in data["next_tests"]:
        entry["name"] = knowledge.analytes[entry["test"]].name.get(lang, entry["test"])
    order = {"critical": 0, "warning": 1, "info": 2}
    data["alerts"].sort(key=lambda a: order.get(a["level"], 3))
    return data


@calculators.get("/assess", response_class=HTMLResponse)
def assess_form(request: Request) -> HTMLResponse:
    return render(request, "assess.html", _clinical_context(request))


@calculators.post("/assess", response_class=HTMLResponse)
async def assess_page(request: Request) -> HTMLResponse:
    form = await request.form()
    knowledge = _knowledge(request)
    lang = language(request)
    state = FormState()
    context = _clinical_context(request)
    pack = str(form.get("pack") or DEFAULT_PACK)
    state.values["pack"] = pack
    order: list[str] = []
    try:
        case, order = case_from_form(form, knowledge.analytes, state)
        result = assess_one(case, pack, knowledge)
    except (InputError, KnowledgeError) as exc:
        _fail(state, exc, order)
        return render(request, "assess.html", {**context, "state": state}, 422)
    view = "print" if form.get("view") == "print" else "page"
    context.update(state=state, result=_assessment_view(result, lang, knowledge), view=view)
    return render(request, "assess_print.html" if view == "print" else "assess.html", context)


@calculators.get("/compare", response_class=HTMLResponse)
def compare_form(request: Request) -> HTMLResponse:
    return render(request, "compare.html", _clinical_context(request))


def _compare_rows(views: list[dict[str, Any]], lang: str) -> list[dict[str, Any]]:
    words = translator(lang)

    def tests(v: dict[str, Any]) -> str:
        return ", ".join(
            t["test"] + (f" ({words.gettext('reflex')})" if t["reflex"] else "")
            for t in v["next_tests"]
        )

    rows = []
    for label, cell in (
        (words.gettext("B12 deficiency"), lambda v: v["verdict"]),
        (words.gettext("Severe"), lambda v: words.gettext("yes") if v["severe"] else words.gettext("no")),
        (words.gettext("Next tests"), tests),
        (words.gettext("Alerts"), lambda v: ", ".join(a["code"] for a in v["alerts"])),
    ):  # fmt: skip
        cells = [cell(v) or "—" for v in views]
        rows.append({"label": label, "cells": cells, "differs": len(set(cells)) > 1})
    return rows


@calculators.post("/compare", response_class=HTMLResponse)
async def compare_page(request: Request) -> HTMLResponse:
    form = await request.form()
    knowledge = _knowledge(request)
    lang = language(request)
    state = FormState()
    context = _clinical_context(request)
    order: list[str] = []
    try:
        case, order = case_from_form(form, knowledge.analytes, state)
        results = assess_all(case, knowledge)
    except (InputError, KnowledgeError) as exc:
        _fail(state, exc, order)
        return render(request, "compare.html", {**context, "state": state}, 422)
    views = [_assessment_view(r, lang, knowledge) for r in results]
    context.update(state=state, result=views, rows=_compare_rows(views, lang))
    return render(request, "compare.html", context)


def _plan_options(source: Any, state: FormState) -> dict[str, Any]:
    options: dict[str, Any] = {}
    for name in ("regimen", "start", "months", "loading_doses", "maintenance_form"):
        raw = str(source.get(name) or "").strip()
        state.values[name] = raw
        if not raw:
            continue
        if name in ("months", "loading_doses"):
            try:
                options[name] = int(raw)
            except ValueError:
                raise InputError(name, f"must be a whole number, got {raw!r}") from None
        else:
            options[name] = raw
    for name in ("skip_weekends", "pregnant", "lactating", "wish_to_conceive"):
        raw = str(source.get(name) or "").strip()
        state.values[name] = raw
        if raw.lower() in ("on", "true", "1", "yes"):
            options[name] = True
    return options


def _plan_context(request: Request) -> dict[str, Any]:
    regimens = _knowledge(request).regimens.regimens
    return {"regimens": regimens, "today": dt.date.today().isoformat(), "result": None}


@calculators.get("/plan", response_class=HTMLResponse)
def plan_form(request: Request) -> HTMLResponse:
    return render(request, "plan.html", _plan_context(request))


@calculators.post("/plan", response_class=HTMLResponse)
async def plan_page(request: Request) -> HTMLResponse:
    form = await request.form()
    knowledge = _knowledge(request)
    lang = language(request)
    state = FormState()
    context = _plan_context(request)
    try:
        options = _plan_options(form, state)
        result = make_plan(options, knowledge)
        regimen = knowledge.regimens.regimens[result.regimen]
        follow = None
        if regimen.followup is not None:
            follow = follow_up_dict(
                {"start": options["start"], "regimen": result.regimen,
                 **{k: options[k] for k in ("pregnant", "lactating", "wish_to_conceive") if k in options}},
                knowledge, lang,
            )  # fmt: skip
    except InputError as exc:
        _fail(state, exc)
        return render(request, "plan.html", {**context, "state": state}, 422)
    query = "&".join(f"{k}={v}" for k, v in options.items() if v is not True) + "".join(
        f"&{k}=1" for k, v in options.items() if v is True
    )
    context.update(
        state=state, result=result, plan=result.to_dict(lang), follow=follow, ics_query=query,
        weekday=lambda d: knowledge.texts.get(f"weekday.{dt.date.fromisoformat(d).weekday()}", lang),
    )  # fmt: skip
    return render(request, "plan.html", context)


@calculators.get("/plan.ics")
def plan_download(request: Request) -> Response:
    knowledge = _knowledge(request)
    options = _plan_options(request.query_params, FormState())
    result = make_plan(options, knowledge)
    return Response(
        plan_ics(result, knowledge.texts, language(request)),
        media_type="text/calendar",
        headers={"Content-Disposition": f'attachment; filename="{result.regimen}.ics"'},
    )


@calculators.get("/packs", response_class=HTMLResponse)
def packs_page(request: Request) -> HTMLResponse:
    knowledge = _knowledge(request)
    packs = [knowledge.pack(i) for i in knowledge.packs.ids()]
    return render(request, "packs.html", {"packs": packs, "builtin": knowledge.packs.is_builtin})


@calculators.get("/packs/{pack_id}", response_class=HTMLResponse)
def pack_page(request: Request, pack_id: str) -> HTMLResponse:
    knowledge = _knowledge(request)
    if pack_id not in knowledge.packs.ids():
        raise HTTPException(404, f"no pack {pack_id!r}")
    summary = pack_summary(knowledge.pack(pack_id), language(request))
    return render(request, "pack.html", {"pack": summary})


# --- the store model ---------------------------------------------------------------------

_MODEL_NUMBERS = {
    "food_ug_per_day": float, "meals_per_day": int, "usual_food_ug_per_day": float,
    "supplement_ug": float, "supplement_every_days": int, "injection_ug": float,
    "injection_day": int, "days": int,
}  # fmt: skip


def _scenario_from_form(form: Any, state: FormState) -> dict[str, Any]:
    numbers: dict[str, float | int] = {}
    for name, kind in _MODEL_NUMBERS.items():
        raw = str(form.get(name) or "").strip()
        state.values[name] = raw
        if raw:
            try:
                numbers[name] = kind(raw.replace(",", "."))
            except ValueError:
                raise InputError(name, f"must be a number, got {raw!r}") from None
    route = str(form.get("supplement_route") or "oral")
    state.values["supplement_route"] = route
    person = person_from_form(form, state)
    scenario: dict[str, Any] = {"person": person, "days": numbers.get("days", 2 * DAYS_PER_YEAR)}
    intake_spec: dict[str, Any] = {}
    if "food_ug_per_day" in numbers:
        intake_spec["food_ug_per_day"] = numbers["food_ug_per_day"]
        intake_spec["meals_per_day"] = numbers.get("meals_per_day", 3)
    if intake_spec:
        scenario["intake"] = intake_spec
    if "usual_food_ug_per_day" in numbers:
        scenario["initial"] = {"usual_food_ug_per_day": numbers["usual_food_ug_per_day"]}
    if "supplement_ug" in numbers:
        scenario["supplements"] = [
            {"route": route, "dose_ug": numbers["supplement_ug"],
             "every_days": numbers.get("supplement_every_days", 1)}
        ]  # fmt: skip
    if "injection_ug" in numbers:
        scenario["injections"] = [
            {"day": numbers.get("injection_day", 0), "dose_ug": numbers["injection_ug"]}
        ]
    return scenario


def _model_charts(result: dict[str, Any], lang: str) -> list[str]:
    words = translator(lang)
    x = result["day"]
    limits = result["thresholds"]
    comma = lang == "nl"
    limit_word = words.gettext("limit")
    days = words.gettext("days")
    return [
        charts.line_chart(
            words.gettext("Body stores of B12"), x,
            [charts.Series(words.gettext("stores"), result["stores_ug"])],
            y_label="µg", limits=[charts.Limit(limit_word, limits["stores_ug"])], x_label=days, decimal_comma=comma,
        ),
        charts.line_chart(
            words.gettext("Total B12 and active B12 (holoTC) in serum"), x,
            [charts.Series(words.gettext("total B12"), result["serum_b12_pmol_l"]),
             charts.Series("holoTC", result["holotc_pmol_l"])],
            y_label="pmol/L",
            limits=[charts.Limit(f"B12 {limit_word}", limits["serum_b12_pmol_l"]),
                    charts.Limit(f"holoTC {limit_word}", limits["holotc_pmol_l"])],
            x_label=days, decimal_comma=comma,
        ),
        charts.line_chart(
            words.gettext("Methylmalonic acid (MMA)"), x,
            [charts.Series("MMA", result["mma_umol_l"])],
            y_label="µmol/L", limits=[charts.Limit(limit_word, limits["mma_umol_l"])], x_label=days, decimal_comma=comma,
        ),
        charts.line_chart(
            words.gettext("Homocysteine"), x,
            [charts.Series(words.gettext("homocysteine"), result["hcy_umol_l"])],
            y_label="µmol/L", limits=[charts.Limit(limit_word, limits["hcy_umol_l"])], x_label=days, decimal_comma=comma,
        ),
    ]  # fmt: skip


@calculators.get("/model", response_class=HTMLResponse)
def model_form(request: Request) -> HTMLResponse:
    return render(
        request, "model.html", {"vocabulary": _knowledge(request).vocabulary, "result": None}
    )


@calculators.post("/model", response_class=HTMLResponse)
async def model_page(request: Request) -> HTMLResponse:
    form = await request.form()
    lang = language(request)
    state = FormState()
    context: dict[str, Any] = {"vocabulary": _knowledge(request).vocabulary, "result": None}
    try:
        scenario = _scenario_from_form(form, state)
        result = (await run_in_threadpool(simulate, scenario)).to_dict(lang)
    except InputError as exc:
        _fail(state, exc)
        return render(request, "model.html", {**context, "state": state}, 422)
    svgs = await run_in_threadpool(_model_charts, result, lang)
    context.update(state=state, result=result, charts=svgs)
    return render(request, "model.html", context)


router.include_router(calculators)
