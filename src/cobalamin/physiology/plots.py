"""Plots of a simulation result: stores and markers with thresholds and events.

Four panels, each on its own axis with its unit: stores (mg), serum B12 and holoTC (pmol/L),
MMA (µmol/L) and homocysteine (µmol/L). Injections are dotted lines with one legend entry (no
text per line, so labels never overlap); conditions present from day 0 are named once. Texts
come from ``data/physiology.yaml`` (``lang`` en or nl). matplotlib is imported only here, when
a plot is rendered. Returns the image as bytes (PNG or SVG); writing the file is the caller's.
"""

from __future__ import annotations

import io
from typing import Any, Literal

from cobalamin.physiology.simulate import SimulationResult

__all__ = ["render_plot"]

_DAYS_PER_MONTH = 365.25 / 12


def _series(data: dict[str, Any], key: str) -> tuple[list[float], list[float], list[float]]:
    """Median (or the value) and the p5-p95 band (empty for one person)."""
    if "quantiles" in data:
        q = data["quantiles"][key]
        return q["p50"], q["p5"], q["p95"]
    values: list[float] = data[key]
    return values, [], []


def render_plot(
    result: SimulationResult, fmt: Literal["png", "svg"] = "png", lang: str = "en"
) -> bytes:
    """The figure of a ``simulate`` result as PNG or SVG bytes."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    p = result.params

    def t(key: str) -> str:
        return p.text(key, lang)

    data = result.to_dict(lang)
    days = data["day"]
    span = days[-1] if days else 1
    if span > 3 * 365:
        scale, xlabel = 365.25, t("years")
    elif span > 90:
        scale, xlabel = _DAYS_PER_MONTH, t("months")
    else:
        scale, xlabel = 1.0, t("days")
    x = [d / scale for d in days]
    th = data["thresholds"]
    fig, axes = plt.subplots(4, 1, figsize=(8, 11), sharex=True)
    fig.suptitle(t("title"))

    def line(ax: Any, key: str, label: str, color: str, factor: float = 1.0) -> None:
        mid, lo, hi = _series(data, key)
        ax.plot(x, [v * factor for v in mid], color=color, label=label, linewidth=2)
        if lo:
            ax.fill_between(
                x,
                [v * factor for v in lo],
                [v * factor for v in hi],
                color=color,
                alpha=0.15,
                label=f"{label}: {t('band')}",
            )

    def limit(ax: Any, value: float, color: str, label: str) -> None:
        ax.axhline(value, color=color, linestyle="--", linewidth=1, label=f"{t('limit')} {label}")

    decimal = "," if lang == "nl" else "."

    def num(v: float) -> str:
        return f"{v:g}".replace(".", decimal)

    ax = axes[0]
    line(ax, "stores_ug", t("stores"), "tab:brown", 1e-3)
    limit(ax, th["stores_ug"] * 1e-3, "tab:brown", f"{num(th['stores_ug'] * 1e-3)} mg")
    ax.set_ylabel(t("axis_stores"))
    ax.set_title(t("panel_stores"), fontsize=10)

    ax = axes[1]
    line(ax, "serum_b12_pmol_l", t("serum_b12"), "tab:blue")
    line(ax, "holotc_pmol_l", t("holotc"), "tab:green")
    limit(ax, th["serum_b12_pmol_l"], "tab:blue", f"{num(th['serum_b12_pmol_l'])} pmol/L")
    limit(ax, th["holotc_pmol_l"], "tab:green", f"{num(th['holotc_pmol_l'])} pmol/L")
    ax.set_ylabel(t("axis_serum"))
    ax.set_title(t("panel_serum"), fontsize=10)

    ax = axes[2]
    line(ax, "mma_umol_l", t("mma"), "tab:red")
    limit(ax, th["mma_umol_l"], "tab:red", f"{num(th['mma_umol_l'])} µmol/L")
    ax.set_ylabel(t("axis_mma"))
    ax.set_title(t("panel_mma"), fontsize=10)

    ax = axes[3]
    line(ax, "hcy_umol_l", t("hcy"), "tab:purple")
    limit(ax, th["hcy_umol_l"], "tab:purple", f"{num(th['hcy_umol_l'])} µmol/L")
    ax.set_ylabel(t("axis_hcy"))
    ax.set_title(t("panel_hcy"), fontsize=10)
    ax.set_xlabel(xlabel)

    injections = [e for e in data["events"] if e["kind"] == "injection"]
    conditions = [e for e in data["events"] if e["kind"] == "condition"]
    for i, event in enumerate(injections):
        ex = event["day"] / scale
        for a in axes:
            a.axvline(
                ex,
                color="grey",
                linestyle=":",
                linewidth=1,
                label=(t("injections") if len(injections) > 1 else t("injection"))
                if (i == 0 and a is axes[0])
                else None,
            )
    if conditions:
        names = ", ".join(str(e["id"]).replace("_", " ") for e in conditions)
        axes[0].text(
            0.01,
            0.04,
            f"{t('condition')}: {names}",
            transform=axes[0].transAxes,
            fontsize=8,
            color="grey",
        )
    for a in axes:
        a.set_ylim(bottom=0)
        a.legend(fontsize=7, loc="best")  # where it hides the least of the curves
        a.grid(alpha=0.3)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt, dpi=110)
    plt.close(fig)
    return buf.getvalue()
