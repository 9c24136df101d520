"""Priming-trace throughput and length: traces/s on one core for every task and condition.

Problems are generated first (timed separately); then each condition writes a trace for every
problem (search + narration + the task's verify), best of a few repeats. Also reports thought
lengths in tokens (median / p90 / max): the regex estimate, and a Hugging Face tokenizer's count
when ``--tokenizer DIR`` is given. Aim: >= 500 traces/s per core.

    .venv/bin/python benchmarks/bench_traces.py                 # 500 problems per task, both registers
    .venv/bin/python benchmarks/bench_traces.py --n 2000 --tokenizer runs/tiny/model --register terse
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import best_of, pin_one_core, rate, save  # noqa: E402


def _lengths(counts: list[int]) -> dict[str, float]:
    counts = sorted(counts)
    return {"median": statistics.median(counts), "p90": counts[min(len(counts) - 1, int(0.9 * len(counts)))],
            "max": counts[-1]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=500, help="problems per task")
    parser.add_argument("--repeats", type=int, default=3, help="timed repeats (best is kept)")
    parser.add_argument("--tokenizer", default=None, help="a local Hugging Face tokenizer directory for lengths")
    parser.add_argument("--register", choices=("terse", "natural", "both"), default="both",
                        help="which register of the traces to write (default: both)")
    args = parser.parse_args(argv)
    cpu = pin_one_core()

    from habits.tasks import get_task
    from habits.traces import condition_names, make_rows, thoughts
    from habits.traces.tokens import token_counter

    hf_count = token_counter(args.tokenizer) if args.tokenizer else None
    registers = ("terse", "natural") if args.register == "both" else (args.register,)
    results: dict[str, Any] = {"n": args.n, "cpu": cpu, "registers": list(registers), "tasks": {}}
    print(f"priming traces, {args.n} problems per task, pinned to CPU {cpu}, best of {args.repeats}")
    header = f"  {'condition':26s} {'traces/s (wall)':>16s} {'traces/s (cpu)':>15s}   tokens median/p90/max"
    for task_name in ("countdown", "general_points"):
        task = get_task(task_name)
        start = time.perf_counter()
        problems = task.generate(args.n, split="train", seed=0)
        generate_s = time.perf_counter() - start
        print(f"\n{task_name}: problems generated at {rate(args.n, generate_s)}")
        by_register = {}
        for register in registers:
            print(f"  {register} register")
            print(header + ("   (tokenizer)" if hf_count else ""))
            per_condition = {}
            for condition in condition_names():
                def write(task=task, condition=condition, problems=problems, register=register):
                    return list(make_rows(task, condition, problems, seed=0, register=register))

                wall, cpu_s, rows = best_of(write, args.repeats)
                lengths = _lengths([row["thought_tokens"] for row in rows])
                entry = {"traces_per_s": args.n / wall, "traces_per_cpu_s": args.n / cpu_s, "regex_tokens": lengths}
                line = (f"  {condition:26s} {args.n / wall:16,.0f} {args.n / cpu_s:15,.0f}   "
                        f"{lengths['median']:.0f}/{lengths['p90']}/{lengths['max']}")
                if hf_count is not None and condition not in ("none", "empty_cot"):
                    source = rows if condition != "length_matched" else list(
                        make_rows(task, "all", problems, seed=0, register=register))
                    entry["tokenizer_tokens"] = _lengths([hf_count(thoughts(r["completion"]).strip()) for r in source])
                    t = entry["tokenizer_tokens"]
                    line += f"   {t['median']:.0f}/{t['p90']}/{t['max']}"
                per_condition[condition] = entry
                print(line, flush=True)
            by_register[register] = per_condition
        results["tasks"][task_name] = {"generate_per_s": args.n / generate_s, "registers": by_register}
    path = save("bench_traces", results)
    print(f"\nwrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
