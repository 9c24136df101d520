"""``habits diagnose``: which of the four habits does a model (or a file of its completions) show?"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from habits.cli.behaviors import (
    ApiKeyEnv,
    BackendOption,
    BaseUrl,
    Concurrency,
    JudgeBackend,
    JudgeCacheOption,
    JudgeModel,
    JudgeDeadline,
    JudgeRetries,
    JudgeTimeout,
)
from habits.configs import parse_overrides

console = Console()


def register(app: typer.Typer) -> None:
    app.command("diagnose")(diagnose)


def diagnose(
    ctx: typer.Context,
    completions: Annotated[
        Path | None,
        typer.Option(
            "--completions", "-c", help="JSONL of completions (`completion`, optional `problem`, `task`)."
        ),
    ] = None,
    model: Annotated[
        Path | None, typer.Option("--model", "-m", help="Or a model directory to sample from.")
    ] = None,
    task: Annotated[
        str | None,
        typer.Option("--task", "-t", help="Task for prompts and accuracy (countdown, general_points)."),
    ] = None,
    n: Annotated[
        int, typer.Option("--n", min=1, help="Problems to sample with --model (the paper: 200).")
    ] = 200,
    split: Annotated[str, typer.Option(help="Problem split with --model: train, test or ood.")] = "test",
    seed: Annotated[int, typer.Option(help="Seed for problems and sampling.")] = 0,
    samples: Annotated[int, typer.Option("--samples", min=1, help="Completions per problem.")] = 1,
    temperature: Annotated[float, typer.Option(min=0, help="Sampling temperature (0 = greedy).")] = 1.0,
    top_p: Annotated[float, typer.Option(help="Nucleus sampling mass.")] = 1.0,
    max_new_tokens: Annotated[
        int, typer.Option(min=1, help="Token budget per completion (the paper: 1024).")
    ] = 1024,
    batch_size: Annotated[int, typer.Option(min=1, help="Prompts per generation batch.")] = 16,
    sampler: Annotated[str, typer.Option(help="Generation backend: auto, transformers or vllm.")] = "auto",
    device: Annotated[str, typer.Option(help="auto, cpu, cuda, cuda:N or mps.")] = "auto",
    threads: Annotated[
        int | None, typer.Option(min=1, help="CPU threads for torch (1 is fastest on a busy machine).")
    ] = None,
    backend: BackendOption = "lexical",
    judge_backend: JudgeBackend = "endpoint",
    judge_model: JudgeModel = "gpt-4o-mini",
    base_url: BaseUrl = None,
    api_key_env: ApiKeyEnv = "OPENAI_API_KEY",
    concurrency: Concurrency = 8,
    judge_cache: JudgeCacheOption = "~/.cache/habits/judge.sqlite",
    judge_retries: JudgeRetries = 4,
    judge_timeout: JudgeTimeout = 60.0,
    judge_deadline: JudgeDeadline = None,
    min_share: Annotated[
        float, typer.Option(help="A behavior is present when at least this share of responses shows it.")
    ] = 0.10,
    required: Annotated[
        str, typer.Option(help="Comma-separated behaviors needed for 'ready'.")
    ] = "verification,backtracking,subgoal_setting,backward_chaining",
    strict: Annotated[
        bool, typer.Option("--strict", help="Judge presence by the share's lower 95% bound.")
    ] = False,
    interval: Annotated[str, typer.Option(help="Mean-count interval: t or bootstrap.")] = "t",
    tokenizer: Annotated[
        Path | None, typer.Option(help="Tokenizer directory for token lengths (default: the model's).")
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", "-o", help="JSON report; the PNG chart (and sampled completions) are written beside it."
        ),
    ] = None,
    plot: Annotated[
        Path | None, typer.Option(help="PNG chart path (default: the report path with .png).")
    ] = None,
    overrides: Annotated[
        list[str] | None, typer.Option("--set", help="Task config override KEY=VALUE; repeatable.")
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option("--config", help="YAML with DiagnoseConfig fields (see --help-config); flags given win."),
    ] = None,
    help_config: Annotated[
        bool, typer.Option("--help-config", help="List every config field with its default and help.")
    ] = False,
) -> None:
    """Measure verification, backtracking, subgoal setting and backward chaining in a model's reasoning.

    Per behavior: the share of responses with at least one instance (Wilson 95% interval) and the mean
    count (t interval); accuracy (the task's verifier, when rows carry a `problem`); mean length; and a
    readiness verdict naming the missing behaviors.
    """
    from habits.diagnose import DiagnoseConfig, main

    if help_config:
        from habits.cli.help_config import print_config_fields

        print_config_fields(DiagnoseConfig, "diagnose")
        return
    settings = diagnose_config(ctx, config, overrides)
    settings.check_inputs()  # before importing torch: wrong paths fail in a second, not after the imports
    if threads:
        import torch

        torch.set_num_threads(threads)
    report = main(settings)
    print_report(report)


# Command-line option -> DiagnoseConfig field(s) it sets (dotted for nested settings).
FLAGS = {
    "completions": ("completions",), "model": ("model",), "task": ("task",), "n": ("n",), "split": ("split",),
    "seed": ("seed", "sampling.seed"), "samples": ("sampling.n",), "temperature": ("sampling.temperature",),
    "top_p": ("sampling.top_p",), "max_new_tokens": ("sampling.max_new_tokens",),
    "batch_size": ("sampling.batch_size",), "sampler": ("sampling.backend",), "device": ("sampling.device",),
    "backend": ("backend",), "judge_backend": ("judge.backend",), "judge_model": ("judge.model",),
    "base_url": ("judge.base_url",), "api_key_env": ("judge.api_key_env",), "concurrency": ("judge.concurrency",),
    "judge_cache": ("judge.cache",), "judge_retries": ("judge.max_retries",),
    "judge_timeout": ("judge.timeout_s",), "judge_deadline": ("judge.deadline_s",), "min_share": ("thresholds.min_share",),
    "required": ("thresholds.required",), "strict": ("thresholds.strict",), "interval": ("interval",),
    "tokenizer": ("tokenizer",), "out": ("out",), "plot": ("plot",),
}


def diagnose_config(ctx: typer.Context, recipe: Path | None, overrides: list[str] | None) -> Any:
    """The DiagnoseConfig from the recipe (if any) and the options given on the command line."""
    from habits.configs import Where, apply_overrides, build, load_recipe
    from habits.diagnose import DiagnoseConfig

    values: dict[str, Any] = {}
    where = Where(label="habits diagnose")
    if recipe is not None:
        loaded = load_recipe(recipe)
        values, where = dict(loaded.values), Where(label=str(recipe), source=loaded.source)
    flags: dict[str, Any] = {}
    for option, keys in FLAGS.items():
        source = ctx.get_parameter_source(option)
        if source is None or source.name in ("DEFAULT", "DEFAULT_MAP"):  # typer may bundle its own click
            continue
        value = ctx.params[option]
        if isinstance(value, Path):
            value = str(value)
        if option == "judge_cache" and isinstance(value, str) and value.lower() == "none":
            value = None
        flags.update({key: value for key in keys})
    task_args = {f"task_args.{key}": value for key, value in parse_overrides(overrides).items()}
    where = Where(label=where.label, source=where.source, overrides=frozenset(flags) | frozenset(task_args))
    return build(DiagnoseConfig, apply_overrides(values, {**flags, **task_args}), where)


def print_report(report: dict) -> None:
    """The compact terminal table."""
    table = Table(title=f"behaviors in {report['source']} (n={report['n']}, {report['classifier']})")
    for column in ("behavior", "share", "95% CI", "mean", "95% CI ", "present"):
        table.add_column(
            column, justify="left" if column == "behavior" else "right", no_wrap=column == "behavior"
        )
    for name, stats in report["behaviors"].items():
        low, high = stats["share_ci"]
        mean_low, mean_high = stats["mean_ci"]
        table.add_row(
            name,
            f"{stats['share']:.1%}",
            f"{low:.1%}–{high:.1%}",
            f"{stats['mean']:.2f}",
            f"{mean_low:.2f}–{mean_high:.2f}",
            "[green]yes[/]" if stats["present"] else "[red]no[/]",
        )
    console.print(table)
    accuracy, length = report.get("accuracy"), report["length"]
    if accuracy:
        low, high = accuracy["ci"]
        console.print(f"accuracy: {accuracy['value']:.1%} ({low:.1%}–{high:.1%}, n={accuracy['n']})")
    tokens = f", {length['tokens_mean']:.0f} tokens" if length.get("tokens_mean") is not None else ""
    console.print(f"mean length: {length['chars_mean']:.0f} chars{tokens}")
    verdict = report["verdict"]
    console.print(
        ("[bold green]" if verdict["ready"] else "[bold red]") + verdict["message"] + "[/]", highlight=False
    )
    for key in ("completions_file", "plot"):
        if key in report:
            console.print(f"{key.replace('_', ' ')}: {report[key]}")
