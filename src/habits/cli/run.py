"""``habits run``, ``habits pretrain`` and ``habits report``: the pipeline and the embedded base model."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from habits.configs import parse_overrides

console = Console()
SetOption = Annotated[list[str] | None, typer.Option("--set", help="Override KEY=VALUE (dotted keys, YAML values); "
                                                                   "repeatable, e.g. --set rl.max_steps=5.")]


def register(app: typer.Typer) -> None:
    app.command("run")(run)
    app.command("pretrain")(pretrain)
    app.command("report")(report)


def run(
    config: Annotated[Path | None, typer.Argument(help="Pipeline recipe, e.g. configs/demo.yaml.")] = None,
    overrides: SetOption = None,
    restart: Annotated[bool, typer.Option(help="Delete the run directory and start over.")] = False,
    check: Annotated[bool, typer.Option("--check", help="Validate the recipe (every arm's stage configs) and "
                                                        "print the plan; run nothing.")] = False,
    help_config: Annotated[bool, typer.Option("--help-config", help="List a recipe's sections and fields (defaults, "
                                                                    "help) and exit; stage sections take "
                                                                    "`habits train sft|rl --help-config`.")] = False,
) -> None:
    """Base -> diagnose -> for each arm: its stages (prime, SFT, RL) -> evaluate ID/OOD -> report. Re-run to resume."""
    from habits.pipeline import main, plan
    from habits.pipeline_config import load_pipeline

    if help_config:
        from habits.cli.help_config import print_config_fields
        from habits.pipeline_config import (ArmSpec, BaseSpec, ComputeSpec, DiagnoseSpec, PipelineConfig,
                                            PrimingSpec, ReportSpec, StartSpec)

        for cls, title in ((PipelineConfig, "recipe (top level)"), (BaseSpec, "bases.<name>"), (ArmSpec, "arms.<name>"),
                           (StartSpec, "arms.<name>.start"), (PrimingSpec, "priming"), (DiagnoseSpec, "diagnose"),
                           (ComputeSpec, "compute"), (ReportSpec, "report")):
            print_config_fields(cls, title)
        return
    if config is None:
        raise typer.BadParameter("give a pipeline recipe, e.g. habits run configs/demo.yaml", param_hint="CONFIG")

    pipeline = load_pipeline(config, parse_overrides(overrides))
    if check:
        for stage in plan(pipeline):
            console.print(f"{stage.chain}: {stage.label}", highlight=False)
        console.print(f"[green]{config}: recipe OK[/] ({len(pipeline.arms)} arms x {len(pipeline.seeds)} seeds)")
        return
    main(pipeline, restart=restart)


def pretrain(
    config: Annotated[Path, typer.Option("--config", "-c", help="Pretraining recipe (configs/pretrain/*.yaml).")],
    overrides: SetOption = None,
) -> None:
    """Train the embedded tiny model from scratch into a base model (tokenizer, config, safetensors)."""
    from habits.stages import get_stage
    from habits.train.config import load_config

    stage = get_stage("pretrain")
    settings = load_config(config, parse_overrides(overrides), stage=stage.name)
    summary = stage.run(settings)
    console.print(f"base model: {summary.get('model_dir', Path(settings.output_dir) / 'model')} "
                  f"(final loss {summary.get('loss', float('nan')):.3f})")


def report(run_dir: Annotated[Path, typer.Argument(help="A run directory made by `habits run`.")]) -> None:
    """Rebuild summary.json, the plots and report.html of a run from its files."""
    from habits.pipeline_config import load_pipeline
    from habits.report import build_report
    from habits.summary import summarize

    config = load_pipeline(run_dir / "config.yaml")
    config.output_root, config.name = str(run_dir.parent), run_dir.name
    summarize(config)
    console.print(f"report: {build_report(config)}")
