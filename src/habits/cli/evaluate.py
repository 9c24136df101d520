"""``habits eval``: greedy accuracy, pass@k, format errors, length and behaviors on ID/OOD splits."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from habits.configs import parse_overrides

console = Console()


def register(app: typer.Typer) -> None:
    app.command("eval")(eval_command)


def eval_command(
    model: Annotated[str | None, typer.Option(help="Model directory (e.g. runs/tiny-rl/model).")] = None,
    task: Annotated[str | None, typer.Option(help="Task name: countdown, general_points, ...")] = None,
    split: Annotated[list[str] | None, typer.Option(help="test (ID) and/or ood (OOD); repeatable or "
                                                         "comma-separated. Default: both.")] = None,
    n: Annotated[int | None, typer.Option("--n", help="Problems per split.", min=1)] = None,
    k: Annotated[int | None, typer.Option("--k", help="Samples per problem for pass@k (1: greedy only).",
                                          min=1)] = None,
    max_attempts: Annotated[int | None, typer.Option("--max-attempts", help="Verify-and-revise budget K: after a "
                                                     "wrong answer the verifier's reason is fed back and the model "
                                                     "tries again, up to K attempts (the paper's VIter).",
                                                     min=1)] = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write the results JSON here.")] = None,
    completions: Annotated[Path | None, typer.Option(help="Also write every greedy completion with its verdict "
                                                          "to this JSONL.")] = None,
    config: Annotated[Path | None, typer.Option("--config", "-c", help="YAML recipe (configs/eval/*.yaml).")] = None,
    overrides: Annotated[list[str] | None, typer.Option("--set", help="Override any eval field KEY=VALUE, e.g. "
                                                                     "max_new_tokens=256 or task_args.rule=ood.")] = None,
) -> None:
    """Evaluate a model on a task's ID (test) and OOD splits with the task's exact verifier.

    GeneralPoints: test uses the trained face-card rule, ood the other one. Countdown: ood holds
    out targets. Navigation: ood uses the other action space; accuracy is per-step accuracy and
    success route success. The JSON has one entry per split under "splits".
    """
    from habits.evaluate import main
    from habits.train.config import load_config

    values = parse_overrides(overrides)
    flags = {"model": model, "task": task, "n": n, "k": k, "max_attempts": max_attempts,
             "out": str(out) if out else None, "completions": str(completions) if completions else None}
    values.update({key: value for key, value in flags.items() if value is not None})
    if split:
        values["splits"] = [s.strip() for item in split for s in item.split(",") if s.strip()]
    cfg = load_config(config, values, stage="eval")
    report = main(cfg)
    table = Table(title=f"{cfg.task}: {cfg.model}")
    first = next(iter(report["splits"].values()))
    keys = ["accuracy", "success", *(key for key in first if key.startswith("pass@") and not key.endswith("_interval")),
            "format_error",
            "mean_length_tokens"]
    budget = report.get("max_attempts", 1)
    habits = list(first.get("behaviors") or {})
    short = {"accuracy": "acc", "success": "success", "format_error": "fmt err", "mean_length_tokens": "tokens", "verification": "verif",
             "backtracking": "backtr", "subgoal_setting": "subgoal", "backward_chaining": "backw"}
    revised = [f"success@{budget}", f"problem success@{budget}"] if budget > 1 else []
    for column in ("split", *keys, *revised, *habits):
        table.add_column(short.get(column, column), justify="left" if column == "split" else "right")
    for name, result in report["splits"].items():
        cells = [f"{result[key]:.0f}" if key == "mean_length_tokens" else f"{result[key]:.3f}" for key in keys]
        if revised:
            episodes = result["episodes"]
            cells += [f"{episodes['success_within'][str(budget)]:.3f}", f"{episodes['problem_success']:.3f}"]
        cells += [f"{result['behaviors'][b]['mean']:.2f}" for b in habits]
        table.add_row(name, *cells)
    console.print(table)
    if cfg.out:
        console.print(f"wrote {cfg.out}")
    if cfg.completions:
        console.print(f"wrote {cfg.completions}")
    else:
        console.print_json(json.dumps(report))
