"""The knowledge registry: site packs found by id under any file name, provenance of overrides,
pack identity (sha256) and errors that carry the YAML line and column."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from cobalamin import Knowledge, KnowledgeError, PackError, assess
from cobalamin.cli.app import app

EXAMPLES = Path(__file__).parents[2] / "examples"
runner = CliRunner()
GREY = {"results": [{"test": "b12", "value": 240, "unit": "pmol/L"}]}


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A site folder holding the example site pack under a name unrelated to its id."""
    folder = tmp_path / "site"
    folder.mkdir()
    shutil.copy(EXAMPLES / "site-pack.yaml", folder / "ons-lab 2026 (kopie).yml")
    return folder


def test_a_site_pack_is_found_by_its_id_whatever_the_file_is_called(site: Path) -> None:
    knowledge = Knowledge([site])
    assert knowledge.packs.ids()[-1] == "example-site"
    assert not knowledge.packs.is_builtin("example-site")
    assert knowledge.pack("example-site").extends == "gelderse-vallei"


def test_the_overridden_cut_off_cites_the_sites_own_source(site: Path) -> None:
    knowledge = Knowledge([site])
    result = assess(GREY, "example-site", knowledge)
    grey = next(f for f in result.findings if f.rule == "gv_b12_grey")
    assert "250 pmol/L" in grey.text.en
    # the lab's number, the lab's source: its id and a citation saying where to find it
    assert "example-lab-b12-validation-2026" in grey.source_ids
    assert "ask the laboratory for document LAB-VAL-B12-2026" in grey.source
    assert "gelderse-vallei-leaflet" in grey.source_ids  # the rule itself is the leaflet's
    # the parent pack, unchanged, cites only the leaflet
    parent = assess(GREY, "gelderse-vallei", knowledge)
    assert all("example-lab" not in "".join(f.source_ids) for f in parent.findings)


def _site_pack(folder: Path, override: dict[str, object]) -> Path:
    raw = yaml.safe_load((EXAMPLES / "site-pack.yaml").read_text(encoding="utf-8"))
    raw["override"]["cutoffs"]["b12_high"] = override
    path = folder / "lab.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"value": 250, "unit": "pmol/L", "statement": "ours"}, "override.cutoffs.b12_high.source"),
        (
            {
                "value": 250,
                "unit": "pmol/L",
                "source": "gelderse-vallei-leaflet",
                "statement": "ours",
            },
            "override.cutoffs.b12_high.source",  # the parent's source: not the site's own
        ),
        (
            {"value": 250, "unit": "pmol/L", "source": "example-lab-b12-validation-2026"},
            "override.cutoffs.b12_high.statement",
        ),
    ],
)
def test_an_override_without_its_own_source_is_refused_with_file_line_and_field(
    tmp_path: Path, override: dict[str, object], field: str
) -> None:
    path = _site_pack(tmp_path, override)
    with pytest.raises(PackError) as info:
        Knowledge([tmp_path]).pack("example-site")
    message = str(info.value)
    assert message.startswith(f"{path}, line ")
    assert f": {field}: an override must" in message
    line = int(message.split(", line ")[1].split(",")[0])
    text = path.read_text(encoding="utf-8").splitlines()[line - 1]
    assert "b12_high" in text or "source:" in text  # the cut-off, or its wrong source


def test_load_errors_carry_line_and_column(tmp_path: Path) -> None:
    raw = yaml.safe_load((EXAMPLES / "site-pack.yaml").read_text(encoding="utf-8"))
    raw["override"]["cutoffs"]["b12_high"]["unit"] = "furlongs"
    path = tmp_path / "lab.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    with pytest.raises(PackError, match=r"lab\.yaml, line \d+, col \d+: override"):
        Knowledge([tmp_path]).pack("example-site")


def test_a_site_pack_may_not_take_a_built_in_id(tmp_path: Path) -> None:
    raw = yaml.safe_load((EXAMPLES / "site-pack.yaml").read_text(encoding="utf-8"))
    raw["id"] = "nice-ng239"
    (tmp_path / "x.yaml").write_text(yaml.safe_dump(raw), encoding="utf-8")
    with pytest.raises(KnowledgeError, match="already the id of a built-in pack"):
        Knowledge([tmp_path]).packs.ids()


def test_the_hash_follows_the_content_after_extends_and_overrides(site: Path) -> None:
    knowledge = Knowledge([site])
    site_pack = knowledge.pack("example-site")
    same = Knowledge([site]).pack("example-site")
    assert site_pack.sha256 == same.sha256 and len(site_pack.sha256) == 64
    assert site_pack.sha256 != knowledge.pack("gelderse-vallei").sha256
    raw = yaml.safe_load((EXAMPLES / "site-pack.yaml").read_text(encoding="utf-8"))
    raw["override"]["cutoffs"]["b12_high"]["value"] = 260
    other = site.parent / "other"
    other.mkdir()
    (other / "p.yaml").write_text(yaml.safe_dump(raw, sort_keys=True), encoding="utf-8")
    assert Knowledge([other]).pack("example-site").sha256 != site_pack.sha256


def _cli(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout + result.stderr


def test_every_command_finds_the_site_pack_by_id(site: Path, tmp_path: Path) -> None:
    where = ["--pack-path", str(site)]
    code, out = _cli("assess", "b12=240pmol/L", "--pack", "example-site", *where, "-f", "json")
    assert code == 0, out
    data = json.loads(out)
    sha = data["pack_sha256"]
    assert data["deficiency"] == "indeterminate"
    code, out = _cli("compare", "b12=240pmol/L", *where, "-f", "json")
    assert (
        code == 0
        and {"pack": "example-site", "pack_sha256": sha}.items()
        <= next(r for r in json.loads(out) if r["pack"] == "example-site").items()
    )
    code, out = _cli("packs", "list", *where, "-f", "json")
    listed = {p["id"]: p for p in json.loads(out)}
    assert code == 0 and listed["example-site"]["sha256"] == sha
    code, out = _cli("packs", "show", "example-site", *where)
    assert code == 0 and sha in out
    case = tmp_path / "case.json"
    case.write_text(json.dumps(GREY), encoding="utf-8")
    code, out = _cli("workup", str(case), "--pack", "example-site", *where)
    assert code == 0, out
    lab = tmp_path / "day.csv"
    lab.write_text("sample_id,b12\nS1,240\n", encoding="utf-8")
    code, out = _cli(
        "batch", str(lab), "--pack", "example-site", *where, "--out", str(tmp_path / "o.csv")
    )
    assert code == 0 and sha in out, out
    assert sha in (tmp_path / "o.csv").read_text(encoding="utf-8")
    message = (Path(__file__).parents[1] / "data" / "oru_r01.hl7").read_text(encoding="utf-8")
    (tmp_path / "in.hl7").write_text(message, encoding="utf-8")
    code, out = _cli(
        "hl7", str(tmp_path / "in.hl7"), "--pack", "example-site", *where,
        "--out", str(tmp_path / "out.hl7"),
    )  # fmt: skip
    assert f"sha256:{sha}" in (tmp_path / "out.hl7").read_text(encoding="utf-8")


def test_the_environment_variable_adds_site_folders(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COBALAMIN_PACK_PATH", str(site))
    code, out = _cli("packs", "list", "-f", "json")
    assert code == 0 and "example-site" in {p["id"] for p in json.loads(out)}


def test_python_dash_m_runs_the_command_line() -> None:
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "cobalamin", "packs", "list", "-f", "json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0 and "nice-ng239" in done.stdout
