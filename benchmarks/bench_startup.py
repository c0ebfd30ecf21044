"""Cold start of the command line, side by side with the cheapest Python start that loads
cobalamin's own first dependencies.

    python benchmarks/bench_startup.py [--runs N] [--baseline-src DIR]

Measures, each N times in fresh processes (the median is printed):

(a) ``python -c "import pydantic, yaml"``: the floor;
(b) the command line's ``--help``;
(c) ``assess b12=200ng/L --pack nice-ng239``: one case;
(d) which heavy modules (c) imported: none of polars, matplotlib, pyspark, dask, duckdb is the goal.

With ``--baseline-src`` the same (b) and (c) run with another source tree on ``PYTHONPATH`` (an
older checkout's ``src``), in the same run, for before/after figures. The last line is JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HEAVY = ("polars", "matplotlib", "pyspark", "dask", "duckdb", "narwhals", "pyarrow")
SRC = Path(__file__).parents[1] / "src"


def _timed(args: list[str], src: Path, runs: int) -> float:
    env = {**os.environ, "PYTHONPATH": str(src)}
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(args, env=env, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _heavy_imports(src: Path) -> list[str]:
    code = (
        "import sys, runpy; sys.argv = ['cobalamin', 'assess', 'b12=200ng/L', '--pack', "
        "'nice-ng239']\ntry:\n    runpy.run_module('cobalamin', run_name='__main__')\n"
        "except SystemExit:\n    pass\n"
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules), file=sys.stderr)"
    )
    env = {**os.environ, "PYTHONPATH": str(src)}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    last = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else ""
    return [m for m in last.split(",") if m]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--baseline-src", type=Path)
    options = parser.parse_args()
    py = sys.executable
    cli = [py, "-c", "from cobalamin.cli.app import main; main()"]  # works in older trees too
    help_cmd = [*cli, "--help"]
    assess_cmd = [*cli, "assess", "b12=200ng/L", "--pack", "nice-ng239"]
    figures: dict[str, float | list[str]] = {
        "floor_s": _timed([py, "-c", "import pydantic, yaml"], SRC, options.runs),
        "help_s": _timed(help_cmd, SRC, options.runs),
        "assess_s": _timed(assess_cmd, SRC, options.runs),
    }
    if options.baseline_src:
        figures["baseline_help_s"] = _timed(help_cmd, options.baseline_src, options.runs)
        figures["baseline_assess_s"] = _timed(assess_cmd, options.baseline_src, options.runs)
    figures["heavy_imported_by_assess"] = _heavy_imports(SRC)
    floor = float(figures["floor_s"])  # type: ignore[arg-type]
    for name in ("help_s", "assess_s", "baseline_help_s", "baseline_assess_s"):
        if name in figures:
            value = float(figures[name])  # type: ignore[arg-type]
            print(f"{name:<20} {value:6.2f} s   {value / floor:5.1f} x the floor")
    print(f"{'floor_s':<20} {floor:6.2f} s   (python -c 'import pydantic, yaml')")
    print(f"heavy modules imported by one assess: {figures['heavy_imported_by_assess'] or 'none'}")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
