"""Solver speed: classify every 24-game hand, solve hands, generate Countdown problems.

Each part runs in a fresh process (cold solver caches, the way a new training job starts):

* ``can_make``: all 1,820 four-number multisets from 1-13 for target 24 (expected 1,362 solvable;
  target < 2 s), and the 715 from 1-10 (expected 566);
* ``solve``: ``task.solve`` (every distinct solution) per distinct GeneralPoints hand and Countdown problem;
* ``generate``: Countdown problems/s for the default config and the priming config
  (``number_range=(1, 25), target_range=(10, 25)``), and GeneralPoints hands/s.

    .venv/bin/python benchmarks/bench_solver.py
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from itertools import combinations_with_replacement
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import emit, pin_one_core, run_worker, save

EXPECTED = {13: (1820, 1362), 10: (715, 566)}
PRIMING = {"number_range": (1, 25), "target_range": (10, 25)}


def part_can_make(high: int) -> dict[str, Any]:
    start = time.perf_counter()
    from habits.tasks.solver import can_make

    imported = time.perf_counter() - start
    hands = list(combinations_with_replacement(range(1, high + 1), 4))
    start, start_cpu = time.perf_counter(), time.process_time()
    solvable = sum(can_make(hand, 24) for hand in hands)
    return {
        "hands": len(hands),
        "solvable": solvable,
        "seconds": time.perf_counter() - start,
        "cpu_seconds": time.process_time() - start_cpu,
        "import_seconds": imported,
    }


def part_solve(task_name: str, count: int) -> dict[str, Any]:
    from habits.tasks import get_task

    task = get_task(task_name)
    # Distinct hands only: solve() caches per sorted multiset, so a repeated hand costs nothing.
    problems, seen = [], set()
    for problem in task.iter_generate(10 * count, "train", seed=11):
        numbers = task.values(problem) if hasattr(task, "values") else problem["numbers"]
        key = (tuple(sorted(numbers)), problem["target"])
        if key not in seen:
            seen.add(key)
            problems.append(problem)
        if len(problems) == count:
            break
    times, found = [], []
    start_cpu = time.process_time()
    for problem in problems:
        start = time.perf_counter()
        found.append(len(task.solve(problem)))
        times.append(time.perf_counter() - start)
    return {
        "problems": len(problems),
        "first_ms": times[0] * 1e3,
        "mean_ms": statistics.mean(times) * 1e3,
        "median_ms": statistics.median(times) * 1e3,
        "max_ms": max(times) * 1e3,
        "cpu_mean_ms": (time.process_time() - start_cpu) / len(problems) * 1e3,
        "mean_solutions": statistics.mean(found),
        "max_solutions": max(found),
    }


def part_generate(task_name: str, count: int, config: dict[str, Any]) -> dict[str, Any]:
    from habits.tasks import get_task

    start = time.perf_counter()
    task = get_task(task_name, **config)
    built = time.perf_counter() - start
    start, start_cpu = time.perf_counter(), time.process_time()
    problems = task.generate(count, "train", seed=5)
    seconds = time.perf_counter() - start
    return {
        "problems": len(problems),
        "seconds": seconds,
        "cpu_seconds": time.process_time() - start_cpu,
        "per_second": len(problems) / seconds,
        "construct_seconds": built,
    }


PARTS = {
    "can_make_13": lambda n: part_can_make(13),
    "can_make_10": lambda n: part_can_make(10),
    "solve_general_points": lambda n: part_solve("general_points", n),
    "solve_countdown": lambda n: part_solve("countdown", n),
    "generate_countdown_default": lambda n: part_generate("countdown", n, {}),
    "generate_countdown_priming": lambda n: part_generate("countdown", n, PRIMING),
    "generate_general_points": lambda n: part_generate("general_points", n, {}),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=500, help="problems per solve/generate part")
    parser.add_argument("--timeout", type=float, default=600, help="seconds before a part is killed")
    parser.add_argument("--part", choices=sorted(PARTS), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    core = pin_one_core()
    if args.part:
        emit(PARTS[args.part](args.count))
        return 0
    print(f"bench_solver: pinned to CPU {core}; every part in a fresh process")
    results: dict[str, Any] = {}
    for part in PARTS:
        results[part] = row = run_worker([__file__, "--part", part, "--count", str(args.count)], args.timeout)
        if "error" in row:
            print(f"  {part:28s} FAILED: {row['error']}")
        elif part.startswith("can_make"):
            high = int(part.rsplit("_", 1)[1])
            hands, solvable = EXPECTED[high]
            ok = (
                "ok"
                if (row["hands"], row["solvable"]) == (hands, solvable)
                else f"EXPECTED {solvable} of {hands}"
            )
            print(
                f"  {part:28s} {row['solvable']:,} of {row['hands']:,} hands from 1-{high} make 24 ({ok}) in "
                f"{row['seconds']:.2f} s wall / {row['cpu_seconds']:.2f} s cpu (+{row['import_seconds']:.2f} s import)"
            )
        elif part.startswith("solve"):
            print(
                f"  {part:28s} {row['problems']} distinct problems: mean {row['mean_ms']:.1f} ms "
                f"(cpu {row['cpu_mean_ms']:.1f} ms), median "
                f"{row['median_ms']:.1f} ms, max {row['max_ms']:.1f} ms, first {row['first_ms']:.1f} ms; "
                f"{row['mean_solutions']:.1f} solutions on average (max {row['max_solutions']})"
            )
        else:
            print(
                f"  {part:28s} {row['per_second']:,.0f} problems/s ({row['problems']} in {row['seconds']:.2f} s "
                f"wall / {row['cpu_seconds']:.2f} s cpu; construction {row['construct_seconds']:.2f} s)"
            )
    path = save(
        "bench_solver",
        {
            "config": vars(args) | {"pinned_cpu": core},
            "expected": EXPECTED,
            "priming_config": PRIMING,
            "results": results,
        },
    )
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
