"""Every parameter of data/physiology.yaml has a source or says what it was calibrated to."""

from __future__ import annotations

from typing import Any

import pytest

from cobalamin._errors import KnowledgeError
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
        else:
            assert node.get("source"), where


def test_calibrated_without_observation_is_rejected() -> None:
    with pytest.raises(ValueError, match="calibrated to"):
        Param.model_validate({"value": 1, "unit": "x", "status": "calibrated"})
    with pytest.raises(ValueError, match="source"):
        Param.model_validate({"value": 1, "unit": "x", "status": "sourced"})


def test_key_values() -> None:
    p = load_parameters()
    assert p.threshold_serum == 148
    assert p.k_urine + p.k_bile * (1 - p.bile_reabsorption_r0) == pytest.approx(0.001, abs=3e-5)
    assert p.k_urine + p.k_bile == pytest.approx(0.002)
    assert p.modifiers["pernicious_anaemia"].s_if == 0
    assert p.modifiers["ppi"].food_release == pytest.approx(0.2)
    assert "sleeve_gastrectomy" in p.not_modelled and "metformin" in p.not_modelled


def test_knowledge_error_type_exists() -> None:
    assert issubclass(KnowledgeError, Exception)
