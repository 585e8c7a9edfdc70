"""Helpers for the benchmarks: run a command, report its wall time and peak memory."""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
ROOT = Path(__file__).resolve().parents[1]
CODY = [sys.executable, "-m", "cody_cli"]

_PEAK = (
    "import resource, subprocess, sys; "
    "code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode; "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.exit(code)"
)


def timed(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(seconds, peak resident MB) of one run of `command`; its stdout is discarded."""
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-c", _PEAK, *command], env=env, capture_output=True, text=True
    )
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed: {result.stderr[-2000:]}")
    return seconds, int(result.stdout.split()[-1]) / 1024


def median_of(runs: int, command: list[str], env: dict[str, str]) -> tuple[float, float]:
    samples = [timed(command, env) for _ in range(runs)]
    return statistics.median(s for s, _ in samples), max(m for _, m in samples)


def machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def write(name: str, title: str, rows: list[dict], notes: list[str]) -> Path:
    """`results/<name>.json` and `results/<name>.md` (a table of `rows`)."""
    RESULTS.mkdir(exist_ok=True)
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    (RESULTS / f"{name}.json").write_text(
        json.dumps({"machine": machine(), "when": stamp, "rows": rows}, indent=2) + "\n"
    )
    columns = list(rows[0])
    lines = [f"# {title}", "", f"{stamp}, {machine()}", ""]
    lines += ["| " + " | ".join(columns) + " |", "|" + " --- |" * len(columns)]
    lines += ["| " + " | ".join(str(row[c]) for c in columns) + " |" for row in rows]
    lines += ["", *notes, ""]
    path = RESULTS / f"{name}.md"
    path.write_text("\n".join(lines))
    return path
