"""``intake``, ``simulate`` and ``validate-model``: food, absorption and the B12 store model."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from cobalamin.cli.common import Format, Lang, handle_errors, print_json, read_json_input
from cobalamin.defaults import default_knowledge
from cobalamin.errors import InputError
from cobalamin.facade import intake as intake_estimate
from cobalamin.facade import simulate as run_simulation
from cobalamin.nutrition.foods import food_table, search
from cobalamin.nutrition.reference import authorities
from cobalamin.nutrition.render import render_intake_text
from cobalamin.physiology.plots import render_plot
from cobalamin.physiology.render import render_simulation_text
from cobalamin.physiology.validation import report_markdown, validate

__all__ = ["register"]

FormatOption = Annotated[Format, typer.Option("--format", "-f", help="text or json.")]
LangOption = Annotated[Lang, typer.Option("--lang", "-l", help="Language of texts: en or nl.")]
InputArgument = Annotated[
    Path | None, typer.Argument(help="JSON file; omit or '-' to read stdin.", show_default=False)
]


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
            print_json(result.to_dict(lang.value))
        else:
            typer.echo(render_intake_text(result, lang.value), nl=False)

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
            image = render_plot(result, "svg" if kind == "svg" else "png", lang.value)
            try:
                plot.write_bytes(image)
            except OSError as exc:
                raise InputError("--plot", f"cannot write {plot}: {exc.strerror}") from None
        if fmt is Format.json:
            print_json(result.to_dict(lang.value))
        else:
            typer.echo(render_simulation_text(result, lang.value), nl=False)
            if plot is not None:
                typer.echo(result.params.text("plot_written", lang.value).format(p=plot))

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
            bool,
            typer.Option(
                "--strict", help="Exit 1 if any evaluated point (validation or calibration) fails."
            ),
        ] = False,
    ) -> None:
        """Run every validation point of the physiology notes: model value, tolerance, pass/fail."""
        knowledge = default_knowledge()
        points = validate(knowledge)
        report = report_markdown(points, knowledge)
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
