"""Text rendering of an intake estimate (the CLI prints this); texts come from the data file."""

from __future__ import annotations

import io

from rich.console import Console
from rich.table import Table

from cobalamin.nutrition.intake import IntakeResult
from cobalamin.nutrition.reference import label

__all__ = ["number", "render_intake_text"]


def number(value: float, lang: str, digits: int = 2) -> str:
    """A number with the language's decimal sign."""
    text = f"{value:.{digits}f}"
    return text.replace(".", ",") if lang == "nl" else text


def render_intake_text(result: IntakeResult, lang: str = "en") -> str:
    """The table, the reference, advice and notes as plain text."""
    data = result.to_dict(lang)
    buf = io.StringIO()
    console = Console(file=buf, width=100, highlight=False, color_system=None)
    table = Table(show_header=True)
    table.add_column(label("meal", lang))
    table.add_column(label("ingested", lang), justify="right")
    table.add_column(label("absorbed", lang), justify="right")
    for meal in data["meals"]:
        table.add_row(
            meal["time"], number(meal["ingested_ug"], lang), number(meal["absorbed_ug"], lang)
        )
    table.add_row(
        label("day", lang), number(data["ingested_ug"], lang), number(data["absorbed_ug"], lang)
    )
    console.print(table)
    ref = data["reference"]
    value = "-" if ref["value_ug"] is None else f"{number(ref['value_ug'], lang, 1)} µg"
    console.print(f"{label('reference', lang)}: {ref['name']} ({ref['life_stage']}): {value}")
    for line in data["advice"][lang]:
        console.print(f"- {line}")
    for note in data["notes"]:
        console.print(f"  {label('note', lang)}: {note}")
    return buf.getvalue()
