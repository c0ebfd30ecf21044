"""Plots render for one person and for a population, as PNG and SVG, and read right."""

from __future__ import annotations

import re

from cobalamin import simulate
from cobalamin.physiology.plots import render_plot
from cobalamin.physiology.simulate import SimulationResult


def _person() -> SimulationResult:
    return simulate(
        {
            "person": {"conditions": ["gastric_bypass"]},
            "intake": {"food_ug_per_day": 5},
            "supplements": [{"route": "im", "dose_ug": 1000, "every_days": 7, "start_day": 100}],
            "days": 200,
        }
    )


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


def _texts(svg: str) -> list[str]:
    # matplotlib writes each text as a comment before its glyphs
    return re.findall(r"<!-- (.*?) -->", svg)


def test_homocysteine_has_its_own_axis_and_every_axis_a_unit() -> None:
    svg = render_plot(_person(), "svg").decode()
    texts = _texts(svg)
    for label in (
        "stores (mg)",
        "concentration (pmol/L)",
        "MMA (µmol/L)",
        "homocysteine (µmol/L)",
        "time (months)",
    ):
        assert label in texts, label
    assert not any("÷" in t for t in texts)  # homocysteine is no longer scaled onto MMA's axis


def test_many_injections_get_one_label() -> None:
    svg = render_plot(_person(), "svg").decode()
    texts = _texts(svg)
    assert texts.count("injections") == 1
    assert "injection" not in texts


def test_dutch_labels() -> None:
    svg = render_plot(_person(), "svg", "nl").decode()
    texts = _texts(svg)
    assert "homocysteïne (µmol/L)" in texts and "tijd (maanden)" in texts
    assert "Vitamine B12 in de tijd (modelschatting, geen diagnose)" in texts
