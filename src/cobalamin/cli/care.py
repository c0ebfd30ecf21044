"""``screen``, ``plan``, ``follow-up`` and ``workup``: care around a result on the command line."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from cobalamin.care.followup import RESPONSES, follow_up
from cobalamin.care.screening import screen_all
from cobalamin.care.treatment import parse_date, plan
from cobalamin.care.workup import workup
from cobalamin.case import parse_case
from cobalamin.cli.common import (
    Format,
    Lang,
    PackPathOption,
    handle_errors,
    print_json,
    read_json_input,
)
from cobalamin.defaults import knowledge_for
from cobalamin.errors import InputError
from cobalamin.person import parse_person
from cobalamin.pipeline import assess
from cobalamin.render.text import follow_up_text, plan_text, screening_text, workup_text

__all__ = ["register"]


class PlanFormat(StrEnum):
    text = "text"
    json = "json"
    ics = "ics"


FormatOption = Annotated[Format, typer.Option("--format", "-f", help="text or json.")]
LangOption = Annotated[Lang, typer.Option("--lang", "-l", help="Language of texts: en or nl.")]
PregnantOption = Annotated[bool, typer.Option("--pregnant", help="The person is pregnant.")]
LactatingOption = Annotated[bool, typer.Option("--lactating", help="The person breastfeeds.")]
WishOption = Annotated[
    bool, typer.Option("--wish-to-conceive", help="The person wishes to conceive.")
]


def _medication(token: str) -> dict[str, Any] | str:
    """``metformin`` or ``metformin:24`` (months of use)."""
    if ":" not in token:
        return token
    name, months = token.split(":", 1)
    try:
        return {"id": name, "months": float(months)}
    except ValueError:
        raise InputError(
            "medications", f"{token!r}: months must be a number", "id or id:months"
        ) from None


def _person_data(
    source: Path | None,
    flags: dict[str, Any],
) -> dict[str, Any]:
    data: dict[str, Any] = {}
    if source is not None:
        raw = read_json_input(source, what="person")
        if not isinstance(raw, dict):
            raise InputError("person", 'must be a JSON object (a person, or {"person": {...}})')
        inner = raw.get("person", raw) if set(raw) <= {"person", "results", "date"} else raw
        if not isinstance(inner, dict):
            raise InputError("person", "must be an object")
        data = dict(inner)
    data.update({k: v for k, v in flags.items() if v not in (None, [], False)})
    return data


def register(app: typer.Typer) -> None:
    """Add ``screen``, ``plan``, ``follow-up`` and ``workup`` to the app."""

    @app.command("screen")
    @handle_errors
    def screen_command(
        source: Annotated[
            Path | None,
            typer.Argument(help="JSON person (or a case with 'person'); '-' reads stdin."),
        ] = None,
        pack: Annotated[
            list[str] | None,
            typer.Option("--pack", "-p", help="Guideline(s) to ask; default: all with rules."),
        ] = None,
        age: Annotated[float | None, typer.Option("--age", help="Age in years.")] = None,
        sex: Annotated[
            str | None,
            typer.Option(
                "--sex", help="female, male or unknown (also V, M, vrouw, man, HL7 F/M/U)."
            ),
        ] = None,
        pregnant: PregnantOption = False,
        lactating: LactatingOption = False,
        wish_to_conceive: WishOption = False,
        diet: Annotated[str | None, typer.Option("--diet", help="Diet id.")] = None,
        condition: Annotated[
            list[str] | None, typer.Option("--condition", help="Condition id (repeatable).")
        ] = None,
        medication: Annotated[
            list[str] | None,
            typer.Option("--medication", help="Medication id or id:months (repeatable)."),
        ] = None,
        symptom: Annotated[
            list[str] | None, typer.Option("--symptom", help="Symptom id (repeatable).")
        ] = None,
        output_format: FormatOption = Format.text,
        lang: LangOption = Lang.en,
    ) -> None:
        """Who to test: each guideline's answer side by side, with its source."""
        flags = {
            "age": age,
            "sex": sex,
            "pregnant": pregnant,
            "lactating": lactating,
            "wish_to_conceive": wish_to_conceive,
            "diet": diet,
            "conditions": list(condition or []),
            "medications": [_medication(m) for m in medication or []],
            "symptoms": list(symptom or []),
        }
        knowledge = knowledge_for(None)
        person = parse_person(_person_data(source, flags), knowledge.vocabulary)
        for pack_id in pack or []:
            knowledge.screening(pack_id)  # an unknown guideline is an input error
        results = screen_all(person, knowledge, list(pack) if pack else None)
        if output_format == Format.json:
            print_json({"screening": [r.to_dict(lang) for r in results]})
        else:
            typer.echo(screening_text(results, knowledge.texts, lang))

    @app.command("plan")
    @handle_errors
    def plan_command(
        regimen: Annotated[
            str,
            typer.Option("--regimen", "-r", help="Regimen id (cobalamin plan --help lists them)."),
        ],
        start: Annotated[str, typer.Option("--start", help="First dose, YYYY-MM-DD.")],
        skip_weekends: Annotated[
            bool, typer.Option("--skip-weekends", help="Move injections off Sat/Sun to Monday.")
        ] = False,
        pregnant: PregnantOption = False,
        lactating: LactatingOption = False,
        wish_to_conceive: WishOption = False,
        months: Annotated[
            int, typer.Option("--months", help="How many months of schedule to show.")
        ] = 12,
        until: Annotated[
            str | None, typer.Option("--until", help="Show doses up to this date instead.")
        ] = None,
        maintenance_form: Annotated[
            str | None,
            typer.Option("--maintenance-form", help="Maintenance option, by form."),
        ] = None,
        loading_doses: Annotated[
            int | None,
            typer.Option("--loading-doses", help="Loading doses, for open-ended loading."),
        ] = None,
        adjust: Annotated[
            list[str] | None,
            typer.Option(
                "--adjust",
                help="Apply an adjustment the regimen's source does not (repeatable), e.g. "
                "pregnancy_lactation: the patient association's doubled maintenance.",
            ),
        ] = None,
        review_pack: Annotated[
            str | None,
            typer.Option("--pack", "-p", help="Take the review dates from this guideline."),
        ] = None,
        output_format: Annotated[
            PlanFormat, typer.Option("--format", "-f", help="text, json or ics.")
        ] = PlanFormat.text,
        output: Annotated[
            Path | None, typer.Option("--output", "-o", help="Write to this file.")
        ] = None,
        lang: LangOption = Lang.en,
    ) -> None:
        """A dated treatment schedule (loading, maintenance, reviews) from a regimen."""
        knowledge = knowledge_for(None)
        result = plan(
            regimen,
            start,
            knowledge,
            skip_weekends=skip_weekends,
            pregnant=pregnant,
            lactating=lactating,
            wish_to_conceive=wish_to_conceive,
            months=months,
            until=until,
            maintenance_form=maintenance_form,
            loading_doses=loading_doses,
            adjust=tuple(adjust or ()),
            followup_pack=review_pack,
        )
        if output_format == PlanFormat.ics:
            from cobalamin.render.ics import plan_ics

            data = plan_ics(result, knowledge.texts, lang)
        elif output_format == PlanFormat.json:
            data = (json.dumps(result.to_dict(lang), ensure_ascii=False, indent=2) + "\n").encode()
        else:
            data = (plan_text(result, knowledge.texts, lang) + "\n").encode()
        if output is not None:
            try:
                output.write_bytes(data)
            except OSError as exc:
                raise InputError("output", f"cannot write {output}: {exc.strerror}") from None
        else:
            typer.echo(data, nl=False)

    @app.command("follow-up")
    @handle_errors
    def follow_up_command(
        start: Annotated[str, typer.Option("--start", help="Start of treatment, YYYY-MM-DD.")],
        pack: Annotated[str | None, typer.Option("--pack", "-p", help="Guideline pack id.")] = None,
        regimen: Annotated[
            str | None,
            typer.Option("--regimen", "-r", help="Take pack and route from this regimen."),
        ] = None,
        route: Annotated[str | None, typer.Option("--route", help="oral or im.")] = None,
        response: Annotated[
            str | None, typer.Option("--response", help=f"One of {', '.join(RESPONSES)}.")
        ] = None,
        cause_addressed: Annotated[
            bool, typer.Option("--cause-addressed", help="The cause has been addressed.")
        ] = False,
        condition: Annotated[
            list[str] | None,
            typer.Option("--condition", help="A condition id (repeatable), e.g. the cause."),
        ] = None,
        anaemic: Annotated[
            bool | None,
            typer.Option(
                "--anaemic/--not-anaemic",
                help="Whether there was anaemia (blood-count reviews are for anaemia).",
            ),
        ] = None,
        pregnant: PregnantOption = False,
        lactating: LactatingOption = False,
        wish_to_conceive: WishOption = False,
        output_format: FormatOption = Format.text,
        lang: LangOption = Lang.en,
    ) -> None:
        """Review dates after starting treatment, and what to do on the response."""
        knowledge = knowledge_for(None)
        first = parse_date(start, "start")
        if regimen is not None:
            regimens = knowledge.regimens.regimens
            found = regimens.get(regimen)
            if found is None:
                raise InputError("regimen", f"unknown regimen {regimen!r}", ", ".join(regimens))
            pack = pack or found.followup
            route = route or found.route
        if pack is None:
            packs = ", ".join(sorted(knowledge.followup.packs))
            raise InputError("pack", "give --pack or --regimen", packs)
        if route is not None and route not in ("oral", "im"):
            raise InputError("route", f"unknown route {route!r}", "oral, im")
        result = follow_up(
            pack,
            first,
            knowledge,
            route="oral" if route == "oral" else "im" if route == "im" else None,
            response=response,
            cause_addressed=cause_addressed,
            pregnant_or_lactating=pregnant or lactating,
            wish_to_conceive=wish_to_conceive,
            anaemic=anaemic,
            conditions=[
                knowledge.vocabulary.check("conditions", c, "condition") for c in condition or []
            ],
        )
        if output_format == Format.json:
            print_json(result.to_dict(lang))
            return
        typer.echo(follow_up_text(result, knowledge.texts, lang))

    @app.command("workup")
    @handle_errors
    def workup_command(
        source: Annotated[
            Path | None, typer.Argument(help="JSON case file; '-' or nothing reads stdin.")
        ] = None,
        pack: Annotated[str, typer.Option("--pack", "-p", help="Pack id.")] = "nice-ng239",
        pack_path: PackPathOption = None,
        output_format: FormatOption = Format.text,
        lang: LangOption = Lang.en,
    ) -> None:
        """After a likely deficiency: which tests point to the cause, with sources."""
        knowledge = knowledge_for(pack_path)
        raw = read_json_input(source, what="case")
        case = parse_case(raw, knowledge.analytes, knowledge.vocabulary)
        loaded = knowledge.pack(pack)
        result = workup(case, assess(case, loaded, knowledge), loaded, knowledge)
        if output_format == Format.json:
            print_json(result.to_dict(lang))
            return
        typer.echo(workup_text(result, knowledge.texts, lang))
