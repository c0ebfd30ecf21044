"""Person columns of a lab file: messy text normalised once per distinct value, errors named."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cobalamin import default_knowledge
from cobalamin.batch.io import read_lab_file

Frames = tuple[pl.DataFrame, pl.DataFrame]


def _read(tmp_path: Path, columns: dict[str, list[Any]], suffix: str = ".csv") -> Frames:
    rows = len(next(iter(columns.values())))
    data = {"sample_id": [f"S{i}" for i in range(rows)], "b12": [300.0] * rows, **columns}
    path = tmp_path / f"wide{suffix}"
    frame = pl.DataFrame(data)
    frame.write_csv(path) if suffix == ".csv" else frame.write_parquet(path)
    lab = read_lab_file(path, default_knowledge())
    return lab.facts.collect(), lab.errors.collect()


def test_messy_words_are_normalised(tmp_path: Path) -> None:
    facts, errors = _read(
        tmp_path,
        {
            "sex": [" Female ", "MALE", "", "female"],
            "diet": ["Vegan", " vegetarian", None, "OMNIVORE"],
            "pregnant": ["JA", "nee", "", "True"],
            "medications": ["Metformin:24 | PPI", "ppi;metformin", "", " ; "],
        },
    )
    assert errors.is_empty()
    assert facts["sex"].to_list() == ["female", "male", None, "female"]
    assert facts["diet"].to_list() == ["vegan", "vegetarian", None, "omnivore"]
    assert facts["pregnant"].to_list() == [True, False, False, True]
    assert facts["medications"].to_list() == [";metformin;ppi;", ";metformin;ppi;", ";", ";"]


def test_sex_codes_from_the_vocabulary(tmp_path: Path) -> None:
    """Dutch and English words and HL7 administrative sex (table 0001); unknown is no sex."""
    facts, errors = _read(tmp_path, {"sex": ["V", "vrouw", "M", "man", "F", "U", "onbekend", "O"]})
    assert errors.is_empty()
    assert facts["sex"].to_list() == [
        "female",
        "female",
        "male",
        "male",
        "female",
        None,
        None,
        None,
    ]


def test_bad_person_values_name_the_field_and_what_is_allowed(tmp_path: Path) -> None:
    facts, errors = _read(
        tmp_path,
        {
            "sex": ["female", "x", "female", "female", "male", "female"],
            "pregnant": ["true", "false", "maybe", "false", "true", "true"],
            "trimester": ["2.0", None, None, "2", None, "4"],
            "symptoms": ["fatigue", None, None, None, None, "headache"],
        },
    )
    assert facts["sample_id"].to_list() == ["S0"]
    assert facts["trimester"].to_list() == ["2"]
    reasons = {row["sample_id"]: (row["field"], row["reason"]) for row in errors.to_dicts()}
    assert reasons["S1"][0] == "sex"
    assert reasons["S1"][1].startswith("unknown sex value 'x' (allowed: female (F, V,")
    assert reasons["S2"] == ("pregnant", "must be true or false")
    assert reasons["S3"] == ("trimester", "given but pregnant is false")
    assert reasons["S4"] == ("pregnant", "pregnant is true but sex is male")
    assert reasons["S5"] == ("trimester", "must be 1, 2 or 3")  # the first error of the row


def test_typed_parquet_columns(tmp_path: Path) -> None:
    facts, errors = _read(
        tmp_path,
        {"pregnant": [True, False, None], "trimester": [3, None, None], "age": [30, 40, None]},
        suffix=".parquet",
    )
    assert errors.is_empty()
    assert facts["pregnant"].to_list() == [True, False, False]
    assert facts["trimester"].to_list() == ["3", None, None]
    assert facts["age"].to_list() == [30.0, 40.0, None]


def _messy(word: str) -> st.SearchStrategy[str]:
    cased = st.sampled_from([word, word.upper(), word.capitalize()])
    space = st.sampled_from(["", " ", "  ", "\t"])
    return st.tuples(space, cased, space).map("".join)


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    st.lists(
        st.tuples(
            st.sampled_from(sorted(default_knowledge().vocabulary.terms("diet"))).flatmap(_messy),
            st.lists(
                st.sampled_from(sorted(default_knowledge().vocabulary.terms("symptoms"))),
                max_size=4,
            ),
            st.sampled_from([";", ",", "|", " ; "]),
        ),
        min_size=1,
        max_size=30,
    )
)
def test_any_spelling_of_a_known_word_gives_its_id(rows: list[tuple[str, list[str], str]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        facts, errors = _read(
            Path(folder),
            {
                "diet": [diet for diet, _, _ in rows],
                "symptoms": [sep.join(s.upper() for s in items) for _, items, sep in rows],
            },
        )
    assert errors.is_empty()
    assert facts["diet"].to_list() == [diet.strip().lower() for diet, _, _ in rows]
    want = ["".join(f";{s}" for s in sorted(set(items))) + ";" for _, items, _ in rows]
    assert facts["symptoms"].to_list() == want


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.text(max_size=12), min_size=1, max_size=20))
def test_any_text_is_a_value_or_a_named_error(texts: list[str]) -> None:
    """No text crashes the reader; every row is interpreted or rejected, never both or neither."""
    with tempfile.TemporaryDirectory() as folder:
        facts, errors = _read(
            Path(folder), {"sex": texts, "medications": texts, "date": texts}, ".parquet"
        )
    assert facts.height + errors.height == len(texts)
    assert set(errors["field"].to_list()) <= {"sex", "medications", "date"}
    assert all(errors["reason"].to_list())
