"""Shared plumbing for the benchmark scripts: one-core pinning, timing, worker subprocesses, results.

Benchmarks print a human-readable report and write the same numbers as JSON to
``benchmarks/results/<name>.json``. They are measurements, never assertions.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
RESULTS_DIR = BENCH_DIR / "results"
RESULT_MARKER = "@@RESULT@@ "  # a worker's last stdout line: marker + JSON


def pin_one_core() -> int | None:
    """Pin this process (and its children) to one CPU so numbers mean 'per core'; returns the CPU."""
    if not hasattr(os, "sched_setaffinity"):
        return None
    cpu = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})
    return cpu


def machine() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
    }


def best_of(fn: Callable[[], Any], repeats: int) -> tuple[float, float, Any]:
    """Smallest wall and CPU times of ``repeats`` calls, and the last result.

    The minimum is the run least disturbed by other load; CPU time (this process only) is also
    kept because this machine is shared, where wall time includes waiting for the core.
    """
    wall, cpu, result = float("inf"), float("inf"), None
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        result = fn()
        wall = min(wall, time.perf_counter() - start)
        cpu = min(cpu, time.process_time() - start_cpu)
    return wall, cpu, result


def run_worker(args: list[str], timeout: float, python: str = sys.executable) -> dict[str, Any]:
    """Run ``python args...`` in a fresh process; return the JSON it printed after RESULT_MARKER.

    Fresh processes give cold caches and protect the parent from a hang (the timeout kills it).
    On failure the dict has ``error`` instead of results.
    """
    try:
        proc = subprocess.run(
            [python, *args],
            check=False,
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=BENCH_DIR.parent,
        )
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s"}
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(RESULT_MARKER):
            return json.loads(line[len(RESULT_MARKER) :])
    tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
    return {"error": f"exit code {proc.returncode}: " + " | ".join(tail)}


def emit(result: dict[str, Any]) -> None:
    """Worker side of :func:`run_worker`."""
    print(RESULT_MARKER + json.dumps(result), flush=True)


def save(name: str, data: dict[str, Any]) -> Path:
    """Write ``benchmarks/results/<name>.json`` atomically (with machine info and a timestamp)."""
    from habits.io import write_json

    path = RESULTS_DIR / f"{name}.json"
    write_json(
        path,
        {"benchmark": name, "measured_at": time.strftime("%Y-%m-%d %H:%M:%S"), "machine": machine(), **data},
    )
    return path


def rate(count: int, seconds: float) -> str:
    """'12,345/s (81.0 µs each)'."""
    if seconds <= 0 or count == 0:
        return "n/a"
    return f"{count / seconds:,.0f}/s ({seconds / count * 1e6:,.1f} µs each)"
