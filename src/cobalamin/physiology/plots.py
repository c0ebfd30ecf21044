"""Plots of a simulation result: stores and markers with thresholds and events.

Returns the image as bytes (PNG or SVG); writing the file is the caller's job.
"""

from __future__ import annotations

import io
from typing import Any, Literal

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

__all__ = ["render_plot"]

_TEXT = {
    "en": {
        "stores": "Body stores of B12 (mg)",
        "serum": "Blood values (pmol/L)",
        "marker": "Signs of shortage in cells (µmol/L)",
        "days": "days",
        "months": "months",
        "years": "years",
        "serum_b12": "total B12",
        "holotc": "active B12 (holoTC)",
        "mma": "MMA",
        "hcy": "homocysteine (÷10)",
        "limit": "limit",
        "injection": "injection",
        "title": "Vitamin B12 over time (model estimate, not a diagnosis)",
        "band": "middle 90 % of people",
    },
    "nl": {
        "stores": "B12-voorraad in het lichaam (mg)",
        "serum": "Bloedwaarden (pmol/L)",
        "marker": "Tekenen van tekort in cellen (µmol/L)",
        "days": "dagen",
        "months": "maanden",
        "years": "jaren",
        "serum_b12": "totaal B12",
        "holotc": "actief B12 (holoTC)",
        "mma": "MMA",
        "hcy": "homocysteïne (÷10)",
        "limit": "grens",
        "injection": "injectie",
        "title": "Vitamine B12 in de tijd (modelschatting, geen diagnose)",
        "band": "middelste 90 % van de mensen",
    },
}

_DAYS_PER_MONTH = 365.25 / 12


def _series(result: dict[str, Any], key: str) -> tuple[list[float], list[float], list[float]]:
    """Median (or the value) and the p5-p95 band (empty for one person)."""
    if "quantiles" in result:
        q = result["quantiles"][key]
        return q["p50"], q["p5"], q["p95"]
    values: list[float] = result[key]
    return values, [], []


def render_plot(
    result: dict[str, Any], fmt: Literal["png", "svg"] = "png", lang: str = "en"
) -> bytes:
    """The figure of a ``simulate`` result as PNG or SVG bytes."""
    t = _TEXT.get(lang, _TEXT["en"])
    days = result["day"]
    span = days[-1] if days else 1
    if span > 3 * 365:
        scale, unit = 365.25, t["years"]
    elif span > 90:
        scale, unit = _DAYS_PER_MONTH, t["months"]
    else:
        scale, unit = 1.0, t["days"]
    x = [d / scale for d in days]
    th = result["thresholds"]
    fig, axes = plt.subplots(3, 1, figsize=(8, 9), sharex=True)
    fig.suptitle(t["title"])

    def line(ax: Any, key: str, label: str, color: str, factor: float = 1.0) -> None:
        mid, lo, hi = _series(result, key)
        ax.plot(x, [v * factor for v in mid], color=color, label=label, linewidth=2)
        if lo:
            ax.fill_between(
                x,
                [v * factor for v in lo],
                [v * factor for v in hi],
                color=color,
                alpha=0.15,
                label=f"{label}: {t['band']}",
            )

    def limit(ax: Any, value: float, color: str, label: str, at: float = 0.0) -> None:
        ax.axhline(value, color=color, linestyle="--", linewidth=1)
        where = x[0] + at * (x[-1] - x[0])
        ax.annotate(
            f"{t['limit']} {label}",
            (where, value),
            color=color,
            fontsize=8,
            xytext=(2, 2),
            textcoords="offset points",
        )

    ax = axes[0]
    line(ax, "stores_ug", t["stores"], "tab:brown", 1e-3)
    limit(ax, th["stores_ug"] * 1e-3, "tab:brown", f"{th['stores_ug'] * 1e-3:g} mg")
    ax.set_ylabel("mg")
    ax.set_ylim(bottom=0)
    ax.set_title(t["stores"], fontsize=10)

    ax = axes[1]
    line(ax, "serum_b12_pmol_l", t["serum_b12"], "tab:blue")
    line(ax, "holotc_pmol_l", t["holotc"], "tab:green")
    limit(ax, th["serum_b12_pmol_l"], "tab:blue", f"{th['serum_b12_pmol_l']:g}")
    limit(ax, th["holotc_pmol_l"], "tab:green", f"{th['holotc_pmol_l']:g}", 0.4)
    ax.set_ylabel("pmol/L")
    ax.set_ylim(bottom=0)
    ax.set_title(t["serum"], fontsize=10)

    ax = axes[2]
    line(ax, "mma_umol_l", t["mma"], "tab:red")
    line(ax, "hcy_umol_l", t["hcy"], "tab:purple", 0.1)
    limit(ax, th["mma_umol_l"], "tab:red", f"MMA {th['mma_umol_l']:g}")
    limit(ax, th["hcy_umol_l"] * 0.1, "tab:purple", f"Hcy {th['hcy_umol_l']:g}", 0.4)
    ax.set_ylabel("µmol/L")
    ax.set_ylim(bottom=0)
    ax.set_title(t["marker"], fontsize=10)
    ax.set_xlabel(unit)

    for event in result.get("events", []):
        ex = event["day"] / scale
        label = t["injection"] if event["kind"] == "injection" else str(event.get("id", ""))
        for a in axes:
            a.axvline(ex, color="grey", linestyle=":", linewidth=1)
        axes[0].annotate(
            label,
            (ex, 0),
            rotation=90,
            fontsize=7,
            color="grey",
            xytext=(2, 2),
            textcoords="offset points",
        )
    for a in axes:
        a.legend(fontsize=8, loc="upper right")
        a.grid(alpha=0.3)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt, dpi=110)
    plt.close(fig)
    return buf.getvalue()
