"""``habits train sft|rl``: SFT priming and outcome-reward RL from a YAML recipe plus ``--set`` overrides."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from habits.configs import parse_overrides

console = Console()
train_app = typer.Typer(help="Train: SFT priming (sft) and outcome-reward RL with GRPO (rl).", no_args_is_help=True)

ConfigOption = Annotated[Path | None, typer.Option("--config", "-c", help="YAML recipe (see configs/sft, configs/rl).")]
SetOption = Annotated[list[str] | None, typer.Option("--set", help="Override a field KEY=VALUE (YAML value; dotted "
                                                                  "keys for nested fields, e.g. lora.r=8); repeatable.")]
CheckOption = Annotated[bool, typer.Option("--check", help="Validate the config and print it; train nothing.")]
HelpConfig = Annotated[bool, typer.Option("--help-config", help="List every config field with its default and help.")]


def register(app: typer.Typer) -> None:
    app.add_typer(train_app, name="train")


def print_fields(stage: str) -> None:
    """The stage's own fields, habits' defaults for TRL fields, the presets, and the TRL fields accepted."""
    import dataclasses

    from habits.cli.help_config import print_config_fields
    from habits.configs import forwarding
    from habits.train.config import config_classes

    cls = config_classes()[stage]
    print_config_fields(cls, stage)
    forward = forwarding(cls)
    if forward is None:
        return
    target = forward.target
    trl_fields = {f.name: f for f in dataclasses.fields(target) if f.init}
    defaults = Table(title=f"TRL fields habits sets differently from trl.{target.__name__}")
    for column in ("field", "habits default", "TRL default"):
        defaults.add_column(column, overflow="fold")
    for name, value in cls.trl_defaults().items():
        f = trl_fields[name]
        trl_default = f.default if f.default is not dataclasses.MISSING else "(factory)"
        defaults.add_row(name, repr(value), repr(trl_default))
    console.print(defaults)
    named = cls.presets()
    if named:
        presets = Table(title="presets (preset: NAME; the recipe's own values win)")
        presets.add_column("preset")
        presets.add_column("settings", overflow="fold")
        for name, values in named.items():
            presets.add_row(name, ", ".join(f"{k}: {v}" for k, v in values.items()))
        console.print(presets)
    accepted = sorted(set(trl_fields) - set(forward.reserved))
    console.print(f"Every trl.{target.__name__} field is accepted by its TRL name ({len(accepted)} fields; see TRL's "
                  f"documentation for each): {', '.join(accepted)}", soft_wrap=True)
    if forward.reserved:
        console.print("Set by habits: " + "; ".join(f"{k} ({v})" for k, v in forward.reserved.items()), soft_wrap=True)


def run_stage(stage: str, config_path: Path | None, overrides: list[str] | None, check: bool, help_config: bool) -> None:
    """Load + validate the config, then call the stage's ``main(config)`` (the same function Python users call)."""
    if help_config:
        print_fields(stage)
        return
    from habits.train.config import load_config

    from habits.train.runs import preflight

    config = load_config(config_path, parse_overrides(overrides), stage=stage)
    config.check_inputs()  # RL: the installed TRL has what the run uses (habits.train.trl_seam)
    preflight(config)  # output_dir writable, resume consistent: before the slow imports
    if check:
        console.print_json(json.dumps({"stage": stage, **config.to_dict()}, default=str))
        console.print("[green]config OK[/]")
        return
    from habits.stages import get_stage

    summary = get_stage(stage).run(config)
    console.print_json(json.dumps(summary, default=str))
    if summary.get("status") == "interrupted":
        console.print(f"[yellow]stopped at step {summary['global_step']}; checkpoint {summary.get('checkpoint')}. "
                      "Run the same command again to resume.[/]")
        raise typer.Exit(130)
    console.print(f"[green]done[/]: model in {summary.get('model_dir')}, metrics in {config.output_dir}/metrics.jsonl")


@train_app.command("sft")
def sft(config: ConfigOption = None, overrides: SetOption = None, check: CheckOption = False,
        help_config: HelpConfig = False) -> None:
    """SFT priming on prompt/completion (or chat) rows with TRL's SFTTrainer; loss on the completion only.

    Re-running the same command resumes from the last checkpoint; Ctrl-C saves one and stops.
    """
    run_stage("sft", config, overrides, check, help_config)


@train_app.command("rl")
def rl(config: ConfigOption = None, overrides: SetOption = None, check: CheckOption = False,
       help_config: HelpConfig = False) -> None:
    """Outcome-reward RL with TRL's GRPOTrainer and the task's exact reward; logs metrics.jsonl every step.

    Re-running the same command resumes from the last checkpoint; Ctrl-C saves one and stops.
    """
    run_stage("rl", config, overrides, check, help_config)
