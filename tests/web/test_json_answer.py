"""``json_answer`` writes the bytes FastAPI's own JSON answer would (encoder, then
JSONResponse), only faster: for any JSON-like data, with dates and tuples in it too."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from hypothesis import given
from hypothesis import strategies as st

from cobalamin.facade import simulate
from cobalamin.web.responses import json_answer

LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(),
    st.dates(),
    st.datetimes(),
)
DATA = st.recursive(
    LEAVES,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.tuples(inner, inner),
        st.dictionaries(st.text(max_size=5), inner, max_size=4),
    ),
    max_leaves=20,
)


def _fastapi_body(data: Any) -> bytes:
    return bytes(JSONResponse(jsonable_encoder(data)).body)


@given(DATA)
def test_the_same_bytes_as_fastapi_for_any_json_like_data(data: Any) -> None:
    answer = json_answer(data)
    assert answer.media_type == "application/json"
    assert bytes(answer.body) == _fastapi_body(data)


def test_a_simulation_and_a_date_are_written_alike() -> None:
    result = simulate({"days": 400}).to_dict()
    assert bytes(json_answer(result).body) == _fastapi_body(result)
    assert json_answer({"day": dt.date(2026, 12, 2)}).body == b'{"day":"2026-12-02"}'
