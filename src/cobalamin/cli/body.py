"""``intake``, ``simulate`` and ``validate-model``: food, absorption and the B12 store model."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from cobalamin.cli.common import Format, Lang, handle_errors, print_json, read_json_input
from cobalamin.errors import InputError
from cobalamin.nutrition.foods import food_table, search
from cobalamin.nutrition.intake import intake as intake_estimate
from cobalamin.nutrition.reference import authorities
from cobalamin.physiology.simulate import simulate as run_simulation
from cobalamin.physiology.validation import report_markdown, validate

__all__ = ["register"]

FormatOption = Annotated[Format, typer.Option("--format", "-f", help="text or json.")]
LangOption = Annotated[Lang, typer.Option("--lang", "-l", help="Language of texts: en or nl.")]
InputArgument = Annotated[
    Path | None, typer.Argument(help="JSON file; omit or '-' to read stdin.", show_default=False)
]

_T = {
    "en": {
        "meal": "Meal",
        "ingested": "Ingested (µg)",
        "absorbed": "Absorbed (µg)",
        "day": "Day",
        "reference": "Reference",
        "days_to_def": "Days until serum B12 < {t:g} pmol/L",
        "never": "not within the simulated period",
        "start": "start",
        "end": "end",
        "stores": "stores (µg)",
        "serum": "serum B12 (pmol/L)",
        "holotc": "holoTC (pmol/L)",
        "mma": "MMA (µmol/L)",
        "hcy": "homocysteine (µmol/L)",
        "first": "first day beyond limit",
        "people": "people",
        "fraction": "share with serum B12 < {t:g} pmol/L at the end",
        "median": "median",
        "ever": "share deficient at some time",
        "plot": "plot written to {p}",
        "model_note": "Model estimate for explanation, not a "
        "diagnosis. See a doctor about symptoms or before changing treatment.",
    },
    "nl": {
        "meal": "Maaltijd",
        "ingested": "Ingenomen (µg)",
        "absorbed": "Opgenomen (µg)",
        "day": "Dag",
        "reference": "Norm",
        "days_to_def": "Dagen tot serum-B12 < {t:g} pmol/L",
        "never": "niet binnen de gesimuleerde periode",
        "start": "begin",
        "end": "eind",
        "stores": "voorraad (µg)",
        "serum": "serum-B12 (pmol/L)",
        "holotc": "holoTC (pmol/L)",
        "mma": "MMA (µmol/L)",
        "hcy": "homocysteïne (µmol/L)",
        "first": "eerste dag voorbij grens",
        "people": "personen",
        "fraction": "aandeel met serum-B12 < {t:g} pmol/L aan het eind",
        "median": "mediaan",
        "ever": "aandeel ooit met een tekort",
        "plot": "grafiek geschreven naar {p}",
        "model_note": "Modelschatting ter uitleg, geen "
        "diagnose. Ga naar een arts bij klachten of voordat u een behandeling verandert.",
    },
}


def _num(value: float, lang: str, digits: int = 2) -> str:
    text = f"{value:.{digits}f}"
    return text.replace(".", ",") if lang == "nl" else text


def _print_intake(result: dict[str, Any], lang: str) -> None:
    t = _T[lang]
    console = Console()
    table = Table(show_header=True)
    table.add_column(t["meal"])
    table.add_column(t["ingested"], justify="right")
    table.add_column(t["absorbed"], justify="right")
    for meal in result["meals"]:
        table.add_row(
            meal["time"], _num(meal["ingested_ug"], lang), _num(meal["absorbed_ug"], lang)
        )
    table.add_row(t["day"], _num(result["ingested_ug"], lang), _num(result["absorbed_ug"], lang))
    console.print(table)
    ref = result["reference"]
    value = "-" if ref["value_ug"] is None else f"{_num(ref['value_ug'], lang, 1)} µg"
    console.print(f"{t['reference']}: {ref['name']} ({ref['life_stage']}): {value}")
    for line in result["advice"][lang]:
        console.print(f"- {line}")
    for note in result["notes"]:
        console.print(f"  note: {note}")


def _print_simulation(result: dict[str, Any], lang: str) -> None:
    t = _T[lang]
    console = Console()
    th = result["thresholds"]
    if "quantiles" in result:
        q = result["quantiles"]
        console.print(f"{result['population']['n']} {t['people']}, {result['days']} d")
        table = Table(show_header=True)
        table.add_column("")
        table.add_column(f"{t['median']} {t['start']}", justify="right")
        table.add_column(f"{t['median']} {t['end']}", justify="right")
        for key, label in (
            ("stores_ug", "stores"),
            ("serum_b12_pmol_l", "serum"),
            ("holotc_pmol_l", "holotc"),
            ("mma_umol_l", "mma"),
            ("hcy_umol_l", "hcy"),
        ):
            table.add_row(t[label], _num(q[key]["p50"][0], lang), _num(q[key]["p50"][-1], lang))
        console.print(table)
        console.print(
            f"{t['fraction'].format(t=th['serum_b12_pmol_l'])}: "
            f"{_num(result['fraction_deficient'][-1] * 100, lang, 1)} %"
        )
        console.print(f"{t['ever']}: {_num(result['fraction_ever_deficient'] * 100, lang, 1)} %")
    else:
        table = Table(show_header=True)
        table.add_column("")
        table.add_column(t["start"], justify="right")
        table.add_column(t["end"], justify="right")
        table.add_column(t["first"], justify="right")
        first = result["first_day_beyond_threshold"]
        for key, label in (
            ("stores_ug", "stores"),
            ("serum_b12_pmol_l", "serum"),
            ("holotc_pmol_l", "holotc"),
            ("mma_umol_l", "mma"),
            ("hcy_umol_l", "hcy"),
        ):
            day = first[key]
            table.add_row(
                t[label],
                _num(result[key][0], lang),
                _num(result[key][-1], lang),
                "-" if day is None else str(day),
            )
        console.print(table)
        days = result["days_to_deficiency"]
        console.print(
            f"{t['days_to_def'].format(t=th['serum_b12_pmol_l'])}: "
            f"{t['never'] if days is None else days}"
        )
    for note in result["notes"]:
        console.print(f"  note: {note}")
    console.print(t["model_note"])


def _plot_format(path: Path) -> str:
    suffix = path.suffix.lower().lstrip(".")
    if suffix not in ("png", "svg"):
        raise InputError("--plot", f"unsupported file type {path.suffix or '(none)'!r}", "png, svg")
    return suffix


def register(app: typer.Typer) -> None:
    """Add ``intake``, ``simulate`` and ``validate-model`` to the app."""

    @app.command("intake")
    @handle_errors
    def intake_command(
        diary: InputArgument = None,
        fmt: FormatOption = Format.text,
        lang: LangOption = Lang.en,
        authority: Annotated[
            str | None, typer.Option("--authority", "-a", help="Reference intake authority.")
        ] = None,
        foods: Annotated[
            bool, typer.Option("--foods", help="List the foods of the food table and exit.")
        ] = False,
        find: Annotated[
            str | None, typer.Option("--search", help="Search foods by English or Dutch name.")
        ] = None,
        list_authorities: Annotated[
            bool, typer.Option("--authorities", help="List the reference authorities and exit.")
        ] = False,
    ) -> None:
        """B12 ingested and absorbed per meal from a day's diary (JSON), against a reference."""
        if list_authorities:
            data: Any = authorities()
            if fmt is Format.json:
                print_json(data)
            else:
                for key, name in data.items():
                    typer.echo(f"{key}\t{name}")
            return
        if foods or find is not None:
            table = food_table()
            hits = search(find) if find is not None else list(table.foods)
            rows = [
                {
                    "id": f.id,
                    "en": f.en,
                    "nl": f.nl,
                    "portion_g": f.portion_g,
                    "b12_ug_per_portion": table.preferred_value(f).ug,
                    "source": table.preferred_value(f).source,
                }
                for f in hits
            ]
            if fmt is Format.json:
                print_json(rows)
            else:
                for r in rows:
                    typer.echo(
                        f"{r['id']}\t{r[lang.value]}\t{r['portion_g']:g} g\t"
                        f"{r['b12_ug_per_portion']} µg\t{r['source']}"
                    )
            return
        result = intake_estimate(read_json_input(diary, what="diary"), authority=authority)
        if fmt is Format.json:
            print_json(result)
        else:
            _print_intake(result, lang.value)

    @app.command("simulate")
    @handle_errors
    def simulate_command(
        scenario: InputArgument = None,
        fmt: FormatOption = Format.text,
        lang: LangOption = Lang.en,
        plot: Annotated[
            Path | None, typer.Option("--plot", help="Write a plot of the result (.png or .svg).")
        ] = None,
    ) -> None:
        """Simulate B12 stores and serum markers over time for a person or a population."""
        kind = _plot_format(plot) if plot is not None else None
        result = run_simulation(read_json_input(scenario, what="scenario"))
        if plot is not None and kind is not None:
            from cobalamin.physiology.plots import render_plot

            image = render_plot(result, "svg" if kind == "svg" else "png", lang.value)
            try:
                plot.write_bytes(image)
            except OSError as exc:
                raise InputError("--plot", f"cannot write {plot}: {exc.strerror}") from None
        if fmt is Format.json:
            print_json(result)
        else:
            _print_simulation(result, lang.value)
            if plot is not None:
                typer.echo(_T[lang.value]["plot"].format(p=plot))

    @app.command("validate-model")
    @handle_errors
    def validate_command(
        fmt: FormatOption = Format.text,
        write: Annotated[
            Path | None,
            typer.Option(
                "--write",
                help="Also write the Markdown report to this file "
                "(the repository keeps it in docs/model-validation.md).",
            ),
        ] = None,
        strict: Annotated[
            bool, typer.Option("--strict", help="Exit 1 if any evaluated point fails.")
        ] = False,
    ) -> None:
        """Run every validation point of the physiology notes: model value, tolerance, pass/fail."""
        points = validate()
        report = report_markdown(points)
        if write is not None:
            try:
                write.write_text(report, encoding="utf-8")
            except OSError as exc:
                raise InputError("--write", f"cannot write {write}: {exc.strerror}") from None
        if fmt is Format.json:
            print_json([p.as_dict() for p in points])
        else:
            typer.echo(report, nl=False)
        if strict and any(p.passed is False for p in points):
            raise typer.Exit(1)
