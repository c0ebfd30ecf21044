"""Every pack covers the whole plausible range of every input it reads (hypothesis)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from cobalamin import builtin_pack_ids, default_knowledge, load_pack
from cobalamin.engine import evaluate
from cobalamin.knowledge.model import DEFICIENCY_VALUES


def _fact_values() -> st.SearchStrategy[dict[str, object]]:
    parts = {}
    for name, spec in default_knowledge().facts.items():
        if spec.kind == "number":
            assert spec.low is not None and spec.high is not None
            value: st.SearchStrategy[object] = st.floats(spec.low, spec.high, allow_nan=False)
        elif spec.kind == "category":
            value = st.sampled_from(spec.values)
        elif spec.kind == "boolean":
            value = st.booleans()
        else:
            value = st.frozensets(st.sampled_from(spec.values), max_size=4)
        parts[name] = st.none() | value if spec.optional else value
    return st.fixed_dictionaries(parts)


@settings(max_examples=300, deadline=None)
@given(facts=_fact_values(), pack_id=st.sampled_from(builtin_pack_ids()))
def test_every_plausible_input_gets_a_conclusion(facts: dict[str, object], pack_id: str) -> None:
    result = evaluate(load_pack(pack_id), facts)  # type: ignore[arg-type]
    assert result.facts["deficiency"] in DEFICIENCY_VALUES
    assert isinstance(result.facts.get("severe", False), bool)
