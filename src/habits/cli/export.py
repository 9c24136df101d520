"""``habits export``: hand tasks, verifiers and priming data to veRL and verifiers."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from habits.configs import parse_overrides

console = Console()
export_app = typer.Typer(help="Export tasks to other engines: veRL (parquet + compute_score), verifiers "
                              "(an installable environment package).", no_args_is_help=True)

SetOption = Annotated[list[str] | None, typer.Option("--set", help="Task config override KEY=VALUE (YAML value); "
                                                                  "repeatable, e.g. --set reward=binary.")]


def register(app: typer.Typer) -> None:
    app.add_typer(export_app, name="export")


@export_app.command("verl")
def verl(
    task: Annotated[str, typer.Option(help="Task name (see `habits tasks list`).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Directory for the parquet, habits_reward.py and "
                                                         "habits_export.json (other exports there are kept).")],
    split: Annotated[str, typer.Option(help="train, test or ood.")] = "train",
    n: Annotated[int, typer.Option("--n", help="Rows to write.", min=1)] = 1000,
    seed: Annotated[int, typer.Option(help="Seed; the same seed gives the same problems.")] = 0,
    fmt: Annotated[str, typer.Option("--format", help="rl: problems for PPO/GRPO with the reward module; "
                                                      "sft: priming traces (countdown, general_points).")] = "rl",
    condition: Annotated[str, typer.Option(help="sft: priming condition (see `habits prime-conditions`).")] = "all",
    register_: Annotated[str, typer.Option("--register", help="sft: natural or terse narration.")] = "natural",
    input_path: Annotated[Path | None, typer.Option(
        "--input", "-i", help="sft: convert existing priming rows (`habits prime-data` JSONL) instead.")] = None,
    data_source: Annotated[str | None, typer.Option(help="data_source of the rows (default habits/<task>); give "
                                                         "another config of the same task its own name.")] = None,
    distinct: Annotated[bool, typer.Option(help="rl: never repeat a problem.")] = False,
    overrides: SetOption = None,
) -> None:
    """Write a veRL parquet (RL schema, or SFT with --format sft) and the reward module veRL loads."""
    from habits.export.verl import RL, VerlExportConfig, main

    summary = main(VerlExportConfig(task=task, out=out, split=split, n=n, seed=seed, format=fmt,
                                    task_args=parse_overrides(overrides), data_source=data_source, distinct=distinct,
                                    condition=condition, register=register_, input=input_path))
    console.print(f"wrote {summary['rows']} rows to {summary['parquet']} (data_source {summary['data_source']})")
    console.print(f"reward module: {summary['reward_module']}\n  veRL: reward.custom_reward_function.path="
                  f"{Path(summary['reward_module']).resolve()} reward.custom_reward_function.name=compute_score"
                  + ("" if fmt == RL else "\n  (SFT rows: data.train_files=... with data.messages_key=messages)"))


@export_app.command("verifiers")
def verifiers(
    task: Annotated[str, typer.Option(help="Task name (see `habits tasks list`).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Parent directory; the package goes to OUT/habits-<task>/.")],
    name: Annotated[str | None, typer.Option(help="Distribution name (default habits-<task>); the verify-and-revise "
                                                  "env is NAME-revise.")] = None,
    overrides: SetOption = None,
) -> None:
    """Write an installable verifiers environment package (single-turn and verify-and-revise) for a task."""
    from habits.export.verifiers import VERIFIERS_VERSION, VerifiersExportConfig, main

    summary = main(VerifiersExportConfig(task=task, out=out, task_args=parse_overrides(overrides), name=name))
    console.print(f"wrote {summary['dir']} (task settings {summary['task_args']})")
    console.print(f"  install: pip install -e /path/to/habits && pip install {summary['dir']}  "
                  f"(verifiers=={VERIFIERS_VERSION})")
    console.print(f"  run:     eval {summary['ids'][0]} -m MODEL -n 50 --env.agent.harness.id null "
                  "--env.agent.runtime.type subprocess")
    console.print(f"           eval {summary['ids'][1]} ... --env.attempts 5   (verify-and-revise)")
