"""Every parameter of data/physiology.yaml has a source or says what it was calibrated to."""

from __future__ import annotations

from typing import Any

import pytest

from cobalamin import default_knowledge
from cobalamin.errors import KnowledgeError
from cobalamin.knowledge.physiology import Param, all_params, load_parameters, raw_parameters


def _leaves(node: Any, where: str = "") -> list[tuple[str, dict[str, Any]]]:
    """Every mapping with a ``value`` key, wherever it is in the file."""
    if isinstance(node, dict):
        if "value" in node:
            return [(where, node)]
        return [leaf for k, v in node.items() for leaf in _leaves(v, f"{where}.{k}")]
    return []


def test_every_number_has_provenance() -> None:
    leaves = _leaves(raw_parameters())
    assert len(leaves) == len(all_params()) > 40
    for where, node in leaves:
        assert node.get("status") in {"sourced", "derived", "assumption", "calibrated"}, where
        if node["status"] == "calibrated":
            assert node.get("calibrated_to"), where
        assert node.get("source"), where  # bibliography ids (checked by the knowledge registry)


def test_calibrated_without_observation_is_rejected() -> None:
    with pytest.raises(ValueError, match="calibrated to"):
        Param.model_validate({"value": 1, "unit": "x", "status": "calibrated"})
    with pytest.raises(ValueError, match="source"):
        Param.model_validate({"value": 1, "unit": "x", "status": "sourced"})


def test_key_values() -> None:
    p = load_parameters()
    assert p.threshold_serum == 148
    # share of biliary B12 reabsorbed at the biliary flow of a 2.5 mg store (saturable IF route)
    flow = p.k_bile * 2500
    r0 = (
        p.bile_reabsorption_low
        * p.bile_half_saturation_ug_per_day
        / (p.bile_half_saturation_ug_per_day + flow)
    )
    assert p.k_urine + p.k_bile * (1 - r0) == pytest.approx(0.001, abs=3e-5)
    assert p.k_urine + p.k_bile == pytest.approx(0.002)
    assert p.modifiers["pernicious_anaemia"].s_if == 0
    assert p.modifiers["ppi"].food_release == pytest.approx(0.2)
    assert "sleeve_gastrectomy" in p.not_modelled and "ileal_resection" in p.not_modelled
    assert p.modifiers["metformin"].s_if < 1 and p.modifiers["h2_blocker"].food_release < 1


def test_citations_are_original_references() -> None:
    """Sources name the original work, never our working notes or their sections."""
    for where, param in all_params().items():
        text = f"{param.detail or ''} {param.calibrated_to or ''} {param.note or ''}"
        for banned in ("notes s", "physiology.md", "clinical.md", "§", "seed 00"):
            assert banned not in text, (where, banned)


def test_sources_are_bibliography_ids() -> None:
    bibliography = default_knowledge().sources
    for where, param in all_params().items():
        assert param.source and all(i in bibliography for i in param.source), where
    calibrated = [p for p in all_params().values() if p.status == "calibrated"]
    assert all("cobalamin-physiology-calibrated" in p.source for p in calibrated)


def test_not_modelled_texts_in_both_languages() -> None:
    p = load_parameters()
    for key, text in p.not_modelled.items():
        assert text.en and text.nl and text.en != text.nl, key


def test_knowledge_error_type_exists() -> None:
    assert issubclass(KnowledgeError, Exception)
