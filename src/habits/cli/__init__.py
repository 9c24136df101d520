"""The ``habits`` command line: one typer app, one module per command group.

Each module in ``COMMAND_MODULES`` exposes ``register(app)``. Modules import heavy libraries
(torch, transformers) inside their commands, so ``habits --help`` stays instant.
"""

from __future__ import annotations

import importlib
import sys

import typer
from rich.console import Console

from habits.io import InputError

app = typer.Typer(
    name="habits",
    help="Reason first, reinforce later: check a model for reasoning habits, instil them, reinforce, measure.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

COMMAND_MODULES = ("tasks", "demo", "prime", "train", "behaviors", "diagnose", "evaluate", "run", "export")

for _name in COMMAND_MODULES:
    importlib.import_module(f"habits.cli.{_name}").register(app)

err = Console(stderr=True)


def main() -> None:
    """Entry point: user errors become a one-line message and exit code 2, not a traceback."""
    try:
        app()
    except (InputError, ValueError, FileNotFoundError) as exc:
        err.print(f"[bold red]error:[/] {exc}", highlight=False, markup=True, soft_wrap=True)
        sys.exit(2)
    except KeyboardInterrupt:
        err.print("[yellow]interrupted[/]")
        sys.exit(130)
