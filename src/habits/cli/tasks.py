"""``habits tasks``: list tasks, generate problem files, verify completion files."""

from __future__ import annotations

import dataclasses
import time
from collections import Counter
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from habits.configs import parse_overrides
from habits.io import ROW_SUFFIXES, InputError, check_output, read_rows, write_rows
from habits.progress import track
from habits.tasks import SPLITS, TASKS, get_task, task_names

console = Console()
tasks_app = typer.Typer(help="Verifiable tasks: list them, generate problems, verify completions.",
                        no_args_is_help=True)

SetOption = Annotated[list[str] | None, typer.Option("--set", help="Task config override KEY=VALUE (YAML value); repeatable.")]


def register(app: typer.Typer) -> None:
    app.add_typer(tasks_app, name="tasks")


@tasks_app.command("list")
def list_tasks() -> None:
    """List registered tasks with their reward schemes and config defaults."""
    table = Table(title="habits tasks")
    table.add_column("task", style="bold")
    table.add_column("variants")
    table.add_column("reward schemes")
    table.add_column("config (defaults)")
    for name in task_names():
        cls = TASKS.get(name)
        fields = [f"{f.name}={f.default!r}" for f in dataclasses.fields(cls.config_class)
                  if f.init and f.default is not dataclasses.MISSING]
        table.add_row(name, cls.variants, ", ".join(cls.reward_schemes), "\n".join(fields))
    console.print(table)
    from habits.tasks import reasoning_gym

    if reasoning_gym.available():
        names = reasoning_gym.dataset_names()
        console.print(f"reasoning-gym datasets ({len(names)}), as habits tasks: --task reasoning_gym --set dataset=NAME",
                      soft_wrap=True)
        console.print(", ".join(names), soft_wrap=True, highlight=False)
    else:
        console.print("reasoning-gym is not installed: pip install -e '.[reasoning-gym]' to use its datasets as tasks",
                      soft_wrap=True)


@tasks_app.command("generate")
def generate(
    task: Annotated[str, typer.Argument(help="Task name (see `habits tasks list`).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output file: .jsonl or .parquet.")],
    split: Annotated[str, typer.Option(help=f"One of {', '.join(SPLITS)}.")] = "train",
    n: Annotated[int, typer.Option("--n", help="Number of problems.", min=1)] = 100,
    seed: Annotated[int, typer.Option(help="Seed; the same seed gives the same problems.")] = 0,
    overrides: SetOption = None,
) -> None:
    """Generate solvable problems with prompts; one row per problem (loadable with `datasets`)."""
    config = parse_overrides(overrides)
    task_obj = get_task(task, **config)
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; choose one of: {', '.join(SPLITS)}")
    check_output(out, ROW_SUFFIXES, "--out")
    started = time.perf_counter()
    problems = list(track(task_obj.iter_generate(n, split=split, seed=seed), f"generating {task}/{split}", total=n))
    rows = []
    for i, problem in enumerate(problems):
        steps = task_obj.steps(problem)  # a problem of several decisions (a route) gives one row per decision
        for k, step in enumerate(steps):
            row_id = f"{task}-{split}-{seed}-{i}" + (f"-{k}" if len(steps) > 1 else "")
            rows.append({"id": row_id, "task": task, "split": split, "problem": step, "prompt": task_obj.prompt(step)})
            images = task_obj.images(step)
            if images:  # PNG bytes inside Parquet, PNG files beside JSONL (habits.row_images)
                rows[-1]["images"] = images
    write_rows(out, rows)
    console.print(f"wrote {len(rows)} {task} {split} problems to {out} in {time.perf_counter() - started:.1f}s")


@tasks_app.command("solve")
def solve(
    task: Annotated[str, typer.Argument(help="Task name (see `habits tasks list`).")],
    input_path: Annotated[Path, typer.Option("--input", "-i", help="JSONL with a `problem` per row.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output JSONL: each row plus `solutions` and "
                                                         "`completion` (the first solution in answer format).")],
    overrides: SetOption = None,
) -> None:
    """Solve each problem exhaustively: all distinct solutions, and a reference completion."""
    task_obj = get_task(task, **parse_overrides(overrides))
    check_output(out, ROW_SUFFIXES, "--out")
    rows = []
    for line, row in track(read_rows(input_path, ("problem",), "a `problem` per row"), f"solving {task}"):
        problem = _problem(task_obj, row, input_path, line)
        try:
            found = task_obj.solve(problem)
        except ValueError as exc:  # too large for the exhaustive search
            raise InputError(f"{input_path}:{line}: {exc}") from None
        completion = task_obj.format_answer(problem, found[0]) if found else ""
        rows.append({**row, "solutions": found, "completion": completion})
    write_rows(out, rows)
    solved = sum(bool(r["solutions"]) for r in rows)
    console.print(f"solved {solved}/{len(rows)}; mean {sum(len(r['solutions']) for r in rows) / max(len(rows), 1):.1f} "
                  f"distinct solutions per problem; wrote {out}")


def _problem(task_obj, row: dict, path: Path, line: int) -> dict:
    """The row's problem in exact types, or an error naming the file and line."""
    try:
        return task_obj.check_problem(row["problem"])
    except ValueError as exc:
        raise InputError(f"{path}:{line}: bad problem for {task_obj.name}: {exc}") from None


@tasks_app.command("verify")
def verify(
    task: Annotated[str, typer.Argument(help="Task name (see `habits tasks list`).")],
    input_path: Annotated[Path, typer.Option("--input", "-i", help="JSONL with `problem` and `completion` per row.")],
    output: Annotated[Path | None, typer.Option("--output", "-o",
                                                help="Where to write rows with `verdict` and `reward` "
                                                     "(default: INPUT with .verified.jsonl).")] = None,
    overrides: SetOption = None,
) -> None:
    """Verify each row's completion exactly; add `verdict` and `reward`; print a summary."""
    task_obj = get_task(task, **parse_overrides(overrides))
    output = check_output(output or input_path.with_name(input_path.stem + ".verified.jsonl"), ROW_SUFFIXES,
                          "--output")
    rows = []
    reasons: Counter[str] = Counter()
    for line, row in track(read_rows(input_path, ("problem", "completion"), "`problem` and `completion` per row"),
                           f"verifying {task}"):
        problem = _problem(task_obj, row, input_path, line)
        completion = row["completion"]
        verdict = task_obj.verify(problem, completion if isinstance(completion, str) else str(completion))
        reasons[verdict.reason] += 1
        rows.append({**row, "verdict": verdict.to_dict(),
                     "reward": task_obj.reward(problem, row["completion"] if isinstance(row["completion"], str)
                                               else str(row["completion"]))})
    write_rows(output, rows)
    table = Table(title=f"{task}: {len(rows)} completions ({task_obj.config.reward} reward)")
    table.add_column("verdict")
    table.add_column("count", justify="right")
    table.add_column("share", justify="right")
    for reason, count in reasons.most_common():
        table.add_row(reason, str(count), f"{count / max(len(rows), 1):.1%}")
    console.print(table)
    failures = getattr(task_obj, "failures", None)  # bridged tasks whose scorer runs out of process
    if failures:
        console.print(f"{len(failures)} answers got no verdict from the task's scorer (timed out, refused or failed) "
                      "and count as illegal; the log names them")
    console.print(f"wrote {output}")
