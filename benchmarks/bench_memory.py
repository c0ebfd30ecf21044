"""Peak memory of ``cobalamin batch`` as the input grows: is it bounded by the file or not?

    python benchmarks/bench_memory.py [--rows N] [--factor K] [--keep DIR]

Writes synthetic lab files of N and K*N rows in both forms (wide: one row per sample; long:
one row per result, MMA in a third of the samples, a sample's rows together), runs the batch
command on each in a fresh process, and reads that process's peak resident memory
(the child's ``VmHWM``). Prints a line per run and, as the LAST line, a JSON object with
the ratio of peak memory at K*N rows to that at N rows per form: near 1 means memory does not
grow with the input (what a file larger than memory needs); near K means it does.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl


def wide_file(path: Path, rows: int, seed: int = 7) -> None:
    rng = np.random.default_rng(seed)
    mma = pl.Series(np.round(rng.lognormal(np.log(0.25), 0.5, rows), 3))
    pl.DataFrame(
        {
            "sample_id": pl.int_range(rows, eager=True).cast(pl.String),
            "b12": np.round(rng.lognormal(np.log(300), 0.45, rows), 1),
            "mma": mma.set(pl.Series(rng.random(rows) < 0.67), None),  # type: ignore[arg-type]
            "age": rng.integers(0, 100, rows).astype(float),
            "sex": rng.choice(["female", "male"], rows),
        }
    ).write_parquet(path, row_group_size=500_000)


def long_file(path: Path, rows: int, seed: int = 7) -> None:
    """About ``rows`` rows: every sample a B12 row, a third of them an MMA row as well."""
    samples = int(rows / 1.33)
    rng = np.random.default_rng(seed)
    ids = pl.int_range(samples, eager=True).cast(pl.String)
    person = {"age": rng.integers(0, 100, samples).astype(float),
              "sex": rng.choice(["female", "male"], samples)}  # fmt: skip
    b12 = pl.DataFrame({"sample_id": ids, "test": "b12", "unit": "pmol/L", **person,
                        "value": np.round(rng.lognormal(np.log(300), 0.45, samples), 1)})  # fmt: skip
    mma = pl.DataFrame({"sample_id": ids, "test": "mma", "unit": "umol/L", **person,
                        "value": np.round(rng.lognormal(np.log(0.25), 0.5, samples), 3)})  # fmt: skip
    mma = mma.filter(pl.Series(rng.random(samples) < 0.33))
    both = pl.concat([b12.with_row_index("_k"), mma.with_row_index("_k")])
    both.sort("_k", maintain_order=True).drop("_k").write_parquet(path, row_group_size=500_000)


# The child reports its own high-water mark (VmHWM of its address space). Not ``ru_maxrss``:
# Linux carries the parent's peak across fork and exec into the child's ``ru_maxrss``.
_CHILD = """
import sys
from cobalamin.cli.app import main
try:
    main()
finally:
    with open("/proc/self/status") as status:
        peak = next(line for line in status if line.startswith("VmHWM"))
    sys.stderr.write(peak)
"""


def peak_of_run(source: Path, folder: Path) -> tuple[float, float]:
    """(seconds, peak resident MB) of one ``cobalamin batch`` process on ``source``."""
    command = [sys.executable, "-c", _CHILD, "batch", str(source), "--pack", "gelderse-vallei",
               "--out", str(folder / "out.parquet"), "--no-progress"]  # fmt: skip
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    lines = done.stderr.strip().splitlines()
    if not lines or not lines[-1].startswith("VmHWM"):
        raise RuntimeError(f"the batch run on {source} failed: {done.stderr}")
    kilobytes = int(lines[-1].split()[1])
    return seconds, kilobytes / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--factor", type=int, default=4)
    parser.add_argument("--keep", type=Path, help="folder for the files (default: temporary)")
    args = parser.parse_args()
    result: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as temporary:
        folder = args.keep or Path(temporary)
        folder.mkdir(parents=True, exist_ok=True)
        for form, make in (("wide", wide_file), ("long", long_file)):
            peaks = []
            for rows in (args.rows, args.rows * args.factor):
                source = folder / f"{form}_{rows}.parquet"
                if not source.exists():
                    make(source, rows)
                seconds, peak = peak_of_run(source, folder)
                peaks.append(peak)
                print(f"{form:4s} {rows:>12,} rows: {seconds:7.1f} s, peak {peak:8.0f} MB")
            result[f"{form}_peak_mb_small"] = round(peaks[0])
            result[f"{form}_peak_mb_large"] = round(peaks[1])
            result[f"{form}_ratio"] = round(peaks[1] / peaks[0], 2)
    print(json.dumps({"rows": args.rows, "factor": args.factor, **result}))


if __name__ == "__main__":
    main()
