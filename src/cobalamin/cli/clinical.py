"""``assess``, ``compare``, ``packs`` and ``cb12``: the clinical core on the command line."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from cobalamin.case import normalise_result, parse_case
from cobalamin.cb12 import compute as compute_cb12
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
from cobalamin.knowledge.schema import pack_json_schema
from cobalamin.pipeline import assess as assess_case
from cobalamin.render.packs import describe_condition, pack_list, pack_summary
from cobalamin.render.text import assessment_text, verdict

__all__ = ["register"]

DEFAULT_PACK = "nice-ng239"
_RESULT = re.compile(
    r"^(?P<test>[a-z0-9_]+)=(?P<comparator>(<=|>=|=<|=>|<|>|≤|≥)\s*)?"
    r"(?P<value>[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?)?\s*(?P<rest>.*)$"
)

PackOption = Annotated[
    str, typer.Option("--pack", "-p", help="Pack id or path to a pack .yaml file.")
]
FormatOption = Annotated[Format, typer.Option("--format", "-f", help="text or json.")]
LangOption = Annotated[Lang, typer.Option("--lang", "-l", help="Language of texts: en or nl.")]


def parse_result_token(token: str) -> dict[str, Any]:
    """``b12=200ng/L``, ``mma=0.45 umol/L``, ``if_ab=positive`` or a censored ``b12=<50pmol/L``
    (``<``, ``<=``, ``>``, ``>=``, ``≤``, ``≥``) as a result object of the JSON contract."""
    match = _RESULT.match(token.strip())
    if match is None:
        raise InputError(token, "a result is written as test=value+unit, e.g. b12=200ng/L")
    test, value, rest = match["test"], match["value"], match["rest"].strip()
    comparator = (match["comparator"] or "").strip()
    if comparator and value is None:
        raise InputError(token, "a censored result is written as e.g. b12=<50pmol/L")
    if value is None:
        return {"test": test, "value": rest}
    result: dict[str, Any] = {"test": test, "value": float(value), "unit": rest}
    if comparator:
        result["comparator"] = comparator
    return result


def _case_from_arguments(items: list[str], person_flags: dict[str, Any]) -> dict[str, Any]:
    results = [parse_result_token(i) for i in items if "=" in i]
    files = [i for i in items if "=" not in i]
    if len(files) > 1:
        raise InputError("input", f"give one case file, not {len(files)}")
    if files or not results:
        data = read_json_input(Path(files[0]) if files else None, what="case")
        if not isinstance(data, dict):
            raise InputError("case", "must be a JSON object with 'person' and 'results'")
        data = dict(data)
    else:
        data = {}
    if results:
        if not isinstance(data.get("results") or [], list):
            raise InputError("results", "must be a list of {test, value, unit}")
        data["results"] = list(data.get("results") or []) + results
    if not isinstance(data.get("person") or {}, dict):
        raise InputError("person", "must be an object")
    person = dict(data.get("person") or {})
    person.update({k: v for k, v in person_flags.items() if v not in (None, [], False)})
    data["person"] = person
    return data


def register(app: typer.Typer) -> None:
    """Add the clinical-core commands to the app."""
    packs_app = typer.Typer(
        help="List packs, show a pack's rules and sources, export the schema.", no_args_is_help=True
    )
    app.add_typer(packs_app, name="packs")

    @app.command()
    @handle_errors
    def assess(
        items: Annotated[
            list[str] | None,
            typer.Argument(
                help="A case JSON file (or - for stdin) and/or results such as b12=200ng/L mma=0.45umol/L."
            ),
        ] = None,
        pack: PackOption = DEFAULT_PACK,
        pack_path: PackPathOption = None,
        output: FormatOption = Format.text,
        lang: LangOption = Lang.en,
        age: Annotated[float | None, typer.Option(help="Age in years.")] = None,
        sex: Annotated[
            str | None,
            typer.Option(help="female, male or unknown (also V, M, vrouw, man, HL7 F/M/U)."),
        ] = None,
        pregnant: Annotated[
            bool, typer.Option("--pregnant", help="The person is pregnant.")
        ] = False,
        trimester: Annotated[int | None, typer.Option(help="1, 2 or 3.")] = None,
        lactating: Annotated[
            bool, typer.Option("--lactating", help="The person breastfeeds.")
        ] = False,
        diet: Annotated[
            str | None, typer.Option(help="omnivore, pescatarian, vegetarian or vegan.")
        ] = None,
        condition: Annotated[
            list[str] | None, typer.Option(help="A condition id (repeatable).")
        ] = None,
        medication: Annotated[
            list[str] | None, typer.Option(help="A medication id (repeatable).")
        ] = None,
        symptom: Annotated[
            list[str] | None, typer.Option(help="A symptom id (repeatable).")
        ] = None,
    ) -> None:
        """Interpret one person's B12 results under one pack (guideline or laboratory)."""
        flags = {
            "age": age, "sex": sex, "pregnant": pregnant, "trimester": trimester,
            "lactating": lactating, "diet": diet, "conditions": condition or [],
            "medications": medication or [], "symptoms": symptom or [],
        }  # fmt: skip
        knowledge = knowledge_for(pack_path)
        case = parse_case(
            _case_from_arguments(items or [], flags), knowledge.analytes, knowledge.vocabulary
        )
        result = assess_case(case, knowledge.pack(pack), knowledge)
        if output == Format.json:
            print_json(result.to_dict(lang.value))
        else:
            Console().print(assessment_text(result, knowledge.texts, lang.value))

    @app.command()
    @handle_errors
    def compare(
        items: Annotated[
            list[str] | None,
            typer.Argument(
                help="A case JSON file (or - for stdin) and/or results such as b12=200ng/L."
            ),
        ] = None,
        pack_path: PackPathOption = None,
        output: FormatOption = Format.text,
        lang: LangOption = Lang.en,
    ) -> None:
        """Run every pack on the same case, side by side, so differences between sources show."""
        knowledge = knowledge_for(pack_path)
        case = parse_case(
            _case_from_arguments(items or [], {}), knowledge.analytes, knowledge.vocabulary
        )
        results = [
            assess_case(case, knowledge.pack(pack_id), knowledge)
            for pack_id in knowledge.packs.ids()
        ]
        if output == Format.json:
            print_json([r.to_dict(lang.value) for r in results])
            return
        texts = knowledge.texts
        say = lang.value
        table = Table(title=texts.get("compare.title", say), show_lines=True)
        for key in ("pack", "deficiency", "next_tests", "why", "alerts"):
            table.add_column(texts.get(f"compare.{key}", say), overflow="fold")
        reflex = texts.get("compare.reflex", say)
        for item in results:
            data = item.to_dict(say)
            tests = (
                ", ".join(
                    texts.get(f"test.{t['test']}", say) + (f" ({reflex})" if t["reflex"] else "")
                    for t in data["next_tests"]
                )
                or "—"
            )
            why = "\n".join(
                f"{f['text']}\n[dim]{f['rule']} — {', '.join(f['source_ids'])}[/dim]"
                for f in data["findings"]
            )
            alerts = (
                "\n".join(
                    f"{texts.get(f'level.{a.level}', say).upper()} {a.code}" for a in item.alerts
                )
                or "—"
            )
            label = verdict(texts, item.deficiency, say)
            severe = f" ({texts.get('label.severe', say)})" if item.severe else ""
            table.add_row(
                f"{item.pack}\n[dim]{item.pack_sha256[:12]}[/dim]",
                label + severe,
                tests,
                why,
                alerts,
            )
        console = Console()
        console.print(table)
        console.print(f"[dim]{results[0].to_dict(say)['disclaimer']}[/dim]")

    @packs_app.command("list")
    @handle_errors
    def packs_list(pack_path: PackPathOption = None, output: FormatOption = Format.text) -> None:
        """List the available packs."""
        knowledge = knowledge_for(pack_path)
        packs = [knowledge.pack(i) for i in knowledge.packs.ids()]
        if output == Format.json:
            print_json(pack_list(knowledge))
            return
        table = Table(title="Packs")
        for column in ("id", "title", "publisher", "status", "sha256"):
            table.add_column(column)
        for p in packs:
            table.add_row(p.id, p.title, p.publisher, p.status, p.sha256[:12])
        Console().print(table)

    @packs_app.command("show")
    @handle_errors
    def packs_show(
        pack: Annotated[str, typer.Argument(help="Pack id or path.")],
        pack_path: PackPathOption = None,
        output: FormatOption = Format.text,
        lang: LangOption = Lang.en,
    ) -> None:
        """Show a pack's sources, cut-offs and rules."""
        knowledge = knowledge_for(pack_path)
        loaded = knowledge.pack(pack)
        if output == Format.json:
            print_json(pack_summary(loaded, lang.value))
            return
        texts, say = knowledge.texts, lang.value
        console = Console()
        console.print(
            f"[bold]{loaded.title_in(say)}[/bold] ({loaded.id}) — {loaded.publisher}, "
            f"{loaded.date}, {texts.get('packs.status', say)} {loaded.status}"
        )
        console.print(f"sha256 {loaded.sha256}")
        console.print(loaded.description.get(say))
        console.print(f"\n[bold]{texts.get('packs.sources', say)}[/bold]")
        for source in loaded.sources.values():
            console.print(f"  {source.id} \\[{source.kind}]: {source.citation()}")
        console.print(f"\n[bold]{texts.get('packs.cutoffs', say)}[/bold]")
        for cutoff in loaded.cutoffs.values():
            console.print(
                f"  {cutoff.name}: {cutoff.fact} {cutoff.display(say)} — {', '.join(cutoff.sources)}"
                + (f' — "{cutoff.statement}"' if cutoff.statement else "")
            )
        when_word, next_word = texts.get("packs.when", say), texts.get("packs.next", say)
        for table in loaded.tables:
            heading = texts.get("packs.table", say, table=table.id, policy=table.hit_policy)
            console.print(f"\n[bold]{heading}[/bold]")
            for rule in table.rules:
                when = " & ".join(describe_condition(c, loaded) for c in rule.when) or texts.get(
                    "packs.always", say
                )
                sets = ", ".join(f"{k}={v}" for k, v in rule.sets)
                tests = ", ".join(
                    f"{t.test}{' reflex' if t.reflex else ''}" for t in rule.next_tests
                )
                console.print(
                    f"  {rule.id}: {when_word} {when}"
                    + (f" → {sets}" if sets else "")
                    + (f" → {next_word}: {tests}" if tests else "")
                )

    @packs_app.command("schema")
    @handle_errors
    def packs_schema() -> None:
        """Print the JSON Schema of pack files (for editors)."""
        print_json(pack_json_schema(knowledge_for(None).facts))

    @app.command()
    @handle_errors
    def cb12(
        items: Annotated[
            list[str], typer.Argument(help="b12=... holotc=... mma=... hcy=... with units.")
        ],
        age: Annotated[float, typer.Option(help="Age in years.")],
        unverified: Annotated[
            bool,
            typer.Option(
                "--unverified",
                help="Compute although the constants are not verified (research only).",
            ),
        ] = False,
        output: FormatOption = Format.text,
        lang: LangOption = Lang.en,
    ) -> None:
        """Fedosov's combined indicator of B12 status from the four markers and age."""
        knowledge = knowledge_for(None)
        values: dict[str, float] = {}
        for index, token in enumerate(items):
            raw = parse_result_token(token)
            result, _ = normalise_result(
                knowledge.analytes, raw["test"], raw["value"], raw.get("unit"), f"results[{index}]"
            )
            if not isinstance(result.value, float):
                raise InputError(f"results[{index}]", "cB12 markers are numbers")
            values[result.test] = result.value
        outcome = compute_cb12(values, age, knowledge.cb12, allow_unverified=unverified)
        if output == Format.json:
            print_json(outcome.to_dict(lang.value))
        elif outcome.value is None:
            not_computed = knowledge.texts.get("cb12.not_computed", lang.value)
            Console().print(f"{not_computed} {outcome.to_dict(lang.value)['note']}")
        else:
            bands = {b.category: b for b in knowledge.cb12.categories.bands}
            band = bands.get(outcome.category or "")
            label = (band.nl if lang.value == "nl" else band.en) if band else outcome.category
            Console().print(
                f"cB12 = {outcome.value:.2f} ({label}). {outcome.to_dict(lang.value)['note']}"
            )
