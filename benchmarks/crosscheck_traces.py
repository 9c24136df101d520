"""Cross-check: does the offline behavior classifier see what the priming traces are known to show?

Program-written traces carry exact behavior counts (from what the narration wrote). This script labels
the same completions with :func:`habits.behaviors.lexical.count_behaviors` and prints, per task,
register, condition and behavior, the share of traces where the two agree on *presence* (count > 0).
Goal: >= 95% for every register, condition and behavior. Also printed, for information: the share of traces
whose counts match exactly and the mean count difference (classifier minus trace). ``--show K`` prints up to K disagreeing traces
per cell, to tell ambiguous narration (fix the narration) from classifier misses.

    .venv/bin/python benchmarks/crosscheck_traces.py            # 300 traces per task, register and condition
    .venv/bin/python benchmarks/crosscheck_traces.py --n 1000 --show 2 --register terse
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import save  # noqa: E402

GOAL = 0.95


def agreement(rows: list[dict[str, Any]], classify) -> tuple[dict[str, dict[str, float]], dict[str, list[tuple]]]:
    """Per behavior: share of rows where presence agrees, where counts are equal, and the mean count
    difference (classifier minus trace); and the rows whose presence disagrees, with the prediction."""
    from habits.traces import BEHAVIORS
    from habits.traces.data import _completion_text

    agree, equal, bias = dict.fromkeys(BEHAVIORS, 0), dict.fromkeys(BEHAVIORS, 0), dict.fromkeys(BEHAVIORS, 0)
    misses: dict[str, list[tuple]] = {name: [] for name in BEHAVIORS}
    for row in rows:
        predicted = classify(_completion_text(row), target=row["problem"]["target"])
        for name in BEHAVIORS:
            truth = row["behaviors"][name]
            equal[name] += predicted[name] == truth
            bias[name] += predicted[name] - truth
            if (predicted[name] > 0) == (truth > 0):
                agree[name] += 1
            else:
                misses[name].append((row, predicted))
    return {name: {"presence": agree[name] / len(rows), "count_equal": equal[name] / len(rows),
                   "count_bias": bias[name] / len(rows)} for name in BEHAVIORS}, misses


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=300, help="traces per task and condition")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--show", type=int, default=0, help="print up to this many disagreements per cell")
    parser.add_argument("--register", choices=("terse", "natural", "both"), default="both",
                        help="which register of the traces to check (default: both)")
    args = parser.parse_args(argv)
    try:
        from habits.behaviors.lexical import count_behaviors
    except ImportError as exc:
        print(f"habits.behaviors.lexical is not available yet ({exc}); nothing to cross-check")
        return 2
    from habits.tasks import get_task
    from habits.traces import BEHAVIORS, condition_names, make_rows

    short = {"verification": "verif", "backtracking": "backtr", "subgoal_setting": "subgoal",
             "backward_chaining": "backward"}
    results: dict[str, Any] = {"n": args.n, "goal": GOAL, "register": args.register, "tasks": {}}
    worst = 1.0
    registers = ("terse", "natural") if args.register == "both" else (args.register,)
    for task_name in ("countdown", "general_points"):
        task = get_task(task_name)
        problems = task.generate(args.n, split="train", seed=args.seed)
        results["tasks"][task_name] = {}
        for register in registers:
            print(f"\n{task_name}, {register}: presence agreement, {args.n} traces per condition (goal >= {GOAL:.0%})")
            print(f"  {'condition':26s} " + " ".join(f"{short[b]:>9s}" for b in BEHAVIORS)
                  + "   | exact count share and mean difference (classifier - trace), same order")
            cells = results["tasks"][task_name][register] = {}
            for condition in condition_names():
                rows = list(make_rows(task, condition, problems, seed=args.seed, register=register))
                stats, misses = agreement(rows, count_behaviors)
                shares = {b: stats[b]["presence"] for b in BEHAVIORS}
                worst = min(worst, *shares.values())
                cells[condition] = stats
                print(f"  {condition:26s} " + " ".join(
                    f"{shares[b]:8.1%}{'*' if shares[b] < GOAL else ' '}" for b in BEHAVIORS)
                    + "   |" + " ".join(f"{stats[b]['count_equal']:4.0%} {stats[b]['count_bias']:+.2f}"
                                      for b in BEHAVIORS), flush=True)
                for name in BEHAVIORS:
                    for row, predicted in misses[name][:args.show]:
                        print(f"    -- {name}: traces say {row['behaviors'][name]}, classifier {predicted[name]}")
                        print("       " + row["completion"].replace("\n", "\n       "))
    results["worst"] = worst
    path = save("crosscheck_traces", results)
    print(f"\nworst cell {worst:.1%} ({'meets' if worst >= GOAL else 'below'} the {GOAL:.0%} goal); wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
