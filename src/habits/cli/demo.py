"""``habits tasks demo``: exact verification at a glance, no model needed.

Generates problems for every task, solves them exhaustively, builds a batch of completions
(correct and perturbed), verifies them exactly and prints what the verifier said.
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from habits.io import write_jsonl
from habits.progress import track
from habits.tasks import get_task, task_names
from habits.tasks.perturb import perturbations

console = Console()


def register(app: typer.Typer) -> None:
    from habits.cli.tasks import tasks_app

    tasks_app.command("demo")(demo)


def demo(
    n: Annotated[int, typer.Option("--n", help="Problems per task and split.", min=1)] = 100,
    out: Annotated[Path, typer.Option(help="Directory for the generated files.")] = Path("runs/demo"),
    seed: Annotated[int, typer.Option(help="Seed.")] = 0,
) -> None:
    """Generate, solve and verify a batch on every task; print a verdict table."""
    from habits.io import check_output_dir

    check_output_dir(out, "--out")
    table = Table(title="habits demo: exact verification of solver answers and perturbed answers")
    for column in ("task", "split", "problems", "solutions/problem", "right accepted", "wrong rejected", "µs/verify"):
        table.add_column(column, justify="left" if column in ("task", "split") else "right")
    for name in task_names(procedural=True):
        task = get_task(name)
        for split in ("train", "test", "ood"):
            problems = list(track(task.iter_generate(n, split, seed), f"{name}/{split}: generate", total=n))
            rows, reasons = [], Counter()
            solution_counts = []
            decisions = [step for problem in problems for step in task.steps(problem)]  # a route: each decision
            for problem in track(decisions, f"{name}/{split}: solve"):
                found = task.solve(problem)
                solution_counts.append(len(found))
                rows.append({"problem": problem, "completion": "Let me think.\n" + task.format_answer(problem, found[0]),
                             "expected": "correct"})
                rows.extend({"problem": problem, "completion": text, "expected": reason}
                            for reason, text in perturbations(task, problem, found[0]))
            started = time.perf_counter()
            for row in rows:
                verdict = task.verify(row["problem"], row["completion"])
                row["verdict"] = verdict.to_dict()
                reasons[verdict.reason] += 1
            per_item = (time.perf_counter() - started) / len(rows) * 1e6
            write_jsonl(out / f"{name}-{split}.jsonl", rows)
            good = [r for r in rows if r["expected"] == "correct"]
            bad = [r for r in rows if r["expected"] != "correct"]
            table.add_row(name, split, str(len(problems)), f"{sum(solution_counts) / len(solution_counts):.1f}", str(len(rows)),
                          f"{sum(r['verdict']['correct'] for r in good)}/{len(good)}",
                          f"{sum(not r['verdict']['correct'] for r in bad)}/{len(bad)}", f"{per_item:.0f}")
    console.print(table)
    console.print(f"completions with verdicts written under {out}/")
