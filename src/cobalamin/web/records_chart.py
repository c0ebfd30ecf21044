"""A patient's trend chart as server-side SVG: one panel per test (B12, holoTC, MMA, Hb, and
homocysteine when measured), each on its own axis and in its own canonical unit, on one shared
time axis; doses given are dashed vertical lines through every panel. Black and grey only, and
every panel is labelled, so it reads the same printed in grey."""

from __future__ import annotations

import datetime as dt
from typing import Any
from xml.sax.saxutils import escape

from cobalamin.knowledge.registry import Knowledge
from cobalamin.knowledge.texts import Texts

__all__ = ["CHART_TESTS", "trend_svg"]

CHART_TESTS = ("b12", "holotc", "mma", "hb", "hcy")
_OPTIONAL = ("hcy",)  # drawn only when the patient has a value
_WIDTH, _PANEL, _GAP, _LEFT, _RIGHT, _TOP, _BOTTOM = 720, 96, 18, 120, 20, 26, 34
_LABELS = {"b12": "B12", "holotc": "holoTC", "mma": "MMA", "hb": "Hb", "hcy": "Hcy"}
_MARKERS = {  # a different marker per test, so panels differ without colour
    "b12": "circle",
    "holotc": "square",
    "mma": "triangle",
    "hb": "diamond",
    "hcy": "cross",
}


def _marker(kind: str, x: float, y: float) -> str:
    if kind == "circle":
        return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="#000"/>'
    if kind == "square":
        return f'<rect x="{x - 4:.1f}" y="{y - 4:.1f}" width="8" height="8" fill="#000"/>'
    if kind == "triangle":
        return f'<path d="M{x:.1f},{y - 5:.1f} L{x + 5:.1f},{y + 4:.1f} L{x - 5:.1f},{y + 4:.1f} Z" fill="#000"/>'
    if kind == "diamond":
        return f'<path d="M{x:.1f},{y - 5:.1f} L{x + 5:.1f},{y:.1f} L{x:.1f},{y + 5:.1f} L{x - 5:.1f},{y:.1f} Z" fill="#fff" stroke="#000" stroke-width="1.5"/>'
    return f'<path d="M{x - 4:.1f},{y - 4:.1f} L{x + 4:.1f},{y + 4:.1f} M{x - 4:.1f},{y + 4:.1f} L{x + 4:.1f},{y - 4:.1f}" stroke="#000" stroke-width="2"/>'


def _fmt(value: float) -> str:
    return f"{value:.3g}" if abs(value) < 1000 else f"{value:.0f}"


def _series(record: dict[str, Any]) -> dict[str, list[tuple[dt.date, float, str]]]:
    found: dict[str, list[tuple[dt.date, float, str]]] = {t: [] for t in CHART_TESTS}
    for sample in record["samples"]:
        day = dt.date.fromisoformat(sample["sample_date"])
        for result in sample["results"]:
            if result["test"] in found and isinstance(result["value"], int | float):
                found[result["test"]].append((day, float(result["value"]), result["unit"] or ""))
    return {t: sorted(v) for t, v in found.items() if v or t not in _OPTIONAL}


def trend_svg(record: dict[str, Any], knowledge: Knowledge, texts: Texts, lang: str) -> str:
    """The chart for ``storage.records.patient_record`` output."""
    series = _series(record)
    doses = sorted(dt.date.fromisoformat(d["date"]) for d in record["doses"])
    days = [d for points in series.values() for d, _, _ in points] + doses
    title = texts.get("records.chart.title", lang)
    height = _TOP + len(series) * (_PANEL + _GAP) + _BOTTOM
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_WIDTH} {height}" '
        f'width="{_WIDTH}" height="{height}" role="img" aria-labelledby="chart-title chart-desc" '
        'font-family="sans-serif" font-size="12">',
        f'<title id="chart-title">{escape(title)}</title>',
        f'<desc id="chart-desc">{escape(texts.get("records.chart.description", lang))}</desc>',
        f'<rect width="{_WIDTH}" height="{height}" fill="#fff"/>',
    ]
    if not days:
        out.append(
            f'<text x="{_LEFT}" y="{_TOP + 20}">{escape(texts.get("records.chart.empty", lang))}</text>'
        )
        out.append("</svg>")
        return "".join(out)
    first, last = min(days), max(days)
    span = max((last - first).days, 1)
    plot_width = _WIDTH - _LEFT - _RIGHT

    def x_of(day: dt.date) -> float:
        return _LEFT + plot_width * ((day - first).days / span if last != first else 0.5)

    bottom = height - _BOTTOM
    for day in doses:  # behind the data: dashed grey lines through every panel
        x = x_of(day)
        out.append(
            f'<line x1="{x:.1f}" y1="{_TOP - 6}" x2="{x:.1f}" y2="{bottom}" stroke="#666" '
            'stroke-dasharray="4 3" stroke-width="1"/>'
        )
        out.append(
            f'<path d="M{x - 5:.1f},{_TOP - 14} L{x + 5:.1f},{_TOP - 14} L{x:.1f},{_TOP - 6} Z" fill="#666"/>'
        )
    legend = texts.get("records.chart.doses", lang)
    out.append(
        f'<text x="{_LEFT - 8}" y="{_TOP - 7}" text-anchor="end" fill="#444">{escape(legend)}</text>'
    )
    for index, (test, points) in enumerate(series.items()):
        top = _TOP + index * (_PANEL + _GAP)
        name = knowledge.analytes[test].name.get(lang, test)
        unit = points[0][2] if points else (knowledge.analytes[test].canonical_unit or "")
        out.append(
            f'<rect x="{_LEFT}" y="{top}" width="{plot_width}" height="{_PANEL}" fill="none" '
            'stroke="#bbb"/>'
        )
        out.append(  # name and unit on the left, clear of the axis values
            f'<text x="8" y="{top + 16}" font-weight="bold">{escape(_LABELS[test])}</text>'
        )
        out.append(f'<text x="8" y="{top + 31}" fill="#444">{escape(unit)}</text>')
        out.append(f"<title>{escape(name)}</title>")
        if not points:
            out.append(
                f'<text x="{_LEFT + 8}" y="{top + _PANEL / 2 + 4:.1f}" fill="#666">'
                f"{escape(texts.get('records.chart.no_values', lang))}</text>"
            )
            continue
        values = [v for _, v, _ in points]
        low, high = min(values), max(values)
        pad = (high - low) * 0.15 or abs(high) * 0.15 or 1.0
        low, high = low - pad, high + pad

        def y_of(value: float, low: float = low, high: float = high, top: int = top) -> float:
            return top + _PANEL - (value - low) / (high - low) * _PANEL

        for value, y in ((low + pad, y_of(low + pad)), (high - pad, y_of(high - pad))):
            out.append(
                f'<text x="{_LEFT - 8}" y="{y + 4:.1f}" text-anchor="end" fill="#444" '
                f'font-size="10">{_fmt(value)}</text>'
            )
        if len(points) > 1:
            path = " ".join(
                f"{'M' if i == 0 else 'L'}{x_of(d):.1f},{y_of(v):.1f}"
                for i, (d, v, _) in enumerate(points)
            )
            out.append(f'<path d="{path}" fill="none" stroke="#000" stroke-width="1.5"/>')
        for day, value, _ in points:
            out.append(_marker(_MARKERS[test], x_of(day), y_of(value)))
            out.append(
                f'<text x="{x_of(day):.1f}" y="{y_of(value) - 8:.1f}" text-anchor="middle" '
                f'font-size="10">{_fmt(value)}</text>'
            )
    ticks = sorted({first, last, *(first + dt.timedelta(days=span * k // 4) for k in range(1, 4))})
    for day in ticks:
        x = x_of(day)
        anchor = "start" if day == first else "end" if day == last else "middle"
        out.append(
            f'<line x1="{x:.1f}" y1="{bottom}" x2="{x:.1f}" y2="{bottom + 5}" stroke="#000"/>'
        )
        out.append(
            f'<text x="{x:.1f}" y="{bottom + 18}" text-anchor="{anchor}" font-size="10">'
            f"{day.isoformat()}</text>"
        )
    out.append("</svg>")
    return "".join(out)
