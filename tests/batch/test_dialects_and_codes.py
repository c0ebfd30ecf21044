"""Reading real exports: separators, encodings, and a site's local code file."""

from __future__ import annotations

from pathlib import Path

import pytest

from cobalamin import default_knowledge
from cobalamin.batch.dialect import detect_dialect
from cobalamin.errors import KnowledgeError
from cobalamin.knowledge.local_codes import LocalCodes

EXAMPLES = Path(__file__).parents[2] / "examples"


@pytest.mark.parametrize(
    ("text", "separator"),
    [
        ("sample_id,test,value\nA,b12,180\n", ","),
        ("sample_id;test;value\nA;b12;0,52\n", ";"),
        ("sample_id\ttest\tvalue\nA\tb12\t180\n", "\t"),
        ('sample_id,conditions,value\nA,"coeliac_disease;sjogren",180\n', ","),
        ("sample_id;conditions;value\nA;coeliac_disease,sjogren;0,5\n", ";"),
        ("sample_id\nA\n", ","),
    ],
)
def test_the_separator_is_detected(tmp_path: Path, text: str, separator: str) -> None:
    path = tmp_path / "x.csv"
    path.write_text(text)
    assert detect_dialect(path).separator == separator


def test_windows_1252_is_read_as_such(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes("sample_id;test;value;unit\r\nA;mma;0,5;µmol/L\r\n".encode("cp1252"))
    found = detect_dialect(path)
    assert found.encoding == "windows-1252" and found.path != path
    assert "µmol/L" in found.path.read_text(encoding="utf-8")
    utf8 = tmp_path / "y.csv"
    utf8.write_bytes("\ufeffsample_id;test\r\nA;b12\r\n".encode())
    assert detect_dialect(utf8).describe() == "semicolon-separated, utf-8"


def test_the_example_code_file_loads() -> None:
    codes = LocalCodes.load(EXAMPLES / "local-codes.yaml", default_knowledge().analytes)
    assert codes.lookup("vitb12") is not None and codes.lookup(" VITB12 ").test == "b12"  # type: ignore[union-attr]
    assert codes.lookup("MMA-S", "99LAB") is not None and codes.lookup("MMA-S", "LN") is None


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("codes:\n  X1: {test: vitd}\n", "line 2.*unknown test 'vitd'"),
        ("codes:\n  X1: {test: b12, unit: furlong}\n", "line 2.*unknown unit"),
        ("codes:\n  X1: {test: b12}\n  x1: {test: mma}\n", "given twice"),
        ("codes:\n  X1: {tset: b12}\n", "codes.X1"),
    ],
)
def test_a_bad_code_file_names_the_line_and_the_code(tmp_path: Path, text: str, says: str) -> None:
    path = tmp_path / "codes.yaml"
    path.write_text(text)
    with pytest.raises(KnowledgeError, match=says):
        LocalCodes.load(path, default_knowledge().analytes)


def test_a_csv_code_file(tmp_path: Path) -> None:
    path = tmp_path / "codes.csv"
    path.write_text("code;test;unit\nVITB12;b12;ng/L\nHC;hcy;\n")
    codes = LocalCodes.load(path, default_knowledge().analytes)
    assert (codes.lookup("VITB12").unit, codes.lookup("hc").unit) == ("ng/L", None)  # type: ignore[union-attr]
    path.write_text("code;test;unit\n;b12;\n")
    with pytest.raises(KnowledgeError, match="line 2"):
        LocalCodes.load(path, default_knowledge().analytes)
