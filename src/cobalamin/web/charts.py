"""Charts as SVG, drawn on the server: no script, no library, no colour needed to read them.

Every series has its own dash pattern and point marker and is named at its end of the line;
bars have their own fill pattern and carry their value as text; limits are dashed grey lines
with a label. One chart has one y axis: a caller that needs two units draws two charts
(homocysteine always gets its own). Texts arrive already translated.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from itertools import count

__all__ = ["Bar", "Limit", "Series", "bar_chart", "line_chart", "nice_ticks"]

_WIDTH, _HEIGHT = 640, 300
_LEFT, _RIGHT, _TOP, _BOTTOM = 64, 150, 36, 48
_DASHES = ("", "8 4", "2 3", "10 3 2 3")
_MARKERS = ("circle", "square", "triangle", "diamond")
_INK = "#1a1a1a"
_GREY = "#6b6b6b"
_ids = count(1)


@dataclass(frozen=True)
class Series:
    label: str
    values: Sequence[float | None]


@dataclass(frozen=True)
class Limit:
    label: str
    value: float


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    text: str  # the value as people read it (unit included)


def nice_ticks(low: float, high: float, wanted: int = 5) -> list[float]:
    """Round tick values covering ``low``..``high``."""
    if not math.isfinite(low) or not math.isfinite(high):
        return [0.0, 1.0]
    if high <= low:
        high = low + (abs(low) or 1.0)
    raw = (high - low) / max(wanted, 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    start = math.floor(low / step) * step
    ticks = []
    value = start
    while value < high + step * 0.999:
        ticks.append(round(value, 10))
        value += step
    return ticks


def _fmt(value: float, decimal_comma: bool) -> str:
    text = f"{value:.6g}" if abs(value) < 1e6 else f"{value:.3g}"
    return text.replace(".", ",") if decimal_comma else text


def _marker(kind: str, x: float, y: float) -> str:
    if kind == "circle":
        return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="white" stroke="{_INK}"/>'
    if kind == "square":
        return f'<rect x="{x - 3.5:.1f}" y="{y - 3.5:.1f}" width="7" height="7" fill="{_INK}"/>'
    if kind == "triangle":
        points = f"{x:.1f},{y - 4.5:.1f} {x - 4:.1f},{y + 3:.1f} {x + 4:.1f},{y + 3:.1f}"
        return f'<polygon points="{points}" fill="{_INK}"/>'
    points = (
        f"{x:.1f},{y - 4.5:.1f} {x + 4.5:.1f},{y:.1f} {x:.1f},{y + 4.5:.1f} {x - 4.5:.1f},{y:.1f}"
    )
    return f'<polygon points="{points}" fill="white" stroke="{_INK}"/>'


def _frame(title: str, description: str, body: list[str], height: int = _HEIGHT) -> str:
    number = next(_ids)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_WIDTH} {height}" '
        f'class="chart" role="img" aria-labelledby="chart-title-{number} chart-desc-{number}" '
        f'font-family="sans-serif" font-size="12">'
        f'<title id="chart-title-{number}">{escape(title)}</title>'
        f'<desc id="chart-desc-{number}">{escape(description)}</desc>'
        f'<rect width="{_WIDTH}" height="{height}" fill="white"/>'
        f'<text x="{_LEFT}" y="20" font-size="14" font-weight="bold" fill="{_INK}">'
        f"{escape(title)}</text>" + "".join(body) + "</svg>"
    )


def line_chart(
    title: str,
    x: Sequence[float],
    series: Sequence[Series],
    *,
    x_label: str,
    y_label: str,
    limits: Sequence[Limit] = (),
    description: str = "",
    decimal_comma: bool = False,
    max_points: int = 400,
) -> str:
    """Lines over a shared x axis, one y axis, optional limit lines."""
    step = max(1, math.ceil(len(x) / max_points))
    keep = list(range(0, len(x), step))
    if keep and keep[-1] != len(x) - 1:
        keep.append(len(x) - 1)
    xs = [float(x[i]) for i in keep]
    found = [
        float(v) for s in series for v in s.values if v is not None and math.isfinite(float(v))
    ] + [limit.value for limit in limits]
    low = min([0.0, *found])
    high = max(found) if found else 1.0
    y_ticks = nice_ticks(low, high * 1.05 if high > 0 else 1.0)
    x_ticks = nice_ticks(min(xs) if xs else 0.0, max(xs) if xs else 1.0, 6)
    x0, x1 = x_ticks[0], x_ticks[-1]
    y0, y1 = y_ticks[0], y_ticks[-1]
    plot_w = _WIDTH - _LEFT - _RIGHT
    plot_h = _HEIGHT - _TOP - _BOTTOM

    def px(value: float) -> float:
        return _LEFT + (value - x0) / ((x1 - x0) or 1) * plot_w

    def py(value: float) -> float:
        return _TOP + plot_h - (value - y0) / ((y1 - y0) or 1) * plot_h

    body: list[str] = []
    for tick in y_ticks:
        y = py(tick)
        body.append(
            f'<line x1="{_LEFT}" x2="{_LEFT + plot_w}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="#d9d9d9"/><text x="{_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" '
            f'fill="{_INK}">{_fmt(tick, decimal_comma)}</text>'
        )
    for tick in x_ticks:
        xx = px(tick)
        body.append(
            f'<line x1="{xx:.1f}" x2="{xx:.1f}" y1="{_TOP + plot_h}" y2="{_TOP + plot_h + 4}" '
            f'stroke="{_INK}"/><text x="{xx:.1f}" y="{_TOP + plot_h + 17}" '
            f'text-anchor="middle" fill="{_INK}">{_fmt(tick, decimal_comma)}</text>'
        )
    body.append(
        f'<line x1="{_LEFT}" x2="{_LEFT}" y1="{_TOP}" y2="{_TOP + plot_h}" stroke="{_INK}"/>'
        f'<line x1="{_LEFT}" x2="{_LEFT + plot_w}" y1="{_TOP + plot_h}" y2="{_TOP + plot_h}" '
        f'stroke="{_INK}"/>'
        f'<text x="{_LEFT + plot_w / 2:.1f}" y="{_HEIGHT - 8}" text-anchor="middle" '
        f'fill="{_INK}">{escape(x_label)}</text>'
        f'<text transform="translate(14 {_TOP + plot_h / 2:.1f}) rotate(-90)" '
        f'text-anchor="middle" fill="{_INK}">{escape(y_label)}</text>'
    )
    for limit in limits:
        y = py(limit.value)
        body.append(
            f'<line x1="{_LEFT}" x2="{_LEFT + plot_w}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="{_GREY}" stroke-width="1.5" stroke-dasharray="3 5"/>'
            f'<text x="{_LEFT + plot_w + 6}" y="{y + 4:.1f}" fill="{_GREY}">'
            f"{escape(limit.label)}</text>"
        )
    label_ys: list[float] = []
    for index, item in enumerate(series):
        dash = _DASHES[index % len(_DASHES)]
        marker = _MARKERS[index % len(_MARKERS)]
        points = []
        for k, i in enumerate(keep):
            value = item.values[i] if i < len(item.values) else None
            if value is not None and math.isfinite(float(value)):
                points.append((px(xs[k]), py(float(value))))
        if not points:
            continue
        path = " ".join(f"{a:.1f},{b:.1f}" for a, b in points)
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        body.append(
            f'<polyline points="{path}" fill="none" stroke="{_INK}" stroke-width="2"{dash_attr}/>'
        )
        every = max(1, len(points) // 6)
        for k in range(index % every, len(points), every):
            body.append(_marker(marker, *points[k]))
        body.append(_marker(marker, *points[-1]))
        label_y = points[-1][1] + 4
        while any(abs(label_y - used) < 14 for used in label_ys):
            label_y += 14
        label_ys.append(label_y)
        body.append(
            f'<text x="{points[-1][0] + 8:.1f}" y="{label_y:.1f}" fill="{_INK}">'
            f"{escape(item.label)}</text>"
        )
    return _frame(title, description, body)


def bar_chart(title: str, bars: Sequence[Bar], *, unit_label: str, description: str = "") -> str:
    """Horizontal bars, each with its own fill pattern and its value written beside it."""
    number = next(_ids)
    patterns = (
        f'<pattern id="p{number}-0" width="6" height="6" patternUnits="userSpaceOnUse">'
        f'<rect width="6" height="6" fill="{_INK}"/></pattern>',
        f'<pattern id="p{number}-1" width="6" height="6" patternUnits="userSpaceOnUse" '
        f'patternTransform="rotate(45)"><rect width="6" height="6" fill="white"/>'
        f'<line x1="0" y1="0" x2="0" y2="6" stroke="{_INK}" stroke-width="3"/></pattern>',
        f'<pattern id="p{number}-2" width="6" height="6" patternUnits="userSpaceOnUse">'
        f'<rect width="6" height="6" fill="white"/><circle cx="3" cy="3" r="1.5" '
        f'fill="{_INK}"/></pattern>',
        f'<pattern id="p{number}-3" width="8" height="8" patternUnits="userSpaceOnUse">'
        f'<rect width="8" height="8" fill="white"/><path d="M0,4 H8 M4,0 V8" '
        f'stroke="{_INK}"/></pattern>',
    )
    left, right = 210, 110
    plot_w = _WIDTH - left - right
    top = _TOP + 6
    row = 44
    height = int(top + row * len(bars) + _BOTTOM)
    high = max([b.value for b in bars] + [0.0])
    ticks = nice_ticks(0.0, high if high > 0 else 1.0, 5)
    scale = plot_w / (ticks[-1] or 1)
    body = ["<defs>" + "".join(patterns) + "</defs>"]
    bottom = top + row * len(bars)
    for tick in ticks:
        xx = left + tick * scale
        body.append(
            f'<line x1="{xx:.1f}" x2="{xx:.1f}" y1="{top}" y2="{bottom:.1f}" stroke="#d9d9d9"/>'
            f'<text x="{xx:.1f}" y="{bottom + 16:.1f}" text-anchor="middle" fill="{_INK}">'
            f"{_fmt(tick, False)}</text>"
        )
    for index, bar in enumerate(bars):
        y = top + index * row + 6
        height = row - 14
        width = max(bar.value * scale, 1.0)
        body.append(
            f'<text x="{left - 8}" y="{y + height / 2 + 4:.1f}" text-anchor="end" '
            f'fill="{_INK}">{escape(bar.label)}</text>'
            f'<rect x="{left}" y="{y:.1f}" width="{width:.1f}" height="{height:.1f}" '
            f'fill="url(#p{number}-{index % len(patterns)})" stroke="{_INK}"/>'
            f'<text x="{left + width + 6:.1f}" y="{y + height / 2 + 4:.1f}" fill="{_INK}" '
            f'font-weight="bold">{escape(bar.text)}</text>'
        )
    body.append(
        f'<line x1="{left}" x2="{left}" y1="{top}" y2="{bottom:.1f}" stroke="{_INK}"/>'
        f'<text x="{left + plot_w / 2:.1f}" y="{height - 8}" text-anchor="middle" '
        f'fill="{_INK}">{escape(unit_label)}</text>'
    )
    return _frame(title, description, body, height)
