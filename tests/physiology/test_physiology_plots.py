"""Plots render for one person and for a population, as PNG and SVG."""

from __future__ import annotations

from cobalamin.physiology.plots import render_plot
from cobalamin.physiology.simulate import simulate


def test_png_and_svg_for_one_person() -> None:
    result = simulate(
        {
            "person": {"conditions": ["gastric_bypass"]},
            "intake": {"food_ug_per_day": 5},
            "injections": [{"day": 100, "dose_ug": 1000}],
            "days": 200,
        }
    )
    png = render_plot(result, "png")
    assert png.startswith(b"\x89PNG")
    svg = render_plot(result, "svg", "nl").decode()
    assert "<svg" in svg
    assert "injectie" in svg


def test_population_plot() -> None:
    result = simulate(
        {"intake": {"food_ug_per_day": 1}, "days": 60, "population": {"n": 100, "every_days": 5}}
    )
    assert render_plot(result, "png").startswith(b"\x89PNG")
