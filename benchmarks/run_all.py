"""Run every ``benchmarks/bench_*.py`` in turn, each in its own process, and summarise.

``make bench`` calls this. Benchmarks are discovered by glob, so a new ``bench_<topic>.py`` is
picked up without editing this file. Each prints its own report and writes
``benchmarks/results/<name>.json``; this script prints the exit status and time of each.

    .venv/bin/python benchmarks/run_all.py                 # everything
    .venv/bin/python benchmarks/run_all.py verify solver   # only bench_verify.py and bench_solver.py
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("only", nargs="*", help="run only bench_<name>.py for these names")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds before one benchmark is killed")
    args = parser.parse_args(argv)
    scripts = sorted(BENCH_DIR.glob("bench_*.py"))
    if args.only:
        unknown = sorted(set(args.only) - {s.stem.removeprefix("bench_") for s in scripts})
        if unknown:
            known = ", ".join(s.stem.removeprefix("bench_") for s in scripts)
            parser.error(f"no benchmark named {', '.join(unknown)}; known: {known}")
        scripts = [s for s in scripts if s.stem.removeprefix("bench_") in args.only]
    summary = []
    for script in scripts:
        print(f"\n===== {script.name} =====", flush=True)
        start = time.perf_counter()
        try:
            # Output streams straight through, so long benchmarks show their progress.
            code = subprocess.run(
                [sys.executable, str(script)], check=False, cwd=BENCH_DIR.parent, timeout=args.timeout
            ).returncode
            status = "ok" if code == 0 else f"exit code {code}"
        except subprocess.TimeoutExpired:
            status = f"timed out after {args.timeout:.0f} s"
        summary.append((script.name, status, time.perf_counter() - start))
    print("\n===== summary =====")
    for name, status, seconds in summary:
        print(f"  {name:32s} {status:24s} {seconds:7.1f} s")
    print(f"results: {BENCH_DIR / 'results'}")
    return 0 if all(status == "ok" for _, status, _ in summary) else 1


if __name__ == "__main__":
    raise SystemExit(main())
