"""Text rendering of a simulation result (the CLI prints this); texts come from the data file."""

from __future__ import annotations

import io

from rich.console import Console
from rich.table import Table

from cobalamin.physiology.simulate import SimulationResult

__all__ = ["number", "render_simulation_text"]

_ROWS = (
    ("stores_ug", "row_stores"),
    ("serum_b12_pmol_l", "row_serum"),
    ("holotc_pmol_l", "row_holotc"),
    ("mma_umol_l", "row_mma"),
    ("hcy_umol_l", "row_hcy"),
)


def number(value: float, lang: str, digits: int = 2) -> str:
    """A number with the language's decimal sign."""
    text = f"{value:.{digits}f}"
    return text.replace(".", ",") if lang == "nl" else text


def render_simulation_text(result: SimulationResult, lang: str = "en") -> str:
    """Start point, a table of start and end values, deficiency timing and notes."""
    p = result.params
    data = result.to_dict(lang)
    buf = io.StringIO()
    console = Console(file=buf, width=100, highlight=False, color_system=None)
    console.print(data["start"]["text"])
    th = data["thresholds"]
    cut = f"{th['serum_b12_pmol_l']:g}"
    if "quantiles" in data:
        q = data["quantiles"]
        console.print(f"{data['population']['n']} {p.text('people', lang)}, {data['days']} d")
        table = Table(show_header=True)
        table.add_column("")
        table.add_column(f"{p.text('median', lang)} {p.text('start', lang)}", justify="right")
        table.add_column(f"{p.text('median', lang)} {p.text('end', lang)}", justify="right")
        for key, label in _ROWS:
            table.add_row(
                p.text(label, lang), number(q[key]["p50"][0], lang), number(q[key]["p50"][-1], lang)
            )
        console.print(table)
        console.print(
            f"{p.text('fraction', lang).format(t=cut)}: "
            f"{number(data['fraction_deficient'][-1] * 100, lang, 1)} %"
        )
        console.print(
            f"{p.text('ever', lang)}: {number(data['fraction_ever_deficient'] * 100, lang, 1)} %"
        )
    else:
        table = Table(show_header=True)
        table.add_column("")
        table.add_column(p.text("start", lang), justify="right")
        table.add_column(p.text("end", lang), justify="right")
        table.add_column(p.text("first", lang), justify="right")
        first = data["first_day_beyond_threshold"]
        for key, label in _ROWS:
            day = first[key]
            table.add_row(
                p.text(label, lang),
                number(data[key][0], lang),
                number(data[key][-1], lang),
                "-" if day is None else str(day),
            )
        console.print(table)
        days = data["days_to_deficiency"]
        console.print(
            f"{p.text('days_to_def', lang).format(t=cut)}: "
            f"{p.text('never', lang) if days is None else days}"
        )
    for note in data["notes"]:
        console.print(f"  {p.text('note', lang)}: {note}")
    console.print(p.text("model_note", lang))
    return buf.getvalue()
